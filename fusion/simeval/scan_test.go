package simeval

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/locate"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
	"github.com/rfwarden/rfwarden/sensor/sim"
)

// scanHandset is one handset of TestScanningSensors: where it is and what
// each sensor hears of it.
type scanHandset struct {
	id, room, floor string
	e               sim.Emitter // class, band and frequency
	rxDBm           map[string]float64
}

// scanScore is top-1 and top-2 room over the located emissions.
// scanScore counts located emissions (n), those whose most likely room
// is the handset's (top1) or one of the two most likely (top2), and those
// the heatmap counts (by their lead detection's room, store.Counts) in the
// handset's room (placedTrue) or in another (placedWrong); the rest it
// counts in no room.
type scanScore struct{ n, top1, top2, placedTrue, placedWrong int }

func (s scanScore) String() string {
	f := func(k int) float64 { return 100 * float64(k) / float64(max(s.n, 1)) }
	return fmt.Sprintf("n=%5d top-1 %5.1f%% top-2 %5.1f%% counted in true/wrong/no room %.1f/%.1f/%.1f%%", s.n, f(s.top1), f(s.top2),
		f(s.placedTrue), f(s.placedWrong), f(s.n-s.placedTrue-s.placedWrong))
}

// plus returns the sum of s and o.
func (s scanScore) plus(o scanScore) scanScore {
	return scanScore{s.n + o.n, s.top1 + o.top1, s.top2 + o.top2, s.placedTrue + o.placedTrue, s.placedWrong + o.placedWrong}
}

// TestScanningSensors measures the fusion engine (association, tracking and
// localisation, not the locator alone) on handsets heard as scanning sensors
// hear them. Each handset, anywhere in the standard wing's cells and
// landings at one of the scenario phones' frequencies and 0–23 dBm, with
// fresh shadowing, transmits for a minute; each sensor that hears it
// (the simulator's propagation and threshold, 1 dB measurement noise) is
// tuned to its band once every 3 s, at its own phase and at a random moment
// within the second, so the sensors seldom hear it within one association
// window. Every emission the engine locates is scored against the
// handset's room (top-1 and top-2), with the engine's BorrowWindow on (the
// default) and off: handsets one at a time (borrowing must gain 5 points of
// top-1 and lose no top-2), and two at once on one channel, which
// association and borrowing both blend (borrowing must lose no top-2, and
// top-1, poor either way, by at most 3 points: over the short run under
// -race it was 10.0% against 11.1%).
// Results: docs/localisation.md.
func TestScanningSensors(t *testing.T) {
	seeds, n := 4, 40
	if testing.Short() || raceEnabled {
		seeds, n = 2, 14
	}
	for _, tc := range []struct {
		name     string
		pairs    bool
		gainTop1 float64
	}{{"one at a time", false, 0.05}, {"two on one channel", true, -0.03}} {
		t.Run(tc.name, func(t *testing.T) {
			var on, off scanScore
			for seed := uint64(1); seed <= uint64(seeds); seed++ {
				w := sim.StandardWing(seed)
				hs := scanHandsets(w, seed, n, tc.pairs)
				a := runScanning(t, w, hs, seed, 0, tc.pairs)
				b := runScanning(t, w, hs, seed, -1, tc.pairs)
				t.Logf("seed %d: borrowing %v; without %v", seed, a, b)
				on, off = on.plus(a), off.plus(b)
			}
			t.Logf("all: borrowing %v; without %v", on, off)
			frac := func(k, n int) float64 { return float64(k) / float64(max(n, 1)) }
			if on.n == 0 || off.n == 0 {
				t.Fatalf("nothing located: %v / %v", on, off)
			}
			if frac(on.top1, on.n) < frac(off.top1, off.n)+tc.gainTop1 {
				t.Errorf("top-1 with borrowing %.3f, without %.3f: want it %+.0f points or more", frac(on.top1, on.n), frac(off.top1, off.n), 100*tc.gainTop1)
			}
			if frac(on.top2, on.n) < frac(off.top2, off.n) {
				t.Errorf("top-2 with borrowing %.3f, without %.3f: want no worse", frac(on.top2, on.n), frac(off.top2, off.n))
			}
		})
	}
}

// scanHandsets draws n handsets for w; with pairs each odd one uses the
// channel of the one before it.
func scanHandsets(w *sim.Wing, seed uint64, n int, pairs bool) []scanHandset {
	phones, rooms := phonesAndIndoor(w)
	rng := rand.New(rand.NewPCG(seed, 7))
	hs := make([]scanHandset, n)
	for i := range hs {
		r := rooms[rng.IntN(len(rooms))]
		p := pointInRect(rng, r)
		e := phones[rng.IntN(len(phones))]
		if pairs && i%2 == 1 {
			e = hs[i-1].e
		}
		tx := 23 * rng.Float64()
		h := scanHandset{id: fmt.Sprintf("h%d", i), room: r.ID, floor: r.Floor, e: e, rxDBm: map[string]float64{}}
		for _, s := range w.Sensors() {
			h.rxDBm[s.ID] = tx + s.AntennaGainDB - w.PathLossDB(e.CenterHz, r.Floor, p, 1, s) + sim.ShadowSigmaDB*rng.NormFloat64()
		}
		hs[i] = h
	}
	return hs
}

// scanSiteModel returns w's site model and the locator's model of its
// propagation, as the scanning measurements locate with.
func scanSiteModel(t *testing.T, w *sim.Wing) (*site.Site, locate.Model) {
	t.Helper()
	st, err := site.Load(bytes.NewReader(w.SiteYAML()))
	if err != nil {
		t.Fatal(err)
	}
	model := locate.Model{Exponent: sim.PathLossExponent, FloorLossDB: sim.FloorLossDB,
		ShadowingDB: math.Hypot(sim.ShadowSigmaDB, sim.MeasurementSigmaDB), GridStepM: 1, SensorHeightM: sim.SensorHeightM, EmitterHeightM: 1}
	return st, model
}

// runScanning plays hs one after the other (with pairs, two at a time),
// four minutes apart (longer than the engine's track gap), through a fusion
// engine with the given BorrowWindow, and scores the emissions it located.
func runScanning(t *testing.T, w *sim.Wing, hs []scanHandset, seed uint64, borrow time.Duration, pairs bool) scanScore {
	t.Helper()
	st, model := scanSiteModel(t, w)
	rec := &storetest.Recorder{}
	start := sim.DefaultStart()
	var now time.Time
	eng, err := fusion.New(fusion.Config{Model: model, BorrowWindow: borrow}, fusion.Deps{Site: st, TimeSeries: rec, Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	now = start
	playScanning(t, eng, scanDetections(w, st.ID, hs, seed, pairs, start, 3), &now, nil)
	now = now.Add(time.Minute)
	if err := eng.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	handsetOf := trackHandsets(rec)
	byID := map[string]scanHandset{}
	for _, h := range hs {
		byID[h.id] = h
	}
	var sc scanScore
	for _, l := range rec.Locs {
		h, ok := byID[handsetOf(l.Track)]
		if !ok {
			continue
		}
		sc.n++
		if l.Room == h.room {
			sc.top1++
		}
		if l.Room == h.room || second(l.RoomProbs) == h.room {
			sc.top2++
		}
	}
	for _, d := range rec.Dets {
		h, ok := byID[handsetOf(d.Track)]
		switch {
		case !ok || !d.Lead || d.Room == "":
		case d.Room == h.room:
			sc.placedTrue++
		default:
			sc.placedWrong++
		}
	}
	return sc
}

// trackHandsets returns, for the detections rec stored, the handset each
// track followed: the one most of its detections came from (a detection's
// ID starts with its handset's), the first by ID of a tie; "" for a track
// with none.
func trackHandsets(rec *storetest.Recorder) func(track string) string {
	votes := map[string]map[string]int{}
	for _, r := range rec.Dets {
		h, _, _ := strings.Cut(r.ID, "-")
		if votes[r.Track] == nil {
			votes[r.Track] = map[string]int{}
		}
		votes[r.Track][h]++
	}
	return func(track string) string {
		best, bestN := "", 0
		for h, k := range votes[track] {
			if k > bestN || k == bestN && h < best {
				best, bestN = h, k
			}
		}
		return best
	}
}

// scanDetections returns what the wing's sensors report of hs, scanning
// (TestScanningSensors): each handset transmits for a minute, four minutes
// after the one before (with pairs, two at a time), and each sensor that
// hears it is tuned to its band once every revisitS seconds (3 in
// TestScanningSensors), at its own phase and a random moment within the
// second. Sorted by time; each detection's ID starts with its handset's.
func scanDetections(w *sim.Wing, siteID string, hs []scanHandset, seed uint64, pairs bool, start time.Time, revisitS int) []event.Detection {
	rng := rand.New(rand.NewPCG(seed, 11))
	var dets []event.Detection
	for i, h := range hs {
		slot := i
		if pairs {
			slot = i / 2
		}
		from := start.Add(time.Duration(slot) * 4 * time.Minute)
		for _, s := range w.Sensors() {
			rx := h.rxDBm[s.ID]
			if rx-sim.NoiseFloorDBm(h.e.BandwidthHz) < sim.DetectionMinSNRDB {
				continue
			}
			phase := rng.IntN(revisitS)
			for k := phase; k < 60; k += revisitS {
				at := from.Add(time.Duration(k)*time.Second + time.Duration(rng.Float64()*float64(time.Second)))
				p := rx + sim.MeasurementSigmaDB*rng.NormFloat64()
				dets = append(dets, event.Detection{Schema: event.SchemaVersion, ID: fmt.Sprintf("%s-%s-%d", h.id, s.ID, k), Site: siteID,
					Sensor: s.ID, TimeNS: at.UnixNano(), DurationNS: int64(10 * time.Millisecond), CenterHz: h.e.CenterHz,
					BandwidthHz: h.e.BandwidthHz, PowerDBm: p, SNRDB: p - sim.NoiseFloorDBm(h.e.BandwidthHz), DutyCycle: 0.5,
					Band: h.e.Band, Link: event.LinkUplink, Class: h.e.Class, Confidence: 0.9})
			}
		}
	}
	sort.SliceStable(dets, func(i, j int) bool { return dets[i].TimeNS < dets[j].TimeNS })
	return dets
}

// playScanning hands dets to eng in time order, ticking it every 100 ms
// of the clock *now (which eng reads) between them, and calling each (when
// not nil) before each tick.
func playScanning(t *testing.T, eng *fusion.Engine, dets []event.Detection, now *time.Time, each func(time.Time)) {
	t.Helper()
	ctx := context.Background()
	for _, d := range dets {
		for at := d.Time(); now.Add(100 * time.Millisecond).Before(at); {
			*now = now.Add(100 * time.Millisecond)
			if each != nil {
				each(*now)
			}
			if err := eng.Tick(ctx, *now); err != nil {
				t.Fatal(err)
			}
		}
		*now = d.Time()
		if err := eng.HandleDetection(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
}

// second returns the second most likely room of probs.
func second(probs map[string]float64) string {
	type rp struct {
		r string
		p float64
	}
	var v []rp
	for r, p := range probs {
		v = append(v, rp{r, p})
	}
	sort.Slice(v, func(i, j int) bool { return v[i].p > v[j].p || v[i].p == v[j].p && v[i].r < v[j].r })
	if len(v) < 2 {
		return ""
	}
	return v[1].r
}
