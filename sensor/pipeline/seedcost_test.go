package pipeline

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// countDetectors makes newDSPDetector count the Detectors made while the
// test runs.
func countDetectors(t *testing.T) *int {
	t.Helper()
	n := new(int)
	orig := newDSPDetector
	newDSPDetector = func(c dsp.DetectorConfig) (*dsp.Detector, error) {
		*n++
		return orig(c)
	}
	t.Cleanup(func() { newDSPDetector = orig })
	return n
}

// TestSeedFloorsCountsAttempts: floors that parse but cannot seed (-5000
// dBFS is -Inf once resampled to the Detector's bins; the wrong length)
// count toward MaxTunings as the usable ones do, so a recording of
// 100,000 captures that carry them makes at most MaxTunings Detectors:
// each had cost a dsp.NewDetector (25 s for 100,000), in the only replay
// slot, outside the run's time limit.
func TestSeedFloorsCountsAttempts(t *testing.T) {
	const n = 20 * MaxTunings
	unusable := make([]any, 16)
	for i := range unusable {
		unusable[i] = json.Number("-5000")
	}
	good := make([]float64, 256)
	for i := range good {
		good[i] = -80
	}
	for _, tc := range []struct {
		name       string
		floor      func(i int) any
		freq       func(i int) float64
		wantSeeded int
	}{
		{"unusable floors at as many tunings", func(int) any { return unusable }, func(i int) float64 { return 100e6 + float64(i)*1e3 }, 0},
		{"unusable floors at one tuning", func(int) any { return unusable }, func(int) float64 { return 100e6 }, 0},
		{"floors of too few bins", func(int) any { return []any{json.Number("-80")} }, func(i int) float64 { return 100e6 + float64(i)*1e3 }, 0},
		{"usable floors", func(int) any { return good }, func(i int) float64 { return 100e6 + float64(i)*1e3 }, MaxTunings},
		{"one usable among unusable", func(i int) any {
			if i == 3 {
				return good
			}
			return unusable
		}, func(i int) float64 { return 100e6 + float64(i)*1e3 }, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			made := countDetectors(t)
			m := sigmf.Meta{Global: sigmf.Global{Datatype: "cf32_le", SampleRateHz: 1e6}}
			for i := range n {
				m.Captures = append(m.Captures, sigmf.Capture{SampleStart: int64(16 * i), FrequencyHz: tc.freq(i),
					Extra: map[string]any{NoiseFloorKey: tc.floor(i)}})
			}
			p := New(Config{})
			seeded, err := p.SeedFloors(m)
			if *made > MaxTunings {
				t.Errorf("SeedFloors made %d Detectors for %d captures, want at most %d", *made, n, MaxTunings)
			}
			if seeded != tc.wantSeeded || err == nil || !strings.Contains(err.Error(), "more than") {
				t.Errorf("SeedFloors: %d seeded, err %.200v; want %d and an error saying the rest are learnt from their samples", seeded, err, tc.wantSeeded)
			}
		})
	}
}
