package alert

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestRestartKeepsStaffClosure: staff close a phone's case; fusion
// restarts, and the phone, heard again, continues its alert, so fusion
// takes the case back from the store, closed. While fusion holds it staff
// reopen it, or reopen and close it again with another outcome; the
// alert's later evidence has fusion write its copy. The store keeps what
// staff did: fusion's copy, taken with the first closure, never brings it
// back. Until 2026-12-07 it did: the reopened case was closed again with
// the first closure, and a second closure was replaced by the first.
func TestRestartKeepsStaffClosure(t *testing.T) {
	for _, tc := range []struct {
		name                             string
		reopen, closeAgain               bool
		state, closedBy, outcome, reopBy string
	}{
		{name: "nothing since", state: store.IncidentClosed, closedBy: "analyst1", outcome: "not_found"},
		{name: "reopened", reopen: true, state: store.IncidentOpen, closedBy: "analyst1", outcome: "not_found", reopBy: "analyst2"},
		{name: "reopened and closed again", reopen: true, closeAgain: true, state: store.IncidentClosed, closedBy: "analyst2", outcome: "found", reopBy: "analyst2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db := alertDB(t)
			t0 := time.Unix(1_800_000_000, 0)
			at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
			fix := func(track string, s int) Location {
				return phoneFix(track, map[string]float64{"B2-14": 0.8}, s, t0)
			}
			first := runFirst(t, db, wing(t), t0, func(s int) Location { return fix("trk-old-1", s) })
			_, id := closeOnlyCase(t, first, db, at(32))

			second, err := New(DefaultConfig(), wing(t), db, &recorder{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			online(t, second, at(35))
			for s := 36; s <= 50; s++ {
				if s >= 40 {
					// heard again: continues its alert, its case taken
					// back from the store at the first fix
					if err := second.ObserveLocation(ctx, fix("trk-new-1", s)); err != nil {
						t.Fatal(err)
					}
				}
				if s == 42 && tc.reopen {
					if _, err := db.ReopenIncident(ctx, id, "analyst2", "wrong cell searched", at(s)); err != nil {
						t.Fatal(err)
					}
				}
				if s == 44 && tc.closeAgain {
					if _, err := db.CloseIncident(ctx, id, "analyst2", "found", "phone in the mattress", at(s)); err != nil {
						t.Fatal(err)
					}
				}
				if err := second.Tick(ctx, at(s)); err != nil {
					t.Fatal(err)
				}
			}
			if got := second.Active(); len(got) != 1 || got[0].Incident != id {
				t.Fatalf("after the restart active %+v, want the earlier alert continued in %s", got, id)
			}
			inc, err := db.Incident(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if inc.State != tc.state || inc.ClosedBy != tc.closedBy || inc.Outcome != tc.outcome || inc.ReopenedBy != tc.reopBy {
				t.Errorf("incident %s closed by %q (%s), reopened by %q; want %s closed by %q (%s), reopened by %q",
					inc.State, inc.ClosedBy, inc.Outcome, inc.ReopenedBy, tc.state, tc.closedBy, tc.outcome, tc.reopBy)
			}
			// evidence joins the case only while it is open (from the
			// reopening at 42 s to the second closure at 44 s)
			var late []string
			for _, d := range inc.Detections {
				if strings.HasPrefix(d, "trk-new-1-") {
					late = append(late, d)
				}
			}
			if open := tc.reopen; open != (len(late) > 0) || tc.closeAgain && slices.ContainsFunc(late, func(d string) bool { return d >= "trk-new-1-45" }) {
				t.Errorf("detections of after the restart %v; want some only while it was open (reopened %v, closed again %v)", late, tc.reopen, tc.closeAgain)
			}
		})
	}
}
