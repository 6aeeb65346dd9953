package pipeline

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// wideCarrier returns n samples of noise (power 1e-6) with a comb of
// random-phase tones 50 kHz apart over [loHz, hiHz] on throughout, snrDB
// above the noise in that band: an uplink carrier a snippet cut at the
// start of a dwell holds from its first sample.
func wideCarrier(seed uint64, n int, fs, loHz, hiHz, snrDB float64) []complex64 {
	rng := rand.New(rand.NewPCG(seed, seed))
	x := make([]complex64, n)
	s := math.Sqrt(1e-6 / 2)
	for i := range x {
		x[i] = complex(float32(rng.NormFloat64()*s), float32(rng.NormFloat64()*s))
	}
	k := int((hiHz - loHz) / 50e3)
	amp := math.Sqrt(1e-6 * (hiHz - loHz) / fs * math.Pow(10, snrDB/10) / float64(k))
	for j := range k {
		f, ph := loHz+(float64(j)+0.5)*50e3, rng.Float64()*2*math.Pi
		for i := range x {
			sn, c := math.Sincos(2*math.Pi*f*float64(i)/fs + ph)
			x[i] += complex(float32(amp*c), float32(amp*sn))
		}
	}
	return x
}

// sensorFloor is the floor a pipeline learnt over a dwell of noise at the
// tuning, as the sensor saves it with a snippet.
func sensorFloor(t *testing.T, fc, fs float64, nfft int) []float64 {
	t.Helper()
	p := New(Config{Detector: dsp.DetectorConfig{NFFT: nfft}})
	x := noisyBurst(99, 1<<17, 0, 0, fs, 0, 0) // noise only
	res := runAll(t, p, blocks(x, 1<<16, fc, fs, time.Time{}, 0))
	if len(res) != 0 {
		t.Fatalf("noise dwell: %d detections", len(res))
	}
	f := p.NoiseFloorBinsDBFS(nil)
	if len(f) != p.det.Config().NFFT {
		t.Fatalf("NoiseFloorBinsDBFS: %d bins, want %d", len(f), p.det.Config().NFFT)
	}
	return f
}

// TestPipelineSeedFloors checks that a recording's capture carrying the
// sensor's floor (NoiseFloorKey) is judged against it: a wide carrier on
// from the clip's first sample is found from there, at the SNR the sensor
// measured, where a pipeline learning its floor from the clip finds
// nothing of it. A floor of another FFT length is resampled.
func TestPipelineSeedFloors(t *testing.T) {
	const fs, fc, n = 10e6, 847e6, 1 << 16
	const lo, hi, snrDB = -2.2e6, 2.2e6, 8.0
	clip := wideCarrier(3, n, fs, lo, hi, snrDB)
	for _, tc := range []struct {
		name  string
		nfft  int // of the sensor's floor; 0: none saved
		found bool
	}{
		{"no floor saved", 0, false},
		{"the sensor's floor", 128, true},
		{"a floor of a finer FFT", 512, true},
		{"a floor of a coarser FFT", 64, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := sigmf.Meta{Global: sigmf.Global{Datatype: "cf32_le", SampleRateHz: fs},
				Captures: []sigmf.Capture{{FrequencyHz: fc}}}
			if tc.nfft > 0 {
				// through JSON, as a replay reads it from the file
				m.Captures[0].Extra = map[string]any{NoiseFloorKey: sensorFloor(t, fc, fs, tc.nfft)}
				data, err := sigmf.MarshalMeta(m)
				if err != nil {
					t.Fatal(err)
				}
				if m, err = sigmf.ParseMeta(data); err != nil {
					t.Fatal(err)
				}
			}
			// UplinkFloorCapDB −1: the tuning may be in an FDD uplink
			// band, where the uplink cap alone finds the carrier
			// (TestLongCallFloor); this test is of the seeded floor.
			p := New(Config{UplinkFloorCapDB: -1})
			seeded, err := p.SeedFloors(m)
			if err != nil {
				t.Fatal(err)
			}
			if want := min(tc.nfft, 1); seeded != want {
				t.Errorf("SeedFloors: %d tunings seeded, want %d", seeded, want)
			}
			res := runAll(t, p, []sensor.Block{{Samples: clip, CenterHz: fc, SampleRateHz: fs, Retuned: true}})
			var wide []Result
			for _, r := range res {
				if r.BandwidthHz > 0.5*(hi-lo) {
					wide = append(wide, r)
				}
			}
			if !tc.found {
				if len(wide) != 0 {
					t.Errorf("found the carrier %+v without the sensor's floor; want nothing (else this test shows nothing)", wide[0].Em)
				}
				return
			}
			if len(wide) != 1 {
				t.Fatalf("%d wide detections, want the carrier once: %+v", len(wide), res)
			}
			e := wide[0].Em
			if e.StartSample > 256 || math.Abs(e.SNRDB-snrDB) > 2 {
				t.Errorf("carrier from sample %d at %.1f dB SNR, want from the clip's start at %.0f ± 2 dB", e.StartSample, e.SNRDB, snrDB)
			}
		})
	}
}

func TestSeedFloorsRefusesMalformed(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    any
	}{
		{"not an array", "loud"},
		{"a string in it", []any{json.Number("-80"), "x"}},
		{"too few bins", []any{json.Number("-80")}},
		{"too many bins", make([]any, 1<<17)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := sigmf.Meta{Global: sigmf.Global{Datatype: "cf32_le", SampleRateHz: 10e6},
				Captures: []sigmf.Capture{{FrequencyHz: 847e6, Extra: map[string]any{NoiseFloorKey: tc.v}}}}
			n, err := New(Config{}).SeedFloors(m)
			if err == nil || n != 0 {
				t.Fatalf("SeedFloors: %d seeded, err %v; want 0 and an error", n, err)
			}
			if !strings.Contains(err.Error(), NoiseFloorKey) {
				t.Errorf("error %q does not name %s", err, NoiseFloorKey)
			}
		})
	}
}

// TestSeedFloorsBounded: a recording whose captures carry floors at more
// tunings than the pipeline keeps Detectors for seeds MaxTunings of them
// and says so, instead of building a Detector for each (a hostile upload
// to the dashboard's replay could name 100,000).
func TestSeedFloorsBounded(t *testing.T) {
	floor := make([]float64, 256)
	for i := range floor {
		floor[i] = -80
	}
	m := sigmf.Meta{Global: sigmf.Global{Datatype: "cf32_le", SampleRateHz: 2e6}}
	for i := range 3 * MaxTunings {
		m.Captures = append(m.Captures, sigmf.Capture{SampleStart: int64(i), FrequencyHz: 800e6 + float64(i)*1e6,
			Extra: map[string]any{NoiseFloorKey: floor}})
	}
	p := New(Config{})
	n, err := p.SeedFloors(m)
	if n != MaxTunings || err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("SeedFloors: %d seeded, err %v; want %d and an error saying the rest are learnt", n, err, MaxTunings)
	}
	if len(p.dets) > MaxTunings {
		t.Errorf("%d detectors kept, want at most %d", len(p.dets), MaxTunings)
	}
}

// FuzzSeedFloors: metadata from outside (an uploaded evidence clip) never
// makes SeedFloors panic, and it seeds at most MaxTunings tunings.
func FuzzSeedFloors(f *testing.F) {
	f.Add([]byte(`{"global":{"core:datatype":"cf32_le","core:sample_rate":2e6,"core:version":"1.0.0"},"captures":[{"core:sample_start":0,"core:frequency":847e6,"rfw:noise_floor_dbfs":[-80,-80,-80,-80,-80,-80,-80,-80,-80,-80,-80,-80,-80,-80,-80,-80]}],"annotations":[]}`))
	f.Add([]byte(`{"global":{"core:datatype":"cf32_le","core:sample_rate":2e6,"core:version":"1.0.0"},"captures":[{"core:sample_start":0,"core:frequency":847e6,"rfw:noise_floor_dbfs":[1e400,"x",null]}],"annotations":[]}`))
	f.Add([]byte(`{"global":{"core:datatype":"cf32_le","core:sample_rate":2e6,"core:version":"1.0.0"},"captures":[{"core:sample_start":0,"core:frequency":847e6,"rfw:noise_floor_dbfs":{"a":1}}],"annotations":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := sigmf.ParseMeta(b)
		if err != nil {
			return
		}
		p := New(Config{})
		if n, _ := p.SeedFloors(m); n < 0 || n > MaxTunings || len(p.dets) > MaxTunings {
			t.Fatalf("seeded %d, %d detectors", n, len(p.dets))
		}
	})
}
