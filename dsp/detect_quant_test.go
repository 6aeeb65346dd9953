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
