package eval

import (
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// TestScanRecordingGlobalIndexGap: a carrier on throughout a recording
// of two captures at one tuning whose core:global_index says samples
// were lost between them (a receiver overflow) is two emissions, one
// each side of the loss, as at a gap in core:datetime; with a
// global_index that says nothing was lost (or none) it is one. Until
// 2026-12-06 the emission was bridged across the lost samples.
func TestScanRecordingGlobalIndexGap(t *testing.T) {
	const fs, n, cut = 2e6, 400000, 200000
	for _, tc := range []struct {
		name string
		gi   string // the second capture's core:global_index ("" for none; the first has 0)
		want int
	}{
		{"samples lost", `,"core:global_index":300000`, 2},
		{"nothing lost", `,"core:global_index":200000`, 1},
		{"no global_index", ``, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "gi")
			first := `,"core:global_index":0`
			if tc.gi == "" {
				first = ""
			}
			meta := `{"global":{"core:datatype":"cf32_le","core:sample_rate":2e6,"core:version":"1.2.0"},"captures":[` +
				`{"core:sample_start":0,"core:frequency":2.44e9` + first + `},{"core:sample_start":200000,"core:frequency":2.44e9` + tc.gi + `}],"annotations":[]}`
			if err := os.WriteFile(base+sigmf.MetaExt, []byte(meta), 0o644); err != nil {
				t.Fatal(err)
			}
			// a carrier 300 kHz off centre, 30 dB over the noise, throughout
			rng := rand.New(rand.NewPCG(3, 3))
			data := make([]byte, 0, 8*n)
			for i := range n {
				s, c := math.Sincos(2 * math.Pi * 300e3 * float64(i) / fs)
				re, im := 0.03*c+rng.NormFloat64()*1e-3, 0.03*s+rng.NormFloat64()*1e-3
				data = binary.LittleEndian.AppendUint32(data, math.Float32bits(float32(re)))
				data = binary.LittleEndian.AppendUint32(data, math.Float32bits(float32(im)))
			}
			if err := os.WriteFile(base+sigmf.DataExt, data, 0o644); err != nil {
				t.Fatal(err)
			}
			rec, err := sigmf.Open(base + sigmf.MetaExt)
			if err != nil {
				t.Fatal(err)
			}
			defer rec.Close()
			res, err := ScanRecording(context.Background(), rec, pipeline.Config{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != tc.want {
				for _, r := range res {
					t.Logf("emission samples %d+%d at %.0f Hz", r.Em.StartSample, r.Em.SampleCount, r.CenterHz)
				}
				t.Fatalf("%d emissions, want %d", len(res), tc.want)
			}
			for _, r := range res {
				if tc.want > 1 && r.Em.StartSample < cut && r.Em.EndSample() > cut {
					t.Errorf("emission samples %d+%d spans the loss at %d", r.Em.StartSample, r.Em.SampleCount, cut)
				}
			}
		})
	}
}
