package probeserver

import (
	"bytes"
	"log/slog"
	"net"
	"strings"
	"testing"
)

// TestWarnIfOpen: a probe listening beyond loopback is warned of, naming
// who and where; one on 127.0.0.1 is not. (The addresses are a fake
// listener's: tests listen on loopback only.)
func TestWarnIfOpen(t *testing.T) {
	for _, tc := range []struct {
		ip   string
		warn bool
	}{{"127.0.0.1", false}, {"::1", false}, {"0.0.0.0", true}, {"192.0.2.7", true}} {
		var logs bytes.Buffer
		WarnIfOpen(slog.New(slog.NewTextHandler(&logs, nil)), "fusion", addrListener{&net.TCPAddr{IP: net.ParseIP(tc.ip), Port: 9465}})
		got := strings.Contains(logs.String(), "level=WARN") && strings.Contains(logs.String(), "fusion: /healthz and /metrics are served without a login")
		if got != tc.warn {
			t.Errorf("%s: logged %q, want a warning: %v", tc.ip, logs.String(), tc.warn)
		}
	}
}

// addrListener is a listener that only has an address.
type addrListener struct{ addr net.Addr }

func (addrListener) Accept() (net.Conn, error) { return nil, net.ErrClosed }
func (addrListener) Close() error              { return nil }
func (l addrListener) Addr() net.Addr          { return l.addr }
