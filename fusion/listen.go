package fusion

import (
	"math"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/locate"
	"github.com/rfwarden/rfwarden/fusion/site"
)

// listening remembers, per sensor, what it last showed it was listening
// to and when: a detection (its band label, and its frequency ± half of
// Config.ListenSpanHz), or a health report listing a scan band's noise
// floor or revisit time (the band name, and its frequency range from the
// report's scan_bands_hz or Config.ScanBandsHz). A sensor that was listening around an
// emission's time and frequency and did not report it is negative
// information for the locator; a sensor not known to be listening (tuned
// elsewhere, another scan plan, offline) says nothing. Not safe for
// concurrent use (the engine serialises).
//
// Detections' keys are their measured centres, which almost never repeat:
// a key older than twice the listen window (it can no longer show a
// sensor listening) and carrying no revisit time is dropped, once a
// sensor's keys have doubled since the last pruning, so what is kept is
// bounded by the detections within the window (a soak without it kept
// 216,012 keys after 54,000 groups, each query scanning them all).
type listening struct {
	last map[string]map[listenKey]listenState // sensor → what → when
	// newest is the latest time each sensor showed it listened, and
	// pruneAt the number of its keys that starts the next pruning.
	newest  map[string]time.Time
	pruneAt map[string]int
}

// minPruneKeys is the fewest keys per sensor worth pruning: the band
// names and scan ranges of its health reports stay below it.
const minPruneKeys = 64

// listenKey is a band name (lo = hi = 0) or a frequency range.
type listenKey struct {
	name   string
	lo, hi float64
}

// covers reports whether k is the band named band or a range holding
// centerHz.
func (k listenKey) covers(band string, centerHz float64) bool {
	return band != "" && k.name == band || k.name == "" && centerHz >= k.lo && centerHz <= k.hi
}

// listenState is when a sensor last showed it listened to a key, and the
// revisit time its last health report gave that scan band (-1: none).
type listenState struct {
	at       time.Time
	revisitS float64
}

// saw records that sensor listened to k at at; revisitS ≥ 0 is the scan
// band's revisit time from a health report, -1 none.
func (l *listening) saw(sensor string, k listenKey, at time.Time, revisitS float64) {
	if k.name == "" && !(k.hi > k.lo) {
		return
	}
	if l.last == nil {
		l.last = map[string]map[listenKey]listenState{}
	}
	m := l.last[sensor]
	if m == nil {
		m = map[listenKey]listenState{}
		l.last[sensor] = m
	}
	st, ok := m[k]
	if !ok {
		st.revisitS = -1
	}
	if at.After(st.at) {
		st.at = at
	}
	if revisitS >= 0 {
		st.revisitS = revisitS
	}
	m[k] = st
}

// prune drops sensor's keys older than keep before the newest time it
// showed listening, except those with a revisit time (revisitAt reads
// them; they are a sensor's scan bands, few), once its keys have doubled
// since the last pruning (amortised O(1) per key).
func (l *listening) prune(sensor string, keep time.Duration) {
	m := l.last[sensor]
	if len(m) <= max(l.pruneAt[sensor], minPruneKeys) {
		return
	}
	before := l.newest[sensor].Add(-keep)
	for k, st := range m {
		if st.revisitS < 0 && st.at.Before(before) {
			delete(m, k)
		}
	}
	if l.pruneAt == nil {
		l.pruneAt = map[string]int{}
	}
	l.pruneAt[sensor] = 2 * len(m)
}

// detection records that d's sensor was tuned to d's frequency, and
// drops its keys older than twice window (negative window: negative
// information is off, nothing is kept).
func (l *listening) detection(d event.Detection, spanHz float64, window time.Duration) {
	if window < 0 {
		return
	}
	at := d.Time()
	l.saw(d.Sensor, listenKey{name: d.Band}, at, -1)
	l.saw(d.Sensor, listenKey{lo: d.CenterHz - spanHz/2, hi: d.CenterHz + spanHz/2}, at, -1)
	if l.newest == nil {
		l.newest = map[string]time.Time{}
	}
	if at.After(l.newest[d.Sensor]) {
		l.newest[d.Sensor] = at
	}
	l.prune(d.Sensor, 2*window)
}

// health records the scan bands a health report lists, with their revisit
// times. Their frequency ranges come from the report's own scan plan
// (scan_bands_hz), else from bandsHz (Config.ScanBandsHz, for sensors that
// do not send one).
func (l *listening) health(h event.Health, bandsHz map[string][2]float64) {
	at := time.Unix(0, h.TimeNS)
	add := func(b string) {
		rv, ok := h.RevisitS[b]
		if !ok {
			rv = -1
		}
		l.saw(h.Sensor, listenKey{name: b}, at, rv)
		r, ok := h.ScanBandsHz[b]
		if !ok {
			r, ok = bandsHz[b]
		}
		if ok {
			l.saw(h.Sensor, listenKey{lo: r[0], hi: r[1]}, at, rv)
		}
	}
	for b := range h.NoiseFloorDBm {
		add(b)
	}
	for b := range h.RevisitS {
		add(b)
	}
}

// forget drops a sensor's record (it went offline).
func (l *listening) forget(sensor string) {
	delete(l.last, sensor)
	delete(l.newest, sensor)
	delete(l.pruneAt, sensor)
}

// revisitAt returns the shortest revisit time sensor last reported for a
// scan band named band or holding centerHz; false when it reported none.
func (l *listening) revisitAt(sensor, band string, centerHz float64) (float64, bool) {
	best, found := 0.0, false
	for k, st := range l.last[sensor] {
		if st.revisitS >= 0 && k.covers(band, centerHz) && (!found || st.revisitS < best) {
			best, found = st.revisitS, true
		}
	}
	return best, found
}

// listened reports whether sensor showed, within window of at, the band
// name or a range holding centerHz.
func (l *listening) listened(sensor, band string, centerHz float64, at time.Time, window time.Duration) bool {
	for k, st := range l.last[sensor] {
		if d := at.Sub(st.at); d > window || d < -window {
			continue
		}
		if k.covers(band, centerHz) {
			return true
		}
	}
	return false
}

// defaultMaxTxDBm is the highest EIRP of a handset by class: power class 3
// for UMTS (24 dBm, TS 25.101 §6.2.1), LTE (23 dBm, TS 36.101 §6.2.2) and
// NR FR1 (26 dBm, the power class 2 "HPUE" of n77/n78, TS 38.101-1 §6.2.1);
// GSM-900 class 4, 33 dBm (TS 45.005 §4.1.1). Other classes (drones,
// Wi-Fi, unknown) take the model's MaxTxDBm.
var defaultMaxTxDBm = map[string]float64{
	event.ClassGSM:  33,
	event.ClassUMTS: 24,
	event.ClassLTE:  23,
	event.ClassNR:   26,
}

// defaultIndoorPrior is the prior weight of indoor rooms (cells, landings,
// offices) for drone classes: a drone's DroneID and video come from the
// aircraft, which flies outdoors; 0.05 leaves room for one over a roof
// or a misclassification. A controller (rc_fhss) can be anywhere.
var defaultIndoorPrior = map[string]float64{
	event.ClassDroneID:    0.05,
	event.ClassDroneVideo: 0.05,
	event.ClassFPVAnalog:  0.05,
}

// heardPause is how long a track may go unheard and still be heard
// since it was first (track.heard): every sensor that counts as silent
// comes back to the band within SilentMaxRevisit, so a handset unheard
// for longer (and a group's span) was off, or heard by none of them.
// Without the revisit check (SilentMaxRevisit negative) nothing uses it.
func (e *Engine) heardPause() time.Duration {
	return max(e.cfg.SilentMaxRevisit, 0) + e.cfg.AssocWindow
}

// query builds the locator's query for g: the heard powers with the
// group's centre frequency, the class's EIRP bounds and room prior, and the sensors that
// were listening in the group's band and did not hear it, each with the
// weakest power it would have reported in the group's bandwidth.
func (e *Engine) query(g *group) locate.Query {
	q := locate.Query{MinSensors: e.cfg.LocateMinSensors, MissProb: e.cfg.MissProb}
	band := ""
	heard := map[string]bool{}
	for _, d := range g.dets {
		q.Heard = append(q.Heard, locate.Measurement{Sensor: d.Sensor, PowerDBm: d.PowerDBm, CenterHz: g.centerHz})
		heard[d.Sensor] = true
		if band == "" {
			band = d.Band
		}
	}
	if w, ok := e.cfg.IndoorPriorByClass[g.class]; ok {
		q.RoomPrior = map[string]float64{}
		for _, r := range e.deps.Site.Rooms {
			if r.Kind == site.KindCell || r.Kind == site.KindLanding || r.Kind == site.KindOffice {
				q.RoomPrior[r.ID] = w
			}
		}
	}
	if maxTx, ok := e.cfg.MaxTxDBmByClass[g.class]; ok {
		q.TxBounds, q.MinTxDBm, q.MaxTxDBm = true, e.locator.Model().MinTxDBm, maxTx
	}
	if e.cfg.ListenWindow < 0 {
		return q
	}
	// How long the sensors have had to hear the emission: since it was
	// first heard (or heard again after a pause), to the end of this
	// group's span.
	heardFor := g.start.Sub(e.tracker.heardSince(g, e.heardPause())) + e.cfg.AssocWindow
	for _, sn := range e.deps.Site.Sensors {
		if heard[sn.ID] || !e.listen.listened(sn.ID, band, g.centerHz, g.start, e.cfg.ListenWindow) {
			continue
		}
		if r, ok := e.listen.revisitAt(sn.ID, band, g.centerHz); ok && e.cfg.SilentMaxRevisit > 0 {
			if r > e.cfg.SilentMaxRevisit.Seconds() {
				// It scans the band too seldom to have been tuned there while
				// the group's detections could join it: its silence says
				// little (a 2 s revisit against a 500 ms window is there one
				// time in four).
				continue
			}
			if r > heardFor.Seconds() {
				// It may not have come back to the band since the
				// emission was first heard: in the first group of a
				// handset just come on, a sensor revisiting every 0.9 s
				// was elsewhere one time in two, wherever the handset
				// is. Counted, it pushed the first fix away from itself
				// (scenario new-track-scanning-sensor: B2-01 at 78% for
				// a handset in B2-10 across the landing from the silent
				// sensor), and the alert was announced there first. Once
				// the handset has been heard that long, a sensor that
				// hears it has reported it, and its power is borrowed
				// (borrow.go).
				continue
			}
		}
		q.Silent = append(q.Silent, locate.Silence{Sensor: sn.ID, ThresholdDBm: e.cfg.hearThresholdDBm(sn.ID, g.bwHz)})
	}
	return q
}

// hearThresholdDBm is the weakest power of an emission of bwHz that
// sensor reports: its noise over the bandwidth (at least 1 kHz) plus
// DetectSNRDB. A listening sensor that did not report an emission says it
// arrived weaker than that (locate.Silence), and CoverageNotes takes a
// sensor to hear a room when a phone there would reach it.
func (c Config) hearThresholdDBm(sensor string, bwHz float64) float64 {
	noise := c.NoiseDBmPerMHz
	if v, ok := c.SensorNoiseDBmPerMHz[sensor]; ok {
		noise = v
	}
	return noise + 10*math.Log10(max(bwHz, 1e3)/1e6) + c.DetectSNRDB
}
