package mosquittotest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Broker is a running mosquitto.
type Broker struct {
	// URL is the broker's address for paho, tcp://127.0.0.1:port
	// (ssl:// from StartTLS).
	URL string

	cmd    *exec.Cmd
	exited chan struct{}
	mu     sync.Mutex
	stderr strings.Builder
}

// Bin returns the mosquitto binary, or "" when it is not installed.
func Bin() string {
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/mosquitto"); err == nil {
		return "/usr/sbin/mosquitto"
	}
	return ""
}

// Config returns the broker configuration for port with persistence in dir:
// deploy/mosquitto's limits (max_queued_messages 100000, max_queued_bytes
// 256 MiB, max_inflight_messages 100, persistent_client_expiration 7d,
// autosave every 10 s) without TLS
// and authentication. Running as root, the broker keeps root (it would
// otherwise drop to the mosquitto user and could not write dir).
func Config(port, dir string) string {
	user := ""
	if os.Getuid() == 0 {
		user = "user root\n"
	}
	return fmt.Sprintf(`%sper_listener_settings false
persistence true
persistence_location %s/
autosave_on_changes false
autosave_interval 10
log_dest stderr
log_type error
log_type warning
allow_anonymous true
max_queued_messages 100000
max_queued_bytes 268435456
max_inflight_messages 100
persistent_client_expiration 7d
listener %s 127.0.0.1
`, user, dir, port)
}

// Start runs mosquitto on a free loopback port and waits (at most 10 s)
// until it accepts connections. It skips the test when mosquitto is not
// installed.
func Start(t testing.TB) *Broker {
	t.Helper()
	return start(t, "tcp", "")
}

// StartTLS is Start with the listener serving MQTT over TLS only, with
// the certificate and private key in the PEM files certFile and keyFile
// (URL is ssl://127.0.0.1:port), and the broker logging at notice level
// too: each connection it accepts ("New connection from ...") and each
// client whose CONNECT it takes ("New client connected from ..."), so a
// test can tell a TLS handshake that failed from a client that got in.
// The readiness check is a TCP connection, with no handshake.
func StartTLS(t testing.TB, certFile, keyFile string) *Broker {
	t.Helper()
	return start(t, "ssl", fmt.Sprintf("certfile %s\nkeyfile %s\nlog_type notice\n", certFile, keyFile))
}

// start runs mosquitto with Config and extra (listener settings, after
// the listener line) and URL scheme://127.0.0.1:port.
func start(t testing.TB, scheme, extra string) *Broker {
	t.Helper()
	bin := Bin()
	if bin == "" {
		t.Skip("mosquitto not installed: run scripts/install-deps.sh")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mosquittotest: pick a port: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	dir := t.TempDir()
	conf := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(conf, []byte(Config(port, dir)+extra), 0o600); err != nil {
		t.Fatalf("mosquittotest: %v", err)
	}
	b := &Broker{URL: scheme + "://" + addr, exited: make(chan struct{})}
	b.cmd = exec.Command(bin, "-c", conf)
	b.cmd.Stderr = writerFunc(func(p []byte) (int, error) {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.stderr.Write(p)
	})
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("mosquittotest: start %s: %v", bin, err)
	}
	go func() { b.cmd.Wait(); close(b.exited) }() // exits with the process
	t.Cleanup(b.stop)
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return b
		}
		select {
		case <-b.exited:
			t.Fatalf("mosquittotest: mosquitto exited: %s", b.Stderr())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("mosquittotest: mosquitto did not listen on %s: %s", addr, b.Stderr())
		}
	}
}

// Stderr returns what the broker has logged (errors and warnings).
func (b *Broker) Stderr() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stderr.String()
}

func (b *Broker) stop() {
	b.cmd.Process.Kill()
	<-b.exited
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// SelfSignedCert writes a self-signed certificate for 127.0.0.1 (ECDSA
// P-256, valid from an hour ago to a day from now) and its private key
// as PEM files in a temporary directory of t's, for StartTLS, and
// returns a pool holding the certificate: a client with it as its roots
// trusts the broker; one without it (the system's roots) does not.
func SelfSignedCert(t testing.TB) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("mosquittotest: key: %v", err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rfwarden test broker"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("mosquittotest: certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("mosquittotest: certificate: %v", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatalf("mosquittotest: key: %v", err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "broker.crt"), filepath.Join(dir, "broker.key")
	for name, b := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "EC PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(name, pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatalf("mosquittotest: %v", err)
		}
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// UntrustedTLS listens on 127.0.0.1 with TLS under a fresh self-signed
// certificate (SelfSignedCert), completes each handshake a client makes
// and closes the connection, until t ends; it returns the address. A
// client with the system's roots refuses the certificate: its "certificate
// signed by unknown authority" error, and the hint a service gives with
// it, is what a test of that looks for, without a broker.
func UntrustedTLS(t testing.TB) string {
	t.Helper()
	certFile, keyFile, _ := SelfSignedCert(t)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatalf("mosquittotest: %v", err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatalf("mosquittotest: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake() // the client refuses the certificate
			c.Close()
		}
	}()
	return ln.Addr().String()
}
