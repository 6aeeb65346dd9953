package classify

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/rfwarden/rfwarden/internal/benchcpu"
)

// ofdmLike returns n samples of CP-OFDM-like noise (symbols of tu samples
// with a cp-sample cyclic prefix, plus noise) as real and imaginary parts
// and power, the form cpContrast reads.
func ofdmLike(n, tu, cp int) (re, im, pow []float64) {
	rng := rand.New(rand.NewPCG(3, 4))
	re, im, pow = make([]float64, n), make([]float64, n), make([]float64, n)
	sym := make([]complex128, tu)
	for i := 0; i < n; {
		for k := range sym {
			sym[k] = complex(rng.NormFloat64(), rng.NormFloat64())
		}
		for k := 0; k < tu+cp && i < n; k++ {
			v := sym[(k+tu-cp)%tu] + complex(0.3*rng.NormFloat64(), 0.3*rng.NormFloat64())
			re[i], im[i] = real(v), imag(v)
			pow[i] = re[i]*re[i] + im[i]*im[i]
			i++
		}
	}
	return re, im, pow
}

// The kernels measure spends most in (docs/classifiers.md, Cost), with
// their CPU time per operation (cpu-ns/op) beside the wall time.

// BenchmarkCPContrast times the 15 kHz and Wi-Fi CP tests (three lags
// each) as measure runs them on a 10 MHz burst decimated to 25 Msps, over
// sizes (samples of the CP signal).
func BenchmarkCPContrast(b *testing.B) {
	for _, n := range []int{4096, 16384, 65536} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			re, im, pow := ofdmLike(n, 1667, 117)
			ws := &workspace{}
			b.SetBytes(int64(16 * n))
			defer benchcpu.Report(b)()
			for b.Loop() {
				ws.reset()
				cpContrast(re, im, pow, 1666.67, 117.2, ws)
				cpContrast(re, im, pow, 80, 20, ws)
			}
		})
	}
}

// BenchmarkNewSpectrum times the Hann PSD and its prefix sums over sizes
// (FFT bins).
func BenchmarkNewSpectrum(b *testing.B) {
	for _, n := range []int{2048, 32768} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			spec := make([]complex64, n)
			for i := range spec {
				spec[i] = complex(float32(rng.NormFloat64()), float32(rng.NormFloat64()))
			}
			ws := &workspace{}
			b.SetBytes(int64(8 * n))
			defer benchcpu.Report(b)()
			for b.Loop() {
				ws.reset()
				newSpectrum(spec, ws)
			}
		})
	}
}

// BenchmarkNthSmallest times the median of a noise floor's smoothed PSD
// values (±20% around one level, the case the noise reference meets) over
// sizes: up to 512 values by quickSelect, above by the radix select.
func BenchmarkNthSmallest(b *testing.B) {
	for _, n := range []int{256, 512, 1024, 4096} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(11, 12))
			x := make([]float64, n)
			for i := range x {
				x[i] = 1e-6 * (1 + 0.2*rng.NormFloat64())
			}
			y := make([]float64, n)
			b.SetBytes(int64(8 * n))
			defer benchcpu.Report(b)()
			for b.Loop() {
				copy(y, x)
				nthSmallest(y, n/2)
			}
		})
	}
}

// BenchmarkFrameCorrSpan times the long-span TDMA frame periodicity
// (frameCorrSpan) over its bound, 4 GSM frames (18.5 ms) of noise, at the
// sample rates it serves (2, 4, 20 Msps).
func BenchmarkFrameCorrSpan(b *testing.B) {
	for _, fs := range []float64{2e6, 4e6, 20e6} {
		b.Run(fmt.Sprintf("%gMsps", fs/1e6), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			x := make([]complex64, int(frameSpanFrames*gsmFrameS*fs))
			for i := range x {
				x[i] = complex(float32(rng.NormFloat64()), float32(rng.NormFloat64()))
			}
			ws := &workspace{}
			b.SetBytes(int64(8 * len(x)))
			b.ReportAllocs()
			defer benchcpu.Report(b)()
			for b.Loop() {
				ws.reset()
				frameCorrSpan(x, fs, 300e3, ws)
			}
		})
	}
}
