package probeserver_test

import (
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/probeserver"
	"github.com/rfwarden/rfwarden/internal/probeserver/probetest"
)

// TestProbeServerLetsHostileClientsGo: a server New builds lets go of a
// client that announces a body and never sends it, leaves a kept-alive
// connection idle, or sends headers that never end or are too large.
// Fusion's and the sensor's probe servers had only ReadHeaderTimeout:
// the first two held a connection and a goroutine for ever.
func TestProbeServerLetsHostileClientsGo(t *testing.T) {
	lim := probeserver.Limits{ReadHeader: 200 * time.Millisecond, Read: 300 * time.Millisecond,
		Write: time.Second, Idle: 300 * time.Millisecond, MaxHeaderBytes: 1 << 10}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	srv := probeserver.New(mux, lim)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	probetest.Hostile(t, l.Addr().String(), "/healthz", lim)
}

// TestProbeServerDefaults: zero limits take Defaults', each set.
func TestProbeServerDefaults(t *testing.T) {
	d := probeserver.Defaults()
	srv := probeserver.New(http.NotFoundHandler(), probeserver.Limits{Read: time.Second})
	got := probeserver.Limits{ReadHeader: srv.ReadHeaderTimeout, Read: srv.ReadTimeout, Write: srv.WriteTimeout,
		Idle: srv.IdleTimeout, MaxHeaderBytes: srv.MaxHeaderBytes}
	want := d
	want.Read = time.Second
	want.MaxConns = 0 // LimitListener's, not the server's
	if got != want {
		t.Errorf("New with Read 1s: %+v, want %+v", got, want)
	}
	if d.ReadHeader <= 0 || d.Read <= 0 || d.Write <= 0 || d.Idle <= 0 || d.MaxHeaderBytes <= 0 || d.MaxConns <= 0 {
		t.Errorf("Defaults leaves a limit unset: %+v", d)
	}
}
