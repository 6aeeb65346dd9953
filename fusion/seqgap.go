package fusion

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// LossGrace is how long a detection may be missing from a sensor boot's
// SEQs, after a later one arrived, before fusion counts it as lost. A
// sensor sends its outbox in order, up to mqtt.max_inflight (16)
// awaiting their PUBACK at once, and sends one whose PUBACK did not come
// within mqtt.ack_timeout (10 s by default) again: so a detection can
// arrive after later ones, seconds late, or a minute when the broker is
// slow. Two minutes is twelve default ack timeouts. One that arrives after
// it was counted is counted as late (rfw_fusion_detections_late_total),
// and the lost count stays (a counter only grows).
const LossGrace = 2 * time.Minute

// LossRecent is how long after it counted a loss fusion's /healthz stays
// degraded (Engine.DetectionsLost): long enough for a probe that polls
// every minute or few to see it, not so long that one loss hides later
// trouble behind a state already degraded.
const LossRecent = 10 * time.Minute

// LossLogEvery is how often at most a sensor's losses are logged: each
// line says how many were counted since the last, and their SEQs.
const LossLogEvery = time.Minute

// lossSeedWindow is how far back, by capture time, Engine.Run reads the
// store at its start for each sensor boot's highest SEQ; lossSeedTop is
// the span below a boot's newest stored detection whose SEQs missing
// from the store are taken as missing (a kill -9 of fusion: acknowledged,
// not yet stored).
const (
	lossSeedWindow = 10 * time.Minute
	lossSeedTop    = 10 * time.Second
	lossSeedLimit  = 100000
)

// Bounds of a boot's state: a boot with more gaps open than maxSeqGaps
// counts its oldest as lost at once; the ranges already counted are kept
// (to tell a late arrival) up to maxLostRanges, the oldest forgotten. A
// sensor's state holds bootsPerSensor boots: after a sensor restart its
// outbox sends the old boot's detections, then the new one's.
const (
	maxSeqGaps     = 1024
	maxLostRanges  = 256
	bootsPerSensor = 2
)

// seqRange is the SEQs lo..hi of one boot, both included; since is when
// fusion first missed them (Unix ns by its clock).
type seqRange struct {
	lo, hi  int64
	sinceNS int64
}

func (r seqRange) n() int64 { return r.hi - r.lo + 1 }

// bootSeqs is what fusion knows of one sensor boot's SEQs: the highest
// received, and the ranges below it not received yet (missing, ascending,
// disjoint; oldest first by since too, as each was opened when high
// advanced past it) or counted lost already (lost, ascending).
type bootSeqs struct {
	boot    uint64
	used    bool
	high    int64
	heardNS int64 // last arrival, by fusion's clock: the older of a sensor's boots makes room
	missing []seqRange
	lost    []seqRange
}

// sensorSeqs is one sensor's boots and its losses.
type sensorSeqs struct {
	boots [bootsPerSensor]bootSeqs
	// lost and late count since fusion started; lastLossNS is when a loss
	// was last counted
	lost, late int64
	lastLossNS int64
	// unlogged: losses counted since the last log line, with their SEQs
	// (of boot unloggedBoot; lo..hi spans them); loggedNS: that line's time
	unlogged               int64
	unloggedBoot           uint64
	unloggedLo, unloggedHi int64
	loggedNS               int64
}

// lossTracker notices detections fusion never received: gaps in the SEQ
// of each sensor boot's detection IDs (event.DetectionSeq). Its memory is
// bounded by the site's sensors (fusion handles no other sensor's
// detections), bootsPerSensor, maxSeqGaps and maxLostRanges. Not safe for
// concurrent use: the engine holds its mu.
type lossTracker struct {
	sensors map[string]*sensorSeqs
}

// lossCount is what a call counted for one sensor boot.
type lossCount struct {
	sensor string
	boot   uint64
	n      int64
	lo, hi int64
}

// arrive records SEQ seq of boot of sensor, received at nowNS. It reports
// whether the detection had been counted lost already (late); a SEQ
// received before, or below what fusion has tracked of the boot, is
// nothing. lost is what it counted at once: a boot's oldest gap when its
// gaps overflow, and the gaps of a boot its sensor's state had no more
// room for.
func (t *lossTracker) arrive(sensor string, boot uint64, seq, nowNS int64) (late bool, lost []lossCount) {
	if t.sensors == nil {
		t.sensors = map[string]*sensorSeqs{}
	}
	s := t.sensors[sensor]
	if s == nil {
		s = &sensorSeqs{}
		t.sensors[sensor] = s
	}
	b := s.boot(boot)
	if b == nil { // a boot not heard: it starts at its first SEQ arriving (its head and the old boot's tail are not known)
		b = &s.boots[0]
		for i := range s.boots {
			if !s.boots[i].used {
				b = &s.boots[i]
				break
			}
			if s.boots[i].heardNS < b.heardNS {
				b = &s.boots[i]
			}
		}
		if b.used {
			for _, r := range b.missing {
				lost = append(lost, s.count(sensor, b.boot, r, nowNS))
			}
		}
		*b = bootSeqs{boot: boot, used: true, high: seq, heardNS: nowNS, missing: b.missing[:0], lost: b.lost[:0]}
		return false, lost
	}
	b.heardNS = max(b.heardNS, nowNS)
	switch {
	case seq > b.high:
		if seq > b.high+1 {
			if len(b.missing) == maxSeqGaps {
				lost = append(lost, s.count(sensor, boot, b.missing[0], nowNS))
				b.missing = append(b.missing[:0], b.missing[1:]...)
			}
			b.missing = append(b.missing, seqRange{b.high + 1, seq - 1, nowNS})
		}
		b.high = seq
	case seq < b.high:
		if i, ok := find(b.missing, seq); ok {
			b.missing = cut(b.missing, i, seq)
		} else if i, ok := find(b.lost, seq); ok {
			b.lost = cut(b.lost, i, seq)
			s.late++
			late = true
		}
	}
	return late, lost
}

// boot returns the sensor's state of boot, nil when it holds none.
func (s *sensorSeqs) boot(boot uint64) *bootSeqs {
	for i := range s.boots {
		if s.boots[i].used && s.boots[i].boot == boot {
			return &s.boots[i]
		}
	}
	return nil
}

// count counts r of boot lost at nowNS, for the metric and the next log
// line, and keeps it to tell a late arrival.
func (s *sensorSeqs) count(sensor string, boot uint64, r seqRange, nowNS int64) lossCount {
	n := r.n()
	s.lost += n
	s.lastLossNS = nowNS
	if s.unlogged == 0 || s.unloggedBoot != boot {
		s.unloggedBoot, s.unloggedLo, s.unloggedHi = boot, r.lo, r.hi
	}
	s.unlogged += n
	s.unloggedLo, s.unloggedHi = min(s.unloggedLo, r.lo), max(s.unloggedHi, r.hi)
	if b := s.boot(boot); b != nil {
		if len(b.lost) == maxLostRanges {
			b.lost = append(b.lost[:0], b.lost[1:]...)
		}
		i, _ := slices.BinarySearchFunc(b.lost, r.lo, func(x seqRange, lo int64) int { return cmp.Compare(x.lo, lo) })
		b.lost = slices.Insert(b.lost, i, r)
	}
	return lossCount{sensor: sensor, boot: boot, n: n, lo: r.lo, hi: r.hi}
}

// settle counts every range missing since LossGrace before nowNS as lost.
func (t *lossTracker) settle(nowNS int64) []lossCount {
	var out []lossCount
	for sensor, s := range t.sensors {
		for i := range s.boots {
			b := &s.boots[i]
			k := 0
			for k < len(b.missing) && nowNS-b.missing[k].sinceNS >= int64(LossGrace) {
				out = append(out, s.count(sensor, b.boot, b.missing[k], nowNS))
				k++
			}
			b.missing = append(b.missing[:0], b.missing[k:]...)
		}
	}
	return out
}

// find returns the index of the range of rs holding seq.
func find(rs []seqRange, seq int64) (int, bool) {
	i, _ := slices.BinarySearchFunc(rs, seq, func(r seqRange, seq int64) int {
		switch {
		case r.hi < seq:
			return -1
		case r.lo > seq:
			return 1
		}
		return 0
	})
	return i, i < len(rs) && rs[i].lo <= seq && seq <= rs[i].hi
}

// cut takes seq out of rs[i], which holds it.
func cut(rs []seqRange, i int, seq int64) []seqRange {
	r := rs[i]
	switch {
	case r.lo == r.hi:
		return slices.Delete(rs, i, i+1)
	case seq == r.lo:
		rs[i].lo++
	case seq == r.hi:
		rs[i].hi--
	default:
		rs[i].hi = seq - 1
		rs = slices.Insert(rs, i+1, seqRange{seq + 1, r.hi, r.sinceNS})
	}
	return rs
}

// SensorLoss is one sensor's detections fusion never received, for its
// /healthz (Engine.DetectionsLost).
type SensorLoss struct {
	Sensor string `json:"sensor"`
	// Lost counts the detections of its boots missing for LossGrace since
	// fusion started; Late those of them that arrived after all.
	Lost int64 `json:"lost"`
	Late int64 `json:"late,omitempty"`
	// LastAt is when fusion last counted one lost (RFC 3339, UTC).
	LastAt string `json:"last_at"`
	// Recent: within LossRecent of now (degraded).
	Recent bool `json:"recent"`
}

// report returns every sensor that lost detections since fusion
// started, by ID.
func (t *lossTracker) report(nowNS int64) []SensorLoss {
	var out []SensorLoss
	for sensor, s := range t.sensors {
		if s.lost == 0 {
			continue
		}
		out = append(out, SensorLoss{Sensor: sensor, Lost: s.lost, Late: s.late,
			LastAt: time.Unix(0, s.lastLossNS).UTC().Format(time.RFC3339), Recent: nowNS-s.lastLossNS < int64(LossRecent)})
	}
	slices.SortFunc(out, func(a, b SensorLoss) int { return cmp.Compare(a.Sensor, b.Sensor) })
	return out
}

// lossLine is one log line of a sensor's losses.
type lossLine struct {
	sensor   string
	boot     string
	n, total int64
	lo, hi   int64
}

// due returns the log lines due at nowNS: a sensor's losses counted since
// its last line, at most one line per LossLogEvery.
func (t *lossTracker) due(nowNS int64) []lossLine {
	var out []lossLine
	for sensor, s := range t.sensors {
		if s.unlogged == 0 || s.loggedNS != 0 && nowNS-s.loggedNS < int64(LossLogEvery) {
			continue
		}
		out = append(out, lossLine{sensor: sensor, boot: fmt.Sprintf("%012x", s.unloggedBoot), n: s.unlogged, total: s.lost, lo: s.unloggedLo, hi: s.unloggedHi})
		s.unlogged, s.loggedNS = 0, nowNS
	}
	slices.SortFunc(out, func(a, b lossLine) int { return cmp.Compare(a.sensor, b.sensor) })
	return out
}

// detectionReader is the part of a store.TimeSeries seedLosses reads.
type detectionReader interface {
	Detections(ctx context.Context, site string, from, to time.Time, limit int) ([]store.DetectionRecord, error)
}

var _ detectionReader = store.TimeSeries(nil)

// spooler is a time series that keeps writes in a spool until its
// database takes them (store.Influx): Pending is how many batches wait.
type spooler interface {
	Pending() int64
}

// seedLosses takes, for each sensor's latest boots, the highest SEQ the
// store holds of the detections captured in the last lossSeedWindow, and
// the SEQs missing from it within lossSeedTop of the boot's newest stored
// one, as a restarted fusion's start: a gap between that and what arrives
// next is counted as lost once LossGrace has passed. So are lost
// detections the broker had accepted for fusion's session while it was
// stopped and then lost with its state, and detections fusion
// acknowledged and had not stored when it was killed (kill -9, power cut:
// they are in memory until written, docs/events.md). A boot the store
// holds nothing of starts afresh at its first SEQ arriving. A store that
// does not answer (InfluxDB away) seeds nothing, which is logged: then
// losses across this restart are not counted.
func (e *Engine) seedLosses(ctx context.Context) {
	ts := beneath(e.deps.TimeSeries)
	dr, ok := ts.(detectionReader)
	if !ok {
		return
	}
	if sp, ok := ts.(spooler); ok && sp.Pending() > 0 {
		// detections still in the spool are not in InfluxDB: read from it,
		// they would be taken for lost (a stop while InfluxDB was away)
		e.log.Warn("detections lost: InfluxDB has not been sent all the detections of the last run yet (its spool); detections lost across this restart are not counted",
			"spooled_batches", sp.Pending())
		return
	}
	now := e.deps.Clock()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	recs, err := dr.Detections(ctx, e.deps.Site.ID, now.Add(-lossSeedWindow), now.Add(max(e.cfg.MaxAhead, MinMaxAhead)), lossSeedLimit)
	if err != nil {
		e.log.Warn("detections lost: the store did not say which detections it holds; detections lost across this restart are not counted", "err", err)
		return
	}
	type key struct {
		sensor string
		boot   uint64
	}
	type seqAt struct{ seq, timeNS int64 }
	boots := map[key][]seqAt{}
	newest := map[key]int64{}
	for _, r := range recs {
		boot, seq, ok := event.DetectionSeq(r.Sensor, r.ID)
		if !ok {
			continue
		}
		k := key{r.Sensor, boot}
		boots[k] = append(boots[k], seqAt{seq, r.TimeNS})
		newest[k] = max(newest[k], r.TimeNS)
	}
	// each sensor's latest boots, oldest first
	keys := slices.Collect(maps.Keys(boots))
	slices.SortFunc(keys, func(a, b key) int { return cmp.Or(cmp.Compare(a.sensor, b.sensor), cmp.Compare(newest[b], newest[a])) })
	e.mu.Lock()
	defer e.mu.Unlock()
	seeded := 0
	for i, k := range keys {
		if i >= bootsPerSensor && keys[i-bootsPerSensor].sensor == k.sensor {
			continue
		}
		seqs := boots[k]
		slices.SortFunc(seqs, func(a, b seqAt) int { return cmp.Compare(a.seq, b.seq) })
		// the SEQs near the top, in order: the first sets where the boot
		// starts here, the others open the gaps between them
		for _, s := range seqs {
			if s.timeNS >= newest[k]-int64(lossSeedTop) || s.seq == seqs[len(seqs)-1].seq {
				e.losses.arrive(k.sensor, k.boot, s.seq, now.UnixNano())
			}
		}
		if b := e.losses.sensors[k.sensor].boot(k.boot); b != nil {
			b.heardNS = newest[k] // the older boot makes room first
		}
		seeded++
	}
	e.log.Info("detections lost: counted from the store's latest detections", "boots", seeded, "detections_read", len(recs))
}
