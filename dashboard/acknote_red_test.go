package dashboard

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/event"
)

// TestRedAckCriticalNeedsNote: an officer (the least role that may
// acknowledge) acknowledged the firing critical phone alert of a cell
// with no note, or a note of spaces: its reminders stopped and the
// control room's list moved it below the open ones, and nothing said
// what was done about the phone (searched? found?). Who and when were
// audited (alert.ack), what was done was not asked: a corrupt officer
// silenced an accomplice's phone so with one click. An acknowledgement
// of a critical alert now carries a note (not blank once trimmed), as a
// search's outcome and a maintenance window's reason do: without one it
// is refused (400 naming the alert), singly or in bulk, and a bulk
// request naming any critical alert it would acknowledge is refused as a
// whole, nothing acknowledged. A warning may still be acknowledged
// without a note, and an alert the bulk request would leave as it is
// (acknowledged already, resolved) needs none.
func TestRedAckCriticalNeedsNote(t *testing.T) {
	for _, tc := range []struct {
		name, path, body string
		code             int
		refusal          string   // in the 400's message
		acked            []string // by the officer, of al1 (critical), w1 (warning), c-acked, c-resolved
	}{
		{"single, no note", "/api/v1/alerts/al1/ack", `{}`, http.StatusBadRequest, "alert al1 is critical: say what was done", nil},
		{"single, blank note", "/api/v1/alerts/al1/ack", `{"note":" \t\n "}`, http.StatusBadRequest, "alert al1 is critical", nil},
		{"single, a note", "/api/v1/alerts/al1/ack", `{"note":"cell searched, nothing found"}`, http.StatusOK, "", []string{"al1"}},
		{"single warning, no note", "/api/v1/alerts/w1/ack", `{}`, http.StatusOK, "", []string{"w1"}},
		// naming the alert: it said "not found" alone
		{"single, unknown alert", "/api/v1/alerts/nope/ack", `{}`, http.StatusNotFound, `alert "nope": not found`, nil},
		{"bulk, no note", "/api/v1/alerts/ack", `{"ids":["al1"]}`, http.StatusBadRequest, "alert al1 is critical", nil},
		{"bulk, a warning and criticals, blank note", "/api/v1/alerts/ack", `{"ids":["w1","al1","c2","al1"],"note":"  "}`, http.StatusBadRequest,
			"alerts al1, c2 are critical: say what was done about them (searched, found, false alarm) to acknowledge them; nothing acknowledged", nil},
		{"bulk, a note", "/api/v1/alerts/ack", `{"ids":["w1","al1","c2"],"note":"wing searched"}`, http.StatusOK, "", []string{"al1", "c2", "w1"}},
		{"bulk, criticals it leaves, no note", "/api/v1/alerts/ack", `{"ids":["w1","c-acked","c-resolved","nope"]}`, http.StatusOK, "", []string{"w1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t) // al1: critical, firing, nobody acknowledged it
			add := func(id, severity, state string, acked bool) {
				a := ev.al.alerts["al1"]
				a.ID, a.Severity, a.State = id, severity, state
				if acked {
					a.AckBy, a.AckNote, a.AckNS = "officer2", "on my way", testNow.UnixNano()
				}
				ev.al.alerts[id] = a
			}
			add("w1", event.SeverityWarning, event.AlertFiring, false)
			add("c2", event.SeverityCritical, event.AlertPending, false)
			add("c-acked", event.SeverityCritical, event.AlertFiring, true)
			add("c-resolved", event.SeverityCritical, event.AlertResolved, false)
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			off := login(t, e, RoleOfficer, "officer-password")
			rec := do(e, "POST", tc.path, tc.body, "application/json", &off, true)
			if rec.Code != tc.code {
				t.Errorf("%s: %d %s, want %d", tc.body, rec.Code, trunc(rec.Body.String()), tc.code)
			}
			if tc.refusal != "" {
				var got struct{ Error string }
				if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || !strings.Contains(got.Error, tc.refusal) {
					t.Errorf("refused with %q, want it to say %q", rec.Body.String(), tc.refusal)
				}
			}
			var acked []string
			for _, id := range []string{"al1", "c2", "w1", "c-acked", "c-resolved"} {
				a, _ := ev.al.Alert(context.Background(), id)
				if a.AckBy == "officer" {
					acked = append(acked, id)
				}
			}
			if strings.Join(acked, " ") != strings.Join(tc.acked, " ") {
				t.Errorf("%s: acknowledged by the officer %v, want %v", tc.body, acked, tc.acked)
			}
			if tc.code == http.StatusBadRequest && len(ev.audit.entries) > 0 {
				for _, r := range ev.audit.entries {
					if r.Action == "alert.ack" {
						t.Errorf("refused, but audited %s %s", r.Action, r.Object)
					}
				}
			}
		})
	}
}
