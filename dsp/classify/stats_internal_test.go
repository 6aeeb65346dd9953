package classify

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
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
