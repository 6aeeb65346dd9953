package classify_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/rfwarden/rfwarden/dsp/classify"
	"github.com/rfwarden/rfwarden/dsp/synth"
)

// TestGSMClippedAllowanceNotLoRa: the GSM rule's wider allowance for a
// clipped handset whose bursts come at the TDMA frame (dsp/classify/gsm.go)
// must not take a whole 1 ms LoRa packet (an ELRS-like RC link, 500 kHz
// chirps) that happens to repeat at about the frame, away from DC so the
// detector does not cut it up. Such a packet's 90%-power width is about
// 450 kHz, past any GMSK burst's (gmskMaxExcessBWHz).
func TestGSMClippedAllowanceNotLoRa(t *testing.T) {
	set := classify.Default()
	for _, fs := range []float64{4e6, 20e6} {
		for _, offHz := range []float64{-1.2e6, 1e6} {
			for _, snr := range []float64{8, 20, 35} {
				t.Run(fmt.Sprintf("%gMsps/%+.1fMHz/%.0fdB", fs/1e6, offHz/1e6, snr), func(t *testing.T) {
					for seed := uint64(1); seed <= 4; seed++ {
						iq := make([]complex64, int(30e-3*fs))
						synth.Noise(iq, rand.New(rand.NewPCG(seed, 5)), synth.DefaultNoisePower)
						synth.RCFHSS(iq, synth.Params{SampleRateHz: fs, OffsetHz: offHz, SNRDB: snr, Seed: seed,
							BurstPeriodS: synth.GSMFrameS, HopSpanHz: 1, // every packet on one channel
							StartSample: int(3e-3 * fs)})
						for _, l := range detectAndClassify(t, set, iq, fs, 941e6) {
							if l.Class == classify.ClassGSM {
								t.Errorf("seed %d: %q (conf %.2f), want no GSM; features %v", seed, l.Text, l.Confidence, l.Features)
							}
						}
					}
				})
			}
		}
	}
}
