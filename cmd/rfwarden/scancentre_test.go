package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmftest"
)

// TestScanSaysNoCentre: without a centre frequency scan's center_MHz is
// the offset from the tuning and nothing is classified
// (TestSiteScanRawWithoutCenter); scan says so on stderr, naming why,
// and says nothing when the centre is known.
func TestScanSaysNoCentre(t *testing.T) {
	raw, burst := burstCF32(t, "hackrf.cf32")
	dir := filepath.Dir(raw)
	sigmfAt := func(name string, centerHz float64) string {
		return sigmftest.WriteRecording(t, filepath.Join(dir, name), 2e6, centerHz, burst)
	}
	tests := []struct {
		name string
		args []string
		want string // "" for no word of it
	}{
		{"raw without --center", []string{"--datatype", "cf32_le", "--rate", "2e6", raw}, "no centre frequency (a raw file without --center)"},
		{"raw with --center", []string{"--datatype", "cf32_le", "--rate", "2e6", "--center", "433.92e6", raw}, ""},
		{"SigMF without core:frequency", []string{sigmfAt("baseband", 0)}, "no centre frequency (no core:frequency in captures[0]; --center gives it)"},
		{"SigMF with core:frequency", []string{sigmfAt("tuned", 433.92e6)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if err := cmdScan(context.Background(), tt.args, &out, &errb); err != nil {
				t.Fatal(err)
			}
			if rows := strings.Count(out.String(), "\n"); rows != 2 {
				t.Errorf("stdout %q: %d lines, want the header and the burst's row", out.String(), rows)
			}
			got := errb.String()
			switch {
			case tt.want == "" && strings.Contains(got, "no centre frequency"):
				t.Errorf("stderr %q, want nothing of the centre", got)
			case tt.want != "" && !strings.Contains(got, tt.want):
				t.Errorf("stderr %q, want it to say %q", got, tt.want)
			}
		})
	}
}

// TestScanCenterFlagBounded: a raw file's --center 1e20 was scanned
// (center_MHz 100000000000000.06) while the same centre in SigMF metadata
// or with --override is refused (up to 1e12 Hz); and --rate Inf said
// "--rate +Inf and --center 0 must be finite", naming a --center never
// given. Each bad flag is refused alone, by name: --rate 1e300 was
// refused as "core:sample_rate 1e+300", a metadata key never written.
func TestScanCenterFlagBounded(t *testing.T) {
	raw, _ := burstCF32(t, "raw.bin")
	for _, tc := range []struct {
		args      []string
		want, not string
	}{
		{[]string{"--datatype", "cf32_le", "--rate", "23.04e6", "--center", "1e20", raw}, "scan: --center 1e+20 Hz: give a positive RF centre frequency up to 1e+12 Hz", ""},
		{[]string{"--datatype", "cf32_le", "--rate", "Inf", raw}, "scan: --rate +Inf must be finite", "--center"},
		{[]string{"--datatype", "cf32_le", "--rate", "2e6", "--center", "-Inf", raw}, "scan: --center -Inf must be finite", "--rate"},
		{[]string{"--datatype", "cf32_le", "--rate", "1e300", "--center", "433.92e6", raw}, "scan: --rate 1e+300 samples/s: give a sample rate from 1 to 1e+11 samples/s", "core:sample_rate"},
		{[]string{"--datatype", "cf32_le", "--rate", "0.5", "--center", "433.92e6", raw}, "scan: --rate 0.5 samples/s: give a sample rate from 1 to 1e+11 samples/s", "core:sample_rate"},
		{[]string{"--datatype", "cf32_le", "--rate", "-2e6", raw}, "scan: --rate -2e+06 samples/s: give a sample rate from 1", "not positive"},
	} {
		var out bytes.Buffer
		err := cmdScan(context.Background(), tc.args, &out, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.not != "" && strings.Contains(err.Error(), tc.not)) {
			t.Errorf("scan %q: err %v, want %q (and no %s)", tc.args, err, tc.want, tc.not)
		}
		if out.Len() > 0 {
			t.Errorf("scan %q: printed %q", tc.args, out.String())
		}
	}
}

// TestScanSaysNoCentreWithoutCaptures: a SigMF recording whose captures
// are empty or null was scanned as baseband (center_MHz -7.74) with no word
// on stderr, where a raw file without --center is warned of. It is warned
// of too; with --center, which fills the capture in, it is not.
func TestScanSaysNoCentreWithoutCaptures(t *testing.T) {
	dir := t.TempDir()
	burst := toneBurst(300000, 100000, 150000, 2e6, 300e3)
	for _, captures := range []string{"[]", "null"} {
		base := filepath.Join(dir, "nocap"+captures)
		meta := sigmftest.WriteRecording(t, base, 2e6, 433.92e6, burst)
		var doc map[string]any
		b, err := os.ReadFile(meta)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		doc["captures"] = json.RawMessage(captures)
		if b, err = json.Marshal(doc); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(meta, b, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{meta}, "scan " + meta + ": no centre frequency (no captures in its metadata; --center gives it)"},
			{[]string{"--center", "433.92e6", meta}, ""},
		} {
			var out, errb bytes.Buffer
			if err := cmdScan(context.Background(), tc.args, &out, &errb); err != nil {
				t.Fatalf("captures %s, scan %q: %v", captures, tc.args, err)
			}
			got := errb.String()
			switch {
			case tc.want == "" && strings.Contains(got, "no centre frequency"):
				t.Errorf("captures %s, scan %q: stderr %q, want nothing of the centre", captures, tc.args, got)
			case tc.want != "" && !strings.Contains(got, tc.want):
				t.Errorf("captures %s, scan %q: stderr %q, want %q", captures, tc.args, got, tc.want)
			}
		}
	}
}

// TestScanAnnotateEmpty: `scan --annotate "" FILE` was taken as no
// --annotate: the scan ran, printed its table and wrote nothing, exit 0.
// An --annotate naming no file is refused before the scan.
func TestScanAnnotateEmpty(t *testing.T) {
	dir := t.TempDir()
	meta := sigmftest.WriteRecording(t, filepath.Join(dir, "rec"), 2e6, 433.92e6, toneBurst(300000, 100000, 150000, 2e6, 300e3))
	for _, v := range []string{"", " "} {
		var out bytes.Buffer
		err := cmdScan(context.Background(), []string{"--annotate", v, meta}, &out, &bytes.Buffer{})
		if want := "scan: --annotate " + strconvQuote(v) + " names no file: give OUT.sigmf-meta, or leave --annotate out"; err == nil || err.Error() != want {
			t.Errorf("--annotate %q: err %v, want %q", v, err, want)
		}
		if out.Len() > 0 {
			t.Errorf("--annotate %q: scanned: %q", v, out.String())
		}
	}
}
