package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/firmware/hackrf"
	"github.com/rfwarden/rfwarden/firmware/nodecheck"
	"github.com/rfwarden/rfwarden/firmware/provision"
	"github.com/rfwarden/rfwarden/sensor/hackrfsrc"
)

// nodePKI writes ca.pem, node.pem and node-key.pem (a CA and a client
// certificate it signed) into dir and returns their paths.
func nodePKI(t *testing.T, dir string) (ca, cert, key string) {
	t.Helper()
	return nodePKIOf(t, dir, func(caTmpl, tmpl *x509.Certificate) {})
}

// nodePKIOf is nodePKI with the CA's and the node certificate's templates
// changed by edit before they are signed.
func nodePKIOf(t *testing.T, dir string, edit func(caTmpl, tmpl *x509.Certificate)) (ca, cert, key string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "site CA"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(24 * time.Hour), IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "wing-a-1"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(24 * time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	edit(caTmpl, tmpl)
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(k)
	write := func(name, typ string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("node.pem", "CERTIFICATE", der), write("node-key.pem", "PRIVATE KEY", keyDER)
}

// provisionFixture makes a key pair, PKI, password and a node.yaml whose
// files live in etc, and returns the paths.
type provisionFixture struct {
	root, keys, etc, config, ca, cert, key, pw string
}

func newProvisionFixture(t *testing.T) provisionFixture {
	t.Helper()
	root := t.TempDir()
	f := provisionFixture{root: root, keys: filepath.Join(root, "keys"), etc: filepath.Join(root, "etc", "rfwarden")}
	var out, errb bytes.Buffer
	if err := cmdNode(context.Background(), []string{"keygen", "--out", f.keys}, &out, &errb); err != nil {
		t.Fatalf("keygen: %v (%s)", err, errb.String())
	}
	if !strings.Contains(out.String(), "key ID") {
		t.Errorf("keygen output %q", out.String())
	}
	in := filepath.Join(root, "in")
	os.MkdirAll(in, 0o700)
	f.ca, f.cert, f.key = nodePKI(t, in)
	f.pw = filepath.Join(in, "pw")
	os.WriteFile(f.pw, []byte("correct horse\n"), 0o600)
	f.config = filepath.Join(in, "node.yaml")
	cfg := fmt.Sprintf(`site: hmp-north
sensor: wing-a-1
mqtt:
  url: ssl://127.0.0.1:8883
  ca_file: %[1]s/ca.pem
  cert_file: %[1]s/node.pem
  key_file: %[1]s/node-key.pem
  username: wing-a-1
  password_file: %[1]s/mqtt.pass
outbox: {dir: /var/lib/rfwarden/outbox}
source: {kind: hackrf}
bands:
  - {name: gsm900-ul, low_hz: 880e6, high_hz: 915e6}
`, f.etc)
	os.WriteFile(f.config, []byte(cfg), 0o644)
	return f
}

func (f provisionFixture) bundle(t *testing.T, out string) error {
	t.Helper()
	var o, e bytes.Buffer
	return cmdNode(context.Background(), []string{"bundle", "--key", filepath.Join(f.keys, "site.key"), "--config", f.config,
		"--ca", f.ca, "--cert", f.cert, "--node-key", f.key, "--mqtt-password-file", f.pw, "--out", out}, &o, &e)
}

func TestNodeProvisioningFlow(t *testing.T) {
	f := newProvisionFixture(t)
	bundle := filepath.Join(f.root, "node-wing-a-1.tar")
	if err := f.bundle(t, bundle); err != nil {
		t.Fatalf("bundle: %v", err)
	}
	if st, err := os.Stat(bundle); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("bundle file: %v, %v; want mode 0600 (it holds secrets)", st, err)
	}
	pub := filepath.Join(f.keys, "site.pub")
	var out, errb bytes.Buffer
	if err := cmdNode(context.Background(), []string{"verify", "--pub", pub, bundle}, &out, &errb); err != nil {
		t.Fatalf("verify: %v (%s)", err, errb.String())
	}
	for _, want := range []string{"ok: ", "site hmp-north, sensor wing-a-1", "installs into " + f.etc, "node-key.pem  0600", "mqtt.pass     0600", "ca.pem        0644"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("verify output lacks %q:\n%s", want, out.String())
		}
	}
	for range 2 { // a second install replaces the files in place
		out.Reset()
		if err := cmdNode(context.Background(), []string{"install", "--pub", pub, "--dir", f.etc, bundle}, &out, &errb); err != nil {
			t.Fatalf("install: %v (%s)", err, errb.String())
		}
	}
	if n := strings.Count(out.String(), f.etc); n != 5 {
		t.Errorf("install listed %d files:\n%s", n, out.String())
	}
	for name, mode := range map[string]os.FileMode{"node.yaml": 0o644, "ca.pem": 0o644, "node.pem": 0o644, "node-key.pem": 0o600, "mqtt.pass": 0o600} {
		st, err := os.Stat(filepath.Join(f.etc, name))
		if err != nil || st.Mode().Perm() != mode {
			t.Errorf("%s: %v, %v; want mode %o", name, st, err, mode)
		}
	}
	// The installed node config (a libhackrf source) passes the sensor's
	// own check, in a binary that has the binding; one without refuses it,
	// as the service would fail to start.
	out.Reset()
	err := run(context.Background(), []string{"sensor", "--check", "--config", filepath.Join(f.etc, "node.yaml")}, &out, &errb)
	switch {
	case hackrfsrc.Built && err != nil:
		t.Errorf("sensor --check on the installed config: %v", err)
	case !hackrfsrc.Built && (err == nil || !strings.Contains(err.Error(), "built without the hackrf tag")):
		t.Errorf("sensor --check on the installed config, in a build without libhackrf: %v, want it refused naming the build tag", err)
	}
}

func TestNodeInstallRefusesBadBundles(t *testing.T) {
	f := newProvisionFixture(t)
	bundle := filepath.Join(f.root, "b.tar")
	if err := f.bundle(t, bundle); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(bundle)
	flipped := bytes.Clone(good)
	flipped[bytes.Index(flipped, []byte("sensor: wing-a-1"))+8] ^= 1
	otherKeys := filepath.Join(f.root, "other")
	if err := cmdNode(context.Background(), []string{"keygen", "--out", otherKeys}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	sitePub, err := provision.ReadPublicKey(filepath.Join(f.keys, "site.pub"))
	if err != nil {
		t.Fatal(err)
	}
	otherPub, err := provision.ReadPublicKey(filepath.Join(otherKeys, "site.pub"))
	if err != nil {
		t.Fatal(err)
	}
	// A wrong --pub names the key the manifest claims and its site, and
	// which site.pub to give; a truncated copy says to copy it again
	// (until 2026-12-07 "not signed by key ..." and "unexpected EOF" alone).
	tests := []struct {
		name    string
		data    []byte
		pub     string
		wantErr string
	}{
		{"flipped byte", flipped, filepath.Join(f.keys, "site.pub"), "bundle changed after it was signed, or damaged: \"node.yaml\" has"},
		{"wrong key", good, filepath.Join(otherKeys, "site.pub"), fmt.Sprintf("bundle signature invalid: not signed by key %s, the bundle's manifest says key %q of site \"hmp-north\": give --pub the site's site.pub from the central host",
			provision.KeyID(otherPub), provision.KeyID(sitePub))},
		{"truncated", good[:1000], filepath.Join(f.keys, "site.pub"), "malformed bundle: member \"manifest.json\": unexpected EOF: copy the bundle again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "bad.tar")
			os.WriteFile(p, tt.data, 0o600)
			dir := filepath.Join(t.TempDir(), "etc")
			err := cmdNode(context.Background(), []string{"install", "--pub", tt.pub, "--dir", dir, p}, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("install dir exists after a refused bundle (%v)", err)
			}
			if err := cmdNode(context.Background(), []string{"verify", "--pub", tt.pub, p}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("verify: err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	// Installing into another dir than node.yaml names is refused too.
	err = cmdNode(context.Background(), []string{"install", "--pub", filepath.Join(f.keys, "site.pub"), "--dir", filepath.Join(f.root, "x"), bundle}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "expects its files in") {
		t.Errorf("wrong dir: err = %v", err)
	}
}

func TestNodeBundleRejects(t *testing.T) {
	f := newProvisionFixture(t)
	outDir := filepath.Join(f.root, "out")
	os.MkdirAll(outDir, 0o700)
	os.WriteFile(f.config, []byte("site: hmp-north\nsensor: wing a 1\n"), 0o644)
	if err := f.bundle(t, filepath.Join(outDir, "b.tar")); err == nil || !strings.Contains(err.Error(), "sensor:") {
		t.Errorf("invalid config: err = %v", err)
	}
	if entries, _ := os.ReadDir(outDir); len(entries) != 0 {
		t.Errorf("a refused bundle left %d files in the output dir", len(entries))
	}
	// A private key that is not the site key is refused before anything is read.
	err := cmdNode(context.Background(), []string{"bundle", "--key", f.key, "--config", f.config, "--out", filepath.Join(outDir, "b.tar")}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "not Ed25519") {
		t.Errorf("ECDSA key as site key: err = %v", err)
	}
}

// TestNodeBundleSampleConfig proves deploy/config/sensor.yaml is ready to bundle.
func TestNodeBundleSampleConfig(t *testing.T) {
	f := newProvisionFixture(t)
	f.config = filepath.Join("..", "..", "deploy", "config", "sensor.yaml")
	out := filepath.Join(f.root, "sample.tar")
	if err := f.bundle(t, out); err != nil {
		t.Fatalf("bundle the sample config: %v", err)
	}
	var o bytes.Buffer
	if err := cmdNode(context.Background(), []string{"verify", "--pub", filepath.Join(f.keys, "site.pub"), out}, &o, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(o.String(), "installs into /etc/rfwarden") {
		t.Errorf("verify: %s", o.String())
	}
}

func TestNodeUsage(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr error // nil: success; errUsage; or any error (errOther)
	}{
		{nil, errUsage},
		{[]string{"-h"}, nil},
		{[]string{"keygen"}, errUsage},
		{[]string{"keygen", "-h"}, nil},
		{[]string{"bundle", "--key", "k"}, errUsage},
		{[]string{"verify", "--pub", "p"}, errUsage},
		{[]string{"install", "a.tar"}, errUsage},
		{[]string{"check", "extra"}, errUsage},
		{[]string{"frobnicate"}, errOther},
	}
	for _, tt := range tests {
		err := cmdNode(context.Background(), tt.args, io.Discard, io.Discard)
		switch {
		case tt.wantErr == errOther && (err == nil || errors.Is(err, errUsage)):
			t.Errorf("node %v: err = %v, want a non-usage error", tt.args, err)
		case tt.wantErr != errOther && !errors.Is(err, tt.wantErr) && err != tt.wantErr:
			t.Errorf("node %v: err = %v, want %v", tt.args, err, tt.wantErr)
		}
	}
}

var errOther = errors.New("any error")

func TestNodeRegistered(t *testing.T) {
	var errb bytes.Buffer
	if err := run(context.Background(), []string{"node", "-h"}, io.Discard, &errb); err != nil || !strings.Contains(errb.String(), "keygen") {
		t.Errorf("rfwarden node -h: %v, %q", err, errb.String())
	}
}

func TestParseOwner(t *testing.T) {
	opt, err := parseOwner("1234:5678")
	if err != nil || !opt.Chown || opt.UID != 1234 || opt.GID != 5678 {
		t.Errorf("numeric: %+v, %v", opt, err)
	}
	if opt, err := parseOwner("root"); err != nil || opt.UID != 0 || opt.GID != 0 {
		t.Errorf("root: %+v, %v", opt, err)
	}
	if opt, err := parseOwner(""); err != nil || opt.Chown {
		t.Errorf("empty: %+v, %v", opt, err)
	}
	if _, err := parseOwner("no-such-user-rfw"); err == nil {
		t.Error("unknown user accepted")
	}
}

// TestParseOwnerUnknownSaysWhatToDo: an --owner that does not exist on
// the node (install run before section 1's useradd) says so and how to
// make it; it said only `user: unknown user rfwarden`.
func TestParseOwnerUnknownSaysWhatToDo(t *testing.T) {
	for _, tc := range []struct {
		owner string
		want  []string
	}{
		{"no-such-user-rfw", []string{`owner "no-such-user-rfw": no such user on this host`, "useradd --system", "no-such-user-rfw, docs/deploy.md section 1", "--owner an existing"}},
		{"root:no-such-group-rfw", []string{`owner "root:no-such-group-rfw": no such group "no-such-group-rfw" on this host`, "leave it out"}},
	} {
		_, err := parseOwner(tc.owner)
		if err == nil {
			t.Errorf("--owner %s accepted", tc.owner)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("--owner %s: %v, want %q in it", tc.owner, err, w)
			}
		}
	}
}

const infoOneBoard = `hackrf_info version: 2023.01.1
libhackrf version: 2023.01.1 (0.8)
Found HackRF
Index: 0
Serial number: 0000000000000000457863c8234e2e4f
Board ID Number: 2 (HackRF One)
Firmware Version: 2018.01.1 (API:1.02)
Part ID Number: 0xa000cb3c 0x005c4f4a
`

func fakeNodeDeps(info string, gotSerial *string) func(string) nodecheck.Deps {
	return func(serial string) nodecheck.Deps {
		*gotSerial = serial
		return nodecheck.Deps{
			Run: func(context.Context, string, ...string) ([]byte, error) { return []byte(info), nil },
			Capture: func(context.Context, hackrf.TransferOptions) (io.ReadCloser, error) {
				return nil, errors.New("no capture in this test")
			},
		}
	}
}

func TestNodeCheck(t *testing.T) {
	var serial string
	var out bytes.Buffer
	// Old firmware is a warning, not a failure: the command succeeds.
	if err := nodeCheck(context.Background(), []string{"--noise=false"}, &out, io.Discard, fakeNodeDeps(infoOneBoard, &serial)); err != nil {
		t.Fatalf("check: %v\n%s", err, out.String())
	}
	for _, want := range []string{"ok    board     HackRF One, serial 0000000000000000457863c8234e2e4f", "warn  firmware  firmware 2018.01.1 is older than the host's libhackrf 2023.01.1", "skip  noise"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	// No board fails the command, and says so.
	out.Reset()
	err := nodeCheck(context.Background(), []string{"--noise=false"}, &out, io.Discard, fakeNodeDeps("No HackRF boards found.\n", &serial))
	if err == nil || !strings.Contains(out.String(), "FAIL  board     no HackRF board found") {
		t.Errorf("no board: err %v, output:\n%s", err, out.String())
	}
	// The serial comes from node.yaml's source.serial; the noise test runs by default.
	cfg := filepath.Join(t.TempDir(), "node.yaml")
	os.WriteFile(cfg, []byte("site: s\nsensor: n\noutbox: {dir: /tmp/o}\nsource: {kind: hackrf, serial: \"457863c8234e2e4f\"}\nbands: [{name: b, low_hz: 1e9, high_hz: 2e9}]\n"), 0o644)
	out.Reset()
	err = nodeCheck(context.Background(), []string{"--config", cfg, "--json"}, &out, io.Discard, fakeNodeDeps(infoOneBoard, &serial))
	if serial != "457863c8234e2e4f" {
		t.Errorf("deps got serial %q", serial)
	}
	var rep struct {
		Checks []struct{ Name, Status, Detail string }
	}
	if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil || len(rep.Checks) != 4 {
		t.Fatalf("JSON report: %v\n%s", jerr, out.String())
	}
	if rep.Checks[0].Status != "ok" || rep.Checks[3].Name != "noise" || rep.Checks[3].Status != "fail" || err == nil {
		t.Errorf("checks %+v, err %v: want board ok and a failed noise capture", rep.Checks, err)
	}
}

// TestNodeCheckWithoutReceiver: node check of a node.yaml whose source is
// a recording or the simulator says there is no receiver to check and
// what checks that node, without running hackrf_info; it reported "FAIL
// board no HackRF board found" and "the node is not ready" for a node
// that needs none.
func TestNodeCheckWithoutReceiver(t *testing.T) {
	for _, kind := range []string{"sim", "file"} {
		t.Run(kind, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "node.yaml")
			src := "{kind: sim}"
			if kind == "file" {
				src = "{kind: file, path: /srv/rfwarden/recordings/night.sigmf-meta}"
			}
			if err := os.WriteFile(cfg, []byte("site: s\nsensor: s1\noutbox: {dir: /tmp/o}\nsource: "+src+"\nbands: [{name: b, low_hz: 1e9, high_hz: 2e9}]\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			serial := "not called"
			var out bytes.Buffer
			err := nodeCheck(context.Background(), []string{"--config", cfg}, &out, io.Discard, fakeNodeDeps("No HackRF boards found.\n", &serial))
			for _, want := range []string{"source.kind is " + kind, "no receiver to check", "rfwarden sensor --check --config " + cfg} {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("node check: %v, want %q in it", err, want)
				}
			}
			if serial != "not called" || out.Len() > 0 {
				t.Errorf("the board checks ran (serial %q), output:\n%s", serial, out.String())
			}
		})
	}
}

// TestDeployDocPKI runs the openssl commands of docs/deploy.md section 2
// in a temporary directory and bundles what they make, so the documented
// certificates are ones `node bundle` accepts.
func TestDeployDocPKI(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "deploy.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(doc), "## 2. Certificates")
	_, block, ok2 := strings.Cut(sec, "```sh\n")
	script, _, ok3 := strings.Cut(block, "```")
	if !ok || !ok2 || !ok3 || !strings.Contains(script, "openssl x509 -req") {
		t.Fatal("docs/deploy.md section 2 has no openssl sh block")
	}
	dir := t.TempDir()
	cmd := exec.Command("sh", "-e", "-c", script)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("documented openssl commands: %v\n%s", err, out)
	}
	f := newProvisionFixture(t)
	f.ca, f.cert, f.key = filepath.Join(dir, "ca.crt"), filepath.Join(dir, "node.pem"), filepath.Join(dir, "node-key.pem")
	if err := f.bundle(t, filepath.Join(f.root, "doc.tar")); err != nil {
		t.Fatalf("bundle the documented certificates: %v", err)
	}
}

// TestNodeInstallOtherNode: the operator's sequence. wing-a-1 (client
// certificate and key) is installed, then a bundle of wing-b-7 (password
// only) into the same dir: refused, naming both, until --force; forced, it
// says whom it replaced and removes wing-a-1's certificate and key (both
// used to happen silently, the key staying behind).
func TestNodeInstallOtherNode(t *testing.T) {
	f := newProvisionFixture(t)
	pub := filepath.Join(f.keys, "site.pub")
	b2 := filepath.Join(f.root, "b2.tar")
	if err := f.bundle(t, b2); err != nil {
		t.Fatal(err)
	}
	cfg7 := fmt.Sprintf(`site: hmp-north
sensor: wing-b-7
mqtt:
  url: ssl://127.0.0.1:8883
  username: wing-b-7
  password_file: %s/mqtt.pass
source: {kind: hackrf}
bands:
  - {name: gsm900-ul, low_hz: 880e6, high_hz: 915e6}
`, f.etc)
	p7 := filepath.Join(f.root, "in", "wing-b-7.yaml")
	os.WriteFile(p7, []byte(cfg7), 0o644)
	b7 := filepath.Join(f.root, "b7.tar")
	if err := cmdNode(context.Background(), []string{"bundle", "--key", filepath.Join(f.keys, "site.key"), "--config", p7,
		"--mqtt-password-file", f.pw, "--out", b7}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := cmdNode(context.Background(), []string{"install", "--pub", pub, "--dir", f.etc, b2}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := cmdNode(context.Background(), []string{"install", "--pub", pub, "--dir", f.etc, b7}, &out, io.Discard)
	// the usual cause first, a bundle copied to the wrong node, then
	// --force (until 2026-12-07 only "give --force to replace it")
	if err == nil || !strings.Contains(err.Error(), "sensor wing-a-1 of site hmp-north") || !strings.Contains(err.Error(), "sensor wing-b-7") ||
		!strings.Contains(err.Error(), "the bundle may have been copied to the wrong node: take it to node wing-b-7; give --force only if this node is really becoming wing-b-7") {
		t.Fatalf("install of another node: err = %v, want a refusal naming wing-a-1, wing-b-7, the wrong node, then --force", err)
	}
	if _, err := os.Stat(filepath.Join(f.etc, "node-key.pem")); err != nil {
		t.Errorf("refused install touched wing-a-1's key: %v", err)
	}
	out.Reset()
	if err := cmdNode(context.Background(), []string{"install", "--force", "--pub", pub, "--dir", f.etc, b7}, &out, io.Discard); err != nil {
		t.Fatalf("forced install: %v", err)
	}
	for _, want := range []string{"installed sensor wing-b-7 of site hmp-north", "replaced sensor wing-a-1 of site hmp-north",
		"removed " + filepath.Join(f.etc, "node-key.pem"), "removed " + filepath.Join(f.etc, "node.pem"), "removed " + filepath.Join(f.etc, "ca.pem")} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	for _, name := range []string{"node.pem", "node-key.pem", "ca.pem"} {
		if _, err := os.Stat(filepath.Join(f.etc, name)); !os.IsNotExist(err) {
			t.Errorf("%s of wing-a-1 still there (%v)", name, err)
		}
	}
}

// TestNodeCheckConfigWithSerial: `node check --config /nonexistent.yaml
// --serial x` ignored the missing config silently (--config alone reports
// it). A --config given beside --serial must load; the serial still picks
// the board.
func TestNodeCheckConfigWithSerial(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nonexistent.yaml")
	serial := "not called"
	var out bytes.Buffer
	err := nodeCheck(context.Background(), []string{"--config", missing, "--serial", "x", "--noise=false"}, &out, io.Discard, fakeNodeDeps(infoOneBoard, &serial))
	if err == nil || !strings.Contains(err.Error(), "node check: --config") || !strings.Contains(err.Error(), missing) {
		t.Errorf("err %v, want one naming --config %s", err, missing)
	}
	if serial != "not called" {
		t.Errorf("the board checks ran (serial %q)", serial)
	}
	cfg := filepath.Join(t.TempDir(), "node.yaml")
	os.WriteFile(cfg, []byte("site: s\nsensor: n\noutbox: {dir: /tmp/o}\nsource: {kind: hackrf, serial: \"457863c8234e2e4f\"}\nbands: [{name: b, low_hz: 1e9, high_hz: 2e9}]\n"), 0o644)
	if err := nodeCheck(context.Background(), []string{"--config", cfg, "--serial", "x", "--noise=false"}, &out, io.Discard, fakeNodeDeps(infoOneBoard, &serial)); serial != "x" {
		t.Errorf("with a valid --config and --serial x: deps got serial %q (err %v), want x", serial, err)
	}
}

// TestNodeHelpMatchesDeployDoc: every flag of each node subcommand's -h
// is in `rfwarden node --help` and in docs/deploy.md section 3, and so is
// every environment variable a flag reads (until 2026-12-07 node check's
// --serial, --noise-center-hz and RFW_SENSOR_CONFIG were missing from the
// doc, and --noise-center-hz from node --help).
func TestNodeHelpMatchesDeployDoc(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "deploy.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, sec, _ := strings.Cut(string(doc), "## 3. Adding a node")
	sec, _, _ = strings.Cut(sec, "\n## ")
	flagRE := regexp.MustCompile(`(?m)^\s+-([a-z][a-z0-9-]*)`)
	envRE := regexp.MustCompile(`env (RFW_[A-Z_]+)`)
	for _, sub := range []string{"keygen", "bundle", "verify", "install", "check"} {
		var errb bytes.Buffer
		if err := cmdNode(context.Background(), []string{sub, "-h"}, io.Discard, &errb); err != nil {
			t.Fatalf("node %s -h: %v", sub, err)
		}
		help := errb.String()
		for _, m := range flagRE.FindAllStringSubmatch(help, -1) {
			flag := "--" + m[1]
			if !strings.Contains(nodeUsage, flag) {
				t.Errorf("node --help does not list node %s's %s", sub, flag)
			}
			if !strings.Contains(sec, flag) {
				t.Errorf("docs/deploy.md section 3 does not mention node %s's %s", sub, flag)
			}
		}
		for _, m := range envRE.FindAllStringSubmatch(help, -1) {
			if !strings.Contains(sec, m[1]) {
				t.Errorf("docs/deploy.md section 3 does not mention %s, which node %s reads", m[1], sub)
			}
		}
	}
}
