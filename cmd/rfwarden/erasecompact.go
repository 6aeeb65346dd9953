package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/rfwarden/rfwarden/dashboard"
)

// compactErased rewrites the database held as db (VACUUM) after an erase
// committed, and empties its WAL into the file before and after: the
// deletes overwrite what they free (secure_delete), but not the older
// versions of the rows that fusion's updates and page splits, and the
// erase's own rebalancing, left in the unused space of live pages; a
// rewritten file holds only its rows. It returns how long it took.
func compactErased(ctx context.Context, db *sql.DB) (time.Duration, error) {
	start := time.Now()
	if err := checkpointErased(ctx, db); err != nil {
		return 0, err
	}
	if _, err := db.ExecContext(ctx, `VACUUM`); err != nil {
		return 0, fmt.Errorf("VACUUM: %w", err)
	}
	if err := checkpointErased(ctx, db); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// freeBytes returns the bytes free to an unprivileged user on the disk of
// path (a test replaces it).
var freeBytes = func(path string) (int64, error) { return (&dashboard.FreeSpace{Path: path}).Free() }

// sqliteTempDir returns the folder SQLite writes its temporary files in
// (a VACUUM's copy of the database), as its unix VFS chooses it: the
// first writable folder of SQLITE_TMPDIR, TMPDIR, /var/tmp, /usr/tmp and
// /tmp, else the current one.
func sqliteTempDir() string {
	for _, d := range []string{os.Getenv("SQLITE_TMPDIR"), os.Getenv("TMPDIR"), "/var/tmp", "/usr/tmp", "/tmp"} {
		if d == "" {
			continue
		}
		if fi, err := os.Stat(d); err == nil && fi.IsDir() && syscall.Access(d, 0o3) == nil { // W_OK|X_OK
			return d
		}
	}
	return "."
}

// checkCompactSpace returns an error saying so when the disks lack the
// free space compacting the database at path (compactErased) takes: its
// size (the file and its WAL) on its own disk, for the WAL the VACUUM
// writes the rewritten pages to (or, out of WAL mode, the journal of the
// old ones), and again on the disk of SQLite's
// temporary folder (sqliteTempDir), for the copy it builds first; twice
// that when both are one disk. It returns the size.
func checkCompactSpace(path string) (int64, error) {
	var size int64
	for _, p := range []string{path, path + "-wal"} {
		switch fi, err := os.Stat(p); {
		case err == nil:
			size += fi.Size()
		case !errors.Is(err, os.ErrNotExist):
			return 0, err
		}
	}
	tmp := sqliteTempDir()
	need := map[string]int64{path: size}
	if sameDisk(path, tmp) {
		need[path] += size
	} else {
		need[tmp] = size
	}
	for p, n := range need {
		free, err := freeBytes(p)
		if err != nil {
			return size, fmt.Errorf("read the free space compacting the database after the erase needs: %w", err)
		}
		if free < n {
			where := "the database's disk (for the WAL or journal the rewrite goes through)"
			switch {
			case p != path:
				where = fmt.Sprintf("the disk of %s, SQLite's temporary folder (for its copy of the database; SQLITE_TMPDIR names another)", tmp)
			case n > size:
				where = fmt.Sprintf("the database's disk (for SQLite's temporary copy of it in %s, and the WAL or journal the rewrite goes through; SQLITE_TMPDIR names another folder)", tmp)
			}
			return size, fmt.Errorf("%d bytes free on %s, and compacting the database after the erase (VACUUM: it rewrites the %d-byte file so that no erased content stays readable in it) needs %d: free space there first", free, where, size, n)
		}
	}
	return size, nil
}

// sameDisk reports whether a and b are on one file system (true when
// that cannot be read: the larger need).
func sameDisk(a, b string) bool {
	var sa, sb syscall.Stat_t
	if syscall.Stat(a, &sa) != nil || syscall.Stat(b, &sb) != nil {
		return true
	}
	return sa.Dev == sb.Dev
}
