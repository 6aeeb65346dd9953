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
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// vagueCells returns five cells tied at 19% (more rooms than
// MaxRunnersUp+1 tie: a fix with them locates no room), plus extra.
func vagueCells(extra map[string]float64) map[string]float64 {
	p := map[string]float64{"B2-01": 0.19, "B2-02": 0.19, "B2-03": 0.19, "B2-04": 0.19, "B2-05": 0.19}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

// phoneFix returns fix s (seconds after t0) of LTE phone track, heard
// by s3 alone, whose room probabilities are probs; its room is their
// most likely (ties by ID).
// alertDB opens an SQLite alert store in the test's folder, closed when
// the test ends: the store a restart test's two engines share.
func alertDB(t *testing.T) *store.SQLite {
	t.Helper()
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "alerts.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// runFirst is the run before a restart: an alert engine for s over db,
// its sensors online at t0, given fix(i) and a tick at each second i from
// 0 to 30.
func runFirst(t *testing.T, db *store.SQLite, s *site.Site, t0 time.Time, fix func(i int) Location) *Engine {
	t.Helper()
	ctx := context.Background()
	first, err := New(DefaultConfig(), s, db, &recorder{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	online(t, first, t0)
	for i := 0; i <= 30; i++ {
		if err := first.ObserveLocation(ctx, fix(i)); err != nil {
			t.Fatal(err)
		}
		if err := first.Tick(ctx, t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	return first
}

func phoneFix(track string, probs map[string]float64, s int, t0 time.Time) Location {
	room, p := "", 0.0
	for id, q := range probs {
		if q > p || q == p && id < room {
			room, p = id, q
		}
	}
	return Location{Track: track, Class: event.ClassLTE, Link: event.LinkUplink, Room: room, Prob: p, RoomProbs: probs,
		Sensors: []string{"s3"}, Evidence: []string{fmt.Sprintf("%s-%d", track, s)}, At: t0.Add(time.Duration(s) * time.Second)}
}

// TestRestartHoldsUnlocatedPhoneAlert: a phone heard by one sensor
// only, its alert firing in no room ("position unknown") and
// acknowledged, is still heard the same way after a restart. Its alert is
// held and continued by the new track's vague fix (its alike cells the
// alert's), acknowledged; no second, unacknowledged alert. Until
// 2026-12-05 it was resolved at the first tick and raised again.
func TestRestartHoldsUnlocatedPhoneAlert(t *testing.T) {
	ctx := context.Background()
	db := alertDB(t)
	t0 := time.Unix(1_800_000_000, 0)
	first := runFirst(t, db, wing(t), t0, func(s int) Location { return phoneFix("trk-old-1", vagueCells(nil), s, t0) })
	act := first.Active()
	if len(act) != 1 || act[0].State != event.AlertFiring || act[0].Room != "" {
		t.Fatalf("before the restart %+v, want one alert firing in no room", act)
	}
	was := act[0]
	if _, err := first.Ack(ctx, was.ID, "officer1", "wing searched", t0.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	second, err := New(DefaultConfig(), wing(t), db, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	online(t, second, t0.Add(35*time.Second))
	if err := second.Tick(ctx, t0.Add(35*time.Second)); err != nil {
		t.Fatal(err)
	}
	stored, err := db.Alert(ctx, was.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.State != event.AlertFiring {
		t.Errorf("at the restart's first tick the earlier unlocated alert is %s (%q), want held firing", stored.State, stored.Summary)
	}
	for s := 40; s <= 60; s++ {
		if err := second.ObserveLocation(ctx, phoneFix("trk-new-1", vagueCells(nil), s, t0)); err != nil {
			t.Fatal(err)
		}
		if err := second.Tick(ctx, t0.Add(time.Duration(s)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range rec.got {
		if a.ID != was.ID && a.State == event.AlertPending {
			t.Errorf("after the restart a new alert %s (%s, %q) beside the acknowledged %s", a.ID, a.State, a.Summary, was.ID)
			break
		}
	}
	act = second.Active()
	if len(act) != 1 || act[0].ID != was.ID || act[0].Track != "trk-new-1" || act[0].AckBy != "officer1" || act[0].Room != "" {
		t.Errorf("after the restart active %+v, want %s continued by trk-new-1 in no room, acknowledged", act, was.ID)
	}
}

// TestRestartUnlocatedPhoneAlertTakesPlacedRoom: an earlier run's alert
// in no room, its alike cells B2-01..B2-05, is continued by a new
// track's first placed fix in one of them, and takes its room (announced
// as a move, as a track's own alert in no room is); a placed fix in a
// cell not among them (B2-14) continues nothing.
func TestRestartUnlocatedPhoneAlertTakesPlacedRoom(t *testing.T) {
	for _, tc := range []struct {
		room      string
		continues bool
	}{
		{"B2-03", true},
		{"B2-14", false},
	} {
		t.Run(tc.room, func(t *testing.T) {
			ctx := context.Background()
			db := alertDB(t)
			t0 := time.Unix(1_800_000_000, 0)
			first := runFirst(t, db, wing(t), t0, func(s int) Location { return phoneFix("trk-old-1", vagueCells(nil), s, t0) })
			was := first.Active()[0]
			if _, err := first.Ack(ctx, was.ID, "officer1", "wing searched", t0.Add(30*time.Second)); err != nil {
				t.Fatal(err)
			}
			second, err := New(DefaultConfig(), wing(t), db, &recorder{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			online(t, second, t0.Add(35*time.Second))
			for s := 35; s <= 50; s++ {
				if s >= 40 {
					if err := second.ObserveLocation(ctx, phoneFix("trk-new-1", map[string]float64{tc.room: 0.8}, s, t0)); err != nil {
						t.Fatal(err)
					}
				}
				if err := second.Tick(ctx, t0.Add(time.Duration(s)*time.Second)); err != nil {
					t.Fatal(err)
				}
			}
			var mine, other *event.Alert
			for _, a := range second.Active() {
				if a.ID == was.ID {
					mine = &a
				} else {
					other = &a
				}
			}
			switch {
			case tc.continues && (mine == nil || mine.Room != tc.room || mine.Track != "trk-new-1" || mine.AckBy != "officer1" || other != nil):
				t.Errorf("earlier alert %+v, other %+v: want %s continued in %s by trk-new-1, acknowledged, and no other", mine, other, was.ID, tc.room)
			case !tc.continues && (mine == nil || mine.Room != "" || mine.Track != "trk-old-1" || other == nil || other.Room != tc.room):
				t.Errorf("earlier alert %+v, other %+v: want %s held in no room and a new alert in %s", mine, other, was.ID, tc.room)
			}
		})
	}
}

// TestRestartHoldsUnlocatedDroneAlert: the demo's drone controller,
// heard by s5 alone (nineteen rooms tied: its alert names no room), fires
// and is acknowledged; fusion restarts and the controller is still heard
// the same way. The acknowledged drone alert continues (a held visit);
// until 2026-12-05 it was resolved at the first tick and raised anew,
// unacknowledged.
func TestRestartHoldsUnlocatedDroneAlert(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "alerts.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	t0 := time.Unix(1_800_000_000, 0)
	probs, tied := controllerTie()
	rc := func(track string, i int) Location {
		top := tied[(i*7)%len(tied)]
		return Location{Track: track, Class: event.ClassRCFHSS, Link: event.LinkUnknown, Room: top, Prob: probs[top],
			RoomProbs: probs, Pos: site.Point{X: 24, Y: 20}, At: t0.Add(time.Duration(i) * time.Second), FreqHz: 2.44e9,
			Confidence: 0.9, Sensors: []string{"s5"}, Evidence: []string{fmt.Sprintf("%s-%d", track, i)}}
	}
	first, err := New(DefaultConfig(), demoSite(t), db, &recorder{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	online(t, first, t0)
	for i := 0; i <= 30; i++ {
		if err := first.ObserveLocation(ctx, rc("rc-old", i)); err != nil {
			t.Fatal(err)
		}
		if err := first.Tick(ctx, t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	act := first.Active()
	if len(act) != 1 || act[0].State != event.AlertFiring || act[0].Room != "" {
		t.Fatalf("before the restart %+v, want the drone alert firing in no room", act)
	}
	was := act[0]
	if _, err := first.Ack(ctx, was.ID, "officer1", "drone team out", t0.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	second, err := New(DefaultConfig(), demoSite(t), db, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	online(t, second, t0.Add(35*time.Second))
	for i := 35; i <= 60; i++ {
		if i >= 40 {
			if err := second.ObserveLocation(ctx, rc("rc-new", i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := second.Tick(ctx, t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	stored, err := db.Alert(ctx, was.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.State != event.AlertFiring {
		t.Errorf("the acknowledged drone alert is %s after the restart (%q), want it continued", stored.State, stored.Summary)
	}
	for _, a := range rec.got {
		if a.ID != was.ID && a.State == event.AlertFiring {
			t.Errorf("a new drone alert %s fired after the restart (ack %q): %s", a.ID, a.AckBy, a.Summary)
			break
		}
	}
}

// TestRestartVagueFixContinuesNoAlertInARoom: before a restart a phone's
// alert fires, acknowledged, in B2-14. After it, another phone (Q) is first
// heard vaguely (five cells B2-01..B2-05 alike at 19%, B2-14 at 0.5%: far
// less than half as likely as the top), then clearly in B2-03; the phone
// in B2-14 (P) is heard clearly from 42 s. The earlier alert should be
// continued by P (its room at least half as likely as the fix's top
// room), not by Q's vague fix: a fix that locates no room continues no
// alert in a room. Until 2026-12-05 it did (its top probability taken
// as 0, any room was likely enough): Q took over the acknowledged alert
// and P raised a second, unacknowledged one in B2-14.
func TestRestartVagueFixContinuesNoAlertInARoom(t *testing.T) {
	ctx := context.Background()
	db := alertDB(t)
	t0 := time.Unix(1_800_000_000, 0)
	first := runFirst(t, db, wing(t), t0, func(s int) Location { return phoneFix("trk-old-P", map[string]float64{"B2-14": 0.8}, s, t0) })
	was := first.Active()[0]
	if _, err := first.Ack(ctx, was.ID, "officer1", "searched", t0.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	second, err := New(DefaultConfig(), wing(t), db, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	online(t, second, t0.Add(35*time.Second))
	for s := 35; s <= 60; s++ {
		var locs []Location
		switch {
		case s == 40:
			locs = append(locs, phoneFix("trk-new-Q", vagueCells(map[string]float64{"B2-14": 0.005}), s, t0))
		case s > 40:
			locs = append(locs, phoneFix("trk-new-Q", map[string]float64{"B2-03": 0.8}, s, t0))
		}
		if s >= 42 {
			locs = append(locs, phoneFix("trk-new-P", map[string]float64{"B2-14": 0.8}, s, t0))
		}
		for _, loc := range locs {
			if err := second.ObserveLocation(ctx, loc); err != nil {
				t.Fatal(err)
			}
		}
		if err := second.Tick(ctx, t0.Add(time.Duration(s)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	found := false
	for _, a := range second.Active() {
		found = found || a.ID == was.ID
		if a.ID == was.ID && a.Track != "trk-new-P" {
			t.Errorf("earlier alert %s (B2-14, acknowledged) continued by %s, want trk-new-P", was.ID, a.Track)
		}
		if a.ID != was.ID && a.Room == "B2-14" {
			t.Errorf("second alert %s in B2-14 (%s, track %s, ack %q) beside the acknowledged %s", a.ID, a.State, a.Track, a.AckBy, was.ID)
		}
	}
	if !found {
		t.Errorf("earlier alert %s (B2-14, acknowledged) no longer active", was.ID)
	}
}

// TestRestartFiringUnlocatedAlertMergesIntoEarlier: after a restart that held
// an acknowledged alert in B2-14, a phone is heard vaguely for 30 s (its
// new alert fires in no room, critical, in an incident of its own), then
// placed in B2-14, where the earlier alert continues. The firing alert
// resolves, its summary naming the earlier one, and its incident (its
// alert and detections) joins the earlier alert's, closed ("other", by
// fusion, saying so, audited as incident.close by fusion). Until
// 2026-12-05 it resolved and left its incident
// open with no live alert.
func TestRestartFiringUnlocatedAlertMergesIntoEarlier(t *testing.T) {
	ctx := context.Background()
	db := alertDB(t)
	t0 := time.Unix(1_800_000_000, 0)
	first := runFirst(t, db, wing(t), t0, func(s int) Location { return phoneFix("trk-old-P", map[string]float64{"B2-14": 0.8}, s, t0) })
	was := first.Active()[0]
	if _, err := first.Ack(ctx, was.ID, "officer1", "searched", t0.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	second, err := New(DefaultConfig(), wing(t), db, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	online(t, second, t0.Add(35*time.Second))
	for s := 35; s <= 80; s++ {
		var loc Location
		if s < 70 {
			loc = phoneFix("trk-new-P", vagueCells(nil), s, t0)
		} else {
			loc = phoneFix("trk-new-P", map[string]float64{"B2-14": 0.8}, s, t0)
		}
		if s >= 40 {
			if err := second.ObserveLocation(ctx, loc); err != nil {
				t.Fatal(err)
			}
		}
		if err := second.Tick(ctx, t0.Add(time.Duration(s)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range rec.got {
		if a.ID != was.ID {
			t.Logf("published %s %s room %q incident %s: %s", a.ID, a.State, a.Room, a.Incident, a.Summary)
		}
	}
	for _, inc := range second.Incidents() {
		live := false
		for _, id := range inc.Alerts {
			for _, a := range second.Active() {
				if a.ID == id {
					live = true
				}
			}
		}
		t.Logf("incident %s state %s rooms %v alerts %v live %v", inc.ID, inc.State, inc.Rooms, inc.Alerts, live)
		if !live && inc.State == "open" {
			t.Errorf("incident %s open with no live alert (its alert withdrawn into %s), detections %v", inc.ID, was.ID, inc.Detections)
		}
	}
	act := second.Active()
	if len(act) != 1 || act[0].ID != was.ID || act[0].Track != "trk-new-P" || act[0].AckBy != "officer1" {
		t.Fatalf("active %+v, want only %s continued by trk-new-P, acknowledged", act, was.ID)
	}
	var merged *event.Alert
	for _, a := range second.All() {
		if a.ID != was.ID {
			merged = &a
		}
	}
	if merged == nil || merged.State != event.AlertResolved || !strings.Contains(merged.Summary, "continued as alert "+was.ID) {
		t.Fatalf("the new run's alert %+v, want resolved, continued as %s", merged, was.ID)
	}
	into, err := db.Incident(ctx, was.Incident)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(into.Alerts, merged.ID) || !slices.Contains(into.Detections, "trk-new-P-40") || !slices.Contains(into.Detections, "trk-new-P-75") {
		t.Errorf("earlier alert's incident %s: alerts %v, detections %v: want %s and its detections from trk-new-P-40", into.ID, into.Alerts, into.Detections, merged.ID)
	}
	if merged.Incident != was.Incident {
		t.Errorf("merged alert's incident %s, want %s", merged.Incident, was.Incident)
	}
	gone, err := db.Incident(ctx, "inc-"+merged.ID)
	if err != nil {
		t.Fatal(err)
	}
	if gone.State != store.IncidentClosed || !strings.Contains(gone.Note, was.Incident) {
		t.Errorf("the merged alert's own incident %s is %s (%q), want closed, naming %s", gone.ID, gone.State, gone.Note, was.Incident)
	}
	// audited as staff's closures are (until 2026-12-08 it was not)
	if rows, err := db.AuditLog(ctx, store.AuditFilter{User: "fusion", Object: "incident/" + gone.ID}); err != nil || len(rows) != 1 || rows[0].Action != "incident.close" {
		t.Errorf("fusion's closure of incident %s audited as %+v (err %v), want one incident.close", gone.ID, rows, err)
	}
}

// TestRestartDropIncidentKeepsLinks: before a restart a drone's
// DroneID and video link were heard (its drop incident names both); after
// it, the continued visit's first fix is its controller. The incident's
// summary still names every link heard, the controller after them. Until
// 2026-12-05 it named the controller alone (the visit held across the
// restart knew none of the links heard before).
func TestRestartDropIncidentKeepsLinks(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "alerts.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	t0 := time.Unix(1_800_000_000, 0)
	fix := func(track, class string, i int) Location {
		return Location{Track: track, Class: class, Link: event.LinkUnknown, Room: "yard", Prob: 0.9,
			RoomProbs: map[string]float64{"yard": 0.9}, Pos: site.Point{X: 15, Y: -8}, At: t0.Add(time.Duration(i) * time.Second),
			Sensors: []string{"s7", "s3"}, Evidence: []string{fmt.Sprintf("%s-%d", track, i)}}
	}
	first, err := New(DefaultConfig(), wing(t), db, &recorder{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	online(t, first, t0)
	for i := 0; i <= 20; i++ {
		for _, loc := range []Location{fix("id", event.ClassDroneID, i), fix("vid", event.ClassDroneVideo, i)} {
			if err := first.ObserveLocation(ctx, loc); err != nil {
				t.Fatal(err)
			}
		}
		if err := first.Tick(ctx, t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	incs := first.Incidents()
	if len(incs) != 1 {
		t.Fatalf("incidents %+v", incs)
	}
	before := incs[0].Summary
	second, err := New(DefaultConfig(), wing(t), db, &recorder{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	online(t, second, t0.Add(25*time.Second))
	for i := 25; i <= 40; i++ {
		if i >= 30 {
			if err := second.ObserveLocation(ctx, fix("rc", event.ClassRCFHSS, i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := second.Tick(ctx, t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	inc, err := db.Incident(ctx, incs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("before %q after %q", before, inc.Summary)
	if want := "drone in yard: DJI DroneID telemetry, drone video link, drone remote control (pilot's controller) heard"; inc.Summary != want {
		t.Errorf("after the restart the drop incident reads %q, was %q: want %q", inc.Summary, before, want)
	}
}

// TestNamedLinks: the links a drop incident's summary names, in
// droneSummary's wording only, its pilot's note after them or not.
func TestNamedLinks(t *testing.T) {
	for _, tc := range []struct {
		summary string
		want    []string
	}{
		{"drone in yard, B2-16: DJI DroneID telemetry, drone video link heard", []string{"DJI DroneID telemetry", "drone video link"}},
		{"drone, position unknown: drone remote control (pilot's controller) heard", []string{"drone remote control (pilot's controller)"}},
		// where the pilot's controller is, after the links (since 2026-12-07)
		{"drone in yard: drone video link, drone remote control (pilot's controller) heard; pilot's controller near cell B2-03",
			[]string{"drone video link", "drone remote control (pilot's controller)"}},
		{"drone drop followed by unauthorised phone in B2-03", nil},
		{"drone video link (5760 MHz) in cell B2-03, 99%", nil},
		{"drone remote control (pilot's controller, 2.4 GHz band), position unknown: heard by s5 only, 19 rooms alike", nil},
		{"", nil},
	} {
		if got := namedLinks(tc.summary); !slices.Equal(got, tc.want) {
			t.Errorf("namedLinks(%q) = %q, want %q", tc.summary, got, tc.want)
		}
	}
}

// TestRestartFutureStoredUpdate: an earlier run's open alert whose stored
// update is an hour ahead (its clock was wrong) resolves resolve_after
// after the restart, not an hour later, and, phone or drone, is no longer
// held once resolved.
func TestRestartFutureStoredUpdate(t *testing.T) {
	ctx := context.Background()
	t0 := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		rule, room, track, class string
	}{
		{"unauthorised-uplink-in-cell", "B2-14", "t", event.ClassLTE},
		{"drone", "yard", "d", event.ClassDroneID},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "alerts.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			al := event.Alert{Schema: event.SchemaVersion, ID: "a1", Site: "hmp-test", Rule: tc.rule, Severity: event.SeverityCritical,
				State: event.AlertFiring, Room: tc.room, Track: tc.track, Class: tc.class, ActiveNS: t0.UnixNano(), UpdatedNS: t0.Add(time.Hour).UnixNano()}
			if err := db.UpsertAlert(ctx, al); err != nil {
				t.Fatal(err)
			}
			e, err := New(DefaultConfig(), wing(t), db, &recorder{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			online(t, e, t0.Add(10*time.Second))
			for s := 10; s <= 131; s++ {
				if err := e.Tick(ctx, t0.Add(time.Duration(s)*time.Second)); err != nil {
					t.Fatal(err)
				}
				if s == 10 && len(e.orphans) != 1 {
					t.Fatalf("%d alerts held at the restart, want 1", len(e.orphans))
				}
			}
			got, err := db.Alert(ctx, al.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != event.AlertResolved {
				t.Errorf("2m1s after the restart the held alert is %s, want resolved (resolve_after from the restart)", got.State)
			}
			if len(e.orphans) != 0 {
				t.Errorf("%d alerts still held after resolving", len(e.orphans))
			}
		})
	}
}
