package dsp

import (
	"fmt"
	"math"
	"math/cmplx"
	"strings"
	"testing"
)

// gainDB is the response of the FIR h at f cycles per input sample,
// 20·log10|Σ h[k]·e^(−j2πfk)|, summed in float64.
func gainDB(h []float32, f float64) float64 {
	var s complex128
	for k, v := range h {
		s += complex(float64(v), 0) * cmplx.Rect(1, -2*math.Pi*f*float64(k))
	}
	return 20 * math.Log10(cmplx.Abs(s))
}

// TestDecimatorResponse: the Kaiser design meets its passband and stopband
// over a dense frequency grid. Tolerances: the passband ripple of a Kaiser
// design is ±8.7·10^(−A/20) dB (0.0028 dB at 70 dB), allowed 0.01 dB;
// the stopband must reach the asked attenuation less 1.5 dB (Kaiser's
// order formula is an estimate: 78.9 dB for 80 measured), and at least 60 dB for the snippets'
// design (pass 0.4, stop 0.5 of the output rate, 70 dB).
func TestDecimatorResponse(t *testing.T) {
	for _, tc := range []struct {
		factor          int
		pass, stop, atn float64
	}{
		{1, 0.1, 0.2, 60},
		{2, 0.4, 0.5, 70},
		{4, 0.4, 0.5, 70},
		{10, 0.4, 0.5, 70},
		{32, 0.4, 0.5, 70},
		{12, 0.3, 0.6, 80},
		{8, 0.4, 0.5, 40},
	} {
		t.Run(fmt.Sprintf("D%d_%v-%v_%vdB", tc.factor, tc.pass, tc.stop, tc.atn), func(t *testing.T) {
			d := NewDecimator(tc.factor, tc.pass, tc.stop, tc.atn)
			h := d.Taps(nil)
			if len(h)%2 != 1 || d.Delay() != (len(h)-1)/2 {
				t.Fatalf("%d taps, delay %d: want an odd length and delay (len−1)/2", len(h), d.Delay())
			}
			for k := range h {
				if h[k] != h[len(h)-1-k] {
					t.Fatalf("tap %d = %v, tap %d = %v: not symmetric (linear phase)", k, h[k], len(h)-1-k, h[len(h)-1-k])
				}
			}
			D := float64(tc.factor)
			ripple := 8.7 * math.Pow(10, -tc.atn/20)
			tol := max(0.01, 2*ripple)
			const grid = 400
			worstPass, worstStop := 0.0, math.Inf(-1)
			for i := 0; i <= grid; i++ {
				f := tc.pass / D * float64(i) / grid
				worstPass = max(worstPass, math.Abs(gainDB(h, f)))
			}
			for i := 0; i <= 4*grid; i++ {
				f := tc.stop/D + (0.5-tc.stop/D)*float64(i)/(4*grid)
				worstStop = max(worstStop, gainDB(h, f))
			}
			t.Logf("%d taps, passband ripple %.4f dB, stopband %.1f dB", len(h), worstPass, -worstStop)
			if worstPass > tol {
				t.Errorf("passband |gain| up to %.4f dB, want ≤ %.4f", worstPass, tol)
			}
			if want := -(tc.atn - 1.5); worstStop > want {
				t.Errorf("stopband gain up to %.1f dB, want ≤ %.1f", worstStop, want)
			}
			if tc.atn >= 70 && worstStop > -60 {
				t.Errorf("stopband gain up to %.1f dB, want ≤ −60", worstStop)
			}
		})
	}
}

// tone returns n samples of a complex tone of amplitude a at f cycles per sample.
func tone(n int, f, a float64) []complex64 {
	x := make([]complex64, n)
	for i := range x {
		s, c := math.Sincos(2 * math.Pi * f * float64(i))
		x[i] = complex(float32(a*c), float32(a*s))
	}
	return x
}

// meanPower is E|x|² over x.
func meanPower(x []complex64) float64 {
	var p float64
	for _, v := range x {
		p += float64(real(v))*float64(real(v)) + float64(imag(v))*float64(imag(v))
	}
	return p / float64(len(x))
}

// TestDecimateTones: a tone in the passband comes out at its power (within
// the ripple), at the frequency it aliases to at the output rate; one in
// the stopband, or one folding onto the passband from outside the output
// band, comes out ≥ 60 dB down. The output's first and last Delay()/D
// samples (the edge transient) are left out.
func TestDecimateTones(t *testing.T) {
	const D, n = 10, 200000
	d := NewDecimator(D, 0.4, 0.5, 70)
	edge := d.Delay()/D + 1
	for _, tc := range []struct {
		name   string
		f      float64 // cycles per input sample
		wantDB float64 // output power over input power
		atMost bool    // wantDB is a ceiling
	}{
		{"DC", 0, 0, false},
		{"in the passband", 0.3 / D, 0, false},
		{"at the pass edge", -0.4 / D, 0, false},
		{"at the stop edge", 0.5 / D, -60, true},
		{"in the stopband", 0.23, -60, true},
		{"folding onto the passband", 1.1 / D, -60, true}, // aliases to +0.1 fsOut
	} {
		t.Run(tc.name, func(t *testing.T) {
			y := d.Decimate(nil, tone(n, tc.f, 0.5))
			if len(y) != d.OutLen(n) || len(y) != n/D {
				t.Fatalf("len %d, want OutLen %d = %d", len(y), d.OutLen(n), n/D)
			}
			mid := y[edge : len(y)-edge]
			got := 10 * math.Log10(meanPower(mid)/0.25)
			if tc.atMost {
				if got > tc.wantDB {
					t.Errorf("output %.1f dB of the input, want ≤ %.0f", got, tc.wantDB)
				}
				return
			}
			if math.Abs(got-tc.wantDB) > 0.01 {
				t.Errorf("output %.4f dB of the input, want %.0f ± 0.01", got, tc.wantDB)
			}
			// sample m is the tone at time m·D: phase 2π·f·m·D
			for _, m := range []int{edge, len(y) / 2, len(y) - edge - 1} {
				s, c := math.Sincos(2 * math.Pi * tc.f * float64(m*D))
				want := complex(0.5*c, 0.5*s)
				if e := cmplx.Abs(complex128(y[m]) - want); e > 2e-3 {
					t.Errorf("y[%d] = %v, want %v (the tone at input sample %d): error %.2g", m, y[m], want, m*D, e)
				}
			}
		})
	}
}

// TestDecimateAlignment: the filter's delay is taken off, so an impulse at
// input sample m·D peaks at output m, with the gain h[M] there.
func TestDecimateAlignment(t *testing.T) {
	for _, D := range []int{1, 3, 10} {
		d := NewDecimator(D, 0.4, 0.5, 70)
		x := make([]complex64, 1000*D+7)
		m := 500
		x[m*D] = 1
		y := d.Decimate(nil, x)
		peak := 0
		for i := range y {
			if cmplx.Abs(complex128(y[i])) > cmplx.Abs(complex128(y[peak])) {
				peak = i
			}
		}
		h := d.Taps(nil)
		if peak != m || real(y[m]) != h[d.Delay()] {
			t.Errorf("D %d: impulse at input %d peaks at output %d (%v); want %d (h[M] = %v)", D, m*D, peak, y[peak], m, h[d.Delay()])
		}
		if got, want := len(y), (len(x)+D-1)/D; got != want {
			t.Errorf("D %d: %d outputs of %d, want ⌈n/D⌉ = %d", D, got, len(x), want)
		}
	}
}

// TestFreqShift: a tone at f, shifted by −f, is its amplitude at DC; in
// place equals out of place; and after 2^22 samples the phase still agrees
// with exp(j2π·shift·n/fs) computed directly.
func TestFreqShift(t *testing.T) {
	const fs, f, n = 10e6, 1.2345e6, 1 << 22
	x := tone(n, f/fs, 0.5)
	y := FreqShift(nil, x, -f, fs)
	for _, i := range []int{0, 1, 1023, 1024, 1025, n / 3, n - 1} {
		if e := cmplx.Abs(complex128(y[i]) - 0.5); e > 2e-6 {
			t.Errorf("y[%d] = %v, want 0.5 (the tone at DC): error %.2g", i, y[i], e)
		}
	}
	z := FreqShift(x, x, -f, fs)
	for i := range y {
		if z[i] != y[i] {
			t.Fatalf("in place: z[%d] = %v, out of place %v", i, z[i], y[i])
		}
	}
	one := make([]complex64, n)
	for i := range one {
		one[i] = 1
	}
	w := FreqShift(nil, one, 3.3e6, fs)
	i := n - 1
	want := cmplx.Rect(1, 2*math.Pi*math.Mod(3.3e6/fs*float64(i), 1))
	if e := cmplx.Abs(complex128(w[i]) - want); e > 1e-6 {
		t.Errorf("w[%d] = %v, want %v: error %.2g", i, w[i], want, e)
	}
}

// TestDecimatePanics: bad arguments panic with the package prefix.
func TestDecimatePanics(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func()
	}{
		{"factor 0", func() { NewDecimator(0, 0.4, 0.5, 70) }},
		{"pass ≥ stop", func() { NewDecimator(4, 0.5, 0.5, 70) }},
		{"stop past fs/2", func() { NewDecimator(1, 0.4, 0.6, 70) }},
		{"attenuation too low", func() { NewDecimator(4, 0.4, 0.5, 10) }},
		{"attenuation NaN", func() { NewDecimator(4, 0.4, 0.5, math.NaN()) }},
		{"dst length", func() { NewDecimator(4, 0.4, 0.5, 70).Decimate(make([]complex64, 3), make([]complex64, 16)) }},
		{"shift dst length", func() { FreqShift(make([]complex64, 3), make([]complex64, 4), 1, 2) }},
		{"shift rate", func() { FreqShift(nil, make([]complex64, 4), 1, 0) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || !strings.HasPrefix(s, "dsp: ") {
					t.Errorf("recovered %v, want a panic starting \"dsp: \"", r)
				}
			}()
			tc.fn()
		})
	}
}

// BenchmarkDecimate times FreqShift and Decimate over a 50 ms snippet's
// samples at 10 and 20 Msps for the factors the sensor's snippets use
// (a GSM uplink at 10 Msps: 12; LTE at 20 Msps: 2). Bytes are input bytes.
func BenchmarkDecimate(b *testing.B) {
	for _, tc := range []struct {
		n, factor int
	}{
		{1 << 16, 12}, {500000, 2}, {500000, 4}, {500000, 12}, {500000, 32}, {1000000, 2}, {1000000, 24},
	} {
		b.Run(fmt.Sprintf("n=%d/D=%d", tc.n, tc.factor), func(b *testing.B) {
			d := NewDecimator(tc.factor, 0.4, 0.5, 70)
			x := coreRandIQ(2, tc.n)
			y := make([]complex64, d.OutLen(tc.n))
			b.ReportAllocs()
			b.SetBytes(int64(8 * tc.n))
			for b.Loop() {
				FreqShift(x, x, 1e5, 1e7)
				d.Decimate(y, x)
			}
		})
	}
}
