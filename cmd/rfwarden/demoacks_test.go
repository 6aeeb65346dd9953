package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/dashboard"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/sensor/sim"
	"golang.org/x/crypto/bcrypt"
)

// demoAcksRig is the demo's dashboard (demoStateDeps) on a SQLite store
// and a fusion engine holding a firing sensor-offline alert of s1, with a
// drone-drop incident inc-1 of drone alert d1 stored beside it.
type demoAcksRig struct {
	db      *store.SQLite
	eng     *fusion.Engine
	c       *demoClient
	offline string // the engine's sensor-offline alert of s1
	now     func() time.Time
}

// alertPublisher records the alerts fusion publishes.
type alertPublisher struct {
	mu  sync.Mutex
	got []event.Alert
}

func (p *alertPublisher) PublishAlert(_ context.Context, a event.Alert) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, a)
	return nil
}

func newDemoAcksRig(t *testing.T) *demoAcksRig {
	t.Helper()
	ctx := context.Background()
	st, err := site.Load(strings.NewReader(string(sim.StandardWing(1).SiteYAML())))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.OpenSQLite(t.TempDir() + "/rfwarden.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var nowNS atomic.Int64
	nowNS.Store(time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, nowNS.Load()).UTC() }
	eng, err := fusion.New(fusion.Config{Model: demoModel(), Alerts: demoAlerts(1)}, fusion.Deps{Site: st, AlertStore: db, Maintenance: db,
		Publisher: &alertPublisher{}, Clock: now})
	if err != nil {
		t.Fatal(err)
	}
	// s1 goes offline (its last will) and stays so past the rule's 30 s
	if err := eng.Handle(ctx, fusion.Message{Topic: event.SensorTopic(st.ID, "s1", event.KindStatus), Payload: []byte(event.StatusOffline)}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := eng.Tick(ctx, now()); err != nil {
			t.Fatal(err)
		}
		nowNS.Add(int64(31 * time.Second))
	}
	r := &demoAcksRig{db: db, eng: eng, now: now}
	for _, a := range eng.Alerts().Active() {
		if a.Sensor == "s1" && a.State == event.AlertFiring {
			r.offline = a.ID
		}
	}
	if r.offline == "" {
		t.Fatalf("no firing sensor-offline alert of s1 in the engine: %+v", eng.Alerts().Active())
	}
	d := event.Alert{Schema: 1, ID: "d1", Site: st.ID, Rule: "drone", Severity: event.SeverityCritical, State: event.AlertFiring,
		Class: event.ClassDroneID, Summary: "drone", ActiveNS: now().UnixNano(), UpdatedNS: now().UnixNano()}
	if err := db.UpsertAlert(ctx, d); err != nil {
		t.Fatal(err)
	}
	inc := store.Incident{ID: "inc-1", Site: st.ID, Kind: "drone_drop", Summary: "drone", State: store.IncidentOpen,
		OpenedNS: now().UnixNano(), UpdatedNS: now().UnixNano(), Alerts: []string{"d1"}, DroneAlerts: []string{"d1"}}
	if err := db.UpsertIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	users, err := dashboard.NewUsers(ctx, db.DB(), dashboard.UsersOptions{Now: now, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	if err := users.Create(ctx, "admin", "admin-password-for-tests", dashboard.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	deps := demoStateDeps(db, eng, now)
	deps.Users, deps.Site, deps.Logger = users, st, slog.New(slog.DiscardHandler)
	e, err := dashboard.New(deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	r.c = loginDemo(t, demoInfo{URL: srv.URL, User: "admin", Password: "admin-password-for-tests"})
	return r
}

// TestDemoAcksInTheirTransaction: in the demo, a maintenance window's
// start and an incident's closure were stored with their own audit rows
// in one transaction and the acknowledgements they make followed through
// fusion's engine, each on its own (demoAcker): with alert.ack rows
// refused half-way (the database held by another writer) the window or
// the closure stood and the alerts stayed unacknowledged, or some were.
// The demo's dashboard now acknowledges as a deployment's does, in the
// store's transaction with the change and every row, and tells the
// engine afterwards (as fusion hears a dashboard's announcement), so the
// change is refused as a whole (503 naming the row) and nothing changes;
// and when every row is written the engine's alert carries the
// acknowledgement at once.
func TestDemoAcksInTheirTransaction(t *testing.T) {
	for _, tc := range []struct {
		name, path, body string
		refuse           string // audit rows of this action refused
		code             int
	}{
		{"maintenance start", "/api/v1/sensors/s1/maintenance", `{"minutes":60,"reason":"new antenna"}`, "none", http.StatusOK},
		{"maintenance start, an acknowledgement's row refused", "/api/v1/sensors/s1/maintenance", `{"minutes":60,"reason":"new antenna"}`, "alert.ack", http.StatusServiceUnavailable},
		{"incident close", "/api/v1/incidents/inc-1/close", `{"outcome":"not_found","note":"yard searched"}`, "none", http.StatusOK},
		{"incident close, an acknowledgement's row refused", "/api/v1/incidents/inc-1/close", `{"outcome":"not_found","note":"yard searched"}`, "alert.ack", http.StatusServiceUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newDemoAcksRig(t)
			ctx := context.Background()
			if _, err := r.db.DB().Exec(`CREATE TRIGGER no_audit BEFORE INSERT ON audit WHEN NEW.action = '` + tc.refuse + `' BEGIN SELECT RAISE(ABORT, 'database is locked'); END`); err != nil {
				t.Fatal(err)
			}
			code, body := r.c.send(http.MethodPost, tc.path, tc.body)
			if code != tc.code || (code != http.StatusOK && !strings.Contains(body, "alert.ack")) {
				t.Fatalf("POST %s: %d %s, want %d (naming a refused alert.ack row)", tc.path, code, strings.TrimSpace(body), tc.code)
			}
			ok := code == http.StatusOK
			acked := "d1"
			if strings.Contains(tc.path, "maintenance") {
				acked = r.offline
				ms, err := r.db.Maintenance(ctx, "hmp-demo", r.now())
				if err != nil {
					t.Fatal(err)
				}
				if (len(ms) == 1) != ok {
					t.Errorf("windows %+v after %d", ms, code)
				}
			} else {
				inc, err := r.db.Incident(ctx, "inc-1")
				if err != nil {
					t.Fatal(err)
				}
				if want := map[bool]string{true: store.IncidentClosed, false: store.IncidentOpen}[ok]; inc.State != want {
					t.Errorf("incident %s after %d, want %s", inc.State, code, want)
				}
			}
			a, err := r.db.Alert(ctx, acked)
			if err != nil {
				t.Fatal(err)
			}
			if (a.AckBy == "admin") != ok {
				t.Errorf("stored alert %s acknowledged by %q (%q) after %d", acked, a.AckBy, a.AckNote, code)
			}
			rows, err := r.db.AuditLog(ctx, store.AuditFilter{Prefix: "alert.ack"})
			if err != nil {
				t.Fatal(err)
			}
			if (len(rows) == 1 && rows[0].Object == "alert/"+acked) != ok || (!ok && len(rows) != 0) {
				t.Errorf("alert.ack rows %+v after %d", rows, code)
			}
			if acked != r.offline {
				return
			}
			// the engine's own alert (it is no longer only in the store)
			held := false
			for _, ea := range r.eng.Alerts().Active() {
				if ea.ID != r.offline {
					continue
				}
				held = true
				if (ea.AckBy == "admin") != ok {
					t.Errorf("fusion's engine holds %s acknowledged by %q after %d", ea.ID, ea.AckBy, code)
				}
			}
			if !held {
				t.Errorf("fusion's engine no longer holds %s", r.offline)
			}
		})
	}
}
