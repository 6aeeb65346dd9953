package dashboard

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestRedMaintenanceNeedsItsAuditRow: a maintenance window silences a
// sensor's tamper, jammed, offline and clock alarms for up to a week.
// Registry changes, acknowledgements and account deletions are stored
// with their audit rows in one transaction, both or neither
// (docs/alerts.md, docs/data-protection.md); evidence is refused when
// its row cannot be written. A window (and its early end, or an
// extension: a second POST replaces the window) was stored first and its
// audit row written after, its failure ignored (startMaintenance,
// endMaintenance: `_ = s.audit(...)`): with the audit log held by
// another writer, an admin (or whoever holds an admin's session) took
// the wing's sensor out of alarm for a week and the audit log never
// said who, when or why. The window is now refused (503 naming the
// audit row), unchanged, when its audit row cannot be written: with the
// store's audit log in one transaction (a deployment's and the demo's
// SQLite), or, with another maintenance store, its row written first.
func TestRedMaintenanceNeedsItsAuditRow(t *testing.T) {
	for _, st := range []struct {
		name  string
		given func(t *testing.T) (*env, store.MaintenanceStore)
	}{
		{"another store, audit log locked", func(t *testing.T) (*env, store.MaintenanceStore) {
			ev := newEnv(t)
			ev.deps.Auditor = &lockedAudit{}
			return ev, ev.maint
		}},
		{"one SQLite store, audit refused", func(t *testing.T) (*env, store.MaintenanceStore) {
			ev, db := sqliteEnv(t)
			ev.deps.Maintenance = db
			if _, err := db.DB().Exec(`CREATE TRIGGER no_audit BEFORE INSERT ON audit WHEN NEW.action LIKE 'sensor.maintenance%' BEGIN SELECT RAISE(ABORT, 'database is locked'); END`); err != nil {
				t.Fatal(err)
			}
			return ev, db
		}},
	} {
		for _, tc := range []struct {
			name, method string
			before       bool // a window running before the request
			wantWindow   bool // a window stored after a refused request
		}{
			{"start", http.MethodPost, false, false},
			{"extend", http.MethodPost, true, true},
			{"end early", http.MethodDelete, true, true},
		} {
			t.Run(st.name+"/"+tc.name, func(t *testing.T) {
				ev, maint := st.given(t)
				var was store.Maintenance
				if tc.before {
					was = store.Maintenance{Site: ev.deps.Site.ID, Sensor: "s1", FromNS: testNow.Add(-time.Hour).UnixNano(),
						UntilNS: testNow.Add(time.Hour).UnixNano(), By: "admin", Reason: "new antenna"}
					if err := maint.SetMaintenance(context.Background(), was); err != nil {
						t.Fatal(err)
					}
				}
				e, err := New(ev.deps)
				if err != nil {
					t.Fatal(err)
				}
				ad := login(t, e, RoleAdmin, "admin-password")
				rec := do(e, tc.method, "/api/v1/sensors/s1/maintenance", `{"minutes":10080,"reason":"antenna swap"}`, "application/json", &ad, true)
				ms, _ := maint.Maintenance(context.Background(), ev.deps.Site.ID, testNow)
				switch {
				case rec.Code < 300:
					t.Errorf("%s with the audit log locked: %d, windows now %+v, unaudited; want it refused (503) and nothing changed", tc.name, rec.Code, ms)
				case rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "sensor.maintenance") || !strings.Contains(rec.Body.String(), "audit row"):
					t.Errorf("%s refused with %d %s, want 503 naming its audit row", tc.name, rec.Code, trunc(rec.Body.String()))
				case tc.wantWindow && (len(ms) != 1 || ms[0] != was):
					t.Errorf("%s refused (%d) but the window changed: %+v, want %+v", tc.name, rec.Code, ms, was)
				case !tc.wantWindow && len(ms) != 0:
					t.Errorf("%s refused (%d) but a window is stored: %+v", tc.name, rec.Code, ms)
				}
			})
		}
	}
}

// TestMaintenanceAuditedInItsTransaction: with the store's audit log
// working, a window set, replaced and ended through the dashboard on one
// SQLite store leaves a row each (who, until when, why), and ending a
// window not running is 404 with no row.
func TestMaintenanceAuditedInItsTransaction(t *testing.T) {
	ev, db := sqliteEnv(t)
	ev.deps.Maintenance = db
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	ad := login(t, e, RoleAdmin, "admin-password")
	for _, step := range []struct {
		method, body string
		code         int
		windows      int
	}{
		{http.MethodPost, `{"minutes":60,"reason":"new antenna"}`, http.StatusOK, 1},
		{http.MethodPost, `{"minutes":120,"reason":"antenna swap"}`, http.StatusOK, 1},
		{http.MethodDelete, ``, http.StatusNoContent, 0},
		{http.MethodDelete, ``, http.StatusNotFound, 0},
	} {
		rec := do(e, step.method, "/api/v1/sensors/s1/maintenance", step.body, "application/json", &ad, true)
		ms, _ := db.Maintenance(context.Background(), ev.deps.Site.ID, testNow)
		if rec.Code != step.code || len(ms) != step.windows {
			t.Errorf("%s %s: %d %s, windows %+v; want %d and %d windows", step.method, step.body, rec.Code, trunc(rec.Body.String()), ms, step.code, step.windows)
		}
	}
	log, err := db.AuditLog(context.Background(), store.AuditFilter{Prefix: "sensor.maintenance"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range log {
		got = append(got, r.User+" "+r.Action+" "+r.Object+" "+r.After)
	}
	want := []string{"admin sensor.maintenance.end sensor/s1 ", "admin sensor.maintenance sensor/s1 until 2026-",
		"admin sensor.maintenance sensor/s1 until 2026-"}
	if len(got) != len(want) {
		t.Fatalf("audit rows %q, want 3: two windows and their end", got)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("audit row %d %q, want %q…", i, got[i], want[i])
		}
	}
	if !strings.HasSuffix(got[1], ": antenna swap") || !strings.HasSuffix(got[2], ": new antenna") {
		t.Errorf("audit rows %q lack the windows' reasons", got)
	}
}

// TestRedMaintenanceAcksInItsTransaction: starting a window acknowledges
// the sensor's open sensor alerts nobody acknowledged. The window and its
// row were one transaction and each acknowledgement another, made after
// it, its failure only logged: with alert.ack rows refused (the database
// held by another writer half-way) the sensor was out of alarm for a
// week with its tamper alert open and unacknowledged on the Alerts page,
// or some alerts acknowledged and the window refused. On one SQLite store
// the window, its row, its acknowledgements and their rows are now one
// transaction: all stored, or the request refused (503 naming what
// failed) and nothing changed.
func TestRedMaintenanceAcksInItsTransaction(t *testing.T) {
	for _, tc := range []struct {
		name    string
		refuse  string // audit rows of this action refused
		code    int
		names   string // in the refusal
		acked   bool   // the sensor's alerts acknowledged after
		windows int
		rows    []string
	}{
		{"every row written", "none", http.StatusOK, "", true, 1,
			[]string{"alert.ack alert/s1-offline", "alert.ack alert/s1-tamper", "sensor.maintenance sensor/s1"}},
		{"an acknowledgement's row refused", "alert.ack", http.StatusServiceUnavailable, "alert.ack", false, 0, nil},
		{"the window's row refused", "sensor.maintenance", http.StatusServiceUnavailable, "sensor.maintenance", false, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, db := sqliteEnv(t)
			ev.deps.Maintenance = db
			ctx := context.Background()
			for _, a := range []event.Alert{
				{Schema: 1, ID: "s1-offline", Site: "hmp1", Rule: "sensor_offline", Severity: event.SeverityWarning, State: event.AlertFiring, Sensor: "s1", UpdatedNS: testNow.UnixNano()},
				{Schema: 1, ID: "s1-tamper", Site: "hmp1", Rule: "tamper", Severity: event.SeverityCritical, State: event.AlertPending, Sensor: "s1", UpdatedNS: testNow.UnixNano()},
				{Schema: 1, ID: "s2-offline", Site: "hmp1", Rule: "sensor_offline", Severity: event.SeverityWarning, State: event.AlertFiring, Sensor: "s2", UpdatedNS: testNow.UnixNano()},
				{Schema: 1, ID: "p1", Site: "hmp1", Rule: "illicit_phone", Severity: event.SeverityCritical, State: event.AlertFiring, Sensor: "s1", Room: "a-102", UpdatedNS: testNow.UnixNano()},
			} {
				if err := db.UpsertAlert(ctx, a); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.DB().Exec(`CREATE TRIGGER no_audit BEFORE INSERT ON audit WHEN NEW.action = '` + tc.refuse + `' BEGIN SELECT RAISE(ABORT, 'database is locked'); END`); err != nil {
				t.Fatal(err)
			}
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			feed, cancel := ev.deps.Hub.Subscribe(Subscription{Kinds: map[string]bool{MsgAlert: true}})
			defer cancel()
			ad := login(t, e, RoleAdmin, "admin-password")
			rec := do(e, http.MethodPost, "/api/v1/sensors/s1/maintenance", `{"minutes":60,"reason":"new antenna"}`, "application/json", &ad, true)
			if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.names) {
				t.Errorf("start: %d %s, want %d naming %q", rec.Code, trunc(rec.Body.String()), tc.code, tc.names)
			}
			if ms, _ := db.Maintenance(ctx, "hmp1", testNow); len(ms) != tc.windows {
				t.Errorf("windows %+v, want %d", ms, tc.windows)
			}
			for id, want := range map[string]bool{"s1-offline": tc.acked, "s1-tamper": tc.acked, "s2-offline": false, "p1": false} {
				a, err := db.Alert(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if (a.AckNS != 0) != want {
					t.Errorf("alert %s acknowledged by %q (%q), want acknowledged %v", id, a.AckBy, a.AckNote, want)
				}
				if want && (a.AckBy != "admin" || !strings.HasPrefix(a.AckNote, "maintenance until ") || !strings.HasSuffix(a.AckNote, ": new antenna")) {
					t.Errorf("alert %s acknowledged by %q with %q, want admin with the window's note", id, a.AckBy, a.AckNote)
				}
			}
			var rows []string
			for _, p := range []string{"alert.ack", "sensor.maintenance"} {
				log, err := db.AuditLog(ctx, store.AuditFilter{Prefix: p})
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range log {
					rows = append(rows, r.Action+" "+r.Object)
				}
			}
			slices.Sort(rows)
			if !slices.Equal(rows, tc.rows) {
				t.Errorf("audit rows %q, want %q", rows, tc.rows)
			}
			onFeed := 0
			for len(feed) > 0 {
				<-feed
				onFeed++
			}
			if want := len(tc.rows) - min(len(tc.rows), 1); onFeed != want {
				t.Errorf("%d acknowledgements on the live feed, want %d", onFeed, want)
			}
		})
	}
}
