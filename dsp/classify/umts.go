package classify

import (
	"fmt"
	"math"

	"github.com/rfwarden/rfwarden/dsp/bandplan"
)

// classifyUMTS recognises a UMTS (W-CDMA) carrier.
//
// Emitter: NodeB downlink or handset uplink, 3.84 Mcps spread with a
// root-raised-cosine filter of roll-off 0.22 (TS 25.104 §6.8.1), so ~4.7 MHz
// occupied in a 5 MHz channel. Features: occupied width 3.8–5.0 MHz, no OFDM
// cyclic prefix (that is LTE or NR), and the chip-rate line: the power of an
// RRC-shaped linear modulation is cyclostationary at the chip rate, so
// |cyclic autocorrelation of |y|² at 3.84 MHz| stands above noise. For a
// Gaussian (chip-less) emitter of nEff independent samples it is Rayleigh
// with E|z|² = 2/nEff, so P(|z| > 3/√nEff) = e^(−4.5) ≈ 1%; the test asks
// that much, and at least 0.02. A roll-off of 0.22 gives about 0.065 at
// high SNR and 0.04 at 6 dB, against 3/√nEff = 0.032 for the 32768
// samples measured of a 4.2 MHz carrier at 15.36 Msps. The envelope is not tested: an uplink (HPSK,
// one or two codes) is far from Gaussian, a loaded downlink close to it,
// and a constant-envelope emitter has no chip line at all. Link from the
// band plan.
func classifyUMTS(f *features, p *bandplan.Plan) Label {
	b, inBand := bandFor(p, f, "umts")
	if !inBand || f.occBWHz < 3.8e6 || f.occBWHz > 5e6 || !strongEnough(f) {
		return Label{}
	}
	thr := cpThreshold(f.nEff)
	if ok(f.cp15(), thr) || ok(f.cp30(), thr) || !ok(f.envCV(), 0) {
		return Label{}
	}
	chipThr := math.Max(0.02, 3/math.Sqrt(float64(max(f.nEff, 1))))
	if !ok(f.chip(), chipThr) {
		return Label{}
	}
	conf := 0.55 + 0.35*ramp(f.chip(), chipThr, 2*chipThr)
	return Label{Class: ClassUMTS, Link: b.Link, Band: b.Name, Confidence: clamp01(conf),
		Text: fmt.Sprintf("UMTS %s (%s)", b.Link, b.Name)}
}
