package classify

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/dsp/bandplan"
	"github.com/rfwarden/rfwarden/dsp/synth"
)

// TestBurstLengthRateFree: one GSM normal burst (148 bits, 546 µs, 20 dB
// SNR in 250 kHz at 1857 MHz), measured alone as the burst vote measures
// it (its own window, no detector bursts), reads a median burst of at
// least minGSMBurstS and is named GSM at every rate. The analysed segment
// is a power of two samples: 8192 of the burst's 10.5–13.6 thousand at
// 19.2–25 Msps, 0.43 ms at 19.2 Msps but 0.34 ms at 24 Msps and 0.33 ms
// at 25 Msps, which read as the burst's length until a burst on for the
// whole segment took the emission's (found by TestRealRobustness's
// rate×5/4: lte-fdd-gsm1800 at 24 Msps lost 75 of its 76 GSM labels).
func TestBurstLengthRateFree(t *testing.T) {
	plan := bandplan.Default()
	for _, fs := range []float64{4e6, 10e6, 19.2e6, 20e6, 24e6, 25e6} {
		t.Run(fmt.Sprintf("%.1fMsps", fs/1e6), func(t *testing.T) {
			iq := make([]complex64, int(2e-3*fs))
			synth.Noise(iq, rand.New(rand.NewPCG(3, 4)), synth.DefaultNoisePower)
			tr := synth.GSM(iq, synth.Params{SampleRateHz: fs, OffsetHz: 400e3, SNRDB: 20, Seed: 5,
				StartSample: int(0.5e-3 * fs), DurationSamples: int(0.7e-3 * fs)})
			if len(tr) == 0 {
				t.Fatal("no burst rendered")
			}
			b := tr[0]
			in := Input{IQ: iq, SampleRateHz: fs, CenterHz: 1857e6, Em: dsp.Emission{
				StartSample: int64(b.StartSample), SampleCount: int64(b.SampleCount),
				FreqLowHz: b.FreqLowHz, FreqHighHz: b.FreqHighHz, CenterOffsetHz: 400e3, BandwidthHz: 250e3, SNRDB: 20}}
			f := measure(in, dsp.NewFFT, plan, nil)
			if got := f.medianBurstS(); got < minGSMBurstS {
				t.Errorf("median burst %.3f ms of a %.3f ms burst (segment %d samples), under minGSMBurstS %.2f ms",
					got*1e3, float64(b.SampleCount)/fs*1e3, f.n, minGSMBurstS*1e3)
			}
			if l := classifyGSM(f, plan); l.Class != ClassGSM {
				t.Errorf("one burst at %.1f Msps not named GSM: %+v", fs/1e6, l)
			}
		})
	}
}
