package dsp

import (
	"fmt"
	"math"
)

// FreqShift sets dst[n] = src[n]·exp(j·2π·shiftHz·n/sampleRateHz) and
// returns dst: the spectrum of src moved up by shiftHz (down when it is
// negative), so a signal at +f Hz from DC lands at DC with shiftHz = −f.
// The phasor is recomputed (math.Sincos of the phase reduced mod one
// cycle) every 1024 samples and advanced by one complex multiply in
// float64 between, so its phase error stays under 1e-7 rad, below the
// float32 output's rounding, for any src shorter than 2^26 samples. dst may be src (in place); a nil dst
// is allocated; it panics with "dsp: ..." when len(dst) != len(src) or
// sampleRateHz is not positive and finite.
func FreqShift(dst, src []complex64, shiftHz, sampleRateHz float64) []complex64 {
	if !(sampleRateHz > 0) || math.IsInf(sampleRateHz, 0) {
		panic(fmt.Sprintf("dsp: FreqShift sample rate %v Hz", sampleRateHz))
	}
	if dst == nil {
		dst = make([]complex64, len(src))
	}
	if len(dst) != len(src) {
		panic(fmt.Sprintf("dsp: FreqShift dst length %d != src length %d", len(dst), len(src)))
	}
	r := shiftHz / sampleRateHz // cycles per sample
	r -= math.Round(r)          // the same shift, aliased into [−½, ½]: fewer lost bits in n·r
	ws, wc := math.Sincos(2 * math.Pi * r)
	const resync = 1024
	for n0 := 0; n0 < len(src); n0 += resync {
		// phase of sample n0, reduced mod 1 cycle before the sine
		_, frac := math.Modf(float64(n0) * r)
		ps, pc := math.Sincos(2 * math.Pi * frac)
		for n := n0; n < min(n0+resync, len(src)); n++ {
			x := src[n]
			xr, xi := float64(real(x)), float64(imag(x))
			dst[n] = complex(float32(xr*pc-xi*ps), float32(xr*ps+xi*pc))
			pc, ps = pc*wc-ps*ws, pc*ws+ps*wc
		}
	}
	return dst
}

// Decimator is a linear-phase low-pass FIR filter followed by keeping one
// sample in Factor, computed only at the kept samples (the polyphase
// form's cost), with the symmetric taps folded: len(taps)/2+1 complex
// by real multiplies per output, about 20 per input sample for the
// snippets' 70 dB design at any factor (BenchmarkDecimate: a 50 ms
// snippet at 10 Msps, shifted and decimated, in ~14 ms on one core). The filter is a Kaiser-windowed sinc (Kaiser 1974; Oppenheim &
// Schafer, Discrete-Time Signal Processing, 3rd ed., §7.6):
//
//	h[k] = 2·fc·sinc(2·fc·(k−M)) · I0(β·√(1−((k−M)/M)²)) / I0(β),  k = 0..2M
//
// normalised so Σh = 1 (unity gain at DC), with fc the cut-off halfway
// between the pass and stop edges (cycles per input sample), and for a
// stopband attenuation A dB and a transition width Δf = stop − pass
// (cycles per input sample)
//
//	β  = 0.1102·(A − 8.7)                           A > 50
//	   = 0.5842·(A − 21)^0.4 + 0.07886·(A − 21)     21 ≤ A ≤ 50
//	2M ≥ (A − 7.95) / (2.285·2π·Δf)
//
// Its passband ripple is about ±8.7·10^(−A/20) dB. The zero value is not
// usable; NewDecimator makes one. A Decimator holds no state between
// calls (each call filters its src as a whole, zero outside it) and is
// safe for concurrent use.
type Decimator struct {
	factor int
	taps   []float32 // h[0..2M], symmetric
}

// NewDecimator returns a Decimator by factor (≥ 1) whose low-pass passes
// |f| ≤ passFrac·fsOut and attenuates |f| ≥ stopFrac·fsOut by at least
// attenDB less 1.5 dB (Kaiser's order formula is an estimate), where fsOut = fs/factor is the output rate: passFrac
// 0.4, stopFrac 0.5 and attenDB 70 keep the middle 80% of the output band
// flat and let nothing fold into it from outside the output band with
// under 70 dB of loss. Factor 1 filters without decimating. It panics
// with "dsp: ..." unless 0 < passFrac < stopFrac ≤ factor/2 and
// 21 ≤ attenDB ≤ 200.
func NewDecimator(factor int, passFrac, stopFrac, attenDB float64) *Decimator {
	if factor < 1 {
		panic(fmt.Sprintf("dsp: NewDecimator factor %d < 1", factor))
	}
	if !(passFrac > 0 && passFrac < stopFrac && stopFrac <= float64(factor)/2) {
		panic(fmt.Sprintf("dsp: NewDecimator edges %v, %v of the output rate: want 0 < pass < stop ≤ factor/2", passFrac, stopFrac))
	}
	if !(attenDB >= 21 && attenDB <= 200) {
		panic(fmt.Sprintf("dsp: NewDecimator attenuation %v dB not in [21, 200]", attenDB))
	}
	fp, fs := passFrac/float64(factor), stopFrac/float64(factor) // cycles per input sample
	fc, df := (fp+fs)/2, fs-fp
	beta := 0.1102 * (attenDB - 8.7)
	if attenDB <= 50 {
		beta = 0.5842*math.Pow(attenDB-21, 0.4) + 0.07886*(attenDB-21)
	}
	m := int(math.Ceil((attenDB - 7.95) / (2.285 * 2 * math.Pi * df) / 2))
	m = max(m, 1)
	h := make([]float64, 2*m+1)
	var sum float64
	i0b := besselI0(beta)
	for k := range h {
		t := float64(k - m)
		sinc := 2 * fc
		if t != 0 {
			sinc = math.Sin(2*math.Pi*fc*t) / (math.Pi * t)
		}
		r := t / float64(m)
		h[k] = sinc * besselI0(beta*math.Sqrt(max(0, 1-r*r))) / i0b
		sum += h[k]
	}
	taps := make([]float32, len(h))
	for k, v := range h {
		taps[k] = float32(v / sum)
	}
	return &Decimator{factor: factor, taps: taps}
}

// besselI0 is the modified Bessel function of the first kind of order 0,
// I0(x) = Σ_k ((x/2)^k / k!)², summed until a term adds under 1e-17 of
// the sum (x ≤ 50 needs ~60 terms).
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 500; k++ {
		term *= (x / 2) / float64(k)
		t := term * term
		sum += t
		if t < 1e-17*sum {
			break
		}
	}
	return sum
}

// Factor returns the decimation factor D: one output per D inputs.
func (d *Decimator) Factor() int { return d.factor }

// Delay returns the filter's group delay M in input samples, (len(taps)−1)/2.
func (d *Decimator) Delay() int { return (len(d.taps) - 1) / 2 }

// Taps appends the filter's coefficients h[0..2M] to dst and returns it.
func (d *Decimator) Taps(dst []float32) []float32 { return append(dst, d.taps...) }

// OutLen returns how many samples Decimate makes of n: ⌈n/D⌉ (0 for n ≤ 0).
func (d *Decimator) OutLen(n int) int {
	if n <= 0 {
		return 0
	}
	return (n + d.factor - 1) / d.factor
}

// Decimate sets dst[m] = Σ_k h[k]·src[m·D + k − M] for m = 0..OutLen(len(src))−1,
// src taken as zero outside [0, len(src)), and returns dst: the low-passed
// signal at the time of src[m·D] (the filter's delay M is taken off, so
// sample m of dst is at time m·D/fs of src's first sample). The first and
// last M/D outputs see zeros beyond src's ends (the filter's edge
// transient). A nil dst is allocated; it panics with "dsp: ..." when
// len(dst) != OutLen(len(src)). dst must not overlap src.
func (d *Decimator) Decimate(dst, src []complex64) []complex64 {
	n := d.OutLen(len(src))
	if dst == nil {
		dst = make([]complex64, n)
	}
	if len(dst) != n {
		panic(fmt.Sprintf("dsp: Decimate dst length %d != OutLen %d", len(dst), n))
	}
	h := d.taps
	m := d.Delay()
	for o := range dst {
		lo := o*d.factor - m // src index of h[0]
		if lo >= 0 && lo+len(h) <= len(src) {
			dst[o] = foldedDot(h[:m], h[m], src[lo:lo+len(h)])
			continue
		}
		// the edges: the taps over src only
		k0, k1 := max(0, -lo), min(len(h), len(src)-lo)
		var re, im float32
		if k1 > k0 {
			x := src[lo+k0 : lo+k1]
			hh := h[k0:k1]
			hh = hh[:len(x)]
			for k, v := range x {
				re += hh[k] * real(v)
				im += hh[k] * imag(v)
			}
		}
		dst[o] = complex(re, im)
	}
	return dst
}

// foldedDot is Σ_k h[k]·x[k] over a symmetric filter of 2·len(half)+1
// taps (half its first taps, mid its middle one) and len(x) = 2·len(half)+1
// samples, with one multiply per pair of taps: h[k]·(x[k] + x[2M−k]).
func foldedDot(half []float32, mid float32, x []complex64) complex64 {
	m := len(half)
	x = x[:2*m+1]
	re, im := mid*real(x[m]), mid*imag(x[m])
	for k, c := range half {
		a, b := x[k], x[2*m-k]
		re += c * (real(a) + real(b))
		im += c * (imag(a) + imag(b))
	}
	return complex(re, im)
}
