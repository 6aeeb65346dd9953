package agent

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rfwarden/rfwarden/sensor"
)

// TestSpectrumOf checks the published summary's levels and bin order: a
// bin-centred tone of amplitude A reads 20·log10(A) − GainDB in its bin,
// lowest frequency first; white noise of power σ² reads σ²·ENBW/N per bin
// (Hann: ENBW 1.5); the frames are spread over the whole block.
func TestSpectrumOf(t *testing.T) {
	const n = SpectrumBins
	tone := func(x []complex64, amp float64, bin int) {
		for i := range x {
			x[i] += complex64(cmplx.Rect(amp, 2*math.Pi*float64(bin)*float64(i)/n))
		}
	}
	for _, tc := range []struct {
		name    string
		samples int
		gainDB  float64
		fill    func(x []complex64)
		bin     int     // bin (lowest frequency first) to read
		wantDB  float64 // its level; every bin two or more away reads 100 dB less
	}{
		{"tone at +fs/4", 16 * n, 20, func(x []complex64) { tone(x, 0.5, n/4) }, n/2 + n/4, -6.02 - 20},
		{"tone at -fs/8", 16 * n, 0, func(x []complex64) { tone(x, 1, -n/8) }, n/2 - n/8, 0},
		{"DC", 4 * n, 10, func(x []complex64) { tone(x, 0.1, 0) }, n / 2, -20 - 10},
		// 64 frames' worth: 16 frames are read, one every 4; the tone is
		// in the second half only, so half of them hold it: −3 dB.
		{"tone in half the block", 64 * n, 0, func(x []complex64) { tone(x[len(x)/2:], 1, 10) }, n/2 + 10, -3.01},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := make([]complex64, tc.samples)
			tc.fill(x)
			psd := SpectrumOf(sensor.Block{Samples: x, GainDB: tc.gainDB})
			if len(psd) != n {
				t.Fatalf("%d bins, want %d", len(psd), n)
			}
			if got := float64(psd[tc.bin]); math.Abs(got-tc.wantDB) > 0.05 {
				t.Errorf("bin %d reads %.2f dB, want %.2f", tc.bin, got, tc.wantDB)
			}
			if peak := slices.Index(psd, slices.Max(psd)); peak != tc.bin {
				t.Errorf("peak in bin %d, want %d", peak, tc.bin)
			}
			for i, v := range psd {
				if (i < tc.bin-1 || i > tc.bin+1) && float64(v) > tc.wantDB-100 {
					t.Errorf("bin %d reads %.1f dB away from the tone", i, v)
				}
			}
		})
	}

	t.Run("noise", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		const sigma2 = 1e-4 // −40 dBFS
		x := make([]complex64, 16*n)
		for i := range x {
			x[i] = complex(float32(rng.NormFloat64()*math.Sqrt(sigma2/2)), float32(rng.NormFloat64()*math.Sqrt(sigma2/2)))
		}
		psd := SpectrumOf(sensor.Block{Samples: x})
		var mean float64
		for _, v := range psd {
			mean += math.Pow(10, float64(v)/10)
		}
		mean /= n
		want := sigma2 * 1.5 / n
		if r := 10 * math.Log10(mean/want); math.Abs(r) > 0.3 {
			t.Errorf("mean bin %.3g, want %.3g (%.2f dB off)", mean, want, r)
		}
	})

	if psd := SpectrumOf(sensor.Block{Samples: make([]complex64, n-1)}); psd != nil {
		t.Errorf("%d samples gave %d bins, want none", n-1, len(psd))
	}
}
