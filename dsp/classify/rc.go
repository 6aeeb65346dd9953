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
// GSM carrier, as LoRa RC links (500 kHz) are: a 90%-power width ≥ 250 kHz
// (GMSK holds 90% of its power in ~160 kHz at any SNR; a 500 kHz chirp
// reads 270–480 kHz), or, where that is unknown, an occupied band ≥ 350
// kHz (see widerThanGMSK: a strong carrier's occupied band is not its
// width), and its bursts must not repeat at the GSM TDMA frame (an
// overdriven handset's spread carrier is as wide as a LoRa hop). A narrow
// FSK hop (under 250 kHz of 90%-power width) in a GSM band is not told
// from a GMSK burst and is not named RC. At 2.4 GHz a Bluetooth
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
	if _, gsm := bandFor(p, f, "gsm"); gsm && (f.tdmaFramed() || !widerThanGMSK(f)) {
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

// widerThanGMSK reports that an emission is wider than a GSM carrier, as a
// LoRa RC hop (500 kHz) is: its 90%-power width (excess_bw_hz) is at
// least gmskMaxExcessBWHz, or, where that is unknown (no noise reference
// outside the detector's span), its occupied band is at least 350 kHz
// (GMSK's 99% width is about 250 kHz).
//
// The 90%-power width decides whenever it is known: it is the middle 90%
// of the power over the noise, so it follows the shape of the spectrum and
// not its level. GMSK (BT 0.3, 270.833 kbit/s) holds 90% of its power in
// about 160 kHz at any SNR (148–176 kHz measured from 6 to 35 dB, 167–196
// kHz at 45–50 dB), a 500 kHz chirp in 270–450 kHz (6 dB) and 410–480 kHz
// (20–45 dB). The occupied band does not: it is measured 10 dB under the
// 90th percentile of the detector's span, and at 45 dB and more that span
// reaches megahertz (Hann leakage of a strong carrier), its 90th
// percentile falls on GMSK's skirts and the band reads 520–600 kHz, as
// wide as a LoRa hop.
func widerThanGMSK(f *features) bool {
	if f.excessBWHz > 0 {
		return f.excessBWHz >= gmskMaxExcessBWHz
	}
	return f.occBWHz >= 350e3
}

// gmskMaxExcessBWHz is the 90%-power width (excess_bw_hz) over which an
// emission is wider than a GSM carrier: GMSK reads 148–196 kHz, a 500 kHz
// LoRa chirp 270 kHz and more.
const gmskMaxExcessBWHz = 250e3
