package pipeline

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// ofdmBurst is noise of total power 1e-6 (−60 dBFS) with, in samples
// [from, to), an OFDM-like signal of total power pow: 300 subcarriers
// 15 kHz apart (4.5 MHz, an LTE 5 MHz carrier's) with random phases,
// centred offHz from DC.
func ofdmBurst(seed uint64, n, from, to int, fs, offHz, pow float64) []complex64 {
	rng := rand.New(rand.NewPCG(seed, seed))
	x := make([]complex64, n)
	s := math.Sqrt(1e-6 / 2)
	for i := range x {
		x[i] = complex(float32(rng.NormFloat64()*s), float32(rng.NormFloat64()*s))
	}
	const k = 300
	a := math.Sqrt(pow / k)
	for c := range k {
		f := offHz + (float64(c)-(k-1)/2.0)*15e3
		ph := 2*math.Pi*f*float64(from)/fs + 2*math.Pi*rng.Float64()
		v := complex(a*math.Cos(ph), a*math.Sin(ph))
		w := complex(math.Cos(2*math.Pi*f/fs), math.Sin(2*math.Pi*f/fs))
		for i := from; i < to; i++ { // the phasor turned a sample at a time
			x[i] += complex64(v)
			v *= w
		}
	}
	return x
}

// TestPowerIsSignalPower: a detection's power is the signal's, the noise
// in its bins removed (dsp.Emission.SignalDBFS), so a weak emission is not
// reported stronger than it is: fusion's locator takes it for the signal
// power, and the noise-included mean, +1 dB at a marginal sensor's 6 dB
// SNR, moved the demo's B20 handset across the landing.
func TestPowerIsSignalPower(t *testing.T) {
	const fs, fc = 10e6, 847e6
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		powDBFS float64 // signal power
		tol     float64 // |reported − signal| at most, dB
		weak    bool    // the noise-included mean is at least 0.5 dB above the signal
	}{
		{powDBFS: -40, tol: 0.2},
		{powDBFS: -50, tol: 0.3},
		{powDBFS: -56, tol: 0.5, weak: true},
		{powDBFS: -58, tol: 0.5, weak: true},
	} {
		x := ofdmBurst(7, 300000, 100000, 200000, fs, 1e6, math.Pow(10, tc.powDBFS/10))
		res := runAll(t, New(Config{}), blocks(x, 30000, fc, fs, t0, 1000))
		if len(res) != 1 {
			t.Fatalf("%g dBFS: %d results, want 1", tc.powDBFS, len(res))
		}
		r, want := res[0], tc.powDBFS-20 // uncalibrated: dBFS − gain
		mean := r.Em.MeanDBFS - 20
		t.Logf("%g dBFS: SNR %.1f dB, power %.2f dBm, mean %.2f, signal %.2f", tc.powDBFS, r.Em.SNRDB, r.PowerDBm, mean, want)
		if math.Abs(r.PowerDBm-want) > tc.tol {
			t.Errorf("%g dBFS (SNR %.1f dB): power %.2f dBm, want %.2f ± %.1f", tc.powDBFS, r.Em.SNRDB, r.PowerDBm, want, tc.tol)
		}
		if tc.weak && mean-want < 0.5 {
			t.Errorf("%g dBFS: the mean is %.2f dB over the signal: not the weak case it is meant to be", tc.powDBFS, mean-want)
		}
	}
}
