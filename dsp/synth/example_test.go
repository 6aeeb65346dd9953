package synth_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/rfwarden/rfwarden/dsp/synth"
)

// A GSM handset's uplink bursts at 15 dB SNR, 100 kHz above DC, in 10 ms of
// noise at 2 Msps.
func ExampleGSM() {
	dst := make([]complex64, 20000)
	synth.Noise(dst, rand.New(rand.NewPCG(1, 2)), synth.DefaultNoisePower)
	truth := synth.GSM(dst, synth.Params{SampleRateHz: 2e6, OffsetHz: 100e3, SNRDB: 15, Seed: 1, StartSample: 500})
	for _, tr := range truth {
		fmt.Printf("%s: samples %d+%d, %.0f..%.0f Hz, %.0f dB\n", tr.Class, tr.StartSample, tr.SampleCount, tr.FreqLowHz, tr.FreqHighHz, tr.SNRDB)
	}
	// Output:
	// gsm: samples 500+1093, -25000..225000 Hz, 15 dB
	// gsm: samples 9731+1093, -25000..225000 Hz, 15 dB
	// gsm: samples 18962+1038, -25000..225000 Hz, 15 dB
}
