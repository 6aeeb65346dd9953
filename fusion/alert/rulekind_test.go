package alert

import (
	"context"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
)

// TestAlertSaysRuleKind: every alert fusion publishes and stores says the
// kind of the rule that raised it (event.Alert.RuleKind), whatever its
// class: a drone rule watching Wi-Fi video links raises an alert of class
// wifi that says "drone", where the dashboard, which has no copy of the
// rules, judged such an alert in no drone_drop incident by its class, a
// phone's. A phone's says unauthorised_uplink, a dead sensor's
// sensor_offline. The rules here are named apart from their kinds.
func TestAlertSaysRuleKind(t *testing.T) {
	ctx := context.Background()
	cfg := DefaultConfig()
	for i := range cfg.Rules {
		r := &cfg.Rules[i]
		r.Name = "watch-" + r.Name
		if r.Kind == KindDrone {
			r.Classes = append(r.Classes, event.ClassWiFi)
		}
	}
	db := alertDB(t)
	rec := &recorder{}
	e, err := New(cfg, wing(t), db, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1_800_000_000, 0)
	online(t, e, t0)
	if err := e.ObserveStatus(ctx, "s2", event.StatusOffline, t0); err != nil {
		t.Fatal(err)
	}
	for s := 0; s <= 40; s += 5 {
		at := t0.Add(time.Duration(s) * time.Second)
		for _, loc := range []Location{
			{Track: "vid", Class: event.ClassWiFi, Link: event.LinkUnknown, Room: "yard", Prob: 0.95,
				RoomProbs: map[string]float64{"yard": 0.95}, Pos: site.Point{X: 15, Y: -8}},
			{Track: "ph", Class: event.ClassLTE, Link: event.LinkUplink, Room: "B2-14", Prob: 0.9,
				RoomProbs: map[string]float64{"B2-14": 0.9}},
		} {
			loc.At, loc.Evidence = at, []string{loc.Track + "-d1"}
			if err := e.ObserveLocation(ctx, loc); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.Tick(ctx, at); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ rule, class, want string }{
		{"watch-drone", event.ClassWiFi, KindDrone},
		{"watch-unauthorised-uplink-in-cell", event.ClassLTE, KindUnauthorisedUplink},
		{"watch-sensor-offline", "", KindSensorOffline},
	} {
		var pub []event.Alert
		rec.mu.Lock()
		for _, a := range rec.got {
			if a.Rule == tc.rule {
				pub = append(pub, a)
			}
		}
		rec.mu.Unlock()
		if len(pub) == 0 {
			t.Errorf("rule %s: no alert published", tc.rule)
			continue
		}
		for _, a := range pub {
			if a.RuleKind != tc.want || a.Class != tc.class {
				t.Errorf("rule %s: published %s (%s) with rule_kind %q, class %q; want %q, %q", tc.rule, a.ID, a.State, a.RuleKind, a.Class, tc.want, tc.class)
			}
		}
		stored, err := db.Alert(ctx, pub[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.RuleKind != tc.want {
			t.Errorf("rule %s: stored %s with rule_kind %q, want %q", tc.rule, stored.ID, stored.RuleKind, tc.want)
		}
	}
}

// TestHeldAlertGainsRuleKind: an alert an earlier run left open and stored
// without a rule kind (before 2026-12-07) has its rule's kind once the
// new run holds it and stores it again.
func TestHeldAlertGainsRuleKind(t *testing.T) {
	ctx := context.Background()
	db := alertDB(t)
	t0 := time.Unix(1_800_000_000, 0)
	old := event.Alert{Schema: event.SchemaVersion, ID: "old-phone", Site: wing(t).ID, Rule: "unauthorised-uplink-in-cell",
		Severity: event.SeverityCritical, State: event.AlertFiring, Summary: "phone", Room: "B2-14", Track: "ph", Class: event.ClassLTE,
		Probability: 0.9, ActiveNS: t0.Add(-time.Minute).UnixNano(), UpdatedNS: t0.Add(-30 * time.Second).UnixNano()}
	if err := db.UpsertAlert(ctx, old); err != nil {
		t.Fatal(err)
	}
	e, err := New(DefaultConfig(), wing(t), db, &recorder{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	online(t, e, t0)
	for s := 0; s <= 20; s += 5 {
		at := t0.Add(time.Duration(s) * time.Second)
		loc := Location{Track: "ph", Class: event.ClassLTE, Link: event.LinkUplink, Room: "B2-14", Prob: 0.9,
			RoomProbs: map[string]float64{"B2-14": 0.9}, At: at, Evidence: []string{"d1"}}
		if err := e.ObserveLocation(ctx, loc); err != nil {
			t.Fatal(err)
		}
		if err := e.Tick(ctx, at); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.Alert(ctx, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != event.AlertFiring || got.RuleKind != KindUnauthorisedUplink {
		t.Errorf("held alert stored %s with rule_kind %q, want firing with %q", got.State, got.RuleKind, KindUnauthorisedUplink)
	}
}
