package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmftest"
)

// TestScanWAV: an IQ WAV file from SDR++ or SDR# (here 32-bit float,
// with a LIST chunk before the samples) is scanned from its data chunk
// without --datatype and --rate, its header giving them: the burst at
// sample 100000 is found there, and --annotate writes metadata that
// reads the same samples (core:header_bytes). A --datatype or --rate the
// header contradicts is refused naming both, nothing scanned. Until
// 2026-12-07 it needed --datatype and its header was read as samples.
func TestScanWAV(t *testing.T) {
	raw, x := burstCF32(t, "burst.cf32")
	dir := filepath.Dir(raw)
	b, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	wav := filepath.Join(dir, "sdrpp.wav")
	if err := os.WriteFile(wav, sigmftest.WAV(sigmftest.WAVSpec{Tag: 3, Channels: 2, RateHz: 2000000, Bits: 32, Before: []string{"LISTrecorded by SDR++"}}, b), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "sdrpp-det")
	var stdout, stderr bytes.Buffer
	if err := cmdScan(context.Background(), []string{"--json", "--classify=false", "--center", "433.92e6", "--annotate", out, wav}, &stdout, &stderr); err != nil {
		t.Fatalf("scan of a WAV file without --datatype and --rate: %v (stderr %q)", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var got scanJSON
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &got) != nil {
		t.Fatalf("got %q, want one detection", stdout.String())
	}
	if d := got.SampleStart - 100000; d < -64 || d > 64 {
		t.Errorf("start %d, want 100000 within a frame (the header read as samples shifts it)", got.SampleStart)
	}
	rec, err := sigmf.Open(out + sigmf.MetaExt)
	if err != nil {
		t.Fatalf("open the --annotate output: %v", err)
	}
	defer rec.Close()
	first := make([]complex64, 1)
	if n, err := rec.Read(first); n != 1 || err != nil || first[0] != x[0] || rec.NumSamples() != int64(len(x)) {
		t.Errorf("--annotate output reads %d samples starting %v (%v), want %d starting %v", rec.NumSamples(), first[0], err, len(x), x[0])
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--datatype", "ci16_le"}, "datatype ci16_le given, but its WAV header says cf32_le (2 channels of 32-bit float)"},
		{[]string{"--rate", "1e6"}, "sample rate 1e+06 given, but its WAV header says 2e+06"},
	} {
		stdout.Reset()
		err := cmdScan(context.Background(), append(tc.args, wav), &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "leave out --datatype and --rate") {
			t.Errorf("scan %v: %v, want it refused saying %q and to leave them out", tc.args, err, tc.want)
		}
		if stdout.Len() > 0 {
			t.Errorf("scan %v printed %q, want nothing", tc.args, stdout.String())
		}
	}
}
