package alert

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestDeletedIncidentStaysDeleted: staff close a phone's case while its
// alert still fires; retention deletes the closed case (alert_days after
// its closure) while fusion holds it, the phone still heard. Fusion's
// later writes of its copy (the alert's new evidence; the track's new
// alert joining it, the phone in another room) leave it deleted, and the
// engine drops its copy: the phone's alert in the other room opens a new
// case. Until 2026-12-07 the copy was written back as a new, open case
// with no closure or history. The alert whose new evidence found its case
// deleted leaves it for a new one too, stored naming that, as does the
// track's other firing alert when its new alert finds it so, and no phone
// case naming the deleted one is noted; reading it back (caseFor) logs at
// Info, not as a failure: until 2026-12-07 the alert kept naming the
// deleted case (the dashboard linked to a case not found), its later
// evidence joined none, and a phone case naming it was noted first.
func TestDeletedIncidentStaysDeleted(t *testing.T) {
	for _, tc := range []struct {
		name string
		// heard in B2-14 for so many seconds before the closure (at 60
		// s its alert's evidence is full: nothing to add to the case)
		before int
		// heard in B2-14 after the deletion, its alert's evidence growing
		evidence bool
	}{
		{name: "new evidence", before: 30, evidence: true},
		{name: "new alert joins", before: 60},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db := alertDB(t)
			var logs bytes.Buffer
			e, err := New(DefaultConfig(), wing(t), db, &recorder{}, slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Unix(1_800_000_000, 0)
			at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
			online(t, e, t0)
			hear := func(from, to int, room string) {
				t.Helper()
				for s := from; s <= to; s++ {
					if err := e.ObserveLocation(ctx, phoneFix("trk-1", map[string]float64{room: 0.8}, s, t0)); err != nil {
						t.Fatal(err)
					}
					if err := e.Tick(ctx, at(s)); err != nil {
						t.Fatal(err)
					}
				}
			}
			hear(0, tc.before, "B2-14")
			_, id := closeOnlyCase(t, e, db, at(tc.before+1))
			if n, err := db.PruneAlerts(ctx, e.site.ID, at(tc.before+2)); err != nil || n.Incidents != 1 || n.Alerts != 0 {
				t.Fatalf("PruneAlerts deleted %+v (err %v), want the closed incident alone", n, err)
			}
			gone := func(when string) {
				t.Helper()
				if inc, err := db.Incident(ctx, id); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("%s: deleted incident %s stored again: %+v (err %v)", when, id, inc, err)
				}
				for _, inc := range e.Incidents() {
					if inc.ID == id {
						t.Errorf("%s: the engine still holds deleted incident %s", when, id)
					}
				}
			}
			// inCase checks that the engine's alert in room names an
			// open stored case other than the deleted one, and that the
			// store's copy of the alert names it too.
			inCase := func(when, room string) string {
				t.Helper()
				for _, a := range e.Active() {
					if a.Room != room {
						continue
					}
					if a.Incident == "" || a.Incident == id {
						t.Fatalf("%s: the alert in %s is in incident %q, want one new to it", when, room, a.Incident)
					}
					if inc, err := db.Incident(ctx, a.Incident); err != nil || inc.State != store.IncidentOpen {
						t.Errorf("%s: the alert's new incident stored %+v (err %v), want it open", when, inc, err)
					}
					if st, err := db.Alert(ctx, a.ID); err != nil || st.Incident != a.Incident {
						t.Errorf("%s: alert %s stored in incident %q (err %v), want %s", when, a.ID, st.Incident, err, a.Incident)
					}
					return a.Incident
				}
				t.Fatalf("%s: no active alert in %s: %+v", when, room, e.Active())
				return ""
			}
			s := tc.before + 3
			if tc.evidence {
				hear(s, s+10, "B2-14")
				gone("after new evidence")
				inCase("after new evidence", "B2-14")
				s += 11
			}
			hear(s, s+40, "B2-16")
			gone("after the phone moved")
			var moved string
			for _, a := range e.Active() {
				if a.Room == "B2-16" {
					moved = a.Incident
				}
			}
			if moved == "" || moved == id {
				t.Fatalf("the moved phone's alert is in incident %q, want one new to it (active %+v)", moved, e.Active())
			}
			if inc, err := db.Incident(ctx, moved); err != nil || inc.State != store.IncidentOpen {
				t.Errorf("the moved phone's new incident stored %+v (err %v), want it open", inc, err)
			}
			inCase("after the phone moved", "B2-16")
			for _, a := range e.Active() {
				if a.Incident == id {
					t.Errorf("alert %s (%s, in %s) still names deleted incident %s", a.ID, a.State, a.Room, id)
				}
			}
			reps, err := db.PhoneRepeats(ctx, e.site.ID, at(tc.before+2))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range reps {
				if r.Kind == store.RepeatCase && r.Incident == id {
					t.Errorf("phone case %+v stored after its incident was deleted", r)
				}
			}
			for _, l := range e.cases {
				for _, c := range l {
					if c.incident == id && c.at.After(at(tc.before+2)) {
						t.Errorf("phone case %+v noted after its incident was deleted", c)
					}
				}
			}
			logs.Reset()
			if inc := e.incident(ctx, id); inc != nil {
				t.Errorf("deleted incident %s read back: %+v", id, inc)
			}
			if l := logs.String(); !strings.Contains(l, "level=INFO") || strings.Contains(l, "level=WARN") {
				t.Errorf("reading deleted incident %s logged %q, want it at Info", id, l)
			}
		})
	}
}

// TestRestartDeletedIncident: fusion stops while a phone's alert fires;
// staff close its case and retention deletes it; the fusion started again
// hears the phone and continues the alert left open. The alert leaves the
// deleted case for a new, open one and is stored naming it. Until
// 2026-12-07 reading the deleted case failed the fix, and the alert kept
// naming it.
func TestRestartDeletedIncident(t *testing.T) {
	ctx := context.Background()
	db := alertDB(t)
	t0 := time.Unix(1_800_000_000, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	first := runFirst(t, db, wing(t), t0, func(s int) Location { return phoneFix("trk-old-1", map[string]float64{"B2-14": 0.8}, s, t0) })
	was, id := closeOnlyCase(t, first, db, at(31))
	if n, err := db.PruneAlerts(ctx, first.site.ID, at(32)); err != nil || n.Incidents != 1 {
		t.Fatalf("PruneAlerts deleted %+v (err %v), want the closed incident", n, err)
	}
	second, err := New(DefaultConfig(), wing(t), db, &recorder{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	online(t, second, at(35))
	for s := 35; s <= 50; s++ {
		if err := second.ObserveLocation(ctx, phoneFix("trk-new-1", map[string]float64{"B2-14": 0.8}, s, t0)); err != nil {
			t.Fatal(err)
		}
		if err := second.Tick(ctx, at(s)); err != nil {
			t.Fatal(err)
		}
	}
	act := second.Active()
	if len(act) != 1 || act[0].ID != was.ID {
		t.Fatalf("active after the restart %+v, want %s continued", act, was.ID)
	}
	a := act[0]
	if a.Incident == "" || a.Incident == id {
		t.Fatalf("continued alert in incident %q, want one new to it", a.Incident)
	}
	if inc, err := db.Incident(ctx, a.Incident); err != nil || inc.State != store.IncidentOpen || !slices.Contains(inc.Alerts, a.ID) {
		t.Errorf("new incident stored %+v (err %v), want it open with alert %s", inc, err, a.ID)
	}
	if st, err := db.Alert(ctx, a.ID); err != nil || st.Incident != a.Incident {
		t.Errorf("alert stored in incident %q (err %v), want %s", st.Incident, err, a.Incident)
	}
	if inc, err := db.Incident(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted incident %s stored again: %+v (err %v)", id, inc, err)
	}
}

// closeOnlyCase checks that e holds one active alert, in an incident,
// has staff close that incident in db at when ("not_found"), and returns
// the alert and the incident's ID.
func closeOnlyCase(t *testing.T, e *Engine, db *store.SQLite, when time.Time) (event.Alert, string) {
	t.Helper()
	act := e.Active()
	if len(act) != 1 || act[0].Incident == "" {
		t.Fatalf("active %+v, want one alert in an incident", act)
	}
	id := act[0].Incident
	if _, err := db.CloseIncident(context.Background(), id, "analyst1", "not_found", "cell searched", when); err != nil {
		t.Fatal(err)
	}
	return act[0], id
}

// TestMovedCaseClosesWhenItsAlertsResolve: staff close a phone's case
// while its alert fires, and retention deletes it; the alert, still heard
// (its new evidence, or after a restart its continuation, finds the case
// deleted), opens a new case (caseGone). When it then resolves unheard,
// fusion closes that case ("fusion", outcome other, its note naming the
// deleted case), as the deleted case, closed by staff, would have stayed
// closed: also when fusion restarted between the move and the resolution
// (the case says what it continues: store.Incident.Continues). A case a
// new alert opened as it found the case deleted (the phone in another
// cell: it would have opened the closed case again), or one joined since,
// and an ordinary case staff never closed, stay open as their alerts
// resolve: staff close a case with an outcome. Until 2026-12-07 the moved case stayed open until
// staff closed it again. A moved case staff close and reopen while its
// alert still fires (gaining evidence: fusion writes its copy) is theirs:
// it stays open as the alert resolves (until 2026-12-08 fusion closed it
// again, over them). One whose first write the store refused (unstored
// as the alert resolves) is written and closed, the Tick failing nothing
// (until 2026-12-08 its closure failed, not found). Fusion's closure is
// audited (incident.close by fusion): until 2026-12-08 it was not.
func TestMovedCaseClosesWhenItsAlertsResolve(t *testing.T) {
	for _, tc := range []struct {
		name string
		// The phone is heard in B2-14 from 0 to before; staff close its
		// case and retention deletes it (unless open) in the 2 s after;
		// then it is heard in room for 11 s more, by a fusion started
		// again when restart. At 60 s its alert's evidence is full: its
		// track's new alert in another room finds the case deleted.
		before        int
		room          string
		restart       bool
		then          string // then it is heard in this room for 41 s (its track's new alert fires)
		restartBefore bool   // a fusion started again after that hears nothing
		open          bool   // staff never close its case
		reopen        bool   // staff close the moved case and reopen it, and the phone is heard 5 s more
		unstored      bool   // the store refuses the moved case's first write; the phone is heard once after the deletion
		wantClosed    bool
	}{
		{name: "new evidence", before: 30, room: "B2-14", wantClosed: true},
		{name: "continued after a restart", before: 30, room: "B2-14", restart: true, wantClosed: true},
		{name: "restart after the move", before: 30, room: "B2-14", restartBefore: true, wantClosed: true},
		{name: "new alert joins", before: 60, room: "B2-16"},
		{name: "new alert joins the new case", before: 30, room: "B2-14", then: "B2-16"},
		{name: "never closed", before: 30, room: "B2-14", open: true},
		{name: "staff reopen it", before: 30, room: "B2-14", reopen: true},
		{name: "unstored", before: 30, room: "B2-14", unstored: true, wantClosed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db := alertDB(t)
			t0 := time.Unix(1_800_000_000, 0)
			at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
			var e *Engine
			cs := &countingStore{SQLite: db}
			start := func(s int) {
				t.Helper()
				var err error
				if e, err = New(DefaultConfig(), wing(t), cs, &recorder{}, nil); err != nil {
					t.Fatal(err)
				}
				online(t, e, at(s))
			}
			hear := func(track, room string, from, to int) {
				t.Helper()
				for s := from; s <= to; s++ {
					if err := e.ObserveLocation(ctx, phoneFix(track, map[string]float64{room: 0.8}, s, t0)); err != nil {
						t.Fatal(err)
					}
					if err := e.Tick(ctx, at(s)); err != nil {
						t.Fatal(err)
					}
				}
			}
			start(0)
			hear("trk-1", "B2-14", 0, tc.before)
			id := e.Active()[0].Incident
			if !tc.open {
				closeOnlyCase(t, e, db, at(tc.before+1))
				if n, err := db.PruneAlerts(ctx, e.site.ID, at(tc.before+2)); err != nil || n.Incidents != 1 {
					t.Fatalf("PruneAlerts deleted %+v (err %v), want the closed incident", n, err)
				}
			}
			s, track := tc.before+3, "trk-1"
			if tc.room != "B2-14" {
				hear(track, tc.room, s, s+29) // its new alert fires
				s += 30
			}
			if tc.restart {
				start(s)
				track = "trk-2" // fusion keeps no track across a restart
			}
			if tc.unstored {
				cs.failCases = 1
				hear(track, tc.room, s, s)
				s++
			} else {
				hear(track, tc.room, s, s+10)
				s += 11
			}
			if tc.then != "" {
				hear(track, tc.then, s, s+40)
				s += 41
			}
			var cases []string // the cases of the phone's alerts
			for _, a := range e.Active() {
				if !slices.Contains(cases, a.Incident) {
					cases = append(cases, a.Incident)
				}
			}
			if len(cases) != 1 || (cases[0] == id) != tc.open {
				t.Fatalf("the phone's alerts are in incidents %q, want one, new unless its case %s was never closed (active %+v)", cases, id, e.Active())
			}
			moved := cases[0]
			if tc.unstored {
				if _, err := db.Incident(ctx, moved); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("moved incident %s stored (err %v), want its write refused", moved, err)
				}
			}
			if tc.reopen {
				if _, err := db.CloseIncident(ctx, moved, "analyst1", "not_found", "cell searched", at(s)); err != nil {
					t.Fatal(err)
				}
				if _, err := db.ReopenIncident(ctx, moved, "analyst2", "searched again", at(s+1)); err != nil {
					t.Fatal(err)
				}
				hear(track, tc.room, s+2, s+6)
				s += 7
				if inc, err := db.Incident(ctx, moved); err != nil || inc.Continues != "" || len(inc.Detections) < 45 {
					t.Fatalf("moved incident reopened by staff stored %+v (err %v), want it continuing none, with the evidence gained since", inc, err)
				}
			}
			if tc.restartBefore {
				start(s)
			}
			for end := s + 200; s <= end; s += 5 { // resolve_after (2 min) and more
				if err := e.Tick(ctx, at(s)); err != nil {
					t.Fatal(err)
				}
			}
			if act := e.Active(); len(act) != 0 {
				t.Fatalf("active %+v, want every alert resolved", act)
			}
			inc, err := db.Incident(ctx, moved)
			if err != nil {
				t.Fatal(err)
			}
			if closed := inc.State == store.IncidentClosed; closed != tc.wantClosed {
				t.Fatalf("incident %s %s (closed by %q, %q: %q) as its alerts resolved, want closed %v", moved, inc.State, inc.ClosedBy, inc.Outcome, inc.Note, tc.wantClosed)
			}
			if tc.wantClosed && (inc.ClosedBy != "fusion" || inc.Outcome != "other" || !strings.Contains(inc.Note, "incident "+id+",")) {
				t.Errorf("incident %s closed by %q, %q: %q, want by fusion, other, naming deleted incident %s", moved, inc.ClosedBy, inc.Outcome, inc.Note, id)
			}
			rows, err := db.AuditLog(ctx, store.AuditFilter{User: "fusion", Object: "incident/" + moved})
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantClosed && (len(rows) != 1 || rows[0].Action != "incident.close" || rows[0].After != "other: "+inc.Note) {
				t.Errorf("fusion's closure of incident %s audited as %+v, want one incident.close, after %q", moved, rows, "other: "+inc.Note)
			}
			if !tc.wantClosed && len(rows) != 0 {
				t.Errorf("incident %s left open audited as closed by fusion: %+v", moved, rows)
			}
			for _, aid := range inc.Alerts {
				if st, err := db.Alert(ctx, aid); err != nil || st.State != event.AlertResolved || st.Incident != moved {
					t.Errorf("alert %s stored %s in %q (err %v), want resolved in %s", aid, st.State, st.Incident, err, moved)
				}
			}
		})
	}
}
