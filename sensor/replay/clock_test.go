package replay

import (
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// TestClock checks Seconds and SampleAt on a recording of three captures,
// the second and third at the same tuning seconds after the first (a
// scanning sensor's), and on one whose captures are undated: seconds
// count the time between dated captures, as rfwarden scan's start_s does,
// and sample index over rate otherwise.
func TestClock(t *testing.T) {
	t0 := time.Date(2026, 1, 15, 21, 5, 0, 0, time.UTC)
	const fs = 1e3 // 1000 samples a second: a capture of 500 is 0.5 s
	write := func(dated bool) *sigmf.Recording {
		base := filepath.Join(t.TempDir(), "rec")
		at := func(s float64) time.Time {
			if !dated {
				return time.Time{}
			}
			return t0.Add(time.Duration(s * float64(time.Second)))
		}
		w, err := sigmf.NewWriter(base, "ci8", fs, 847e6, at(0))
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range []struct{ centerHz, atS float64 }{{847e6, 0}, {1747.5e6, 0.5}, {847e6, 10}} {
			if i > 0 {
				w.Retune(c.centerHz, at(c.atS))
			}
			if err := w.Write(make([]complex64, 500)); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		rec, err := sigmf.Open(base)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rec.Close() })
		return rec
	}
	for _, tc := range []struct {
		name    string
		dated   bool
		seconds map[int64]float64 // sample: want seconds
		samples map[float64]int64 // seconds: want SampleAt
	}{
		{"dated", true,
			map[int64]float64{0: 0, 250: 0.25, 500: 0.5, 999: 0.999, 1000: 10, 1250: 10.25},
			map[float64]int64{0: 0, 0.25: 250, 0.75: 750, 3: 1000, 10: 1000, 10.1: 1100, 99: 1500}},
		{"undated", false,
			map[int64]float64{0: 0, 1000: 1, 1250: 1.25},
			map[float64]int64{0: 0, 1.1: 1100, 99: 1500}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := write(tc.dated)
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
		})
	}
}

func abs(x float64) float64 { return max(x, -x) }

// TestSampleAtHugeStart checks that a start far past the end of a fast
// recording gives NumSamples, not a sample that overflowed int64 and came
// out negative (a start of 1e9 s at 1e10 sps is 1e19 samples): the replay
// handler then found no tuning in the stretch and panicked.
func TestSampleAtHugeStart(t *testing.T) {
	t0 := time.Date(2026, 1, 15, 21, 5, 0, 0, time.UTC)
	const n = 4096
	write := func(rateHz float64, dated bool) *sigmf.Recording {
		base := filepath.Join(t.TempDir(), "rec")
		at := time.Time{}
		if dated {
			at = t0
		}
		centerHz := max(2.4e9, rateHz) // its band above 0 Hz, as sigmf.Open requires
		w, err := sigmf.NewWriter(base, "ci8", rateHz, centerHz, at)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(make([]complex64, n/2)); err != nil {
			t.Fatal(err)
		}
		if dated {
			w.Retune(centerHz+50e6, t0.Add(time.Second))
		} else {
			w.Retune(centerHz+50e6, time.Time{})
		}
		if err := w.Write(make([]complex64, n/2)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		rec, err := sigmf.Open(base)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rec.Close() })
		return rec
	}
	for _, rate := range []float64{1e6, 1e10, 1e11} { // 1e11: the most sigmf.Open takes
		for _, dated := range []bool{false, true} {
			rec := write(rate, dated)
			for _, s := range []float64{1e9, 1e12, 1e300, math.MaxFloat64, math.Inf(1)} {
				if got := SampleAt(rec, s); got != n {
					t.Errorf("rate %g sps, dated %v: SampleAt(%g s) = %d, want the end, %d", rate, dated, s, got, n)
				}
			}
			if got := SampleAt(rec, 0); got != 0 {
				t.Errorf("rate %g sps, dated %v: SampleAt(0) = %d, want 0", rate, dated, got)
			}
		}
	}
}
