package dsp

import (
	"fmt"
	"math"
)

// WindowKind names a spectral-analysis window.
type WindowKind int

// The window kinds. All are periodic (DFT-even): w[n] is defined for
// n = 0..N-1 with period N, the right form for spectral analysis by FFT
// (Harris 1978, "On the use of windows for harmonic analysis with the
// discrete Fourier transform", Proc. IEEE 66(1), section II).
const (
	// WindowRect is the rectangular window, w[n] = 1.
	WindowRect WindowKind = iota
	// WindowHann is w[n] = 0.5 - 0.5 cos(2πn/N); ENBW 1.5 bins.
	WindowHann
	// WindowBlackmanHarris is the 4-term minimum Blackman-Harris window
	// (Harris 1978, table I: a = 0.35875, 0.48829, 0.14128, 0.01168);
	// sidelobes below -92 dB, ENBW about 2.0 bins.
	WindowBlackmanHarris
	// WindowFlatTop is the 5-term flat-top window of MATLAB flattopwin
	// (a = 0.21557895, 0.41663158, 0.277263158, 0.083578947, 0.006947368);
	// scalloping loss below 0.01 dB, ENBW about 3.77 bins.
	WindowFlatTop
)

// String returns the window's name.
func (k WindowKind) String() string {
	switch k {
	case WindowRect:
		return "rect"
	case WindowHann:
		return "hann"
	case WindowBlackmanHarris:
		return "blackman-harris"
	case WindowFlatTop:
		return "flat-top"
	}
	return fmt.Sprintf("WindowKind(%d)", int(k))
}

// NewWindow returns the n coefficients of the window of the given kind.
// It panics if n < 1 or the kind is unknown.
func NewWindow(kind WindowKind, n int) []float32 {
	if n < 1 {
		panic(fmt.Sprintf("dsp: window length %d < 1", n))
	}
	w := make([]float32, n)
	switch kind {
	case WindowRect:
		return Rectangular(w)
	case WindowHann:
		return Hann(w)
	case WindowBlackmanHarris:
		return BlackmanHarris(w)
	case WindowFlatTop:
		return FlatTop(w)
	}
	panic(fmt.Sprintf("dsp: unknown window kind %d", int(kind)))
}

// cosineSum fills dst with the periodic cosine-sum window
// w[n] = Σ_k (-1)^k a[k] cos(2πkn/N), N = len(dst), computed in float64.
func cosineSum(dst []float32, a ...float64) []float32 {
	n := float64(len(dst))
	for i := range dst {
		x := 2 * math.Pi * float64(i) / n
		var s, sign float64 = 0, 1
		for k, ak := range a {
			s += sign * ak * math.Cos(float64(k)*x)
			sign = -sign
		}
		dst[i] = float32(s)
	}
	return dst
}

// Rectangular fills dst with the rectangular window (all ones) and returns it.
func Rectangular(dst []float32) []float32 {
	for i := range dst {
		dst[i] = 1
	}
	return dst
}

// Hann fills dst with the periodic Hann window of length len(dst),
// w[n] = 0.5 - 0.5 cos(2πn/N), and returns it.
func Hann(dst []float32) []float32 { return cosineSum(dst, 0.5, 0.5) }

// BlackmanHarris fills dst with the periodic 4-term Blackman-Harris
// window w[n] = 0.35875 - 0.48829 cos(2πn/N) + 0.14128 cos(4πn/N)
// - 0.01168 cos(6πn/N) and returns it.
func BlackmanHarris(dst []float32) []float32 {
	return cosineSum(dst, 0.35875, 0.48829, 0.14128, 0.01168)
}

// FlatTop fills dst with the periodic 5-term flat-top window (see
// WindowFlatTop) and returns it.
func FlatTop(dst []float32) []float32 {
	return cosineSum(dst, 0.21557895, 0.41663158, 0.277263158, 0.083578947, 0.006947368)
}

// CoherentGain returns the window's coherent (amplitude) gain Σw[n]/N: the
// factor by which a tone centred in a bin is scaled. It is 1 for
// WindowRect and 0.5 for WindowHann. It returns 0 for an empty window.
func CoherentGain(w []float32) float64 {
	if len(w) == 0 {
		return 0
	}
	var s float64
	for _, v := range w {
		s += float64(v)
	}
	return s / float64(len(w))
}

// ENBW returns the window's equivalent noise bandwidth in bins,
// N·Σw²/(Σw)² (Harris 1978, eq. 15): 1 for WindowRect, 1.5 for WindowHann. It returns
// 0 for an empty or all-zero window.
func ENBW(w []float32) float64 {
	var s, s2 float64
	for _, v := range w {
		s += float64(v)
		s2 += float64(v) * float64(v)
	}
	if s == 0 {
		return 0
	}
	return float64(len(w)) * s2 / (s * s)
}
