package pipeline

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/sensor"
)

// TestScanKeepsContinuousCarrier: a sensor that scans two tunings, 26 ms
// at each in turn (the demo's dwell at 6 Msps), hears a handset that starts
// transmitting without gaps on the first tuning once its floor exists, at
// 8 dB in its 1 MHz. The detector of that tuning keeps its floor from dwell
// to dwell, so the handset must be reported in every dwell after it
// starts, long after the floor's 11 ms history. Without the floor hold
// (FloorHold negative, as before) it is learnt into the floor and lost.
func TestScanKeepsContinuousCarrier(t *testing.T) {
	const (
		fs          = 6e6
		dwell       = 156000 // 26 ms
		dwells      = 12     // per tuning
		onsetDwell  = 2
		noisePow    = 1e-6
		loHz, hiHz  = 1e6, 2e6
		tones       = 20
		snrInBandDB = 8.0
	)
	rng := rand.New(rand.NewPCG(21, 4))
	noise := func(n int) []complex64 {
		s := math.Sqrt(noisePow / 2)
		x := make([]complex64, n)
		for i := range x {
			x[i] = complex(float32(rng.NormFloat64()*s), float32(rng.NormFloat64()*s))
		}
		return x
	}
	a, b := noise(dwells*dwell), noise(dwells*dwell)
	// the handset: tones random in phase every 50 kHz over [loHz, hiHz], on
	// from the start of dwell onsetDwell of tuning A to the end
	amp := math.Sqrt(noisePow * (hiHz - loHz) / fs * math.Pow(10, snrInBandDB/10) / tones)
	for k := range tones {
		f := loHz + (float64(k)+0.5)*(hiHz-loHz)/tones
		ph := rng.Float64() * 2 * math.Pi
		for i := onsetDwell * dwell; i < len(a); i++ {
			a[i] += complex64(cmplx.Rect(amp, ph+2*math.Pi*f*float64(i)/fs))
		}
	}
	for _, tc := range []struct {
		name        string
		hold        time.Duration
		wantDwells  int // dwells after the onset with the handset reported, at least
		maxReported int // and at most
	}{
		{"held", 0, dwells - onsetDwell, dwells - onsetDwell},
		{"no hold", -1, 0, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// UplinkFloorCapDB −1: 847 MHz is in LTE B20's uplink, where
			// the uplink cap alone keeps the handset (TestLongCallFloor);
			// this test is of the hold.
			p := New(Config{Detector: dsp.DetectorConfig{FloorHold: tc.hold}, UplinkFloorCapDB: -1})
			seen := map[int]bool{} // tuning A's dwells with the handset
			var global int64
			t0 := time.Date(2026, 12, 2, 22, 0, 0, 0, time.UTC)
			for d := range dwells {
				for _, tu := range []struct {
					x  []complex64
					fc float64
				}{{a, 847e6}, {b, 1747.5e6}} {
					blk := sensor.Block{Samples: tu.x[d*dwell : (d+1)*dwell], CenterHz: tu.fc, SampleRateHz: fs, GainDB: 20,
						FirstSample: global, Time: t0.Add(time.Duration(float64(global) / fs * 1e9)), Device: "sim", Retuned: true}
					res, err := p.Process(blk, nil)
					if err != nil {
						t.Fatal(err)
					}
					res = p.Flush(res)
					for _, r := range res {
						if tu.fc == 847e6 && r.FreqHighHz > tu.fc+loHz && r.FreqLowHz < tu.fc+hiHz && r.Em.SampleCount > dwell/4 {
							seen[d] = true
						}
					}
					global += dwell
				}
			}
			n := 0
			for d := onsetDwell; d < dwells; d++ {
				if seen[d] {
					n++
				}
			}
			if n < tc.wantDwells || n > tc.maxReported {
				t.Errorf("handset reported for a quarter of the dwell or more in %d of the %d dwells after it started, want %d..%d (dwells %v)",
					n, dwells-onsetDwell, tc.wantDwells, tc.maxReported, seen)
			}
			t.Logf("handset reported in %d of %d dwells", n, dwells-onsetDwell)
		})
	}
}
