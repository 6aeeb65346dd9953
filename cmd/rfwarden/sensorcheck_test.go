package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/sensor/hackrfsrc"
)

// writeSensorSource writes writeSensorConfig's node config with source
// instead of the simulated one.
func writeSensorSource(t *testing.T, source string) string {
	t.Helper()
	p := writeSensorConfig(t, "")
	body, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	body = bytes.Replace(body, []byte("source: {kind: sim, seed: 1, sample_rate_hz: 2e6}"), []byte("source: "+source), 1)
	if err := os.WriteFile(p, body, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCmdSensorCheckHackRFNotBuilt: --check (the unit's ExecStartPre) of
// source kind hackrf in a binary built without the hackrf tag fails with
// the error the service would fail with; it said ok, and the service
// failed in a restart loop.
func TestCmdSensorCheckHackRFNotBuilt(t *testing.T) {
	if hackrfsrc.Built {
		t.Skip("built with the hackrf tag")
	}
	p := writeSensorSource(t, "{kind: hackrf, sample_rate_hz: 10e6}")
	var out bytes.Buffer
	err := run(context.Background(), []string{"sensor", "--check", "--config", p}, &out, &bytes.Buffer{})
	const want = `source kind "hackrf": built without the hackrf tag`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("--check of kind hackrf without the binding: %v (stdout %q), want an error containing %q", err, out.String(), want)
	}
}

// TestCmdSensorCheckHackRFTransfer: --check of source kind
// hackrf_transfer fails when no hackrf_transfer is on PATH (the service
// would fail at its first read), and passes with one.
func TestCmdSensorCheckHackRFTransfer(t *testing.T) {
	p := writeSensorSource(t, "{kind: hackrf_transfer, sample_rate_hz: 10e6}")
	bin := t.TempDir()
	t.Setenv("PATH", bin)
	var out bytes.Buffer
	err := run(context.Background(), []string{"sensor", "--check", "--config", p}, &out, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "hackrf_transfer") || !strings.Contains(err.Error(), "hackrf") {
		t.Errorf("--check with no hackrf_transfer on PATH: %v (stdout %q), want an error naming it", err, out.String())
	}
	if err := os.WriteFile(filepath.Join(bin, "hackrf_transfer"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"sensor", "--check", "--config", p}, &out, &bytes.Buffer{}); err != nil || !strings.Contains(out.String(), "ok") {
		t.Errorf("--check with hackrf_transfer on PATH: %v (stdout %q), want ok", err, out.String())
	}
}
