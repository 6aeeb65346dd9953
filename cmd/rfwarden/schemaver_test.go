package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// makeNewerDB makes at path a database a newer rfwarden made: an alert of
// site hmp-test (id), its schema version one past this binary's.
func makeNewerDB(t *testing.T, path, id string) {
	t.Helper()
	makeStateDB(t, path, "hmp-test", id)
	db, err := sql.Open("sqlite", store.FileURI(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, store.SchemaVersion+1)); err != nil {
		t.Fatal(err)
	}
}

// TestConsoleNewerSchema: the dashboard, the demo, users and erase refuse
// a database a newer rfwarden made, naming both versions and what to do;
// backup copies it all the same, saying so; restore refuses that backup
// (this binary's services would refuse it) but restores an older backup
// over it: the rollback.
func TestConsoleNewerSchema(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "rfwarden.db")
	makeNewerDB(t, path, "newer-1")
	want := fmt.Sprintf("made by a newer rfwarden (schema %d; this binary knows %d): run the newer binary, or restore a backup taken before the upgrade",
		store.SchemaVersion+1, store.SchemaVersion)
	cli := func(args ...string) (string, error) {
		// bounded: a dashboard that does not refuse serves until then
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		var out, errs strings.Builder
		err := run(ctx, args, &out, &errs)
		return out.String() + errs.String(), err
	}
	for _, args := range [][]string{
		{"dashboard", "--db", path, "--listen", "127.0.0.1:0"},
		{"users", "--db", path, "list"},
		{"erase", "--db", path, "--incident", "inc-1", "--dry-run", "--no-snippets"},
	} {
		out, err := cli(args...)
		if !errors.Is(err, store.ErrNewerSchema) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s on a newer database = %v; want %q\n%s", args[0], err, want, out)
		}
	}
	demoDir := t.TempDir()
	makeNewerDB(t, filepath.Join(demoDir, "rfwarden.db"), "newer-1")
	o := demoOptions{listen: "127.0.0.1:0", speed: 100, seed: 1, dir: demoDir, rateHz: 2e6, duration: time.Second,
		offlineAfter: time.Hour, statusEvery: time.Hour}
	if err := runDemo(ctx, o, io.Discard, io.Discard, nil); !errors.Is(err, store.ErrNewerSchema) {
		t.Errorf("demo on a --dir a newer rfwarden wrote = %v; want ErrNewerSchema", err)
	}

	backups := filepath.Join(dir, "backups")
	out, err := cli("backup", "--db", path, backups)
	if err != nil {
		t.Fatalf("backup of a newer database: %v\n%s", err, out)
	}
	if !strings.Contains(out, want) || !strings.Contains(out, "backing it up all the same") {
		t.Errorf("backup of a newer database does not say so:\n%s", out)
	}
	made, _ := filepath.Glob(filepath.Join(backups, "rfwarden-*.db"))
	if len(made) != 1 {
		t.Fatalf("backups written: %v, want 1", made)
	}
	out, err = cli("restore", "--db", path, "--site", restoreSite, made[0])
	if !errors.Is(err, store.ErrNewerSchema) || !strings.Contains(err.Error(), want) {
		t.Errorf("restore of a newer backup = %v; want %q\n%s", err, want, out)
	}
	if kept := keptCopies(t, path); len(kept) != 0 {
		t.Errorf("the refused restore kept the database as %v", kept)
	}

	// the rollback: a backup taken before the upgrade, over the newer database
	older := filepath.Join(dir, "older", "rfwarden-20261201T030000.000Z.db")
	os.MkdirAll(filepath.Dir(older), 0o700)
	makeStateDB(t, older, "hmp-test", "older-1")
	if out, err := cli("restore", "--db", path, "--site", restoreSite, older); err != nil {
		t.Fatalf("restore of an older backup over a newer database: %v\n%s", err, out)
	}
	if got := alertIDs(t, path); !slices.Equal(got, []string{"older-1"}) {
		t.Errorf("after the rollback's restore the database holds %v, want the backup's [older-1]", got)
	}
}
