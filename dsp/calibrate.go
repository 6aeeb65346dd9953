package dsp

import (
	"errors"
	"fmt"
	"math"
)

// GainPoint is one calibration measurement: at receive frequency FreqHz
// and total receive gain setting GainDB, a signal of P dBm reads
// P + GainDB - OffsetDB dBFS; equivalently dBm = dBFS - GainDB + OffsetDB.
// OffsetDB absorbs the front end's frequency response and the ADC's full
// scale in dBm (for a HackRF One around -10 dBm at 0 dB gain).
type GainPoint struct {
	FreqHz   float64
	GainDB   float64
	OffsetDB float64
}

// GainTable converts dBFS readings of one device to dBm. Points are sorted
// by GainDB, then FreqHz. Most tables have a single GainDB (the offset
// then depends on frequency only); tables measured at several gain
// settings also capture gain-stage non-linearity.
type GainTable struct {
	Device string
	Points []GainPoint
}

// Validate reports whether the table is usable: at least one point, finite
// values, sorted by GainDB then strictly increasing FreqHz within a gain.
func (t GainTable) Validate() error {
	if len(t.Points) == 0 {
		return fmt.Errorf("gain table %q: no points", t.Device)
	}
	for i, p := range t.Points {
		if math.IsNaN(p.FreqHz+p.GainDB+p.OffsetDB) || math.IsInf(p.FreqHz+p.GainDB+p.OffsetDB, 0) {
			return fmt.Errorf("gain table %q: point %d: %w", t.Device, i, errNotFinite)
		}
		if i == 0 {
			continue
		}
		q := t.Points[i-1]
		if p.GainDB < q.GainDB || (p.GainDB == q.GainDB && p.FreqHz <= q.FreqHz) {
			return fmt.Errorf("gain table %q: point %d (%.0f Hz, %.1f dB) out of order", t.Device, i, p.FreqHz, p.GainDB)
		}
	}
	return nil
}

var errNotFinite = errors.New("value not finite")

// DBm converts a reading of dbfs at receive frequency freqHz and receive
// gain gainDB to dBm: dBm = dBFS - gainDB + offset(freqHz, gainDB), where
// offset is interpolated linearly in frequency between the points of a
// gain setting and then linearly in gain between the two settings that
// bracket gainDB; beyond the table's ends the nearest value is held
// (no extrapolation). With no points the offset is 0. The table is assumed
// valid (see Validate).
func (t GainTable) DBm(dbfs, freqHz, gainDB float64) float64 {
	return dbfs - gainDB + t.OffsetDB(freqHz, gainDB)
}

// OffsetDB returns the interpolated offset used by DBm.
func (t GainTable) OffsetDB(freqHz, gainDB float64) float64 {
	pts := t.Points
	if len(pts) == 0 {
		return 0
	}
	// Find the gain groups bracketing gainDB: [lo0,lo1) and [hi0,hi1).
	lo0, lo1, hi0, hi1 := -1, -1, -1, -1
	for i := 0; i < len(pts); {
		j := i + 1
		for j < len(pts) && pts[j].GainDB == pts[i].GainDB {
			j++
		}
		g := pts[i].GainDB
		if g <= gainDB {
			lo0, lo1 = i, j
		}
		if g >= gainDB && hi0 < 0 {
			hi0, hi1 = i, j
		}
		i = j
	}
	switch {
	case lo0 < 0:
		return interpFreq(pts[hi0:hi1], freqHz)
	case hi0 < 0 || hi0 == lo0:
		return interpFreq(pts[lo0:lo1], freqHz)
	}
	a := interpFreq(pts[lo0:lo1], freqHz)
	b := interpFreq(pts[hi0:hi1], freqHz)
	ga, gb := pts[lo0].GainDB, pts[hi0].GainDB
	return a + (b-a)*(gainDB-ga)/(gb-ga)
}

// interpFreq interpolates OffsetDB over points of one gain, sorted by
// frequency, holding the end values outside.
func interpFreq(pts []GainPoint, f float64) float64 {
	if f <= pts[0].FreqHz {
		return pts[0].OffsetDB
	}
	last := pts[len(pts)-1]
	if f >= last.FreqHz {
		return last.OffsetDB
	}
	for i := 1; i < len(pts); i++ {
		if f <= pts[i].FreqHz {
			a, b := pts[i-1], pts[i]
			return a.OffsetDB + (b.OffsetDB-a.OffsetDB)*(f-a.FreqHz)/(b.FreqHz-a.FreqHz)
		}
	}
	return last.OffsetDB
}
