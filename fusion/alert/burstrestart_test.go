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

// burstsWithRestarts plays burstNight's phone (2 s of uplink in B2-14,
// five confident fixes, a new track each, every 3 min for an hour) on
// engines over one SQLite store, fusion stopping at each of restarts
// (after t0) for down and a new engine starting on the store. It returns
// the firing publications of the cell rule, and the incidents stored.
func burstsWithRestarts(t *testing.T, restarts []time.Duration, down time.Duration) ([]event.Alert, []store.Incident) {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "alerts.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rec := &recorder{}
	t0 := time.Unix(1_800_000_000, 0)
	start := func(at time.Time) *Engine {
		e, err := New(DefaultConfig(), wing(t), db, rec, nil)
		if err != nil {
			t.Fatal(err)
		}
		online(t, e, at)
		return e
	}
	e := start(t0)
	var upAt time.Time // when the next engine starts; zero: running
	next, n := t0, 0
	for now := t0; now.Before(t0.Add(time.Hour)); now = now.Add(500 * time.Millisecond) {
		if slices.Contains(restarts, now.Sub(t0)) {
			e, upAt = nil, now.Add(down) // fusion stops: what it held in memory is gone
		}
		if e == nil && !now.Before(upAt) {
			e = start(now)
		}
		if !now.Before(next) {
			room := "B2-14"
			for i := range 5 {
				loc := Location{Track: fmt.Sprintf("t%d", n), Class: event.ClassLTE, Link: event.LinkUplink, Room: room, Prob: 0.95,
					RoomProbs: map[string]float64{room: 0.95, "B2-13": 0.05}, At: now.Add(time.Duration(i) * 500 * time.Millisecond),
					Evidence: []string{fmt.Sprintf("d%d-%d", n, i)}}
				if e == nil {
					continue // sent while fusion is down: the broker would queue it; here it is lost
				}
				if err := e.ObserveLocation(ctx, loc); err != nil {
					t.Fatal(err)
				}
			}
			next, n = now.Add(3*time.Minute), n+1
		}
		if e != nil {
			if err := e.Tick(ctx, now); err != nil {
				t.Fatal(err)
			}
		}
	}
	var fired []event.Alert
	for _, a := range rec.got {
		if a.Rule == "unauthorised-uplink-in-cell" && a.State == event.AlertFiring {
			fired = append(fired, a)
		}
	}
	incs, err := db.Incidents(ctx, store.IncidentFilter{Site: "hmp-test"})
	if err != nil {
		t.Fatal(err)
	}
	return fired, incs
}

// TestBurstsCountedAcrossRestart: a phone used in short bursts (2 s every
// 3 min, each too short to alert alone) fires at every third burst. The
// engine held the bursts in memory only, so a fusion restart (a deploy, a
// crash) between them started the count again from zero: restarted after
// the second burst, the phone fired at the fifth, not the third, and one
// restarted every few bursts never fired. Now the bursts (and the case
// their alert joined) are kept in the store, and a restart within the
// window changes nothing: the same alerts fire at the same times, in the
// same case, with the same bursts. A burst the restart cut (still pending
// as fusion stopped, resolved by the new run) counts too; bursts an alert
// fired on are spent in the store, so a restart does not count them again.
func TestBurstsCountedAcrossRestart(t *testing.T) {
	want, wantIncs := burstsWithRestarts(t, nil, 0)
	if len(want) != 6 {
		t.Fatalf("without a restart %d firings, want 6 (20 bursts, one per 3)", len(want))
	}
	for _, tc := range []struct {
		name     string
		restarts []time.Duration
	}{
		{"between the second and third bursts", []time.Duration{5*time.Minute + 10*time.Second}},
		{"the second burst pending", []time.Duration{3*time.Minute + 30*time.Second}},
		{"after the first firing", []time.Duration{8*time.Minute + 10*time.Second}},
		{"every other burst", []time.Duration{
			3*time.Minute + 30*time.Second, 11*time.Minute + 10*time.Second, 17*time.Minute + 10*time.Second,
			23*time.Minute + 10*time.Second, 29*time.Minute + 30*time.Second, 35*time.Minute + 10*time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, incs := burstsWithRestarts(t, tc.restarts, 20*time.Second)
			if len(got) != len(want) {
				t.Errorf("%d firings, want %d as without a restart", len(got), len(want))
			}
			for i := range min(len(got), len(want)) {
				g, w := got[i], want[i]
				if g.ID != w.ID || g.UpdatedNS != w.UpdatedNS || g.Summary != w.Summary {
					t.Errorf("firing %d: alert %s at %v %q\nwant %s at %v %q as without a restart", i, g.ID, time.Unix(0, g.UpdatedNS).UTC(), g.Summary,
						w.ID, time.Unix(0, w.UpdatedNS).UTC(), w.Summary)
				}
				if !strings.Contains(g.Summary, "heard 3 times in 6 min") {
					t.Errorf("firing %d: summary %q does not say it fired on its bursts", i, g.Summary)
				}
			}
			if len(incs) != len(wantIncs) {
				t.Fatalf("%d incidents, want %d as without a restart: %+v", len(incs), len(wantIncs), incs)
			}
			for i := range incs {
				g, w := incs[i], wantIncs[i]
				if !slices.Equal(sorted(g.Alerts), sorted(w.Alerts)) || !slices.Equal(sorted(g.Detections), sorted(w.Detections)) {
					t.Errorf("incident %s: alerts %v, detections %v\nwant alerts %v, detections %v as without a restart",
						g.ID, g.Alerts, g.Detections, w.Alerts, w.Detections)
				}
			}
		})
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
