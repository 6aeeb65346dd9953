package classify

import (
	"github.com/rfwarden/rfwarden/dsp/bandplan"
)

// classifyRC recognises a frequency-hopping RC control link.
//
// Emitter: drone/RC-model control radios (ExpressLRS, FrSky ACCESS/ACCST,
// TBS Crossfire) in the 433, 868, 915 MHz SRD/ISM and 2.4 GHz bands: LoRa
// chirps of 500 kHz (ELRS 868/915) or 812.5 kHz (ELRS 2.4 GHz) or narrow
// FSK, one packet of about 0.5–5 ms per hop. Features: an RC band,
// occupied width 25 kHz–1 MHz, constant envelope (FSK and LoRa chirps both
// are) and no 15 kHz CP (a piece of an OFDM drone burst), packets of
// 0.1–20 ms, 2 dB over the noise. Where the band plan also has GSM (the
// 915 MHz ISM band overlaps E-GSM-900 uplink) the hop must be wider than a
// GSM carrier, as LoRa RC links (500 kHz) are: an occupied band ≥ 350 kHz
// (GMSK's 99% width is about 250 kHz), or, where a weak hop's occupied
// band has shrunk to its strongest bins, a 90%-power width ≥ 250 kHz
// (GMSK holds 90% of its power in ~160 kHz: 148–176 kHz measured from
// 6 to 35 dB; a 500 kHz chirp at 6 dB reads 270–450 kHz), and its bursts
// must not repeat at the GSM TDMA frame (an overdriven handset's spread
// carrier is as wide as a LoRa hop). At 2.4 GHz a Bluetooth
// single-slot packet has the same width and envelope; packets over
// 0.45 ms score 0.7 (above Bluetooth's 0.55 for long packets, and above
// its 0.65 for the short pieces a chirp's sweep leaves when Classify
// measures the detector's bursts alone), shorter ones 0.5 (below its 0.65
// for one slot). Where Bluetooth is deployed, an emission that is one
// packet of at most a slot (≤ 0.45 ms) is not an RC hop at all: RC
// packets are longer, and a weak Bluetooth packet (about 3 dB in its
// 1 MHz) shows only its strongest 150–300 kHz, under Bluetooth's 0.3 MHz
// floor, so it looked like a narrow RC hop; only pieces of a longer
// packet, in the burst vote, may score 0.5.
func classifyRC(f *features, p *bandplan.Plan) Label {
	b, inBand := bandFor(p, f, "rc")
	if !inBand || f.occBWHz < 25e3 || f.occBWHz > 1e6 || !strongEnough(f) {
		return Label{}
	}
	if _, gsm := bandFor(p, f, "gsm"); gsm && (f.tdmaFramed() || f.occBWHz < 350e3 && !ok(f.excessBWHz, 250e3)) {
		return Label{}
	}
	if f.excessBWHz > 1e6 {
		return Label{} // power spread wider than any RC hop (the strongest bins of a wider emission)
	}
	if _, bt := bandFor(p, f, "bluetooth"); bt && f.emPacketS <= btSlotPacketS {
		return Label{} // one short packet: a weak Bluetooth packet, not an RC hop
	}
	pkt := f.pktS
	// Cheapest first: the envelope and the CP test are measured when read.
	if pkt < 0.1e-3 || pkt > 20e-3 || !ok(f.envCV(), 0) || f.envCV() > constEnvCV(f)+0.2 || ok(f.cp15(), cpThreshold(f.nEff)) {
		return Label{}
	}
	conf := 0.7
	if pkt <= btSlotPacketS {
		conf = 0.5
	}
	return Label{Class: ClassRCFHSS, Band: b.Name, Confidence: conf,
		Text: "RC control link, FHSS hop (" + b.Name + ")"}
}
