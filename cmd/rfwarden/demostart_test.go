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
