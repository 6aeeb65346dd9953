package classify

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rfwarden/rfwarden/dsp"
)

// movingAvgRef is the straightforward centred moving average movingAvg
// must reproduce exactly.
func movingAvgRef(x []float64, w int) []float64 {
	out := make([]float64, len(x))
	if w <= 1 {
		copy(out, x)
		return out
	}
	var s float64
	h := w / 2
	for i := 0; i < len(x)+h; i++ {
		if i < len(x) {
			s += x[i]
		}
		if j := i - w; j >= 0 {
			s -= x[j]
		}
		if k := i - h; k >= 0 && k < len(x) {
			n := min(i, len(x)-1) - max(0, i-w+1) + 1
			out[k] = s / float64(n)
		}
	}
	return out
}

func TestMovingAvgMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 5, 16, 63, 64, 65, 1000} {
		for _, w := range []int{0, 1, 2, 3, 16, 64, 65, 200, 2000} {
			x := make([]float64, n)
			for i := range x {
				x[i] = rng.ExpFloat64()
			}
			got, want := movingAvg(x, w), movingAvgRef(x, w)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("n=%d w=%d: out[%d] = %v, want %v", n, w, i, got[i], want[i])
				}
			}
		}
	}
}

func TestPercentileMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 7, 100, 4096, 5000} {
		for _, q := range []float64{0, 0.1, 0.5, 0.9, 0.99, 1} {
			x := make([]float64, n)
			for i := range x {
				x[i] = float64(rng.IntN(20)) // many ties
			}
			y := append([]float64(nil), x...)
			got := percentile(x, q)
			want := percentileSorted(y, q)
			if got != want {
				t.Errorf("n=%d q=%v: %v, want %v", n, q, got, want)
			}
		}
	}
}

// percentileSorted is percentile by a full sort (the former implementation).
func percentileSorted(x []float64, q float64) float64 {
	if len(x) > 4096 {
		stride := len(x) / 4096
		var sub []float64
		for i := 0; i < len(x); i += stride {
			sub = append(sub, x[i])
		}
		x = sub
	}
	slices.Sort(x)
	i := int(q * float64(len(x)-1))
	return x[min(max(i, 0), len(x)-1)]
}

func TestNthSmallestNaN(t *testing.T) {
	x := []float64{3, math.NaN(), 1, 2}
	if got := nthSmallest(x, 0); !math.IsNaN(got) {
		t.Errorf("nthSmallest(.., 0) = %v, want NaN (sorted first)", got)
	}
	x = []float64{3, math.NaN(), 1, 2}
	if got := nthSmallest(x, 3); got != 3 {
		t.Errorf("nthSmallest(.., 3) = %v, want 3", got)
	}
}

// TestWindowMeansMatchesWindowMean: the one-pass moving means give
// windowMean's values bit for bit, at the clamped ends as inside, for
// windows wider than the data too.
func TestWindowMeansMatchesWindowMean(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 2, 5, 16, 100, 1000} {
		x := make([]float64, n)
		cum := make([]float64, n+1)
		for i := range x {
			x[i] = rng.ExpFloat64()
			cum[i+1] = cum[i] + x[i]
		}
		for _, w := range []int{0, 1, 2, 3, 4, 16, 17, 64, 2000} {
			for j0 := 0; j0 < n; j0 += 1 + n/7 {
				for l := 0; j0+l <= n; l += 1 + n/5 {
					dst := make([]float64, l)
					windowMeans(dst, cum, w, j0)
					for i := range dst {
						if want := windowMean(cum, w, j0+i); dst[i] != want {
							t.Fatalf("n=%d w=%d j0=%d: dst[%d] = %v, want %v", n, w, j0, i, dst[i], want)
						}
					}
				}
			}
		}
	}
}

// TestNewSpectrumMatchesDefinition: the Hann PSD in shifted order and its
// prefix sums, against the formula evaluated bin by bin.
func TestNewSpectrumMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{2, 4, 16, 1024} {
		spec := make([]complex64, n)
		for i := range spec {
			spec[i] = complex(float32(rng.NormFloat64()), float32(rng.NormFloat64()))
		}
		s := newSpectrum(spec, &workspace{})
		var acc float64
		for j := 0; j < n; j++ {
			k := (j + n/2) % n
			a, b, c := spec[(k+n-1)%n], spec[k], spec[(k+1)%n]
			re := 0.5*float64(real(b)) - 0.25*(float64(real(a))+float64(real(c)))
			im := 0.5*float64(imag(b)) - 0.25*(float64(imag(a))+float64(imag(c)))
			want := re*re + im*im
			acc += want
			if s.psd[j] != want || s.cum[j+1] != acc {
				t.Fatalf("n=%d: psd[%d] = %v (cum %v), want %v (cum %v)", n, j, s.psd[j], s.cum[j+1], want, acc)
			}
		}
	}
}

// TestGateSegmentMatchesGate: the gated segment, written burst by burst,
// against the segment times gate's weights, over ordered and overlapping,
// unordered, short (under two ramps) and edge-crossing bursts, coverages
// the gate refuses, and samples that are not finite.
func TestGateSegmentMatchesGate(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	const n, ramp = 4096, 200
	seg := make([]complex64, n)
	for i := range seg {
		seg[i] = complex(float32(rng.NormFloat64()), float32(rng.NormFloat64()))
	}
	seg[7], seg[9] = complex(float32(math.Inf(1)), 0), complex(0, float32(math.NaN()))
	same := func(a, b float32) bool { return a == b || a != a && b != b }
	for trial := 0; trial < 400; trial++ {
		var bursts []dsp.Burst
		at := int64(rng.IntN(600)) - 300
		for k := rng.IntN(12); k > 0; k-- {
			l := int64(1 + rng.IntN(900))
			if rng.IntN(3) == 0 {
				l = int64(1 + rng.IntN(2*ramp)) // shorter than two ramps
			}
			bursts = append(bursts, dsp.Burst{StartSample: at, SampleCount: l})
			at += l + int64(rng.IntN(700)) - 60 // sometimes overlapping
		}
		if trial%7 == 0 {
			rng.Shuffle(len(bursts), func(i, j int) { bursts[i], bursts[j] = bursts[j], bursts[i] })
		}
		segStart := int64(rng.IntN(200))
		ws := &workspace{}
		g := gate(bursts, segStart, n, ramp, ws)
		got := gateSegment(seg, bursts, segStart, ramp, &workspace{})
		if (g == nil) != (got == nil) {
			t.Fatalf("trial %d: gate nil %v, gateSegment nil %v (bursts %v)", trial, g == nil, got == nil, bursts)
		}
		for i := range got {
			v, w := seg[i], float32(g[i])
			want := complex(real(v)*w, imag(v)*w)
			if !same(real(got[i]), real(want)) || !same(imag(got[i]), imag(want)) {
				t.Fatalf("trial %d: sample %d = %v, want %v (weight %v; bursts %v)", trial, i, got[i], want, g[i], bursts)
			}
		}
	}
}
