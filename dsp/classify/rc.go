package classify

import (
	"github.com/rfwarden/rfwarden/dsp/bandplan"
)

// classifyRC recognises a frequency-hopping RC control link.
//
// Emitter: drone/RC-model control radios (ExpressLRS, FrSky ACCESS/ACCST,
// Crossfire) in the 433, 868, 915 MHz SRD/ISM and 2.4 GHz bands: narrow
// FSK/LoRa hops of 25–800 kHz and a few ms each. Features: an RC band,
// occupied width 25–800 kHz, constant envelope (FSK and LoRa chirps both are),
// bursts 0.1–20 ms, ≥ 6 dB over the noise.
func classifyRC(f *features, p *bandplan.Plan) Label {
	b, inBand := bandFor(p, f, "rc")
	if !inBand || f.occBWHz < 25e3 || f.occBWHz > 800e3 || !strongEnough(f) {
		return Label{}
	}
	if !ok(f.envCV, 0) || f.envCV > constEnvCV(f)+0.2 || f.durS < 0.1e-3 || f.durS > 20e-3 {
		return Label{}
	}
	return Label{Class: ClassRCFHSS, Band: b.Name, Confidence: 0.55,
		Text: "RC control link, narrow FHSS hop (" + b.Name + ")"}
}
