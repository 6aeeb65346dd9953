package dsp

import (
	"math/rand/v2"
	"testing"

	"github.com/rfwarden/rfwarden/dsp/synth"
)

// TestDetectorNyquistBinNotDetected: a 5 MHz LTE uplink (4.5 MHz
// occupied) at 5 Msps, on from the first sample and 8-bit quantised, as
// `rfwarden sim --center 847e6 --rate 5e6` records it. It fills 90% of the
// band and is learnt as floor (docs/detection.md, "Long calls"); its
// symbol edges splatter over the whole band for a frame at a time, and
// the bin at −fs/2, 3.2 bins beyond either edge of the carrier, took both
// sides' splatter. Its smoothing window (bins 0–2) held no bin of the
// carrier, unlike the top bin's (61–63), so it alone was found: 129 rows of
// `844.500000 77.3 kHz unknown` in 2 s. That bin is ±fs/2 at once and is
// not judged; no emission may hold it, and no one-bin emission may sit at
// either edge.
func TestDetectorNyquistBinNotDetected(t *testing.T) {
	const fs, n = 5e6, 1 << 20 // 0.21 s
	x := make([]complex64, n)
	rng := rand.New(rand.NewPCG(1, 1))
	synth.Noise(x, rng, synth.DefaultNoisePower)
	synth.LTE(x, synth.Params{SampleRateHz: fs, BandwidthHz: 5e6, SNRDB: 30, Seed: 1})
	synth.Apply(x, synth.Artefacts{SampleRateHz: fs, QuantisePeakLSB: 100}, rng)
	cfg := DetectorConfig{SampleRateHz: fs}
	ems := runDetector(t, cfg, x, 1<<16)
	d, _ := NewDetector(cfg)
	binHz := fs / float64(d.Config().NFFT)
	edge := 0
	for _, e := range ems {
		if e.FreqLowHz < -fs/2+binHz/2 {
			t.Errorf("emission %.0f..%.0f Hz from sample %d holds the bin at -fs/2", e.FreqLowHz, e.FreqHighHz, e.StartSample)
		}
		if e.FreqHighHz-e.FreqLowHz < 1.5*binHz && (e.FreqLowHz < -fs/2+2*binHz || e.FreqHighHz > fs/2-2*binHz) {
			edge++
		}
	}
	if edge > 0 {
		t.Errorf("%d one-bin emissions at the band's edges of %d", edge, len(ems))
	}
	t.Logf("%d emissions", len(ems))
}
