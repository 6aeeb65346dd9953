package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// TestScanEdgesInsideCapture: detections at the edge of the captured band
// are reported inside it, in scan --json (freq_low_hz, freq_high_hz) and
// in scan --annotate's core:freq_lower_edge and core:freq_upper_edge.
// Until 2026-12-05 they reached half a detector bin outside it:
// gsm900-band-937M holds 935.0-939.0 MHz and got a GSM downlink from
// 934.96875 MHz; lte-fdd-gsm1800-1852M-hackrf holds 1842.9-1862.1 MHz and
// got one from 1842.8625 MHz (dsp.Emission's edges, now clipped).
func TestScanEdgesInsideCapture(t *testing.T) {
	dir := realIQDir(t)
	for _, tc := range []struct {
		name             string
		centerHz, rateHz float64
	}{
		{"gsm900-band-937M", 937e6, 4e6},
		{"lte-fdd-gsm1800-1852M-hackrf", 1852.5e6, 19.2e6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := filepath.Join(dir, tc.name+".sigmf-meta")
			lo, hi := tc.centerHz-tc.rateHz/2, tc.centerHz+tc.rateHz/2
			var out, errb bytes.Buffer
			if err := run(context.Background(), []string{"scan", "--json", in}, &out, &errb); err != nil {
				t.Fatalf("scan: %v\n%s", err, errb.String())
			}
			dec := json.NewDecoder(&out)
			n := 0
			for dec.More() {
				var d struct {
					Low   float64 `json:"freq_low_hz"`
					High  float64 `json:"freq_high_hz"`
					Label string  `json:"label"`
				}
				if err := dec.Decode(&d); err != nil {
					t.Fatal(err)
				}
				n++
				if d.Low < lo || d.High > hi {
					t.Errorf("scan --json: detection %.5f-%.5f MHz (%s) reaches outside the captured %.4f-%.4f MHz", d.Low/1e6, d.High/1e6, d.Label, lo/1e6, hi/1e6)
				}
			}
			if n == 0 {
				t.Fatal("scan --json: no detections")
			}
			ann := filepath.Join(t.TempDir(), tc.name+".scan.sigmf-meta")
			out.Reset()
			errb.Reset()
			if err := run(context.Background(), []string{"scan", "--annotate", ann, in}, &out, &errb); err != nil {
				t.Fatalf("scan --annotate: %v\n%s", err, errb.String())
			}
			m, err := sigmf.ReadMeta(ann)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range m.Annotations {
				if a.HasFreq && (a.FreqLowerHz < lo || a.FreqUpperHz > hi) {
					t.Errorf("scan --annotate: annotation %.5f-%.5f MHz (%s) reaches outside the captured %.4f-%.4f MHz", a.FreqLowerHz/1e6, a.FreqUpperHz/1e6, a.Label, lo/1e6, hi/1e6)
				}
			}
		})
	}
}
