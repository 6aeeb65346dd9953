package classify

import (
	"math"
	"math/rand/v2"
	"testing"
)

// onOff renders durS of a tone at offHz (power 1 while on, rate fs) that
// is on for the first onS of every periodS, plus complex white noise of
// power noise.
func onOff(fs, durS, offHz, onS, periodS, noise float64, seed uint64) []complex64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	x := make([]complex64, int(durS*fs))
	sd := math.Sqrt(noise / 2)
	for i := range x {
		t := float64(i) / fs
		v := complex(sd*rng.NormFloat64(), sd*rng.NormFloat64())
		if math.Mod(t, periodS) < onS {
			s, c := math.Sincos(2 * math.Pi * offHz * t)
			v += complex(c, s)
		}
		x[i] = complex64(v)
	}
	return x
}

// TestFrameCorrSpan checks frameCorrSpan against patterns whose frame
// periodicity is known: a carrier on for 3 of the 8 timeslots of every
// 4.615 ms frame gives r(frame) ≈ 1 and r(half frame) = −0.6 (the on
// slots never meet half a frame later: cov −(3/8)², var (3/8)(5/8)), so
// ≈ 1.6; one slot of eight at 0 dB in the filter band stays over the
// threshold; a continuous carrier, noise, and a carrier beyond the
// filter's main lobe (±400 kHz), even 50 dB over the noise, give ≈ 0; 1 ms packets every
// 4 ms (an ELRS-like 250 Hz rate) give r(4.615 ms) ≈ 0.18 and r(2.308
// ms) = −1/3, ≈ 0.5, under the threshold; and spans under 1.5 frames or
// bad rates give NaN.
func TestFrameCorrSpan(t *testing.T) {
	const slot = gsmFrameS / 8
	tests := []struct {
		name    string
		x       []complex64
		fs, off float64
		lo, hi  float64 // want lo ≤ got ≤ hi
		wantNaN bool
	}{
		{name: "3 of 8 slots, 20 Msps, 20 dB", x: onOff(20e6, 20e-3, 300e3, 3*slot, gsmFrameS, 0.01, 1), fs: 20e6, off: 300e3, lo: 1.5, hi: 1.65},
		{name: "3 of 8 slots, 4 Msps, 20 dB", x: onOff(4e6, 20e-3, -500e3, 3*slot, gsmFrameS, 0.01, 2), fs: 4e6, off: -500e3, lo: 1.5, hi: 1.65},
		{name: "1 of 8 slots, 2 Msps, 0 dB in 400 kHz", x: onOff(2e6, 20e-3, 100e3, slot, gsmFrameS, 5, 3), fs: 2e6, off: 100e3, lo: minFrameSpanCorr, hi: 1.2},
		{name: "continuous carrier, 20 dB", x: onOff(4e6, 20e-3, 0, 1, 1, 0.01, 4), fs: 4e6, lo: -0.4, hi: 0.4},
		{name: "noise", x: onOff(4e6, 20e-3, 0, 0, 1, 1, 5), fs: 4e6, lo: -0.4, hi: 0.4},
		{name: "1 ms packets every 4 ms", x: onOff(4e6, 20e-3, 0, 1e-3, 4e-3, 0.01, 6), fs: 4e6, lo: 0.3, hi: minFrameSpanCorr - 0.05},
		{name: "3 of 8 slots, off the filter (1 MHz away)", x: onOff(4e6, 20e-3, 1e6, 3*slot, gsmFrameS, 0.01, 7), fs: 4e6, off: 0, lo: -0.4, hi: 0.4},
		{name: "3 of 8 slots, 550 kHz off the filter, 50 dB over the noise", x: onOff(4e6, 20e-3, 550e3, 3*slot, gsmFrameS, 1e-4, 9), fs: 4e6, lo: -0.4, hi: 0.4},
		{name: "under 1.5 frames", x: onOff(20e6, 6e-3, 0, 3*slot, gsmFrameS, 0.01, 8), fs: 20e6, wantNaN: true},
		{name: "empty", fs: 4e6, wantNaN: true},
		{name: "rate 0", x: make([]complex64, 1000), wantNaN: true},
		{name: "rate NaN", x: make([]complex64, 1000), fs: math.NaN(), wantNaN: true},
		{name: "rate +Inf", x: make([]complex64, 1000), fs: math.Inf(1), wantNaN: true},
		{name: "rate 1e300", x: make([]complex64, 1000), fs: 1e300, wantNaN: true},
		{name: "offset NaN", x: make([]complex64, 100000), fs: 4e6, off: math.NaN(), wantNaN: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := frameCorrSpan(tt.x, tt.fs, tt.off, &workspace{})
			switch {
			case tt.wantNaN:
				if !math.IsNaN(got) {
					t.Errorf("got %.3f, want NaN", got)
				}
			case !(got >= tt.lo && got <= tt.hi):
				t.Errorf("got %.3f, want %.2f..%.2f", got, tt.lo, tt.hi)
			}
		})
	}
}
