package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// An operator backs up the state while fusion writes to it: each backup is
// a complete, checked copy, private to its owner, and only the newest
// --keep stay.
func TestCmdBackup(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "rfw.db")
	db, err := store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	alert := func(i int) event.Alert {
		return event.Alert{Schema: 1, ID: fmt.Sprintf("a%d", i), Site: "hmp", Rule: "r",
			Severity: event.SeverityCritical, State: event.AlertFiring, UpdatedNS: int64(i + 1)}
	}
	for i := range 200 {
		if err := db.UpsertAlert(ctx, alert(i)); err != nil {
			t.Fatal(err)
		}
	}
	// fusion keeps writing while the backups run
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 200; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := db.UpsertAlert(ctx, alert(i)); err != nil {
				t.Error(err)
				return
			}
		}
	})
	out := filepath.Join(dir, "backups")
	var logs []string
	for range 3 {
		var stdout, stderr strings.Builder
		if err := run(ctx, []string{"backup", "--db", path, "--keep", "2", out}, &stdout, &stderr); err != nil {
			t.Fatalf("backup: %v\n%s%s", err, stdout.String(), stderr.String())
		}
		logs = append(logs, stdout.String())
	}
	close(stop)
	wg.Wait()
	if !strings.Contains(logs[2], "removed old backup") || !strings.Contains(logs[0], "integrity ok") {
		t.Errorf("output:\n%s", strings.Join(logs, ""))
	}
	files, _ := filepath.Glob(filepath.Join(out, "rfwarden-*.db"))
	if len(files) != 2 {
		t.Fatalf("backups kept: %v, want 2", files)
	}
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v (%v), want 0600", f, fi.Mode().Perm(), err)
		}
		cp, err := store.OpenSQLite(f)
		if err != nil {
			t.Fatal(err)
		}
		as, err := cp.Alerts(ctx, store.AlertFilter{})
		cp.Close()
		if err != nil || len(as) < 200 {
			t.Errorf("%s holds %d alerts (%v), want at least the 200 written before", f, len(as), err)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(out, "*.partial")); len(left) != 0 {
		t.Errorf("partial files left: %v", left)
	}

	// a wrong path never creates an empty database
	missing := filepath.Join(dir, "nope.db")
	var stdout, stderr strings.Builder
	if err := run(ctx, []string{"backup", "--db", missing, out}, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "database") {
		t.Errorf("backup of a missing database: %v", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the missing database was created: %v", err)
	}
	if err := run(ctx, []string{"backup", "--db", path}, &stdout, &stderr); !errors.Is(err, errUsage) {
		t.Errorf("no DIR: %v, want a usage error", err)
	}
	// a file that is not a database
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte("not a database at all, just text"), 0o600)
	if err := run(ctx, []string{"backup", "--db", junk, out}, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "not a database") {
		t.Errorf("backup of a text file: %v, want an error saying it is not a database", err)
	}
	if left, _ := filepath.Glob(filepath.Join(out, "*.partial")); len(left) != 0 {
		t.Errorf("partial files left after a failure: %v", left)
	}
}
