package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

// TestBackupOfDamagedDatabase: given a database of alerts damaged where
// the copy reads it (a table's page; the file cut short while its WAL
// held commits, as a failed copy leaves it), when it is backed up, expect
// the backup refused with the restore advice (store.ErrDamaged) and no
// file written. Given one damaged where the copy does not read it (its
// list of free pages, which VACUUM INTO leaves behind), expect the backup
// written with every row, and the run failing, saying the database is
// damaged, with no old backup removed: it succeeded, "integrity ok",
// while fusion's next write that needed a page failed.
func TestBackupOfDamagedDatabase(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		damage  func(t *testing.T, path string)
		written bool // the backup is written, holding every alert left
		want    []string
	}{
		{"its list of free pages", damageFreeList, true,
			[]string{"the database file is damaged (quick_check: ", "every row was read", "stop fusion and the dashboard and restore it", "no old backup was removed"}},
		{"a table page", func(t *testing.T, p string) { storetest.DamagePage(t, p, "alert") }, false,
			[]string{"the database file is damaged (database disk image is malformed (11))", "restore the latest backup"}},
		{"the file cut short, its WAL holding commits", cutWithWAL, false,
			[]string{"the database file is damaged (database disk image is malformed (11))", "restore the latest backup"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "rfwarden.db")
			db, err := store.OpenSQLite(path)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 1000 {
				a := event.Alert{Schema: 1, ID: fmt.Sprintf("a%d", i), Site: "hmp", Rule: "r", Severity: event.SeverityCritical,
					State: event.AlertFiring, UpdatedNS: int64(i + 1), Room: strings.Repeat("cell ", 40)}
				if err := db.UpsertAlert(ctx, a); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()
			tc.damage(t, path)
			out := filepath.Join(dir, "backups")
			old := filepath.Join(out, "rfwarden-20261101T000000.000Z.db")
			if err := os.MkdirAll(out, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(old, []byte("an older backup"), 0o600); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr strings.Builder
			err = run(ctx, []string{"backup", "--db", path, "--keep", "1", out}, &stdout, &stderr)
			if err == nil {
				t.Fatalf("backup of a damaged database succeeded:\n%s", stdout.String())
			}
			for _, want := range append(tc.want, path) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("backup = %q; want it to say %q", err, want)
				}
			}
			if !errors.Is(err, store.ErrDamaged) {
				t.Errorf("backup = %v; want it to wrap store.ErrDamaged", err)
			}
			if _, err := os.Stat(old); err != nil {
				t.Errorf("the older backup: %v, want it kept", err)
			}
			made, _ := filepath.Glob(filepath.Join(out, "rfwarden-2*.db*"))
			if !tc.written {
				if len(made) != 1 {
					t.Errorf("files in the backup folder: %v, want only the older backup", made)
				}
				return
			}
			if len(made) != 2 || !strings.Contains(err.Error(), made[1]) {
				t.Fatalf("files in the backup folder: %v, want the older backup and the new one, named in %q", made, err)
			}
			cp, err := store.OpenSQLite(made[1])
			if err != nil {
				t.Fatalf("open the backup: %v", err)
			}
			defer cp.Close()
			if as, err := cp.Alerts(ctx, store.AlertFilter{}); err != nil || len(as) != 500 {
				t.Errorf("the backup holds %d alerts (%v), want the 500 left", len(as), err)
			}
		})
	}
}

// cutWithWAL leaves the database at path as a copy of it taken while
// 100 alerts written last were in its WAL, then cut to half its size.
func cutWithWAL(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", store.FileURI(path)+"?_pragma=journal_mode(WAL)&_pragma=wal_autocheckpoint(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for i := range 100 {
		if _, err := db.Exec(`UPDATE alert SET body = ? WHERE id = ?`, strings.Repeat("z", 300), fmt.Sprint("a", i)); err != nil {
			t.Fatal(err)
		}
	}
	// the copy, taken while the connection is open: the file and its WAL
	for _, suffix := range []string{"", "-wal"} {
		if err := copyFileNew(path+suffix, path+".copy"+suffix); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	for _, suffix := range []string{"", "-wal"} {
		if err := os.Rename(path+".copy"+suffix, path+suffix); err != nil {
			t.Fatal(err)
		}
	}
	os.Remove(path + "-shm")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if wal, err := os.Stat(path + "-wal"); err != nil || wal.Size() == 0 {
		t.Fatalf("the WAL holds no commits: %v", err)
	}
	if err := os.Truncate(path, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
}

// damageFreeList deletes the first 500 alerts of the closed database at path,
// which frees pages, and overwrites the first trunk page of its list of
// free pages (its number at offset 32 of the header).
func damageFreeList(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", store.FileURI(path))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM alert WHERE CAST(substr(id, 2) AS INTEGER) < 500`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	head := make([]byte, 36)
	if _, err := f.ReadAt(head, 0); err != nil {
		t.Fatal(err)
	}
	trunk := int64(binary.BigEndian.Uint32(head[32:]))
	if trunk == 0 {
		t.Fatal("no free pages")
	}
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xff, 0xff, 0xff, 0x7f}, 1024), (trunk-1)*4096); err != nil {
		t.Fatal(err)
	}
}
