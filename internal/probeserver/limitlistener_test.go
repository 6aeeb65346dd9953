package probeserver_test

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/probeserver"
)

// wait bounds each step of TestProbeServerCapsConnections that waits for
// something to happen: a bound on the test, not a claim about speed.
const wait = 5 * time.Second

// TestProbeServerCapsConnections: a server on LimitListener holds at most
// MaxConns connections open at once. Clients past the cap are not taken
// (they wait in the kernel's accept queue) until one of those taken
// closes; then a waiting health check is answered. Closing the server
// while Accept waits at the cap ends Serve, and the server leaves no
// goroutine behind. Fusion's and the sensor's probe servers bounded each
// connection's time but not how many a flood of fresh ones opened.
func TestProbeServerCapsConnections(t *testing.T) {
	for _, tc := range []struct {
		name     string
		maxConns int
	}{
		{"cap of one", 1},
		{"cap of three", 3},
	} {
		t.Run(tc.name, func(t *testing.T) { checkConnCap(t, tc.maxConns) })
	}
}

func checkConnCap(t *testing.T, maxConns int) {
	// ReadHeader is long: the holders, sending nothing, keep their
	// connections for the whole test
	lim := probeserver.Limits{ReadHeader: time.Minute, MaxConns: maxConns}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	srv := probeserver.New(mux, lim)
	var taken atomic.Int64 // connections the server has accepted
	srv.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			taken.Add(1)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	before := runtime.NumGoroutine()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(probeserver.LimitListener(l, lim.MaxConns)) }()
	t.Cleanup(func() { srv.Close() })

	holders := make([]net.Conn, maxConns)
	for i := range holders {
		holders[i] = dialProbe(t, addr)
	}
	waitFor(t, "the holders' connections taken", func() bool { return taken.Load() == int64(maxConns) })

	// two health checks past the cap, each a GET on its own connection
	checks := make([]net.Conn, 2)
	for i := range checks {
		checks[i] = dialProbe(t, addr)
		fmt.Fprintf(checks[i], "GET /healthz HTTP/1.1\r\nHost: probe\r\n\r\n")
	}
	// a server without the cap answers within this; one with it never
	// does while the holders stay
	_ = checks[0].SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := checks[0].Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a client past the cap of %d: read %v, want it to wait", maxConns, err)
	}
	if n := taken.Load(); n != int64(maxConns) {
		t.Fatalf("the server took %d connections, its cap is %d", n, maxConns)
	}

	// each connection the server holds that closes, the oldest first,
	// lets one health check in, in the order they came (the kernel's
	// accept queue is first in, first out); an answered check stays
	// open (kept alive) and holds its place under the cap
	open := holders
	for i, c := range checks {
		open[0].Close()
		open = append(open[1:], c)
		_ = c.SetReadDeadline(time.Now().Add(wait))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("health check %d after a holder closed: %v", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("health check %d: %d, want 200", i, resp.StatusCode)
		}
		if n, most := taken.Load(), int64(maxConns+i+1); n != most {
			t.Errorf("after health check %d the server took %d connections in all, want %d", i, n, most)
		}
	}

	// the connections still open fill the cap again: Accept waits, and
	// Close ends it
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-served:
		if !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v, want http.ErrServerClosed", err)
		}
	case <-time.After(wait):
		t.Fatal("Serve still waits to accept after Close")
	}
	waitFor(t, "the server's goroutines gone", func() bool { return runtime.NumGoroutine() <= before })
}

func dialProbe(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitFor polls ok until it holds, failing after wait.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(wait); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%s: not after %v", what, wait)
		}
	}
}
