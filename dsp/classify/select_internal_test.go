package classify

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rfwarden/rfwarden/dsp"
)

// TestNthSmallestMatchesSort checks the radix select against a full sort
// on data with ties, zeros of both signs, negatives, infinities and NaN.
func TestNthSmallestMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 13, 65, 300, 513, 1000, 4097} {
		for _, kind := range []string{"exp", "ties", "mixed", "descending"} {
			x := make([]float64, n)
			for i := range x {
				switch kind {
				case "exp":
					x[i] = rng.ExpFloat64() * 1e-9
				case "ties":
					x[i] = float64(rng.IntN(5))
				case "mixed":
					x[i] = []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), -3.5, 1e300, 2}[rng.IntN(8)] * (1 + float64(rng.IntN(2)))
				case "descending":
					x[i] = float64(n - i)
				}
			}
			sorted := slices.Clone(x)
			slices.Sort(sorted)
			for _, k := range []int{0, 1, n / 10, n / 2, n - 2, n - 1} {
				if k < 0 || k >= n {
					continue
				}
				got, want := nthSmallest(slices.Clone(x), k), sorted[k]
				if !(got == want || math.IsNaN(got) && math.IsNaN(want)) {
					t.Errorf("%s n=%d k=%d: %v, want %v", kind, n, k, got, want)
				}
			}
		}
	}
}

// TestPercentileExtremes checks the heap path of percentile (quantiles near
// either end) against a sort, over strided inputs, ties and NaN.
func TestPercentileExtremes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{100, 4096, 9000} {
		for _, kind := range []string{"exp", "ties", "nan", "ascending"} {
			x := make([]float64, n)
			for i := range x {
				switch kind {
				case "exp":
					x[i] = rng.ExpFloat64()
				case "ties":
					x[i] = float64(rng.IntN(4))
				case "nan":
					x[i] = rng.NormFloat64()
					if rng.IntN(50) == 0 {
						x[i] = math.NaN()
					}
				case "ascending":
					x[i] = float64(i)
				}
			}
			for _, q := range []float64{0, 0.01, 0.05, 0.1, 0.9, 0.95, 0.99, 0.995, 1} {
				got, want := percentile(x, q), percentileSorted(slices.Clone(x), q)
				if !(got == want || math.IsNaN(got) && math.IsNaN(want)) {
					t.Errorf("%s n=%d q=%v: %v, want %v", kind, n, q, got, want)
				}
			}
		}
	}
}

// TestLongestBurstsMatchesStableSort checks the burst vote's pick against
// a stable sort by length (longest first, equals in their order), over
// bursts with many equal lengths and some outside the IQ window.
func TestLongestBurstsMatchesStableSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{0, 1, 5, 6, 7, 40, 2500} {
		bursts := make([]dsp.Burst, n)
		for i := range bursts {
			bursts[i] = dsp.Burst{StartSample: int64(rng.IntN(100000)), SampleCount: int64(8 + 16*rng.IntN(12))}
		}
		start, end := int64(1000), int64(90000)
		var want []dsp.Burst
		for _, b := range bursts {
			if b.SampleCount >= 16 && b.StartSample >= start && b.StartSample+b.SampleCount <= end {
				want = append(want, b)
			}
		}
		slices.SortStableFunc(want, func(a, b dsp.Burst) int { return cmp.Compare(b.SampleCount, a.SampleCount) })
		want = want[:min(len(want), MaxBurstsAnalysed)]
		if got := longestBursts(bursts, start, end); !slices.Equal(got, want) {
			t.Errorf("n=%d: %v, want %v", n, got, want)
		}
	}
}
