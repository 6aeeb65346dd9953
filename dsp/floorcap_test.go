package dsp

import (
	"math"
	"testing"
)

// TestSetFloorCapDB: a gap-free carrier on from the first sample at 8 dB
// per bin over the noise, over 1.5 MHz of a 10 Msps band, is learnt into
// the floor up to the cap. With FloorCapDB 10 for every bin it is lost
// once the floor holds it (the second half of 52 ms, 4 floor histories);
// with its bins capped at 4 dB (SetFloorCapDB) it stays detected in
// nearly every 0.8 ms of that half (in about half of its frames), and
// with the cap given to the other bins only it is lost as before.
func TestSetFloorCapDB(t *testing.T) {
	const (
		fs       = 10e6
		n        = 1 << 19
		noisePow = 1e-6
		lo, hi   = 1e6, 2.5e6
		snrDB    = 8.0
	)
	x := carrierIQ(5, n, fs, noisePow, lo, hi, snrDB)
	cfg := DetectorConfig{SampleRateHz: fs}
	d, err := NewDetector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	nfft := d.Config().NFFT
	inCarrier := func(i int) bool {
		off := float64(i-nfft/2) * fs / float64(nfft)
		return off >= lo-fs/float64(nfft) && off <= hi+fs/float64(nfft)
	}
	caps := func(carrier, other float64) []float64 {
		c := make([]float64, nfft)
		for i := range c {
			c[i] = other
			if inCarrier(i) {
				c[i] = carrier
			}
		}
		return c
	}
	for _, tc := range []struct {
		name  string
		caps  []float64
		minOn float64 // fraction of the second half's 0.8 ms windows in an emission over the carrier, at least
		maxOn float64 // and at most
	}{
		{"FloorCapDB 10", nil, 0, 0.1},
		{"carrier bins 4 dB", caps(4, 10), 0.9, 1},
		{"other bins 4 dB", caps(10, 4), 0, 0.1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewDetector(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.SetFloorCapDB(tc.caps); err != nil {
				t.Fatal(err)
			}
			var ems []Emission
			for i := 0; i < n; i += 8192 {
				ems = d.Process(x[i:i+8192], int64(i), ems)
			}
			ems = d.Flush(ems)
			frac := lateOnShare(ems, n, lo, hi)
			t.Logf("carrier on in %.3f of the second half's 0.8 ms windows", frac)
			if frac < tc.minOn || frac > tc.maxOn {
				t.Errorf("carrier on in %.3f of the second half's 0.8 ms windows, want %.2f..%.2f", frac, tc.minOn, tc.maxOn)
			}
		})
	}
	for _, bad := range [][]float64{make([]float64, nfft-1), append(make([]float64, nfft-1), math.NaN())} {
		if err := d.SetFloorCapDB(bad); err == nil {
			t.Errorf("SetFloorCapDB(%d values, last %v): no error", len(bad), bad[len(bad)-1])
		}
	}
}
