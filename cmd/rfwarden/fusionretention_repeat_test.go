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

// TestFusionRetentionDeletesPhoneRepeats: the bursts and cases the alert
// engine keeps of phone alerts (phone_repeat, so a restart goes on
// counting a phone's bursts) count for at most the longest repeat_window,
// an hour: fusion's retention deletes the site's older ones whatever
// fusion.yaml's days, counted as table "phone_repeat"; a recent one, and
// another site's, are kept.
func TestFusionRetentionDeletesPhoneRepeats(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		site     string
		at       time.Time
		days     int
		wantKept bool
	}{
		{"a burst two hours ago", "s1", now.Add(-2 * time.Hour), 90, false},
		{"a burst 61 min ago, days for ever", "s1", now.Add(-61 * time.Minute), -1, false},
		{"a burst 10 min ago", "s1", now.Add(-10 * time.Minute), 90, true},
		{"another site's burst two hours ago", "s2", now.Add(-2 * time.Hour), 90, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfw.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.AddPhoneRepeat(ctx, store.PhoneRepeat{Site: tc.site, Rule: "in-cell", Kind: store.RepeatBurst, AlertID: "a1",
				Room: "B2-14", AtNS: tc.at.UnixNano(), Evidence: []string{"d1"}}); err != nil {
				t.Fatal(err)
			}
			r := newFusionRetention(db, "s1", fusion.FileConfig{HistoryDays: tc.days, AlertDays: tc.days, AuditDays: tc.days, AuditViewDays: tc.days}, slog.New(slog.DiscardHandler))
			r.now = func() time.Time { return now }
			if err := r.once(ctx); err != nil {
				t.Fatal(err)
			}
			left, err := db.PhoneRepeats(ctx, tc.site, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if kept := len(left) > 0; kept != tc.wantKept {
				t.Errorf("%s's burst at %s, retention at %s: kept = %v, want %v", tc.site, tc.at.Format(time.DateTime), now.Format(time.DateTime), kept, tc.wantKept)
			}
			want := 1.0
			if tc.wantKept {
				want = 0
			}
			if got := testutil.ToFloat64(r.rows.WithLabelValues("phone_repeat")); got != want {
				t.Errorf("rfw_fusion_pruned_rows_total{table=\"phone_repeat\"} = %v, want %v", got, want)
			}
		})
	}
}
