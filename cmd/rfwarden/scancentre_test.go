package main

import (
	"bytes"
	"context"
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
	dir := t.TempDir()
	burst := toneBurst(300000, 100000, 150000, 2e6, 300e3)
	raw := filepath.Join(dir, "hackrf.cf32")
	writeCF32(t, raw, burst)
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
