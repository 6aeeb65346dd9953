package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestDemoHealthzStateDisk: the demo's dashboard watches the disk of its
// folder as `rfwarden dashboard` watches its database's (dashboardDisks):
// /healthz degraded under --min-free-bytes free, and the free-space gauge
// on /metrics. Until 2026-12-07 the demo's /healthz said ok with its
// folder 100% full (a 2 MiB tmpfs). The threshold here is more than any
// disk has.
func TestDemoHealthzStateDisk(t *testing.T) {
	dir := t.TempDir()
	o := demoOptions{listen: "127.0.0.1:0", speed: 1, seed: 1, dir: dir, rateHz: 2e6, offlineAfter: time.Hour, statusEvery: time.Hour,
		minFreeBytes: 1 << 60}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	info, done := startDemo(t, ctx, o, io.Discard)
	code, body := httpGet(t, info.URL+"/healthz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "degraded: state disk: ") || !strings.Contains(body, dir) {
		t.Errorf("the demo's /healthz with less free than --min-free-bytes: %d %q, want 503 degraded: state disk naming %s", code, body, dir)
	}
	if _, metrics := httpGet(t, info.URL+"/metrics"); !strings.Contains(metrics, "\nrfwarden_dashboard_state_disk_free_bytes ") {
		t.Errorf("the demo's /metrics has no rfwarden_dashboard_state_disk_free_bytes; its rfwarden_dashboard lines:\n%s", grepLines(metrics, "rfwarden_dashboard"))
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("demo: %v", err)
	}
}

// TestDemoMinFreeFlag: the demo's --min-free-bytes is the dashboard's:
// RFW_MIN_FREE_BYTES' default (2GiB), the same units, and a bad value
// named.
func TestDemoMinFreeFlag(t *testing.T) {
	t.Setenv("RFW_MIN_FREE_BYTES", "") // restored after the test
	os.Unsetenv("RFW_MIN_FREE_BYTES")
	for _, tc := range []struct {
		args    []string
		want    int64
		wantErr string
	}{
		{nil, 2 << 30, ""},
		{[]string{"--min-free-bytes", "0"}, 0, ""},
		{[]string{"--min-free-bytes", "512MiB"}, 512 << 20, ""},
		{[]string{"--min-free-bytes", "lots"}, 0, "RFW_MIN_FREE_BYTES (--min-free-bytes)"},
	} {
		o, err := parseDemoFlags(tc.args, io.Discard)
		switch {
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("demo %q: %v, want an error naming %s", tc.args, err, tc.wantErr)
		case tc.wantErr == "" && (err != nil || o.minFreeBytes != tc.want):
			t.Errorf("demo %q: min free %d, %v; want %d", tc.args, o.minFreeBytes, err, tc.want)
		}
	}
}
