package pipeline

import (
	"testing"
	"time"
)

// TestPipelineTimeGapFlushes checks that blocks at one tuning whose
// capture times are not contiguous (the captures of a scanning sensor's
// recording, seconds apart, with contiguous sample indexes) are not
// joined into one emission: a time gap ends the emissions in flight, as a
// retune does, and each result keeps its own capture's time. Contiguous
// blocks, or a gap of under a sample, still make one emission.
func TestPipelineTimeGapFlushes(t *testing.T) {
	const fs, fc, n = 10e6, 5760e6, 50000
	t0 := time.Date(2026, 1, 15, 21, 5, 0, 0, time.UTC)
	blockDur := time.Duration(float64(n) / fs * float64(time.Second))
	for _, tc := range []struct {
		name string
		gap  time.Duration // added to each block's time after the first
		want int
	}{
		{"contiguous", 0, 1},
		{"jitter under a sample", 50 * time.Nanosecond, 1},
		{"seconds apart", 3 * time.Second, 4},
		{"a millisecond apart", time.Millisecond, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// a carrier on throughout four blocks (and past them)
			x := noisyBurst(7, 4*n, 0, 4*n, fs, 1e6, 0.01)
			bs := blocks(x, n, fc, fs, t0, 0)
			for i := range bs {
				bs[i].Time = t0.Add(time.Duration(i) * (blockDur + tc.gap))
			}
			res := runAll(t, New(Config{}), bs)
			if len(res) != tc.want {
				for _, r := range res {
					t.Logf("result at sample %d +%d, %v", r.Em.StartSample, r.Em.SampleCount, r.Time)
				}
				t.Fatalf("got %d results, want %d", len(res), tc.want)
			}
			if tc.want == 4 {
				for i, r := range res {
					if r.Em.StartSample < int64(i*n) || r.Em.EndSample() > int64((i+1)*n) {
						t.Errorf("result %d over samples [%d, %d), want inside block %d [%d, %d)", i, r.Em.StartSample, r.Em.EndSample(), i, i*n, (i+1)*n)
					}
					off := time.Duration(float64(r.Em.StartSample-int64(i*n)) / fs * float64(time.Second))
					if want := bs[i].Time.Add(off); !r.Time.Equal(want) {
						t.Errorf("result %d at %v, want its capture's time %v", i, r.Time, want)
					}
				}
			}
		})
	}
}
