package store

import (
	"database/sql"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckDatabase: given a path, when CheckDatabase looks at it, expect
// nil for an rfwarden store (also while another connection writes it, as
// fusion does), and otherwise an error naming the path and why, with the
// folder left as it was: no file created, none changed.
func TestCheckDatabase(t *testing.T) {
	tests := []struct {
		name   string
		given  func(t *testing.T, path string)
		expect string // "" for nil
		is     error  // wrapped by the error
	}{
		{"missing", func(*testing.T, string) {}, "does not exist", fs.ErrNotExist},
		{"directory", func(t *testing.T, p string) {
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
		}, "is a directory", nil},
		{"empty file", func(t *testing.T, p string) { writeText(t, p, "") }, "the file is empty", ErrNotRFWarden},
		{"text file", func(t *testing.T, p string) { writeText(t, p, "site: hmp-north\n") }, "not an SQLite database", ErrNotRFWarden},
		{"shorter than the header", func(t *testing.T, p string) { writeText(t, p, "SQLite") }, "not an SQLite database", ErrNotRFWarden},
		{"another program's SQLite database", func(t *testing.T, p string) {
			db, err := sql.Open("sqlite", FileURI(p))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(`CREATE TABLE notes (body TEXT)`); err != nil {
				t.Fatal(err)
			}
		}, "no alert table", ErrNotRFWarden},
		{"rfwarden store", func(t *testing.T, p string) {
			s, err := OpenSQLite(p)
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
		}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "rfwarden.db")
			tt.given(t, path)
			before := files(t, dir)
			err := CheckDatabase(path)
			switch {
			case tt.expect == "" && err != nil:
				t.Errorf("CheckDatabase = %v, want nil", err)
			case tt.expect != "" && (err == nil || !strings.Contains(err.Error(), tt.expect) || !strings.Contains(err.Error(), path)):
				t.Errorf("CheckDatabase = %v, want an error naming %q and saying %q", err, path, tt.expect)
			case tt.is != nil && !errors.Is(err, tt.is):
				t.Errorf("CheckDatabase = %v, want it to wrap %v", err, tt.is)
			}
			if after := files(t, dir); !maps.Equal(before, after) {
				t.Errorf("the folder changed: %v, then %v", before, after)
			}
		})
	}

	t.Run("store open and written", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "rfwarden.db")
		s, err := OpenSQLite(path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Audit(t.Context(), AuditEntry{TimeNS: 1, User: "u", Action: "a", Object: "o"}); err != nil {
			t.Fatal(err)
		}
		if err := CheckDatabase(path); err != nil {
			t.Errorf("CheckDatabase of an open store = %v, want nil", err)
		}
	})
}

func writeText(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// files returns the names and contents of the files in dir.
func files(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		m[e.Name()] = string(b)
	}
	return m
}

// TestOpenSQLiteRefusesForeignDatabase: given another program's SQLite
// database (tables, none of rfwarden's), when a store opens it, expect it
// refused naming the path and the tables found (ErrNotRFWarden), the
// file left byte for byte as it was. Fusion added its tables to it (and
// made it a WAL database). A new file with no tables is still made a
// store.
func TestOpenSQLiteRefusesForeignDatabase(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "notes.db")
	db, err := sql.Open("sqlite", FileURI(path))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`CREATE TABLE notes (body TEXT)`, `CREATE TABLE tags (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT)`, `INSERT INTO tags(name) VALUES ('a')`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	before := files(t, dir)
	s, err := OpenSQLite(path)
	if err == nil {
		s.Close()
		t.Fatal("OpenSQLite opened another program's database")
	}
	for _, want := range []string{path, "another program's SQLite database", "its tables: notes, tags)", "is it the right path?"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("OpenSQLite = %q; want it to say %q", err, want)
		}
	}
	if !errors.Is(err, ErrNotRFWarden) {
		t.Errorf("OpenSQLite = %v; want it to wrap ErrNotRFWarden", err)
	}
	if after := files(t, dir); !maps.Equal(before, after) {
		t.Errorf("the folder changed: %d files, then %d", len(before), len(after))
	}

	// a database with no tables yet is a new one: made a store
	fresh := filepath.Join(dir, "fresh.db")
	db, err = sql.Open("sqlite", FileURI(fresh))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`PRAGMA user_version = 1`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err = OpenSQLite(fresh)
	if err != nil {
		t.Fatalf("OpenSQLite of an SQLite file with no tables = %v, want a new store", err)
	}
	s.Close()
}
