package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCmdSensorCheckMQTTFiles: --check (the unit's ExecStartPre) opens
// node.yaml's MQTT files as the user it runs as, and makes sure the
// outbox folder can be written, naming the key of each failure; it passed
// a config whose password file was missing, and the service failed at
// start with "read password file: ... no such file or directory" in a
// restart loop. The permission rows need a user other than root (root
// reads anything); a directory where a file should be stands for an
// unreadable file there. A certificate outside its validity period is a
// note, the CN and chain still checked: until 2026-12-07 --check failed
// on it, and a lapsed certificate or a clock behind at boot stopped the
// sensor service (ExecStartPre) that would have detected into its outbox.
func TestCmdSensorCheckMQTTFiles(t *testing.T) {
	const TLS = "url: ssl://127.0.0.1:18402\n  username: s1\n  password_file: %[1]s/mqtt.pass\n  ca_file: %[1]s/ca.pem\n  cert_file: %[1]s/node.pem\n  key_file: %[1]s/node-key.pem"
	for _, tc := range []struct {
		name    string
		root    bool // the row means nothing as root
		mqtt    string
		outbox  string // "" the default under the test dir
		prepare func(t *testing.T, dir string)
		pki     func(caTmpl, tmpl *x509.Certificate) // changes the certificates, CN s1 otherwise
		want    []string                             // "" in want: ok
		note    []string                             // ok, with a note saying these
	}{
		{name: "good, password", mqtt: "username: s1\n  password_file: %[1]s/mqtt.pass"},
		{name: "good, TLS files", mqtt: TLS},
		{name: "password file missing", mqtt: "username: s1\n  password_file: %[1]s/missing.pass", want: []string{"mqtt.password_file", "no such file"}},
		{name: "password file a directory", mqtt: "username: s1\n  password_file: %[1]s", want: []string{"mqtt.password_file"}},
		{name: "password file unreadable", root: true, mqtt: "username: s1\n  password_file: %[1]s/mqtt.pass",
			prepare: func(t *testing.T, dir string) { os.Chmod(filepath.Join(dir, "mqtt.pass"), 0) }, want: []string{"mqtt.password_file", "permission denied"}},
		{name: "password file empty", mqtt: "username: s1\n  password_file: %[1]s/mqtt.pass",
			prepare: func(t *testing.T, dir string) { os.WriteFile(filepath.Join(dir, "mqtt.pass"), nil, 0o600) }, want: []string{"mqtt.password_file", "empty"}},
		{name: "CA missing", mqtt: "url: ssl://127.0.0.1:18402\n  ca_file: %[1]s/nope.pem", want: []string{"mqtt.ca_file", "no such file"}},
		{name: "CA not PEM", mqtt: "url: ssl://127.0.0.1:18402\n  ca_file: %[1]s/mqtt.pass", want: []string{"mqtt.ca_file", "no PEM certificates"}},
		{name: "key missing", mqtt: "url: ssl://127.0.0.1:18402\n  cert_file: %[1]s/node.pem\n  key_file: %[1]s/gone.pem", want: []string{"mqtt.key_file", "no such file"}},
		{name: "certificate missing", mqtt: "url: ssl://127.0.0.1:18402\n  cert_file: %[1]s/gone.pem\n  key_file: %[1]s/node-key.pem", want: []string{"mqtt.cert_file", "no such file"}},
		{name: "certificate not the key's", mqtt: "url: ssl://127.0.0.1:18402\n  cert_file: %[1]s/ca.pem\n  key_file: %[1]s/node-key.pem", want: []string{"mqtt.cert_file", "mqtt.key_file"}},
		// A certificate the broker would refuse, or take for another
		// sensor's user (use_identity_as_username): --check said ok until
		// 2026-12-07, as did node bundle for all but an expired one.
		{name: "certificate of another sensor", mqtt: TLS, pki: func(_, c *x509.Certificate) { c.Subject.CommonName = "s11" },
			want: []string{"mqtt.cert_file", `its CN is "s11", not the sensor ID "s1"`}},
		{name: "certificate of another sensor, custom_acl", mqtt: TLS + "\n  custom_acl: true", pki: func(_, c *x509.Certificate) { c.Subject.CommonName = "s11" }},
		{name: "certificate naming the sensor in a DNS SAN only", mqtt: TLS, pki: func(_, c *x509.Certificate) { c.Subject.CommonName = "node 1"; c.DNSNames = []string{"s1"} },
			want: []string{"mqtt.cert_file", `its CN is "node 1", not the sensor ID "s1"`}},
		{name: "certificate of another CA", mqtt: TLS, prepare: otherCA,
			want: []string{"mqtt.cert_file", "must be signed by the site CA in mqtt.ca_file"}},
		{name: "certificate expired", mqtt: TLS, pki: func(_, c *x509.Certificate) { c.NotAfter = time.Now().Add(-time.Minute) },
			note: []string{"note: client certificate (mqtt.cert_file)", "expired on", "renew it (docs/deploy.md §2)", "the broker refuses this node's TLS connection", "keeps its detections in outbox.dir"}},
		{name: "certificate valid from 3 h ahead", mqtt: TLS, pki: func(_, c *x509.Certificate) { c.NotBefore = time.Now().Add(3 * time.Hour) },
			note: []string{"note: client certificate (mqtt.cert_file)", "is valid only from", "check this host's clock", "sends them once it connects"}},
		{name: "CA expired", mqtt: TLS, pki: func(ca, _ *x509.Certificate) { ca.NotAfter = time.Now().Add(-time.Minute) },
			note: []string{"note: CA (mqtt.ca_file)", "expired on", "renew it"}},
		{name: "certificate expired, of another sensor", mqtt: TLS, pki: func(_, c *x509.Certificate) { c.NotAfter = time.Now().Add(-time.Minute); c.Subject.CommonName = "s11" },
			want: []string{"mqtt.cert_file", `its CN is "s11", not the sensor ID "s1"`}},
		{name: "certificate valid from 3 h ahead, of another CA", mqtt: TLS, pki: func(_, c *x509.Certificate) { c.NotBefore = time.Now().Add(3 * time.Hour) }, prepare: otherCA,
			want: []string{"mqtt.cert_file", "must be signed by the site CA in mqtt.ca_file"}},
		{name: "CA expired before the certificate began", mqtt: TLS, pki: func(ca, c *x509.Certificate) {
			ca.NotAfter = time.Now().Add(-time.Minute)
			c.NotBefore = time.Now().Add(-time.Second)
		}, want: []string{"mqtt.ca_file", "expired on"}},
		{name: "outbox to be created", outbox: "%[1]s/new/outbox"},
		{name: "outbox under a file", outbox: "%[1]s/mqtt.pass/outbox", want: []string{"outbox.dir", "not a directory"}},
		{name: "outbox not writable", root: true, outbox: "%[1]s/ro/outbox",
			prepare: func(t *testing.T, dir string) { os.Mkdir(filepath.Join(dir, "ro"), 0o500) }, want: []string{"outbox.dir", "permission denied"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.root && os.Geteuid() == 0 {
				t.Skip("root reads and writes whatever the modes say")
			}
			dir := t.TempDir()
			nodePKIOf(t, dir, func(caTmpl, tmpl *x509.Certificate) {
				tmpl.Subject.CommonName = "s1"
				if tc.pki != nil {
					tc.pki(caTmpl, tmpl)
				}
			})
			if err := os.WriteFile(filepath.Join(dir, "mqtt.pass"), []byte("correct horse\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if tc.prepare != nil {
				tc.prepare(t, dir)
			}
			extra := ""
			if tc.mqtt != "" {
				extra = "mqtt:\n  " + fmt.Sprintf(tc.mqtt, dir) + "\n"
			}
			p := writeSensorConfig(t, extra)
			if tc.outbox != "" {
				body, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				lines := strings.SplitN(string(body), "\n", 4)
				lines[2] = fmt.Sprintf("outbox: {dir: %q}", fmt.Sprintf(tc.outbox, dir))
				if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			var out bytes.Buffer
			err := run(context.Background(), []string{"sensor", "--check", "--config", p}, &out, &bytes.Buffer{})
			if len(tc.want) == 0 {
				if err != nil || !strings.Contains(out.String(), "ok") {
					t.Errorf("--check: %v (stdout %q), want ok", err, out.String())
				}
				for _, n := range tc.note {
					if !strings.Contains(out.String(), n) {
						t.Errorf("--check printed %q, want a note containing %q", out.String(), n)
					}
				}
				if len(tc.note) == 0 && strings.Contains(out.String(), "(mqtt.") {
					t.Errorf("--check printed %q, want no note on the certificates", out.String())
				}
				if tc.outbox != "" {
					if _, err := os.Stat(fmt.Sprintf(tc.outbox, dir)); err == nil {
						t.Errorf("--check created the outbox %s", tc.outbox)
					}
				}
				return
			}
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("--check: %v, want an error containing %q", err, w)
				}
			}
		})
	}
}

// otherCA replaces dir's ca.pem by the CA of another PKI.
func otherCA(t *testing.T, dir string) {
	t.Helper()
	ca, _, _ := nodePKI(t, t.TempDir())
	b, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestNodeBundleRefusesCertDates: node bundle still refuses a client
// certificate outside its validity period, which sensor --check only
// notes (TestCmdSensorCheckMQTTFiles): a bundle is made to be installed
// now, and one with a lapsed certificate would never connect.
func TestNodeBundleRefusesCertDates(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(c *x509.Certificate)
		want string
	}{
		{"expired", func(c *x509.Certificate) { c.NotAfter = time.Now().Add(-time.Minute) }, "expired on"},
		{"valid from 3 h ahead", func(c *x509.Certificate) { c.NotBefore = time.Now().Add(3 * time.Hour) }, "is valid only from"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newProvisionFixture(t)
			nodePKIOf(t, filepath.Dir(f.cert), func(_, c *x509.Certificate) { tc.edit(c) })
			err := f.bundle(t, filepath.Join(f.root, "node.tar"))
			if err == nil || !strings.Contains(err.Error(), "client certificate (mqtt.cert_file)") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("bundle: %v, want it refused: %q", err, tc.want)
			}
		})
	}
}
