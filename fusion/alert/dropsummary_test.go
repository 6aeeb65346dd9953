package alert

import (
	"context"
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
