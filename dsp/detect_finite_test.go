package dsp

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// randomScene returns a detector configuration with a short floor history
// and hold, and a stream of random segments from seed: noise at a random
// level, digital silence, a full-scale tone, a tone in the bin at −fs/2, a
// single nonzero sample, carriers switching on; rounded to 8-bit steps
// (1/128) when quantise is set, as a HackRF's samples are, so noise under
// one LSB is mostly exact zeros.
func randomScene(seed uint64, quantise bool) (DetectorConfig, []complex64) {
	const fs = 1e6
	rng := rand.New(rand.NewPCG(seed, 5))
	cfg := DetectorConfig{SampleRateHz: fs, NFFT: 64, FloorBlocks: 16, FloorBlockFrames: 4,
		FloorHold: time.Duration(1+rng.IntN(20)) * time.Millisecond, MergeGapDur: time.Millisecond}
	var x []complex64
	for range 30 {
		n := 64 + rng.IntN(8192)
		seg := noiseIQ(rng, n, math.Pow(10, rng.Float64()*6-9))
		switch rng.IntN(7) {
		case 0:
			clear(seg)
		case 1:
			addTone(seg, fs, (rng.Float64()-0.5)*fs, 1, 0, n)
		case 2:
			addTone(seg, fs, -fs/2, math.Pow(10, rng.Float64()*3-4), rng.IntN(n), n)
		case 3:
			seg[rng.IntN(n)] = complex(float32(1.0/128), 0)
		default:
			for range rng.IntN(3) {
				addTone(seg, fs, (rng.Float64()-0.5)*fs, math.Pow(10, rng.Float64()*3-4), rng.IntN(n), n)
			}
		}
		x = append(x, seg...)
	}
	if quantise {
		for i, v := range x {
			x[i] = complex(float32(math.Round(float64(real(v))*128)/128), float32(math.Round(float64(imag(v))*128)/128))
		}
	}
	return cfg, x
}

// checkFinite fails t for every emission with a figure that is NaN or
// infinite.
func checkFinite(t *testing.T, ems []Emission) {
	t.Helper()
	for _, e := range ems {
		for name, v := range map[string]float64{"signal": e.SignalDBFS(), "mean": e.MeanDBFS, "noise": e.NoiseDBFS,
			"peak": e.PeakDBFS, "snr": e.SNRDB, "bandwidth": e.BandwidthHz, "centre": e.CenterOffsetHz,
			"low": e.FreqLowHz, "high": e.FreqHighHz, "occupied low": e.OccupiedLowHz, "occupied high": e.OccupiedHighHz,
			"duty": e.DutyCycle} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("emission %.0f..%.0f Hz from sample %d: %s %v", e.FreqLowHz, e.FreqHighHz, e.StartSample, name, v)
			}
		}
	}
}

// TestDetectorFiniteInRandomScenes: in random scenes (randomScene), 8-bit
// and float, every figure of every emission is finite. With 8-bit samples
// whose noise is under one LSB (the simulator's sensors at 40 dB of gain)
// the minimum of the floor's blocks is 0 while the floor in use is the
// quantiser's noise, and an emission held (FloorHold) over such a history
// measured the band's ratio to its floor as 0: a bin that joined the hold
// then took floor/0 and floor Inf·0, NaN, and so did the noise, SNR and
// signal power of the emission over it (a sensor dropped the detection:
// "power_dbm: NaN out of range"). Seeds 2 and 22 did, among others.
func TestDetectorFiniteInRandomScenes(t *testing.T) {
	for seed := range uint64(48) {
		for _, q := range []bool{true, false} {
			cfg, x := randomScene(seed, q)
			checkFinite(t, runDetector(t, cfg, x, 1000))
		}
	}
}

// FuzzDetectorFinite explores randomScene's seeds: go test -fuzz
// FuzzDetectorFinite ./dsp/.
func FuzzDetectorFinite(f *testing.F) {
	f.Add(uint64(2), true)
	f.Add(uint64(22), true)
	f.Add(uint64(7), false)
	f.Fuzz(func(t *testing.T, seed uint64, quantise bool) {
		cfg, x := randomScene(seed, quantise)
		checkFinite(t, runDetector(t, cfg, x, 1000))
	})
}
