package dsp

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDetectorSeededFloor checks SeedFloorDBFS: a clip that starts with a
// wide carrier already on (an evidence snippet cut at the start of a
// dwell) is judged against the floor the sensor had learnt before it,
// so the carrier is found from the clip's first frame at its true SNR,
// where a Detector learning its floor from the clip itself learns the
// carrier as floor and finds nothing.
func TestDetectorSeededFloor(t *testing.T) {
	const (
		fs       = 10e6
		n        = 1 << 16 // 6.5 ms, one block of the sensor's
		noisePow = 1e-6
		lo, hi   = -2.5e6, 2e6
		snrDB    = 8.0
	)
	cfg := DetectorConfig{SampleRateHz: fs}
	rng := rand.New(rand.NewPCG(5, 8))
	// the sensor's earlier dwell: noise only, from which its floor comes
	sensor, err := NewDetector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := sensor.FloorDBFS(nil); got != nil {
		t.Fatalf("FloorDBFS before any floor: got %d values, want nil", len(got))
	}
	sensor.Flush(sensor.Process(noiseIQ(rng, 1<<17, noisePow), 0, nil))
	floor := sensor.FloorDBFS(nil)
	if len(floor) != sensor.Config().NFFT {
		t.Fatalf("FloorDBFS: %d bins, want NFFT %d", len(floor), sensor.Config().NFFT)
	}
	perBin := 10 * math.Log10(noisePow/float64(sensor.Config().NFFT))
	if mid := floor[len(floor)/4]; math.Abs(mid-perBin) > 1.5 {
		t.Errorf("FloorDBFS[N/4] = %.2f dBFS, want the noise's %.2f ± 1.5", mid, perBin)
	}

	// the clip: the carrier on from its first sample to its last
	x := noiseIQ(rng, n, noisePow)
	addBandNoise(rng, x, fs, lo, hi, noisePow*(hi-lo)/fs*math.Pow(10, snrDB/10), 0, n)
	wide := func(ems []Emission) (found []Emission) {
		for _, e := range ems {
			if e.BandwidthHz > 0.5*(hi-lo) {
				found = append(found, e)
			}
		}
		return found
	}
	if got := wide(runDetector(t, cfg, x, 1<<16)); len(got) != 0 {
		t.Errorf("unseeded: found the carrier %+v; want nothing, the floor learnt from the clip is the carrier (else this test shows nothing)", got[0])
	}
	d, err := NewDetector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SeedFloorDBFS(floor); err != nil {
		t.Fatal(err)
	}
	got := wide(d.Flush(d.Process(x, 0, nil)))
	if len(got) != 1 {
		t.Fatalf("seeded: %d wide emissions %+v, want the carrier once", len(got), got)
	}
	e := got[0]
	if e.StartSample > int64(2*d.Config().NFFT) || e.EndSample() < n-int64(2*d.Config().NFFT) {
		t.Errorf("seeded: carrier found over samples [%d, %d), want about [0, %d)", e.StartSample, e.EndSample(), n)
	}
	if math.Abs(e.SNRDB-snrDB) > 2 {
		t.Errorf("seeded: SNR %.1f dB, want %.0f ± 2", e.SNRDB, snrDB)
	}
}

func TestSeedFloorDBFSRefuses(t *testing.T) {
	cfg := DetectorConfig{SampleRateHz: 1e6, NFFT: 64}
	good := make([]float64, 64)
	for i := range good {
		good[i] = -80
	}
	nan := append([]float64(nil), good...)
	nan[3] = math.NaN()
	inf := append([]float64(nil), good...)
	inf[5] = math.Inf(1)
	for _, tc := range []struct {
		name    string
		floor   []float64
		started bool
	}{
		{"short", good[:32], false},
		{"NaN", nan, false},
		{"Inf", inf, false},
		{"started", good, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewDetector(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if tc.started {
				d.Process(make([]complex64, 10), 0, nil)
			}
			if err := d.SeedFloorDBFS(tc.floor); err == nil {
				t.Error("SeedFloorDBFS: got nil error")
			}
		})
	}
}
