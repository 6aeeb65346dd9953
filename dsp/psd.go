package dsp

import (
	"fmt"
	"math"
)

// Welch accumulates a Welch power spectral density estimate (Welch 1967,
// "The use of fast Fourier transform for the estimation of power spectra",
// IEEE Trans. Audio Electroacoust. 15(2)) from a stream of complex64
// samples: frames of n samples, hopping by n - round(overlap·n), each
// windowed, transformed and its |X[k]|² summed.
//
// Normalisation (Frame and PSD): P[k] = |Σ_n w[n]·x[n]·e^{-2πikn/N}|² / (Σ_n w[n])².
// A complex tone of magnitude A centred in bin k reads A² there (a
// full-scale tone, |x| = 1, reads 1.0 = 0 dBFS after PowerDB) for every
// window. White noise of total power σ² (E|x|² = σ²) reads on average
// σ²·ENBW/N in every bin, ENBW the window's equivalent noise bandwidth in
// bins: the PSD sums to σ²·ENBW over the N bins. So a noise density in
// dBFS/bin is PowerDB(P) - 10·log10(ENBW).
//
// Each P[k] of a single frame of Gaussian noise is exponentially
// distributed (chi-squared with 2 degrees of freedom, scaled); the mean of
// K non-overlapping frames is Gamma(K, mean/K). NoiseFloor and CFAR use this.
//
// A Welch is not safe for concurrent use.
type Welch struct {
	n, hop int
	fft    *FFT
	win    []float32
	scale  float32     // 1/(Σw)²
	buf    []complex64 // pending samples, buf[:fill]
	fill   int
	work   []complex64 // windowed frame
	spec   []complex64 // its transform
	acc    []float64
	frames int
}

// NewWelch returns a Welch estimator with frames of n samples (a power of
// two ≥ 2), the given window and overlap, the fraction of a frame shared by
// consecutive frames (0 for none, 0.5 for half). It panics with "dsp: ..."
// if n is not a power of two or overlap is outside [0, 1).
func NewWelch(n int, kind WindowKind, overlap float64) *Welch {
	if !(overlap >= 0 && overlap < 1) {
		panic(fmt.Sprintf("dsp: Welch overlap %v outside [0, 1)", overlap))
	}
	f := NewFFT(n)
	w := &Welch{
		n:    n,
		hop:  max(1, n-int(math.Round(overlap*float64(n)))),
		fft:  f,
		win:  NewWindow(kind, n),
		buf:  make([]complex64, n),
		work: make([]complex64, n),
		spec: make([]complex64, n),
		acc:  make([]float64, n),
	}
	s := CoherentGain(w.win) * float64(n)
	w.scale = float32(1 / (s * s))
	return w
}

// Len returns the frame length n.
func (w *Welch) Len() int { return w.n }

// Hop returns the number of samples between the starts of consecutive frames.
func (w *Welch) Hop() int { return w.hop }

// Window returns the window coefficients. The caller must not modify them.
func (w *Welch) Window() []float32 { return w.win }

// Write feeds samples. Frames may span calls: samples not yet forming a
// full frame are kept for the next call. It never allocates.
func (w *Welch) Write(src []complex64) {
	n, hop := w.n, w.hop
	for len(src) > 0 {
		if w.fill == 0 && len(src) >= n {
			// Frames straight from src, no copy.
			for len(src) >= n {
				w.accumulate(src[:n])
				src = src[hop:]
			}
			w.fill = copy(w.buf, src)
			return
		}
		k := copy(w.buf[w.fill:], src)
		w.fill += k
		src = src[k:]
		if w.fill == n {
			w.accumulate(w.buf)
			w.fill = copy(w.buf, w.buf[hop:])
		}
	}
}

// accumulate adds one frame's |X|² (unscaled) to acc.
func (w *Welch) accumulate(frame []complex64) {
	x := w.fft.Coefficients(w.spec, ApplyWindow(w.work, frame, w.win))
	acc := w.acc[:len(x)]
	k := 0
	if w.fft.simd && len(x) >= 4 {
		powerAccSIMD(acc, x)
		k = len(x) &^ 3
	}
	for ; k < len(x); k++ {
		re, im := real(x[k]), imag(x[k])
		acc[k] += float64(re*re + im*im)
	}
	w.frames++
}

// Frames returns the number of frames accumulated since the last Reset.
func (w *Welch) Frames() int { return w.frames }

// PSD writes the mean of the accumulated frames' power spectra, normalised
// as described on Welch, in natural FFT order, to dst and returns it. A nil
// dst is allocated. With no frames yet it writes zeros. It panics with
// "dsp: ..." if len(dst) != Len().
func (w *Welch) PSD(dst []float32) []float32 {
	dst = w.checkDst(dst)
	if w.frames == 0 {
		clear(dst)
		return dst
	}
	s := float64(w.scale) / float64(w.frames)
	for k, v := range w.acc[:len(dst)] {
		dst[k] = float32(v * s)
	}
	return dst
}

// Reset discards accumulated frames and pending samples.
func (w *Welch) Reset() {
	clear(w.acc)
	w.frames = 0
	w.fill = 0
}

// Frame writes the power spectrum of one windowed frame of src, normalised
// as described on Welch, to dst and returns it. It does not touch the
// accumulated state and does not allocate when dst is not nil. It panics
// with "dsp: ..." if len(src) or len(dst) differ from Len().
func (w *Welch) Frame(dst []float32, src []complex64) []float32 {
	if len(src) != w.n {
		panic(fmt.Sprintf("dsp: Welch frame length %d, want %d", len(src), w.n))
	}
	dst = w.checkDst(dst)
	x := w.fft.Coefficients(w.spec, ApplyWindow(w.work, src, w.win))
	s := w.scale
	for k, v := range x[:len(dst)] {
		re, im := real(v), imag(v)
		dst[k] = (re*re + im*im) * s
	}
	return dst
}

func (w *Welch) checkDst(dst []float32) []float32 {
	if dst == nil {
		return make([]float32, w.n)
	}
	if len(dst) != w.n {
		panic(fmt.Sprintf("dsp: Welch destination length %d, want %d", len(dst), w.n))
	}
	return dst
}

// PowerDB writes 10·log10(src[i]) to dst and returns it, clamped below at
// -300 dB (so zero, negative and NaN input give -300, never -Inf or NaN).
// A nil dst is allocated and dst may be src. It panics with "dsp: ..." if
// the lengths differ.
func PowerDB(dst, src []float32) []float32 {
	if dst == nil {
		dst = make([]float32, len(src))
	} else if len(dst) != len(src) {
		panic(fmt.Sprintf("dsp: PowerDB destination length %d, want %d", len(dst), len(src)))
	}
	dst = dst[:len(src)]
	for i, v := range src {
		if !(v > 1e-30) {
			dst[i] = -300
			continue
		}
		dst[i] = float32(10 * math.Log10(float64(v)))
	}
	return dst
}
