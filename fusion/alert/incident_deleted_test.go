package alert

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestDeletedIncidentStaysDeleted: staff close a phone's case while its
// alert still fires; retention deletes the closed case (alert_days after
// its closure) while fusion holds it, the phone still heard. Fusion's
// later writes of its copy (the alert's new evidence; the track's new
// alert joining it, the phone in another room) leave it deleted, and the
// engine drops its copy: the phone's alert in the other room opens a new
// case. Until 2026-12-07 the copy was written back as a new, open case
// with no closure or history.
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
			e, err := New(DefaultConfig(), wing(t), db, &recorder{}, nil)
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
			act := e.Active()
			if len(act) != 1 || act[0].Incident == "" {
				t.Fatalf("active %+v, want one alert in an incident", act)
			}
			id := act[0].Incident
			if _, err := db.CloseIncident(ctx, id, "analyst1", "not_found", "cell searched", at(tc.before+1)); err != nil {
				t.Fatal(err)
			}
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
			s := tc.before + 3
			if tc.evidence {
				hear(s, s+10, "B2-14")
				gone("after new evidence")
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
		})
	}
}
