package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/syncbuf"
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

// TestDemoClockSaveFails: a demo that cannot save its clock (a full disk;
// here its temporary file's name is taken by a folder, so the write
// fails) keeps running: it logs a warning once, however many saves fail,
// its /healthz is degraded naming the clock, and once it can save again
// it does, logs that once and is ok. Until 2026-12-07 the clock was saved
// at the stop only, and a failure made the demo exit with an error.
func TestDemoClockSaveFails(t *testing.T) {
	dir := t.TempDir()
	block := filepath.Join(dir, demoClockFile+".tmp")
	demoCheck(t, os.MkdirAll(filepath.Join(block, "x"), 0o750))
	o := demoOptions{listen: "127.0.0.1:0", speed: 1, seed: 1, dir: dir, rateHz: 2e6, offlineAfter: time.Hour, statusEvery: time.Hour,
		clockEvery: 20 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncbuf.Buffer
	ready := make(chan demoInfo, 1)
	done := make(chan error, 1)
	go func() { done <- runDemo(ctx, o, io.Discard, &stderr, func(i demoInfo) { ready <- i }) }()
	var info demoInfo
	select {
	case info = <-ready:
	case err := <-done:
		t.Fatalf("demo stopped before it was ready: %v", err)
	case <-time.After(3 * time.Minute):
		t.Fatal("demo not ready within three minutes")
	}
	// healthz polls /healthz until ok says its answer will do, for 30 s
	healthz := func(ok func(code int, body string) bool) (int, string) {
		var code int
		var body string
		for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if code, body = httpGet(t, info.URL+"/healthz"); ok(code, body) {
				break
			}
		}
		return code, body
	}
	failed := regexp.MustCompile(`degraded: state disk: the demo cannot save its simulated clock \(([0-9]+) failed saves; none saved in this run\): `)
	code, body := healthz(func(_ int, body string) bool {
		m := failed.FindStringSubmatch(body)
		n, _ := strconv.Atoi(append(m, "", "")[1])
		return n >= 3
	})
	if code != http.StatusServiceUnavailable || !failed.MatchString(body) || !strings.Contains(body, demoClockFile) {
		t.Fatalf("/healthz of a demo that cannot save its clock: %d %q, want 503 degraded: state disk saying so, 3 failed saves or more", code, body)
	}
	select {
	case err := <-done:
		t.Fatalf("the demo stopped when it could not save its clock: %v", err)
	default:
	}
	demoCheck(t, os.RemoveAll(block))
	if code, body := healthz(func(code int, _ string) bool { return code == http.StatusOK }); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("/healthz once the clock can be saved again: %d %q, want 200 ok", code, body)
	}
	saved, err := savedDemoClock(dir)
	if err != nil || saved.Before(info.Start) {
		t.Errorf("the clock saved: %v, %v; want one from %v on", saved, err, info.Start)
	}
	logs := stderr.String()
	if n := strings.Count(logs, "cannot save the simulated clock"); n != 1 {
		t.Errorf("the failed saves were logged %d times, want once:\n%s", n, logs)
	}
	if n := strings.Count(logs, "the simulated clock is saved again"); n != 1 {
		t.Errorf("the save that succeeds again was logged %d times, want once:\n%s", n, logs)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("demo: %v", err)
	}
}
