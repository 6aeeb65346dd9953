package replay

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// TestGlobalIndexGapClock: a recording whose second capture, at the same
// tuning, has a core:global_index 500 samples ahead of the first's plus
// its samples (a receiver overflow, SigMF's own example) lost those
// samples: `rfwarden scan`'s start_s and the dashboard's clock
// (Seconds, SampleAt) count them, the replay source marks the block
// after the loss Retuned (the pipeline ends the emissions in flight
// there) and dates it after the loss, and a capture without
// core:datetime after a dated one is dated through its global_index.
// Until 2026-12-06 the captures were read as one continuous stretch:
// everything after the loss was dated 0.5 s early.
func TestGlobalIndexGapClock(t *testing.T) {
	const fs = 1e3 // 1000 samples a second
	t0 := time.Date(2026, 1, 15, 21, 5, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		caps    string
		seconds map[int64]float64 // sample: want Seconds
		samples map[float64]int64 // seconds: want SampleAt
		time1   time.Time         // want TimeAt(1000)
	}{
		{"500 samples lost", `{"core:sample_start":0,"core:frequency":1e9,"core:global_index":0},{"core:sample_start":1000,"core:frequency":1e9,"core:global_index":1500}`,
			map[int64]float64{0: 0, 999: 0.999, 1000: 1.5, 1500: 2}, map[float64]int64{0.5: 500, 1.2: 1000, 1.5: 1000, 1.75: 1250, 9: 2000}, time.Time{}},
		{"dated first capture", `{"core:sample_start":0,"core:frequency":1e9,"core:global_index":7,"core:datetime":"2026-01-15T21:05:00Z"},{"core:sample_start":1000,"core:frequency":1e9,"core:global_index":1507}`,
			map[int64]float64{0: 0, 1000: 1.5}, map[float64]int64{1.2: 1000}, t0.Add(1500 * time.Millisecond)},
		{"nothing lost", `{"core:sample_start":0,"core:frequency":1e9,"core:global_index":40},{"core:sample_start":1000,"core:frequency":1e9,"core:global_index":1040}`,
			map[int64]float64{1000: 1, 1500: 1.5}, map[float64]int64{1.2: 1200}, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "gi")
			meta := `{"global":{"core:datatype":"ci8","core:sample_rate":1000,"core:version":"1.2.0"},"captures":[` + tc.caps + `],"annotations":[]}`
			if err := os.WriteFile(base+sigmf.MetaExt, []byte(meta), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(base+sigmf.DataExt, make([]byte, 2*2000), 0o644); err != nil {
				t.Fatal(err)
			}
			rec, err := sigmf.Open(base + sigmf.MetaExt)
			if err != nil {
				t.Fatal(err)
			}
			sec := Seconds(rec)
			for s, want := range tc.seconds {
				if got := sec(s); abs(got-want) > 1e-9 {
					t.Errorf("Seconds(%d) = %v, want %v", s, got, want)
				}
			}
			for s, want := range tc.samples {
				if got := SampleAt(rec, s); got != want {
					t.Errorf("SampleAt(%v s) = %d, want %d", s, got, want)
				}
			}
			if got := rec.TimeAt(1000); !got.Equal(tc.time1) {
				t.Errorf("TimeAt(1000) = %v, want %v", got, tc.time1)
			}
			src := New(rec, Options{BlockSize: 600})
			defer src.Close()
			lost := tc.seconds[1000] != 1
			for {
				b, err := src.Next(context.Background())
				if err != nil {
					break
				}
				if b.Retuned != (b.FirstSample == 1000 && lost) {
					t.Errorf("block at sample %d: Retuned %v, want %v", b.FirstSample, b.Retuned, !b.Retuned)
				}
				want := time.Unix(0, 0).UTC().Add(time.Duration(sec(b.FirstSample) * float64(time.Second)))
				if !tc.time1.IsZero() {
					want = t0.Add(time.Duration(sec(b.FirstSample) * float64(time.Second)))
				}
				if !b.Time.Equal(want) {
					t.Errorf("block at sample %d dated %v, want %v", b.FirstSample, b.Time, want)
				}
			}
		})
	}
}
