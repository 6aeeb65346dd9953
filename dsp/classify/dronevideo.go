package classify

import (
	"github.com/rfwarden/rfwarden/dsp/bandplan"
)

// classifyDroneVideo recognises an OcuSync/Lightbridge-like drone video or
// control downlink.
//
// Emitter: DJI OcuSync and similar digital drone links: LTE-like OFDM
// (15 kHz SCS) of 10, 20 or 40 MHz (≈ 9, 18 or 36 MHz occupied) in the
// 2.4/5.8 GHz bands, sent as a stream of bursts of a millisecond or more
// that may hop across the band. Features: a drone band, occupied width
// 7.5–45 MHz, CP correlation at the LTE-like 66.67 µs symbol (not Wi-Fi's
// 3.2 µs, which is the usual wideband OFDM in these bands, and no 802.11
// STF), and bursts (the median of the detector's bursts, or the emission
// when it is one) of 0.85–20 ms: longer than a DroneID burst, which has
// the same width and numerology at 10 MHz (classifyDroneID), and not
// continuous. Several bursts must leave gaps (duty < 0.9).
func classifyDroneVideo(f *features, p *bandplan.Plan) Label {
	b, inBand := bandFor(p, f, "drone")
	if !inBand || f.occBWHz < 7.5e6 || f.occBWHz > 45e6 {
		return Label{}
	}
	pkt := f.pktS
	if pkt <= droneIDMaxS || pkt > 20e-3 || (len(f.em.Bursts) > 1 && f.duty() >= 0.9) {
		return Label{}
	}
	thr := cpThreshold(f.nEff)
	if !ok(f.cp15(), 2*thr) || ok(f.cpWiFi(), thr) || ok(f.stf(), 0.1) {
		return Label{}
	}
	conf := 0.55 + 0.3*ramp(f.cp15(), 2*thr, 4*thr)
	return Label{Class: ClassDroneVideo, Band: b.Name, Confidence: clamp01(conf),
		Text: "drone video/control link, OcuSync-like OFDM (" + b.Name + ")"}
}
