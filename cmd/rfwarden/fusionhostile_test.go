package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/internal/probeserver"
	"github.com/rfwarden/rfwarden/internal/probeserver/probetest"
)

// TestFusionHTTPLetsHostileClientsGo: fusion's /healthz and /metrics
// server (http_addr) lets go of a client that announces a body and never
// sends it, or leaves a kept-alive connection idle: it had only
// ReadHeaderTimeout, and each such client held a connection and a
// goroutine for ever.
func TestFusionHTTPLetsHostileClientsGo(t *testing.T) {
	lim := probeserver.Limits{ReadHeader: 200 * time.Millisecond, Read: 300 * time.Millisecond,
		Write: time.Second, Idle: 300 * time.Millisecond, MaxHeaderBytes: 1 << 10}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	probe := fusionProbe{connected: func() bool { return true }, ping: func(context.Context) error { return nil },
		active: func() []event.Alert { return nil }}
	ctx, cancel := context.WithCancel(context.Background())
	done := serveFusionHTTP(ctx, l, probe, prometheus.NewRegistry(), slog.New(slog.DiscardHandler), lim)
	t.Cleanup(func() { cancel(); <-done })
	for _, path := range []string{"/healthz", "/metrics"} {
		t.Run(path, func(t *testing.T) { probetest.Hostile(t, l.Addr().String(), path, lim) })
	}
}

// TestCmdDashboardHeaderLimit: the dashboard answers headers beyond
// dashboardMaxHeaderBytes 431 and takes a request with headers as large
// as a browser's: it took net/http's default of 1 MiB from anyone.
func TestCmdDashboardHeaderLimit(t *testing.T) {
	base, _, stop := startDashboard(t)
	defer stop()
	tests := []struct {
		name  string
		bytes int
		want  int
	}{
		{"a browser's", 8 << 10, http.StatusOK},
		{"over the limit", dashboardMaxHeaderBytes + 8<<10, http.StatusRequestHeaderFieldsTooLarge},
		{"net/http's default", 1 << 20, http.StatusRequestHeaderFieldsTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := getStatus(t, base+"/healthz", map[string]string{"X-Pad": strings.Repeat("a", tc.bytes)}); got != tc.want {
				t.Errorf("GET /healthz with %d bytes of headers: %d, want %d", tc.bytes, got, tc.want)
			}
		})
	}
}
