package main

import (
	"bytes"
	"context"
	"database/sql"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDBPathMustBeADatabase: given RFW_DB (--db) naming a file that does
// not exist (a typo), an empty file, a text file, another program's
// SQLite database or a damaged one (which said SQLite's words alone), when the dashboard, users, backup or erase starts,
// expect a one-line refusal naming RFW_DB (--db), the path and why, and
// the path left as it was. The dashboard made a new empty database at a
// mistyped path, with a new admin and its new password, and staff saw an
// empty dashboard; users turned an empty file into a database, and every
// command added rfwarden's tables to another program's database.
func TestDBPathMustBeADatabase(t *testing.T) {
	cases := []struct {
		name   string
		given  func(t *testing.T, path string) // makes path (or not)
		expect []string                        // in the error, beside RFW_DB (--db) and the path
	}{
		{"missing", func(*testing.T, string) {}, []string{"does not exist", "fusion creates"}},
		{"empty file", func(t *testing.T, p string) { writeFile(t, p, "") }, []string{"empty", "not an rfwarden database", "rfwarden restore", "remove the file"}},
		{"text file", func(t *testing.T, p string) { writeFile(t, p, "RFW_DB=/var/lib/rfwarden/rfwarden.db\n") }, []string{"not an SQLite database"}},
		{"another program's SQLite database", func(t *testing.T, p string) {
			db, err := sql.Open("sqlite", "file:"+p)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(`CREATE TABLE notes (body TEXT)`); err != nil {
				t.Fatal(err)
			}
		}, []string{"not an rfwarden database", "no alert table"}},
		{"damaged (cut short)", func(t *testing.T, p string) {
			makeStateDB(t, p, "hmp-test", "a1")
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, p, string(b[:100]))
		}, []string{"the database file is damaged", "malformed", "restore the latest backup (rfwarden restore"}},
	}
	commands := []struct {
		name string
		args func(dir, db string) []string
		// extra: what this command adds for a missing file
		extra string
	}{
		{"dashboard", func(_, db string) []string { return []string{"dashboard", "--listen", "127.0.0.1:0", "--db", db} }, "--create-db"},
		{"users", func(_, db string) []string { return []string{"users", "--db", db, "list"} }, ""},
		{"backup", func(dir, db string) []string { return []string{"backup", "--db", db, filepath.Join(dir, "backups")} }, ""},
		{"erase", func(_, db string) []string {
			return []string{"erase", "--db", db, "--alert", "a1", "--no-snippets", "--dry-run"}
		}, ""},
	}
	for _, cmd := range commands {
		for _, tc := range cases {
			t.Run(cmd.name+"/"+tc.name, func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, "rfwarden.db")
				tc.given(t, path)
				before := snapshotDir(t, dir)
				// cancelled: a dashboard that starts stops at once
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				var stdout, stderr bytes.Buffer
				err := run(ctx, cmd.args(dir, path), &stdout, &stderr)
				if err == nil {
					t.Fatalf("no error; stdout %q", stdout.String())
				}
				msg := err.Error()
				want := append([]string{"RFW_DB (--db)", path}, tc.expect...)
				if tc.name == "missing" && cmd.extra != "" {
					want = append(want, cmd.extra)
				}
				for _, w := range want {
					if !strings.Contains(msg, w) {
						t.Errorf("error %q does not say %q", msg, w)
					}
				}
				if strings.Contains(msg, "\n") {
					t.Errorf("error %q is more than one line", msg)
				}
				if strings.Contains(stdout.String(), "created user admin") {
					t.Errorf("an admin was created: %q", stdout.String())
				}
				if after := snapshotDir(t, dir); !maps.Equal(before, after) {
					t.Errorf("the folder changed: before %v, after %v", slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
				}
			})
		}
	}
}

// TestCmdDashboardCreateDB: a dashboard run without fusion (an analysts'
// replay workstation) makes its database on purpose with --create-db,
// and its admin; --create-db still refuses a file that is not an
// rfwarden database, and is not needed for one that is.
func TestCmdDashboardCreateDB(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rfw.db")
	d := startDashboardArgs(t, "--db", path, "--create-db")
	if d.Password == "" {
		t.Errorf("--create-db on a new path: no admin created; stdout %q", d.stdout.String())
	}
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := existingDB(path); err != nil {
		t.Errorf("--create-db made no rfwarden database: %v", err)
	}
	again := startDashboardArgs(t, "--db", path) // now it exists: no flag needed
	if again.Password != "" {
		t.Errorf("second start made another admin")
	}
	if err := again.stop(); err != nil {
		t.Fatal(err)
	}

	text := filepath.Join(t.TempDir(), "notes.txt")
	writeFile(t, text, "not a database\n")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := cmdDashboard(ctx, []string{"--listen", "127.0.0.1:0", "--db", text, "--create-db"}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "not an SQLite database") {
		t.Errorf("--create-db on a text file: %v, want a refusal", err)
	}
	if b, _ := os.ReadFile(text); string(b) != "not a database\n" {
		t.Errorf("the text file changed: %q", b)
	}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// snapshotDir returns each file of dir (not below) and its content.
func snapshotDir(t *testing.T, dir string) map[string]string {
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
