package fusion

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

// TestRestartContinuesPhoneAlertInFusion: fusion, over one SQLite store,
// raises a phone's alert in its cell, officer7 acknowledges it, and
// fusion restarts (an upgrade) with simulated time running on. Heard
// again after the restart, through the whole pipeline (association,
// location from the sensors that report first, a new track), the phone
// continues the same alert: its ID, acknowledgement and incident, the
// only alert of the rule. Until 2026-12-05 the restart resolved it at
// once and the phone raised a new alert, unacknowledged, in a new
// incident (the demo's L2-S02 phone). A second phone in another cell
// after the restart has an alert of its own.
func TestRestartContinuesPhoneAlertInFusion(t *testing.T) {
	const rule = "unauthorised-uplink-in-cell"
	ctx := context.Background()
	s, err := site.LoadFile("../testdata/sites/wing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "alerts.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	run := func(now time.Time, script string) *scenario {
		t.Helper()
		sc := &scenario{t: t, auth: scenarioRegistry(t, s), now: now, rng: rand.New(rand.NewPCG(1, uint64(now.Unix()))),
			noiseDBmPerMHz: -100, maint: fakeMaintenance{}, ts: &storetest.Recorder{}}
		sc.eng, err = New(Config{NoiseDBmPerMHz: sc.noiseDBmPerMHz, DetectSNRDB: detectSNRDB, ScanBandsHz: scanBandsHz},
			Deps{Site: s, Authorizer: sc.auth, Maintenance: sc.maint, TimeSeries: sc.ts, AlertStore: db, Clock: func() time.Time { return sc.now }})
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(script, "\n") {
			if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			if err := sc.exec(line); err != nil {
				t.Fatalf("line %d: %s: %v", i+1, line, err)
			}
		}
		if err := sc.eng.Close(ctx); err != nil {
			t.Fatal(err)
		}
		return sc
	}
	first := run(time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), `
		status all online
		emit p1 class=lte x=7 y=9 tx=15 every=5s for=30s
		expect alert rule=`+rule+` state=firing room=B2-10
		ack rule=`+rule+` user=officer7 note=searching
	`)
	was := first.eng.Alerts().Active()
	if len(was) != 1 || was[0].AckBy != "officer7" || was[0].Incident == "" {
		t.Fatalf("before the restart %+v, want one alert, acknowledged, in an incident", was)
	}
	// Fusion's Close stored the alert's last fix (its track's latest
	// location) and the band of its emission, for the next run.
	var lastFix int64
	for _, l := range first.ts.Locs {
		if l.Track == was[0].Track {
			lastFix = max(lastFix, l.TimeNS)
		}
	}
	if stored, err := db.Alert(ctx, was[0].ID); err != nil || stored.LastFixNS != lastFix || lastFix == 0 || stored.Band == "" {
		t.Errorf("stored at Close %+v, %v; want its last fix %d and its band", stored, err, lastFix)
	}
	second := run(first.now.Add(5*time.Second), `
		status all online
		every 5s for=30s
		emit p1 class=lte x=7 y=9 tx=15
		emit p2 class=lte x=37 y=1 tx=15 freq=1.765e9
		end
		expect alerts 2 rule=`+rule+`
		expect alert rule=`+rule+` state=firing room=B2-10 acked=true
		expect alert rule=`+rule+` state=firing room=B2-08 acked=false
	`)
	for _, a := range second.eng.Alerts().Active() {
		if a.Room == "B2-10" && (a.ID != was[0].ID || a.Incident != was[0].Incident) {
			t.Errorf("after the restart B2-10's alert %s in %s, want %s in %s", a.ID, a.Incident, was[0].ID, was[0].Incident)
		}
	}
	firing, err := db.Alerts(ctx, store.AlertFilter{Site: s.ID, State: event.AlertFiring})
	if err != nil {
		t.Fatal(err)
	}
	if len(firing) != 2 {
		t.Errorf("%d alerts firing in the store, want B2-10's and B2-08's", len(firing))
	}
}
