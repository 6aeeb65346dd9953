package store

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenSQLiteSaysWhy: an installer who points fusion's db:, the
// dashboard's RFW_DB or `rfwarden users --db` at a path the process
// cannot open (a directory, a folder that does not exist, or, as a
// user other than rfwarden, a 0600 file) gets only
// `create schema in "PATH": unable to open database file (14)`: it
// reads as a schema problem and never says why the file cannot be
// opened (is a directory, no such folder, permission denied). It now
// says why.
func TestOpenSQLiteSaysWhy(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "dbdir")
	if err := os.Mkdir(sub, 0o750); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(dir, "fusion.yaml")
	if err := os.WriteFile(text, []byte("db: /var/lib/rfwarden/rfwarden.db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	locked := filepath.Join(dir, "locked")
	if err := os.Mkdir(locked, 0o500); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ path, want string }{
		{sub, "is a directory"},
		{filepath.Join(dir, "no-such-folder", "rfwarden.db"), "folder " + filepath.Join(dir, "no-such-folder") + ": no such file or directory"},
		{filepath.Join(plain, "rfwarden.db"), "is not a directory"},
		// fusion's db: naming its config instead: "create schema in
		// PATH: file is not a database (26)" read as a schema problem
		{text, "not an SQLite database"},
	}
	if os.Geteuid() != 0 { // root creates files in a 0500 folder
		cases = append(cases, struct{ path, want string }{filepath.Join(locked, "rfwarden.db"), "permission denied"})
	}
	for _, tc := range cases {
		db, err := OpenSQLite(tc.path)
		if err == nil {
			db.Close()
			t.Errorf("OpenSQLite(%q): no error", tc.path)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.path) {
			t.Errorf("OpenSQLite(%q) = %q, want the reason (%q)", tc.path, err, tc.want)
		}
	}
}

// TestOpenSQLiteRefusesEmptyFile: given a database path whose file is
// there but empty (a failed copy or restore, a full disk), when a store
// opens it, expect a refusal naming the path, that the file is empty
// and what to do, wrapping ErrEmpty and ErrNotRFWarden, and the file left
// empty. SQLite took it for an empty database and the open made a new
// store there, every alert, incident, registry entry, audit row and
// account gone without a word. A missing file is still created.
func TestOpenSQLiteRefusesEmptyFile(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "rfwarden.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := OpenSQLite(empty)
	if err == nil {
		db.Close()
		t.Fatalf("OpenSQLite(empty file): no error")
	}
	for _, want := range []string{empty, "the file is empty", "rfwarden restore", "remove the file to start with an empty database"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("OpenSQLite(empty file) = %q; want it to say %q", err, want)
		}
	}
	if !errors.Is(err, ErrEmpty) || !errors.Is(err, ErrNotRFWarden) {
		t.Errorf("OpenSQLite(empty file) = %v; want it to wrap ErrEmpty and ErrNotRFWarden", err)
	}
	if fi, err := os.Stat(empty); err != nil || fi.Size() != 0 {
		t.Errorf("the empty file after the open: %v, %v; want it left empty", fi, err)
	}
	if err := CheckDatabase(empty); !errors.Is(err, ErrEmpty) || !strings.Contains(err.Error(), "rfwarden restore") {
		t.Errorf("CheckDatabase(empty file) = %v; want ErrEmpty and what to do", err)
	}

	missing := filepath.Join(dir, "new.db")
	db, err = OpenSQLite(missing)
	if err != nil {
		t.Fatalf("OpenSQLite(missing file): %v; want a new store", err)
	}
	db.Close()
	if err := CheckDatabase(missing); err != nil {
		t.Errorf("the new store: %v", err)
	}
}

// TestOpenSQLiteSaysDamaged: given a database file cut short or
// overwritten (a copy that failed, a disk that failed), when a store
// opens or CheckDatabase reads it, expect an error naming the path, that
// the file is damaged and to restore the latest backup, wrapping
// ErrDamaged and SQLite's own error. Fusion exited with `create schema in
// "PATH": database disk image is malformed (11)` alone, again every 5 s
// under systemd. A file overwritten from its first byte may be another
// file given by mistake: it asks whether the path is right, then says
// what to do if it is.
func TestOpenSQLiteSaysDamaged(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	db, err := OpenSQLite(good)
	if err != nil {
		t.Fatal(err)
	}
	db.Close() // its WAL checkpointed into the file
	whole, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	garbage := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		return b
	}
	for _, tc := range []struct {
		name    string
		data    []byte
		damaged bool   // wraps ErrDamaged
		want    string // in the error besides the path and what to do
	}{
		{"cut to a third", whole[:len(whole)/3], true, "database disk image is malformed (11)"},
		{"cut after the header", whole[:100], true, "database disk image is malformed (11)"},
		{"garbage after the header", append(append([]byte(nil), whole[:100]...), garbage(64<<10)...), true, "the database file is damaged"},
		{"garbage after the magic", append([]byte(sqliteHeader), garbage(64<<10)...), true, "file is not a database (26)"},
		{"garbage throughout", garbage(64 << 10), false, "is it the right path? If it is, the file is damaged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "rfwarden.db")
			if err := os.WriteFile(p, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			errOpen := func() error {
				db, err := OpenSQLite(p)
				if err == nil {
					db.Close()
				}
				return err
			}()
			for what, err := range map[string]error{"OpenSQLite": errOpen, "CheckDatabase": CheckDatabase(p)} {
				if err == nil {
					t.Errorf("%s: no error", what)
					continue
				}
				for _, want := range []string{p, tc.want, "restore the latest backup (rfwarden restore; docs/deploy.md, section 4)"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("%s = %q; want it to say %q", what, err, want)
					}
				}
				if errors.Is(err, ErrDamaged) != tc.damaged {
					t.Errorf("%s = %v; wraps ErrDamaged: %v, want %v", what, err, errors.Is(err, ErrDamaged), tc.damaged)
				}
			}
		})
	}
}
