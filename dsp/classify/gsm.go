package classify

import (
	"fmt"
	"math"

	"github.com/rfwarden/rfwarden/dsp/bandplan"
)

// classifyGSM recognises a GSM carrier (BTS downlink or handset uplink).
//
// Emitter: GSM 900/1800, 270.833 kbit/s GMSK in a 200 kHz channel, TDMA with
// 577 µs timeslots and 4.615 ms frames (3GPP TS 45.002, 45.004).
// Features: occupied width 40–400 kHz (GMSK is ~250 kHz wide at -10 dB
// and ~350 kHz 6 dB over the noise at high SNR; a weak burst or a capture
// edge shrinks it, to ≥ 25 kHz within 100 kHz of the capture edge; the
// 20 kHz HackRF comb spurs stay below 40 kHz), constant envelope (power CV, over at least a
// 200 kHz channel, within 0.3 of what a constant envelope plus the
// measured noise gives, never Gaussian-like), on for at least one
// timeslot, a band where GSM is deployed, 2 dB over the noise (a
// frame-periodic carrier: while on; see gsmPresent), and TDMA-like
// timing: continuous, frame-periodic, or a median burst of at least
// minGSMBurstS (not a constant-envelope hop the gate cuts into pieces).
//
// Weak carriers (under 6 dB over the noise, averaged over the emission):
// the envelope cannot confirm GMSK, so only a
// spiky envelope is rejected; such carriers must show TDMA timing instead
// (timeslot-long bursts, the 4.615 ms frame period in the power of the
// analysed segment or, where that alone decides, of up to 4 frames of the
// emission decimated to ~400 ksps (frame_span_corr), or a
// continuous carrier) and a detector span of at least 100 kHz (with frame
// periodicity, the excess bandwidth stands for a width and span the noise
// shrank: see below); they get
// the minimum confidence and say so in the text. Carriers cut by the
// capture edge lose their constant envelope (half a GMSK spectrum is not
// constant-envelope): they need timing evidence or 2 frames on air, and
// are also named at the minimum confidence. Bursts of a whole number of
// timeslots, or a continuous BCCH, raise the confidence. Link from the
// band plan.
func classifyGSM(f *features, p *bandplan.Plan) Label {
	b, inBand := bandFor(p, f, "gsm")
	if !inBand {
		return Label{} // before the envelope is measured (frame_corr)
	}
	// Active timeslots repeat every TDMA frame, in the power (frame_corr) or
	// in the detector's bursts.
	framed := f.tdmaFramed() || ok(f.frame(), minFrameCorr)
	l := gsmLabel(f, b, framed)
	// The analysed segment holds under 1.5 frames at high rates (1.6 ms
	// at 20 Msps), and a weak carrier's envelope is split there: where the
	// frame periodicity alone decides, it is measured over a longer,
	// decimated span of the emission (frame_span_corr). Only for a weak
	// emission (under 6 dB over the noise, where the envelope cannot
	// confirm GMSK): a stronger one must show its timing in the analysed
	// segment, as before (a LoRa hopper sending a packet every 4.615 ms
	// at 8 dB, cut by the gate into 60 µs pieces, read frame_span_corr
	// 1.08 and was named GSM; TestGSMNoFalseLabelLongSpan). And only
	// where the power over the noise spreads like GMSK's (excess_bw_hz
	// 100–400 kHz, GMSK ~160 kHz, when known): the line at 936.0 MHz in
	// gsm900-band-937M (24–35 kHz) is no carrier to time.
	weak := !math.IsNaN(f.contrastDB) && f.contrastDB < 6
	gmskWide := f.excessBWHz == 0 || (f.excessBWHz >= 100e3 && f.excessBWHz <= 400e3)
	if l.Class == "" && !framed && weak && gmskWide {
		// the verdict with timing first: the long span is measured only
		// when timing would decide
		if lt := gsmLabel(f, b, true); lt.Class != "" && ok(f.frameSpan(), minFrameSpanCorr) {
			l = lt
		}
	}
	return l
}

// minFrameCorr is the smallest frame periodicity of the analysed segment
// (frame_corr) taken as TDMA timing.
const minFrameCorr = 0.5

// minFrameSpanCorr is the same for the long span (frame_span_corr, see
// frameCorrSpan), chosen from synthetic cases (4 and 20 Msps, 20 ms, 30
// seeds each): GSM at 3 dB in 250 kHz reads 0.80–1.07 with one slot in
// eight on (a handset) and 1.28–1.47 with three; noise, narrowband FSK,
// UMTS, LTE 5 MHz at 3 dB and a continuous GSM carrier −0.27 to 0.30, an
// ELRS-like hopper (1 ms packets every 4 ms: in theory r(4.615 ms) ≈ 0.18
// and r(2.308 ms) = −1/3) up to 0.47. 0.65 lies about midway between the
// hopper's highest and the handset's lowest.
const minFrameSpanCorr = 0.65

// gsmLabel is classifyGSM's verdict on f in GSM band b, given whether its
// power repeats every TDMA frame.
func gsmLabel(f *features, b bandplan.Band, framed bool) Label {
	w := f.occBWHz
	// A carrier at the capture edge is cut by the anti-alias filter: half
	// a carrier (≥ 25 kHz seen) is all there is to measure.
	edge := math.Max(f.em.FreqHighHz, f.occHiHz) > f.fs/2-100e3 || math.Min(f.em.FreqLowHz, f.occLoHz) < -f.fs/2+100e3
	minW := 40e3
	if edge {
		minW = 25e3
	}
	cut := f.cutByEdge() // part of the carrier is missing
	tdma := f.tdmaFramed()
	weak := !math.IsNaN(f.contrastDB) && f.contrastDB < 6
	// A weak carrier's occupied band (bins 3 dB over the noise) and the
	// detector's span shrink to the strongest bins of GMSK's bell-shaped
	// spectrum; the excess-power bandwidth (the middle 90% of the power
	// over the noise) does not: GMSK with BT 0.3 holds 90% of its power in
	// about 0.6 × 270.833 kHz ≈ 160 kHz (synthetic uplinks at 6 dB read
	// 142–174 kHz where the occupied band read 5–40 kHz). A weak carrier
	// whose power repeats every TDMA frame and whose excess bandwidth is
	// 100–400 kHz has that width. Timeslot-long bursts alone do not do: a
	// weak piece of an NR carrier with a line in it reads 4.7 kHz occupied,
	// 214 kHz excess.
	spanHz := f.em.FreqHighHz - f.em.FreqLowHz
	if weak && framed && !cut && f.excessBWHz >= 100e3 && f.excessBWHz <= 400e3 {
		w, spanHz = math.Max(w, f.excessBWHz), math.Max(spanHz, f.excessBWHz)
	}
	// A handset a few metres from the sensor overdrives its 8-bit ADC, and
	// the clipping spreads the carrier (550 kHz at 3 dB over the floor in
	// the demo, 43 dB SNR); its bursts at the TDMA frame still say GSM.
	// The clipping's spread is weak skirts: 90% of the power stays within
	// GMSK's width (gmskMaxExcessBWHz). A whole 1 ms LoRa packet (an RC
	// link's 500 kHz chirps, 420–440 kHz of 90%-power width) repeating at
	// about the frame is as wide in the middle as at its edges: no clipped
	// GSM carrier (TestGSMClippedAllowanceNotLoRa).
	maxW := 400e3
	if tdma && !(f.excessBWHz > gmskMaxExcessBWHz) {
		maxW = 1e6
	}
	if w < minW || w > maxW || !gsmPresent(f, framed) || math.IsNaN(f.envCV()) {
		return Label{}
	}
	if !cut && f.excessBWHz > 0 && f.excessBWHz < minGSMExcessBWHz {
		// Its power over the noise is far narrower than GMSK's at 270.833
		// kbit/s: a narrowband FSK burst (16 kHz) whose occupied band the
		// smoothing of a short burst's spectrum widened past 40 kHz.
		return Label{}
	}
	cvMax := math.Min(0.85, constEnvCV(f)+0.3)
	if weak || cut {
		// Below 6 dB SNR a constant envelope (CV ≥ 0.75) and Gaussian
		// noise (CV 1) cannot be told apart, and a cut carrier is not
		// constant-envelope: only reject a spiky envelope.
		cvMax = 1.5
	}
	if f.envCV() > cvMax {
		return Label{}
	}
	med := f.medianBurstS()
	continuous := f.duty() >= 0.9 && float64(f.n)/f.fs >= 1e-3
	timed := continuous || framed || med >= 0.45e-3
	if weak && !timed {
		return Label{} // weak and no TDMA timing: nothing confirms GSM
	}
	if weak && !cut && f.shoulderPSD() >= maxGSMShoulder {
		// Weak, and its spectrum as strong 125–225 kHz off its centre as
		// in it: flat, not GMSK's bell (a LoRa chirp, a piece of a wider
		// OFDM carrier), whatever its timing.
		return Label{}
	}
	if weak && !cut && f.excessUHz < minGSMExcessBWHz {
		// Weak, and the whole segment's spectrum (ungated, measured with
		// the shoulder ratio where its core stands out) is narrower than
		// GMSK: the gate of a weak carrier cut into many pieces spreads a
		// narrow one (FSK bursts at 20 Msps read 155–160 kHz gated).
		return Label{}
	}
	if weak && !cut && f.excessBWHz > 400e3 {
		// Weak, and its power over the noise spreads far wider than
		// GMSK's (90% in ~160 kHz): the strongest bins of something wider
		// (a weak LTE uplink in E-GSM-900 read 146–293 kHz occupied, 1.2–1.6
		// MHz excess).
		return Label{}
	}
	if !cut && !continuous && !framed && !(med >= minGSMBurstS) {
		return Label{} // on in pieces shorter than any GSM burst
	}
	if cut && !timed && f.durS < 2*gsmFrameS {
		return Label{} // a cut carrier, too short to be a BTS carrier and no timing
	}
	if weak && !edge && spanHz < 100e3 {
		return Label{} // weak, and the detector saw less than half a carrier
	}
	if f.durS < 0.4e-3 { // shorter than one timeslot
		return Label{}
	}
	conf := 0.55 + 0.25*ramp(cvMax-f.envCV(), 0, 0.3)
	if continuous || framed || (med >= 0.45e-3 && math.Abs(med/577e-6-math.Round(med/577e-6)) < 0.15) {
		conf += 0.2 // bursts a whole number of timeslots, frame-periodic, or a BCCH carrier
	}
	link := b.Link
	text := fmt.Sprintf("GSM %s (%s)", link, b.Name)
	switch {
	case weak:
		conf = MinConfidence
		text = fmt.Sprintf("GSM %s (%s, weak: width, band and timing only)", link, b.Name)
	case cut:
		conf = MinConfidence
		text = fmt.Sprintf("GSM %s (%s, cut by the capture edge: width, band and timing only)", link, b.Name)
	}
	return Label{Class: ClassGSM, Link: link, Band: b.Name, Confidence: clamp01(conf), Text: text}
}

// minGSMExcessBWHz is the narrowest 90%-power width (excess_bw_hz, and
// for a weak carrier excess_bw_ungated_hz) taken for GMSK: half of what
// 270.833 kbit/s GMSK with BT 0.3 holds 90% of its power in (~160 kHz;
// synthetic carriers read 101–356 kHz from 3 dB up, the noise widening
// the weakest, and weak ones 126 kHz or more ungated). A 9.6 kbit/s FSK
// burst (16 kHz) reads 9–35 kHz over a whole emission and 31–66 kHz
// alone, where a short burst's smoothed spectrum widens it.
const minGSMExcessBWHz = 80e3

// maxGSMShoulder is the highest shoulder ratio (see shoulderRatio) a weak
// carrier may read to be taken for GMSK: its shoulders 5 dB under its
// core. GMSK reads ~0.01, weak synthetic GSM carriers at 3–8 dB up to 0.21
// (2, 4 and 20 Msps, 30 seeds, where the core stands out); a spectrum flat
// over the band ~1 (a LoRa hop at 3–5 dB read 0.4–4, pieces of a 5 MHz
// LTE carrier at 3 dB 0.5–0.9).
const maxGSMShoulder = 0.3

// minGSMBurstS is the shortest on-time a GSM carrier that is neither
// continuous nor frame-periodic must show in its median burst: a normal
// burst carries 546 µs of bits, and the gate reads a real DCS-1800 BTS's
// one-slot bursts as 379–440 µs (its ramps stay under the threshold). An
// emission whose power comes in shorter pieces (a LoRa RC hop the gate
// cuts into 50–80 µs at 6 dB) is no GSM burst.
const minGSMBurstS = 0.35e-3

// gsmPresent says a GSM carrier stands out of the noise: strongEnough, or,
// for a carrier whose power repeats every TDMA frame, 2 dB over the noise
// while on (env_snr_db, from the spectrum of its bursts). A handset sends
// one timeslot in eight, so the contrast of the whole emission (its gaps
// included) understates its SNR by up to 10·log10(8) = 9 dB: at 6 dB in
// its bandwidth a 1/8-duty uplink reads a contrast of 1.1–3 dB (15–32% of
// them under strongEnough's 2 dB, then named by the fragments of their
// bursts, often "cellular") but 7.6–9.4 dB while on. The frame
// periodicity, not the gated SNR, is what tells it from noise (noise reads
// frame_corr ≈ 0, and its detections 3.5–6 dB while on); such a carrier
// stays weak (contrast < 6 dB): width, band and timing only, at the
// minimum confidence.
func gsmPresent(f *features, framed bool) bool {
	return strongEnough(f) || (framed && ok(f.envSNRDB, 2))
}

// constEnvCV is the power coefficient of variation a constant-envelope
// signal shows at the emission's SNR s: √(2s+1)/(s+1). s comes from the
// (S+N)/N within the envelope's filter band while the emission is on
// (env_snr_db), else the contrast, else the detector's SNR.
func constEnvCV(f *features) float64 {
	snrDB := f.envSNRDB
	if math.IsNaN(snrDB) {
		snrDB = f.contrastDB
	}
	if math.IsNaN(snrDB) {
		snrDB = f.em.SNRDB
	}
	s := math.Max(0.1, math.Pow(10, snrDB/10)-1)
	return math.Sqrt(2*s+1) / (s + 1)
}
