package fusion

import (
	"math"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/locate"
)

// listening remembers, per sensor and band name, when the sensor last showed
// it was listening in that band: a detection in the band, or a health report
// listing the band's noise floor or revisit time. A sensor that was
// listening around an emission's time and did not report it is negative
// information for the locator; a sensor not known to be listening (tuned
// elsewhere, another scan plan, offline) says nothing. Not safe for
// concurrent use (the engine serialises).
type listening struct {
	last map[string]map[string]time.Time // sensor → band → time
}

func (l *listening) saw(sensor, band string, at time.Time) {
	if band == "" {
		return
	}
	if l.last == nil {
		l.last = map[string]map[string]time.Time{}
	}
	m := l.last[sensor]
	if m == nil {
		m = map[string]time.Time{}
		l.last[sensor] = m
	}
	if at.After(m[band]) {
		m[band] = at
	}
}

// health records the bands a health report shows the sensor scanning.
func (l *listening) health(h event.Health) {
	at := time.Unix(0, h.TimeNS)
	for b := range h.NoiseFloorDBm {
		l.saw(h.Sensor, b, at)
	}
	for b := range h.RevisitS {
		l.saw(h.Sensor, b, at)
	}
}

// forget drops a sensor's record (it went offline).
func (l *listening) forget(sensor string) { delete(l.last, sensor) }

// listened reports whether sensor showed band within window of at.
func (l *listening) listened(sensor, band string, at time.Time, window time.Duration) bool {
	t, ok := l.last[sensor][band]
	if !ok {
		return false
	}
	d := at.Sub(t)
	return d <= window && d >= -window
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

// query builds the locator's query for g: the heard powers with the
// group's centre frequency, the class's EIRP bounds, and the sensors that
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
	if maxTx, ok := e.cfg.MaxTxDBmByClass[g.class]; ok {
		q.TxBounds, q.MinTxDBm, q.MaxTxDBm = true, e.locator.Model().MinTxDBm, maxTx
	}
	if e.cfg.ListenWindow < 0 || band == "" {
		return q
	}
	for _, sn := range e.deps.Site.Sensors {
		if heard[sn.ID] || !e.listen.listened(sn.ID, band, g.start, e.cfg.ListenWindow) {
			continue
		}
		noise := e.cfg.NoiseDBmPerMHz
		if v, ok := e.cfg.SensorNoiseDBmPerMHz[sn.ID]; ok {
			noise = v
		}
		thr := noise + 10*math.Log10(max(g.bwHz, 1e3)/1e6) + e.cfg.DetectSNRDB
		q.Silent = append(q.Silent, locate.Silence{Sensor: sn.ID, ThresholdDBm: thr})
	}
	return q
}
