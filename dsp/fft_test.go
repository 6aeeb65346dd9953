package dsp

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"
)

// coreRandIQ returns n seeded complex64 samples with I and Q uniform in [-1, 1).
func coreRandIQ(seed uint64, n int) []complex64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]complex64, n)
	for i := range x {
		x[i] = complex(float32(2*rng.Float64()-1), float32(2*rng.Float64()-1))
	}
	return x
}

// fftTol is the accepted max |error| of the complex64 FFT against gonum's
// complex128 FFT: 1e-6·sqrt(N)·max|x|, 100 times tighter than the usual
// float32 bound 1e-4·sqrt(N)·max|x|. Measured on uniform random input
// (TestFFTMatchesGonum -v): max error ≈ 3.3e-7·sqrt(N)·max|x| at N = 65536,
// less at small N.
func fftTol(n int, maxAbs float64) float64 {
	return 1e-6 * math.Sqrt(float64(n)) * maxAbs
}

func TestFFTMatchesGonum(t *testing.T) {
	maxLog := 16
	if testing.Short() {
		maxLog = 12
	}
	for lg := 1; lg <= maxLog; lg++ {
		n := 1 << lg
		x := coreRandIQ(uint64(n), n)
		x128 := make([]complex128, n)
		var maxAbs float64
		for i, v := range x {
			x128[i] = complex128(v)
			maxAbs = max(maxAbs, cmplx.Abs(x128[i]))
		}
		ref := fourier.NewCmplxFFT(n)
		wantF := ref.Coefficients(nil, x128)
		wantI := ref.Sequence(nil, x128) // unnormalised inverse, like ours

		f := NewFFT(n)
		if f.Len() != n {
			t.Fatalf("Len() = %d, want %d", f.Len(), n)
		}
		gotF := f.Coefficients(nil, x)
		gotI := f.Sequence(nil, x)
		inPlace := append([]complex64(nil), x...)
		f.Coefficients(inPlace, inPlace)

		tol := fftTol(n, maxAbs)
		var errF, errI float64
		for k := range n {
			errF = max(errF, cmplx.Abs(complex128(gotF[k])-wantF[k]))
			errI = max(errI, cmplx.Abs(complex128(gotI[k])-wantI[k]))
			if inPlace[k] != gotF[k] {
				t.Fatalf("n=%d: in-place X[%d] = %v, out-of-place %v", n, k, inPlace[k], gotF[k])
			}
		}
		t.Logf("n=%6d max err forward %.3g inverse %.3g (tol %.3g, ratio %.2f)", n, errF, errI, tol, max(errF, errI)/tol)
		if errF > tol || errI > tol {
			t.Errorf("n=%d: max error forward %g inverse %g, tolerance %g", n, errF, errI, tol)
		}
	}
}

func TestFFTKnownValues(t *testing.T) {
	const n = 16
	f := NewFFT(n)
	tests := []struct {
		name string
		x    func(i int) complex64
		want func(k int) complex64
	}{
		{"impulse at 0", func(i int) complex64 {
			if i == 0 {
				return 1
			}
			return 0
		}, func(int) complex64 { return 1 }},
		{"constant", func(int) complex64 { return 1 }, func(k int) complex64 {
			if k == 0 {
				return n
			}
			return 0
		}},
		{"tone in bin 3", func(i int) complex64 {
			return complex64(cmplx.Exp(complex(0, 2*math.Pi*3*float64(i)/n)))
		}, func(k int) complex64 {
			if k == 3 {
				return n
			}
			return 0
		}},
		{"impulse at 1", func(i int) complex64 {
			if i == 1 {
				return 1
			}
			return 0
		}, func(k int) complex64 { return complex64(cmplx.Exp(complex(0, -2*math.Pi*float64(k)/n))) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := make([]complex64, n)
			for i := range x {
				x[i] = tc.x(i)
			}
			got := f.Coefficients(nil, x)
			for k := range got {
				if d := cmplx.Abs(complex128(got[k] - tc.want(k))); d > 1e-5 {
					t.Errorf("X[%d] = %v, want %v", k, got[k], tc.want(k))
				}
			}
		})
	}
}

func TestFFTParsevalAndRoundTrip(t *testing.T) {
	for _, n := range []int{2, 8, 64, 1024, 4096} {
		x := coreRandIQ(7, n)
		f := NewFFT(n)
		X := f.Coefficients(nil, x)
		var ex, eX float64
		for i := range x {
			ex += float64(real(x[i])*real(x[i]) + imag(x[i])*imag(x[i]))
			eX += float64(real(X[i])*real(X[i]) + imag(X[i])*imag(X[i]))
		}
		if got, want := eX/float64(n), ex; math.Abs(got-want) > 1e-5*want {
			t.Errorf("n=%d: Σ|X|²/N = %g, Σ|x|² = %g", n, got, want)
		}
		y := f.Sequence(nil, X)
		for i := range y {
			if d := cmplx.Abs(complex128(y[i]/complex(float32(n), 0) - x[i])); d > 1e-5 {
				t.Fatalf("n=%d: round trip x[%d] = %v, want %v", n, i, y[i]/complex(float32(n), 0), x[i])
			}
		}
	}
}

func TestNewFFTPanics(t *testing.T) {
	for _, n := range []int{-1, 0, 1, 3, 12, 1000} {
		if !panics(func() { NewFFT(n) }) {
			t.Errorf("NewFFT(%d) did not panic", n)
		}
	}
	f := NewFFT(8)
	if !panics(func() { f.Coefficients(nil, make([]complex64, 4)) }) {
		t.Error("short src did not panic")
	}
	if !panics(func() { f.Coefficients(make([]complex64, 9), make([]complex64, 8)) }) {
		t.Error("long dst did not panic")
	}
}

// panics reports whether fn panics with a "dsp: " message.
func panics(fn func()) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			s, isStr := r.(string)
			ok = isStr && len(s) > 5 && s[:5] == "dsp: "
		}
	}()
	fn()
	return false
}

func TestShift(t *testing.T) {
	tests := []struct {
		src, want []float32
	}{
		{[]float32{0, 1, 2, 3}, []float32{2, 3, 0, 1}},
		{[]float32{0, 1, 2, 3, 4}, []float32{3, 4, 0, 1, 2}}, // numpy fftshift
		{[]float32{}, []float32{}},
	}
	for _, tc := range tests {
		got := make([]float32, len(tc.src))
		Shift(got, tc.src)
		inPlace := append([]float32(nil), tc.src...)
		Shift(inPlace, inPlace)
		for i := range tc.want {
			if got[i] != tc.want[i] || inPlace[i] != tc.want[i] {
				t.Errorf("Shift(%v) = %v (in place %v), want %v", tc.src, got, inPlace, tc.want)
				break
			}
		}
	}
}

func TestFromCI8(t *testing.T) {
	got := FromCI8(nil, []byte{0x80, 0x7f, 0, 0x40, 0xff, 0xc0})
	want := []complex64{complex(-1, 127.0/128), complex(0, 0.5), complex(-1.0/128, -0.5)}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("sample %d = %v, want %v", i, got[i], want[i])
		}
	}
	// Every byte value, both paths (SIMD for the first len&^3 samples).
	raw := make([]byte, 2*257)
	for i := range raw {
		raw[i] = byte(i * 37)
	}
	x := FromCI8(nil, raw)
	for i := range x {
		if want := complex(float32(int8(raw[2*i]))/128, float32(int8(raw[2*i+1]))/128); x[i] != want {
			t.Fatalf("sample %d = %v, want %v", i, x[i], want)
		}
	}
	if !panics(func() { FromCI8(nil, []byte{1, 2, 3}) }) {
		t.Error("odd length did not panic")
	}
}
