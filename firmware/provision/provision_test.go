package provision

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/sensor/config"
)

func TestKeyPair(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	id, err := WriteKeyPair(dir, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]os.FileMode{PrivateKeyFile: 0o600, PublicKeyFile: 0o644} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != want {
			t.Errorf("%s mode = %o, want %o", name, got, want)
		}
	}
	priv, err := ReadPrivateKey(filepath.Join(dir, PrivateKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ReadPublicKey(filepath.Join(dir, PublicKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(priv.Public()) {
		t.Error("public key file does not match the private key")
	}
	if KeyID(pub) != id || len(id) != 16 {
		t.Errorf("KeyID = %q, WriteKeyPair said %q", KeyID(pub), id)
	}
	if _, err := WriteKeyPair(dir, rand.Reader); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
		t.Errorf("second WriteKeyPair err = %v, want refusal", err)
	}
	if _, err := ReadPublicKey(filepath.Join(dir, PrivateKeyFile)); !errors.Is(err, ErrKey) {
		t.Errorf("private key read as public: err = %v, want ErrKey", err)
	}
}

// TestOpenSSLVerifiesSignature proves the documented openssl command checks
// a bundle signature, so an operator needs no rfwarden binary to audit one.
func TestOpenSSLVerifiesSignature(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	if _, err := WriteKeyPair(dir, rand.Reader); err != nil {
		t.Fatal(err)
	}
	priv, _ := ReadPrivateKey(filepath.Join(dir, PrivateKeyFile))
	ms := members(t, buildBundle(t, priv, Inputs{Config: nodeConfig("/etc/rfwarden", false), Password: []byte("pw\n")}))
	for _, m := range ms[:2] {
		os.WriteFile(filepath.Join(dir, m.name), m.data, 0o600)
	}
	verify := func() error {
		return exec.Command(openssl, "pkeyutl", "-verify", "-pubin", "-inkey", filepath.Join(dir, PublicKeyFile), "-rawin",
			"-in", filepath.Join(dir, ManifestName), "-sigfile", filepath.Join(dir, SignatureName)).Run()
	}
	if err := verify(); err != nil {
		t.Fatalf("openssl rejects a good signature: %v", err)
	}
	ms[0].data[10] ^= 1
	os.WriteFile(filepath.Join(dir, ManifestName), ms[0].data, 0o600)
	if err := verify(); err == nil {
		t.Fatal("openssl accepts a tampered manifest")
	}
}

func TestBuildVerifyInstall(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "etc", "rfwarden")
	ca, cert, key := testPKI(t)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	in := Inputs{Config: nodeConfig(dir, true), CA: ca, Cert: cert, Key: key, Password: []byte("s3cret\n")}
	bundle := buildBundle(t, priv, in)

	b, err := ReadVerify(bytes.NewReader(bundle), priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatalf("ReadVerify: %v", err)
	}
	m := b.Manifest
	if m.Site != "hmp-north" || m.Sensor != "wing-a-1" || m.Dir != dir || len(m.Files) != 5 || !m.Created.Equal(testNow) {
		t.Errorf("manifest = %+v", m)
	}
	inst, err := Install(b, dir, InstallOptions{})
	if err != nil {
		t.Fatalf("Install: %v", err)
	}
	paths := inst.Paths
	if len(paths) != 5 {
		t.Errorf("installed %v, want 5 files", paths)
	}
	want := map[string][]byte{ConfigName: in.Config, CAName: ca, CertName: cert, KeyName: key, PasswordName: in.Password}
	for name, data := range want {
		p := filepath.Join(dir, name)
		got, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: content differs (err %v)", name, err)
		}
		st, _ := os.Stat(p)
		wantMode := os.FileMode(0o644)
		if name == KeyName || name == PasswordName {
			wantMode = 0o600
		}
		if st.Mode().Perm() != wantMode {
			t.Errorf("%s mode = %o, want %o", name, st.Mode().Perm(), wantMode)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 5 {
		t.Errorf("dir holds %d entries, want 5 (temporary files left?)", len(entries))
	}
	// The installed config works as it stands: its files are where it says.
	cfg, err := config.Load(filepath.Join(dir, ConfigName))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{cfg.MQTT.CAFile, cfg.MQTT.CertFile, cfg.MQTT.KeyFile, cfg.MQTT.PasswordFile} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("config names %s: %v", p, err)
		}
	}
}

func TestBuildRejectsInputs(t *testing.T) {
	ca, cert, key := testPKI(t)
	_, otherCert, otherKey := testPKI(t)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	good := func() Inputs {
		return Inputs{Config: nodeConfig("/etc/rfwarden", true), CA: ca, Cert: cert, Key: key, Password: []byte("pw\n")}
	}
	tests := []struct {
		name    string
		mutate  func(*Inputs)
		wantErr string
	}{
		{"no config", func(in *Inputs) { in.Config = nil }, "node config missing"},
		{"invalid config", func(in *Inputs) { in.Config = bytes.Replace(in.Config, []byte("hmp-north"), []byte("hmp north"), 1) }, "site:"},
		{"unknown field", func(in *Inputs) { in.Config = append(in.Config, "colour: red\n"...) }, "colour"},
		{"CA not given", func(in *Inputs) { in.CA = nil }, "names mqtt.ca_file"},
		{"password not named", func(in *Inputs) {
			in.Config = bytes.Replace(in.Config, []byte("  password_file: /etc/rfwarden/mqtt.pass\n"), nil, 1)
		}, "no mqtt.password_file"},
		{"wrong file name", func(in *Inputs) { in.Config = bytes.Replace(in.Config, []byte("/ca.pem"), []byte("/broker-ca.crt"), 1) }, "must be named ca.pem"},
		{"split dirs", func(in *Inputs) {
			in.Config = bytes.Replace(in.Config, []byte("/etc/rfwarden/node.pem"), []byte("/etc/ssl/node.pem"), 1)
		}, "not in /etc/rfwarden"},
		{"relative path", func(in *Inputs) {
			in.Config = bytes.ReplaceAll(in.Config, []byte("/etc/rfwarden/"), []byte("etc/"))
		}, "absolute path"},
		{"CA not PEM", func(in *Inputs) { in.CA = []byte("hello") }, "CA (mqtt.ca_file): "},
		{"CA is a key", func(in *Inputs) { in.CA = key }, `"PRIVATE KEY", want CERTIFICATE`},
		{"key of another cert", func(in *Inputs) { in.Key = otherKey }, "client certificate and key"},
		{"cert of another key", func(in *Inputs) { in.Cert = otherCert }, "client certificate and key"},
		{"empty password", func(in *Inputs) { in.Password = []byte(" \n") }, "password is empty"},
		{"two-line password", func(in *Inputs) { in.Password = []byte("a\nb\n") }, "more than one line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := good()
			tt.mutate(&in)
			var buf bytes.Buffer
			_, err := Build(&buf, priv, in, testNow)
			if !errors.Is(err, ErrInputs) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want ErrInputs containing %q", err, tt.wantErr)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes despite the error", buf.Len())
			}
		})
	}
	// Expired certificates are refused at bundling time, saying what to do.
	var buf bytes.Buffer
	if _, err := Build(&buf, priv, good(), time.Now().Add(10*365*24*time.Hour)); err == nil || !strings.Contains(err.Error(), "expired") ||
		!strings.Contains(err.Error(), "renew it (docs/deploy.md §2)") {
		t.Errorf("expired cert: err = %v", err)
	}
}

// TestBuildChecksNodeCertificate: node bundle refuses a client
// certificate the broker would refuse or map to another user. An explorer
// bundled c11.pem (CN=s11) for sensor s10: the broker made the node user
// s11 and discarded every publish; and a node.pem of another CA, or valid
// only from 3 h ahead, was bundled and failed only on the node.
func TestBuildChecksNodeCertificate(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	otherCA, _, _ := testPKI(t)
	cfg := nodeConfig("/etc/rfwarden", true)
	customACL := bytes.Replace(cfg, []byte("  username: wing-a-1\n"), []byte("  username: s11\n  custom_acl: true\n"), 1)
	tests := []struct {
		name    string
		edit    func(*x509.Certificate)
		config  []byte
		otherCA bool
		wantErr string // "" accepted
	}{
		{"CN is the sensor ID", func(*x509.Certificate) {}, cfg, false, ""},
		{"CN of another sensor", func(c *x509.Certificate) { c.Subject.CommonName = "s11" }, cfg, false, `its CN is "s11", not the sensor ID "wing-a-1"`},
		// use_identity_as_username takes the CN alone: a DNS SAN naming
		// the sensor leaves the node user "node 10"
		{"DNS SAN is the sensor ID, CN another", func(c *x509.Certificate) { c.Subject.CommonName = "node 10"; c.DNSNames = []string{"x", "wing-a-1"} }, cfg, false, `its CN is "node 10", not the sensor ID "wing-a-1"`},
		{"another CN with custom_acl", func(c *x509.Certificate) { c.Subject.CommonName = "s11" }, customACL, false, ""},
		{"signed by another CA", func(*x509.Certificate) {}, cfg, true, "must be signed by the site CA in mqtt.ca_file"},
		{"server certificate only", func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth} }, cfg, false, "allow client authentication"},
		{"valid from 3 h ahead", func(c *x509.Certificate) { c.NotBefore = testNow.Add(3 * time.Hour) }, cfg, false, "is valid only from 2026-12-01T15:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ca, cert, key := testPKIOf(t, tt.edit)
			if tt.otherCA {
				ca = otherCA
			}
			var buf bytes.Buffer
			_, err := Build(&buf, priv, Inputs{Config: tt.config, CA: ca, Cert: cert, Key: key, Password: []byte("pw\n")}, testNow)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.wantErr != "" && (!errors.Is(err, ErrInputs) || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("err = %v, want ErrInputs containing %q", err, tt.wantErr)
			}
		})
	}
}

// resign replaces the manifest of ms by edit(manifest) signed with priv.
func resign(t *testing.T, ms []member, priv ed25519.PrivateKey, edit func(map[string]any)) []member {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(ms[0].data, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, _ := json.Marshal(m)
	ms[0].data, ms[1].data = b, ed25519.Sign(priv, b)
	return ms
}

func TestTamper(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	otherPub, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	ca, cert, key := testPKI(t)
	full := buildBundle(t, priv, Inputs{Config: nodeConfig("/etc/rfwarden", true), CA: ca, Cert: cert, Key: key, Password: []byte("pw\n")})
	passOnly := buildBundle(t, priv, Inputs{Config: nodeConfig("/etc/rfwarden", false), Password: []byte("pw\n")})
	otherSensor := buildBundle(t, priv, Inputs{Config: bytes.ReplaceAll(nodeConfig("/etc/rfwarden", false), []byte("wing-a-1"), []byte("wing-b-2")), Password: []byte("other\n")})

	flip := func(name string, at int) func(t *testing.T, ms []member) []member {
		return func(t *testing.T, ms []member) []member {
			i := find(ms, name)
			ms[i].data[at%len(ms[i].data)] ^= 0x20
			return ms
		}
	}
	tests := []struct {
		name   string
		bundle []byte
		pub    ed25519.PublicKey
		edit   func(t *testing.T, ms []member) []member
		raw    func() []byte // replaces the whole tar when set
		want   error
	}{
		{name: "untouched", bundle: full},
		{name: "flipped byte in node.yaml", bundle: full, edit: flip(ConfigName, 40), want: ErrHash},
		{name: "flipped byte in key", bundle: full, edit: flip(KeyName, 100), want: ErrHash},
		{name: "flipped byte in manifest", bundle: full, edit: flip(ManifestName, 30), want: ErrSignature},
		{name: "flipped byte in signature", bundle: full, edit: flip(SignatureName, 5), want: ErrSignature},
		{name: "short signature", bundle: full, edit: func(t *testing.T, ms []member) []member { ms[1].data = ms[1].data[:63]; return ms }, want: ErrSignature},
		{name: "wrong key", bundle: full, pub: otherPub, want: ErrSignature},
		{name: "signed by another key", bundle: full, edit: func(t *testing.T, ms []member) []member {
			return resign(t, ms, otherPriv, func(map[string]any) {})
		}, want: ErrSignature},
		{name: "swapped CA and cert", bundle: full, edit: func(t *testing.T, ms []member) []member {
			i, j := find(ms, CAName), find(ms, CertName)
			ms[i].data, ms[j].data = ms[j].data, ms[i].data
			return ms
		}, want: ErrHash},
		{name: "password of another bundle", bundle: passOnly, edit: func(t *testing.T, ms []member) []member {
			other := members(t, otherSensor)
			ms[find(ms, PasswordName)].data = other[find(other, PasswordName)].data
			return ms
		}, want: ErrHash},
		{name: "extra known member", bundle: passOnly, edit: func(t *testing.T, ms []member) []member {
			return append(ms, member{name: CAName, data: ca})
		}, want: ErrUnexpectedMember},
		{name: "extra unknown member", bundle: full, edit: func(t *testing.T, ms []member) []member {
			return append(ms, member{name: "run.sh", data: []byte("#!/bin/sh\n")})
		}, want: ErrUnexpectedMember},
		{name: "missing member", bundle: full, edit: func(t *testing.T, ms []member) []member {
			i := find(ms, PasswordName)
			return append(ms[:i], ms[i+1:]...)
		}, want: ErrMissingMember},
		{name: "missing signature", bundle: full, edit: func(t *testing.T, ms []member) []member { return append(ms[:1], ms[2:]...) }, want: ErrMissingMember},
		{name: "missing manifest", bundle: full, edit: func(t *testing.T, ms []member) []member { return ms[1:] }, want: ErrMissingMember},
		{name: "traversal", bundle: full, edit: func(t *testing.T, ms []member) []member {
			return append(ms, member{name: "../../etc/cron.d/x", data: []byte("x")})
		}, want: ErrUnsafeMember},
		{name: "nested traversal", bundle: full, edit: func(t *testing.T, ms []member) []member {
			ms[2].name = "a/../../" + ConfigName
			return ms
		}, want: ErrUnsafeMember},
		{name: "absolute path", bundle: full, edit: func(t *testing.T, ms []member) []member {
			ms[2].name = "/etc/rfwarden/" + ConfigName
			return ms
		}, want: ErrUnsafeMember},
		{name: "subdirectory", bundle: full, edit: func(t *testing.T, ms []member) []member {
			ms[2].name = "conf/" + ConfigName
			return ms
		}, want: ErrUnsafeMember},
		{name: "backslash path", bundle: full, edit: func(t *testing.T, ms []member) []member {
			ms[2].name = `..\` + ConfigName
			return ms
		}, want: ErrUnsafeMember},
		{name: "symlink", bundle: full, edit: func(t *testing.T, ms []member) []member {
			i := find(ms, KeyName)
			ms[i] = member{name: KeyName, typeflag: '2', link: "/etc/shadow"}
			return ms
		}, want: ErrUnsafeMember},
		{name: "hard link", bundle: full, edit: func(t *testing.T, ms []member) []member {
			i := find(ms, CAName)
			ms[i] = member{name: CAName, typeflag: '1', link: CertName}
			return ms
		}, want: ErrUnsafeMember},
		{name: "directory", bundle: full, edit: func(t *testing.T, ms []member) []member {
			return append([]member{{name: ConfigName, typeflag: '5'}}, ms...)
		}, want: ErrUnsafeMember},
		{name: "duplicate name", bundle: full, edit: func(t *testing.T, ms []member) []member {
			return append(ms, member{name: ConfigName, data: ms[find(ms, ConfigName)].data})
		}, want: ErrDuplicateMember},
		{name: "oversized member", bundle: full, edit: func(t *testing.T, ms []member) []member {
			ms[find(ms, CAName)].data = bytes.Repeat([]byte{'A'}, MaxMemberBytes+1)
			return ms
		}, want: ErrTooLarge},
		{name: "header claims 1 TiB", bundle: full, edit: func(t *testing.T, ms []member) []member {
			// refused from the header, before anything is allocated or read
			return append(ms[:1], member{name: CAName, size: 1 << 40})
		}, want: ErrTooLarge},
		{name: "header claims more than follows", bundle: full, edit: func(t *testing.T, ms []member) []member {
			return append(ms[:1], member{name: CAName, size: MaxMemberBytes})
		}, want: ErrMalformed},
		{name: "oversized bundle", raw: func() []byte { return make([]byte, MaxBundleBytes+1) }, want: ErrTooLarge},
		{name: "truncated", raw: func() []byte { return full[:700] }, want: ErrMalformed},
		{name: "not a tar", raw: func() []byte { return []byte("PK\x03\x04 this is a zip") }, want: ErrMalformed},
		{name: "empty", raw: func() []byte { return nil }, want: ErrMissingMember},
		{name: "manifest unknown field", bundle: full, edit: func(t *testing.T, ms []member) []member {
			return resign(t, ms, priv, func(m map[string]any) { m["run"] = "rm -rf /" })
		}, want: ErrManifest},
		{name: "manifest for another sensor", bundle: full, edit: func(t *testing.T, ms []member) []member {
			return resign(t, ms, priv, func(m map[string]any) { m["sensor"] = "wing-b-2" })
		}, want: ErrManifest},
		{name: "manifest names traversal", bundle: full, edit: func(t *testing.T, ms []member) []member {
			return resign(t, ms, priv, func(m map[string]any) { m["files"].([]any)[1].(map[string]any)["name"] = "../ca.pem" })
		}, want: ErrManifest},
		{name: "manifest relative dir", bundle: full, edit: func(t *testing.T, ms []member) []member {
			return resign(t, ms, priv, func(m map[string]any) { m["dir"] = "etc/rfwarden" })
		}, want: ErrManifest},
		{name: "manifest moves the dir", bundle: full, edit: func(t *testing.T, ms []member) []member {
			return resign(t, ms, priv, func(m map[string]any) { m["dir"] = "/opt/elsewhere" })
		}, want: ErrManifest},
		{name: "manifest without dir", bundle: full, edit: func(t *testing.T, ms []member) []member {
			return resign(t, ms, priv, func(m map[string]any) { delete(m, "dir") })
		}, want: ErrManifest},
		{name: "manifest drops a file", bundle: full, edit: func(t *testing.T, ms []member) []member {
			return resign(t, ms, priv, func(m map[string]any) { m["files"] = m["files"].([]any)[:4] })
		}, want: ErrUnexpectedMember},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var data []byte
			switch {
			case tt.raw != nil:
				data = tt.raw()
			case tt.edit != nil:
				data = writeTar(t, tt.edit(t, members(t, tt.bundle)))
			default:
				data = tt.bundle
			}
			pub := tt.pub
			if pub == nil {
				pub = priv.Public().(ed25519.PublicKey)
			}
			b, err := ReadVerify(bytes.NewReader(data), pub)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("ReadVerify: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if b != nil {
				t.Error("a Bundle came back with the error")
			}
		})
	}
}

func TestInstallGuards(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "rfwarden")
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	bundle := buildBundle(t, priv, Inputs{Config: nodeConfig(dir, false), Password: []byte("pw\n")})
	b, err := ReadVerify(bytes.NewReader(bundle), priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Install(&Bundle{Manifest: b.Manifest, Files: b.Files}, dir, InstallOptions{}); err == nil || !strings.Contains(err.Error(), "not verified") {
		t.Errorf("unverified bundle: err = %v", err)
	}
	if _, err := Install(b, filepath.Join(root, "elsewhere"), InstallOptions{}); !errors.Is(err, ErrDirMismatch) {
		t.Errorf("other dir: err = %v, want ErrDirMismatch", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("refused installs created %s", dir)
	}

	// An existing symlink at a destination is replaced, never followed.
	os.MkdirAll(dir, 0o755)
	outside := filepath.Join(root, "outside.txt")
	os.WriteFile(outside, []byte("keep"), 0o644)
	if err := os.Symlink(outside, filepath.Join(dir, PasswordName)); err != nil {
		t.Fatal(err)
	}
	if _, err := Install(b, dir, InstallOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(outside); string(got) != "keep" {
		t.Errorf("symlink target overwritten: %q", got)
	}
	st, err := os.Lstat(filepath.Join(dir, PasswordName))
	if err != nil || !st.Mode().IsRegular() || st.Mode().Perm() != 0o600 {
		t.Errorf("mqtt.pass = %v, %v; want regular 0600 file", st.Mode(), err)
	}

	// A failed write leaves neither new nor temporary files behind.
	ro := filepath.Join(root, "ro")
	os.MkdirAll(ro, 0o555)
	if os.Geteuid() != 0 {
		b2 := buildBundle(t, priv, Inputs{Config: nodeConfig(ro, false), Password: []byte("pw\n")})
		bv, err := ReadVerify(bytes.NewReader(b2), priv.Public().(ed25519.PublicKey))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Install(bv, ro, InstallOptions{}); err == nil {
			t.Error("install into a read-only dir succeeded")
		}
		if entries, _ := os.ReadDir(ro); len(entries) != 0 {
			t.Errorf("read-only dir holds %d entries", len(entries))
		}
	}
}

// TestInstallOverAnotherInstall: a bundle installed over an earlier one
// replaces the node's files; one of another site or sensor is refused
// unless forced (it used to switch the node's identity silently), and the
// earlier bundle's files the new one lacks (a private key) are removed
// (they used to stay behind).
func TestInstallOverAnotherInstall(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	pub := priv.Public().(ed25519.PublicKey)
	tlsFiles := []string{ConfigName, CAName, CertName, KeyName, PasswordName}
	pwFiles := []string{ConfigName, PasswordName}
	tests := []struct {
		name         string
		site, sensor string
		tls          bool
		force        bool
		wantErr      string   // "" = installed
		wantFiles    []string // in the dir afterwards
		wantRemoved  []string
		wantReplaced *Node
	}{
		{"key rotation of the same node", "hmp-north", "wing-a-1", true, false, "", tlsFiles, nil, nil},
		{"same node, password only now", "hmp-north", "wing-a-1", false, false, "", pwFiles,
			[]string{CAName, CertName, KeyName}, nil},
		{"another sensor", "hmp-north", "wing-b-7", false, false,
			"holds sensor wing-a-1 of site hmp-north, the bundle is sensor wing-b-7 of site hmp-north", tlsFiles, nil, nil},
		{"another site", "hmp-south", "wing-a-1", true, false,
			"holds sensor wing-a-1 of site hmp-north, the bundle is sensor wing-a-1 of site hmp-south", tlsFiles, nil, nil},
		{"another sensor, forced", "hmp-north", "wing-b-7", false, true, "", pwFiles,
			[]string{CAName, CertName, KeyName}, &Node{Site: "hmp-north", Sensor: "wing-a-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "rfwarden")
			ca, cert, key := testPKI(t)
			install := func(in Inputs, opt InstallOptions) (Installed, error) {
				t.Helper()
				b, err := ReadVerify(bytes.NewReader(buildBundle(t, priv, in)), pub)
				if err != nil {
					t.Fatal(err)
				}
				return Install(b, dir, opt)
			}
			first := Inputs{Config: nodeConfig(dir, true), CA: ca, Cert: cert, Key: key, Password: []byte("pw1\n")}
			if _, err := install(first, InstallOptions{}); err != nil {
				t.Fatalf("first install: %v", err)
			}
			second := Inputs{Config: nodeConfigOf(tt.site, tt.sensor, dir, tt.tls), Password: []byte("pw2\n")}
			if tt.tls {
				second.CA, second.Cert, second.Key = testPKI(t)
			}
			got, err := install(second, InstallOptions{Force: tt.force})
			switch {
			case tt.wantErr != "" && (err == nil || !errors.Is(err, ErrOtherNode) || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("err = %v, want ErrOtherNode containing %q", err, tt.wantErr)
			case tt.wantErr == "" && err != nil:
				t.Fatalf("second install: %v", err)
			}
			var names []string
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				names = append(names, e.Name())
			}
			slices.Sort(names)
			want := slices.Sorted(slices.Values(tt.wantFiles))
			if !slices.Equal(names, want) {
				t.Errorf("dir holds %v, want %v", names, want)
			}
			cfg, _ := os.ReadFile(filepath.Join(dir, ConfigName))
			wantCfg, wantPW := second.Config, "pw2\n"
			if tt.wantErr != "" {
				wantCfg, wantPW = first.Config, "pw1\n"
			}
			if !bytes.Equal(cfg, wantCfg) {
				t.Errorf("node.yaml:\n%s\nwant:\n%s", cfg, wantCfg)
			}
			if pw, _ := os.ReadFile(filepath.Join(dir, PasswordName)); string(pw) != wantPW {
				t.Errorf("mqtt.pass = %q, want %q", pw, wantPW)
			}
			var removed []string
			for _, p := range got.Removed {
				removed = append(removed, filepath.Base(p))
			}
			if !slices.Equal(removed, tt.wantRemoved) {
				t.Errorf("Removed = %v, want %v", removed, tt.wantRemoved)
			}
			if (got.Replaced == nil) != (tt.wantReplaced == nil) || (got.Replaced != nil && *got.Replaced != *tt.wantReplaced) {
				t.Errorf("Replaced = %v, want %v", got.Replaced, tt.wantReplaced)
			}
		})
	}
}

// TestInstallUnreadableConfig: a node.yaml in the dir whose site and
// sensor cannot be read may be another node's: refused unless forced.
func TestInstallUnreadableConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rfwarden")
	os.MkdirAll(dir, 0o750)
	os.WriteFile(filepath.Join(dir, ConfigName), []byte("site: [\n"), 0o644)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	b, err := ReadVerify(bytes.NewReader(buildBundle(t, priv, Inputs{Config: nodeConfig(dir, false), Password: []byte("pw\n")})), priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Install(b, dir, InstallOptions{}); !errors.Is(err, ErrOtherNode) {
		t.Errorf("err = %v, want ErrOtherNode", err)
	}
	if _, err := Install(b, dir, InstallOptions{Force: true}); err != nil {
		t.Errorf("forced: %v", err)
	}
}

// TestInstallCreatesDir0750: a missing install dir is created 0750, as
// docs/deploy.md sets /etc/rfwarden up (it was 0755): others cannot look
// in, whatever the umask.
func TestInstallCreatesDir0750(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rfwarden")
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	b, err := ReadVerify(bytes.NewReader(buildBundle(t, priv, Inputs{Config: nodeConfig(dir, false), Password: []byte("pw\n")})), priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Install(b, dir, InstallOptions{}); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm()&^0o750 != 0 {
		t.Errorf("install dir mode %v (err %v), want 0750 or less", st.Mode().Perm(), err)
	}
}

// TestVerifyErrorsSayWhatToDo: a wrong public key names the key and site
// the manifest claims and which --pub to give; a bad signature from the
// right key's manifest says the bundle changed; a bundle cut short, in a
// member or in a header, says to copy it again (until 2026-12-07 "not
// signed by key ..." and "unexpected EOF" alone).
func TestVerifyErrorsSayWhatToDo(t *testing.T) {
	priv := seedKey()
	otherPub, _, _ := ed25519.GenerateKey(rand.Reader)
	full := buildBundle(t, priv, Inputs{Config: nodeConfig("/etc/rfwarden", false), Password: []byte("pw\n")})
	tests := []struct {
		name string
		data []byte
		pub  ed25519.PublicKey
		want string
	}{
		{"wrong key", full, otherPub, fmt.Sprintf("bundle signature invalid: not signed by key %s, the bundle's manifest says key %q of site \"hmp-north\": give --pub the site's site.pub from the central host",
			KeyID(otherPub), KeyID(priv.Public().(ed25519.PublicKey)))},
		{"signature damaged", writeTar(t, func() []member {
			ms := members(t, full)
			ms[find(ms, SignatureName)].data[5] ^= 0x20
			return ms
		}()), priv.Public().(ed25519.PublicKey), fmt.Sprintf("bundle signature invalid: the manifest names key %s, this --pub, but it or its signature changed after signing, or is damaged: copy the bundle again from where it was made, or make it again (rfwarden node bundle)",
			KeyID(priv.Public().(ed25519.PublicKey)))},
		{"cut in a member", full[:700], priv.Public().(ed25519.PublicKey), "malformed bundle: member \"manifest.json\": unexpected EOF: copy the bundle again"},
		{"cut in a header", full[:100], priv.Public().(ed25519.PublicKey), "malformed bundle: member 0: unexpected EOF: copy the bundle again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadVerify(bytes.NewReader(tt.data), tt.pub)
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v\nwant    %s", err, tt.want)
			}
		})
	}
}
