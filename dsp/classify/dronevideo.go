package classify

import (
	"github.com/rfwarden/rfwarden/dsp/bandplan"
)

// classifyDroneVideo recognises an OcuSync/Lightbridge-like drone video or
// control downlink.
//
// Emitter: DJI OcuSync and similar digital drone links: LTE-like OFDM of
// 10, 20 or 40 MHz in the 2.4/5.8 GHz bands, sent as bursts that hop across
// the band. Features: a drone band, occupied width ≥ 9 MHz, CP correlation
// at the LTE-like 66.67 µs symbol (not Wi-Fi's 3.2 µs, which is the usual
// wideband OFDM in these bands), bursty (duty < 0.9), and not a single
// DroneID-length burst (that classifier scores higher there).
func classifyDroneVideo(f *features, p *bandplan.Plan) Label {
	b, inBand := bandFor(p, f, "drone")
	if !inBand || f.occBWHz < 9e6 || f.occBWHz > 45e6 {
		return Label{}
	}
	thr := cpThreshold(f.nEff)
	if !ok(f.cp15, 2*thr) || ok(f.cpWiFi, thr) || ok(f.stf, 0.1) || f.duty >= 0.9 {
		return Label{}
	}
	conf := 0.5 + 0.2*ramp(f.cp15, 2*thr, 4*thr)
	return Label{Class: ClassDroneVideo, Band: b.Name, Confidence: clamp01(conf),
		Text: "drone video/control link, OcuSync-like OFDM (" + b.Name + ")"}
}
