package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestDemoLogsSchemaUpgrade: a demo continued on a --dir an older release
// wrote says, with -v, that it upgrades its database, as fusion and the
// dashboard do (store.OpenSQLiteLog): until 2026-12-07 the demo opened
// it without a logger and its upgrades were silent. The older folder is
// one without the history index audit_time.
func TestDemoLogsSchemaUpgrade(t *testing.T) {
	dir := t.TempDir()
	db, err := store.OpenSQLite(filepath.Join(dir, "rfwarden.db"))
	demoCheck(t, err)
	demoCheck(t, db.Audit(context.Background(), store.AuditEntry{TimeNS: time.Date(2026, 1, 15, 21, 0, 0, 0, time.UTC).UnixNano(), User: "admin", Action: "login"}))
	_, err = db.DB().Exec(`DROP INDEX audit_time`)
	demoCheck(t, err)
	demoCheck(t, db.Close())
	o := demoOptions{listen: "127.0.0.1:0", speed: 100, seed: 1, dir: dir, rateHz: 2e6, duration: time.Second,
		offlineAfter: time.Hour, statusEvery: time.Hour, verbose: true}
	var log strings.Builder
	if err := runDemo(context.Background(), o, io.Discard, &syncWriter{w: &log}, nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`msg="sqlite: adding an index to the history" index=audit_time`, `msg="sqlite: history index added" index=audit_time`} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the demo's log (-v) on a folder without the index has no %s:\n%s", want, log.String())
		}
	}
}
