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
	if err := run(ctx, []string{"backup", "--db", junk, out}, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "not an SQLite database") {
		t.Errorf("backup of a text file: %v, want an error saying it is not an SQLite database", err)
	}
	if left, _ := filepath.Glob(filepath.Join(out, "*.partial")); len(left) != 0 {
		t.Errorf("partial files left after a failure: %v", left)
	}
}

// Rotation counts and removes only the backups it names itself
// (rfwarden-YYYYMMDDTHHMMSS.mmmZ.db): a hand-made rfwarden-pre-upgrade.db
// took a --keep slot forever, and rfwarden-0-old.db, sorting first, was
// deleted as the oldest backup.
func TestBackupRotateOnlyItsOwn(t *testing.T) {
	stamped := []string{
		"rfwarden-20261201T030000.000Z.db",
		"rfwarden-20261202T030000.000Z.db",
		"rfwarden-20261203T030000.000Z.db",
	}
	others := []string{
		"rfwarden-pre-upgrade.db",
		"rfwarden-0-old.db",
		"rfwarden-20261201T030000Z.db",       // no milliseconds
		"rfwarden-20261201T030000.000Z.db.x", // not .db
		"rfwarden-2026120xT030000.000Z.db",   // not a date
		"rfwarden-20261201T030000.000Z-copy.db",
	}
	for _, tc := range []struct {
		keep     int
		wantLeft []string // of stamped
	}{
		{keep: 1, wantLeft: stamped[2:]},
		{keep: 2, wantLeft: stamped[1:]},
		{keep: 3, wantLeft: stamped},
		{keep: 5, wantLeft: stamped},
	} {
		t.Run(fmt.Sprint("keep", tc.keep), func(t *testing.T) {
			dir := t.TempDir()
			for _, n := range append(append([]string{}, stamped...), others...) {
				if err := os.WriteFile(filepath.Join(dir, n), []byte(n), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			removed, err := rotateBackups(dir, tc.keep)
			if err != nil {
				t.Fatal(err)
			}
			if want := len(stamped) - len(tc.wantLeft); len(removed) != want {
				t.Errorf("removed %v, want %d", removed, want)
			}
			for _, n := range append(append([]string{}, tc.wantLeft...), others...) {
				if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
					t.Errorf("%s: %v, want it kept", n, err)
				}
			}
		})
	}
}

// `rfwarden backup --help` and `rfwarden restore --help` print their usage
// and succeed, as the other commands do; backup's exited 1.
func TestBackupRestoreHelp(t *testing.T) {
	for _, cmd := range []string{"backup", "restore"} {
		t.Run(cmd, func(t *testing.T) {
			var stdout, stderr strings.Builder
			if err := run(context.Background(), []string{cmd, "--help"}, &stdout, &stderr); err != nil {
				t.Errorf("%s --help: %v, want success", cmd, err)
			}
			if !strings.Contains(stderr.String(), "usage: rfwarden "+cmd) || !strings.Contains(stderr.String(), "-db") {
				t.Errorf("%s --help printed:\n%s", cmd, stderr.String())
			}
		})
	}
}

// With --snippets, a backup also copies the evidence snippets the folder
// holds and the backup folder's snippets/ does not: each only once, under
// its own name, never replacing one already copied; hidden files and
// folders (the dashboard's .incoming- stages) are left out.
func TestBackupSnippets(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "rfw.db")
	db, err := store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	snips := filepath.Join(dir, "snippets")
	write := func(name, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(snips, name)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(snips, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("snippet-a-000000000001-1-1.sigmf-data", "data a")
	write("snippet-a-000000000001-1-1.sigmf-meta", "meta a")
	write(".incoming-123/evidence.sigmf", "staging")
	write(".hidden", "x")
	// a sensor's markers, in a snippet folder it shares (the demo's), and
	// a stray file: not snippets, not copied nor counted
	write("snippet-a-000000000001-1-1.keep", "")
	write("snippet-a-000000000001-1-1.sent", "")
	write("notes.txt", "x")
	out := filepath.Join(dir, "backups")
	backup := func() string {
		t.Helper()
		var stdout, stderr strings.Builder
		if err := run(ctx, []string{"backup", "--db", path, "--snippets", snips, out}, &stdout, &stderr); err != nil {
			t.Fatalf("backup: %v\n%s%s", err, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	if log := backup(); !strings.Contains(log, "snippets: 2 copied, 0 already in") {
		t.Errorf("first backup:\n%s", log)
	}
	// a copy in the backup is never replaced; a new snippet is copied
	dst := filepath.Join(out, "snippets")
	os.WriteFile(filepath.Join(dst, "snippet-a-000000000001-1-1.sigmf-meta"), []byte("kept"), 0o600)
	write("snippet-a-000000000001-2-2.sigmf-data", "data b")
	if log := backup(); !strings.Contains(log, "snippets: 1 copied, 2 already in") {
		t.Errorf("second backup:\n%s", log)
	}
	for name, want := range map[string]string{
		"snippet-a-000000000001-1-1.sigmf-data": "data a",
		"snippet-a-000000000001-1-1.sigmf-meta": "kept",
		"snippet-a-000000000001-2-2.sigmf-data": "data b",
	} {
		b, err := os.ReadFile(filepath.Join(dst, name))
		if err != nil || string(b) != want {
			t.Errorf("%s: %q, %v; want %q", name, b, err, want)
		}
	}
	ents, _ := os.ReadDir(dst)
	if len(ents) != 3 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("backup snippets: %v, want the 3 snippets only", names)
	}
	// a missing snippet folder fails the command rather than backing up nothing
	var stdout, stderr strings.Builder
	if err := run(ctx, []string{"backup", "--db", path, "--snippets", filepath.Join(dir, "nope"), out}, &stdout, &stderr); err == nil {
		t.Errorf("backup of a missing snippet folder succeeded:\n%s", stdout.String())
	}
	// RFW_SNIPPET_DIR (the timer's, from dashboard.env) is the default;
	// a folder the dashboard has not made yet is reported, not an error
	t.Setenv("RFW_SNIPPET_DIR", snips)
	write("snippet-a-000000000001-3-3.sigmf-data", "data c")
	stdout.Reset()
	if err := run(ctx, []string{"backup", "--db", path, out}, &stdout, &stderr); err != nil || !strings.Contains(stdout.String(), "snippets: 1 copied, 3 already in") {
		t.Errorf("backup with RFW_SNIPPET_DIR: %v\n%s", err, stdout.String())
	}
	t.Setenv("RFW_SNIPPET_DIR", filepath.Join(dir, "not-yet"))
	stdout.Reset()
	if err := run(ctx, []string{"backup", "--db", path, out}, &stdout, &stderr); err != nil || !strings.Contains(stdout.String(), "does not exist yet") {
		t.Errorf("backup with RFW_SNIPPET_DIR not made yet: %v\n%s", err, stdout.String())
	}
}

// An old backup that cannot be removed (its permissions, a read-only
// mount) fails the rotation, yet the evidence snippets are still copied:
// the rotation's error stopped every timer run before the snippets.
func TestBackupRotateFailsSnippetsCopied(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "rfw.db")
	db, err := store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	out := filepath.Join(dir, "backups")
	os.MkdirAll(out, 0o700)
	old := filepath.Join(out, "rfwarden-20201201T030000.000Z.db")
	if err := os.WriteFile(old, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	snips := filepath.Join(dir, "snippets")
	os.MkdirAll(snips, 0o700)
	os.WriteFile(filepath.Join(snips, "snippet-a-000000000001-1-1.sigmf-data"), []byte("data a"), 0o600)
	// as root, a read-only folder does not stop a removal: inject the failure
	denied := errors.New("remove refused by the test")
	defer func(f func(string) error) { removeBackup = f }(removeBackup)
	removeBackup = func(p string) error {
		if p == old {
			return &os.PathError{Op: "remove", Path: p, Err: denied}
		}
		return os.Remove(p)
	}

	var stdout, stderr strings.Builder
	err = run(ctx, []string{"backup", "--db", path, "--keep", "1", "--snippets", snips, out}, &stdout, &stderr)
	if !errors.Is(err, denied) || !strings.Contains(err.Error(), "rotate") {
		t.Errorf("backup: %v, want the rotation's error", err)
	}
	b, rerr := os.ReadFile(filepath.Join(out, "snippets", "snippet-a-000000000001-1-1.sigmf-data"))
	if rerr != nil || string(b) != "data a" {
		t.Errorf("snippet not copied after the failed rotation: %q, %v\n%s", b, rerr, stdout.String())
	}
	if !strings.Contains(stdout.String(), "snippets: 1 copied") {
		t.Errorf("output:\n%s", stdout.String())
	}
	if _, err := os.Stat(old); err != nil {
		t.Errorf("the backup whose removal failed: %v", err)
	}
	if files, _ := filepath.Glob(filepath.Join(out, "rfwarden-*.db")); len(files) != 2 {
		t.Errorf("backups: %v, want the new one and the one that could not be removed", files)
	}
}

// TestBackupRestoreOddPath: a database in a folder whose name holds the
// characters an SQLite URI gives meaning to ('#', '?', '%') is the one
// opened, backed up and restored: "file:"+path opened "…/case" for
// "…/case#3/rfw.db" (a fresh, empty database beside it) or failed.
func TestBackupRestoreOddPath(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "case#3 ?x=1 %41")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "rfw.db")
	db, err := store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	a := event.Alert{Schema: 1, ID: "a1", Site: "hmp", Rule: "r", Severity: event.SeverityCritical, State: event.AlertFiring, UpdatedNS: 1}
	if err := db.UpsertAlert(ctx, a); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if ents, _ := os.ReadDir(filepath.Dir(dir)); len(ents) != 1 {
		t.Fatalf("the store wrote beside its folder: %v", ents)
	}
	out := filepath.Join(dir, "backups")
	var stdout, stderr strings.Builder
	if err := run(ctx, []string{"backup", "--db", path, "--keep", "2", out}, &stdout, &stderr); err != nil {
		t.Fatalf("backup: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	files, _ := filepath.Glob(filepath.Join(out, "rfwarden-*.db"))
	if len(files) != 1 {
		t.Fatalf("backups: %v", files)
	}
	cp, err := store.OpenSQLite(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if got, err := cp.Alert(ctx, "a1"); err != nil || got.ID != "a1" {
		t.Fatalf("the backup holds %v (%v), want alert a1", got, err)
	}
}
