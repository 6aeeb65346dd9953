package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// queryPlan returns SQLite's EXPLAIN QUERY PLAN of q, its details joined.
func queryPlan(t testing.TB, s *store.SQLite, q string, args ...any) string {
	t.Helper()
	rows, err := s.DB().Query(`EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "; ")
}

// TestSQLiteHistoryQueriesIndexed (soak test, 2026-12-06): the queries run
// at every page load or every hour over tables kept for a year (incidents,
// alert_days) or six (audit, audit_days) must find their rows by an index,
// not read every row ever kept: the incidents page asks for a week, the
// audit page's date filter for a day, retention for the rows past their
// age (none, most hours), the evidence retention for the open cases'
// evidence. Each query is the store's own; each table it reads must be
// searched by an index (SEARCH), or read through a partial index holding
// only the rows that are not history (the open incidents, the alerts not
// settled), never scanned whole.
func TestSQLiteHistoryQueriesIndexed(t *testing.T) {
	s := openSQLite(t)
	week := time.Now().Add(-7 * 24 * time.Hour).UnixNano()
	incidents, incArgs := store.IncidentsQuery("site1", "", week, int64(1)<<62, 200)
	open, openArgs := store.IncidentsQuery("site1", store.IncidentOpen, 0, int64(1)<<62, 200)
	protected, protArgs := store.ProtectedQuery("site1")
	everySite, _ := store.ProtectedQuery("")
	tests := []struct {
		name string
		q    string
		args []any
		// the tables (or aliases; or "table USING INDEX name") the plan
		// must SEARCH, at least
		search []string
	}{
		// store.SQLite.Incidents: GET /api/v1/incidents (a week by default),
		// incidents/export.csv (window or from/to)
		{"incidents of a window", incidents, incArgs, []string{"incident"}},
		// GET /api/v1/incidents?state=open: every open incident, however old
		{"open incidents", open, openArgs, []string{"incident USING INDEX incident_open"}},
		// store.SQLite.PruneAlerts, hourly: the closed incidents past alert_days
		{"incidents past alert_days", store.PruneIncidentsQuery, []any{"site1", week, 5000}, []string{"incident"}},
		// and the resolved alerts past alert_days but the open cases'
		{"alerts past alert_days", store.PruneAlertsQuery, []any{"site1", week, 5000}, []string{"alert"}},
		// store.SQLite.PruneAudit, hourly: the audit rows past audit_days
		{"audit past audit_days", store.PruneAuditRowsQuery, []any{week, 5000}, []string{"audit"}},
		{"audit views past audit_view_days", store.PruneAuditViewsQuery, []any{week, 5000}, []string{"audit USING INDEX audit_view_time"}},
		// store.SQLite.AuditLog with from/to: GET /api/v1/audit?from=..&to=.. and its export
		{"audit of a day", `SELECT id, time_ns, user, action, object, before, after, addr FROM audit WHERE time_ns >= ? AND time_ns < ? ORDER BY id DESC LIMIT ?`,
			[]any{week, week + int64(24*time.Hour), 1001}, []string{"audit"}},
		// store.SQLite.ProtectedDetections: the dashboard's evidence
		// retention, hourly and at every snippet over its quota
		{"open cases' evidence", protected, protArgs, []string{"a"}},
		{"open cases' evidence of every site", everySite, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan := queryPlan(t, s, tc.q, tc.args...)
			t.Logf("plan: %s", plan)
			for _, table := range tc.search {
				if !strings.Contains(plan, "SEARCH "+table+" ") {
					t.Errorf("query plan %q: no SEARCH of %s by an index", plan, table)
				}
			}
			if whole := wholeScans(plan); len(whole) > 0 {
				t.Errorf("query plan %q: reads every row kept (%s); want a SEARCH by an index, or a partial index of the rows that are not history", plan, strings.Join(whole, "; "))
			}
		})
	}
}

// wholeScans returns the steps of plan (queryPlan's, "; " between them)
// that read a whole table of the store: a SCAN of a table or alias but
// through the partial indexes of the open incidents and alerts not
// settled. The scans of json_each (one row's JSON) and of the query's own
// subqueries and temporary results (named c and j, and MATERIALIZE) are
// not the store's tables.
func wholeScans(plan string) []string {
	var out []string
	for _, step := range strings.Split(plan, "; ") {
		f := strings.Fields(step)
		if len(f) < 2 || f[0] != "SCAN" {
			continue
		}
		switch {
		case strings.Contains(step, "VIRTUAL TABLE"), f[1] == "c",
			strings.Contains(step, "USING INDEX incident_open"), strings.Contains(step, "USING INDEX alert_unsettled"):
			continue
		}
		out = append(out, step)
	}
	return out
}

// fillIncidents stores n closed incidents of site1, updated one every
// 5 minutes going back from before, as fusion's UpsertIncident stores them
// (one transaction for them all: filling is not what is measured).
func fillIncidents(b *testing.B, s *store.SQLite, n int, before time.Time) {
	b.Helper()
	tx, err := s.DB().Begin()
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	st, err := tx.Prepare(`INSERT INTO incident(id, site, updated_ns, body) VALUES (?, ?, ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		at := before.Add(-time.Duration(i+1) * 5 * time.Minute).UnixNano()
		inc := store.Incident{ID: fmt.Sprintf("inc-%08d", i), Site: "site1", Kind: "illicit_phone", State: store.IncidentClosed,
			Summary:  "unauthorised LTE uplink in cell L2-N05",
			OpenedNS: at, UpdatedNS: at, Alerts: []string{fmt.Sprintf("a%08d", i)}, Detections: []string{fmt.Sprintf("d%08d", i)},
			Rooms: []string{"L2-N05"}, ClosedNS: at, ClosedBy: "officer", Outcome: "found", Note: "phone found in the cell"}
		body, err := json.Marshal(inc)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.Exec(inc.ID, inc.Site, at, string(body)); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSQLiteIncidentsWeek (soak test, 2026-12-06) measures the
// incidents page's query (GET /api/v1/incidents: the last week, at most
// 200) while the store holds history closed incidents older than the week
// (alert_days keeps them a year) and 100 of the week. The answer is the
// same 100 incidents at every size; the time should not grow with history.
func BenchmarkSQLiteIncidentsWeek(b *testing.B) {
	for _, history := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("history=%d", history), func(b *testing.B) {
			ctx := context.Background()
			s := openSQLite(b)
			now := time.Now()
			fillIncidents(b, s, history, now.Add(-8*24*time.Hour))
			for i := range 100 {
				at := now.Add(-time.Duration(i+1) * time.Hour)
				if err := s.UpsertIncident(ctx, store.Incident{ID: fmt.Sprintf("week-%03d", i), Site: "site1", Kind: "illicit_phone",
					State: store.IncidentOpen, OpenedNS: at.UnixNano(), UpdatedNS: at.UnixNano()}); err != nil {
					b.Fatal(err)
				}
			}
			since := now.Add(-7 * 24 * time.Hour)
			for b.Loop() {
				incs, err := s.Incidents(ctx, store.IncidentFilter{Site: "site1", Since: since, Limit: 200})
				if err != nil {
					b.Fatal(err)
				}
				if len(incs) != 100 {
					b.Fatalf("%d incidents of the week, want 100", len(incs))
				}
			}
		})
	}
}

// BenchmarkSQLitePruneAuditNothingDue (soak test, 2026-12-06) measures
// fusion's hourly audit retention (PruneAudit at audit_days and
// audit_view_days) when no row is due, the usual hour, over an audit log
// of rows non-view rows of the last two years, half of them older than
// audit_view_days (as the five years past it that audit_days keeps are):
// it deletes nothing at every size. (The soak's first version spaced the
// rows by i*year/rows, which overflows time.Duration past i = 292: its
// rows were within a day of a year ago.)
func BenchmarkSQLitePruneAuditNothingDue(b *testing.B) {
	for _, rows := range []int{10000, 100000, 1000000} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			ctx := context.Background()
			s := openSQLite(b)
			now := time.Now()
			tx, err := s.DB().Begin()
			if err != nil {
				b.Fatal(err)
			}
			st, err := tx.Prepare(`INSERT INTO audit(time_ns, user, action, object, before, after, addr) VALUES (?, 'officer', 'alert.ack', ?, '', '{}', '10.0.0.7')`)
			if err != nil {
				b.Fatal(err)
			}
			for i := range rows {
				at := now.Add(-2 * 365 * 24 * time.Hour).Add(time.Duration(i) * (2 * 365 * 24 * time.Hour / time.Duration(rows)))
				if _, err := st.Exec(at.UnixNano(), fmt.Sprintf("alert/a%08d", i)); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			before, viewBefore := now.Add(-2190*24*time.Hour), now.Add(-365*24*time.Hour)
			for b.Loop() {
				n, err := s.PruneAudit(ctx, before, viewBefore)
				if err != nil {
					b.Fatal(err)
				}
				if n != 0 {
					b.Fatalf("pruned %d rows, want none", n)
				}
			}
		})
	}
}

// BenchmarkSQLiteProtectedDetections (soak test, 2026-12-06) measures the
// dashboard's read of the open cases' evidence (ProtectedDetections: its
// hourly evidence retention, and every arriving snippet once the evidence
// folder is at RFW_EVIDENCE_MAX_BYTES) while the store holds history
// resolved, acknowledged alerts of closed incidents (alert_days keeps a
// year of them) and 10 firing ones. The answer is the same 10 alerts'
// evidence at every size; the time should not grow with history.
func BenchmarkSQLiteProtectedDetections(b *testing.B) {
	for _, history := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("history=%d", history), func(b *testing.B) {
			ctx := context.Background()
			s := openSQLite(b)
			now := time.Now()
			fillIncidents(b, s, history, now.Add(-8*24*time.Hour)) // inc-%08d, closed
			tx, err := s.DB().Begin()
			if err != nil {
				b.Fatal(err)
			}
			st, err := tx.Prepare(`INSERT INTO alert(id, site, rule, severity, state, zone, updated_ns, ack_ns, body) VALUES (?, 'site1', 'unauthorised-uplink-in-cell', 'critical', ?, 'wing-a', ?, ?, ?)`)
			if err != nil {
				b.Fatal(err)
			}
			for i := range history + 10 {
				a := event.Alert{ID: fmt.Sprintf("a%08d", i), Site: "site1", Rule: "unauthorised-uplink-in-cell", Severity: "critical",
					State: event.AlertResolved, Incident: fmt.Sprintf("inc-%08d", i), Evidence: []string{fmt.Sprintf("d%08d-1", i), fmt.Sprintf("d%08d-2", i)}}
				a.UpdatedNS = now.Add(-8*24*time.Hour - time.Duration(i)*5*time.Minute).UnixNano()
				a.AckNS = a.UpdatedNS
				if i >= history { // the firing ones
					a.State, a.Incident, a.AckNS, a.UpdatedNS = event.AlertFiring, "", 0, now.UnixNano()
				}
				body, err := json.Marshal(a)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := st.Exec(a.ID, a.State, a.UpdatedNS, a.AckNS, string(body)); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				p, err := s.ProtectedDetections(ctx, "site1")
				if err != nil {
					b.Fatal(err)
				}
				if len(p) != 20 {
					b.Fatalf("%d protected detections, want the 10 firing alerts' 20", len(p))
				}
			}
		})
	}
}

// TestSQLiteHistoryIndexesUpgrade: a store written before the history
// indexes (historyIndexes) gets them when it is opened (also by fusion and
// the dashboard at once), and answers as before; the rows an older binary
// writes after a rollback (its statements, which know no index) are
// found by them too: an open incident it stores protects its evidence, an
// alert naming an open incident (not listed by it) protects its own, and
// one it closes protects nothing more.
func TestSQLiteHistoryIndexesUpgrade(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	at := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	s, err := store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []event.Alert{
		{ID: "firing", Site: "s1", State: event.AlertFiring, UpdatedNS: at.UnixNano(), Evidence: []string{"d-firing"}},
		{ID: "done", Site: "s1", State: event.AlertResolved, UpdatedNS: at.UnixNano(), AckNS: at.UnixNano(), Evidence: []string{"d-done"}},
	} {
		if err := s.UpsertAlert(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.UpsertIncident(ctx, store.Incident{ID: "inc-1", Site: "s1", State: store.IncidentOpen, UpdatedNS: at.UnixNano(), Detections: []string{"d-inc-1"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Audit(ctx, store.AuditEntry{TimeNS: at.UnixNano(), User: "u", Action: "alert.ack", Object: "alert/done"}); err != nil {
		t.Fatal(err)
	}
	indexes := []string{"incident_site_updated", "incident_open", "alert_unsettled", "alert_incident", "audit_time", "audit_view_time"}
	for _, ix := range indexes {
		if _, err := s.DB().ExecContext(ctx, `DROP INDEX `+ix); err != nil {
			t.Fatalf("the new store has no index %s: %v", ix, err)
		}
	}
	s.Close()
	openTwiceAtOnce(t, path)
	s, err = store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, ix := range indexes {
		var n int
		if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ?`, ix).Scan(&n); err != nil || n != 1 {
			t.Errorf("index %s after the upgrade: %d (%v), want it", ix, n, err)
		}
	}
	protected := func() []string {
		t.Helper()
		p, err := s.ProtectedDetections(ctx, "s1")
		if err != nil {
			t.Fatal(err)
		}
		ids := slices.Collect(maps.Keys(p))
		slices.Sort(ids)
		return ids
	}
	if got, want := protected(), []string{"d-firing", "d-inc-1"}; !slices.Equal(got, want) {
		t.Errorf("protected after the upgrade %v, want %v", got, want)
	}
	incs, err := s.Incidents(ctx, store.IncidentFilter{Site: "s1", Since: at.Add(-time.Hour)})
	if err != nil || len(incs) != 1 || incs[0].ID != "inc-1" {
		t.Errorf("incidents after the upgrade: %v (%v), want inc-1", incs, err)
	}
	log, err := s.AuditLog(ctx, store.AuditFilter{Since: at.Add(-time.Hour), Until: at.Add(time.Hour)})
	if err != nil || len(log) != 1 || log[0].Object != "alert/done" {
		t.Errorf("audit of the day after the upgrade: %v (%v), want alert/done's", log, err)
	}

	// An older binary's writes (putIncident and putAlert before the indexes).
	older := func(q string, args ...any) {
		t.Helper()
		if _, err := s.DB().ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("an older binary's write: %v", err)
		}
	}
	body := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	older(`INSERT INTO incident(id, site, updated_ns, body) VALUES(?,?,?,?)`, "inc-2", "s1", at.UnixNano(),
		body(store.Incident{ID: "inc-2", Site: "s1", State: store.IncidentOpen, UpdatedNS: at.UnixNano(), Detections: []string{"d-inc-2"}}))
	older(`INSERT INTO alert(id, site, rule, severity, state, zone, updated_ns, ack_ns, body) VALUES(?,?,?,?,?,?,?,?,?)`,
		"named", "s1", "r", "critical", event.AlertResolved, "z", at.UnixNano(), at.UnixNano(),
		body(event.Alert{ID: "named", Site: "s1", State: event.AlertResolved, UpdatedNS: at.UnixNano(), AckNS: at.UnixNano(), Incident: "inc-2", Evidence: []string{"d-named"}}))
	if got, want := protected(), []string{"d-firing", "d-inc-1", "d-inc-2", "d-named"}; !slices.Equal(got, want) {
		t.Errorf("protected after an older binary's open incident %v, want %v", got, want)
	}
	older(`UPDATE incident SET updated_ns = ?, body = ? WHERE id = ?`, at.Add(time.Minute).UnixNano(),
		body(store.Incident{ID: "inc-2", Site: "s1", State: store.IncidentClosed, UpdatedNS: at.Add(time.Minute).UnixNano(), ClosedNS: at.Add(time.Minute).UnixNano(), Detections: []string{"d-inc-2"}}), "inc-2")
	if got, want := protected(), []string{"d-firing", "d-inc-1"}; !slices.Equal(got, want) {
		t.Errorf("protected after an older binary closed inc-2 %v, want %v", got, want)
	}
	// A body that is not JSON (none is) does not fail the write by the
	// indexes' expressions.
	older(`INSERT INTO alert(id, site, rule, severity, state, zone, updated_ns, ack_ns, body) VALUES('bad', 's1', 'r', 'critical', 'resolved', 'z', 1, 1, 'not json')`)
}

// TestSQLiteCaseChanges: every write that may change the open cases'
// evidence (ProtectedDetections) changes CaseChanges, whoever makes it:
// an alert or incident stored, acknowledged, closed, reopened, pruned, or
// written by an older binary's statement; a write elsewhere does not.
func TestSQLiteCaseChanges(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	at := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	firing := event.Alert{ID: "a1", Site: "s1", State: event.AlertFiring, UpdatedNS: at.UnixNano(), Evidence: []string{"d1"}}
	tests := []struct {
		name   string
		write  func() error
		change bool
	}{
		{"alert stored", func() error { return s.UpsertAlert(ctx, firing) }, true},
		{"alert gains evidence", func() error {
			a := firing
			a.Evidence = append(a.Evidence, "d2")
			return s.UpsertAlert(ctx, a)
		}, true},
		{"alert acknowledged", func() error { _, err := s.Ack(ctx, "a1", "officer", "", at); return err }, true},
		{"incident stored", func() error {
			return s.UpsertIncident(ctx, store.Incident{ID: "i1", Site: "s1", State: store.IncidentOpen, UpdatedNS: at.UnixNano(), Alerts: []string{"a1"}})
		}, true},
		{"incident closed", func() error {
			_, err := s.CloseIncident(ctx, "i1", "officer", store.IncidentOutcomes[0], "", at)
			return err
		}, true},
		{"incident reopened", func() error {
			_, err := s.ReopenIncident(ctx, "i1", "officer", "closed in error", at.Add(time.Minute))
			return err
		}, true},
		{"older binary's alert", func() error {
			_, err := s.DB().ExecContext(ctx, `INSERT INTO alert(id, site, rule, severity, state, zone, updated_ns, ack_ns, body) VALUES('old', 's1', 'r', 'critical', 'firing', 'z', 1, 0, '{"id":"old","evidence":["d3"]}')`)
			return err
		}, true},
		{"alert pruned", func() error {
			if _, err := s.DB().ExecContext(ctx, `UPDATE alert SET state = 'resolved', ack_ns = 1 WHERE id = 'old'`); err != nil {
				return err
			}
			p, err := s.PruneAlerts(ctx, "s1", at)
			if err == nil && p.Alerts != 1 {
				err = fmt.Errorf("pruned %d alerts, want 1", p.Alerts)
			}
			return err
		}, true},
		{"audit row", func() error {
			return s.Audit(ctx, store.AuditEntry{User: "u", Action: "view.alert", Object: "alert/a1"})
		}, false},
		{"detection", func() error {
			return s.WriteDetections(ctx, []store.DetectionRecord{{Detection: event.Detection{ID: "d9", Site: "s1", Sensor: "n1", TimeNS: at.UnixNano()}, Room: "A"}})
		}, false},
	}
	for _, tc := range tests {
		before, err := s.CaseChanges(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := tc.write(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		after, err := s.CaseChanges(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if changed := after != before; changed != tc.change {
			t.Errorf("%s: case changes %d -> %d, want changed %v", tc.name, before, after, tc.change)
		}
	}
}
