package influxtest

import (
	"os"
	"path/filepath"
	"testing"
)

// TestBinaryFindsInstallDepsCache: scripts/install-deps.sh builds influxd
// into $RFW_CACHE/bin (default ~/.cache/rfwarden/bin; .ci/run exports
// RFW_CACHE), and Binary finds it there. Until 2026-12-06 it looked only
// in $RFW_INFLUXD, ~/.cache/rfwarden/bin and PATH: with RFW_CACHE set
// elsewhere, the script said "ok (influxd at $RFW_CACHE/bin/influxd)" and
// every InfluxDB test then skipped with "influxd not installed: run
// scripts/install-deps.sh", which the developer had just done (found by a
// new developer's review).
func TestBinaryFindsInstallDepsCache(t *testing.T) {
	home, cache, path := t.TempDir(), t.TempDir(), t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("PATH", path)
	t.Setenv("RFW_INFLUXD", "")
	t.Setenv("RFW_CACHE", cache)
	bin := filepath.Join(cache, "bin", "influxd")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := Binary(); got != bin {
		t.Errorf("Binary() = %q with RFW_CACHE=%s, want %s, where scripts/install-deps.sh puts it", got, cache, bin)
	}
}
