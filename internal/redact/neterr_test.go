package redact

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestNetError: a connection's failure is said in words that name no
// address, host or port, whatever the address in the error's text; an
// error that is no network failure gives "". The errors are real ones
// (dialling 127.0.0.1 where nothing listens, a TLS server with a
// certificate nobody trusts) or built as net and crypto/tls build them.
func TestNetError(t *testing.T) {
	refused := func() error {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		_, err = net.DialTimeout("tcp", addr, time.Second)
		return err
	}()
	untrusted := func() error {
		srv := newTLSServer(t)
		c, err := tls.Dial("tcp", srv, &tls.Config{})
		if err == nil {
			c.Close()
		}
		return err
	}()
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"refused, wrapped", fmt.Errorf("dial broker: %w", refused), "connection refused"},
		{"host not found", &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "broker.hmp-north.example", IsNotFound: true}}, "host not found"},
		{"certificate not trusted", untrusted, "TLS certificate not trusted"},
		{"deadline", fmt.Errorf("write to 10.1.2.3:8086: %w", context.DeadlineExceeded), "timed out"},
		{"i/o timeout", &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 1883}, Err: timeoutErr{}}, "timed out"},
		{"EOF", fmt.Errorf("read from 10.1.2.3:1883: %w", io.EOF), "connection closed"},
		{"not a network error", errors.New("user rfw at 10.1.2.3:1883: something else"), ""},
		{"nil", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil && tc.name != "nil" {
				t.Fatal("no error to judge")
			}
			got := NetError(tc.err)
			if got != tc.want {
				t.Errorf("NetError(%v) = %q, want %q", tc.err, got, tc.want)
			}
			for _, hidden := range []string{"127.0.0.1", "10.1.2.3", "broker", ":"} {
				if strings.Contains(got, hidden) {
					t.Errorf("NetError(%v) = %q: shows %q", tc.err, got, hidden)
				}
			}
		})
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// newTLSServer starts an HTTPS server on loopback with httptest's own
// certificate, which no client trusts, and returns its address.
func newTLSServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}
