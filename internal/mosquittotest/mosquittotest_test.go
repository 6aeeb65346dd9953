package mosquittotest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

func TestStartAcceptsConnections(t *testing.T) {
	b := Start(t)
	addr, ok := strings.CutPrefix(b.URL, "tcp://127.0.0.1:")
	if !ok || addr == "" {
		t.Fatalf("URL %q is not a loopback tcp URL", b.URL)
	}
	c, err := net.Dial("tcp", strings.TrimPrefix(b.URL, "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if s := b.Stderr(); strings.Contains(s, "Error") {
		t.Errorf("broker logged errors: %s", s)
	}
}

func TestConfig(t *testing.T) {
	c := Config("1884", "/x")
	for _, want := range []string{"listener 1884 127.0.0.1\n", "persistence_location /x/\n", "max_inflight_messages 100\n", "max_queued_messages 100000\n", "allow_anonymous true\n"} {
		if !strings.Contains(c, want) {
			t.Errorf("config lacks %q:\n%s", want, c)
		}
	}
}

// TestStartTLS: a broker started with a self-signed certificate serves
// TLS with it: a client trusting the certificate completes the
// handshake, one with the system's roots is refused as not trusted.
func TestStartTLS(t *testing.T) {
	cert, key, pool := SelfSignedCert(t)
	b := StartTLS(t, cert, key)
	addr, ok := strings.CutPrefix(b.URL, "ssl://")
	if !ok || !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("URL %q is not a loopback ssl URL", b.URL)
	}
	for _, tc := range []struct {
		name    string
		roots   *x509.CertPool
		trusted bool
	}{
		{"trusting the certificate", pool, true},
		{"the system's roots", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{RootCAs: tc.roots})
			if err == nil {
				c.Close()
			}
			var unknown x509.UnknownAuthorityError
			var verify *tls.CertificateVerificationError
			switch {
			case tc.trusted && err != nil:
				t.Errorf("handshake: %v, want it done", err)
			case !tc.trusted && !errors.As(err, &unknown) && !errors.As(err, &verify):
				t.Errorf("handshake: %v, want the certificate not trusted", err)
			}
		})
	}
}
