package agent

import (
	"net"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/probeserver"
	"github.com/rfwarden/rfwarden/internal/probeserver/probetest"
)

// TestHealthzServerLetsHostileClientsGo: the node's /healthz server
// (http_addr) lets go of a client that announces a body and never sends
// it, or leaves a kept-alive connection idle: it had only
// ReadHeaderTimeout, and each such client held a connection and a
// goroutine for ever.
func TestHealthzServerLetsHostileClientsGo(t *testing.T) {
	lim := probeserver.Limits{ReadHeader: 200 * time.Millisecond, Read: 300 * time.Millisecond,
		Write: time.Second, Idle: 300 * time.Millisecond, MaxHeaderBytes: 1 << 10}
	a, err := New(testConfig(t), Deps{Source: newSynth(nil, 0), Pipeline: &everyPipeline{}, HTTPLimits: lim})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := a.serveOn(l)
	t.Cleanup(func() { srv.Close() })
	probetest.Hostile(t, l.Addr().String(), "/healthz", lim)
}
