package dsp

import (
	"fmt"
	"math"
	"math/bits"
)

// detectFFT is the detector's own in-place radix-2 complex64 FFT. It exists
// so the detector does not depend on the timing of the package's general FFT
// work; it is tested against a direct DFT in detect_test.go.
type detectFFT struct {
	n       int
	twiddle []complex64 // per stage of size m ≥ 4, exp(-2πij/m) for j < m/2, stages concatenated
	rev     []int32     // bit-reversal permutation
}

// newDetectFFT returns an FFT of size n, which must be a power of two ≥ 2.
func newDetectFFT(n int) (*detectFFT, error) {
	if n < 2 || n&(n-1) != 0 {
		return nil, fmt.Errorf("dsp: fft size %d is not a power of two ≥ 2", n)
	}
	f := &detectFFT{n: n, rev: make([]int32, n)}
	for m := 4; m <= n; m <<= 1 {
		for j := range m / 2 {
			s, c := math.Sincos(-2 * math.Pi * float64(j) / float64(m))
			f.twiddle = append(f.twiddle, complex(float32(c), float32(s)))
		}
	}
	shift := 64 - bits.Len(uint(n-1))
	for i := range f.rev {
		f.rev[i] = int32(bits.Reverse64(uint64(i)) >> shift)
	}
	return f, nil
}

// transform computes the forward DFT X[k] = Σ x[j]·exp(-2πijk/n) of x in place.
func (f *detectFFT) transform(x []complex64) {
	n := f.n
	x = x[:n]
	for i, r := range f.rev {
		if int(r) > i {
			x[i], x[r] = x[r], x[i]
		}
	}
	for i := 0; i+1 < n; i += 2 { // size-2 stage: twiddle 1
		a, b := x[i], x[i+1]
		x[i], x[i+1] = a+b, a-b
	}
	tw := f.twiddle
	for size := 4; size <= n; size <<= 1 {
		half := size >> 1
		w := tw[:half]
		tw = tw[half:]
		for start := 0; start < n; start += size {
			lo := x[start : start+half]
			hi := x[start+half : start+size]
			for j, wj := range w {
				a := lo[j]
				b := hi[j] * wj
				lo[j] = a + b
				hi[j] = a - b
			}
		}
	}
}
