package classify

import (
	"fmt"

	"github.com/rfwarden/rfwarden/dsp/bandplan"
)

// classifyUMTS recognises a UMTS (W-CDMA) carrier.
//
// Emitter: NodeB downlink or handset uplink, 3.84 Mcps spread with a
// root-raised-cosine filter of roll-off 0.22 (TS 25.104 §6.8.1), so ~4.7 MHz
// occupied in a 5 MHz channel. Features: occupied width 3.8–5.0 MHz, no OFDM
// cyclic prefix (that is LTE), a Gaussian-like envelope (CV ≥ 0.6), and the
// chip-rate line: the power of an RRC-shaped linear modulation is
// cyclostationary at the chip rate, so |cyclic autocorrelation at 3.84 MHz|
// stands above the 6/√n of noise. Link from the band plan.
func classifyUMTS(f *features, p *bandplan.Plan) Label {
	b, inBand := bandFor(p, f, "umts")
	if !inBand || f.occBWHz < 3.8e6 || f.occBWHz > 5e6 || !strongEnough(f) {
		return Label{}
	}
	thr := cpThreshold(f.nEff)
	if ok(f.cp15, thr) || ok(f.cp30, thr) || !ok(f.envCV, 0.6) || !ok(f.chip, thr) {
		return Label{}
	}
	conf := 0.55 + 0.35*ramp(f.chip, thr, 3*thr)
	return Label{Class: ClassUMTS, Link: b.Link, Band: b.Name, Confidence: clamp01(conf),
		Text: fmt.Sprintf("UMTS %s (%s)", b.Link, b.Name)}
}
