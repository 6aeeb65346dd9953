package sim

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Schedule says when an emitter transmits. Exactly one form applies:
//   - Always: on from the scenario start, for ever;
//   - DailyOnH/DailyOffH: on every day between these UTC hours;
//   - Cycle: the scenario is cut into cycles of this length from its start,
//     and in each cycle a seeded number of sessions (NightCount at night
//     20:00-07:00 UTC, DayCount otherwise: [min, max]) of a seeded length
//     in [MinDur, MaxDur] start at seeded times.
type Schedule struct {
	Always              bool
	DailyOnH, DailyOffH int
	Cycle               time.Duration
	NightCount          [2]int
	DayCount            [2]int
	MinDur, MaxDur      time.Duration
}

// Session is one continuous period an emitter is on. Index numbers the
// emitter's sessions (it seeds the waveform).
type Session struct {
	Start, End time.Time
	Index      int64
}

// forever bounds the sessions of an always-on emitter.
const forever = 50 * 365 * 24 * time.Hour

// maxCycleSpan is how far after the wing's start the cycles of a Cycle
// schedule are counted: they are counted in time.Duration, which holds
// about 292 years, so a time beyond saturated and sessions walked the
// cycles from there to it, one at a time (sim --start 9999-12-31 spun for
// hours). Later times have no cycle sessions.
const maxCycleSpan = 250 * 365 * 24 * time.Hour

// MinTime and MaxTime bound the simulated clock: a Source starts within
// [MinTime, MaxTime), and a command taking a simulated time refuses one
// outside (CheckTime). The standard wing starts in 2026; its schedules
// reach maxCycleSpan beyond its start, and the stores hold times as int64
// nanoseconds (up to 2262).
func MinTime() time.Time { return time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC) }

// MaxTime is the end of the simulated clock (see MinTime), exclusive.
func MaxTime() time.Time { return time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC) }

// CheckTime reports a t outside [MinTime, MaxTime): "9999-12-31T23:59:59Z
// is outside the simulated clock, 1970-01-01T00:00:00Z up to
// 2200-01-01T00:00:00Z".
func CheckTime(t time.Time) error {
	if t.Before(MinTime()) || !t.Before(MaxTime()) {
		return fmt.Errorf("%s is outside the simulated clock, %s up to %s",
			t.UTC().Format(time.RFC3339Nano), MinTime().Format(time.RFC3339), MaxTime().Format(time.RFC3339))
	}
	return nil
}

// sessions returns the sessions of emitter i overlapping [from, to), in order.
func (w *Wing) sessions(i int, from, to time.Time) []Session {
	e := w.emit[i]
	s := e.Schedule
	var out []Session
	switch {
	case s.Always:
		if w.Start.Before(to) {
			out = append(out, Session{Start: w.Start, End: w.Start.Add(forever)})
		}
	case s.DailyOffH > s.DailyOnH:
		day0 := from.UTC().Truncate(24 * time.Hour).Add(-24 * time.Hour)
		for d := day0; d.Before(to); d = d.Add(24 * time.Hour) {
			st := d.Add(time.Duration(s.DailyOnH) * time.Hour)
			en := d.Add(time.Duration(s.DailyOffH) * time.Hour)
			if st.Before(w.Start) {
				st = w.Start
			}
			if en.After(from) && st.Before(to) && st.Before(en) {
				out = append(out, Session{Start: st, End: en, Index: d.Unix() / 86400})
			}
		}
	case s.Cycle > 0:
		// cycles k0..kEnd: from the one before from's (its sessions may
		// reach into [from, to)) to the last starting before to, counted
		// no further than maxCycleSpan, so k*Cycle cannot overflow and the
		// loop runs over the window's cycles only
		toOff := min(to.Sub(w.Start), maxCycleSpan)
		if toOff <= 0 {
			break
		}
		k0 := max(int64(from.Sub(w.Start)/s.Cycle)-1, 0)
		kEnd := int64((toOff - 1) / s.Cycle)
		for k := k0; k <= kEnd; k++ {
			cs := w.Start.Add(time.Duration(k) * s.Cycle)
			for _, ss := range w.cycleSessions(i, k, cs) {
				if ss.End.After(from) && ss.Start.Before(to) {
					out = append(out, ss)
				}
			}
		}
	}
	return out
}

// cycleSessions draws the sessions of cycle k starting at cs; sessions do
// not overlap and end within the cycle.
func (w *Wing) cycleSessions(i int, k int64, cs time.Time) []Session {
	s := w.emit[i].Schedule
	key := w.emit[i].Group
	if key == "" {
		key = w.emit[i].ID
	}
	rng := rand.New(rand.NewPCG(mix64(w.Seed, "cycle", key), uint64(k)))
	count := s.DayCount
	if h := cs.UTC().Hour(); h >= 20 || h < 7 {
		count = s.NightCount
	}
	n := count[0]
	if count[1] > count[0] {
		n += rng.IntN(count[1] - count[0] + 1)
	}
	if n == 0 {
		return nil
	}
	// Split the cycle into n equal slots and put one session in each.
	slot := s.Cycle / time.Duration(n)
	var out []Session
	for j := range n {
		d := s.MinDur
		if s.MaxDur > s.MinDur {
			d += time.Duration(rng.Int64N(int64(s.MaxDur - s.MinDur)))
		}
		if d > slot {
			d = slot
		}
		off := time.Duration(0)
		if slot > d {
			off = time.Duration(rng.Int64N(int64(slot - d)))
		}
		st := cs.Add(time.Duration(j)*slot + off).Truncate(time.Millisecond)
		out = append(out, Session{Start: st, End: st.Add(d), Index: k*16 + int64(j)})
	}
	return out
}

// posAt returns emitter e's position at t within session ss: a drone flies
// in from ApproachFrom over ApproachDur, hovers at Pos, and flies back out
// over the last ApproachDur.
func posAt(e Emitter, ss Session, t time.Time) Point {
	if e.ApproachFrom == nil || e.ApproachDur <= 0 {
		return e.Pos
	}
	frac := 1.0
	if in := t.Sub(ss.Start); in < e.ApproachDur {
		frac = float64(in) / float64(e.ApproachDur)
	}
	if left := ss.End.Sub(t); left < e.ApproachDur {
		frac = min(frac, float64(left)/float64(e.ApproachDur))
	}
	frac = max(0, min(1, frac))
	a := *e.ApproachFrom
	return Point{X: a.X + frac*(e.Pos.X-a.X), Y: a.Y + frac*(e.Pos.Y-a.Y)}
}
