package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/dashboard"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestDemoUsersClock: the demo's accounts run on its simulated clock (the
// admin's creation was stamped with the wall clock, months from the rest),
// and a session still lasts a shift of wall-clock time however fast that
// clock runs: an hour of wall time at --speed 1000 is 1000 simulated hours.
func TestDemoUsersClock(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 1, 15, 21, 4, 26, 0, time.UTC)
	tests := []struct {
		speed    float64
		wall     time.Duration // since the login
		wantOpen bool
	}{
		{1, time.Hour, true},
		{1, 13 * time.Hour, false},
		{4, 11 * time.Hour, true},
		{4, 13 * time.Hour, false},
		{1000, time.Hour, true},
		{1000, 13 * time.Hour, false},
		{0.5, 13 * time.Hour, true}, // 6.5 simulated hours
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("speed %g, %v later", tt.speed, tt.wall), func(t *testing.T) {
			db := openDemoTestStore(t)
			now := start
			users, err := dashboard.NewUsers(ctx, db.DB(), demoUsersOptions(func() time.Time { return now }, tt.speed))
			demoCheck(t, err)
			pw, created, err := users.EnsureAdmin(ctx, dashboard.AdminOptions{Auditor: db, KeepPassword: true})
			if err != nil || !created {
				t.Fatalf("EnsureAdmin: created %v, %v", created, err)
			}
			var createdNS int64
			demoCheck(t, db.DB().QueryRowContext(ctx, `SELECT created_ns FROM dashboard_users WHERE name = 'admin'`).Scan(&createdNS))
			if !time.Unix(0, createdNS).Equal(start) {
				t.Errorf("admin created at %v, want the demo's clock's %v", time.Unix(0, createdNS).UTC(), start)
			}
			s, err := users.Login(ctx, "127.0.0.1", "admin", pw)
			demoCheck(t, err)
			now = start.Add(time.Duration(float64(tt.wall) * tt.speed))
			if _, open := users.Session(s.Token); open != tt.wantOpen {
				t.Errorf("session open %v at %v of wall time, want %v", open, tt.wall, tt.wantOpen)
			}
		})
	}
}

// demoCheck fails t on err.
func demoCheck(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// openDemoTestStore opens a SQLite store in a temporary folder.
func openDemoTestStore(t *testing.T) *store.SQLite {
	t.Helper()
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfwarden.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
