package dsp

import (
	"math"
	"testing"
)

func TestSignalDBFS(t *testing.T) {
	for _, tc := range []struct {
		name              string
		mean, noise, want float64 // dBFS; SNRDB as the detector sets it
	}{
		{"strong", -40, -70, 10 * math.Log10(1e-4-1e-7)},
		{"6 dB SNR", -60 + 10*math.Log10(1+math.Pow(10, -0.6)), -66, -60},
		{"equal: clamped", -70, -70, -80},
		{"below the floor: clamped", -71, -70, -80},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, n := math.Pow(10, tc.mean/10), math.Pow(10, tc.noise/10)
			e := Emission{MeanDBFS: tc.mean, NoiseDBFS: tc.noise, SNRDB: 10 * math.Log10(max(m-n, 1e-30*n)/n)}
			if got := e.SignalDBFS(); math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("SignalDBFS = %.6f, want %.6f", got, tc.want)
			}
		})
	}
}
