package main

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/internal/ctxtest"
)

// TestScanSampleRateErrorNamesTheProblem: a core:sample_rate that is
// present and positive but above what rfwarden analyses is refused with
// an error saying so; until 2026-12-05 it said "missing or non-positive
// sample rate", which is neither true nor what the analyst must fix.
func TestScanSampleRateErrorNamesTheProblem(t *testing.T) {
	for _, tc := range []struct {
		name string
		rate float64
		want string
	}{
		{"huge", 1e30, "core:sample_rate 1e+30: sample rate out of range: above the 1e+11 samples/s rfwarden analyses"},
		{"just above the limit", 2e11, "core:sample_rate 2e+11: sample rate out of range: above the 1e+11 samples/s rfwarden analyses"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			meta := writeToneCF32(t, filepath.Join(t.TempDir(), "r"), 4096, tc.rate, 0, 0.1)
			var out, errb bytes.Buffer
			err := run(context.Background(), []string{"scan", meta}, &out, &errb)
			if err == nil {
				t.Fatalf("scan accepted core:sample_rate %g", tc.rate)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.want) || strings.Contains(msg, "missing or non-positive") {
				t.Errorf("got %q, want it to say %q", msg, tc.want)
			}
		})
	}
}

// TestScanBandBelowZero: a recording whose band, core:frequency ± half
// the core:sample_rate, reaches below 0 Hz is refused before the scan,
// naming both fields; until 2026-12-05 it was scanned and its detections
// reported at negative RF frequencies (a 2.135 GHz capture at 1e11
// samples/s gave center_MHz -47404). A recording without core:frequency
// (baseband) and a raw file without --center are scanned as before.
func TestScanBandBelowZero(t *testing.T) {
	dir := t.TempDir()
	wide := writeToneCF32(t, filepath.Join(dir, "wide"), 1<<16, 1e11, 2135e6, -0.45)
	baseband := writeToneCF32(t, filepath.Join(dir, "baseband"), 1<<16, 1e11, 0, -0.45)
	raw := strings.TrimSuffix(baseband, ".sigmf-meta") + ".sigmf-data"
	rawOnly := filepath.Join(dir, "raw.cf32")
	b, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rawOnly, b, 0o644); err != nil {
		t.Fatal(err)
	}
	const refused = "captures[0].core:frequency 2.135e+09 Hz with core:sample_rate 1e+11: invalid metadata: the band it holds, -4.7865e+10 to 5.2135e+10 Hz, reaches below 0 Hz"
	for _, tc := range []struct {
		name string
		args []string
		want string // in the error; "" for a scan that succeeds
	}{
		{"SigMF", []string{wide}, refused},
		{"raw with --center", []string{"--datatype", "cf32_le", "--rate", "1e11", "--center", "2135e6", rawOnly}, refused},
		{"SigMF without core:frequency", []string{baseband}, ""},
		{"raw without --center", []string{"--datatype", "cf32_le", "--rate", "1e11", rawOnly}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(context.Background(), append([]string{"scan", "--json"}, tc.args...), &out, &errb)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("scan: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			case tc.want != "" && out.Len() > 0:
				t.Errorf("a refused scan printed %q", out.String())
			}
		})
	}
}

// TestScanInterruptDuringVerifySaysInterrupted: Ctrl-C while scan is
// still checking core:sha512 says "interrupted at 0% of FILE", which
// hash it was checking and how far it got, as scan --help promises; until
// 2026-12-05 it said "core:sha512: stopped after 204472320 of 263979008
// bytes: context canceled", Go's wording, not the analyst's.
func TestScanInterruptDuringVerifySaysInterrupted(t *testing.T) {
	dir := t.TempDir()
	meta := writeToneCF32(t, filepath.Join(dir, "r"), 1<<20, 1e6, 902e6, 0.2) // 8 MiB: 8 chunks of the check
	data, err := os.ReadFile(strings.TrimSuffix(meta, ".sigmf-meta") + ".sigmf-data")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha512.Sum512(data)
	mb, err := os.ReadFile(meta)
	if err != nil {
		t.Fatal(err)
	}
	mb = bytes.Replace(mb, []byte(`"core:version":"1.0.0"`), []byte(`"core:version":"1.0.0","core:sha512":"`+hex.EncodeToString(sum[:])+`"`), 1)
	if err := os.WriteFile(meta, mb, 0o644); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(dir, "det")
	for _, tc := range []struct {
		name string
		ctx  context.Context
		args []string
		want string
	}{
		{"before the check", cancelled, nil, "scan: interrupted at 0% of " + meta + ", while checking its data against core:sha512 (0% hashed); nothing of it was scanned"},
		{"part way", &ctxtest.ErrAfter{Context: context.Background(), N: 3}, nil, "against core:sha512 (37% hashed)"}, // 3 of 8 MiB
		{"annotate", cancelled, []string{"--annotate", out}, "nothing of it was scanned; " + out + ".sigmf-meta not written"},
		{"second file", cancelled, nil, "; 1 file after it not scanned"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{"scan"}, tc.args...), meta)
			if tc.name == "second file" {
				args = append(args, meta)
			}
			var stdout, stderr bytes.Buffer
			err := run(tc.ctx, args, &stdout, &stderr)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err %v, want one wrapping context.Canceled", err)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.want) || strings.Contains(msg, "context canceled") {
				t.Errorf("got %q, want it to say %q", msg, tc.want)
			}
			if stdout.Len() > 0 {
				t.Errorf("printed %q before the scan", stdout.String())
			}
		})
	}
}

// TestScanDatatypeGivenNotOverride: --datatype without --override
// describes the file; a malformed one on a SigMF recording is named as
// given, not as an override (until 2026-12-05: "override core:datatype"
// though --override was not given).
func TestScanDatatypeGivenNotOverride(t *testing.T) {
	meta := writeToneCF32(t, filepath.Join(t.TempDir(), "r"), 4096, 1e6, 902e6, 0.1)
	data := strings.TrimSuffix(meta, ".sigmf-meta") + ".sigmf-data"
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"given", []string{"--datatype", "ci9", data}, `given core:datatype "ci9"`},
		{"override", []string{"--override", "--datatype", "ci9", data}, `override core:datatype "ci9"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"scan"}, tc.args...), &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
}
