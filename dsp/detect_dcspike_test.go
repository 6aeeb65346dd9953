package dsp

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDCSpikeNotDetected: a receiver's DC spike (LO leakage, a line exactly
// at DC) 10 to 30 dB over the floor in the detector's bins, on from the
// first sample, is not an emission, and a tone beside it is still found at
// its own frequency. Before the notch's power was left out of the
// smoothing windows of the bins beside it, a spike 20 dB over the floor
// was detected there and reported as an emission at DC
// (TestRealRobustness, dc-spike, in sensor/eval).
func TestDCSpikeNotDetected(t *testing.T) {
	for _, tc := range []struct {
		fs       float64
		overDB   float64 // the spike's power over one bin of noise
		toneHz   float64 // a tone 20 dB over the floor per bin from frame 500, or 0
		wantTone bool
	}{
		{20e6, 10, 0, false},
		{20e6, 20, 0, false},
		{23.04e6, 30, 0, false},
		{2e6, 20, 0, false},
		{20e6, 25, 2e6, true},
	} {
		rng := rand.New(rand.NewPCG(11, uint64(tc.overDB)))
		d, err := NewDetector(DetectorConfig{SampleRateHz: tc.fs})
		if err != nil {
			t.Fatal(err)
		}
		nfft := d.Config().NFFT
		const pow = 1e-6
		x := noiseIQ(rng, 2000*nfft, pow)
		// A bin holds pow/nfft of noise; the spike's power over it by overDB.
		amp := math.Sqrt(pow / float64(nfft) * math.Pow(10, tc.overDB/10))
		s, c := math.Sincos(2 * math.Pi * rng.Float64())
		for i := range x {
			x[i] += complex(float32(amp*c), float32(amp*s))
		}
		if tc.toneHz != 0 {
			addTone(x, tc.fs, tc.toneHz, math.Sqrt(pow/float64(nfft)*math.Pow(10, 20.0/10)), 500*nfft, len(x))
		}
		ems := runDetector(t, DetectorConfig{SampleRateHz: tc.fs}, x, 4096)
		binHz := tc.fs / float64(nfft)
		tone := false
		for _, e := range ems {
			switch {
			case tc.toneHz != 0 && math.Abs(e.CenterOffsetHz-tc.toneHz) < 2*binHz:
				tone = true
			default:
				t.Errorf("fs %g, spike %g dB over a bin of noise: emission at samples %d+%d, %.0f..%.0f Hz, want none but the tone", tc.fs, tc.overDB, e.StartSample, e.SampleCount, e.FreqLowHz, e.FreqHighHz)
			}
		}
		if tone != tc.wantTone {
			t.Errorf("fs %g, spike %g dB: tone at %g Hz found %v, want %v", tc.fs, tc.overDB, tc.toneHz, tone, tc.wantTone)
		}
	}
}
