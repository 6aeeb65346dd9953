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
		wantMade   int // at most; 0: MaxTunings
		wantMore   bool
	}{
		{"unusable floors at as many tunings", func(int) any { return unusable }, func(i int) float64 { return 100e6 + float64(i)*1e3 }, 0, 0, true},
		// each tuning's first floor only: one try, and no budget spent
		{"unusable floors at one tuning", func(int) any { return unusable }, func(int) float64 { return 100e6 }, 0, 1, false},
		{"floors of too few bins", func(int) any { return []any{json.Number("-80")} }, func(i int) float64 { return 100e6 + float64(i)*1e3 }, 0, 0, true},
		{"usable floors", func(int) any { return good }, func(i int) float64 { return 100e6 + float64(i)*1e3 }, MaxTunings, 0, true},
		{"one usable among unusable", func(i int) any {
			if i == 3 {
				return good
			}
			return unusable
		}, func(i int) float64 { return 100e6 + float64(i)*1e3 }, 1, 0, true},
		// an unusable tuning revisited all along does not use up the
		// budget before a tuning that first comes last
		{"one unusable tuning revisited, then a usable one", func(i int) any {
			if i == n-1 {
				return good
			}
			return unusable
		}, func(i int) float64 {
			if i == n-1 {
				return 200e6
			}
			return 100e6
		}, 1, 2, false},
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
			wantMade := tc.wantMade
			if wantMade == 0 {
				wantMade = MaxTunings
			}
			if *made > wantMade {
				t.Errorf("SeedFloors made %d Detectors for %d captures, want at most %d", *made, n, wantMade)
			}
			// every case has an unusable floor or more tunings than kept
			if seeded != tc.wantSeeded || err == nil || strings.Contains(err.Error(), "more than") != tc.wantMore {
				t.Errorf("SeedFloors: %d seeded, err %.200v; want %d, an error, and the rest said to be learnt from their samples: %v", seeded, err, tc.wantSeeded, tc.wantMore)
			}
		})
	}
}
