package pipeline_test

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/eval"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// TestScanRecordingSeedsFloor checks that `rfwarden scan` (eval.ScanRecording)
// judges an evidence snippet that starts with its emission on against the
// noise floor the sensor saved with it (pipeline.NoiseFloorKey), as the
// sensor judged it: a wide 8 dB carrier on throughout the clip is found;
// the same clip without the key is not (its floor is learnt from the
// carrier).
func TestScanRecordingSeedsFloor(t *testing.T) {
	const fs, fc, n = 10e6, 847e6, 1 << 16
	rng := rand.New(rand.NewPCG(4, 4))
	noise := func(k int) []complex64 {
		x := make([]complex64, k)
		s := math.Sqrt(1e-6 / 2)
		for i := range x {
			x[i] = complex(float32(rng.NormFloat64()*s), float32(rng.NormFloat64()*s))
		}
		return x
	}
	// the sensor's floor, learnt over a dwell of noise
	sensorP := pipeline.New(pipeline.Config{})
	if _, err := sensorP.Process(sensor.Block{Samples: noise(1 << 17), CenterHz: fc, SampleRateHz: fs}, nil); err != nil {
		t.Fatal(err)
	}
	floor := sensorP.NoiseFloorBinsDBFS(nil)
	// the clip: a comb of tones 50 kHz apart over ±2.2 MHz, 8 dB over the noise there
	clip := noise(n)
	const lo, hi = -2.2e6, 2.2e6
	k := int((hi - lo) / 50e3)
	amp := math.Sqrt(1e-6 * (hi - lo) / fs * math.Pow(10, 0.8) / float64(k))
	for j := range k {
		f, ph := lo+(float64(j)+0.5)*50e3, rng.Float64()*2*math.Pi
		for i := range clip {
			s, c := math.Sincos(2*math.Pi*f*float64(i)/fs + ph)
			clip[i] += complex(float32(amp*c), float32(amp*s))
		}
	}
	for _, seeded := range []bool{false, true} {
		base := filepath.Join(t.TempDir(), "snippet")
		w, err := sigmf.NewWriter(base, "cf32_le", fs, fc, time.Date(2026, 1, 15, 21, 5, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		if seeded {
			w.SetCaptureExtra(pipeline.NoiseFloorKey, floor)
		}
		if err := w.Write(clip); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		rec, err := sigmf.Open(base)
		if err != nil {
			t.Fatal(err)
		}
		res, err := eval.ScanRecording(context.Background(), rec, pipeline.Config{Detector: dsp.DetectorConfig{}}, nil)
		rec.Close()
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range res {
			found = found || r.BandwidthHz > 0.5*(hi-lo) && r.Em.StartSample < 256
		}
		if found != seeded {
			t.Errorf("floor saved: %v: carrier found from the clip's start: %v, want %v (%d detections)", seeded, found, seeded, len(res))
		}
	}
}
