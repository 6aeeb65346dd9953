package dsp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// quantiseIQ rounds each axis of x to a multiple of lsb (an integer ADC's
// samples scaled to full scale 1), in place.
func quantiseIQ(x []complex64, lsb float64) {
	q := func(v float32) float32 { return float32(math.Round(float64(v)/lsb) * lsb) }
	for i, v := range x {
		x[i] = complex(q(real(v)), q(imag(v)))
	}
}

// TestSparseQuantisedNoiseNotDetected: receiver noise under one LSB of an
// integer ADC (a HackRF's int8 at a middling gain: most samples 0, a few
// ±1 LSB) is not an emission, from 0.02 to 3 LSB rms per axis, and a tone
// of 1 LSB amplitude that starts halfway is still found. Before the
// detector's floor was held at the quantiser's noise (quantFloor), the
// minimum-statistics floor of such noise collapsed to 0 (every block held
// all-zero bins): at 0.02-0.1 LSB rms each frame with one ±1 LSB sample
// was detected across the whole band, and the blips were joined into
// emissions of the whole capture. The step is taken from the samples
// (their smallest nonzero value), so a 12-bit ADC's is found as an 8-bit
// one's.
func TestSparseQuantisedNoiseNotDetected(t *testing.T) {
	const frames = 4000
	for _, tc := range []struct {
		fs     float64
		lsb    float64 // the ADC's step, full scale 1
		rmsLSB float64 // the receiver noise per axis, in LSB
	}{
		{23.04e6, 1.0 / 128, 0.02},
		{23.04e6, 1.0 / 128, 0.05},
		{23.04e6, 1.0 / 128, 0.1},
		{23.04e6, 1.0 / 128, 0.2},
		{23.04e6, 1.0 / 128, 0.3},
		{23.04e6, 1.0 / 128, 0.5},
		{23.04e6, 1.0 / 128, 1},
		{23.04e6, 1.0 / 128, 3},
		{2e6, 1.0 / 128, 0.05},
		{2e6, 1.0 / 128, 0.2},
		{20e6, 1.0 / 2048, 0.05},
		{20e6, 1.0 / 2048, 0.2},
	} {
		t.Run(fmt.Sprintf("fs%.2fM/lsb1of%.0f/rms%.2fLSB", tc.fs/1e6, 1/tc.lsb, tc.rmsLSB), func(t *testing.T) {
			for seed := range uint64(3) {
				d, err := NewDetector(DetectorConfig{SampleRateHz: tc.fs})
				if err != nil {
					t.Fatal(err)
				}
				nfft := d.Config().NFFT
				rng := rand.New(rand.NewPCG(seed, 77))
				x := noiseIQ(rng, frames*nfft, 2*math.Pow(tc.rmsLSB*tc.lsb, 2))
				toneHz := tc.fs / 8
				addTone(x, tc.fs, toneHz, tc.lsb, frames/2*nfft, len(x))
				quantiseIQ(x, tc.lsb)
				ems := runDetector(t, DetectorConfig{SampleRateHz: tc.fs}, x, 4096)
				binHz := tc.fs / float64(nfft)
				tone := false
				for _, e := range ems {
					if e.StartSample >= int64(frames/2*nfft-nfft) {
						// the tone, or the spurs of its own quantisation
						// (its odd harmonics, aliased) once the noise is
						// under an LSB: the ADC's, not noise
						tone = tone || math.Abs(e.CenterOffsetHz-toneHz) < 2*binHz
						continue
					}
					t.Errorf("seed %d: emission at samples %d+%d, %.0f..%.0f Hz, SNR %.1f dB in the noise, want none",
						seed, e.StartSample, e.SampleCount, e.FreqLowHz, e.FreqHighHz, e.SNRDB)
				}
				if !tone {
					t.Errorf("seed %d: the 1 LSB tone at %.0f Hz from sample %d not found; got %d emissions", seed, toneHz, frames/2*nfft, len(ems))
				}
			}
		})
	}
}

// TestQuantFloorNotFromStrongSignals: the quantiser's step is not taken
// from a signal's level. A carrier 64 dB over a bin of float noise on from
// the first sample, or a DC offset of 3 LSB over int8 noise of 0.2 LSB
// rms, keeps every sample away from 0: a step read from the samples'
// smallest magnitude was 4.8e-5 for that carrier, raising the floor 9 dB
// over the noise and losing a tone 15 dB over a bin of noise, and 4 LSB²
// for that offset. The step (noteStep) must be LSB² for the int8 samples
// and under the noise for the float ones, the weak tone found, and nothing
// else detected but the carrier.
func TestQuantFloorNotFromStrongSignals(t *testing.T) {
	const fs, frames = 20e6, 2000
	for _, tc := range []struct {
		name              string
		lsb, pow, dc, amp float64 // step (0: float), noise power, DC offset, carrier amplitude
		weak              bool    // add a tone 15 dB over a bin of noise
	}{
		{"float-carrier", 0, 1e-6, 0, 0.01, true},
		{"int8-dc-offset", 1.0 / 128, 2 * math.Pow(0.2/128, 2), 3.0 / 128, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewDetector(DetectorConfig{SampleRateHz: fs})
			if err != nil {
				t.Fatal(err)
			}
			nfft := d.Config().NFFT
			rng := rand.New(rand.NewPCG(5, 5))
			x := noiseIQ(rng, frames*nfft, tc.pow)
			for i := range x {
				x[i] += complex(float32(tc.dc), 0)
			}
			const carrierHz, weakHz = 3e6, -5e6
			if tc.amp > 0 {
				addTone(x, fs, carrierHz, tc.amp, 0, len(x))
			}
			if tc.weak {
				addTone(x, fs, weakHz, math.Sqrt(tc.pow/float64(nfft)*math.Pow(10, 1.5)), frames/2*nfft, len(x))
			}
			if tc.lsb > 0 {
				quantiseIQ(x, tc.lsb)
			}
			var ems []Emission
			for i := 0; i < len(x); i += 4096 {
				ems = d.Process(x[i:min(len(x), i+4096)], int64(i), ems)
			}
			ems = d.Flush(ems)
			if tc.lsb > 0 && math.Abs(d.q2/(tc.lsb*tc.lsb)-1) > 1e-6 {
				t.Errorf("step² %g, want LSB² %g", d.q2, tc.lsb*tc.lsb)
			}
			if tc.lsb == 0 && !(d.q2 < tc.pow/100) { // the bound q2/6 then 28 dB under the noise
				t.Errorf("step² %g, want far under the noise power %g", d.q2, tc.pow)
			}
			binHz := fs / float64(nfft)
			weak := false
			for _, e := range ems {
				switch {
				case tc.weak && math.Abs(e.CenterOffsetHz-weakHz) < 2*binHz:
					weak = true
				case tc.amp > 0 && math.Abs(e.CenterOffsetHz-carrierHz) < 2*binHz:
				default:
					t.Errorf("emission at samples %d+%d, %.0f..%.0f Hz, want only the tones", e.StartSample, e.SampleCount, e.FreqLowHz, e.FreqHighHz)
				}
			}
			if tc.weak && !weak {
				t.Errorf("the tone 15 dB over a bin of noise at %.0f Hz not found; got %d emissions", weakHz, len(ems))
			}
		})
	}
}
