package provision

import (
	"archive/tar"
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"testing"
	"time"
)

// testNow stamps every bundle built by the tests.
var testNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// seedKey is the fixed signing key of the fuzz seeds.
func seedKey() ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
}

// nodeConfig returns a valid node.yaml of sensor wing-a-1 of site
// hmp-north whose MQTT files live in dir; with tls false it names only a
// password file.
func nodeConfig(dir string, tls bool) []byte { return nodeConfigOf("hmp-north", "wing-a-1", dir, tls) }

// nodeConfigOf is nodeConfig for another site and sensor.
func nodeConfigOf(site, sensor, dir string, tls bool) []byte {
	s := fmt.Sprintf(`site: %[1]s
sensor: %[2]s
mqtt:
  url: ssl://broker.local:8883
  username: %[2]s
  password_file: %[3]s/mqtt.pass
`, site, sensor, dir)
	if tls {
		s += fmt.Sprintf("  ca_file: %[1]s/ca.pem\n  cert_file: %[1]s/node.pem\n  key_file: %[1]s/node-key.pem\n", dir)
	}
	return []byte(s + `outbox:
  dir: /var/lib/rfwarden/outbox
source:
  kind: hackrf
bands:
  - {name: gsm900-ul, low_hz: 880e6, high_hz: 915e6}
`)
}

// testPKI returns PEM of a CA, a client certificate signed by it and the
// client's PKCS#8 key, valid around testNow and now.
func testPKI(t testing.TB) (ca, cert, key []byte) {
	t.Helper()
	return testPKIOf(t, func(*x509.Certificate) {})
}

// testPKIOf is testPKI with the client certificate's template changed by
// edit before it is signed.
func testPKIOf(t testing.TB, edit func(*x509.Certificate)) (ca, cert, key []byte) {
	t.Helper()
	from, until := testNow.Add(-24*time.Hour), time.Now().Add(365*24*time.Hour)
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rfwarden test CA"},
		NotBefore: from, NotAfter: until, IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	nodeKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "wing-a-1"},
		NotBefore: from, NotAfter: until, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	edit(tmpl)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &nodeKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(nodeKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}

// member is one tar entry for building hand-made (tampered) bundles.
type member struct {
	name     string
	typeflag byte
	data     []byte
	link     string
	size     int64 // header size when data is nil and size > 0 (lying headers)
}

// members lists the entries of a bundle tar in order.
func members(t testing.TB, bundle []byte) []member {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(bundle))
	var ms []member
	for {
		hdr, err := tr.Next()
		if err != nil {
			break
		}
		var buf bytes.Buffer
		buf.ReadFrom(tr)
		ms = append(ms, member{name: hdr.Name, typeflag: hdr.Typeflag, data: buf.Bytes(), link: hdr.Linkname})
	}
	return ms
}

// writeTar builds a tar of ms.
func writeTar(t testing.TB, ms []member) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range ms {
		typ := m.typeflag
		if typ == 0 {
			typ = tar.TypeReg
		}
		hdr := &tar.Header{Name: m.name, Typeflag: typ, Linkname: m.link, Mode: 0o600, ModTime: testNow}
		lying := typ == tar.TypeReg && m.data == nil && m.size > 0
		if typ == tar.TypeReg {
			hdr.Size = int64(len(m.data))
			if lying {
				hdr.Size = m.size
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("tar header %q: %v", m.name, err)
		}
		if lying {
			// the header claims m.size bytes and none follow: the tar ends
			// here, as a hostile or cut-off bundle would
			return buf.Bytes()
		}
		if typ == tar.TypeReg {
			tw.Write(m.data)
		}
	}
	tw.Close()
	return buf.Bytes()
}

// find returns the index of name in ms, or -1.
func find(ms []member, name string) int {
	for i, m := range ms {
		if m.name == name {
			return i
		}
	}
	return -1
}

func buildBundle(t testing.TB, priv ed25519.PrivateKey, in Inputs) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := Build(&buf, priv, in, testNow); err != nil {
		t.Fatalf("Build: %v", err)
	}
	return buf.Bytes()
}
