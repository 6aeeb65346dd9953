package bandplan_test

import (
	"math/rand/v2"
	"testing"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/dsp/classify"
	"github.com/rfwarden/rfwarden/dsp/synth"
)

// TestDroneVideoBands runs the detector and the default classifiers (over
// the default band plan) on generated signals in the drone video bands:
// analog FPV on the Raceband / Band E channels outside 5725–5875 MHz
// (5658, 5917 MHz) and on 1.2/1.3 GHz long-range video (1280 MHz) must be
// named FPV, as at 5800 MHz; Wi-Fi at 5.66 GHz, where the FPV allowance
// overlaps U-NII-2C, must stay Wi-Fi. Before the FPV allowance was widened
// the FPV cases at 5658, 5917 and 1280 MHz read unknown.
func TestDroneVideoBands(t *testing.T) {
	set := classify.Default()
	tests := []struct {
		name      string
		fs, fc    float64
		gen       synth.Generator
		p         synth.Params
		want, not string
	}{
		{"FPV 5800 MHz", 20e6, 5799e6, synth.FPVAnalog, synth.Params{OffsetHz: 1e6}, classify.ClassAnalogFPV, classify.ClassWiFi},
		{"FPV 5658 MHz (Raceband R1)", 20e6, 5657e6, synth.FPVAnalog, synth.Params{OffsetHz: 1e6}, classify.ClassAnalogFPV, classify.ClassWiFi},
		{"FPV 5917 MHz (Raceband R8)", 20e6, 5916e6, synth.FPVAnalog, synth.Params{OffsetHz: 1e6}, classify.ClassAnalogFPV, classify.ClassWiFi},
		{"FPV 1280 MHz (1.3 GHz video)", 20e6, 1279e6, synth.FPVAnalog, synth.Params{OffsetHz: 1e6}, classify.ClassAnalogFPV, classify.ClassUnknown},
		{"drone video 5890 MHz (digital FPV)", 20e6, 5888e6, synth.DroneVideo, synth.Params{OffsetHz: 2e6, BandwidthHz: 10e6}, classify.ClassDroneVideo, classify.ClassWiFi},
		{"Wi-Fi 5660 MHz (channel 132)", 20e6, 5660e6, synth.WiFi, synth.Params{BandwidthHz: 20e6}, classify.ClassWiFi, classify.ClassAnalogFPV},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iq := make([]complex64, int(20e-3*tt.fs))
			synth.Noise(iq, rand.New(rand.NewPCG(uint64(i), 11)), synth.DefaultNoisePower)
			p := tt.p
			p.SampleRateHz, p.SNRDB, p.Seed, p.StartSample = tt.fs, 9, uint64(i+1), int(3e-3*tt.fs)
			tt.gen(iq, p)
			det, err := dsp.NewDetector(dsp.DetectorConfig{SampleRateHz: tt.fs})
			if err != nil {
				t.Fatal(err)
			}
			named, want, not := 0, 0, 0
			for _, e := range det.Flush(det.Process(iq, 0, nil)) {
				l := set.Classify(classify.Input{IQ: iq, SampleRateHz: tt.fs, CenterHz: tt.fc, Em: e})
				t.Logf("%.3f MHz %.2f MHz wide: %s %q", (tt.fc+e.CenterOffsetHz)/1e6, e.BandwidthHz/1e6, l.Class, l.Text)
				switch l.Class {
				case tt.want:
					want++
				case tt.not:
					if tt.not != classify.ClassUnknown {
						not++
					}
				}
				if l.Class != classify.ClassUnknown {
					named++
				}
			}
			if want == 0 || float64(want) < 0.8*float64(named) {
				t.Errorf("%d of %d named emissions are %s, want ≥ 80%% and at least one", want, named, tt.want)
			}
			if not > 0 {
				t.Errorf("%d of %d named emissions are %s, want none", not, named, tt.not)
			}
		})
	}
}
