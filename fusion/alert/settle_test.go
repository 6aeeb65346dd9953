package alert

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestSettleBeforeAnnouncing: with SetSettle, a new phone alert is
// announced pending settle after its first fix, in the room its track's
// fixes name then, not the first fix's; it fires when it would have
// without; a track whose later fixes leave the rule's rooms is not
// announced there; a fix heard once is still announced. Without settle
// (0, the alert package's default) the first fix's room is announced and
// held by the hysteresis (the case that fails without SetSettle).
func TestSettleBeforeAnnouncing(t *testing.T) {
	// A track's first fix, from the sensors tuned to its band in its first
	// half second, puts it across the landing; the next ones, with every
	// sensor's power, in its own cell.
	first := map[string]float64{"B2-03": 0.41, "B2-14": 0.22, "B2-13": 0.20}
	later := map[string]float64{"B2-14": 0.38, "B2-03": 0.30, "B2-13": 0.12}
	landing := map[string]float64{"B2-landing": 0.9, "B2-14": 0.05}
	every := everySecond
	type fix = timedFix
	for _, tc := range []struct {
		name   string
		settle time.Duration
		fixes  []fix
		// want: the in-cell rule's publications, "state room @ seconds
		// after the first fix", in order.
		want []string
	}{
		{"first fix across the landing, settled", 3 * time.Second,
			append([]fix{{0, first}}, every(time.Second, 12*time.Second, later)...),
			[]string{"pending B2-14 @3", "firing B2-14 @10"}},
		{"first fix across the landing, not settled", 0,
			append([]fix{{0, first}}, every(time.Second, 12*time.Second, later)...),
			[]string{"pending B2-03 @0", "firing B2-03 @10"}},
		{"later fixes on the landing", 3 * time.Second,
			append([]fix{{0, first}}, every(time.Second, 12*time.Second, landing)...),
			nil},
		{"back in the cell after the landing", 3 * time.Second,
			slices.Concat([]fix{{0, first}}, every(time.Second, 4*time.Second, landing), every(5*time.Second, 12*time.Second, later)),
			[]string{"pending B2-14 @5", "firing B2-14 @10"}},
		{"heard once", 3 * time.Second,
			[]fix{{0, first}},
			[]string{"pending B2-03 @3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, rec, t0 := onlineEngine(t)
			e.SetSettle(tc.settle)
			got, _ := playTimed(t, e, rec, t0, tc.fixes, nil)
			if !slices.Equal(got, tc.want) {
				t.Errorf("published %q, want %q", got, tc.want)
			}
			var active []string
			for _, a := range e.Active() {
				if a.Rule == "unauthorised-uplink-in-cell" {
					active = append(active, a.Room)
				}
			}
			if tc.want == nil && len(active) > 0 {
				t.Errorf("listed as active in %v, never announced", active)
			}
		})
	}
}

// timedFix is a fix of track t1 (LTE), its room probabilities, at a time
// after the first (playTimed).
type timedFix struct {
	at    time.Duration
	probs map[string]float64
}

// everySecond returns a fix of probs every second from from to to.
func everySecond(from, to time.Duration, probs map[string]float64) []timedFix {
	var v []timedFix
	for at := from; at <= to; at += time.Second {
		v = append(v, timedFix{at, probs})
	}
	return v
}

// playTimed feeds fixes to e from t0, ticking it every second for 20 s,
// each fix heard by sensors(its probabilities) (nil: none named), and
// returns the in-cell rule's publications since, "state room @ seconds
// after t0" in order, and their summaries.
func playTimed(t *testing.T, e *Engine, rec *recorder, t0 time.Time, fixes []timedFix, sensors func(map[string]float64) []string) (got, summaries []string) {
	t.Helper()
	ctx := context.Background()
	n0 := len(rec.got)
	next := 0
	for s := time.Duration(0); s <= 20*time.Second; s += time.Second {
		for next < len(fixes) && fixes[next].at <= s {
			f := fixes[next]
			best, p := mostLikely(f.probs)
			loc := Location{Track: "t1", Class: event.ClassLTE, Link: event.LinkUplink, Room: best, Prob: p,
				RoomProbs: f.probs, At: t0.Add(f.at)}
			if sensors != nil {
				loc.Sensors = sensors(f.probs)
			}
			if err := e.ObserveLocation(ctx, loc); err != nil {
				t.Fatal(err)
			}
			next++
		}
		if err := e.Tick(ctx, t0.Add(s)); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range rec.got[n0:] {
		if a.Rule == "unauthorised-uplink-in-cell" {
			got = append(got, fmt.Sprintf("%s %s @%d", a.State, a.Room, time.Duration(a.UpdatedNS-t0.UnixNano())/time.Second))
			summaries = append(summaries, a.Summary)
		}
	}
	return got, summaries
}

// TestSettleWithdrawsUnannounced: a quiet alert whose track's fixes left
// the rule's rooms and were not back in them for resolve_after is
// withdrawn without a publication, counts as no burst, and leaves the
// track free to raise a new alert there later.
func TestSettleWithdrawsUnannounced(t *testing.T) {
	ctx := context.Background()
	e, rec, t0 := onlineEngine(t)
	e.SetSettle(3 * time.Second)
	n0 := len(rec.got)
	observe := func(at time.Duration, probs map[string]float64) {
		t.Helper()
		best, p := mostLikely(probs)
		if err := e.ObserveLocation(ctx, Location{Track: "t1", Class: event.ClassLTE, Link: event.LinkUplink, Room: best, Prob: p,
			RoomProbs: probs, At: t0.Add(at)}); err != nil {
			t.Fatal(err)
		}
	}
	tick := func(at time.Duration) {
		t.Helper()
		if err := e.Tick(ctx, t0.Add(at)); err != nil {
			t.Fatal(err)
		}
	}
	inCell := func() (rooms []string) {
		for _, a := range rec.got[n0:] {
			if a.Rule == "unauthorised-uplink-in-cell" {
				rooms = append(rooms, a.State+" "+a.Room)
			}
		}
		return rooms
	}
	observe(0, map[string]float64{"B2-03": 0.41, "B2-14": 0.22})
	for s := time.Second; s <= 5*time.Second; s += time.Second {
		observe(s, map[string]float64{"B2-landing": 0.9, "B2-14": 0.05})
		tick(s)
	}
	tick(3 * time.Minute) // resolve_after (2 min) after the cell fix
	if got := inCell(); len(got) > 0 {
		t.Fatalf("in-cell alert published %v: want none, its track left the cells before it was announced", got)
	}
	for _, a := range e.All() {
		if a.Rule == "unauthorised-uplink-in-cell" {
			t.Errorf("All lists %s (%s): want it withdrawn unannounced", a.ID, a.State)
		}
	}
	if n := len(e.short["unauthorised-uplink-in-cell"]); n != 0 {
		t.Errorf("%d bursts counted: want none for an alert never announced", n)
	}
	// The handset in a cell later: a new alert, announced once settled.
	at := 4 * time.Minute
	for s := at; s <= at+4*time.Second; s += time.Second {
		observe(s, map[string]float64{"B2-14": 0.7})
		tick(s)
	}
	if got, want := inCell(), []string{"pending B2-14"}; !slices.Equal(got, want) {
		t.Errorf("in-cell publications %v, want %v", got, want)
	}
}

// TestSettlingAnnouncedAtStop: fusion stopping while a new phone alert
// waits for its fixes to settle announces it pending then (and stores
// it), in the room its fixes name so far, with its first fix's active
// time; the next run continues that alert, which fires `for` after its
// first fix. One whose track's latest fix left the rule's rooms stays
// unannounced. Until 2026-12-07 the settling alert was forgotten: never
// announced, and the phone still in use after the restart raised a new
// alert, its hold begun again.
func TestSettlingAnnouncedAtStop(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "alerts.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t0 := time.Unix(1_800_000_000, 0)
	rec := &recorder{}
	first, err := New(DefaultConfig(), wing(t), db, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	first.SetSettle(3 * time.Second)
	online(t, first, t0)
	n0 := len(rec.got)
	observe := func(e *Engine, track string, at time.Duration, probs map[string]float64) {
		t.Helper()
		best, p := mostLikely(probs)
		if err := e.ObserveLocation(ctx, Location{Track: track, Class: event.ClassLTE, Link: event.LinkUplink, Room: best, Prob: p,
			RoomProbs: probs, At: t0.Add(at)}); err != nil {
			t.Fatal(err)
		}
	}
	cell := map[string]float64{"B2-14": 0.7, "B2-13": 0.1}
	observe(first, "t1", 0, cell)
	// t2 opens in a cell, then its latest fix is on the landing.
	observe(first, "t2", 0, map[string]float64{"B2-03": 0.6})
	observe(first, "t2", time.Second, map[string]float64{"B2-landing": 0.9})
	if err := first.Tick(ctx, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if len(rec.got) != n0 {
		t.Fatalf("published %d before the stop, want none (settling)", len(rec.got)-n0)
	}
	stop := t0.Add(1500 * time.Millisecond)
	if err := first.AnnounceSettling(ctx, stop); err != nil {
		t.Fatal(err)
	}
	var id string
	n := 0
	for _, a := range rec.got[n0:] {
		if a.Rule != "unauthorised-uplink-in-cell" {
			continue // the any-room rule's, of t2 on the landing
		}
		n++
		if a.State != event.AlertPending || a.Room != "B2-14" || a.ActiveNS != t0.UnixNano() {
			t.Errorf("published at the stop %s in %s active %v; want the t1 alert pending in B2-14, active at its first fix",
				a.State, a.Room, time.Unix(0, a.ActiveNS).Sub(t0))
			continue
		}
		id = a.ID
	}
	if n != 1 || id == "" {
		t.Fatalf("in-cell alerts published at the stop %d, want 1 (t1's; t2's latest fix is on the landing)", n)
	}
	stored, err := db.Alerts(ctx, store.AlertFilter{Site: "hmp-test", State: event.AlertPending})
	if err != nil || !slices.ContainsFunc(stored, func(a event.Alert) bool { return a.ID == id }) {
		t.Fatalf("stored pending alerts %v (%v), want %s among them", stored, err, id)
	}

	// The next run, 20 s later: the phone is still in the cell, under a
	// new track.
	rec2 := &recorder{}
	second, err := New(DefaultConfig(), wing(t), db, rec2, nil)
	if err != nil {
		t.Fatal(err)
	}
	second.SetSettle(3 * time.Second)
	online(t, second, t0.Add(20*time.Second))
	for s := 20 * time.Second; s <= 60*time.Second; s += time.Second {
		observe(second, "u1", s, cell)
		if err := second.Tick(ctx, t0.Add(s)); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, a := range rec2.got {
		if a.Rule == "unauthorised-uplink-in-cell" {
			got = append(got, a.ID+" "+a.State)
		}
	}
	if len(got) == 0 || got[len(got)-1] != id+" "+event.AlertFiring || slices.ContainsFunc(got, func(g string) bool { return !strings.HasPrefix(g, id+" ") }) {
		t.Errorf("next run published %q; want only alert %s, firing", got, id)
	}
}
