package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestFusionRetentionPrunesSQLiteHistoryAfterInfluxSwitch: a site that
// kept its time series in SQLite and then set influx.url keeps its old
// detections, locations, health rows, spectra and heatmap roll-up in
// rfwarden.db, where the dashboard no longer reads them; retention
// deletes them at history_days as it would have without InfluxDB (until
// 2026-12-07 it kept them for ever, 1114 detections at one site), and
// keeps the newer ones and, at history_days -1, all of them. Retention
// does not need InfluxDB: nothing answers at its URL here.
func TestFusionRetentionPrunesSQLiteHistoryAfterInfluxSwitch(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	tables := []string{"detection", "location", "health", "spectrum", "heat_quarter"}
	for _, tc := range []struct {
		name        string
		historyDays int
		wantLeft    int // rows left in each table: the new one, or both
	}{
		{name: "history_days 90", historyDays: 90, wantLeft: 1},
		{name: "history_days -1 keeps everything", historyDays: -1, wantLeft: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db := openDemoTestStore(t)
			for i, at := range []time.Time{now.AddDate(0, 0, -91), now.AddDate(0, 0, -1)} {
				ns := at.UnixNano()
				id := []string{"old", "new"}[i]
				d := event.Detection{Schema: event.SchemaVersion, ID: id, Site: "s1", Sensor: "n1", TimeNS: ns, Band: "gsm900", Class: "gsm"}
				if err := db.WriteDetections(ctx, []store.DetectionRecord{{Detection: d, Room: "cell1", Lead: true}}); err != nil {
					t.Fatal(err)
				}
				if err := db.WriteLocations(ctx, []store.LocationRecord{{Site: "s1", Track: id, Class: "gsm", TimeNS: ns, Room: "cell1"}}); err != nil {
					t.Fatal(err)
				}
				if err := db.WriteHealth(ctx, []event.Health{{Schema: event.SchemaVersion, Site: "s1", Sensor: "n1", TimeNS: ns}}); err != nil {
					t.Fatal(err)
				}
				if err := db.WriteSpectrum(ctx, []event.Spectrum{{Schema: event.SchemaVersion, Site: "s1", Sensor: "n1", TimeNS: ns}}); err != nil {
					t.Fatal(err)
				}
			}
			fc := fusion.FileConfig{HistoryDays: tc.historyDays, AlertDays: 365, AuditDays: 2190, AuditViewDays: 365}
			fc.Influx.URL = "http://" + freeTCPAddr(t) // nothing answers there
			r := newFusionRetention(db, "s1", fc, slog.New(slog.DiscardHandler))
			r.now = func() time.Time { return now }
			if err := r.once(ctx); err != nil {
				t.Fatal(err)
			}
			for _, table := range tables {
				var n int
				if err := db.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` WHERE site = 's1'`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != tc.wantLeft {
					t.Errorf("%s: %d rows left with influx.url set, want %d", table, n, tc.wantLeft)
				}
			}
		})
	}
}
