package simeval

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/locate"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/sensor/sim"
)

// emitterOf recovers the emitter ID from a simulated detection ID
// ("sim-{sensor}-{emitter}-{ns}").
func emitterOf(d event.Detection) string {
	s := strings.TrimPrefix(d.ID, "sim-"+d.Sensor+"-")
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		return s[:i]
	}
	return s
}

type stats struct {
	n, top1, top2, sameFloor int
	inEllipse                int // true position inside the 95% ellipse (same floor)
	se, crb2                 float64
	crbN                     int // located with a finite CRB
	wrong                    map[string]int
	// Placement (store.Counts with fusion's default PlaceMinProb): fixes
	// whose detections are counted in the true room, counted in another,
	// or counted in none.
	placedTrue, placedWrong, unplaced int
}

func (s *stats) frac(k int) float64 { return float64(k) / float64(max(s.n, 1)) }

// add scores one localisation res of an emitter truly at (floor, p) in room.
func (s *stats) add(l *locate.Locator, res locate.Result, floor string, p site.Point, room string) {
	s.n++
	switch top, p := res.Room(); {
	case !store.Counts(res.RoomProbs(), p, store.DefaultPlaceMinProb):
		s.unplaced++
	case top == room:
		s.placedTrue++
	default:
		s.placedWrong++
	}
	if len(res.Rooms) > 0 && res.Rooms[0].Room == room {
		s.top1++
	} else if len(res.Rooms) > 0 {
		if s.wrong == nil {
			s.wrong = map[string]int{}
		}
		s.wrong[res.Rooms[0].Room]++
	}
	if len(res.Rooms) > 0 && res.Rooms[0].Room == room || len(res.Rooms) > 1 && res.Rooms[1].Room == room {
		s.top2++
	}
	if res.Floor != floor {
		return
	}
	s.sameFloor++
	dx, dy := p.X-res.Pos.X, p.Y-res.Pos.Y
	s.se += dx*dx + dy*dy
	// Inside the ellipse: rotate the error into the ellipse's axes.
	e := res.Ellipse
	c, sn := math.Cos(e.AngleRad), math.Sin(e.AngleRad)
	u, v := dx*c+dy*sn, -dx*sn+dy*c
	if e.SemiMinorM > 0 && (u/e.SemiMajorM)*(u/e.SemiMajorM)+(v/e.SemiMinorM)*(v/e.SemiMinorM) <= 1 ||
		math.IsInf(e.SemiMajorM, 1) {
		s.inEllipse++
	}
	crb, err := l.CRB(floor, p, res.Sensors)
	if err == nil && !math.IsInf(crb, 0) {
		s.crb2 += crb * crb
		s.crbN++
	}
}

func (s *stats) line(name string) string {
	crb := "unbounded"
	if s.crbN > 0 {
		crb = fmt.Sprintf("%.2f m (finite for %d)", math.Sqrt(s.crb2/float64(s.crbN)), s.crbN)
	}
	var wrong []string
	for r, k := range s.wrong {
		wrong = append(wrong, fmt.Sprintf("%s×%d", r, k))
	}
	sort.Strings(wrong)
	w := ""
	if len(wrong) > 0 {
		w = " wrong top-1: " + strings.Join(wrong, " ")
	}
	return fmt.Sprintf("%-12s n=%5d top-1 %5.1f%% top-2 %5.1f%% floor %5.1f%% RMSE %5.2f m in-95%% %5.1f%% CRB %s counted in true/wrong/no room %.1f/%.1f/%.1f%%%s",
		name, s.n, 100*s.frac(s.top1), 100*s.frac(s.top2), 100*s.frac(s.sameFloor),
		math.Sqrt(s.se/float64(max(s.sameFloor, 1))), 100*float64(s.inEllipse)/float64(max(s.sameFloor, 1)), crb,
		100*s.frac(s.placedTrue), 100*s.frac(s.placedWrong), 100*s.frac(s.unplaced), w)
}

// newLocator builds the locator for w with the simulator's own propagation
// constants (what a calibration walk would give on a real site).
func newLocator(t *testing.T, w *sim.Wing) *locate.Locator {
	t.Helper()
	return newSiteLocator(t, w.SiteYAML())
}

// newSiteLocator returns the locator of the site file siteYAML with the
// simulator's propagation model.
func newSiteLocator(t *testing.T, siteYAML []byte) *locate.Locator {
	t.Helper()
	s, err := site.Load(bytes.NewReader(siteYAML))
	if err != nil {
		t.Fatalf("load simulated site: %v", err)
	}
	l, err := locate.New(s, locate.Model{Exponent: sim.PathLossExponent, FloorLossDB: sim.FloorLossDB,
		ShadowingDB: math.Hypot(sim.ShadowSigmaDB, sim.MeasurementSigmaDB), GridStepM: 1, SensorHeightM: sim.SensorHeightM, EmitterHeightM: 1})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// phonesAndIndoor returns the scenario's handsets of w (their classes,
// bands and frequencies) and its cells and landings.
func phonesAndIndoor(w *sim.Wing) ([]sim.Emitter, []sim.Room) {
	var phones []sim.Emitter
	for _, e := range w.Emitters() {
		if e.Kind == sim.KindPhone {
			phones = append(phones, e)
		}
	}
	var rooms []sim.Room
	for _, r := range w.Rooms {
		if r.Kind == site.KindCell || r.Kind == site.KindLanding {
			rooms = append(rooms, r)
		}
	}
	return phones, rooms
}

// pointInRect draws a point of the rectangular room r (corners 0 and 2 of
// its polygon), at least 0.3 m from its walls.
func pointInRect(rng *rand.Rand, r sim.Room) sim.Point {
	lo, hi := r.Polygon[0], r.Polygon[2]
	return sim.Point{X: lo.X + 0.3 + rng.Float64()*(hi.X-lo.X-0.6), Y: lo.Y + 0.3 + rng.Float64()*(hi.Y-lo.Y-0.6)}
}

// TestStandardWing locates every (emitter, tick) of the standard scenario's
// first night over several seeds (each seed draws new shadowing for the
// scenario's fixed emitter positions) and holds the mean over seeds to the
// targets of docs/localisation.md, 80% top-1 and 95% top-2 room (reached:
// 98% / 100%). Access points, always on, make most of the ticks, so the
// phones, what the system is for, are held to the same targets on their own
// (pooled: 86% / 99.6%).
func TestStandardWing(t *testing.T) {
	seeds := 8
	if testing.Short() || raceEnabled {
		seeds = 4
	}
	var all stats
	perKind := map[string]*stats{}
	perEmitter := map[string]*stats{}
	var top1Sum, top2Sum float64
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		w := sim.StandardWing(seed)
		l := newLocator(t, w)
		from := w.Start
		to := from.Add(10 * time.Minute)
		if testing.Short() || raceEnabled {
			to = from.Add(3 * time.Minute)
		}
		dets := w.Detections(from, to)
		type key struct {
			em string
			ns int64
		}
		groups := map[key][]event.Detection{}
		for _, d := range dets {
			k := key{emitterOf(d), d.TimeNS}
			groups[k] = append(groups[k], d)
		}
		keys := make([]key, 0, len(groups))
		for k := range groups {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if keys[i].ns != keys[j].ns {
				return keys[i].ns < keys[j].ns
			}
			return keys[i].em < keys[j].em
		})
		var seedStats stats
		for _, k := range keys {
			g := groups[k]
			ms := make([]locate.Measurement, len(g))
			for i, d := range g {
				ms[i] = locate.Measurement{Sensor: d.Sensor, PowerDBm: d.PowerDBm, CenterHz: d.CenterHz}
			}
			res, err := l.Locate(ms)
			if errors.Is(err, locate.ErrTooFewSensors) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			var truth *sim.Activity
			for _, a := range w.Active(time.Unix(0, k.ns)) {
				if a.EmitterID == k.em {
					truth = &a
					break
				}
			}
			if truth == nil || truth.Room == "" {
				continue
			}
			p := site.Point{X: truth.Pos.X, Y: truth.Pos.Y}
			for _, st := range []*stats{&all, &seedStats, entry(perKind, truth.Kind), entry(perEmitter, truth.EmitterID)} {
				st.add(l, res, truth.Floor, p, truth.Room)
			}
		}
		t.Log(seedStats.line(fmt.Sprintf("seed %d", seed)))
		top1Sum += seedStats.frac(seedStats.top1)
		top2Sum += seedStats.frac(seedStats.top2)
	}
	for _, m := range []map[string]*stats{perEmitter, perKind} {
		names := make([]string, 0, len(m))
		for k := range m {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			t.Log(m[k].line(k))
		}
	}
	t.Log(all.line("all"))
	if all.n == 0 {
		t.Fatal("nothing located")
	}
	mean1, mean2 := top1Sum/float64(seeds), top2Sum/float64(seeds)
	t.Logf("mean over %d seeds: top-1 %.1f%% top-2 %.1f%%", seeds, 100*mean1, 100*mean2)
	if f := all.frac(all.sameFloor); f < 0.95 {
		t.Errorf("floor correct %.3f, want ≥ 0.95", f)
	}
	if mean1 < 0.80 {
		t.Errorf("top-1 room %.3f (mean over seeds), want ≥ 0.80", mean1)
	}
	if mean2 < 0.95 {
		t.Errorf("top-2 room %.3f (mean over seeds), want ≥ 0.95", mean2)
	}
	if p := perKind[sim.KindPhone]; p == nil || p.frac(p.top1) < 0.80 || p.frac(p.top2) < 0.95 {
		t.Errorf("phones: want top-1 ≥ 0.80 and top-2 ≥ 0.95, got %+v", p)
	}
}

// entry returns m[name], creating it.
func entry(m map[string]*stats, name string) *stats {
	if m[name] == nil {
		m[name] = &stats{}
	}
	return m[name]
}

// TestStandardWingAnyCell places handsets uniformly at random in the cells
// and landings of the standard wing (not only where the scenario puts its
// four phones), with the simulator's propagation and detection threshold,
// a fresh shadowing draw per emitter and sensor, and transmit power uniform
// in 0..23 dBm at one of the scenario phones' frequencies.
func TestStandardWingAnyCell(t *testing.T) {
	seeds, n := 8, 400
	if testing.Short() || raceEnabled {
		seeds, n = 4, 150
	}
	var all stats
	var top1Sum, top2Sum float64
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		w := sim.StandardWing(seed)
		l := newLocator(t, w)
		phones, rooms := phonesAndIndoor(w)
		rng := rand.New(rand.NewPCG(seed, 99))
		var st stats
		for range n {
			r := rooms[rng.IntN(len(rooms))]
			p := pointInRect(rng, r)
			e := phones[rng.IntN(len(phones))]
			tx := 23 * rng.Float64()
			var ms []locate.Measurement
			for _, s := range w.Sensors() {
				rx := tx + s.AntennaGainDB - w.PathLossDB(e.CenterHz, r.Floor, p, 1, s) +
					sim.ShadowSigmaDB*rng.NormFloat64() + sim.MeasurementSigmaDB*rng.NormFloat64()
				if rx-sim.NoiseFloorDBm(e.BandwidthHz) >= sim.DetectionMinSNRDB {
					ms = append(ms, locate.Measurement{Sensor: s.ID, PowerDBm: rx, CenterHz: e.CenterHz})
				}
			}
			res, err := l.Locate(ms)
			if errors.Is(err, locate.ErrTooFewSensors) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			sp := site.Point{X: p.X, Y: p.Y}
			st.add(l, res, r.Floor, sp, r.ID)
			all.add(l, res, r.Floor, sp, r.ID)
		}
		st.wrong = nil
		t.Log(st.line(fmt.Sprintf("seed %d", seed)))
		top1Sum += st.frac(st.top1)
		top2Sum += st.frac(st.top2)
	}
	all.wrong = nil
	t.Log(all.line("all"))
	t.Logf("mean over %d seeds: top-1 %.1f%% top-2 %.1f%%; located (heard by ≥ %d sensors) %d of %d",
		seeds, 100*top1Sum/float64(seeds), 100*top2Sum/float64(seeds), locate.MinSensors, all.n, seeds*n)
	// Regression bars (8 seeds: 65% / 82%, floor 96%, ellipse 96%), below
	// the scenario's targets: a handset anywhere is harder than the
	// scenario's four, and some cells are heard by only three sensors
	// through partitions (see docs/localisation.md).
	if f := all.frac(all.top1); f < 0.55 {
		t.Errorf("top-1 room %.3f, want ≥ 0.55", f)
	}
	if f := all.frac(all.top2); f < 0.75 {
		t.Errorf("top-2 room %.3f, want ≥ 0.75", f)
	}
	if f := all.frac(all.sameFloor); f < 0.90 {
		t.Errorf("floor correct %.3f, want ≥ 0.90", f)
	}
	if f := float64(all.inEllipse) / float64(max(all.sameFloor, 1)); f < 0.90 {
		t.Errorf("inside the 95%% ellipse %.3f, want ≥ 0.90", f)
	}
}

// maxTxDBm is the handset EIRP bound by class the fusion engine uses
// (fusion.Config.MaxTxDBmByClass's default).
var maxTxDBm = map[string]float64{event.ClassGSM: 33, event.ClassUMTS: 24, event.ClassLTE: 23, event.ClassNR: 26}

// TestStandardWingFewSensors locates handsets anywhere in the cells and
// landings (as TestStandardWingAnyCell) and drones anywhere in the yard,
// perimeter and outside, the way the fusion engine does: every group, from
// one sensor up, with the class's EIRP bounds and every other sensor as
// silent (the simulator's scan plan has every sensor on every band; its
// threshold is the simulator's noise plus 6 dB SNR), and for drones the
// engine's indoor prior of 0.05. Scored by how many
// sensors heard the emission; for 3+ also as before (heard powers only).
func TestStandardWingFewSensors(t *testing.T) {
	seeds, n := 8, 400
	if testing.Short() || raceEnabled {
		seeds, n = 3, 150
	}
	byHeard := map[string]*stats{}
	var drones, dronesAlone stats
	var droneOut, droneAloneOut, notHeard int
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		w := sim.StandardWing(seed)
		l := newLocator(t, w)
		st, err := site.Load(bytes.NewReader(w.SiteYAML()))
		if err != nil {
			t.Fatal(err)
		}
		var phones, drone []sim.Emitter
		for _, e := range w.Emitters() {
			switch {
			case e.Kind == sim.KindPhone:
				phones = append(phones, e)
			case e.Kind == sim.KindDrone && e.Class == event.ClassDroneID:
				drone = append(drone, e)
			}
		}
		var rooms, outdoor []sim.Room
		kind := map[string]string{}
		indoor := map[string]float64{}
		for _, r := range w.Rooms {
			kind[r.ID] = r.Kind
			if r.Kind == site.KindCell || r.Kind == site.KindLanding || r.Kind == site.KindOffice {
				indoor[r.ID] = 0.05
			}
			switch r.Kind {
			case site.KindCell, site.KindLanding:
				rooms = append(rooms, r)
			case site.KindYard, site.KindPerimeter, site.KindOutside:
				outdoor = append(outdoor, r)
			}
		}
		rng := rand.New(rand.NewPCG(seed, 77))
		for i := range 2 * n {
			isDrone := i%2 == 1
			var r sim.Room
			var e sim.Emitter
			var tx, heightM float64
			if isDrone {
				r, e, tx, heightM = outdoor[rng.IntN(len(outdoor))], drone[0], 10+10*rng.Float64(), 1+14*rng.Float64()
			} else {
				r, e, tx, heightM = rooms[rng.IntN(len(rooms))], phones[rng.IntN(len(phones))], 23*rng.Float64(), 1
			}
			lo, hi := r.Polygon[0], r.Polygon[2]
			for _, q := range r.Polygon {
				lo.X, lo.Y, hi.X, hi.Y = min(lo.X, q.X), min(lo.Y, q.Y), max(hi.X, q.X), max(hi.Y, q.Y)
			}
			var p sim.Point
			for {
				p = sim.Point{X: lo.X + 0.3 + rng.Float64()*(hi.X-lo.X-0.6), Y: lo.Y + 0.3 + rng.Float64()*(hi.Y-lo.Y-0.6)}
				if got, ok := st.RoomAt(r.Floor, site.Point{X: p.X, Y: p.Y}); ok && got.ID == r.ID {
					break
				}
			}
			thr := sim.NoiseFloorDBm(e.BandwidthHz) + sim.DetectionMinSNRDB
			q := locate.Query{TxBounds: true, MinTxDBm: -10, MaxTxDBm: 33}
			if v, ok := maxTxDBm[e.Class]; ok {
				q.MaxTxDBm = v
			}
			if isDrone {
				q.RoomPrior = indoor // as the engine: drone broadcasts come from outdoors
			}
			for _, s := range w.Sensors() {
				rx := tx + s.AntennaGainDB - w.PathLossDB(e.CenterHz, r.Floor, p, heightM, s) +
					sim.ShadowSigmaDB*rng.NormFloat64() + sim.MeasurementSigmaDB*rng.NormFloat64()
				if rx >= thr {
					q.Heard = append(q.Heard, locate.Measurement{Sensor: s.ID, PowerDBm: rx, CenterHz: e.CenterHz})
				} else {
					q.Silent = append(q.Silent, locate.Silence{Sensor: s.ID, ThresholdDBm: thr})
				}
			}
			if len(q.Heard) == 0 {
				notHeard++
				continue
			}
			res, err := l.LocateQuery(q)
			if err != nil {
				t.Fatal(err)
			}
			sp := site.Point{X: p.X, Y: p.Y}
			if isDrone {
				drones.add(l, res, r.Floor, sp, r.ID)
				out := len(res.Rooms) > 0 && (kind[res.Rooms[0].Room] == site.KindYard || kind[res.Rooms[0].Room] == site.KindPerimeter || kind[res.Rooms[0].Room] == site.KindOutside)
				if out {
					droneOut++
				}
				if len(q.Heard) == 1 {
					dronesAlone.add(l, res, r.Floor, sp, r.ID)
					if out {
						droneAloneOut++
					}
				}
				continue
			}
			k := min(len(q.Heard), 3)
			name := fmt.Sprintf("heard by %d", k)
			if k == 3 {
				name = "heard by 3+"
				old, err := l.Locate(q.Heard)
				if err != nil {
					t.Fatal(err)
				}
				entry(byHeard, "3+ before").add(l, old, r.Floor, sp, r.ID)
			}
			entry(byHeard, name).add(l, res, r.Floor, sp, r.ID)
		}
	}
	for _, name := range []string{"heard by 1", "heard by 2", "heard by 3+", "3+ before"} {
		if st := byHeard[name]; st != nil {
			st.wrong = nil
			t.Log(st.line(name))
		}
	}
	drones.wrong, dronesAlone.wrong = nil, nil
	t.Log(drones.line("drones"))
	t.Log(dronesAlone.line("drones by 1"))
	t.Logf("drones placed outdoors (top room yard/perimeter/outside): %d of %d, heard by one sensor %d of %d; handsets and drones heard by none: %d",
		droneOut, drones.n, droneAloneOut, dronesAlone.n, notHeard)
	one, two, three, before := byHeard["heard by 1"], byHeard["heard by 2"], byHeard["heard by 3+"], byHeard["3+ before"]
	if one == nil || two == nil || three == nil || one.n < 20 || two.n < 20 {
		t.Fatalf("too few handsets heard by one or two sensors to score: %v %v", one, two)
	}
	if f := three.frac(three.top1); f < before.frac(before.top1)-0.01 {
		t.Errorf("3+ sensors: top-1 %.3f with silences, %.3f without; silences must not hurt", f, before.frac(before.top1))
	}
	// Regression bars, below what was measured (8 seeds: heard by one 29% /
	// 50% top-1/2, 97% in the ellipse; by two 67% / 84%, 97%; drones
	// outdoors 98%; see docs/localisation.md).
	for _, c := range []struct {
		st        *stats
		top2, ell float64
		name      string
	}{{one, 0.40, 0.90, "1"}, {two, 0.75, 0.90, "2"}} {
		if f := c.st.frac(c.st.top2); f < c.top2 {
			t.Errorf("heard by %s: top-2 %.3f, want ≥ %.2f", c.name, f, c.top2)
		}
		if f := float64(c.st.inEllipse) / float64(max(c.st.sameFloor, 1)); f < c.ell {
			t.Errorf("heard by %s: in 95%% ellipse %.3f, want ≥ %.2f", c.name, f, c.ell)
		}
	}
	if f := float64(droneOut) / float64(max(drones.n, 1)); f < 0.9 {
		t.Errorf("drones placed outdoors %.3f, want ≥ 0.9", f)
	}
}
