package classify

import (
	"github.com/rfwarden/rfwarden/dsp/bandplan"
)

// classifyFPV recognises an analog FPV video transmitter.
//
// Emitter: 5.8 GHz analog FPV video (FM, PAL/NTSC baseband), 6–20 MHz wide,
// sending continuously while powered. Features: the 5.8 GHz band, occupied
// width 5–20 MHz (the measured width falls towards 6 MHz near 6 dB SNR),
// constant envelope (FM), no OFDM cyclic prefix, on for the
// whole analysed window (duty ≥ 0.9) for at least 1 ms, 2 dB over the
// noise, no Wi-Fi CP. In the 5.8 GHz band nothing else sends a
// continuous, wide, non-OFDM carrier (Wi-Fi and drone links are bursty
// OFDM). The spectrum follows the picture (a dark scene piles power near
// the sync and black levels, a busy colour scene spreads it across the
// deviation), so its shape is tested only against white: flatness ≤ 0.95
// (synthetic FM video reads 0.73–0.90 at 20 dB; a white constant-envelope
// sequence, e.g. random full-scale samples, 0.995). The flatness is the
// signal's own, the noise reference taken out (signalFlatness): noise
// whitens what is measured, so the FM video's central 6 MHz, all a 6 dB
// carrier shows over the noise, read 0.93–0.96 with the noise in (18% of
// them over 0.95 and unknown) and 0.90–0.945 without; a white signal
// stays at 0.99–1.00 at any SNR (TestWeakFPVNamedWhiteNot).
func classifyFPV(f *features, p *bandplan.Plan) Label {
	b, inBand := bandFor(p, f, "fpv")
	if !inBand || f.occBWHz < 5e6 || f.occBWHz > 20e6 || !strongEnough(f) {
		return Label{}
	}
	thr := cpThreshold(f.nEff)
	if f.durS < 1e-3 || f.duty() < 0.9 || ok(f.cp15(), thr) || ok(f.cpWiFi(), thr) { // cheapest first
		return Label{}
	}
	if !ok(f.envCV(), 0) || f.envCV() > constEnvCV(f)+0.2 || f.flatness > 0.95 {
		return Label{}
	}
	return Label{Class: ClassAnalogFPV, Band: b.Name, Confidence: 0.6,
		Text: "analog FPV drone video, FM (" + b.Name + ")"}
}
