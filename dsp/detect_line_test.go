package dsp

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLineTransientsStayWithLine: a narrow continuous line's own
// transients (its cut-off, a phase jump between a radio's frames) splatter
// over megahertz for an instant, beyond the line's bins; that splatter is
// the line's (transientMax) and makes no emission of its own, while a
// 0.5 ms burst across or beside the line (a TDD slot) is still split off
// the line (splitLines). Split off, the demo's staff radio was reported as
// 2-6 MHz wide slivers at its frame boundaries, and a tone's cut-off frame
// as a 520 kHz emission (TestDemoStaffRadiosAuthorised,
// TestReplayMultiCapture).
func TestLineTransientsStayWithLine(t *testing.T) {
	const (
		offHz = 0.303e6
	)
	for _, tc := range []struct {
		name       string
		fs         float64
		toneDB     float64 // the tone's power over the whole band's noise
		toneEnd    int     // the tone is on over [0, toneEnd)
		jumpEvery  int     // samples between the tone's phase jumps; 0 none
		burstAtS   float64 // a 0.5 ms burst over [burstLoHz, burstHiHz] from burstAtS; none when both are 0
		burstLoHz  float64
		burstHiHz  float64
		wantLines  int // emissions holding offHz
		wantBursts int // other emissions, each the 0.5 ms burst
	}{
		{"1 Msps, cut off mid-frame", 1e6, 30, 12_530, 0, 0, 0, 0, 1, 0},
		{"1 Msps, phase jumps every 5 ms", 1e6, 30, 20_000, 5_000, 0, 0, 0, 1, 0},
		{"1 Msps, burst beside, cut off", 1e6, 30, 12_530, 0, 5e-3, -0.4e6, 0.25e6, 1, 1},
		{"1 Msps, phase jumps, burst across", 1e6, 30, 20_000, 5_000, 16e-3, -0.2e6, 0.45e6, 1, 1},
		{"20 Msps, phase jumps every 5 ms", 20e6, 40, 400_000, 100_000, 0, 0, 0, 1, 0},
		{"20 Msps, phase jumps, burst across", 20e6, 40, 400_000, 100_000, 16e-3, -3e6, 6e6, 1, 1},
		{"20 Msps, burst beside", 20e6, 40, 400_000, 0, 10e-3, 0.5e6, 7e6, 1, 1},
	} {
		for seed := uint64(1); seed <= 2; seed++ {
			rng := rand.New(rand.NewPCG(seed, 11))
			fs := tc.fs
			x := noiseIQ(rng, int(20e-3*fs), 1e-6) // 20 ms
			phase, toneA := 0.0, math.Sqrt(1e-6*math.Pow(10, tc.toneDB/10))
			for i := 0; i < tc.toneEnd; i++ {
				if tc.jumpEvery > 0 && i > 0 && i%tc.jumpEvery == 0 {
					phase += 2 // radians, as an FSK frame boundary
				}
				s, c := math.Sincos(2*math.Pi*offHz*float64(i)/fs + phase)
				x[i] += complex(float32(toneA*c), float32(toneA*s))
			}
			from, to := int(tc.burstAtS*fs), int((tc.burstAtS+0.5e-3)*fs)
			if tc.burstHiHz > tc.burstLoHz {
				addBandNoise(rng, x, fs, tc.burstLoHz, tc.burstHiHz, 1e-3, from, to)
			}
			ems := runDetector(t, DetectorConfig{SampleRateHz: fs}, x, 16384)
			lines, bursts := 0, 0
			for _, e := range ems {
				if e.FreqLowHz <= offHz && e.FreqHighHz >= offHz && float64(e.SampleCount) > 5e-3*fs {
					lines++
					continue
				}
				bursts++
				if math.Abs(float64(e.StartSample)-float64(from)) > 0.1e-3*fs || math.Abs(float64(e.SampleCount)-float64(to-from)) > 0.35e-3*fs {
					t.Errorf("%s, seed %d: emission over [%.3f, %.3f] ms, [%.2f, %.2f] MHz; want only the 0.5 ms burst",
						tc.name, seed, float64(e.StartSample)/fs*1e3, float64(e.EndSample())/fs*1e3, e.FreqLowHz/1e6, e.FreqHighHz/1e6)
				}
			}
			if lines != tc.wantLines || bursts != tc.wantBursts {
				t.Errorf("%s, seed %d: %d emissions of the line and %d others, want %d and %d", tc.name, seed, lines, bursts, tc.wantLines, tc.wantBursts)
			}
		}
	}
}
