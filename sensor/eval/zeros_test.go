package eval

import (
	"cmp"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// TestZeroRunsLeftOutOfNoise: samples exactly 0 are no receiver noise
// (TestSiteAllZeroNoiseWarned). A run of at least ZeroRunSamples of them
// inside a noise window leaves the noise time and is warned of; a shorter
// run, and noise that is not zero, count as before.
func TestZeroRunsLeftOutOfNoise(t *testing.T) {
	const n, rate = 8192, 1e6
	noiseAt := func(iq []complex64, from, to int) {
		rng := rand.New(rand.NewPCG(1, 2))
		for i := from; i < to; i++ {
			iq[i] = complex(float32(rng.NormFloat64()*0.01), float32(rng.NormFloat64()*0.01))
		}
	}
	tests := []struct {
		name      string
		zeroFrom  int // samples [zeroFrom, zeroTo) are 0, the rest noise
		zeroTo    int
		noiseS    float64
		warnWords string // "" for no warning
	}{
		{"all zero", 0, n, 0, "8192 samples (0.008192 s) are exactly zero (samples 0..8192)"},
		{"first half zero", 0, n / 2, float64(n/2) / rate, "left out of the noise time"},
		{"zero run in the middle", 2048, 2048 + ZeroRunSamples, float64(n-ZeroRunSamples) / rate, "samples 2048..3072"},
		{"shorter run counts as noise", 2048, 2048 + ZeroRunSamples - 1, n / rate, ""},
		{"no zeros", 0, 0, n / rate, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iq := make([]complex64, n)
			noiseAt(iq, 0, tt.zeroFrom)
			noiseAt(iq, tt.zeroTo, n)
			dir := t.TempDir()
			w, err := sigmf.NewWriter(filepath.Join(dir, "rec"), "cf32_le", rate, 915e6, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(iq); err != nil {
				t.Fatal(err)
			}
			w.Annotate(sigmf.Annotation{SampleStart: 0, SampleCount: n, Label: "noise"})
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			run, err := runCorpusDir(dir, CorpusConfig{Pipeline: testPipeline()})
			if err != nil {
				t.Fatal(err)
			}
			rep := run.Report()
			if got := rep.Noise.Seconds; got < tt.noiseS-1e-12 || got > tt.noiseS+1e-12 {
				t.Errorf("noise %.6f s, want %.6f s", got, tt.noiseS)
			}
			var zeroWarnings []string
			for _, w := range rep.Warnings {
				if strings.Contains(w, "exactly zero") {
					zeroWarnings = append(zeroWarnings, w)
				}
			}
			switch {
			case tt.warnWords == "" && len(zeroWarnings) > 0:
				t.Errorf("warnings %q, want none of zeros", zeroWarnings)
			case tt.warnWords != "" && (len(zeroWarnings) != 1 || !strings.Contains(zeroWarnings[0], tt.warnWords)):
				t.Errorf("warnings %q, want one saying %q", rep.Warnings, tt.warnWords)
			}
		})
	}
}

func TestIntersectLen(t *testing.T) {
	tests := []struct {
		a, b [][2]int64
		want int64
	}{
		{nil, [][2]int64{{0, 10}}, 0},
		{[][2]int64{{0, 10}}, [][2]int64{{5, 20}}, 5},
		{[][2]int64{{0, 10}, {5, 15}}, [][2]int64{{0, 20}}, 15},  // a's windows overlap: counted once
		{[][2]int64{{20, 30}, {0, 10}}, [][2]int64{{5, 25}}, 10}, // a unsorted
		{[][2]int64{{0, 100}}, [][2]int64{{10, 20}, {30, 40}, {90, 120}}, 30},
		{[][2]int64{{0, 10}}, [][2]int64{{10, 20}}, 0}, // touching
	}
	for _, tt := range tests {
		if got := intersectLen(tt.a, tt.b); got != tt.want {
			t.Errorf("intersectLen(%v, %v) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// intersectLen is the length of the intersection of the union of the
// [start, end) intervals a and that of b, which must be sorted and
// disjoint.
func intersectLen(a, b [][2]int64) int64 {
	a = slices.Clone(a)
	slices.SortFunc(a, func(x, y [2]int64) int { return cmp.Compare(x[0], y[0]) })
	var merged [][2]int64
	for _, v := range a {
		if n := len(merged); n > 0 && v[0] <= merged[n-1][1] {
			merged[n-1][1] = max(merged[n-1][1], v[1])
			continue
		}
		merged = append(merged, v)
	}
	var total int64
	for i, j := 0, 0; i < len(merged) && j < len(b); {
		total += max(0, min(merged[i][1], b[j][1])-max(merged[i][0], b[j][0]))
		if merged[i][1] < b[j][1] {
			i++
		} else {
			j++
		}
	}
	return total
}
