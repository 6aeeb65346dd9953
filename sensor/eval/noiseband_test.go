package eval

import (
	"math"
	"testing"
)

// TestNarrowNoiseWindowTimeWeightedByBand: noise time is the union of the noise
// windows' SAMPLES (Match: unionLen of [start, end)), whatever their
// band. A site that boxes a quiet 200 kHz channel between carriers in
// Inspectrum, in a 20 MHz capture, adds as many "hours of noise" as one
// that labels the whole band, while only alarms lying mostly inside the
// 200 kHz box are counted: the rate it prints as "false alarms per hour"
// (read as per sensor-hour) is about 100 times too low, and the 95% bound
// as tight as a whole-band hour's. The report gives no bandwidth to read
// the rate against.
//
// Since 2026-12-06 MatchIn, given the recorded band, weights each instant
// of the noise windows by the share of the band they cover (Match, with
// no band, cannot, and counts them whole).
func TestNarrowNoiseWindowTimeWeightedByBand(t *testing.T) {
	const fs = 20e6
	band := [][2]float64{{0, fs}}
	inf := math.Inf(1)
	tests := []struct {
		name  string
		truth []Truth
		bands [][2]float64
		want  int64 // NoiseSample
	}{
		{"the whole band", []Truth{noiseW(0, 1_000_000, 0, fs)}, band, 1_000_000},
		{"no band given", []Truth{noiseW(0, 1_000_000, -inf, inf)}, band, 1_000_000},
		{"200 kHz of 20 MHz", []Truth{noiseW(0, 1_000_000, 9.9e6, 10.1e6)}, band, 10_000},
		{"two halves at once", []Truth{noiseW(0, 1_000_000, 0, fs/2), noiseW(0, 1_000_000, fs/2, fs)}, band, 1_000_000},
		{"a box inside a whole-band window", []Truth{noiseW(0, 1_000_000, 0, fs), noiseW(0, 1_000_000, 9.9e6, 10.1e6)}, band, 1_000_000},
		{"half of it outside the band", []Truth{noiseW(0, 1_000_000, fs/2, 1.5*fs)}, band, 500_000},
		{"half the band, then the whole", []Truth{noiseW(0, 1_000_000, 0, fs/2), noiseW(1_000_000, 1_000_000, 0, fs)}, band, 1_500_000},
		{"no recorded band known (Match)", []Truth{noiseW(0, 1_000_000, 9.9e6, 10.1e6)}, nil, 1_000_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := MatchIn(tt.truth, nil, tt.bands)
			if m.NoiseSample != tt.want {
				t.Errorf("noise time %d samples, want %d (windows %d samples)", m.NoiseSample, tt.want, m.NoiseWindowSample)
			}
			if want := unionLen(windowsOf(tt.truth)); m.NoiseWindowSample != want {
				t.Errorf("window time %d samples, want their union %d", m.NoiseWindowSample, want)
			}
		})
	}
	// runs of zeros are left out of both (leaveOutZeros)
	w, win := noiseTime([]Truth{noiseW(0, 1_000_000, 9.9e6, 10.1e6)}, band, [][2]int64{{0, 500_000}})
	if math.Abs(w-5000) > 1e-6 || win != 500_000 {
		t.Errorf("a 200 kHz window half zeros: %g band-weighted samples and %d window samples, want 5000 and 500000", w, win)
	}
}

func windowsOf(truth []Truth) [][2]int64 {
	var out [][2]int64
	for _, t := range truth {
		if t.Kind == KindNoise {
			out = append(out, [2]int64{t.StartSample, t.end()})
		}
	}
	return out
}
