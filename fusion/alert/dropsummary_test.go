package alert

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestDropSummaryUnlocatedPhone: a phone's alert in B2-03 joins a
// drone's drop incident; it resolves; the phone's track (held by the
// tracker for resolve_after, reback) is heard again by one sensor only and
// its new alert, in no room, fires and joins the same incident (its
// track's earlier alert's). The incident summary names the phone's
// latest room known, B2-03; until 2026-12-05 it read "drone drop
// followed by unauthorised phone in ".
func TestDropSummaryUnlocatedPhone(t *testing.T) {
	e, see, t0 := droneEngine(t, 0)
	ctx := context.Background()
	for i := 0; i <= 20; i++ {
		see("d1", event.ClassDroneVideo, "yard", site.Point{X: 12, Y: -2}, t0.Add(time.Duration(i)*time.Second))
		if err := e.Tick(ctx, t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	for i := 30; i <= 50; i++ {
		see("ph", event.ClassLTE, "B2-03", site.Point{X: 12, Y: 2}, t0.Add(time.Duration(i)*time.Second))
		if err := e.Tick(ctx, t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	for i := 51; i <= 200; i++ {
		if err := e.Tick(ctx, t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	for i := 201; i <= 220; i++ {
		if err := e.ObserveLocation(ctx, phoneFix("ph", vagueCells(nil), i, t0)); err != nil {
			t.Fatal(err)
		}
		if err := e.Tick(ctx, t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	drops := 0
	for _, inc := range e.Incidents() {
		t.Logf("incident %s %s rooms %v alerts %v: %q", inc.ID, inc.Kind, inc.Rooms, inc.Alerts, inc.Summary)
		if inc.Kind != "drone_drop" {
			continue
		}
		drops++
		if len(inc.Alerts) != 3 {
			t.Errorf("drop incident alerts %v, want the drone's and both of the phone's", inc.Alerts)
		}
		if want := "drone drop followed by unauthorised phone in B2-03"; inc.Summary != want {
			t.Errorf("drop incident summary %q, want %q", inc.Summary, want)
		}
	}
	if drops != 1 {
		t.Errorf("%d drop incidents, want 1", drops)
	}
}

// TestDropSummaryPhoneNoRoom: a drop incident whose phones' alerts name
// no room says so, and names no empty room.
func TestDropSummaryPhoneNoRoom(t *testing.T) {
	e, _, _ := onlineEngine(t)
	ph := &alertState{rule: &e.cfg.Rules[0], alert: event.Alert{ID: "ph"}}
	e.alerts["x/ph"] = ph
	for _, tc := range []struct {
		room, want string
	}{
		{"", "drone drop followed by unauthorised phone, position unknown"},
		{"B2-03", "drone drop followed by unauthorised phone in B2-03"},
	} {
		ph.alert.Room = tc.room
		if got := e.droneSummary(&store.Incident{Kind: "drone_drop", Alerts: []string{"ph"}}); got != tc.want {
			t.Errorf("phone in room %q: summary %q, want %q", tc.room, got, tc.want)
		}
	}
}

// TestDropSummaryDropsResolvedPilotNote: drone A's video link places it
// over the yard, its pilot's controller heard near cell B2-03 meanwhile:
// A's alert and its drop incident end "; pilot's controller near cell
// B2-03". A flies off 300 m; drone B comes 80 m from where A was, more
// than visit_separation_m from A now: a visit of its own, whose alert
// joins A's case (its path near A's), no controller heard with it. A goes
// unheard and its alert resolves (resolve_after); B, still there, is heard
// on a second link, and the case's summary is made anew: it no longer
// says where A's pilot was, as no live alert of the case places a pilot
// (B's says nothing of one). Until 2026-12-08 the resolved alert's note,
// which nothing clears, still counted, and the case kept it.
func TestDropSummaryDropsResolvedPilotNote(t *testing.T) {
	e, t0 := onlineEngineFor(t, wing(t), &recorder{})
	note := "; pilot's controller near cell B2-03"
	var fixes []linkFix
	fixes = append(fixes, every(linkFix{track: "a", class: event.ClassDroneVideo, room: "yard", x: 20, y: -15}, 0, 40, 2, 0, 0)...)
	fixes = append(fixes, every(linkFix{track: "rc", class: event.ClassRCFHSS, room: "B2-03", x: 12.5, y: 2, sensors: 1}, 1, 39, 2, 0, 0)...)
	fixes = append(fixes, every(linkFix{track: "a", class: event.ClassDroneVideo, room: "yard", x: 320, y: -15}, 42, 60, 2, 0, 0)...)
	fixes = append(fixes, every(linkFix{track: "b", class: event.ClassDroneID, room: "yard", x: 100, y: -15}, 50, 200, 2, 0, 0)...)
	drop := func(when string, withNote bool) {
		t.Helper()
		var sums []string
		for _, inc := range e.Incidents() {
			if inc.Kind == "drone_drop" {
				sums = append(sums, inc.Summary)
			}
		}
		if len(sums) != 1 || strings.HasSuffix(sums[0], note) != withNote {
			t.Errorf("%s: drop incidents' summaries %q, want one, ending %q: %v", when, sums, note, withNote)
		}
	}
	playFixes(t, e, t0, slices.Clone(fixes), 0, 0, nil) // to 200 s: A resolved at 180
	drop("A's alert resolved", true)
	act := openDroneAlerts(e)
	if len(act) != 1 || strings.Contains(act[0].Summary, "pilot's") {
		t.Fatalf("drone alerts open %+v, want B's, saying nothing of a pilot", act)
	}
	ctx := context.Background()
	b2 := linkFix{s: 201, track: "b2", class: event.ClassDroneVideo, room: "yard", x: 100, y: -15}
	if err := e.ObserveLocation(ctx, b2.loc(t0)); err != nil {
		t.Fatal(err)
	}
	drop("B heard on a second link", false)
}
