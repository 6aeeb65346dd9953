package alert

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestRestartKeepsSensorOffline: fusion restarting does not resolve the
// sensor-offline alert of a sensor still dead: the new run takes it over
// (same ID, still firing) whether the sensor's retained will reaches it
// or nothing does, and resolves it when the sensor is heard. One whose
// sensor is heard online as fusion starts resolves. Every restart
// resolved them all ("alert left open by an earlier run resolved"),
// and a new alert fired for the dead ones a minute or more later.
func TestRestartKeepsSensorOffline(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "alerts.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t0 := time.Unix(1_800_000_000, 0)
	first, err := New(DefaultConfig(), wing(t), db, &recorder{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	online(t, first, t0)
	for _, s := range []string{"s2", "s3", "s4"} {
		if err := first.ObserveStatus(ctx, s, event.StatusOffline, t0); err != nil {
			t.Fatal(err)
		}
	}
	for d := time.Duration(0); d <= 31*time.Second; d += time.Second {
		if err := first.Tick(ctx, t0.Add(d)); err != nil {
			t.Fatal(err)
		}
	}
	was := map[string]string{} // sensor → alert ID
	for _, a := range first.Active() {
		if a.State != event.AlertFiring {
			t.Fatalf("before the restart %s is %s, want firing", a.ID, a.State)
		}
		was[a.Sensor] = a.ID
	}
	if len(was) != 3 {
		t.Fatalf("before the restart %d alerts firing, want 3 (s2, s3, s4)", len(was))
	}

	// Fusion restarts a minute later: s2's retained will arrives as it
	// subscribes, s4 says online, s3 says nothing; every other sensor
	// is heard.
	t1 := t0.Add(time.Minute)
	rec := &recorder{}
	second, err := New(DefaultConfig(), wing(t), db, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, sn := range second.site.Sensors {
		status := event.StatusOnline
		switch sn.ID {
		case "s2":
			status = event.StatusOffline
		case "s3":
			continue
		}
		if err := second.ObserveStatus(ctx, sn.ID, status, t1); err != nil {
			t.Fatal(err)
		}
	}
	for d := time.Duration(0); d <= UnheardAfter+40*time.Second; d += time.Second {
		if err := second.Tick(ctx, t1.Add(d)); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]string{}
	for _, a := range second.Active() {
		got[a.Sensor] = a.ID + "/" + a.State
	}
	for _, s := range []string{"s2", "s3"} {
		if want := was[s] + "/" + event.AlertFiring; got[s] != want {
			t.Errorf("after the restart %s's alert %q, want %q (the same, still firing)", s, got[s], want)
		}
	}
	if g, ok := got["s4"]; ok {
		t.Errorf("after the restart s4, heard online, has alert %s", g)
	}
	if stored, err := db.Alerts(ctx, store.AlertFilter{Site: "hmp-test", State: event.AlertFiring}); err != nil || len(stored) != 2 {
		t.Errorf("stored firing alerts %d (%v), want s2's and s3's", len(stored), err)
	}
	// s3 comes back: its alert resolves.
	if err := second.ObserveHealth(ctx, event.Health{Schema: 1, Site: "hmp-test", Sensor: "s3", State: event.StateOK}, t1.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	for _, a := range second.Active() {
		if a.Sensor == "s3" {
			t.Errorf("s3 heard again, its alert %s is still %s", a.ID, a.State)
		}
	}
}
