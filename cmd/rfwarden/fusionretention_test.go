package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestFusionRetention: one run on fusion's clock deletes the site's old
// history, resolved alerts and audit rows as fusion.yaml's days say, and
// counts them by table; with InfluxDB configured too, the SQLite history
// written before the switch is pruned alike.
func TestFusionRetention(t *testing.T) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name                string
		influx              bool
		wantHistory         float64
		wantAlert, wantAudt float64
	}{
		{name: "SQLite only", wantHistory: 1, wantAlert: 1, wantAudt: 2},
		{name: "InfluxDB holds the newer history", influx: true, wantHistory: 1, wantAlert: 1, wantAudt: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfw.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			old := now.AddDate(-10, 0, 0)
			if err := db.WriteHealth(ctx, []event.Health{{Schema: event.SchemaVersion, Site: "s1", Sensor: "n1", TimeNS: old.UnixNano()}}); err != nil {
				t.Fatal(err)
			}
			for _, a := range []event.Alert{
				{Schema: event.SchemaVersion, ID: "old", Site: "s1", Rule: "r", Severity: event.SeverityInfo, State: event.AlertResolved, UpdatedNS: old.UnixNano()},
				{Schema: event.SchemaVersion, ID: "firing", Site: "s1", Rule: "r", Severity: event.SeverityInfo, State: event.AlertFiring, UpdatedNS: old.UnixNano()},
				{Schema: event.SchemaVersion, ID: "new", Site: "s1", Rule: "r", Severity: event.SeverityInfo, State: event.AlertResolved, UpdatedNS: now.UnixNano()},
			} {
				if err := db.UpsertAlert(ctx, a); err != nil {
					t.Fatal(err)
				}
			}
			for _, e := range []store.AuditEntry{
				{TimeNS: old.UnixNano(), User: "u", Action: "alert.ack", Object: "alert/old"},
				{TimeNS: now.AddDate(0, -2, 0).UnixNano(), User: "u", Action: "view.heatmap", Object: "heatmap"},
				{TimeNS: now.AddDate(0, -2, 0).UnixNano(), User: "u", Action: "alert.ack", Object: "alert/new"},
			} {
				if err := db.Audit(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
			fc := fusion.FileConfig{HistoryDays: 90, AlertDays: 365, AuditDays: 2190, AuditViewDays: 30}
			if tc.influx {
				fc.Influx.URL = "http://" + freeTCPAddr(t) // nothing answers there
			}
			r := newFusionRetention(db, "s1", fc, slog.New(slog.DiscardHandler))
			r.now = func() time.Time { return now }
			if err := r.once(ctx); err != nil {
				t.Fatal(err)
			}
			for table, want := range map[string]float64{"history": tc.wantHistory, "alert": tc.wantAlert, "incident": 0, "audit": tc.wantAudt} {
				if got := testutil.ToFloat64(r.rows.WithLabelValues(table)); got != want {
					t.Errorf("rfw_fusion_pruned_rows_total{table=%q} = %v, want %v", table, got, want)
				}
			}
			if got := testutil.ToFloat64(r.runs.WithLabelValues("ok")); got != 1 {
				t.Errorf("rfw_fusion_prune_runs_total{result=\"ok\"} = %v, want 1", got)
			}
			if _, err := db.Alert(ctx, "firing"); err != nil {
				t.Errorf("a firing alert was pruned: %v", err)
			}
			left, err := db.AuditLog(ctx, store.AuditFilter{})
			if err != nil || len(left) != 1 || left[0].Object != "alert/new" {
				t.Errorf("audit left %+v, %v; want only alert/new's ack", left, err)
			}
		})
	}
}
