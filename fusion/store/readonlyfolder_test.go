package store

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// readOnlyFolder returns dir as a folder that takes no new files: for
// root (whom a folder's mode does not stop) a read-only bind mount of it,
// as a file system remounted read-only; for another user dir made 0500.
// It skips t when it can make neither.
func readOnlyFolder(t *testing.T, dir string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
		return dir
	}
	ro := t.TempDir()
	if err := syscall.Mount(dir, ro, "", syscall.MS_BIND, ""); err != nil {
		t.Skipf("cannot bind-mount a folder read-only: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(ro, 0); err != nil {
			t.Errorf("unmount %s: %v", ro, err)
		}
	})
	if err := syscall.Mount("", ro, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
		t.Skipf("cannot remount a bind mount read-only: %v", err)
	}
	return ro
}

// TestReadOnlyFolderSaysWhy: an rfwarden database in a folder that takes
// no new files (a file system remounted read-only, as an explorer did
// under `rfwarden dashboard`, `backup` and `users list`): CheckDatabase
// and OpenSQLite name the folder, why, and that SQLite must create the
// database's -shm beside it even to read it. They said only `read its
// tables: unable to open database file (14)`.
func TestReadOnlyFolderSaysWhy(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenSQLite(filepath.Join(dir, "rfwarden.db"))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	ro := readOnlyFolder(t, dir)
	path := filepath.Join(ro, "rfwarden.db")
	cause := "read-only file system"
	if os.Geteuid() != 0 {
		cause = "permission denied"
	}
	for _, tc := range []struct {
		name string
		open func() error
	}{
		{"CheckDatabase", func() error { return CheckDatabase(path) }},
		{"OpenSQLite", func() error {
			s, err := OpenSQLite(path)
			if err == nil {
				s.Close()
			}
			return err
		}},
	} {
		err := tc.open()
		if err == nil {
			t.Errorf("%s of a database in a read-only folder: no error", tc.name)
			continue
		}
		for _, want := range []string{path, "folder " + ro + ": cannot create files in it: " + cause, "SQLite must create rfwarden.db-shm beside it"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %q, want it to say %q", tc.name, err, want)
			}
		}
	}
}
