package dsp

import (
	"fmt"
	"math"
	"math/bits"
	"unsafe"
)

// FFT is a complex64 fast Fourier transform of a fixed power-of-two size.
//
// It is an iterative decimation-in-time transform: a radix-2 bit-reversal
// permutation (fused with the first, twiddle-free radix-4 pass when dst is
// not src), radix-4 passes (each fusing two radix-2 stages, three complex
// multiplies per four points) and, when log2(n) is odd, a last radix-2
// pass. Twiddles are computed once in float64 and stored per pass in the
// order the passes read them. On amd64 with AVX2 and FMA the passes after
// the first run in assembly, four complex64 values per instruction. See Van
// Loan, "Computational Frameworks for the Fast Fourier Transform" (SIAM
// 1992), sections 1.4 and 2.3.
//
// An FFT holds only read-only tables after construction, so one value may be
// used from several goroutines at once.
type FFT struct {
	n     int
	rev   []int32 // bit-reversal permutation
	swaps []int32 // pairs (i, rev[i]) with i < rev[i], for in place

	// fw and iw hold the twiddles of the passes after the first, in pass
	// order: for the radix-4 pass joining blocks of m into blocks of 4m,
	// W^j for j < m, then W^2j, then W^3j, W = exp(∓2πi/(4m)); for the
	// final radix-2 pass (log2(n) odd), W^j for j < n/2, W = exp(∓2πi/n).
	// iw is the conjugate of fw.
	fw, iw []complex64
	odd    bool // log2(n) is odd: a radix-2 pass after the radix-4 ones
	simd   bool // use the AVX2+FMA kernels (amd64)
}

// NewFFT returns an FFT of length n. It panics unless n is a power of two
// and n ≥ 2.
func NewFFT(n int) *FFT {
	if n < 2 || n&(n-1) != 0 {
		panic(fmt.Sprintf("dsp: FFT length %d is not a power of two ≥ 2", n))
	}
	log2 := bits.Len(uint(n)) - 1
	f := &FFT{n: n, rev: make([]int32, n), odd: log2%2 == 1, simd: haveSIMD()}
	shift := 64 - log2
	for i := range f.rev {
		f.rev[i] = int32(bits.Reverse64(uint64(i)) >> shift)
		if int(f.rev[i]) > i {
			f.swaps = append(f.swaps, int32(i), f.rev[i])
		}
	}
	add := func(k, size int) {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(size))
		f.fw = append(f.fw, complex(float32(c), float32(s)))
		f.iw = append(f.iw, complex(float32(c), float32(-s)))
	}
	m := 4
	for ; 4*m <= n; m *= 4 {
		for p := 1; p <= 3; p++ {
			for j := range m {
				add(p*j, 4*m)
			}
		}
	}
	if f.odd && n > 2 {
		for j := range n / 2 {
			add(j, n)
		}
	}
	return f
}

// Len returns the length of the transform.
func (f *FFT) Len() int { return f.n }

// Coefficients computes the forward discrete Fourier transform of src,
// X[k] = Σ_n x[n]·exp(-2πi·k·n/N), without normalisation, and stores it in
// dst, which it returns. If dst is nil a new slice is allocated. dst may be
// src (in place); otherwise they must not overlap. Out of place is a little
// faster. It panics with "dsp: ..." unless len(src) == Len() and, when dst
// is not nil, len(dst) == Len().
func (f *FFT) Coefficients(dst, src []complex64) []complex64 {
	dst = f.check(dst, src)
	f.transform(dst, src, f.fw, false)
	return dst
}

// Sequence computes the inverse discrete Fourier transform of src,
// x[n] = Σ_k X[k]·exp(+2πi·k·n/N), without the 1/N normalisation, so
// Sequence(Coefficients(x)) is N·x. dst, src and panics are as for
// Coefficients.
func (f *FFT) Sequence(dst, src []complex64) []complex64 {
	dst = f.check(dst, src)
	f.transform(dst, src, f.iw, true)
	return dst
}

// check checks lengths and allocates a nil dst.
func (f *FFT) check(dst, src []complex64) []complex64 {
	n := f.n
	if len(src) != n {
		panic(fmt.Sprintf("dsp: FFT source length %d, want %d", len(src), n))
	}
	if dst == nil {
		return make([]complex64, n)
	}
	if len(dst) != n {
		panic(fmt.Sprintf("dsp: FFT destination length %d, want %d", len(dst), n))
	}
	return dst
}

// transform computes the transform of src into x. inverse selects the sign
// of the ±i rotations; tw must match it.
func (f *FFT) transform(x, src []complex64, tw []complex64, inverse bool) {
	n := f.n
	x = x[:n]
	if n == 2 {
		a, b := src[0], src[1]
		x[0], x[1] = a+b, a-b
		return
	}
	rev := f.rev[:n]
	if unsafe.SliceData(x) == unsafe.SliceData(src) {
		sw := f.swaps
		for i := 0; i+1 < len(sw); i += 2 {
			a, b := sw[i], sw[i+1]
			x[a], x[b] = x[b], x[a]
		}
	}
	sign, masks := &forwardSign, &firstForward
	if inverse {
		sign, masks = &inverseSign, &firstInverse
	}
	switch {
	case f.simd && unsafe.SliceData(x) == unsafe.SliceData(src):
		radix4FirstSIMD(x, masks)
	case f.simd:
		radix4FirstGatherSIMD(x, src, rev, masks)
	case unsafe.SliceData(x) == unsafe.SliceData(src):
		radix4First(x, x, nil, inverse)
	default:
		radix4First(x, src, rev, inverse)
	}
	off := 0
	m := 4
	for ; 4*m <= n; m *= 4 {
		w1 := tw[off : off+m]
		w2 := tw[off+m : off+2*m]
		w3 := tw[off+2*m : off+3*m]
		off += 3 * m
		if f.simd {
			radix4PassSIMD(x, w1, w2, w3, m, sign)
		} else {
			radix4Pass(x, w1, w2, w3, m, inverse)
		}
	}
	if f.odd {
		w := tw[off : off+n/2]
		if f.simd {
			radix2LastSIMD(x, w)
		} else {
			radix2Last(x, w)
		}
	}
}

// radix4First is the twiddle-free radix-4 pass joining blocks of 1 into 4.
// It reads src[rev[i]] for x[i] when rev is not nil (fusing the
// bit-reversal), else x itself (src must then be x).
func radix4First(x, src []complex64, rev []int32, inverse bool) {
	for i := 0; i+3 < len(x); i += 4 {
		q := x[i : i+4 : i+4]
		var x0, x1, x2, x3 complex64
		if rev != nil {
			r := rev[i : i+4 : i+4]
			x0, x1, x2, x3 = src[r[0]], src[r[1]], src[r[2]], src[r[3]]
		} else {
			x0, x1, x2, x3 = q[0], q[1], q[2], q[3]
		}
		a := x0 + x1
		b := x0 - x1
		c := x2 + x3
		d := x2 - x3
		// jd = -i·d forward, +i·d inverse.
		var jd complex64
		if inverse {
			jd = complex(-imag(d), real(d))
		} else {
			jd = complex(imag(d), -real(d))
		}
		q[0] = a + c
		q[2] = a - c
		q[1] = b + jd
		q[3] = b - jd
	}
}

// radix2Last joins the two halves of x: with h = len(x)/2 and w[j] = W^j,
// x[j], x[j+h] = x[j] ± w[j]·x[j+h].
func radix2Last(x, w []complex64) {
	h := len(x) / 2
	lo, hi := x[:h], x[h:2*h]
	w = w[:h]
	for j := range lo {
		e, o := lo[j], cmul(hi[j], w[j])
		lo[j], hi[j] = e+o, e-o
	}
}

// forwardSign and inverseSign are the xor masks the SIMD kernel applies
// to swap(d) = (imag d, real d) to get -i·d (forward) or +i·d (inverse).
var (
	forwardSign = [8]uint32{0, 1 << 31, 0, 1 << 31, 0, 1 << 31, 0, 1 << 31}
	inverseSign = [8]uint32{1 << 31, 0, 1 << 31, 0, 1 << 31, 0, 1 << 31, 0}

	// firstForward and firstInverse are the masks of the SIMD first pass:
	// the ±i sign mask, then negate complex lanes 1 and 3, then lanes 2, 3.
	firstForward = [24]uint32{
		0, 1 << 31, 0, 1 << 31, 0, 1 << 31, 0, 1 << 31,
		0, 0, 1 << 31, 1 << 31, 0, 0, 1 << 31, 1 << 31,
		0, 0, 0, 0, 1 << 31, 1 << 31, 1 << 31, 1 << 31,
	}
	firstInverse = [24]uint32{
		1 << 31, 0, 1 << 31, 0, 1 << 31, 0, 1 << 31, 0,
		0, 0, 1 << 31, 1 << 31, 0, 0, 1 << 31, 1 << 31,
		0, 0, 0, 0, 1 << 31, 1 << 31, 1 << 31, 1 << 31,
	}
)

// radix4Pass joins blocks of m into blocks of 4m. For j < m, with
// x0..x3 = x[s+j], x[s+j+m]·W^2j, x[s+j+2m]·W^j, x[s+j+3m]·W^3j:
// a, b = x0 ± x1; c, d = x2 ± x3; outputs a+c, b∓i·d, a-c, b±i·d.
// w1, w2, w3 hold W^j, W^2j, W^3j.
func radix4Pass(x []complex64, w1, w2, w3 []complex64, m int, inverse bool) {
	n := len(x)
	w1, w2, w3 = w1[:m], w2[:m], w3[:m]
	for s := 0; s < n; s += 4 * m {
		q0 := x[s : s+m : s+m]
		q1 := x[s+m : s+2*m : s+2*m]
		q2 := x[s+2*m : s+3*m : s+3*m]
		q3 := x[s+3*m : s+4*m : s+4*m]
		for j := range q0 {
			x0 := q0[j]
			x1 := cmul(q1[j], w2[j])
			x2 := cmul(q2[j], w1[j])
			x3 := cmul(q3[j], w3[j])
			a := x0 + x1
			b := x0 - x1
			c := x2 + x3
			d := x2 - x3
			var jd complex64
			if inverse {
				jd = complex(-imag(d), real(d))
			} else {
				jd = complex(imag(d), -real(d))
			}
			q0[j] = a + c
			q2[j] = a - c
			q1[j] = b + jd
			q3[j] = b - jd
		}
	}
}

// cmul multiplies two complex64 values with the plain four-multiply
// formula (no special handling of infinities).
func cmul(a, b complex64) complex64 {
	ar, ai, br, bi := real(a), imag(a), real(b), imag(b)
	return complex(ar*br-ai*bi, ar*bi+ai*br)
}

// Shift writes src to dst rotated by len(src)/2, the fftshift of a spectrum
// in natural FFT order: DC (src[0]) goes to dst[len/2], the most negative
// frequency to dst[0]. dst may be src. It panics with "dsp: ..." if the
// lengths differ.
func Shift(dst, src []float32) {
	n := len(src)
	if len(dst) != n {
		panic(fmt.Sprintf("dsp: Shift destination length %d, want %d", len(dst), n))
	}
	h := n / 2
	if n == 0 {
		return
	}
	if unsafe.SliceData(dst) == unsafe.SliceData(src) {
		// Rotate right by h in place: reverse all, then both parts.
		reverse32(dst)
		reverse32(dst[:h])
		reverse32(dst[h:])
		return
	}
	copy(dst[h:], src[:n-h])
	copy(dst[:h], src[n-h:])
}

func reverse32(s []float32) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

// FromCI8 converts interleaved signed 8-bit I/Q bytes (HackRF "ci8",
// SigMF ci8: I0 Q0 I1 Q1 ...) to complex64 scaled by 1/128, so a code of
// -128 is -1.0 and full scale is magnitude ≈ 1 (0 dBFS). If dst is nil a
// slice of len(src)/2 is allocated. It panics with "dsp: ..." if len(src)
// is odd or len(dst) != len(src)/2.
func FromCI8(dst []complex64, src []byte) []complex64 {
	if len(src)%2 != 0 {
		panic(fmt.Sprintf("dsp: FromCI8 source length %d is odd", len(src)))
	}
	n := len(src) / 2
	if dst == nil {
		dst = make([]complex64, n)
	} else if len(dst) != n {
		panic(fmt.Sprintf("dsp: FromCI8 destination length %d, want %d", len(dst), n))
	}
	src = src[:2*n]
	i := 0
	if n >= 4 && haveSIMD() {
		fromCI8SIMD(dst, src, 1.0/128)
		i = n &^ 3
	}
	for ; i < n; i++ {
		re := float32(int8(src[2*i])) * (1.0 / 128)
		im := float32(int8(src[2*i+1])) * (1.0 / 128)
		dst[i] = complex(re, im)
	}
	return dst
}

// ApplyWindow writes src[i]·w[i] to dst and returns it; a nil dst is
// allocated and dst may be src. It panics with "dsp: ..." unless all three
// lengths agree.
func ApplyWindow(dst, src []complex64, w []float32) []complex64 {
	n := len(src)
	if len(w) != n {
		panic(fmt.Sprintf("dsp: window length %d, want %d", len(w), n))
	}
	if dst == nil {
		dst = make([]complex64, n)
	} else if len(dst) != n {
		panic(fmt.Sprintf("dsp: ApplyWindow destination length %d, want %d", len(dst), n))
	}
	w = w[:n]
	dst = dst[:n]
	i := 0
	if n >= 4 && haveSIMD() {
		windowSIMD(dst, src, w)
		i = n &^ 3
	}
	for ; i < n; i++ {
		v := src[i]
		dst[i] = complex(real(v)*w[i], imag(v)*w[i])
	}
	return dst
}
