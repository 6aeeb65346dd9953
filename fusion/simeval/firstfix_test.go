package simeval

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/alert"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
	"github.com/rfwarden/rfwarden/sensor/sim"
)

// alertLog records every alert publication, with why it was made.
type alertLog struct {
	mu   sync.Mutex
	pubs []alertPub
}

type alertPub struct {
	why alert.Why
	a   event.Alert
}

func (l *alertLog) PublishAlert(ctx context.Context, a event.Alert) error {
	return l.PublishAlertWhy(ctx, alert.WhyState, a)
}

func (l *alertLog) PublishAlertWhy(_ context.Context, why alert.Why, a event.Alert) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pubs = append(l.pubs, alertPub{why, a})
	return nil
}

// firstRoomScore counts, over handsets that raised a phone alert, where
// the control room was first told they are.
type firstRoomScore struct {
	handsets int // handsets with a phone alert
	// Of the first announcement about each handset (its first alert's
	// pending state): in its own room, in no room ("position unknown"),
	// or in another room.
	right, unknown, wrong int
	// firstWrong: handsets whose first announcement naming a room (the
	// first, or a later one after "position unknown") named another: the
	// room staff were first sent to search.
	firstWrong int
	// fired: handsets whose alert fired; firedRight: in the handset's room.
	fired, firedRight int
	// firstDelay sums the time from each handset's first detection to its
	// first announcement; rightDelay, to the first announcement naming its
	// room (rightN handsets ever named in their room).
	firstDelay, rightDelay time.Duration
	rightN                 int
	// maxFirstDelay is the longest from an alert's first fix (its
	// active time) to its first announcement.
	maxFirstDelay time.Duration
}

func (s *firstRoomScore) add(o firstRoomScore) {
	s.handsets += o.handsets
	s.right += o.right
	s.unknown += o.unknown
	s.wrong += o.wrong
	s.firstWrong += o.firstWrong
	s.fired += o.fired
	s.firedRight += o.firedRight
	s.firstDelay += o.firstDelay
	s.rightDelay += o.rightDelay
	s.rightN += o.rightN
	s.maxFirstDelay = max(s.maxFirstDelay, o.maxFirstDelay)
}

func (s firstRoomScore) String() string {
	pc := func(k, n int) float64 { return 100 * float64(k) / float64(max(n, 1)) }
	mean := func(d time.Duration, n int) time.Duration {
		return (d / time.Duration(max(n, 1))).Round(10 * time.Millisecond)
	}
	return fmt.Sprintf("handsets %d: first announced in its room %d (%.1f%%), nowhere %d (%.1f%%), elsewhere %d (%.1f%%); first room named another %d (%.1f%%); "+
		"fired %d, in its room %d (%.1f%%); first announcement after %v (at most %v after its alert opened), in its room after %v (%d handsets)",
		s.handsets, s.right, pc(s.right, s.handsets), s.unknown, pc(s.unknown, s.handsets), s.wrong, pc(s.wrong, s.handsets),
		s.firstWrong, pc(s.firstWrong, s.handsets),
		s.fired, s.firedRight, pc(s.firedRight, s.fired), mean(s.firstDelay, s.handsets), s.maxFirstDelay.Round(10*time.Millisecond),
		mean(s.rightDelay, s.rightN), s.rightN)
}

// runScanningAlerts plays hs as runScanning does, through a fusion engine
// with the default alert rules and the given AlertSettle, and scores where
// each handset's alerts were first announced. The sensors hear a handset's
// band once every revisitS seconds; with health, each sends a health
// report every 10 s saying it scans the phones' bands with that revisit
// time, so a sensor that does not hear a handset counts as silent
// (docs/localisation.md, "Silent sensors").
func runScanningAlerts(t *testing.T, w *sim.Wing, hs []scanHandset, seed uint64, settle time.Duration, revisitS int, health bool) firstRoomScore {
	t.Helper()
	st, model := scanSiteModel(t, w)
	rec := &storetest.Recorder{}
	log := &alertLog{}
	start := sim.DefaultStart()
	now := start
	eng, err := fusion.New(fusion.Config{Model: model, AlertSettle: settle, NoiseDBmPerMHz: sim.NoiseDBmPerMHz, DetectSNRDB: sim.DetectionMinSNRDB},
		fusion.Deps{Site: st, TimeSeries: rec, Publisher: log,
			Clock: func() time.Time { return now }, TrackPrefix: "ff"})
	if err != nil {
		t.Fatal(err)
	}
	dets := scanDetections(w, st.ID, hs, seed, false, start, revisitS)
	var each func(time.Time)
	if health {
		var next time.Time
		each = func(at time.Time) {
			if at.Before(next) {
				return
			}
			next = at.Add(10 * time.Second)
			for _, s := range w.Sensors() {
				h := event.Health{Schema: event.SchemaVersion, Site: st.ID, Sensor: s.ID, TimeNS: at.UnixNano(), State: event.StateOK,
					NoiseFloorDBm: map[string]float64{"phones": -60}, RevisitS: map[string]float64{"phones": float64(revisitS)},
					ScanBandsHz: map[string][2]float64{"phones": {700e6, 3800e6}}}
				b, err := event.Encode(h)
				if err != nil {
					t.Fatal(err)
				}
				if err := eng.Handle(context.Background(), fusion.Message{Topic: event.SensorTopic(st.ID, s.ID, event.KindHealth), Payload: b}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	playScanning(t, eng, dets, &now, each)
	now = now.Add(time.Minute)
	if err := eng.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	heardFrom := map[string]time.Time{}
	for _, d := range dets {
		h, _, _ := strings.Cut(d.ID, "-")
		if _, ok := heardFrom[h]; !ok {
			heardFrom[h] = d.Time()
		}
	}
	handsetOf := trackHandsets(rec)
	room := map[string]string{}
	for _, h := range hs {
		room[h.id] = h.room
	}
	type seen struct {
		first          *alertPub
		fired, rightAt time.Time
		firedRoom      string
		firstRoom      string // the first room announced
	}
	by := map[string]*seen{}
	var order []string
	for i := range log.pubs {
		p := &log.pubs[i]
		if !strings.HasPrefix(p.a.Rule, "unauthorised-uplink") || p.a.State == event.AlertResolved {
			continue
		}
		h := handsetOf(p.a.Track)
		if h == "" {
			continue
		}
		s := by[h]
		if s == nil {
			s = &seen{first: p}
			by[h] = s
			order = append(order, h)
		}
		at := time.Unix(0, p.a.UpdatedNS)
		if s.firstRoom == "" {
			s.firstRoom = p.a.Room
		}
		if p.a.Room == room[h] && s.rightAt.IsZero() {
			s.rightAt = at
		}
		if p.a.State == event.AlertFiring && s.fired.IsZero() {
			s.fired, s.firedRoom = at, p.a.Room
		}
	}
	var sc firstRoomScore
	for _, h := range order {
		s := by[h]
		sc.handsets++
		sc.firstDelay += time.Unix(0, s.first.a.UpdatedNS).Sub(heardFrom[h])
		sc.maxFirstDelay = max(sc.maxFirstDelay, time.Duration(s.first.a.UpdatedNS-s.first.a.ActiveNS))
		switch r := s.first.a.Room; {
		case r == room[h]:
			sc.right++
		case r == "":
			sc.unknown++
		default:
			sc.wrong++
		}
		if s.firstRoom != "" && s.firstRoom != room[h] {
			sc.firstWrong++
		}
		if !s.fired.IsZero() {
			sc.fired++
			if s.firedRoom == room[h] {
				sc.firedRight++
			}
		}
		if !s.rightAt.IsZero() {
			sc.rightN++
			sc.rightDelay += s.rightAt.Sub(heardFrom[h])
		}
	}
	return sc
}

// TestFirstAnnouncedRoom measures where the control room is first told a
// handset is: the room of the first announcement of its alert (its
// pending state), against the handset's room, with the sensors scanning
// as in TestScanningSensors, so a track's first fix has only the sensors
// tuned to its band in its first half second: each hears the band once
// every 3 s (no silences: a real node's revisit, or the demo's sensors on
// a loaded machine), or once a second with health reports saying so (the
// sensors that do not hear a handset count as silent, as the demo's on a
// quiet machine). With fusion's AlertSettle (the default, 3 s) an alert
// is announced once its track's fixes have had that long to gather every
// sensor's power; without it (negative), at the first fix. The settled
// first announcement must name the handset's room at least 20 points more
// often, the first room announced must be another no more often (2% of
// the handsets, or one of the short run), it must fire in the handset's
// room about as often (the same), and come within AlertSettle and a tick
// of its alert's first fix. The first room announced, not the first
// announcement's: since 2026-12-07 a weak first fix (store.Distinct)
// announces the alert at once in no room, and the room a later fix names
// is where staff are first sent.
// Results: docs/alerts.md, "Waiting for the fixes to settle".
func TestFirstAnnouncedRoom(t *testing.T) {
	seeds, n := 8, 40
	if testing.Short() || raceEnabled {
		seeds, n = 2, 14
	}
	const settle = 3 * time.Second // fusion's default AlertSettle (its BorrowWindow)
	for _, tc := range []struct {
		name     string
		revisitS int
		health   bool
	}{{"every 3 s, no silences", 3, false}, {"every second, silences", 1, true}} {
		t.Run(tc.name, func(t *testing.T) {
			var on, off firstRoomScore
			for seed := uint64(1); seed <= uint64(seeds); seed++ {
				w := sim.StandardWing(seed)
				hs := scanHandsets(w, seed, n, false)
				a := runScanningAlerts(t, w, hs, seed, 0, tc.revisitS, tc.health)
				b := runScanningAlerts(t, w, hs, seed, -1, tc.revisitS, tc.health)
				t.Logf("seed %d: settled: %v", seed, a)
				t.Logf("seed %d: at the first fix: %v", seed, b)
				on.add(a)
				off.add(b)
			}
			t.Logf("all, settled: %v", on)
			t.Logf("all, at the first fix: %v", off)
			frac := func(k, n int) float64 { return float64(k) / float64(max(n, 1)) }
			if on.handsets == 0 || on.handsets != off.handsets {
				t.Fatalf("handsets with an alert: %d settled, %d not: want the same, and some", on.handsets, off.handsets)
			}
			// Handsets either way: 2% of them, or one of the short run's
			// 24 (a first fix in the handset's room that the later
			// fixes contradict held its alert there by the hysteresis).
			tol := max(1, on.handsets*2/100)
			if got, was := frac(on.right, on.handsets), frac(off.right, off.handsets); got < was+0.20 {
				t.Errorf("first announced in the handset's room: %.3f settled, %.3f at the first fix: want 20 points more", got, was)
			}
			if on.firstWrong > off.firstWrong+tol {
				t.Errorf("first room announced another: %d settled, %d at the first fix: want no more than %d more", on.firstWrong, off.firstWrong, tol)
			}
			if on.firedRight < off.firedRight-tol {
				t.Errorf("fired in the handset's room: %d settled, %d at the first fix: want no more than %d fewer", on.firedRight, off.firedRight, tol)
			}
			if on.maxFirstDelay > settle+time.Second {
				t.Errorf("first announcement up to %v after its alert's first fix: want within %v and a tick", on.maxFirstDelay, settle)
			}
		})
	}
}
