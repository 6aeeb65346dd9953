package dashboard

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// racingStore is a SQLite store in which someone (officer2) acknowledges
// the alert race the moment after the dashboard first reads it (before
// an incident's closure, which reads it in its own transaction): the
// dashboard holds it unacknowledged, the store does not.
type racingStore struct {
	*store.SQLite
	race string
	once sync.Once
}

func (r *racingStore) Alert(ctx context.Context, id string) (event.Alert, error) {
	a, err := r.SQLite.Alert(ctx, id)
	if id == r.race {
		r.ackRace(ctx)
	}
	return a, err
}

// CloseIncidentWith: an incident's closure reads its alerts in its own
// transaction (none before it), so officer2 acknowledges the alert race
// the moment before that transaction begins.
func (r *racingStore) CloseIncidentWith(ctx context.Context, id, user, outcome, note string, at time.Time, opt store.IncidentOptions) (store.Incident, []event.Alert, error) {
	r.ackRace(ctx)
	return r.SQLite.CloseIncidentWith(ctx, id, user, outcome, note, at, opt)
}

// ackRace acknowledges the alert race as officer2, once.
func (r *racingStore) ackRace(ctx context.Context) {
	r.once.Do(func() {
		if _, err := r.SQLite.Ack(ctx, r.race, "officer2", "on my way", testNow.Add(-time.Second)); err != nil {
			panic(err)
		}
	})
}

// sqliteEnv is newEnv with its alerts, incidents and audit log in one
// real SQLite store, holding firing alerts ids (unacknowledged) and
// incident inc-1 of kind drone_drop listing them.
func sqliteEnv(t *testing.T, ids ...string) (*env, *store.SQLite) {
	t.Helper()
	ev := newEnv(t)
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfw.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	for _, id := range ids {
		a := event.Alert{Schema: 1, ID: id, Site: "hmp1", Rule: "drone", Severity: event.SeverityCritical, State: event.AlertFiring,
			Class: event.ClassDroneID, Summary: "drone", ActiveNS: testNow.Add(-time.Hour).UnixNano(), UpdatedNS: testNow.Add(-time.Hour).UnixNano()}
		if err := db.UpsertAlert(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	inc := store.Incident{ID: "inc-1", Site: "hmp1", Kind: "drone_drop", Summary: "drone", State: store.IncidentOpen,
		OpenedNS: testNow.Add(-time.Hour).UnixNano(), UpdatedNS: testNow.Add(-time.Hour).UnixNano(), Alerts: ids}
	if err := db.UpsertIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	ev.deps.Alerts, ev.deps.Auditor = db, db
	return ev, db
}

// ackAudited lists the objects of the store's alert.ack rows by user.
func ackAudited(t *testing.T, db *store.SQLite, user string) []string {
	t.Helper()
	log, err := db.AuditLog(context.Background(), store.AuditFilter{Prefix: "alert.ack", User: user})
	if err != nil {
		t.Fatal(err)
	}
	var objs []string
	for _, e := range log {
		objs = append(objs, e.Object)
	}
	return objs
}

// TestAckKeepsConcurrentAck: a bulk acknowledgement (and an incident's
// closure) read an alert unacknowledged, and then overwrote the
// acknowledgement officer2 made meanwhile, though docs/alerts.md promises
// it stands. The store now decides in the transaction that writes: the
// bulk answers already_acked with officer2's acknowledgement, the closure
// leaves it, and neither writes an alert.ack row for it.
func TestAckKeepsConcurrentAck(t *testing.T) {
	for _, tc := range []struct {
		name, path, body string
	}{
		{"bulk", "/api/v1/alerts/ack", `{"ids":["a-race","a-free"],"note":"wing searched"}`},
		{"incident close", "/api/v1/incidents/inc-1/close", `{"outcome":"not_found","note":"wing searched"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, db := sqliteEnv(t, "a-race", "a-free")
			rs := &racingStore{SQLite: db, race: "a-race"}
			ev.deps.Alerts, ev.deps.Auditor = rs, rs
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			who := RoleOfficer
			if tc.name == "incident close" {
				who = RoleAnalyst
			}
			c := login(t, e, who, who+"-password")
			rec := do(e, "POST", tc.path, tc.body, "application/json", &c, true)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: %d %s", tc.path, rec.Code, trunc(rec.Body.String()))
			}
			if tc.name == "bulk" {
				var got bulkAckResp
				if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
					t.Fatal(err)
				}
				if len(got.Results) != 2 || got.Results[0].Result != BulkAlreadyAcked || got.Results[1].Result != BulkAcked || got.Acked != 1 {
					t.Fatalf("results %+v, want a-race already_acked, a-free acked", got.Results)
				}
				if a := got.Results[0].Alert; a == nil || a.AckBy != "officer2" {
					t.Errorf("a-race answered as %+v, want officer2's acknowledgement as it stands", a)
				}
			}
			race, _ := db.Alert(context.Background(), "a-race")
			if race.AckBy != "officer2" || race.AckNote != "on my way" {
				t.Errorf("a-race acknowledged by %q, %q; want officer2's acknowledgement standing", race.AckBy, race.AckNote)
			}
			if free, _ := db.Alert(context.Background(), "a-free"); free.AckBy != who {
				t.Errorf("a-free acknowledged by %q, want %q", free.AckBy, who)
			}
			if got := ackAudited(t, db, who); len(got) != 1 || got[0] != "alert/a-free" {
				t.Errorf("alert.ack rows by %s: %v, want alert/a-free alone", who, got)
			}
		})
	}
}

// TestAckNeedsItsAuditRow: an acknowledgement was stored and then its
// audit row written, its failure only logged (`_ = s.audit(...)`): a bulk
// acknowledgement reported acked alerts the audit log never heard of.
// The acknowledgement is now stored with its row or not at all (one
// transaction with the store's audit log; audited first with another
// Acker), and one that cannot be audited answers failed (bulk) or 503
// naming its audit row (single, as maintenance, an incident's closure and
// the registry answer; it answered 500), leaving the alert
// unacknowledged.
func TestAckNeedsItsAuditRow(t *testing.T) {
	for _, tc := range []struct {
		name  string
		given func(t *testing.T) (*env, func(id string) event.Alert)
	}{
		{"one SQLite store, audit refused", func(t *testing.T) (*env, func(string) event.Alert) {
			ev, db := sqliteEnv(t, "al1", "al2")
			if _, err := db.DB().Exec(`CREATE TRIGGER no_audit BEFORE INSERT ON audit WHEN NEW.action = 'alert.ack' BEGIN SELECT RAISE(ABORT, 'audit refused'); END`); err != nil {
				t.Fatal(err)
			}
			return ev, func(id string) event.Alert { a, _ := db.Alert(context.Background(), id); return a }
		}},
		{"another Acker, audit log locked", func(t *testing.T) (*env, func(string) event.Alert) {
			ev := newEnv(t)
			a := ev.al.alerts["al1"]
			a.ID = "al2"
			ev.al.alerts["al2"] = a
			ev.deps.Auditor = &lockedAudit{}
			ev.deps.Acker = demoLikeAcker{ev.al}
			return ev, func(id string) event.Alert { a, _ := ev.al.Alert(context.Background(), id); return a }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, stored := tc.given(t)
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			off := login(t, e, RoleOfficer, "officer-password")
			rec := do(e, "POST", "/api/v1/alerts/ack", `{"ids":["al1"],"note":"wing searched"}`, "application/json", &off, true)
			var got bulkAckResp
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK {
				t.Fatalf("bulk ack: %d %s", rec.Code, trunc(rec.Body.String()))
			}
			if len(got.Results) != 1 || got.Results[0].Result != BulkFailed || got.Acked != 0 {
				t.Errorf("bulk ack without its audit row: %+v (acked %d), want failed", got.Results, got.Acked)
			}
			if a := stored("al1"); a.AckNS != 0 {
				t.Errorf("al1 acknowledged by %q without its audit row", a.AckBy)
			}
			rec = do(e, "POST", "/api/v1/alerts/al2/ack", `{"note":"x"}`, "application/json", &off, true)
			if rec.Code != http.StatusServiceUnavailable {
				t.Errorf("single ack without its audit row: %d %s, want 503", rec.Code, trunc(rec.Body.String()))
			}
			for _, want := range []string{"alert.ack alert/al2 refused", "audit row could not be stored", "nothing changed, try again"} {
				if !strings.Contains(rec.Body.String(), want) {
					t.Errorf("single ack without its audit row: %s, want it to say %q", trunc(rec.Body.String()), want)
				}
			}
			if a := stored("al2"); a.AckNS != 0 {
				t.Errorf("al2 acknowledged by %q without its audit row", a.AckBy)
			}
		})
	}
}

// demoLikeAcker acknowledges through something other than the store's
// transaction, as the demo's engine does.
type demoLikeAcker struct{ al *fakeAlerts }

func (d demoLikeAcker) Ack(ctx context.Context, id, user, note string) (event.Alert, error) {
	return d.al.Ack(ctx, id, user, note, testNow)
}
