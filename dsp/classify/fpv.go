package classify

import (
	"github.com/rfwarden/rfwarden/dsp/bandplan"
)

// classifyFPV recognises an analog FPV video transmitter.
//
// Emitter: 5.8 GHz analog FPV video (FM, PAL/NTSC baseband), 6–20 MHz wide,
// sending continuously while powered. Features: the 5.8 GHz band, occupied
// width 6–20 MHz, constant envelope (FM), no OFDM cyclic prefix, on for the
// whole analysed window (duty ≥ 0.9) for at least 1 ms, 2 dB over the
// noise, and a spectrum far from flat (flatness ≤ 0.7: FM video piles its
// power near the carrier; wideband noise-like emitters are flat).
func classifyFPV(f *features, p *bandplan.Plan) Label {
	b, inBand := bandFor(p, f, "fpv")
	if !inBand || f.occBWHz < 6e6 || f.occBWHz > 20e6 || !strongEnough(f) {
		return Label{}
	}
	thr := cpThreshold(f.nEff)
	if ok(f.cp15, thr) || ok(f.cpWiFi, thr) || f.duty < 0.9 || f.durS < 1e-3 {
		return Label{}
	}
	if !ok(f.envCV, 0) || f.envCV > constEnvCV(f)+0.2 || f.flatness > 0.7 {
		return Label{}
	}
	return Label{Class: ClassAnalogFPV, Band: b.Name, Confidence: 0.6,
		Text: "analog FPV drone video, FM (" + b.Name + ")"}
}
