package dashboard

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestRedIncidentCloseNeedsItsAuditRow: an analyst closes a phone's
// incident ("false_alarm", no note needed), which acknowledges its alerts
// so their reminders stop. The closure was stored first and its
// incident.close row written after, its failure ignored (closeIncident:
// `_ = s.audit(...)`); reopening likewise. With the audit log held by
// another writer the case was closed and nothing in the audit log said
// who closed it or as what. It is now refused (503 naming the row) and
// left as it was, with its alerts unacknowledged: on one SQLite store
// the closure, its row, its acknowledgements and theirs are one
// transaction (so a refused alert.ack row undoes the closure too); with
// another store the closure's row is written first. Reopening likewise.
func TestRedIncidentCloseNeedsItsAuditRow(t *testing.T) {
	for _, tc := range []struct {
		name, path, body string
		given            func(t *testing.T) (*env, store.AlertStore)
		incident, alert  string
		wantState        string // the incident's state after the refusal
	}{
		{"close, another store, audit log locked", "/api/v1/incidents/inc1/close", `{"outcome":"false_alarm"}`, func(t *testing.T) (*env, store.AlertStore) {
			ev := newEnv(t)
			ev.deps.Auditor = &lockedAudit{}
			return ev, ev.al
		}, "inc1", "al1", store.IncidentOpen},
		{"close, one SQLite store, its row refused", "/api/v1/incidents/inc-1/close", `{"outcome":"false_alarm"}`, func(t *testing.T) (*env, store.AlertStore) {
			return refusingSQLite(t, "incident.close", false)
		}, "inc-1", "d1", store.IncidentOpen},
		{"close, one SQLite store, an acknowledgement's row refused", "/api/v1/incidents/inc-1/close", `{"outcome":"not_found","note":"yard searched"}`, func(t *testing.T) (*env, store.AlertStore) {
			return refusingSQLite(t, "alert.ack", false)
		}, "inc-1", "d1", store.IncidentOpen},
		{"reopen, another store, audit log locked", "/api/v1/incidents/inc1/reopen", `{"note":"closed in error"}`, func(t *testing.T) (*env, store.AlertStore) {
			ev := newEnv(t)
			inc := ev.al.incidents["inc1"]
			inc.State, inc.ClosedBy, inc.Outcome = store.IncidentClosed, "analyst", "false_alarm"
			ev.al.incidents["inc1"] = inc
			ev.deps.Auditor = &lockedAudit{}
			return ev, ev.al
		}, "inc1", "", store.IncidentClosed},
		{"reopen, one SQLite store, its row refused", "/api/v1/incidents/inc-1/reopen", `{"note":"closed in error"}`, func(t *testing.T) (*env, store.AlertStore) {
			return refusingSQLite(t, "incident.reopen", true)
		}, "inc-1", "", store.IncidentClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, al := tc.given(t)
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			an := login(t, e, RoleAnalyst, "analyst-password")
			rec := do(e, "POST", tc.path, tc.body, "application/json", &an, true)
			inc, _ := al.Incident(context.Background(), tc.incident)
			if rec.Code == http.StatusOK || inc.State != tc.wantState {
				t.Errorf("%s with the audit log locked: %d, incident %s %s by %q as %q, unaudited; want it refused (503) and left %s",
					tc.path, rec.Code, inc.ID, inc.State, inc.ClosedBy, inc.Outcome, tc.wantState)
			}
			if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "audit row") {
				t.Errorf("refused with %d %s, want 503 naming the audit row", rec.Code, trunc(rec.Body.String()))
			}
			if tc.alert != "" {
				if a, _ := al.Alert(context.Background(), tc.alert); a.AckNS != 0 {
					t.Errorf("alert %s acknowledged by %q by a closure refused", a.ID, a.AckBy)
				}
			}
		})
	}
}

// refusingSQLite is sqliteEnv with a drone alert d1 and a phone alert p1
// in its drone-drop incident inc-1 (closed when closed is set), whose
// audit log refuses rows of action.
func refusingSQLite(t *testing.T, action string, closed bool) (*env, store.AlertStore) {
	t.Helper()
	ev, db := sqliteEnv(t, "d1")
	ctx := context.Background()
	p := event.Alert{Schema: 1, ID: "p1", Site: "hmp1", Rule: "illicit_phone", Severity: event.SeverityCritical, State: event.AlertFiring,
		Class: event.ClassLTE, Summary: "phone", Room: "a-102", ActiveNS: testNow.UnixNano(), UpdatedNS: testNow.UnixNano()}
	if err := db.UpsertAlert(ctx, p); err != nil {
		t.Fatal(err)
	}
	inc, err := db.Incident(ctx, "inc-1")
	if err != nil {
		t.Fatal(err)
	}
	inc.Alerts, inc.DroneAlerts = []string{"d1", "p1"}, []string{"d1"}
	if err := db.UpsertIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	if closed {
		if _, err := db.CloseIncident(ctx, "inc-1", "analyst", "false_alarm", "", testNow); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.DB().Exec(`CREATE TRIGGER no_audit BEFORE INSERT ON audit WHEN NEW.action = '` + action + `' BEGIN SELECT RAISE(ABORT, 'database is locked'); END`); err != nil {
		t.Fatal(err)
	}
	return ev, db
}

// TestIncidentCloseAuditedInItsTransaction: on one SQLite store a
// drone-drop incident's closure acknowledges its drone alert (not the
// phone's, dropAck) in its own transaction, with the incident.close row
// and the drone alert's alert.ack row, and puts the acknowledgement on
// the live feed; reopening it writes its incident.reopen row.
func TestIncidentCloseAuditedInItsTransaction(t *testing.T) {
	ev, al := refusingSQLite(t, "none", false)
	db := al.(*store.SQLite)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	feed, cancel := ev.deps.Hub.Subscribe(Subscription{Kinds: map[string]bool{MsgAlert: true}})
	defer cancel()
	an := login(t, e, RoleAnalyst, "analyst-password")
	rec := do(e, "POST", "/api/v1/incidents/inc-1/close", `{"outcome":"not_found","note":"yard searched"}`, "application/json", &an, true)
	if rec.Code != http.StatusOK {
		t.Fatalf("close: %d %s", rec.Code, trunc(rec.Body.String()))
	}
	ctx := context.Background()
	if d, _ := db.Alert(ctx, "d1"); d.AckBy != "analyst" || d.AckNote != "incident closed: not_found: yard searched" {
		t.Errorf("drone alert acknowledged by %q, %q; want the analyst's closure", d.AckBy, d.AckNote)
	}
	if p, _ := db.Alert(ctx, "p1"); p.AckNS != 0 {
		t.Errorf("phone alert acknowledged by %q by the drone drop's closure", p.AckBy)
	}
	select {
	case m := <-feed:
		if !strings.Contains(string(m.Data), `"d1"`) || !strings.Contains(string(m.Data), `"ack_by":"analyst"`) {
			t.Errorf("live feed got %s, want d1 acknowledged by analyst", m.Data)
		}
	default:
		t.Errorf("the closure's acknowledgement is not on the live feed")
	}
	rec = do(e, "POST", "/api/v1/incidents/inc-1/reopen", `{"note":"closed in error"}`, "application/json", &an, true)
	if rec.Code != http.StatusOK {
		t.Fatalf("reopen: %d %s", rec.Code, trunc(rec.Body.String()))
	}
	log, err := db.AuditLog(ctx, store.AuditFilter{User: "analyst"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range log {
		if r.Action != "login" && !strings.HasPrefix(r.Action, "view.") {
			got = append(got, r.Action+" "+r.Object+" "+r.Before+" | "+r.After)
		}
	}
	want := []string{"incident.reopen incident/inc-1 closed: not_found | closed in error",
		"alert.ack alert/d1  | incident closed: not_found: yard searched",
		"incident.close incident/inc-1  | not_found: yard searched"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") && strings.Join(got, "\n") != strings.Join([]string{want[0], want[2], want[1]}, "\n") {
		t.Errorf("audit rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
