package dashboard

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
)

// TestAlertsListOrder: GET /alerts lists what the control room must act
// on first: the open alerts nobody acknowledged, critical first, each
// severity newest active first (the time the page shows), then the
// acknowledged open ones the same way, then the resolved ones, newest
// active first. Until 2026-12-05 it was newest updated first while the
// page showed the active time: 27 of 69 rows were out of time order, and
// an acknowledgement or a refresh of evidence moved a row to the top.
// sort=updated gives the old order; state=open the pending and firing.
func TestAlertsListOrder(t *testing.T) {
	ev := newEnv(t) // al1: critical, firing, nobody acknowledged it, active and updated 20 min ago
	add := func(id, state, severity string, acked bool, active, updated time.Duration) {
		a := ev.al.alerts["al1"]
		a.ID, a.State, a.Severity = id, state, severity
		a.ActiveNS, a.UpdatedNS = testNow.Add(-active).UnixNano(), testNow.Add(-updated).UnixNano()
		if acked {
			a.AckBy, a.AckNS = "officer2", a.UpdatedNS
		}
		ev.al.alerts[id] = a
	}
	m := time.Minute
	add("res-new", event.AlertResolved, event.SeverityCritical, false, 1*m, 0)
	add("warn-new", event.AlertFiring, event.SeverityWarning, false, 2*m, 2*m)
	add("crit-old", event.AlertFiring, event.SeverityCritical, false, 30*m, 30*m)
	add("crit-new", event.AlertPending, event.SeverityCritical, false, 5*m, 1*m)
	add("crit-acked", event.AlertFiring, event.SeverityCritical, true, 1*m, 0)
	add("info-acked", event.AlertFiring, event.SeverityInfo, true, 3*m, 3*m)
	add("res-old", event.AlertResolved, event.SeverityWarning, false, 60*m, 40*m)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	v := login(t, e, RoleViewer, "viewer-password")
	tests := []struct {
		name   string
		when   string // query
		expect []string
	}{
		{"default", "?window=week", []string{"crit-new", "al1", "crit-old", "warn-new", "crit-acked", "info-acked", "res-new", "res-old"}},
		{"sort=triage", "?window=week&sort=triage", []string{"crit-new", "al1", "crit-old", "warn-new", "crit-acked", "info-acked", "res-new", "res-old"}},
		{"sort=updated", "?window=week&sort=updated", []string{"crit-acked", "res-new", "crit-new", "warn-new", "info-acked", "al1", "crit-old", "res-old"}},
		{"open", "?state=open", []string{"crit-new", "al1", "crit-old", "warn-new", "crit-acked", "info-acked"}},
		{"open criticals nobody acknowledged", "?state=open&severity=critical&unacked=1", []string{"crit-new", "al1", "crit-old"}},
		{"resolved", "?state=resolved", []string{"res-new", "res-old"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(e, "GET", "/api/v1/alerts"+tc.when, "", "", &v, false)
			var got []event.Alert
			if err := json.Unmarshal(rec.Body.Bytes(), &got); rec.Code != 200 || err != nil {
				t.Fatalf("%d %s (%v)", rec.Code, trunc(rec.Body.String()), err)
			}
			var ids []string
			for _, a := range got {
				ids = append(ids, a.ID)
			}
			if fmt.Sprint(ids) != fmt.Sprint(tc.expect) {
				t.Errorf("got %v, want %v", ids, tc.expect)
			}
		})
	}
	for _, q := range []string{"?sort=severity", "?state=closed"} {
		if rec := do(e, "GET", "/api/v1/alerts"+q, "", "", &v, false); rec.Code != 400 {
			t.Errorf("%s: got %d %s, want 400", q, rec.Code, trunc(rec.Body.String()))
		}
	}
}
