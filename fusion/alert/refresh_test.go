package alert

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
)

// TestLiveAlertStored: a phone in cell B2-14, located every second for
// 150 s. The store (which the Alerts page, the evidence bundle, the CSV
// exports and a restarted fusion read) keeps up with its alert while it
// is live: the evidence it gains after firing is stored within
// RefreshEvery, a probability that fell from 80% to 40% within
// RefreshProbEvery, and nothing more is published than its state
// changes. A fix that changes nothing writes nothing, and an
// acknowledgement the dashboard stored meanwhile stands. Until
// 2026-12-04 the store held the evidence and probability of the firing
// (11 detections) until the alert resolved.
func TestLiveAlertStored(t *testing.T) {
	ctx := context.Background()
	e, st, rec, t0 := storedEngine(t)
	db := st.SQLite
	const (
		lagEvidence = int(RefreshEvery / time.Second)
		lagProb     = int(RefreshProbEvery / time.Second)
	)
	var gained []string
	var id string
	writesAt := map[int]int{}
	for s := 0; s <= 300; s++ {
		now := t0.Add(time.Duration(s) * time.Second)
		loc := Location{Track: "t1", Class: event.ClassLTE, Link: event.LinkUplink, Room: "B2-14", At: now}
		switch {
		case s < 60: // a new detection at each fix; the alert keeps the first 50
			loc.Prob, loc.RoomProbs = 0.8, map[string]float64{"B2-14": 0.8, "B2-13": 0.1}
			loc.Evidence = []string{fmt.Sprintf("d-%d", s), "d-0"}
			if len(gained) < MaxAlertEvidence {
				gained = append(gained, loc.Evidence[0])
			}
		case s < 90: // nothing new
			loc.Prob, loc.RoomProbs, loc.Evidence = 0.8, map[string]float64{"B2-14": 0.8, "B2-13": 0.1}, []string{"d-0"}
		case s <= 150: // less sure of the cell
			loc.Prob, loc.RoomProbs, loc.Evidence = 0.4, map[string]float64{"B2-14": 0.4, "B2-13": 0.3}, []string{"d-1"}
		}
		if s <= 150 {
			if err := e.ObserveLocation(ctx, loc); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.Tick(ctx, now); err != nil {
			t.Fatal(err)
		}
		writesAt[s] = st.alertWrites
		if id == "" {
			id = rec.got[0].ID
		}
		if s == 100 { // the dashboard of a deployment acknowledges in the store
			if _, err := db.Ack(ctx, id, "officer1", "cell searched", now); err != nil {
				t.Fatal(err)
			}
		}
		stored, err := db.Alert(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if want := gained[:max(0, min(len(gained), s-lagEvidence+1))]; !containsAll(stored.Evidence, want) {
			t.Fatalf("at %d s the store holds evidence %v; want at least %v (gained %d s ago or more)", s, stored.Evidence, want, lagEvidence)
		}
		if s >= 90+lagProb && stored.Probability != 0.4 {
			t.Fatalf("at %d s the store holds probability %v, room probabilities %v; want 0.4 since 90 s", s, stored.Probability, stored.RoomProbs)
		}
		if s > 100 && stored.AckBy != "officer1" {
			t.Fatalf("at %d s the store holds the acknowledgement of %q; want officer1's, stored at 100 s", s, stored.AckBy)
		}
	}
	if got, want := strings.Join(rec.states(), ","),
		"unauthorised-uplink-in-cell:pending,unauthorised-uplink-in-cell:firing,unauthorised-uplink-in-cell:resolved"; got != want {
		t.Errorf("published %s; want the state changes only: %s", got, want)
	}
	if writesAt[89] != writesAt[60] || writesAt[269] != writesAt[90+lagProb] {
		t.Errorf("alert writes: %d at 60 s, %d at 89 s, %d at %d s, %d at 269 s; want none while nothing changes",
			writesAt[60], writesAt[89], writesAt[90+lagProb], 90+lagProb, writesAt[269])
	}
	// pending, firing, resolved; the evidence gained over 50 s, the fall
	// in probability
	if most := 3 + 50/lagEvidence + 1; st.alertWrites > most {
		t.Errorf("%d alert writes for 151 fixes; want at most %d", st.alertWrites, most)
	}
	last, err := db.Alert(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if last.State != event.AlertResolved || !slices.Equal(last.Evidence, gained) || last.Probability != 0.4 || last.AckBy != "officer1" {
		t.Errorf("stored at the end: %s, evidence %v, probability %v, acknowledged by %q; want resolved, evidence %v, 0.4, officer1",
			last.State, last.Evidence, last.Probability, last.AckBy, gained)
	}
}

// TestDroneEvidenceStored: a drone over the yard fires at its first fix
// (its rule has no For) and is tracked for 3 minutes, a fix and a new
// detection every second. Its stored alert, which the incident's
// evidence bundle lists, holds the detections the alert gained within
// RefreshEvery, 50 in the end; it held the first one until the drone was
// gone. Only its state changes (pending and firing, at once) are
// published.
func TestDroneEvidenceStored(t *testing.T) {
	ctx := context.Background()
	e, st, rec, t0 := storedEngine(t)
	db := st.SQLite
	lag := int(RefreshEvery / time.Second)
	var gained []string
	for s := 0; s < 180; s++ {
		now := t0.Add(time.Duration(s) * time.Second)
		id := fmt.Sprintf("drone-%d", s)
		if len(gained) < MaxAlertEvidence {
			gained = append(gained, id)
		}
		loc := Location{Track: "drone", Class: event.ClassDroneID, Link: event.LinkUplink, Room: "yard", Prob: 0.9,
			RoomProbs: map[string]float64{"yard": 0.9}, At: now, Evidence: []string{id}}
		if err := e.ObserveLocation(ctx, loc); err != nil {
			t.Fatal(err)
		}
		if err := e.Tick(ctx, now); err != nil {
			t.Fatal(err)
		}
		stored, err := db.Alert(ctx, rec.got[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := gained[:max(0, min(len(gained), s-lag+1))]; stored.State != event.AlertFiring || !containsAll(stored.Evidence, want) {
			t.Fatalf("at %d s the store holds the alert %s with evidence %v; want firing, with at least %v", s, stored.State, stored.Evidence, want)
		}
	}
	if got, want := strings.Join(rec.states(), ","), "drone:pending,drone:firing"; got != want {
		t.Errorf("published %s; want %s", got, want)
	}
}

// TestRestartKeepsLiveEvidence: fusion restarts 45 s into a phone's
// alert, which fired at 10 s; the phone is not heard again, and the new
// engine resolves the alert the store holds open (takeOrphans),
// resolve_after after it started, with the evidence stored up to
// RefreshEvery before the restart. It kept the 11 detections of the
// firing.
func TestRestartKeepsLiveEvidence(t *testing.T) {
	ctx := context.Background()
	e, st, rec, t0 := storedEngine(t)
	db := st.SQLite
	var gained []string
	for s := 0; s <= 45; s++ {
		now := t0.Add(time.Duration(s) * time.Second)
		gained = append(gained, fmt.Sprintf("d-%d", s))
		loc := Location{Track: "t1", Class: event.ClassLTE, Link: event.LinkUplink, Room: "B2-14", Prob: 0.8, At: now,
			Evidence: gained[len(gained)-1:]}
		if err := e.ObserveLocation(ctx, loc); err != nil {
			t.Fatal(err)
		}
		if err := e.Tick(ctx, now); err != nil {
			t.Fatal(err)
		}
	}
	again, err := New(DefaultConfig(), wing(t), db, &recorder{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for s := 46; s <= 46+int(2*time.Minute/time.Second); s++ {
		if err := again.Tick(ctx, t0.Add(time.Duration(s)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.Alert(ctx, rec.got[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := gained[:45-int(RefreshEvery/time.Second)+1]; got.State != event.AlertResolved || !containsAll(got.Evidence, want) {
		t.Errorf("after the restart the store holds the alert %s with evidence %v; want resolved with at least %v", got.State, got.Evidence, want)
	}
}

// containsAll reports whether have holds every ID of want.
func containsAll(have, want []string) bool {
	for _, id := range want {
		if !slices.Contains(have, id) {
			return false
		}
	}
	return true
}

// TestFailedStoreRetried: an alert whose store write failed (a disk fault,
// or the dashboard holding the database's lock past the busy timeout) is
// stored again by Tick within RefreshEvery, as it is then, whether it is
// live or has resolved. Until 2026-12-04 the failure was only logged: the
// control room's Alerts page never listed the firing alert and an
// acknowledgement of it answered 404.
func TestFailedStoreRetried(t *testing.T) {
	ctx := context.Background()
	e, st, _, t0 := storedEngine(t)
	db := st.SQLite
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	stored := func(id string) (event.Alert, bool) {
		t.Helper()
		a, err := db.Alert(ctx, id)
		if err != nil {
			return event.Alert{}, false
		}
		return a, true
	}
	// Every write fails while the phone is seen for 60 s (pending, then
	// firing).
	st.failAlerts = 1 << 30
	var id string
	for s := 0; s <= 60; s++ {
		loc := Location{Track: "t1", Class: event.ClassLTE, Link: event.LinkUplink, Room: "B2-14", At: at(s),
			Prob: 0.9, RoomProbs: map[string]float64{"B2-14": 0.9}, Evidence: []string{fmt.Sprintf("d-%d", s)}}
		e.ObserveLocation(ctx, loc) // its store errors are the point
		e.Tick(ctx, at(s))
		if act := e.Active(); len(act) == 1 {
			id = act[0].ID
		}
	}
	if id == "" || e.find(id).state != StateFiring {
		t.Fatalf("no firing alert after 60 s of fixes: %+v", e.Active())
	}
	if _, ok := stored(id); ok {
		t.Fatal("alert stored while every write failed")
	}
	// The disk recovers: within RefreshEvery the store holds it, firing.
	st.failAlerts = 0
	for s := 61; s <= 61+int(RefreshEvery/time.Second); s++ {
		e.Tick(ctx, at(s))
	}
	a, ok := stored(id)
	if !ok || a.State != event.AlertFiring || len(a.Evidence) == 0 {
		t.Fatalf("after the disk recovered the store holds %+v (stored %v), want the firing alert with its evidence", a, ok)
	}
	// Its resolution fails to be stored, then is stored on a later tick.
	st.failAlerts = 1
	resolveAt := 61 + int(RefreshEvery/time.Second) + int(time.Duration(DefaultConfig().Rules[0].ResolveAfter)/time.Second) + 60
	for s := 61 + int(RefreshEvery/time.Second); s <= resolveAt+int(RefreshEvery/time.Second); s++ {
		e.Tick(ctx, at(s))
	}
	if a, _ := stored(id); a.State != event.AlertResolved {
		t.Fatalf("stored state %q after a failed resolution write and %v of ticks, want resolved", a.State, RefreshEvery)
	}
}

// TestAckStandsWhenStoreBusy: an officer's acknowledgement of an alert the
// engine holds stands when the store refuses it for a moment (the
// database locked past its busy timeout): Ack reports success, the
// acknowledgement is published, and Tick stores it within RefreshEvery.
// It answered 500 though the acknowledgement had taken effect, and the
// officer acknowledged again.
func TestAckStandsWhenStoreBusy(t *testing.T) {
	ctx := context.Background()
	e, st, rec, t0 := storedEngine(t)
	db := st.SQLite
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	for s := 0; s <= 20; s++ {
		e.ObserveLocation(ctx, Location{Track: "t1", Class: event.ClassLTE, Link: event.LinkUplink, Room: "B2-14", At: at(s),
			Prob: 0.9, RoomProbs: map[string]float64{"B2-14": 0.9}, Evidence: []string{"d-0"}})
		e.Tick(ctx, at(s))
	}
	act := e.Active()
	if len(act) != 1 {
		t.Fatalf("active alerts %+v, want the phone's", act)
	}
	st.failAlerts = 1
	a, err := e.Ack(ctx, act[0].ID, "officer1", "cell searched", at(21))
	if err != nil || a.AckBy != "officer1" {
		t.Fatalf("Ack with the store busy: %+v, %v; want it to stand", a, err)
	}
	if got := rec.got[len(rec.got)-1]; got.AckBy != "officer1" {
		t.Errorf("last publication acknowledged by %q, want officer1", got.AckBy)
	}
	for s := 21; s <= 21+int(RefreshEvery/time.Second); s++ {
		e.Tick(ctx, at(s))
	}
	if stored, err := db.Alert(ctx, act[0].ID); err != nil || stored.AckBy != "officer1" {
		t.Errorf("stored alert %+v (%v), want the acknowledgement stored again by Tick", stored, err)
	}
}
