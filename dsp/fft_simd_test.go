package dsp

import "testing"

// TestSIMDMatchesScalar checks the assembly kernels against the pure Go
// passes, in and out of place, forward and inverse. (TestFFTMatchesGonum
// checks whichever path the machine uses against gonum; -tags purego runs
// everything on the Go path.)
func TestSIMDMatchesScalar(t *testing.T) {
	if !haveSIMD() {
		t.Skip("no SIMD kernels on this CPU or build")
	}
	for lg := 1; lg <= 14; lg++ {
		n := 1 << lg
		x := coreRandIQ(uint64(lg), n)
		f := NewFFT(n)
		g := *f
		g.simd = false
		for _, inv := range []bool{false, true} {
			for _, inPlace := range []bool{false, true} {
				a, b := append([]complex64(nil), x...), append([]complex64(nil), x...)
				var da, db []complex64
				if inPlace {
					da, db = a, b
				}
				if inv {
					da, db = f.Sequence(da, a), g.Sequence(db, b)
				} else {
					da, db = f.Coefficients(da, a), g.Coefficients(db, b)
				}
				for k := range da {
					d := da[k] - db[k]
					if real(d)*real(d)+imag(d)*imag(d) > 1e-10*float32(n) {
						t.Fatalf("n=%d inverse=%v in place=%v: X[%d] simd %v, Go %v", n, inv, inPlace, k, da[k], db[k])
					}
				}
			}
		}
	}
}

func TestSIMDWindowAndPower(t *testing.T) {
	if !haveSIMD() {
		t.Skip("no SIMD kernels on this CPU or build")
	}
	for _, n := range []int{4, 8, 1024, 1028} {
		x := coreRandIQ(9, n)
		w := make([]float32, n)
		for i := range w {
			w[i] = float32(i) * 0.01
		}
		d := make([]complex64, n)
		windowSIMD(d, x, w)
		for i := range n &^ 3 {
			if want := complex(real(x[i])*w[i], imag(x[i])*w[i]); d[i] != want {
				t.Fatalf("n=%d window %d: %v, want %v", n, i, d[i], want)
			}
		}
		acc := make([]float64, n)
		for i := range acc {
			acc[i] = float64(i)
		}
		powerAccSIMD(acc, x)
		for i := range n &^ 3 {
			re, im := real(x[i]), imag(x[i])
			want := float64(i) + float64(re*re+im*im)
			if d := acc[i] - want; d > 1e-6 || d < -1e-6 {
				t.Fatalf("n=%d power %d: %v, want %v", n, i, acc[i], want)
			}
		}
	}
}
