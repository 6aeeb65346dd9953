package classify_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/dsp/classify"
	"github.com/rfwarden/rfwarden/dsp/synth"
)

// TestTDDUplinkBesideLine: a handset's NR slot (0.5 ms, 30 kHz SCS, 20
// MHz, n78, 40 dB SNR) with a continuous line inside or beside its band (a
// CW tone, a HackRF spur) must stay an uplink: phone alerts skip
// downlinks. The detector merges the line and the slot into one run from
// the line's start to its end, longer than the 1 ms a downlink is on for.
//
// The first cases end the capture with the slot, as nr-n78-ul-strong does
// (where TestRealRobustness's +tone found it): the slot starts 1.0–1.2 ms
// in, inside the classifier's first 32768 samples (1.42 ms), and its own
// envelope (lines cut) turning on late fixed them (firstOnS). The rest
// have the line on for the whole capture, before and after the slot, which
// starts 1.5–3 ms after the line (past the first 32768 samples), at line
// powers 20, 30 and 40 dB over the whole band's noise, inside and beside
// the carrier. Before the detector kept a narrow continuous line apart
// from a neighbour that comes on across or beside it (dsp splitLines),
// the slot and the line were one emission from the line's start, whose
// first 32768 samples held the line alone: every one of those cases was
// "unknown", the phone missed. Now the slot is an emission of its own,
// from the slot's start, and "NR uplink".
func TestTDDUplinkBesideLine(t *testing.T) {
	const fs, fc = 23.04e6, 3427.5e6
	set := classify.Default()
	for _, tc := range []struct {
		name         string
		lineDB       float64 // the line's power over the whole band's noise; 0: no line
		toneOffsetHz float64
		slotStartS   float64
		captureS     float64 // 0: ends with the slot
	}{
		{"no line", 0, 0, 1.2e-3, 0},
		{"line +6 MHz, slot at 1.0 ms", 30, 6e6, 1.0e-3, 0},
		{"line -3 MHz, slot at 1.1 ms", 30, -3e6, 1.1e-3, 0},
		{"line +2.5 MHz, slot at 1.2 ms", 30, 2.5e6, 1.2e-3, 0},
		{"no line, 5 ms", 0, 0, 3e-3, 5e-3},
		{"whole-capture line 30 dB +2.5 MHz, slot at 3 ms", 30, 2.5e6, 3e-3, 5e-3},
		{"whole-capture line 20 dB -3 MHz, slot at 1.5 ms", 20, -3e6, 1.5e-3, 4e-3},
		{"whole-capture line 40 dB +6 MHz, slot at 2 ms", 40, 6e6, 2e-3, 6e-3},
		{"whole-capture line 40 dB -0.4 MHz, slot at 2.5 ms", 40, -0.4e6, 2.5e-3, 5e-3},
		{"whole-capture line 30 dB beside, +9.9 MHz, slot at 2 ms", 30, 9.9e6, 2e-3, 5e-3},
		{"whole-capture line 40 dB beside, -10.2 MHz, slot at 3 ms", 40, -10.2e6, 3e-3, 8e-3},
	} {
		for seed := uint64(1); seed <= 3; seed++ {
			n := int((tc.slotStartS + 0.5e-3) * fs) // ends with the slot
			if tc.captureS > 0 {
				n = int(tc.captureS * fs)
			}
			iq := make([]complex64, n)
			synth.Noise(iq, rand.New(rand.NewPCG(seed, 5)), synth.DefaultNoisePower)
			if tc.lineDB > 0 {
				synth.Tone(iq, synth.Params{SampleRateHz: fs, OffsetHz: tc.toneOffsetHz,
					PowerFS: math.Pow(10, tc.lineDB/10) * synth.DefaultNoisePower})
			}
			synth.NR(iq, synth.Params{SampleRateHz: fs, SNRDB: 40, BandwidthHz: 20e6, Seed: seed,
				StartSample: int(tc.slotStartS*fs) - int(2e-3*fs), DurationSamples: int(2.5e-3 * fs)})
			named := 0
			var s []string
			ems, labels := detectEmissions(t, set, iq, fs, fc)
			for i, l := range labels {
				s = append(s, l.Text)
				if l.Class != classify.ClassNR {
					continue
				}
				named++
				if l.Link != "uplink" {
					t.Errorf("%s, seed %d: %q: a handset's 0.5 ms slot beside a line named %s", tc.name, seed, l.Text, l.Link)
				}
				// A line on for the whole capture, and on for lineMinS
				// before the slot: the detector keeps it apart, so the
				// slot's emission is the slot's (dsp splitLines).
				if tc.lineDB > 0 && tc.captureS > 0 {
					startS := float64(ems[i].StartSample) / fs
					durS := float64(ems[i].SampleCount) / fs
					if math.Abs(startS-tc.slotStartS) > 0.05e-3 || durS > 0.6e-3 {
						t.Errorf("%s, seed %d: the slot's emission is %.3f ms from %.3f ms; want the slot's 0.5 ms from %.3f ms",
							tc.name, seed, 1e3*durS, 1e3*startS, 1e3*tc.slotStartS)
					}
				}
			}
			if named == 0 {
				t.Errorf("%s, seed %d: the slot is not named NR", tc.name, seed)
			}
			t.Logf("%s, seed %d: %s", tc.name, seed, strings.Join(s, "; "))
		}
	}
}
