package store

import (
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
