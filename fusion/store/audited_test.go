package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

// auditedObjects lists the objects of the store's audit rows whose action
// starts with prefix, sorted.
func auditedObjects(t *testing.T, s *store.SQLite, prefix string) []string {
	t.Helper()
	log, err := s.AuditLog(context.Background(), store.AuditFilter{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	var objs []string
	for _, e := range log {
		objs = append(objs, e.Action+" "+e.Object)
	}
	slices.Sort(objs)
	return objs
}

// refuseAudit makes the store's audit log refuse rows of action (every
// row when action is empty), as a database held by another writer would.
func refuseAudit(t *testing.T, s *store.SQLite, action string) {
	t.Helper()
	when := ""
	if action != "" {
		when = "WHEN NEW.action = '" + action + "' "
	}
	if _, err := s.DB().Exec(`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit ` + when + `BEGIN SELECT RAISE(ABORT, 'audit refused'); END`); err != nil {
		t.Fatal(err)
	}
}

// TestSQLiteMaintenanceAudited: a maintenance window set, replaced or
// ended with its audit row is stored with the row in one transaction;
// when the row cannot be written, nothing changes (a window it would
// replace or end stays as it was) and the audit's error is returned.
func TestSQLiteMaintenanceAudited(t *testing.T) {
	ctx := context.Background()
	base := storetest.Base
	was := store.Maintenance{Site: "site1", Sensor: "s1", FromNS: base.UnixNano(), UntilNS: base.Add(time.Hour).UnixNano(), By: "admin", Reason: "new antenna"}
	next := store.Maintenance{Site: "site1", Sensor: "s1", FromNS: base.Add(time.Minute).UnixNano(), UntilNS: base.Add(7 * 24 * time.Hour).UnixNano(), By: "admin2", Reason: "antenna swap"}
	row := func(action string) store.AuditEntry {
		return store.AuditEntry{TimeNS: base.Add(time.Minute).UnixNano(), User: "admin2", Action: action, Object: "sensor/s1"}
	}
	for _, tc := range []struct {
		name    string
		before  bool // was is running
		refuse  bool // the audit log refuses the row
		change  func(s *store.SQLite) error
		want    []store.Maintenance
		audited []string
	}{
		{"start", false, false, func(s *store.SQLite) error { return s.SetMaintenanceAudited(ctx, next, row("sensor.maintenance")) },
			[]store.Maintenance{next}, []string{"sensor.maintenance sensor/s1"}},
		{"start refused", false, true, func(s *store.SQLite) error { return s.SetMaintenanceAudited(ctx, next, row("sensor.maintenance")) },
			nil, nil},
		{"extend", true, false, func(s *store.SQLite) error { return s.SetMaintenanceAudited(ctx, next, row("sensor.maintenance")) },
			[]store.Maintenance{next}, []string{"sensor.maintenance sensor/s1"}},
		{"extend refused", true, true, func(s *store.SQLite) error { return s.SetMaintenanceAudited(ctx, next, row("sensor.maintenance")) },
			[]store.Maintenance{was}, nil},
		{"end", true, false, func(s *store.SQLite) error {
			return s.EndMaintenanceAudited(ctx, "site1", "s1", base.Add(time.Minute), row("sensor.maintenance.end"))
		}, nil, []string{"sensor.maintenance.end sensor/s1"}},
		{"end refused", true, true, func(s *store.SQLite) error {
			return s.EndMaintenanceAudited(ctx, "site1", "s1", base.Add(time.Minute), row("sensor.maintenance.end"))
		}, []store.Maintenance{was}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openSQLite(t)
			if tc.before {
				if err := s.SetMaintenance(ctx, was); err != nil {
					t.Fatal(err)
				}
			}
			if tc.refuse {
				refuseAudit(t, s, "")
			}
			err := tc.change(s)
			if tc.refuse && (err == nil || !strings.Contains(err.Error(), "audit refused")) {
				t.Errorf("with the audit log refusing: %v, want the audit's error", err)
			}
			if !tc.refuse && err != nil {
				t.Fatal(err)
			}
			got, err := s.Maintenance(ctx, "site1", base.Add(2*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("windows %+v, want %+v", got, tc.want)
			}
			if got := auditedObjects(t, s, "sensor.maintenance"); !slices.Equal(got, tc.audited) {
				t.Errorf("audited %v, want %v", got, tc.audited)
			}
		})
	}
	// a window not running is not ended, and nothing is audited
	s := openSQLite(t)
	if err := s.EndMaintenanceAudited(ctx, "site1", "s1", base, row("sensor.maintenance.end")); !strings.Contains(errString(err), store.ErrNotFound.Error()) {
		t.Errorf("end of no window: %v, want ErrNotFound", err)
	}
	if got := auditedObjects(t, s, "sensor.maintenance"); len(got) != 0 {
		t.Errorf("end of no window audited %v", got)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestSQLiteIncidentChangeAudited: an incident closed or reopened with
// its audit row is stored with it; a closure's acknowledgements (those
// opt.Ack picks among its alerts nobody acknowledged) and their rows go
// in the same transaction. Any of those rows refused leaves the incident
// and every alert as they were.
func TestSQLiteIncidentChangeAudited(t *testing.T) {
	ctx := context.Background()
	base := storetest.Base
	at := base.Add(time.Hour)
	closeRow := &store.AuditEntry{TimeNS: at.UnixNano(), User: "analyst", Action: "incident.close", Object: "incident/inc1", After: "not_found: wing searched"}
	ackRow := func(id string) *store.AuditEntry {
		return &store.AuditEntry{TimeNS: at.UnixNano(), User: "analyst", Action: "alert.ack", Object: "alert/" + id, After: "incident closed"}
	}
	ackAll := store.IncidentOptions{Audit: closeRow, AckNote: "incident closed", Ack: func(_ store.Incident, a event.Alert) (bool, *store.AuditEntry) {
		return a.ID != "skip", ackRow(a.ID)
	}}
	for _, tc := range []struct {
		name    string
		refuse  string // the action whose rows the audit log refuses; "" none
		opt     store.IncidentOptions
		closed  bool
		acked   []string // alerts acknowledged by analyst
		audited []string
	}{
		{"closure and its acknowledgements", "", ackAll, true, []string{"a1", "a2"},
			[]string{"alert.ack alert/a1", "alert.ack alert/a2", "incident.close incident/inc1"}},
		{"closure alone", "", store.IncidentOptions{Audit: closeRow}, true, nil, []string{"incident.close incident/inc1"}},
		{"closure's row refused", "incident.close", ackAll, false, nil, nil},
		{"an acknowledgement's row refused", "alert.ack", ackAll, false, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openSQLite(t)
			for _, id := range []string{"a1", "a2", "skip", "acked"} {
				a := event.Alert{Schema: 1, ID: id, Site: "site1", Rule: "unauthorised_uplink", Severity: event.SeverityCritical,
					State: event.AlertFiring, Room: "B2-14", ActiveNS: base.UnixNano(), UpdatedNS: base.UnixNano()}
				if err := s.UpsertAlert(ctx, a); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.Ack(ctx, "acked", "officer2", "on my way", base.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			inc := store.Incident{ID: "inc1", Site: "site1", Kind: "illicit_phone", Summary: "phone", State: store.IncidentOpen,
				OpenedNS: base.UnixNano(), UpdatedNS: base.UnixNano(), Alerts: []string{"a1", "gone", "skip", "acked", "a2"}}
			if err := s.UpsertIncident(ctx, inc); err != nil {
				t.Fatal(err)
			}
			if tc.refuse != "" {
				refuseAudit(t, s, tc.refuse)
			}
			got, acked, err := s.CloseIncidentWith(ctx, "inc1", "analyst", "not_found", "wing searched", at, tc.opt)
			if tc.closed != (err == nil) {
				t.Fatalf("close: %+v, %v; want closed %v", got, err, tc.closed)
			}
			var ids []string
			for _, a := range acked {
				ids = append(ids, a.ID)
				if a.AckBy != "analyst" || a.AckNote != "incident closed" || a.AckNS != at.UnixNano() {
					t.Errorf("acknowledged %s as %q %q at %d, want analyst's closure note at the closure", a.ID, a.AckBy, a.AckNote, a.AckNS)
				}
			}
			if !slices.Equal(ids, tc.acked) {
				t.Errorf("acknowledged %v, want %v", ids, tc.acked)
			}
			stored, err := s.Incident(ctx, "inc1")
			if err != nil {
				t.Fatal(err)
			}
			if want := map[bool]string{true: store.IncidentClosed, false: store.IncidentOpen}[tc.closed]; stored.State != want {
				t.Errorf("incident stored %s, want %s", stored.State, want)
			}
			for _, id := range []string{"a1", "a2", "skip", "acked"} {
				a, err := s.Alert(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				want := ""
				switch {
				case id == "acked":
					want = "officer2"
				case slices.Contains(tc.acked, id):
					want = "analyst"
				}
				if a.AckBy != want {
					t.Errorf("alert %s acknowledged by %q, want %q", id, a.AckBy, want)
				}
			}
			if got := auditedObjects(t, s, ""); !slices.Equal(got, tc.audited) {
				t.Errorf("audited %v, want %v", got, tc.audited)
			}
		})
	}

	// reopening: with its row, or not at all
	reopenRow := &store.AuditEntry{TimeNS: at.Add(time.Minute).UnixNano(), User: "analyst", Action: "incident.reopen", Object: "incident/inc1", After: "closed in error"}
	for _, refuse := range []bool{false, true} {
		s := openSQLite(t)
		inc := store.Incident{ID: "inc1", Site: "site1", Kind: "illicit_phone", Summary: "phone", State: store.IncidentOpen,
			OpenedNS: base.UnixNano(), UpdatedNS: base.UnixNano()}
		if err := s.UpsertIncident(ctx, inc); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CloseIncident(ctx, "inc1", "analyst", "false_alarm", "", at); err != nil {
			t.Fatal(err)
		}
		if refuse {
			refuseAudit(t, s, "incident.reopen")
		}
		_, err := s.ReopenIncidentWith(ctx, "inc1", "analyst", "closed in error", at.Add(time.Minute), store.IncidentOptions{Audit: reopenRow})
		stored, _ := s.Incident(ctx, "inc1")
		audited := auditedObjects(t, s, "incident.reopen")
		switch {
		case refuse && (err == nil || stored.State != store.IncidentClosed || len(audited) != 0):
			t.Errorf("reopen with its row refused: %v, stored %s, audited %v; want the error, closed, no row", err, stored.State, audited)
		case !refuse && (err != nil || stored.State != store.IncidentOpen || len(audited) != 1):
			t.Errorf("reopen: %v, stored %s, audited %v; want open with its row", err, stored.State, audited)
		}
	}
}

// TestSQLiteMaintenanceAcks: a window and the acknowledgements it makes
// (its sensor's open alerts nobody acknowledged, chosen by opt.Ack) are
// one transaction with every row: when any row is refused (the window's
// or one acknowledgement's), no window is stored, no alert is
// acknowledged and no row is written. An alert acknowledged already, or
// resolved, is not asked about.
func TestSQLiteMaintenanceAcks(t *testing.T) {
	ctx := context.Background()
	base := storetest.Base
	m := store.Maintenance{Site: "site1", Sensor: "s1", FromNS: base.UnixNano(), UntilNS: base.Add(time.Hour).UnixNano(), By: "admin", Reason: "new antenna"}
	alerts := []event.Alert{
		{Schema: 1, ID: "s1-offline", Site: "site1", Rule: "offline", Severity: event.SeverityWarning, State: event.AlertFiring, Sensor: "s1"},
		{Schema: 1, ID: "s1-tamper", Site: "site1", Rule: "tamper", Severity: event.SeverityCritical, State: event.AlertPending, Sensor: "s1"},
		{Schema: 1, ID: "s1-clock", Site: "site1", Rule: "clock", Severity: event.SeverityWarning, State: event.AlertFiring, Sensor: "s1", AckBy: "officer", AckNS: base.Add(-time.Minute).UnixNano(), AckNote: "seen"},
		{Schema: 1, ID: "s1-old", Site: "site1", Rule: "offline", Severity: event.SeverityWarning, State: event.AlertResolved, Sensor: "s1"},
		{Schema: 1, ID: "s2-offline", Site: "site1", Rule: "offline", Severity: event.SeverityWarning, State: event.AlertFiring, Sensor: "s2"},
		{Schema: 1, ID: "other-site", Site: "site2", Rule: "offline", Severity: event.SeverityWarning, State: event.AlertFiring, Sensor: "s1"},
	}
	for _, tc := range []struct {
		name   string
		refuse string // the action whose rows the audit log refuses
		acked  []string
		rows   []string
	}{
		{"every row written", "none", []string{"s1-offline", "s1-tamper"},
			[]string{"alert.ack alert/s1-offline", "alert.ack alert/s1-tamper", "sensor.maintenance sensor/s1"}},
		{"the window's row refused", "sensor.maintenance", nil, nil},
		{"an acknowledgement's row refused", "alert.ack", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openSQLite(t)
			for _, a := range alerts {
				if err := s.UpsertAlert(ctx, a); err != nil {
					t.Fatal(err)
				}
			}
			refuseAudit(t, s, tc.refuse)
			var asked []string
			acked, err := s.SetMaintenanceWith(ctx, m, store.MaintenanceOptions{
				Audit:   &store.AuditEntry{TimeNS: base.UnixNano(), User: "admin", Action: "sensor.maintenance", Object: "sensor/s1"},
				AckNote: "maintenance until 01:00 UTC: new antenna",
				Ack: func(a event.Alert) (bool, *store.AuditEntry) {
					asked = append(asked, a.ID)
					return a.Sensor == "s1", &store.AuditEntry{TimeNS: base.UnixNano(), User: "admin", Action: "alert.ack", Object: "alert/" + a.ID}
				},
			})
			switch {
			case tc.rows != nil && err != nil:
				t.Fatal(err)
			case tc.rows == nil && (err == nil || !strings.Contains(err.Error(), "audit refused")):
				t.Errorf("with %s rows refused: %v, want the audit's error", tc.refuse, err)
			}
			var gotAcked []string
			for _, a := range acked {
				gotAcked = append(gotAcked, a.ID)
				if a.AckBy != "admin" || a.AckNS != m.FromNS || a.AckNote != "maintenance until 01:00 UTC: new antenna" {
					t.Errorf("alert %s returned acknowledged by %q at %d with %q, want admin at the window's start with its note", a.ID, a.AckBy, a.AckNS, a.AckNote)
				}
			}
			if !slices.Equal(gotAcked, tc.acked) {
				t.Errorf("acknowledged %v, want %v", gotAcked, tc.acked)
			}
			if want := []string{"s1-offline", "s1-tamper", "s2-offline"}; tc.rows != nil && !slices.Equal(asked, want) {
				t.Errorf("asked about %v, want the site's open unacknowledged alerts %v", asked, want)
			}
			for _, a := range alerts {
				got, err := s.Alert(ctx, a.ID)
				if err != nil {
					t.Fatal(err)
				}
				wantBy := a.AckBy
				if slices.Contains(tc.acked, a.ID) {
					wantBy = "admin"
				}
				if got.AckBy != wantBy {
					t.Errorf("alert %s acknowledged by %q, want %q", a.ID, got.AckBy, wantBy)
				}
			}
			ms, err := s.Maintenance(ctx, "site1", base)
			if err != nil {
				t.Fatal(err)
			}
			if (len(ms) == 1) != (tc.rows != nil) {
				t.Errorf("windows %+v after %s", ms, tc.name)
			}
			var rows []string
			for _, p := range []string{"alert.ack", "sensor.maintenance"} {
				rows = append(rows, auditedObjects(t, s, p)...)
			}
			if !slices.Equal(rows, tc.rows) {
				t.Errorf("audit rows %v, want %v", rows, tc.rows)
			}
		})
	}
}
