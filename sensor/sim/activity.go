package sim

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/rfwarden/rfwarden/event"
)

// Activity is one emitter on at a given time (ground truth).
type Activity struct {
	EmitterID   string
	Kind        string
	Class       string
	Room        string // room containing Pos at that time
	Floor       string
	Pos         Point
	CenterHz    float64
	BandwidthHz float64
	TxPowerDBm  float64
	Authorised  bool
	Session     Session
	// BurstLenS and BurstPeriodS are the burst timing within the session
	// (0 = the class's default in dsp/synth).
	BurstLenS, BurstPeriodS float64
}

// TruthEvent is one session of one emitter: who transmitted, where and when.
// A moving drone's Pos and Room are those at the end of the session's
// approach (its hover point).
type TruthEvent struct {
	EmitterID   string
	Kind        string
	Class       string
	Band        string
	Room        string
	Floor       string
	Pos         Point
	CenterHz    float64
	BandwidthHz float64
	Authorised  bool
	Start, End  time.Time
}

// Active returns the emitters on at t, in emitter order.
func (w *Wing) Active(t time.Time) []Activity {
	var out []Activity
	for i, e := range w.emit {
		for _, ss := range w.sessions(i, t, t.Add(1)) {
			if t.Before(ss.Start) || !t.Before(ss.End) {
				continue
			}
			p := posAt(e, ss, t)
			out = append(out, Activity{EmitterID: e.ID, Kind: e.Kind, Class: e.Class, Room: w.RoomAt(e.Floor, p),
				Floor: e.Floor, Pos: p, CenterHz: e.CenterHz, BandwidthHz: e.BandwidthHz, TxPowerDBm: e.TxPowerDBm,
				Authorised: e.Authorised, Session: ss, BurstLenS: e.BurstLenS, BurstPeriodS: e.BurstPeriodS})
		}
	}
	return out
}

// FirstSession returns the first session of emitter emitterID lasting more
// than minDur that starts within horizon of the wing's start; false if none.
func (w *Wing) FirstSession(emitterID string, minDur, horizon time.Duration) (TruthEvent, bool) {
	for _, ev := range w.GroundTruth(w.Start, w.Start.Add(horizon)) {
		if ev.EmitterID == emitterID && ev.End.Sub(ev.Start) > minDur {
			return ev, true
		}
	}
	return TruthEvent{}, false
}

// GroundTruth returns every session overlapping [from, to), clipped to it,
// ordered by start time then emitter ID.
func (w *Wing) GroundTruth(from, to time.Time) []TruthEvent {
	var out []TruthEvent
	for i, e := range w.emit {
		for _, ss := range w.sessions(i, from, to) {
			st, en := ss.Start, ss.End
			if st.Before(from) {
				st = from
			}
			if en.After(to) {
				en = to
			}
			out = append(out, TruthEvent{EmitterID: e.ID, Kind: e.Kind, Class: e.Class, Band: e.Band,
				Room: e.Room, Floor: e.Floor, Pos: e.Pos, CenterHz: e.CenterHz, BandwidthHz: e.BandwidthHz,
				Authorised: e.Authorised, Start: st, End: en})
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		if !out[a].Start.Equal(out[b].Start) {
			return out[a].Start.Before(out[b].Start)
		}
		return out[a].EmitterID < out[b].EmitterID
	})
	return out
}

// Detection model constants.
const (
	// DetectionInterval is how often Detections reports an ongoing emission.
	DetectionInterval = time.Second
	// DetectionMinSNRDB is the SNR below which a sensor reports nothing.
	DetectionMinSNRDB = 6.0
	// MeasurementSigmaDB is the spread of reported power about the true level.
	MeasurementSigmaDB = 1.0
)

// NoiseFloorDBm is the receiver noise in bandwidthHz.
func NoiseFloorDBm(bandwidthHz float64) float64 {
	return NoiseDBmPerMHz + 10*math.Log10(math.Max(bandwidthHz, 1e3)/1e6)
}

// Detections returns what each sensor would report for [from, to): one
// detection per emitter, sensor and DetectionInterval tick while the emitter
// is on and its SNR at the sensor reaches DetectionMinSNRDB. Power is tx
// power - path loss + shadowing + Gaussian measurement noise (seeded per
// tick). Ordered by time, then sensor, then emitter. Classes and links are
// the true ones, with confidence 0.9.
func (w *Wing) Detections(from, to time.Time) []event.Detection {
	var out []event.Detection
	for i, e := range w.emit {
		for _, ss := range w.sessions(i, from, to) {
			st := ss.Start
			if st.Before(from) {
				st = from
			}
			en := ss.End
			if en.After(to) {
				en = to
			}
			// Ticks aligned to whole intervals since the epoch.
			t := st.Truncate(DetectionInterval)
			if t.Before(st) {
				t = t.Add(DetectionInterval)
			}
			for ; t.Before(en); t = t.Add(DetectionInterval) {
				p := posAt(e, ss, t)
				dur := min(DetectionInterval, ss.End.Sub(t))
				for _, s := range w.sensors {
					rx := w.rxDBm(e, p, s)
					snr := rx - NoiseFloorDBm(e.BandwidthHz)
					if snr < DetectionMinSNRDB {
						continue
					}
					meas := MeasurementSigmaDB * gauss(mix64(w.Seed, "meas", e.ID, s.ID, fmt.Sprint(t.UnixNano())))
					out = append(out, event.Detection{
						Schema: event.SchemaVersion, ID: fmt.Sprintf("sim-%s-%s-%d", s.ID, e.ID, t.UnixNano()),
						Site: w.SiteID, Sensor: s.ID, TimeNS: t.UnixNano(), DurationNS: int64(dur),
						CenterHz: e.CenterHz, BandwidthHz: e.BandwidthHz, PowerDBm: rx + meas, SNRDB: snr + meas,
						DutyCycle: dutyCycle(e), Band: e.Band, Link: e.Link, Class: e.Class, Confidence: 0.9,
					})
				}
			}
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].TimeNS != out[b].TimeNS {
			return out[a].TimeNS < out[b].TimeNS
		}
		if out[a].Sensor != out[b].Sensor {
			return out[a].Sensor < out[b].Sensor
		}
		return out[a].ID < out[b].ID
	})
	return out
}

// dutyCycle is the fraction of time e's bursts are on, from its burst timing
// or its class's default.
func dutyCycle(e Emitter) float64 {
	if e.BurstLenS > 0 && e.BurstPeriodS > 0 {
		return math.Min(1, e.BurstLenS/e.BurstPeriodS)
	}
	switch e.Class {
	case event.ClassGSM:
		return 0.118
	case event.ClassNR:
		return 0.2
	case event.ClassWiFi:
		return 0.002
	case event.ClassDroneID:
		return 0.001
	case event.ClassDroneVideo:
		return 0.5
	case event.ClassRCFHSS:
		return 0.25
	}
	return 1
}
