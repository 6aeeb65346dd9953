package alert

import (
	"cmp"
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

// TestRestartContinuesPhoneAlert: fusion restarts with a phone's alert
// firing and acknowledged (officer1, with a note) in B2-14. A phone heard
// after the restart where that alert is (a new track: fusion keeps no
// track across a restart) continues it: the same ID, acknowledgement,
// note and incident, still firing, no new alert published. One not heard
// again resolves resolve_after after the restart, saying why, not at the
// first tick. A phone in another cell raises an alert of its own. Every
// restart resolved every open alert at once, and a phone still there
// raised a new, unacknowledged alert in a new incident 10 s later (the
// demo's phones in L2-S02 and L1-N08).
func TestRestartContinuesPhoneAlert(t *testing.T) {
	const rule = "unauthorised-uplink-in-cell"
	phone := func(track, room string, probs map[string]float64, s int, t0 time.Time) Location {
		if probs == nil {
			probs = map[string]float64{room: 0.8}
		}
		return Location{Track: track, Class: event.ClassLTE, Link: event.LinkUplink, Room: room, Prob: probs[room],
			RoomProbs: probs, Evidence: []string{fmt.Sprintf("%s-%d", track, s)}, At: t0.Add(time.Duration(s) * time.Second)}
	}
	for _, tc := range []struct {
		name  string
		from  int                                  // the first fix after the restart, seconds after t0 (40 when 0)
		after func(t0 time.Time, s int) []Location // fixes at s seconds after t0, after the restart
		// adopted: the earlier alert goes on (after the fixes, still
		// firing); else it resolves resolve_after after the restart.
		adopted bool
		other   string // the room of a new alert, "" for none
	}{
		{"heard again in its cell", 0, func(t0 time.Time, s int) []Location {
			return []Location{phone("trk-new-1", "B2-14", nil, s, t0)}
		}, true, ""},
		{"heard before the first tick", 35, func(t0 time.Time, s int) []Location {
			return []Location{phone("trk-new-1", "B2-14", nil, s, t0)}
		}, true, ""},
		{"first fixes vague, its cell nearly as likely", 0, func(t0 time.Time, s int) []Location {
			return []Location{phone("trk-new-1", "B2-13", map[string]float64{"B2-13": 0.2, "B2-14": 0.15, "B2-15": 0.1}, s, t0)}
		}, true, ""},
		{"not heard again", 0, func(time.Time, int) []Location { return nil }, false, ""},
		{"another phone in another cell", 0, func(t0 time.Time, s int) []Location {
			return []Location{phone("trk-new-1", "B2-03", nil, s, t0)}
		}, false, "B2-03"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db := alertDB(t)
			t0 := time.Unix(1_800_000_000, 0)
			first := runFirst(t, db, wing(t), t0, func(s int) Location { return phone("trk-old-1", "B2-14", nil, s, t0) })
			act := first.Active()
			if len(act) != 1 || act[0].State != event.AlertFiring || act[0].Incident == "" {
				t.Fatalf("before the restart %+v, want one alert firing in an incident", act)
			}
			was := act[0]
			if _, err := first.Ack(ctx, was.ID, "officer1", "cell searched at 14:02", t0.Add(25*time.Second)); err != nil {
				t.Fatal(err)
			}

			// Fusion restarts 5 s later (an upgrade).
			restart := t0.Add(35 * time.Second)
			rec := &recorder{}
			second, err := New(DefaultConfig(), wing(t), db, rec, nil)
			if err != nil {
				t.Fatal(err)
			}
			online(t, second, restart)
			resolveAfter := time.Duration(second.rule(rule).ResolveAfter)
			end := 35 + int(resolveAfter/time.Second) + 5
			for s := 35; s <= end; s++ {
				now := t0.Add(time.Duration(s) * time.Second)
				if s >= cmp.Or(tc.from, 40) && s <= 60 {
					for _, loc := range tc.after(t0, s) {
						if err := second.ObserveLocation(ctx, loc); err != nil {
							t.Fatal(err)
						}
					}
				}
				if err := second.Tick(ctx, now); err != nil {
					t.Fatal(err)
				}
				stored, err := db.Alert(ctx, was.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !tc.adopted && now.Before(restart.Add(resolveAfter)) && stored.State != event.AlertFiring {
					t.Fatalf("%v after the restart the earlier alert is %s, want firing until resolve_after (%v) has passed", now.Sub(restart), stored.State, resolveAfter)
				}
			}
			stored, err := db.Alert(ctx, was.ID)
			if err != nil {
				t.Fatal(err)
			}
			if stored.AckBy != "officer1" || stored.AckNote != "cell searched at 14:02" || stored.Incident != was.Incident {
				t.Errorf("stored %+v, want officer1's acknowledgement and note kept, incident %s", stored, was.Incident)
			}
			var others []event.Alert
			for _, a := range rec.got {
				if a.ID != was.ID {
					others = append(others, a)
				}
			}
			if tc.adopted {
				// The phone went quiet at 60 s: its alert resolves
				// resolve_after later, after the loop's end.
				if stored.State != event.AlertFiring || stored.Room != "B2-14" {
					t.Errorf("after the phone was heard again the earlier alert is %s in %s, want firing in B2-14", stored.State, stored.Room)
				}
				got := second.Active()
				if len(got) != 1 || got[0].ID != was.ID || got[0].Track != "trk-new-1" || got[0].AckBy != "officer1" {
					t.Errorf("after the restart active %+v, want only %s, acknowledged, continued by trk-new-1", got, was.ID)
				}
				if len(others) != 0 {
					t.Errorf("after the restart published %+v, want no other alert", others)
				}
				inc, err := db.Incident(ctx, was.Incident)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Contains(inc.Detections, "trk-new-1-40") || !slices.Contains(inc.Detections, "trk-old-1-10") {
					t.Errorf("incident %s detections %v, want the earlier run's and this run's", inc.ID, inc.Detections)
				}
				return
			}
			if stored.State != event.AlertResolved || stored.UpdatedNS != restart.Add(resolveAfter).UnixNano() {
				t.Errorf("the earlier alert %s at %v, want resolved at the restart + resolve_after (%v)",
					stored.State, time.Unix(0, stored.UpdatedNS).Sub(restart), resolveAfter)
			}
			if !strings.Contains(stored.Summary, "restart") {
				t.Errorf("resolved summary %q, want it to say it was not heard again after fusion's restart", stored.Summary)
			}
			var rooms []string
			for _, a := range others {
				if a.State == event.AlertPending {
					rooms = append(rooms, a.Room)
				}
			}
			if want := []string{tc.other}; tc.other == "" && len(rooms) != 0 || tc.other != "" && (len(rooms) != 1 || rooms[0] != want[0]) {
				t.Errorf("new alerts raised in %v, want %q", rooms, tc.other)
			}
		})
	}
}

// TestRestartPendingMovesIntoEarlierAlert: after a restart a phone's
// first fixes place it clearly in the next cell (B2-13), where its new
// track opens a pending alert; its later fixes place it in B2-14, where
// the earlier run's alert is. The pending alert, which would have
// followed its track there, is withdrawn, its summary naming the earlier
// alert, and the earlier alert continues: one alert for the phone, as
// before the restart.
func TestRestartPendingMovesIntoEarlierAlert(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "alerts.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	t0 := time.Unix(1_800_000_000, 0)
	fix := func(track string, probs map[string]float64, s int) Location {
		room, p := "", 0.0
		for id, q := range probs {
			if q > p {
				room, p = id, q
			}
		}
		return Location{Track: track, Class: event.ClassLTE, Link: event.LinkUplink, Room: room, Prob: p, RoomProbs: probs,
			Evidence: []string{fmt.Sprintf("%s-%d", track, s)}, At: t0.Add(time.Duration(s) * time.Second)}
	}
	play := func(e *Engine, from, to int, f func(s int) Location) {
		for s := from; s <= to; s++ {
			if err := e.ObserveLocation(ctx, f(s)); err != nil {
				t.Fatal(err)
			}
			if err := e.Tick(ctx, t0.Add(time.Duration(s)*time.Second)); err != nil {
				t.Fatal(err)
			}
		}
	}
	first, err := New(DefaultConfig(), wing(t), db, &recorder{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	online(t, first, t0)
	play(first, 0, 30, func(s int) Location { return fix("trk-old-1", map[string]float64{"B2-14": 0.8}, s) })
	was := first.Active()
	if len(was) != 1 || was[0].State != event.AlertFiring {
		t.Fatalf("before the restart %+v, want one alert firing", was)
	}
	rec := &recorder{}
	second, err := New(DefaultConfig(), wing(t), db, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	online(t, second, t0.Add(35*time.Second))
	play(second, 35, 37, func(s int) Location { return fix("trk-new-1", map[string]float64{"B2-13": 0.8, "B2-14": 0.05}, s) })
	play(second, 38, 45, func(s int) Location { return fix("trk-new-1", map[string]float64{"B2-14": 0.8, "B2-13": 0.05}, s) })
	got := second.Active()
	if len(got) != 1 || got[0].ID != was[0].ID || got[0].State != event.AlertFiring || got[0].Room != "B2-14" {
		t.Fatalf("after the restart active %+v, want only %s, firing in B2-14", got, was[0].ID)
	}
	var withdrawn []event.Alert
	for _, a := range rec.got {
		if a.ID != was[0].ID && a.State == event.AlertResolved {
			withdrawn = append(withdrawn, a)
		}
	}
	if len(withdrawn) != 1 || withdrawn[0].Room != "B2-13" || !strings.Contains(withdrawn[0].Summary, was[0].ID) {
		t.Errorf("withdrawn %+v, want the pending alert in B2-13, naming %s", withdrawn, was[0].ID)
	}
}
