package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestDemoRetentionAsShipped (soak test 2026-12-06, finding 6: a demo
// continued on --dir kept every row for ever): the demo prunes its
// database with fusion.yaml's default days, on the simulated clock, once
// a simulated hour.
func TestDemoRetentionAsShipped(t *testing.T) {
	def, err := fusion.LoadFileConfig(strings.NewReader("site: site.yaml\n"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	got := demoRetentionDays()
	if got.HistoryDays != def.HistoryDays || got.AlertDays != def.AlertDays || got.AuditDays != def.AuditDays || got.AuditViewDays != def.AuditViewDays {
		t.Errorf("demo keeps %d/%d/%d/%d days (history/alert/audit/views), fusion.yaml's defaults %d/%d/%d/%d",
			got.HistoryDays, got.AlertDays, got.AuditDays, got.AuditViewDays, def.HistoryDays, def.AlertDays, def.AuditDays, def.AuditViewDays)
	}
	// the simulated clock, far from the wall's: only its 90 days count
	sim := time.Date(2026, 1, 15, 21, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		speed     float64
		wantEvery time.Duration
	}{
		{1, time.Hour},
		{120, 30 * time.Second},
	} {
		ctx := context.Background()
		db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfw.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for i, at := range []time.Time{sim.AddDate(0, 0, -91), sim.AddDate(0, 0, -89)} {
			if err := db.WriteHealth(ctx, []event.Health{{Schema: event.SchemaVersion, Site: "s1", Sensor: fmt.Sprintf("n%d", i), TimeNS: at.UnixNano()}}); err != nil {
				t.Fatal(err)
			}
		}
		r, every := demoRetention(db, "s1", func() time.Time { return sim }, tc.speed, slog.New(slog.DiscardHandler))
		if every != tc.wantEvery {
			t.Errorf("--speed %v: retention every %v of wall time, want %v (a simulated hour)", tc.speed, every, tc.wantEvery)
		}
		if err := r.once(ctx); err != nil {
			t.Fatal(err)
		}
		if n := testutil.ToFloat64(r.rows.WithLabelValues("history")); n != 1 {
			t.Errorf("--speed %v: pruned %v history rows, want 1 (the one 91 simulated days old)", tc.speed, n)
		}
	}
}
