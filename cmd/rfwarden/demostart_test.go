package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDemoUnknownOfflineSensorRefused: --offline-sensor names a sensor of
// the simulated wing (s1..s9). A name of none (a typo: s10, S4) ran the
// demo with every sensor on while its banner said "sensor s10 going
// offline"; `rfwarden sim --sensor s10` is refused, and so is this: before
// anything starts or is written, naming it and the wing's sensors.
func TestDemoUnknownOfflineSensorRefused(t *testing.T) {
	for _, name := range []string{"s10", "S4", "s4 "} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			o := demoOptions{listen: "127.0.0.1:0", speed: 100, seed: 1, dir: dir, rateHz: 2e6, duration: time.Second,
				offlineAfter: time.Minute, statusEvery: time.Hour, offline: name}
			var out strings.Builder
			err := runDemo(context.Background(), o, &syncWriter{w: &out}, io.Discard, nil)
			if err == nil || !strings.Contains(err.Error(), "--offline-sensor "+strconv.Quote(name)) || !strings.Contains(err.Error(), "s1, s2") {
				t.Fatalf("--offline-sensor %q (no such sensor): got %v, want an error naming it and the wing's sensors", name, err)
			}
			if out.Len() > 0 {
				t.Errorf("refused, yet it printed:\n%s", out.String())
			}
			if _, err := os.Stat(dir); err == nil {
				t.Errorf("refused, yet it made the state folder %s", dir)
			}
		})
	}
}

// TestDemoNoOfflineSensorBanner: `--offline-sensor ""` is "none" (demo
// --help), so the banner promises no sensor going offline; it said "and
// sensor  going offline." with an empty name.
func TestDemoNoOfflineSensorBanner(t *testing.T) {
	o := demoOptions{listen: "127.0.0.1:0", speed: 100, seed: 1, dir: t.TempDir(), rateHz: 2e6, duration: time.Second,
		offlineAfter: time.Minute, statusEvery: time.Hour, offline: ""}
	var out strings.Builder
	if err := runDemo(context.Background(), o, &syncWriter{w: &out}, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Watch the Alerts page") {
		t.Fatalf("no banner in:\n%s", out.String())
	}
	if strings.Contains(out.String(), "going offline") {
		t.Errorf("--offline-sensor \"\" (none), but the banner says a sensor goes offline:\n%s", out.String())
	}
}

// TestDemoOfflineNote: the banner says when --offline-sensor goes offline,
// in the story's simulated time, and nothing when none does: "" (none),
// or --duration ending the run first.
func TestDemoOfflineNote(t *testing.T) {
	start := time.Date(2026, 1, 15, 21, 4, 26, 0, time.UTC)
	tests := []struct {
		name        string
		offline     string
		after, runs time.Duration
		want        string
	}{
		{"default", "s4", 3 * time.Minute, 0, ", and sensor s4 going offline at 21:07:26"},
		{"within --duration", "s4", 3 * time.Minute, 5 * time.Minute, ", and sensor s4 going offline at 21:07:26"},
		{"none", "", 3 * time.Minute, 0, ""},
		{"after --duration", "s4", 3 * time.Minute, 40 * time.Second, ""},
		{"at the end of --duration", "s4", time.Minute, time.Minute, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := demoOptions{offline: tt.offline, offlineAfter: tt.after, duration: tt.runs}
			if got := demoOfflineNote(o, start); got != tt.want {
				t.Errorf("demoOfflineNote = %q, want %q", got, tt.want)
			}
		})
	}
}
