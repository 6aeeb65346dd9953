package pipeline

import (
	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/dsp/bandplan"
)

// DefaultUplinkFloorCapDB is Config.UplinkFloorCapDB's default: a phone's
// LTE or NR uplink sending without gaps, on from a tuning's first sample,
// is found from about 6 dB in its bandwidth (at the detector's FloorCapDB
// of 10, from 15 dB; docs/detection.md, "Long calls").
const DefaultUplinkFloorCapDB = 4

// uplinkFloorCaps returns the per-bin floor caps (dsp.Detector's
// SetFloorCapDB) of an nfft-bin detector tuned to centerHz at rateHz:
// upDB in each bin whose centre lies in a band of plan (a band plan's
// bands) and only in FDD
// uplink bands, otherDB elsewhere; nil when no bin is such. An FDD uplink
// band holds no base station: nothing in it sends without a stop but a
// handset on a call (or a hotspot), which a floor that learns continuous
// carriers up to 10 dB over the band's noise hides. The downlink bands
// keep the detector's cap: their learnt carriers leave a GSM downlink's
// traffic slots standing over them, the structure that names them (a cap
// of 6 there cost lte-fdd-gsm1800-1852M-hackrf 40 of its 76 labels).
func uplinkFloorCaps(plan []bandplan.Band, centerHz, rateHz float64, nfft int, upDB, otherDB float64) []float64 {
	lo, hi := centerHz-rateHz/2, centerHz+rateHz/2
	var bands []bandplan.Band
	anyUp := false
	for _, b := range plan {
		if b.HighHz < lo || b.LowHz > hi {
			continue
		}
		bands = append(bands, b)
		anyUp = anyUp || b.Link == bandplan.LinkUplink
	}
	if !anyUp {
		return nil
	}
	caps := make([]float64, nfft)
	found := false
	df := rateHz / float64(nfft)
	for i := range caps {
		f := centerHz + float64(i-nfft/2)*df
		in, up := false, true
		for _, b := range bands {
			if f >= b.LowHz && f <= b.HighHz {
				in = true
				up = up && b.Link == bandplan.LinkUplink
			}
		}
		caps[i] = otherDB
		if in && up {
			caps[i] = upDB
			found = true
		}
	}
	if !found {
		return nil
	}
	return caps
}

// setUplinkFloorCaps gives det, new for the tuning centerHz at rateHz, the
// per-bin caps of uplinkFloorCaps over the embedded band plan (the one
// DefaultClassifier names bands from), unless Config.UplinkFloorCapDB is
// negative.
func (p *Pipeline) setUplinkFloorCaps(det *dsp.Detector, centerHz, rateHz float64) {
	up := p.cfg.UplinkFloorCapDB
	if up < 0 {
		return
	}
	if up == 0 {
		up = DefaultUplinkFloorCapDB
	}
	if p.bands == nil {
		p.bands = bandplan.Default().Bands()
	}
	cfg := det.Config()
	if caps := uplinkFloorCaps(p.bands, centerHz, rateHz, cfg.NFFT, up, cfg.FloorCapDB); caps != nil {
		_ = det.SetFloorCapDB(caps) // NFFT values, none NaN
	}
}
