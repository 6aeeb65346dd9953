package dsp

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDetectorEdgesInsideBand: tones in the bins at the band's edges (at
// and a quarter bin above −fs/2, and in the top bin, fs/2 − fs/N), from
// −10.5 dBFS down to near the threshold over −60 dBFS of noise, are
// reported with their detected and occupied bands inside the bins the
// detector judges, [−fs/2 + fs/2N, fs/2 − fs/2N] (the bin at −fs/2 is
// +fs/2 too and is not judged), the occupied band within the detected
// one. Until 2026-12-05 an emission in the bin at −fs/2 reached half a
// bin (fs/2N) below it: gsm900-band-937M (935.0–939.0 MHz) had a GSM
// downlink from 934.96875 MHz; until 2026-12-07 from −fs/2, 935.0 MHz.
// At least one of them must reach an outermost judged bin (1 or N−1),
// or the test has not tested the edges.
func TestDetectorEdgesInsideBand(t *testing.T) {
	const fs, nfft = 4e6, 64
	const binHz = fs / nfft
	reached := 0
	for _, offHz := range []float64{-fs / 2, -fs/2 + binHz/4, fs/2 - binHz} {
		for k := range 9 {
			amp := 0.3 * math.Pow(10, -float64(k)/3) // −10.5 dBFS down to −34 dB below it
			rng := rand.New(rand.NewPCG(11, uint64(k)))
			x := noiseIQ(rng, 1<<16, 1e-6)
			addTone(x, fs, offHz, amp, 1<<14, 1<<14+4096)
			for _, e := range runDetector(t, DetectorConfig{SampleRateHz: fs, NFFT: nfft}, x, 4096) {
				if e.FreqLowHz < -fs/2+binHz/2 || e.FreqHighHz > fs/2-binHz/2 || e.FreqLowHz > e.FreqHighHz {
					t.Errorf("tone %g Hz, amplitude %.4f: detected band %g..%g Hz, want inside %g..%g",
						offHz, amp, e.FreqLowHz, e.FreqHighHz, -fs/2+binHz/2, fs/2-binHz/2)
				}
				if e.OccupiedLowHz < e.FreqLowHz || e.OccupiedHighHz > e.FreqHighHz || e.OccupiedLowHz > e.OccupiedHighHz {
					t.Errorf("tone %g Hz, amplitude %.4f: occupied band %g..%g Hz, want inside the detected %g..%g",
						offHz, amp, e.OccupiedLowHz, e.OccupiedHighHz, e.FreqLowHz, e.FreqHighHz)
				}
				if e.FreqLowHz < -fs/2+binHz || e.FreqHighHz > fs/2-binHz {
					reached++
				}
			}
		}
	}
	if reached == 0 {
		t.Error("no emission reached an outermost bin: the edges were not exercised")
	}
}

// TestDetectorOccupiedBandOfStrongTone: a strong tone (−10.5 dBFS over
// −60 dBFS of noise) mid-band: its detected band holds its window leakage
// (11 bins of 62.5 kHz here), its occupied (99% power) band only the
// tone's bin or so, and holds the tone.
func TestDetectorOccupiedBandOfStrongTone(t *testing.T) {
	const fs, nfft, offHz = 4e6, 64, 0.7e6
	const binHz = fs / nfft
	x := noiseIQ(rand.New(rand.NewPCG(11, 7)), 1<<16, 1e-6)
	addTone(x, fs, offHz, 0.3, 1<<14, 1<<16)
	ems := runDetector(t, DetectorConfig{SampleRateHz: fs, NFFT: nfft}, x, 4096)
	if len(ems) != 1 {
		t.Fatalf("%d emissions, want 1: %+v", len(ems), ems)
	}
	e := ems[0]
	t.Logf("detected %g..%g Hz, occupied %g..%g Hz, bandwidth %g Hz", e.FreqLowHz, e.FreqHighHz, e.OccupiedLowHz, e.OccupiedHighHz, e.BandwidthHz)
	if offHz < e.OccupiedLowHz || offHz > e.OccupiedHighHz {
		t.Errorf("occupied band %g..%g Hz does not hold the tone at %g", e.OccupiedLowHz, e.OccupiedHighHz, offHz)
	}
	if w := e.OccupiedHighHz - e.OccupiedLowHz; w > 3*binHz || math.Abs(w-e.BandwidthHz) > 1e-6 {
		t.Errorf("occupied band %g Hz wide, want at most 3 bins (%g Hz) and BandwidthHz (%g)", w, 3*binHz, e.BandwidthHz)
	}
	if e.OccupiedLowHz < e.FreqLowHz || e.OccupiedHighHz > e.FreqHighHz {
		t.Errorf("occupied band %g..%g Hz outside the detected %g..%g", e.OccupiedLowHz, e.OccupiedHighHz, e.FreqLowHz, e.FreqHighHz)
	}
}
