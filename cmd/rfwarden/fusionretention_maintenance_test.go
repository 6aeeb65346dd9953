package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestFusionRetentionDeletesEndedMaintenance: docs/data-protection.md
// keeps a maintenance window (sensor, window, the admin's name, the
// free-text reason) until it ends. Fusion's retention deletes the site's
// windows that have ended, whatever fusion.yaml's days (the audit log
// keeps sensor.maintenance), and counts them as table "maintenance"; a
// running window, and another site's ended one, are kept. Until
// 2026-12-06 only ending a window early deleted it: one that ran its
// course stayed for ever.
func TestFusionRetentionDeletesEndedMaintenance(t *testing.T) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		site        string
		from, until time.Time
		days        int // history, alert and audit days; -1 keeps them for ever
		wantKept    bool
	}{
		{name: "ended two years ago", site: "s1", from: now.AddDate(-2, 0, -1), until: now.AddDate(-2, 0, 0), days: 90, wantKept: false},
		{name: "ended a day ago", site: "s1", from: now.AddDate(0, 0, -2), until: now.AddDate(0, 0, -1), days: 90, wantKept: false},
		{name: "ended a minute ago, days for ever", site: "s1", from: now.Add(-time.Hour), until: now.Add(-time.Minute), days: -1, wantKept: false},
		{name: "ends now", site: "s1", from: now.Add(-time.Hour), until: now, days: 90, wantKept: false},
		{name: "still running", site: "s1", from: now.Add(-time.Hour), until: now.Add(time.Hour), days: 90, wantKept: true},
		{name: "another site's, ended", site: "s2", from: now.AddDate(0, 0, -2), until: now.AddDate(0, 0, -1), days: 90, wantKept: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfw.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.SetMaintenance(ctx, store.Maintenance{Site: tc.site, Sensor: "n1", FromNS: tc.from.UnixNano(), UntilNS: tc.until.UnixNano(),
				By: "alice", Reason: "cell L1-N02 searched, prisoner moved"}); err != nil {
				t.Fatal(err)
			}
			audit := 2190
			if tc.days < 0 {
				audit = -1
			}
			r := newFusionRetention(db, "s1", fusion.FileConfig{HistoryDays: tc.days, AlertDays: tc.days, AuditDays: audit, AuditViewDays: tc.days}, slog.New(slog.DiscardHandler))
			r.now = func() time.Time { return now }
			if err := r.once(ctx); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := db.DB().QueryRowContext(ctx, `SELECT count(*) FROM sensor_maintenance`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if kept := n > 0; kept != tc.wantKept {
				t.Errorf("window of %s %s..%s at %s: kept = %v, want %v (a window is kept until it ends)",
					tc.site, tc.from.Format(time.DateTime), tc.until.Format(time.DateTime), now.Format(time.DateTime), kept, tc.wantKept)
			}
			wantCount := 1.0
			if tc.wantKept {
				wantCount = 0
			}
			if got := testutil.ToFloat64(r.rows.WithLabelValues("maintenance")); got != wantCount {
				t.Errorf("rfw_fusion_pruned_rows_total{table=\"maintenance\"} = %v, want %v", got, wantCount)
			}
		})
	}
}
