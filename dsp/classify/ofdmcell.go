package classify

import (
	"fmt"
	"math"

	"github.com/rfwarden/rfwarden/dsp/bandplan"
)

// carrierConfig is one standard channel: its occupied transmission bandwidth
// N_RB × 12 × SCS (TS 36.101 Table 5.6-1, TS 38.101-1 Table 5.3.2-1).
type carrierConfig struct {
	tech       string
	scsHz      float64
	channelHz  float64
	occupiedHz float64
}

var carrierConfigs = func() []carrierConfig {
	var out []carrierConfig
	lte := map[float64]int{1.4e6: 6, 3e6: 15, 5e6: 25, 10e6: 50, 15e6: 75, 20e6: 100}
	for ch, n := range lte {
		out = append(out, carrierConfig{"lte", 15e3, ch, float64(n)*180e3 + 15e3})
	}
	nr15 := map[float64]int{5e6: 25, 10e6: 52, 15e6: 79, 20e6: 106, 25e6: 133, 30e6: 160, 40e6: 216, 50e6: 270}
	for ch, n := range nr15 {
		out = append(out, carrierConfig{"nr", 15e3, ch, float64(n) * 180e3})
	}
	nr30 := map[float64]int{5e6: 11, 10e6: 24, 15e6: 38, 20e6: 51, 25e6: 65, 30e6: 78, 40e6: 106, 50e6: 133,
		60e6: 162, 70e6: 189, 80e6: 217, 90e6: 245, 100e6: 273}
	for ch, n := range nr30 {
		out = append(out, carrierConfig{"nr", 30e3, ch, float64(n) * 360e3})
	}
	// NR SS/PBCH block: 240 subcarriers for 4 symbols (TS 38.211 §7.4.3).
	out = append(out, carrierConfig{"nr-ssb", 15e3, 0, 240 * 15e3}, carrierConfig{"nr-ssb", 30e3, 0, 240 * 30e3})
	return out
}()

// nearestCarrier returns the standard channel of subcarrier spacing scsHz
// whose occupied bandwidth is nearest occHz, and the relative error.
func nearestCarrier(occHz, scsHz float64) (carrierConfig, float64) {
	best, bestErr := carrierConfig{}, math.Inf(1)
	for _, c := range carrierConfigs {
		if c.scsHz != scsHz {
			continue
		}
		if e := math.Abs(occHz-c.occupiedHz) / c.occupiedHz; e < bestErr ||
			(e == bestErr && c.tech == "lte") {
			best, bestErr = c, e
		}
	}
	return best, bestErr
}

// cellLink is the link of a cellular emission in band b: the band plan for
// FDD; for TDD bands the burst behaviour: a carrier on for ≥ 1 ms at a time
// (a downlink subframe run, SSB/CRS-bearing) is downlink, shorter bursts
// (uplink slots, 0.5 ms at 30 kHz SCS) are uplink. The on-time is
// packetS: the median run of the detector's bursts (those under 0.25 ms
// apart joined: a weak TD-LTE downlink reads as 0.12 ms pieces), not the
// emission's span: the detector bridges a handset's slots (one in five,
// DDDSU) into one emission as long as its dwell, which read as downlink
// (eval: 92% of NR uplinks). It is the whole emission's (emPacketS) also
// when one of its bursts is measured on its own (the burst vote): a
// burst's own length is a piece of a run, and a TD-LTE downlink 2–5 dB
// over its floor, whose bursts out-voted the whole, read as an uplink.
//
// The detector's on-time is that of any energy in the emission's band: a
// continuous line inside it (a spur, a tone, a staff radio) keeps a
// handset's 0.5 ms slot "on" from the line's start and read as downlink
// (nr-n78-ul-strong with a CW tone added in its band: the slot, 55 dB
// over the floor, whose skirts fill the band, merged with the tone into
// one 1 ms emission). An emission the detector saw as one run, ≥ 1 MHz
// wide (where the envelope is measured with spectral lines cut), whose
// own envelope first turns on more than lateOnS after the run's start,
// is on from there: its on-time is the rest of the run.
func cellLink(b bandplan.Band, f *features) string {
	if b.Link != bandplan.LinkTDD {
		return b.Link
	}
	pkt := f.emPacketS
	if pkt >= 1e-3 && len(f.em.Bursts) < 2 && pkt == f.durS && f.occBWHz >= 1e6 {
		if on := f.firstOnS(); on > lateOnS {
			pkt = f.durS - on
		}
	}
	if pkt >= 1e-3 {
		return bandplan.LinkDownlink
	}
	return bandplan.LinkUplink
}

// lateOnS is how much later than the detector's run a carrier's own
// envelope may turn on and still be the run's start: a tenth of the 1 ms a
// downlink is on for, over ten detector frames at 20 Msps.
const lateOnS = 0.1e-3

// classifyOFDMCell recognises an LTE or NR carrier.
//
// Emitter: eNodeB/gNodeB downlink, or a handset's PUSCH, in a cellular band.
// Features: cyclic-prefix correlation contrast at Tu = 66.67 µs (15 kHz SCS:
// LTE, NR) or 33.33 µs (30 kHz SCS: NR only) above six noise standard
// deviations; for downlink, the occupied bandwidth against the standard
// channel table picks LTE (N_RB·180 kHz, 90% of the channel) or NR (up to
// 95%); uplink allocations are partial, so there the tech comes from SCS and
// the band (NR-only bands say NR). Link from cellLink.
func classifyOFDMCell(f *features, p *bandplan.Plan) Label {
	b, inBand := bandFor(p, f, "lte", "nr")
	if !inBand || f.occBWHz < 170e3 {
		return Label{}
	}
	thr := cpThreshold(f.nEff)
	c15, c30 := ok(f.cp15(), thr), ok(f.cp30(), thr)
	if !c15 && !c30 {
		return Label{}
	}
	scs := 15e3
	ev := f.cp15()
	if c30 && (!c15 || f.cp30() > f.cp15()) {
		scs, ev = 30e3, f.cp30()
	}
	link := cellLink(b, f)
	_, hasLTE := bandFor(p, f, "lte")
	_, hasNR := bandFor(p, f, "nr")
	tech := ""
	switch {
	case scs == 30e3 || !hasLTE:
		tech = ClassNR // only NR has 30 kHz SCS
	case !hasNR:
		tech = ClassLTE
	case b.Link == bandplan.LinkTDD:
		tech = ClassLTE // NR in the TDD bands uses 30 kHz SCS in practice
	case link == bandplan.LinkDownlink && f.occBWHz < 0.9*f.fs:
		// The occupied width tells LTE (N_RB·180 kHz, 90% of the channel)
		// from NR (up to 95%) and from an NR SSB (240 subcarriers: 3.6 MHz,
		// a width no LTE channel has).
		cfg, rel := nearestCarrier(f.occBWHz, 15e3)
		switch {
		case rel < 0.1 && (cfg.tech == "nr" || cfg.tech == "nr-ssb"):
			tech = ClassNR
		default:
			tech = ClassLTE
		}
	case link == bandplan.LinkDownlink:
		tech = ClassLTE // width not measurable inside the capture: the common case
	default:
		tech = ClassCellular
	}
	if tech == ClassNR {
		if nb, ok := bandFor(p, f, "nr"); ok {
			b = nb
		}
	}
	conf := 0.6 + 0.4*ramp(ev, thr, 3*thr)
	name := map[string]string{ClassLTE: "LTE", ClassNR: "NR", ClassCellular: "LTE/NR"}[tech]
	if b.Link == bandplan.LinkTDD && tech == ClassLTE {
		name = "LTE TDD"
	}
	return Label{Class: tech, Link: link, Band: b.Name, Confidence: clamp01(conf),
		Text: fmt.Sprintf("%s %s (%s, %.0f kHz SCS)", name, link, b.Name, scs/1e3)}
}

// classifyCellShort recognises an LTE/NR burst too short for the CP test.
//
// Emitter: a handset's PUSCH/SRS/PUCCH seen for less than about one OFDM
// symbol (a capture edge or a short SRS). Features: too short for the
// 66.67 µs CP test, occupied width at least one resource block (180 kHz)
// and at most 100 MHz, as the classifier measures it and as the detector
// saw it (its span at least 3/4 of a resource block: a segment this short
// has FFT bins of 100 kHz and more, so the classifier's own width of a
// one-frame blip in one detector bin says nothing),
// filled (≥ half its bins above threshold: no line),
// a noise-like envelope (CV ≥ 0.3), ≥ 6 dB over the noise outside it, in a cellular
// band on its uplink side (a downlink is continuous, never that short).
// Confidence is the bare minimum: it is band-plan evidence only.
func classifyCellShort(f *features, p *bandplan.Plan) Label {
	if float64(f.n)/f.fs >= 2*tuLTE15S {
		return Label{}
	}
	b, inBand := bandFor(p, f, "lte", "nr")
	if !inBand || f.occBWHz < 180e3 || f.occBWHz > 100e6 || math.IsNaN(f.contrastDB) || f.contrastDB < 6 {
		return Label{}
	}
	span := f.em.FreqHighHz - f.em.FreqLowHz
	if !(span > 0) {
		span = f.em.BandwidthHz // no detector edges: its bandwidth
	}
	if !(span >= 0.75*180e3) {
		return Label{} // the detector saw less than a resource block
	}
	if !ok(f.envCV(), 0.3) || !ok(f.fill, 0.5) { // a tone, DC or FM, not OFDM/SC-FDMA
		return Label{}
	}
	link := cellLink(b, f)
	if link != bandplan.LinkUplink { // downlinks are continuous, never sub-symbol bursts
		return Label{}
	}
	return Label{Class: ClassCellular, Link: link, Band: b.Name, Confidence: MinConfidence,
		Text: fmt.Sprintf("LTE/NR %s (%s, unconfirmed: too short)", link, b.Name)}
}
