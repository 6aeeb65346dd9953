package classify_test

import (
	"math/rand/v2"
	"testing"

	"github.com/rfwarden/rfwarden/dsp/classify"
	"github.com/rfwarden/rfwarden/dsp/synth"
)

// TestWeakDroneIDNamedByZC: a DroneID burst at 3 dB in its 9 MHz, as eval
// renders it (15.36 Msps at 2429.5 MHz, 1 MHz off DC). The detector cuts
// each burst into 5–15 pieces 0.03–1.7 MHz wide, none of DroneID's width,
// their CP test under its threshold; until 2026-12-06 none was named
// DroneID (eval: Pc 0 at 3 dB, 6 of 30 bursts named Bluetooth). A piece
// of DroneID's length carries the ZC pair, which alone names it
// (classifyDroneID). Measured: 24 of the 24 bursts have a piece named
// DroneID; want at least 18.
func TestWeakDroneIDNamedByZC(t *testing.T) {
	set := classify.Default()
	const fs, period = 15.36e6, 6e-3
	named, bursts := 0, 0
	for seed := uint64(1); seed <= 8; seed++ {
		iq := make([]complex64, int(20e-3*fs))
		synth.Noise(iq, rand.New(rand.NewPCG(seed, 17)), synth.DefaultNoisePower)
		truth := synth.DroneID(iq, synth.Params{SampleRateHz: fs, OffsetHz: 1e6, SNRDB: 3, Seed: seed,
			BurstPeriodS: period, StartSample: int(3e-3 * fs)})
		ems, labels := detectEmissions(t, set, iq, fs, 2429.5e6)
		for _, tr := range truth {
			if tr.StartSample+tr.SampleCount > len(iq) {
				continue
			}
			bursts++
			for i, e := range ems {
				if labels[i].Class == classify.ClassDroneID &&
					e.StartSample < int64(tr.StartSample+tr.SampleCount) && e.StartSample+e.SampleCount > int64(tr.StartSample) {
					named++
					break
				}
			}
		}
	}
	t.Logf("%d of %d DroneID bursts at 3 dB have a piece named DroneID", named, bursts)
	if bursts == 0 || 4*named < 3*bursts {
		t.Errorf("%d of %d DroneID bursts at 3 dB named DroneID, want ≥ 75%%", named, bursts)
	}
}

// TestZCAloneNamesNothingElse: the ZC pair names a DroneID-long candidate
// of any width; noise, a Bluetooth hopper, an RC hopper (LoRa chirps) and
// drone video OFDM data in the 2.4 GHz DroneID band, weak and strong, are
// never named DroneID (their windows of DroneID's length are measured and
// carry no pair; noise: TestZCThresholdFalseAlarms).
func TestZCAloneNamesNothingElse(t *testing.T) {
	set := classify.Default()
	const fs, fc = 15.36e6, 2429.5e6
	tests := []struct {
		name string
		gen  synth.Generator
		p    synth.Params
	}{
		{"Bluetooth", synth.Bluetooth, synth.Params{HopSpanHz: 12e6}},
		{"RC", synth.RCFHSS, synth.Params{HopSpanHz: 12e6}},
		{"drone video 10 MHz", synth.DroneVideo, synth.Params{OffsetHz: 1e6, BandwidthHz: 10e6}},
		{"drone video 5 MHz", synth.DroneVideo, synth.Params{OffsetHz: -2e6, BandwidthHz: 5e6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			total := 0
			for _, snr := range []float64{1, 3, 6, 12} {
				for seed := uint64(1); seed <= 3; seed++ {
					iq := make([]complex64, int(30e-3*fs))
					synth.Noise(iq, rand.New(rand.NewPCG(seed, 23)), synth.DefaultNoisePower)
					p := tt.p
					p.SampleRateHz, p.SNRDB, p.Seed, p.StartSample = fs, snr, seed, int(3e-3*fs)
					tt.gen(iq, p)
					for _, l := range detectAndClassify(t, set, iq, fs, fc) {
						total++
						if l.Class == classify.ClassDroneID {
							t.Errorf("%g dB seed %d: %s named %q at %.2f (features %v)", snr, seed, tt.name, l.Text, l.Confidence, l.Features)
						}
					}
				}
			}
			t.Logf("%d emissions, none named DroneID", total)
		})
	}
}
