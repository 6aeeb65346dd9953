package dsp

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkFFT times the forward FFT in place (as FFTW in bench/run.sh).
func BenchmarkFFT(b *testing.B) { benchFFT(b, true) }

// BenchmarkFFTOutOfPlace times the forward FFT with dst != src, the form
// Welch uses.
func BenchmarkFFTOutOfPlace(b *testing.B) { benchFFT(b, false) }

func benchFFT(b *testing.B, inPlace bool) {
	for lg := 6; lg <= 16; lg++ {
		n := 1 << lg
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			f := NewFFT(n)
			x := coreRandIQ(1, n)
			y := make([]complex64, n)
			if inPlace {
				y = x
			}
			b.ReportAllocs()
			b.SetBytes(int64(8 * n))
			for b.Loop() {
				f.Coefficients(y, x)
			}
		})
	}
}

// coreCI8Block returns a seeded block of ci8 noise bytes.
func coreCI8Block(n int) []byte {
	rng := rand.New(rand.NewPCG(3, 4))
	buf := make([]byte, n)
	for i := range buf {
		buf[i] = byte(int8(rng.NormFloat64() * 20))
	}
	return buf
}

// BenchmarkPathCI8 is the sensor's per-block path on one core: a 262144-byte
// ci8 block (131072 samples, one HackRF USB transfer) -> complex64 ->
// Hann window -> 1024-point FFT -> |X|² accumulated (128 frames, no
// overlap) -> PSD -> per-bin noise floor (history 8) -> CFAR. Msps =
// (MB/s)/2 since each sample is 2 bytes; also reported as a metric.
func BenchmarkPathCI8(b *testing.B) {
	for _, overlap := range []float64{0, 0.5} {
		b.Run(fmt.Sprintf("overlap=%v", overlap), func(b *testing.B) {
			const nfft, blockBytes = 1024, 262144
			raw := coreCI8Block(blockBytes)
			iq := make([]complex64, blockBytes/2)
			w := NewWelch(nfft, WindowHann, overlap)
			nf := NewNoiseFloor(nfft, 8, 0.5, 15, 128)
			c := NewCFAR(nfft, 1e-4, 2, 8, 128)
			psd := make([]float32, nfft)
			floor := make([]float32, nfft)
			hits := make([]bool, nfft)
			b.ReportAllocs()
			b.SetBytes(blockBytes)
			for b.Loop() {
				FromCI8(iq, raw)
				w.Reset()
				w.Write(iq)
				w.PSD(psd)
				NotchDC(psd, 1)
				nf.Update(psd)
				nf.Floor(floor)
				c.Detect(hits, psd, floor)
			}
			b.ReportMetric(float64(b.N)*blockBytes/2/b.Elapsed().Seconds()/1e6, "Msps")
		})
	}
}

func BenchmarkFromCI8(b *testing.B) {
	raw := coreCI8Block(262144)
	iq := make([]complex64, len(raw)/2)
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		FromCI8(iq, raw)
	}
}

func BenchmarkWelchWrite(b *testing.B) {
	for _, n := range []int{256, 1024, 4096} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			x := coreRandIQ(2, 65536)
			w := NewWelch(n, WindowHann, 0.5)
			b.ReportAllocs()
			b.SetBytes(int64(8 * len(x)))
			for b.Loop() {
				w.Write(x)
			}
		})
	}
}

func BenchmarkNoiseFloor(b *testing.B) {
	const n = 1024
	psd := make([]float32, n)
	rng := rand.New(rand.NewPCG(5, 6))
	nf := NewNoiseFloor(n, 8, 0.5, 15, 16)
	for range 8 {
		for i := range psd {
			psd[i] = float32(rng.ExpFloat64())
		}
		nf.Update(psd)
	}
	floor := make([]float32, n)
	b.Run("NoiseFloor", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(4 * n)
		for b.Loop() {
			nf.Floor(floor)
		}
	})
	b.Run("FloorPerBin", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(4 * n)
		for b.Loop() {
			FloorPerBin(floor, psd, 15)
		}
	})
	b.Run("FloorEstimate", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(4 * n)
		for b.Loop() {
			FloorEstimate(psd, floor)
		}
	})
}

func BenchmarkCFAR(b *testing.B) {
	const n = 1024
	psd := make([]float32, n)
	floor := make([]float32, n)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range psd {
		psd[i] = float32(rng.ExpFloat64())
		floor[i] = 1
	}
	c := NewCFAR(n, 1e-4, 2, 8, 1)
	hits := make([]bool, n)
	for _, mode := range []string{"floor", "cell-average"} {
		b.Run(mode, func(b *testing.B) {
			fl := floor
			if mode != "floor" {
				fl = nil
			}
			b.ReportAllocs()
			b.SetBytes(4 * n)
			for b.Loop() {
				c.Detect(hits, psd, fl)
			}
		})
	}
}
