package classify

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/dsp/synth"
)

// zcFFTs is an FFT plan cache for the ZC tests.
func zcFFTs() func(int) *dsp.FFT {
	plans := map[int]*dsp.FFT{}
	return func(n int) *dsp.FFT {
		if plans[n] == nil {
			plans[n] = dsp.NewFFT(n)
		}
		return plans[n]
	}
}

// zcScene renders 1.3 ms of noise at fs with one burst of gen (SNR snr dB
// in its band, centred offHz from DC) starting at 0.3 ms, and returns the
// window [0.3 ms − before, 0.3 ms + 0.65 ms + after) (before ≤ 0.3 ms).
func zcScene(gen synth.Generator, fs, offHz, snr float64, seed uint64, before, after float64) []complex64 {
	iq := make([]complex64, int(1.3e-3*fs))
	synth.Noise(iq, rand.New(rand.NewPCG(seed, 5)), synth.DefaultNoisePower)
	start := int(0.3e-3 * fs)
	gen(iq, synth.Params{SampleRateHz: fs, OffsetHz: offHz, SNRDB: snr, Seed: seed, StartSample: start, BandwidthHz: 10e6})
	return iq[start-int(before*fs) : start+int((0.65e-3+after)*fs)]
}

// TestZCDroneID: a DroneID burst shows the ZC pair (roots 600 and 147,
// two symbols apart) at the capture rates a sensor uses and the SNRs eval
// scores (3–10 dB), with or without the window's margin, the detection
// starting up to 0.1 ms before the burst, with the mixing centre
// off the burst's by a fraction of a subcarrier, by 20 subcarriers (the
// occupied band's error at low SNR) and by 2.5 MHz (a piece of the burst
// detected on its own); the gap between the peaks is two symbols (142.7
// µs) within zcPairPadS.
func TestZCDroneID(t *testing.T) {
	fft := zcFFTs()
	ws := &workspace{}
	const off = 1.2345e6
	for _, fs := range []float64{10e6, 15.36e6, 20e6, 30.72e6, 50e6} {
		for _, snr := range []float64{3, 6, 10} {
			for _, tc := range []struct {
				name          string
				errHz         float64
				before, after float64
			}{
				{"centred", 0, zcMarginS, zcMarginS},
				{"7 kHz off", 7e3, zcMarginS, zcMarginS},
				{"300 kHz off, no margins", -300e3, 0, 0},
				{"2.5 MHz off (a piece)", 2.5e6, zcMarginS, 0},
				{"detection 100 µs early", 0, 100e-6 + zcMarginS, 0},
			} {
				t.Run(fmt.Sprintf("%.2fMsps/%gdB/%s", fs/1e6, snr, tc.name), func(t *testing.T) {
					for seed := uint64(1); seed <= 3; seed++ {
						x := zcScene(synth.DroneID, fs, off, snr, seed, tc.before, tc.after)
						z := measureZC(x, fs, off+tc.errHz, fft, ws)
						if !z.pair() || z.absent() {
							t.Errorf("seed %d: pair %v absent %v (ρ600 %.3f / %.3f, ρ147 %.3f / %.3f)", seed, z.pair(), z.absent(), z.rho4, z.thr4, z.rho6, z.thr6)
						}
						if d := math.Abs(z.gapS - zcSpacingS); d > zcPairPadS {
							t.Errorf("seed %d: gap %.1f µs, want %.1f ± %.1f", seed, z.gapS*1e6, zcSpacingS*1e6, zcPairPadS*1e6)
						}
					}
				})
			}
		}
	}
}

// TestZCNotDroneID: windows of what a DroneID candidate can also be show
// no ZC pair, and where they are measured the ZC is absent: drone video
// (OcuSync-like 15 kHz OFDM, the same width) at 3–10 dB, noise, zeros, a
// tone and a DC offset. Under 10 Msps the ZC is not measured.
func TestZCNotDroneID(t *testing.T) {
	fft := zcFFTs()
	ws := &workspace{}
	const fs = 20e6
	const off = -2e6
	tone := func(hz float64) []complex64 {
		x := make([]complex64, int(0.95e-3*fs))
		for i := range x {
			s, c := math.Sincos(2 * math.Pi * hz * float64(i) / fs)
			x[i] = complex(float32(c), float32(s))
		}
		return x
	}
	noise := func(seed uint64) []complex64 {
		x := make([]complex64, int(0.95e-3*fs))
		synth.Noise(x, rand.New(rand.NewPCG(seed, 7)), 1)
		return x
	}
	tests := []struct {
		name     string
		x        []complex64
		fs       float64
		measured bool
	}{
		{"zeros", make([]complex64, int(0.95e-3*fs)), fs, true},
		{"tone", tone(off + 1e6), fs, true},
		{"DC", tone(0), fs, true},
		{"noise", noise(1), fs, true},
		{"noise, 8 Msps", noise(2)[:int(0.95e-3*8e6)], 8e6, false},
		{"DroneID, 8 Msps", zcScene(synth.DroneID, 8e6, 0, 10, 1, 100e-6, 100e-6), 8e6, false},
		{"too short", noise(3)[:int(0.3e-3*fs)], fs, false},
	}
	for seed := uint64(1); seed <= 8; seed++ {
		for _, snr := range []float64{3, 6, 10} {
			tests = append(tests, struct {
				name     string
				x        []complex64
				fs       float64
				measured bool
			}{fmt.Sprintf("drone video %g dB seed %d", snr, seed), zcScene(synth.DroneVideo, fs, off, snr, seed, 150e-6, 150e-6), fs, true})
		}
	}
	for _, tt := range tests {
		z := measureZC(tt.x, tt.fs, off, fft, ws)
		if z.pair() || z.measured != tt.measured || z.measured && !z.absent() {
			t.Errorf("%s: measured %v (want %v), pair %v, absent %v (ρ600 %.3f / %.3f, ρ147 %.3f, anywhere %.3f)",
				tt.name, z.measured, tt.measured, z.pair(), z.absent(), z.rho4, z.thr4, z.rho6, z.rho6All)
		}
	}
}

// TestZCMeasuredAtMinSpan: a window of exactly zcMinSpanS, a DroneID-long
// detection the IQ holds no margin of (a burst cut by the end of the
// capture, handed over from its first sample), is measured at every rate
// a sensor uses: a drone video packet so cut reads absent, a DroneID burst
// the pair. Until 2026-12-06 such a window at 30.72 Msps held 1382
// decimated samples, 0.4499 ms, and was not measured, so a drone video
// packet the capture cut 0.45 ms in was named DroneID by its CP and
// length (eval: 1 of 85 drone video bursts at 15 dB).
func TestZCMeasuredAtMinSpan(t *testing.T) {
	fft := zcFFTs()
	ws := &workspace{}
	const off = 1e6
	for _, fs := range []float64{10e6, 15.36e6, 20e6, 30.72e6, 50e6} {
		n := int(zcMinSpanS * fs)
		for seed := uint64(1); seed <= 2; seed++ {
			v := zcScene(synth.DroneVideo, fs, off, 15, seed, 0, 0)[:n]
			if z := measureZC(v, fs, off, fft, ws); !z.measured || !z.absent() {
				t.Errorf("%.2f Msps, drone video, %d samples: measured %v, absent %v (ρ600 %.3f / %.3f)", fs/1e6, n, z.measured, z.absent(), z.rho4, z.thr4)
			}
			d := zcScene(synth.DroneID, fs, off, 6, seed, 0, 0)[:n]
			if z := measureZC(d, fs, off, fft, ws); !z.pair() {
				t.Errorf("%.2f Msps, DroneID, %d samples: measured %v, pair %v (ρ600 %.3f / %.3f, ρ147 %.3f / %.3f)", fs/1e6, n, z.measured, z.pair(), z.rho4, z.thr4, z.rho6, z.thr6)
			}
		}
	}
}

// TestZCThresholdFalseAlarms: over many windows of noise the largest
// correlation stays under the threshold as often as zcPfa says (the
// threshold is set for 1e-3 per search; 400 windows must not give more
// than 2 over it), and the noise's ρ is of the size the threshold's
// argument assumes: its mean square near 1/L.
func TestZCThresholdFalseAlarms(t *testing.T) {
	fft := zcFFTs()
	ws := &workspace{}
	for _, fs := range []float64{10e6, 50e6} {
		over := 0
		for seed := uint64(1); seed <= 200; seed++ {
			x := make([]complex64, int(0.9e-3*fs))
			synth.Noise(x, rand.New(rand.NewPCG(seed, 11)), 1)
			z := measureZC(x, fs, 1e6, fft, ws)
			if z.rho4 >= z.thr4 {
				over++
			}
			if z.rho6All >= z.thr4 {
				over++
			}
		}
		if over > 2 {
			t.Errorf("%.0f Msps: %d of 400 noise searches over the threshold, want ≤ 2 (zcPfa 1e-3)", fs/1e6, over)
		}
	}
}

// BenchmarkZC times the ZC feature on one DroneID candidate's window
// (the detection ± zcMarginS) at the rates a sensor uses (the templates
// made once).
func BenchmarkZC(b *testing.B) {
	fft := zcFFTs()
	for _, fs := range []float64{15.36e6, 20e6, 50e6} {
		b.Run(fmt.Sprintf("%.2fMsps", fs/1e6), func(b *testing.B) {
			ws := &workspace{}
			x := zcScene(synth.DroneID, fs, 1e6, 6, 1, zcMarginS, zcMarginS)
			measureZC(x, fs, 1e6, fft, ws)
			for b.Loop() {
				ws.reset()
				measureZC(x, fs, 1e6, fft, ws)
			}
		})
	}
}
