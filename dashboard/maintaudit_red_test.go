package dashboard

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

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
