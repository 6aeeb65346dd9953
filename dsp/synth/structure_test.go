package synth

import (
	"math"
	"math/cmplx"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"
)

// The 802.11 short training field repeats every 0.8 µs (16 samples at 20 Msps).
func TestWiFiSTFPeriodicity(t *testing.T) {
	x := make([]complex64, 4000)
	truth := WiFi(x, Params{SampleRateHz: 20e6, PowerFS: 1, Seed: 9})
	if len(truth) != 1 || truth[0].SampleCount != 4000 {
		t.Fatalf("truth %+v, want one 200 µs packet", truth)
	}
	lagCorr := func(from, to, lag int) float64 {
		var c complex128
		var e float64
		for i := from; i < to; i++ {
			c += complex128(x[i]) * cmplx.Conj(complex128(x[i+lag]))
			e += cmplx.Abs(complex128(x[i])) * cmplx.Abs(complex128(x[i+lag]))
		}
		return cmplx.Abs(c) / e
	}
	if got := lagCorr(8, 140, 16); got < 0.98 {
		t.Errorf("STF correlation at 0.8 µs: %.3f, want ≥ 0.98", got)
	}
	// The data symbols are not 0.8 µs periodic.
	if got := lagCorr(600, 3000, 16); got > 0.3 {
		t.Errorf("data correlation at 0.8 µs: %.3f, want < 0.3", got)
	}
}

// DroneID symbols 4 and 6 carry Zadoff-Chu sequences of roots 600 and 147,
// length 601, element m+300 on subcarrier m.
func TestDroneIDZadoffChu(t *testing.T) {
	const fs = 15.36e6
	x := make([]complex64, 10000)
	DroneID(x, Params{SampleRateHz: fs, PowerFS: 1, Seed: 2})
	zc := func(root int) []complex128 {
		z := make([]complex128, 0, 600)
		for m := -300; m <= 300; m++ {
			if m != 0 { // subcarrier m carries element m+300 of 601; DC's is not sent
				q := float64(m + 300)
				z = append(z, cmplx.Exp(complex(0, -math.Pi*float64(root)*q*(q+1)/601)))
			}
		}
		return z
	}
	fft := fourier.NewCmplxFFT(1024)
	symbol := func(k int) []complex128 {
		start := 1024 + 80 + (k-1)*(1024+72) + 72 // skip the first symbol and k-1 others, then the CP
		in := make([]complex128, 1024)
		for i := range in {
			in[i] = complex128(x[start+i])
		}
		out := fft.Coefficients(nil, in)
		y := make([]complex128, 0, 600)
		for m := -300; m <= 300; m++ {
			if m != 0 {
				y = append(y, out[(m+1024)%1024])
			}
		}
		return y
	}
	corr := func(y, z []complex128) float64 {
		var c complex128
		var ey, ez float64
		for i := range y {
			c += y[i] * cmplx.Conj(z[i])
			ey += real(y[i])*real(y[i]) + imag(y[i])*imag(y[i])
			ez += real(z[i])*real(z[i]) + imag(z[i])*imag(z[i])
		}
		return cmplx.Abs(c) / math.Sqrt(ey*ez)
	}
	tests := []struct {
		sym, root int
		min, max  float64
	}{
		{3, 600, 0.95, 1.001}, {5, 147, 0.95, 1.001}, {3, 147, 0, 0.2}, {5, 600, 0, 0.2}, {1, 600, 0, 0.2},
	}
	for _, tc := range tests {
		if got := corr(symbol(tc.sym), zc(tc.root)); got < tc.min || got > tc.max {
			t.Errorf("symbol %d vs ZC root %d: correlation %.3f, want in [%.2f, %.2f]", tc.sym+1, tc.root, got, tc.min, tc.max)
		}
	}
}
