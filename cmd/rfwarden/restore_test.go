package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"modernc.org/sqlite"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/internal/statelock"
)

// restoreSite is the site model the restore tests give --site; its id is
// hmp-test.
const restoreSite = "../../testdata/sites/wing.yaml"

// makeStateDB writes an rfwarden database at path holding one alert of each
// of ids, of site siteID.
func makeStateDB(t *testing.T, path, siteID string, ids ...string) {
	t.Helper()
	db, err := store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i, id := range ids {
		a := event.Alert{Schema: 1, ID: id, Site: siteID, Rule: "r",
			Severity: event.SeverityCritical, State: event.AlertFiring, UpdatedNS: int64(i + 1)}
		if err := db.UpsertAlert(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
}

// alertIDs returns the IDs of the alerts in the database at path, sorted.
func alertIDs(t *testing.T, path string) []string {
	t.Helper()
	db, err := store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	as, err := db.Alerts(context.Background(), store.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range as {
		ids = append(ids, a.ID)
	}
	slices.Sort(ids)
	return ids
}

// keptCopies returns the before-restore copies of the database at path.
func keptCopies(t *testing.T, path string) []string {
	t.Helper()
	m, err := filepath.Glob(path + ".before-restore-*")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// An administrator restores a backup: the current database is kept beside
// it, the backup takes its place (private, complete), and the command says
// what it did and what comes next.
func TestRestore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cur := filepath.Join(dir, "rfwarden.db")
	makeStateDB(t, cur, "hmp-test", "now-1", "now-2")
	bak := filepath.Join(dir, "backups", "rfwarden-20261201T030000.000Z.db")
	os.MkdirAll(filepath.Dir(bak), 0o700)
	makeStateDB(t, bak, "hmp-test", "then-1")

	var stdout, stderr strings.Builder
	if err := run(ctx, []string{"restore", "--db", cur, "--site", restoreSite, bak}, &stdout, &stderr); err != nil {
		t.Fatalf("restore: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	log := stdout.String()
	for _, want := range []string{"integrity ok", "site hmp-test: 1 alert", "kept the current database as", "restored " + bak, "systemctl start"} {
		if !strings.Contains(log, want) {
			t.Errorf("output lacks %q:\n%s", want, log)
		}
	}
	if got := alertIDs(t, cur); !slices.Equal(got, []string{"then-1"}) {
		t.Errorf("restored database holds alerts %v, want the backup's [then-1]", got)
	}
	if fi, err := os.Stat(cur); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("restored database: %v, %v; want mode 0600", fi, err)
	}
	kept := keptCopies(t, cur)
	if len(kept) != 1 {
		t.Fatalf("kept copies: %v, want 1", kept)
	}
	if !strings.Contains(log, kept[0]) {
		t.Errorf("output does not name the kept copy %s:\n%s", kept[0], log)
	}
	if fi, err := os.Stat(kept[0]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("kept copy: %v, %v; want mode 0600", fi, err)
	}
	if got := alertIDs(t, kept[0]); !slices.Equal(got, []string{"now-1", "now-2"}) {
		t.Errorf("kept copy holds alerts %v, want the current ones", got)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.restoring*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// The current database's latest transactions live in its WAL until a
// checkpoint (fusion killed, power lost): the kept copy holds them, and
// that WAL is never applied to the restored database.
func TestRestoreCurrentWithWAL(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	live := filepath.Join(dir, "live.db")
	db, err := store.OpenSQLite(live)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"wal-1", "wal-2"} {
		a := event.Alert{Schema: 1, ID: id, Site: "hmp-test", Rule: "r", Severity: event.SeverityCritical, State: event.AlertFiring, UpdatedNS: 1}
		if err := db.UpsertAlert(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	// the files as a crash leaves them: the alerts only in the WAL
	cur := filepath.Join(dir, "rfwarden.db")
	for _, ext := range []string{"", "-wal"} {
		b, err := os.ReadFile(live + ext)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(cur+ext, b, 0o600)
	}
	db.Close()
	if fi, err := os.Stat(cur + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("no WAL to test with: %v %v", fi, err)
	}
	bak := filepath.Join(dir, "backup.db")
	makeStateDB(t, bak, "hmp-test", "then-1")

	var stdout, stderr strings.Builder
	if err := run(ctx, []string{"restore", "--db", cur, "--site", restoreSite, bak}, &stdout, &stderr); err != nil {
		t.Fatalf("restore: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	if _, err := os.Stat(cur + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the old WAL is still beside the restored database: %v", err)
	}
	if got := alertIDs(t, cur); !slices.Equal(got, []string{"then-1"}) {
		t.Errorf("restored database holds alerts %v, want [then-1]", got)
	}
	checkIntegrity(t, cur)
	kept := keptCopies(t, cur)
	if len(kept) != 1 {
		t.Fatalf("kept copies: %v, want 1", kept)
	}
	if got := alertIDs(t, kept[0]); !slices.Equal(got, []string{"wal-1", "wal-2"}) {
		t.Errorf("kept copy holds alerts %v, want those of the WAL", got)
	}
}

func checkIntegrity(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var s string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&s); err != nil || s != "ok" {
		t.Errorf("%s: integrity %q, %v", path, s, err)
	}
}

// corruptDB writes an rfwarden database at path whose pages are damaged
// mid-file: it opens, but its integrity check fails.
func corruptDB(t *testing.T, path string) {
	t.Helper()
	makeStateDB(t, path, "hmp-test", "a")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 3000)
		INSERT INTO audit(time_ns, user, action, object, before, after) SELECT i, 'u', 'a', 'o' || i, printf('%.200c', 'x'), '' FROM n`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(b) / 2; i < len(b)/2+4096*3; i++ {
		b[i] = 0x5a
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// A restore refuses, touching nothing, a backup that is damaged, not an
// rfwarden database or of another site (unless --force), and a database
// fusion or the dashboard hold.
func TestRestoreRefuses(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		backup  func(t *testing.T, path string) // writes the backup
		args    []string                        // before the backup
		hold    func(t *testing.T, cur string) func()
		want    []string // in the error
		success bool     // succeeds nonetheless (--force)
	}{
		{name: "other site", backup: func(t *testing.T, p string) { makeStateDB(t, p, "hmp-other", "x") },
			args: []string{"--site", restoreSite}, want: []string{"hmp-other", "hmp-test", "--force"}},
		{name: "other site forced", backup: func(t *testing.T, p string) { makeStateDB(t, p, "hmp-other", "x") },
			args: []string{"--site", restoreSite, "--force"}, success: true},
		{name: "other site than the current database's", backup: func(t *testing.T, p string) { makeStateDB(t, p, "hmp-other", "x") },
			want: []string{"hmp-other", "hmp-test", "--force"}},
		{name: "corrupt", backup: corruptDB, args: []string{"--site", restoreSite}, want: []string{"integrity"}},
		{name: "corrupt forced", backup: corruptDB, args: []string{"--site", restoreSite, "--force"}, want: []string{"integrity"}},
		{name: "text file", backup: func(t *testing.T, p string) { os.WriteFile(p, []byte("not a database at all, just text"), 0o600) },
			want: []string{"not a database"}},
		{name: "empty file", backup: func(t *testing.T, p string) { os.WriteFile(p, nil, 0o600) },
			want: []string{"not an rfwarden database"}},
		{name: "other database", backup: func(t *testing.T, p string) {
			db, err := sql.Open("sqlite", "file:"+p)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(`CREATE TABLE alert (id TEXT); CREATE TABLE things (x)`); err != nil {
				t.Fatal(err)
			}
		}, want: []string{"not an rfwarden database", "detection"}},
		{name: "missing", backup: func(*testing.T, string) {}, want: []string{"backup.db"}},
		{name: "dashboard holds the database", backup: func(t *testing.T, p string) { makeStateDB(t, p, "hmp-test", "x") },
			hold: func(t *testing.T, cur string) func() {
				db, err := store.OpenSQLite(cur)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := db.Alerts(ctx, store.AlertFilter{}); err != nil {
					t.Fatal(err)
				}
				return func() { db.Close() }
			}, want: []string{"in use", "systemctl stop"}},
		{name: "fusion holds its lock", backup: func(t *testing.T, p string) { makeStateDB(t, p, "hmp-test", "x") },
			hold: func(t *testing.T, cur string) func() {
				l, err := statelock.Acquire(statelock.For(cur + ".fusion-hmp-test"))
				if err != nil {
					t.Fatal(err)
				}
				return func() { l.Release() }
			}, want: []string{"fusion-hmp-test.lock", "systemctl stop"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cur := filepath.Join(dir, "rfwarden.db")
			makeStateDB(t, cur, "hmp-test", "now-1")
			bak := filepath.Join(dir, "backup.db")
			tc.backup(t, bak)
			if tc.hold != nil {
				defer tc.hold(t, cur)()
			}
			before, err := os.ReadFile(cur)
			if err != nil {
				t.Fatal(err)
			}
			var stdout, stderr strings.Builder
			args := append(append([]string{"restore", "--db", cur}, tc.args...), bak)
			err = run(ctx, args, &stdout, &stderr)
			if tc.success {
				if err != nil {
					t.Fatalf("restore: %v\n%s", err, stdout.String())
				}
				if !strings.Contains(stdout.String(), "hmp-other") {
					t.Errorf("a forced restore does not name the backup's site:\n%s", stdout.String())
				}
				return
			}
			if err == nil {
				t.Fatalf("restore succeeded:\n%s", stdout.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			after, rerr := os.ReadFile(cur)
			if rerr != nil || string(after) != string(before) {
				t.Errorf("the current database changed (%v)", rerr)
			}
			if kept := keptCopies(t, cur); len(kept) != 0 {
				t.Errorf("kept copies made by a refused restore: %v", kept)
			}
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if n := e.Name(); n != "rfwarden.db" && n != "backup.db" && !strings.HasSuffix(n, "-wal") && !strings.HasSuffix(n, "-shm") && !strings.HasSuffix(n, ".lock") {
					t.Errorf("left behind: %s", n)
				}
			}
		})
	}
}

// Restoring onto a host without a database (a new central host) puts the
// backup in place and keeps nothing.
func TestRestoreNoCurrentDatabase(t *testing.T) {
	dir := t.TempDir()
	cur := filepath.Join(dir, "rfwarden.db")
	bak := filepath.Join(dir, "backup.db")
	makeStateDB(t, bak, "hmp-test", "then-1")
	var stdout, stderr strings.Builder
	if err := run(context.Background(), []string{"restore", "--db", cur, "--site", restoreSite, bak}, &stdout, &stderr); err != nil {
		t.Fatalf("restore: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	if got := alertIDs(t, cur); !slices.Equal(got, []string{"then-1"}) {
		t.Errorf("restored alerts %v", got)
	}
	if kept := keptCopies(t, cur); len(kept) != 0 {
		t.Errorf("kept copies of nothing: %v", kept)
	}
}

// restore --snippets puts the backup's snippets back into the folder,
// never replacing one there.
func TestRestoreSnippets(t *testing.T) {
	dir := t.TempDir()
	cur := filepath.Join(dir, "rfwarden.db")
	makeStateDB(t, cur, "hmp-test", "now-1")
	bdir := filepath.Join(dir, "backups")
	bak := filepath.Join(bdir, "rfwarden-20261201T030000.000Z.db")
	os.MkdirAll(filepath.Join(bdir, "snippets"), 0o700)
	makeStateDB(t, bak, "hmp-test", "then-1")
	os.WriteFile(filepath.Join(bdir, "snippets", "snippet-a-000000000001-1-1.sigmf-data"), []byte("backup a"), 0o600)
	os.WriteFile(filepath.Join(bdir, "snippets", "snippet-a-000000000001-1-1.sigmf-meta"), []byte("backup meta"), 0o600)
	snips := filepath.Join(dir, "snippets")
	os.MkdirAll(snips, 0o700)
	os.WriteFile(filepath.Join(snips, "snippet-a-000000000001-1-1.sigmf-meta"), []byte("current meta"), 0o600)

	var stdout, stderr strings.Builder
	if err := run(context.Background(), []string{"restore", "--db", cur, "--site", restoreSite, "--snippets", snips, bak}, &stdout, &stderr); err != nil {
		t.Fatalf("restore: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "snippets: 1 copied, 1 already in") {
		t.Errorf("output:\n%s", stdout.String())
	}
	for name, want := range map[string]string{
		"snippet-a-000000000001-1-1.sigmf-data": "backup a",
		"snippet-a-000000000001-1-1.sigmf-meta": "current meta",
	} {
		b, err := os.ReadFile(filepath.Join(snips, name))
		if err != nil || string(b) != want {
			t.Errorf("%s: %q, %v; want %q", name, b, err, want)
		}
	}
}

func TestRestoreUsage(t *testing.T) {
	var stdout, stderr strings.Builder
	for _, args := range [][]string{{"restore"}, {"restore", "a.db", "b.db"}, {"restore", "--nope", "a.db"}} {
		if err := run(context.Background(), args, &stdout, &stderr); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
	// the database given as its own backup
	dir := t.TempDir()
	cur := filepath.Join(dir, "rfwarden.db")
	makeStateDB(t, cur, "hmp-test", "now-1")
	if err := run(context.Background(), []string{"restore", "--db", cur, cur}, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "the database itself") {
		t.Errorf("restore of the database onto itself: %v", err)
	}
	if kept := keptCopies(t, cur); len(kept) != 0 {
		t.Errorf("kept copies: %v", kept)
	}
}

// sqliteLockHeld, where the platform can tell, reports whether the kernel
// still refuses another process a shared lock on the SQLite database f is
// open on (restore_linux_test.go). Nil: it cannot tell.
var sqliteLockHeld func(t *testing.T, f *os.File) bool

// crashedStateDB writes an rfwarden database at path whose alerts ids are
// only in its WAL, as a killed fusion leaves it.
func crashedStateDB(t *testing.T, path, siteID string, ids ...string) {
	t.Helper()
	live := path + ".live"
	makeStateDB(t, live, siteID)
	db, err := store.OpenSQLite(live)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i, id := range ids {
		a := event.Alert{Schema: 1, ID: id, Site: siteID, Rule: "r", Severity: event.SeverityCritical, State: event.AlertFiring, UpdatedNS: int64(i + 1)}
		if err := db.UpsertAlert(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
	for _, ext := range []string{"", "-wal"} {
		b, err := os.ReadFile(live + ext)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path+ext, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// While a restore replaces the database nothing else may use the old one:
// the exclusive lock is held until the backup is in place, and the old
// database has left WAL mode under it. A connection opened on the old file
// during the restore (the dashboard or rfwarden users starting) is refused
// while the restore runs, and can never write into the replaced, unlinked
// file after it; one opened after the rename sees the backup. The lock was
// given up before the old WAL was removed and the backup renamed in.
func TestRestoreHoldsUntilReplaced(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cur := filepath.Join(dir, "rfwarden.db")
	crashedStateDB(t, cur, "hmp-test", "now-1")
	bak := filepath.Join(dir, "backup.db")
	makeStateDB(t, bak, "hmp-test", "then-1")

	isBusy := func(err error) bool {
		var se *sqlite.Error
		return errors.As(err, &se) && se.Code()&0xff == sqliteBusy
	}
	var (
		steps []string
		early *sql.DB   // opened on the old file while the restore holds it
		conn  *sql.Conn // early's one connection: its file stays the old one
		file  *os.File  // the old file, to ask the kernel about its lock
	)
	defer func() {
		if conn != nil {
			conn.Close()
		}
		if early != nil {
			early.Close()
		}
		if file != nil {
			file.Close()
		}
	}()
	write := func() error {
		_, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS probe (x)`)
		return err
	}
	defer func(f func(string)) { restoreStep = f }(restoreStep)
	restoreStep = func(step string) {
		steps = append(steps, step)
		switch step {
		case "held":
			var err error
			if file, err = os.Open(cur); err != nil {
				t.Fatal(err)
			}
			if early, err = sql.Open("sqlite", "file:"+cur+"?_pragma=busy_timeout(0)"); err != nil {
				t.Fatal(err)
			}
			if conn, err = early.Conn(ctx); err != nil {
				t.Fatal(err)
			}
			if err := write(); !isBusy(err) {
				t.Errorf("a write while the restore holds the database: %v, want busy", err)
			}
		case "replace":
			if err := write(); !isBusy(err) {
				t.Errorf("a write just before the backup is renamed in: %v, want busy", err)
			}
			if sqliteLockHeld != nil && !sqliteLockHeld(t, file) {
				t.Errorf("just before the backup is renamed in, the kernel no longer holds the restore's lock on the database")
			}
			if _, err := os.Stat(cur + "-wal"); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the old WAL is still there as the backup is renamed in: %v", err)
			}
		case "renamed":
			// a process starting now opens the backup
			late, err := sql.Open("sqlite", "file:"+cur+"?mode=ro&_pragma=busy_timeout(0)")
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			rows, err := late.QueryContext(ctx, `SELECT id FROM alert ORDER BY id`)
			if err == nil {
				for rows.Next() {
					var id string
					rows.Scan(&id)
					ids = append(ids, id)
				}
				err = rows.Err()
				rows.Close()
			}
			late.Close()
			if err != nil || !slices.Equal(ids, []string{"then-1"}) {
				t.Errorf("a connection opened after the rename reads alerts %v (%v), want the backup's [then-1]", ids, err)
			}
		}
	}

	var stdout, stderr strings.Builder
	if err := run(ctx, []string{"restore", "--db", cur, "--site", restoreSite, bak}, &stdout, &stderr); err != nil {
		t.Fatalf("restore: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	if want := []string{"held", "kept", "replace", "renamed", "released"}; !slices.Equal(steps, want) {
		t.Errorf("steps %v, want %v", steps, want)
	}
	// the early connection's file is the old one, replaced: it never takes a write
	if conn != nil {
		if err := write(); err == nil {
			t.Errorf("a connection opened during the restore wrote into the replaced database")
		}
		conn.Close()
		conn = nil
	}
	if _, err := os.Stat(cur + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a WAL beside the restored database: %v", err)
	}
	if got := alertIDs(t, cur); !slices.Equal(got, []string{"then-1"}) {
		t.Errorf("restored database holds alerts %v, want [then-1]", got)
	}
	checkIntegrity(t, cur)
	kept := keptCopies(t, cur)
	if len(kept) != 1 {
		t.Fatalf("kept copies: %v, want 1", kept)
	}
	if got := alertIDs(t, kept[0]); !slices.Equal(got, []string{"now-1"}) {
		t.Errorf("kept copy holds alerts %v, want [now-1] (from the WAL)", got)
	}
}

// TestRestoreWithoutDBNamed: run without --db and RFW_DB from a folder with
// no rfwarden.db (root's home, the backups' folder), restore refused and
// made nothing, naming the flag; it restored the backup into a new
// ./rfwarden.db, said "restored", and the services' database stayed as it
// was. A default rfwarden.db that exists is replaced as before, and one
// --db or RFW_DB names may be new (a new host).
func TestRestoreWithoutDBNamed(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     bool // RFW_DB names rfwarden.db
		existed bool // ./rfwarden.db exists
		wantErr string
	}{
		{name: "nothing names it, none here", wantErr: "no --db given, and there is no rfwarden.db here"},
		{name: "nothing names it, one here", existed: true},
		{name: "RFW_DB names a new one", env: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			site, err := filepath.Abs(restoreSite)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			t.Chdir(dir)
			t.Setenv("RFW_DB", "rfwarden.db")
			if !tc.env {
				os.Unsetenv("RFW_DB")
			}
			bak := filepath.Join(t.TempDir(), "backup.db")
			makeStateDB(t, bak, "hmp-test", "then-1")
			if tc.existed {
				makeStateDB(t, filepath.Join(dir, "rfwarden.db"), "hmp-test", "now-1")
			}
			var stdout, stderr strings.Builder
			err = run(context.Background(), []string{"restore", "--site", site, bak}, &stdout, &stderr)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "--db /var/lib/rfwarden/rfwarden.db") {
					t.Fatalf("restore: %v, want %q naming --db", err, tc.wantErr)
				}
				if _, err := os.Stat(filepath.Join(dir, "rfwarden.db")); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("refused restore left rfwarden.db: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("restore: %v\n%s", err, stdout.String())
			}
			if got := alertIDs(t, filepath.Join(dir, "rfwarden.db")); !slices.Equal(got, []string{"then-1"}) {
				t.Errorf("restored alerts %v, want the backup's", got)
			}
		})
	}
}

// TestRestoreFolderSaysSo: `restore --db state.db BK` with BK a folder
// (rfwarden backup's DIR) reported "integrity check: disk I/O error (10)".
// It says BK is a folder and names the newest backup in it to give, or
// how backups are named when it holds none; the database is untouched.
func TestRestoreFolderSaysSo(t *testing.T) {
	dir := t.TempDir()
	cur := filepath.Join(dir, "rfwarden.db")
	makeStateDB(t, cur, "hmp-test", "now-1")
	bk := filepath.Join(dir, "backups")
	os.MkdirAll(bk, 0o700)
	empty := filepath.Join(dir, "empty")
	os.MkdirAll(empty, 0o700)
	for _, name := range []string{"rfwarden-20261201T030000.000Z.db", "rfwarden-20261202T030000.000Z.db", "rfwarden-pre-upgrade.db"} {
		makeStateDB(t, filepath.Join(bk, name), "hmp-test", "then-1")
	}
	for _, tc := range []struct{ folder, want string }{
		{bk, "restore: " + bk + " is a folder: give one backup file in it, e.g. the newest, " + filepath.Join(bk, "rfwarden-20261202T030000.000Z.db")},
		{empty, "restore: " + empty + " is a folder: give one backup file in it, one rfwarden backup wrote (rfwarden-<UTC time>.db); " + empty + " holds none"},
	} {
		var stdout, stderr strings.Builder
		err := run(context.Background(), []string{"restore", "--db", cur, tc.folder}, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("restore of folder %s: %v, want %q", tc.folder, err, tc.want)
		}
	}
	if got := alertIDs(t, cur); !slices.Equal(got, []string{"now-1"}) || len(keptCopies(t, cur)) != 0 {
		t.Errorf("the database changed: alerts %v, kept copies %v", got, keptCopies(t, cur))
	}
}

// TestRestoreOntoEmptyDatabase: given a current database that is an
// empty file (a failed copy or restore, a full disk: fusion and the
// dashboard refuse it and say to restore), when a backup is restored,
// expect it in place and the empty file kept. The restore was refused,
// "read the current audit log: no such table: audit", and left the empty
// file an SQLite database without tables.
func TestRestoreOntoEmptyDatabase(t *testing.T) {
	dir := t.TempDir()
	cur := filepath.Join(dir, "rfwarden.db")
	bak := filepath.Join(dir, "backup.db")
	makeStateDB(t, bak, "hmp-test", "then-1")
	writeFile(t, cur, "")
	var stdout, stderr strings.Builder
	if err := run(context.Background(), []string{"restore", "--db", cur, bak}, &stdout, &stderr); err != nil {
		t.Fatalf("restore: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	if got := alertIDs(t, cur); !slices.Equal(got, []string{"then-1"}) {
		t.Errorf("restored alerts %v", got)
	}
	if !strings.Contains(stdout.String(), "empty file") {
		t.Errorf("stdout %q does not say the current database was an empty file", stdout.String())
	}
	kept := keptCopies(t, cur)
	if len(kept) != 1 {
		t.Fatalf("kept %v; want the empty file kept", kept)
	}
	if fi, err := os.Stat(kept[0]); err != nil || fi.Size() != 0 {
		t.Errorf("kept %s: %v, %v; want the empty file as it was", kept[0], fi, err)
	}
}

// A restore names the notifications the current database queued since
// the backup and has not delivered: the restored fusion will not send
// them, and they stay in the kept copy. An explorer's restore set 34
// webhook notifications aside without a word, while it named the audit
// rows (2026-12-08).
func TestRestoreNamesQueuedNotifications(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	queue := func(path string, outputs ...string) {
		t.Helper()
		db, err := store.OpenSQLite(path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for i, output := range outputs {
			n, err := fusion.OpenNotifier(ctx, db.DB(), fusion.NotifyOptions{Site: "hmp-test", Output: output, Next: nopPublisher{}})
			if err != nil {
				t.Fatal(err)
			}
			a := event.Alert{Schema: 1, ID: fmt.Sprintf("q-%d", i), Site: "hmp-test", Rule: "r", Severity: event.SeverityCritical, State: event.AlertFiring, Summary: "phone in cell 1", ActiveNS: int64(i + 1), UpdatedNS: int64(i + 1)}
			if err := n.PublishAlert(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
	}
	cur := filepath.Join(dir, "rfwarden.db")
	makeStateDB(t, cur, "hmp-test", "now-1")
	queue(cur, "webhook", "webhook", "syslog") // the first queued before the backup
	bak := filepath.Join(dir, "rfwarden-20261201T030000.000Z.db")
	makeStateDB(t, bak, "hmp-test", "then-1")
	queue(bak, "webhook")
	var stdout, stderr strings.Builder
	if err := run(ctx, []string{"restore", "--db", cur, "--site", restoreSite, bak}, &stdout, &stderr); err != nil {
		t.Fatalf("restore: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	if want := "warning: the current database's 2 notifications (syslog 1, webhook 1), queued since the backup and not yet delivered, are not in the backup"; !strings.Contains(stdout.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, stdout.String())
	}
	// a backup with every notification the current database holds: no word
	cur2 := filepath.Join(dir, "two", "rfwarden.db")
	os.MkdirAll(filepath.Dir(cur2), 0o700)
	makeStateDB(t, cur2, "hmp-test", "now-1")
	queue(cur2, "webhook")
	stdout.Reset()
	if err := run(ctx, []string{"restore", "--db", cur2, "--site", restoreSite, bak}, &stdout, &stderr); err != nil {
		t.Fatalf("restore: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	if strings.Contains(stdout.String(), "notification") {
		t.Errorf("output names notifications the backup holds:\n%s", stdout.String())
	}
}
