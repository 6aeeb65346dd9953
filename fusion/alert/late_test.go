package alert

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestLateFixKeepsAlert: a phone in B2-14 is located every 5 s; one fix
// arrives late (a sensor's outbox sending again, after a network cut, what
// it captured 3 min ago). It took the alert's last sighting back 3 min:
// the next Tick resolved it, and the phone raised a second alert.
func TestLateFixKeepsAlert(t *testing.T) {
	ctx := context.Background()
	e, rec, t0 := onlineEngine(t)
	loc := Location{Track: "t1", Class: event.ClassLTE, Link: event.LinkUplink, Room: "B2-14", Prob: 0.8, Evidence: []string{"d1"}}
	for s := 0; s <= 90; s++ {
		now := t0.Add(time.Duration(s) * time.Second)
		if s%5 == 0 {
			loc.At = now
			if s == 30 {
				loc.At = now.Add(-3 * time.Minute)
			}
			if err := e.ObserveLocation(ctx, loc); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.Tick(ctx, now); err != nil {
			t.Fatal(err)
		}
	}
	ids := map[string]bool{}
	for _, a := range rec.got {
		ids[a.ID] = true
	}
	if got := rec.states(); len(ids) != 1 || slices.Contains(got, "unauthorised-uplink-in-cell:resolved") {
		t.Errorf("%d alerts, transitions %v; want one alert, firing", len(ids), got)
	}
}

// TestRestartTakesOverOrphans: fusion restarts (a new engine over the
// same store) while a phone's alert is firing, the phone heard throughout.
// The old alert stayed firing in the store for ever; then the new engine
// resolved it at its first Tick, and the phone raised a second alert; now
// the new engine continues it (the same alert, the only one firing), and
// a third run, the phone gone, resolves it resolve_after after it starts.
func TestRestartTakesOverOrphans(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "alerts.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	t0 := time.Unix(1_800_000_000, 0)
	run := func(from, to int, track string, heard bool) *recorder {
		loc := Location{Track: track, Class: event.ClassLTE, Link: event.LinkUplink, Room: "B2-14", Prob: 0.8, Evidence: []string{"d1"}}
		rec := &recorder{}
		e, err := New(DefaultConfig(), wing(t), db, rec, nil)
		if err != nil {
			t.Fatal(err)
		}
		online(t, e, t0.Add(time.Duration(from)*time.Second))
		for s := from; s <= to; s++ {
			now := t0.Add(time.Duration(s) * time.Second)
			if s%5 == 0 && heard {
				loc.At = now
				if err := e.ObserveLocation(ctx, loc); err != nil {
					t.Fatal(err)
				}
			}
			if err := e.Tick(ctx, now); err != nil {
				t.Fatal(err)
			}
		}
		return rec
	}
	first := run(0, 60, "trk-a-1", true) // fires at 10 s
	second := run(61, 120, "trk-b-1", true)
	old, err := db.Alert(ctx, first.got[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if old.State != event.AlertFiring || old.Track != "trk-b-1" {
		t.Errorf("the alert of the run before the restart is %s (track %s) in the store, want firing, continued by trk-b-1", old.State, old.Track)
	}
	if len(second.got) != 0 {
		t.Errorf("the restarted engine published %v, want nothing (the alert goes on)", second.states())
	}
	firing, err := db.Alerts(ctx, store.AlertFilter{Site: "hmp-test", State: event.AlertFiring})
	if err != nil {
		t.Fatal(err)
	}
	if len(firing) != 1 || firing[0].ID != old.ID {
		t.Errorf("firing in the store: %+v, want the one alert, %s", firing, old.ID)
	}
	third := run(121, 121+120, "", false)
	if old, err = db.Alert(ctx, old.ID); err != nil {
		t.Fatal(err)
	}
	if old.State != event.AlertResolved || old.UpdatedNS != t0.Add(241*time.Second).UnixNano() {
		t.Errorf("the phone gone, the alert is %s at %v, want resolved 2m0s after the third run started", old.State, time.Unix(0, old.UpdatedNS).Sub(t0))
	}
	if got := third.states(); !slices.Equal(got, []string{"unauthorised-uplink-in-cell:resolved"}) {
		t.Errorf("the third run published %v, want the alert's resolution", got)
	}
}

// TestHealthTimedByFusion: a sensor-health rule's For runs on fusion's
// clock whatever the sensor's says; with the sensor's clock an hour behind
// (no real-time clock after a power cut) a tamper alert fired at once.
// And a sensor in maintenance by fusion's clock raises none, however far
// ahead its own clock is.
func TestHealthTimedByFusion(t *testing.T) {
	for _, skew := range []time.Duration{0, -time.Hour, time.Hour} {
		t.Run(fmt.Sprint("sensor clock ", skew), func(t *testing.T) {
			ctx := context.Background()
			e, rec, t0 := onlineEngine(t)
			firedAt := -1
			for s := 0; s <= 60; s++ {
				now := t0.Add(time.Duration(s) * time.Second)
				if s%10 == 0 {
					h := event.Health{Schema: 1, Site: "hmp-test", Sensor: "s3", TimeNS: now.Add(skew).UnixNano(), State: event.StateTampered}
					if err := e.ObserveHealth(ctx, h, now); err != nil {
						t.Fatal(err)
					}
				}
				if err := e.Tick(ctx, now); err != nil {
					t.Fatal(err)
				}
				if firedAt < 0 && slices.Contains(rec.states(), "sensor-health:firing") {
					firedAt = s
				}
			}
			if firedAt < 30 || firedAt > 31 {
				t.Errorf("tamper alert fired at %d s, want 30 s after the first report; %v", firedAt, rec.states())
			}
		})
	}
	ctx := context.Background()
	e, rec, t0 := onlineEngine(t)
	e.SetMaintenance(map[string]time.Time{"s3": t0.Add(10 * time.Minute)})
	h := event.Health{Schema: 1, Site: "hmp-test", Sensor: "s3", TimeNS: t0.Add(15 * time.Minute).UnixNano(), State: event.StateTampered}
	if err := e.ObserveHealth(ctx, h, t0); err != nil {
		t.Fatal(err)
	}
	if err := e.Tick(ctx, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := rec.states(); len(got) != 0 {
		t.Errorf("in maintenance: published %v; want nothing", got)
	}
}

// TestIncidentsForgotten: incidents whose alerts are forgotten are
// forgotten too (the store keeps them); they were kept for the life of the
// process.
func TestIncidentsForgotten(t *testing.T) {
	ctx := context.Background()
	e, _, t0 := onlineEngine(t)
	for i := range 200 {
		loc := Location{Track: fmt.Sprint("t", i), Class: event.ClassLTE, Link: event.LinkUplink, Room: "B2-14", Prob: 0.8}
		for s := 0; s <= 15; s += 5 {
			loc.At = t0.Add(time.Duration(i)*time.Minute + time.Duration(s)*time.Second)
			if err := e.ObserveLocation(ctx, loc); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, h := range []time.Duration{4 * time.Hour, 8 * time.Hour} {
		if err := e.Tick(ctx, t0.Add(200*time.Minute+h)); err != nil {
			t.Fatal(err)
		}
	}
	if n, m := len(e.All()), len(e.Incidents()); m > n {
		t.Errorf("engine remembers %d alerts but %d incidents", n, m)
	}
}
