package store

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"modernc.org/sqlite"
)

// ErrNotRFWarden is wrapped by CheckDatabase's error for a file that is
// there but is not an rfwarden database: empty, not SQLite, or another
// program's SQLite database.
var ErrNotRFWarden = errors.New("not an rfwarden database")

// ErrEmpty is wrapped by the error of CheckDatabase and OpenSQLite for a
// database file that is there but empty (it wraps ErrNotRFWarden). SQLite
// takes an empty file for an empty database, so opening it made a new
// store in place of the one a failed copy or restore, or a full disk,
// left empty: its alerts, incidents, registry, audit and accounts gone
// without a word, and the dashboard making a new admin.
var ErrEmpty = fmt.Errorf("the file is empty: %w", ErrNotRFWarden)

// ErrDamaged is wrapped, with SQLite's own error, by the error of
// CheckDatabase and OpenSQLite for a database file SQLite finds corrupt
// (database disk image is malformed (11)) or, beginning as SQLite does,
// not a database (file is not a database (26)): a copy cut short, a disk
// that failed. Fusion exited with SQLite's words alone, again every 5 s
// under systemd, and nobody was told what to do.
var ErrDamaged = errors.New("the database file is damaged")

// damagedAdvice is what to do about a damaged database file.
const damagedAdvice = "restore the latest backup (rfwarden restore; docs/deploy.md, section 4)"

// notSQLite is the words for a file that does not begin as SQLite does:
// another file given by mistake, or the database overwritten.
const notSQLite = "not an SQLite database (it does not begin with the SQLite header): is it the right path? If it is, the file is damaged: " + damagedAdvice

// damaged returns err wrapped in ErrDamaged with what to do, when SQLite
// says the database file is corrupt or not a database; err otherwise.
func damaged(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && (se.Code()&0xff == sqliteCorrupt || se.Code()&0xff == sqliteNotADB) {
		return fmt.Errorf("%w (%w): %s", ErrDamaged, err, damagedAdvice)
	}
	return err
}

// emptyAdvice is what to do about an empty database file.
const emptyAdvice = "restore the latest backup (rfwarden restore; docs/deploy.md, section 4), " +
	"or remove the file to start with an empty database (fusion creates one at its next start)"

// sqliteHeader is how every SQLite 3 database file begins
// (https://www.sqlite.org/fileformat.html, 1.3).
const sqliteHeader = "SQLite format 3\x00"

// missingError is CheckDatabase's error for a path with no file.
type missingError struct{ path string }

func (e missingError) Error() string { return fmt.Sprintf("database %q does not exist", e.path) }

// Unwrap returns fs.ErrNotExist.
func (e missingError) Unwrap() error { return fs.ErrNotExist }

// CheckDatabase reports whether path holds an rfwarden SQLite database,
// changing nothing: OpenSQLite creates a database where there is none
// and adds its tables to another program's database. nil when it does;
// otherwise an error naming path and why: no such file (wrapping
// fs.ErrNotExist), a directory, or, wrapping ErrNotRFWarden, an empty
// file (ErrEmpty), a file that is not SQLite, or an SQLite database
// without rfwarden's alert table (every store has one from its first
// open); one whose tables SQLite cannot read for damage wraps
// ErrDamaged. For the commands that need the database fusion made (the
// dashboard, users, backup, erase): a mistyped path must not become a new
// empty one.
func CheckDatabase(path string) error {
	if err := checkFile(path); err != nil {
		return err
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("database %q: "+format, append([]any{path}, args...)...)
	}
	f, err := os.Open(path)
	if err != nil {
		return fail("%w", pathCause(err))
	}
	head := make([]byte, len(sqliteHeader))
	_, err = io.ReadFull(f, head)
	f.Close()
	if err != nil || !bytes.Equal(head, []byte(sqliteHeader)) {
		return fail("%s: %w", notSQLite, ErrNotRFWarden)
	}
	// query_only, not mode=ro: a read-only connection to a WAL database
	// creates its -wal and -shm and cannot remove them at close, while
	// this one, when it is the last, removes them; and a fresh store's
	// tables may still be in fusion's -wal, which it reads. Fusion may be
	// writing meanwhile (hence the busy timeout).
	db, err := sql.Open("sqlite", FileURI(path)+fmt.Sprintf("?_pragma=query_only(1)&_pragma=busy_timeout(%d)", busyTimeout.Milliseconds()))
	if err != nil {
		return fail("%w", err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'alert'`).Scan(&n); err != nil {
		return fail("read its tables: %w", damaged(err))
	}
	if n == 0 {
		return fail("an SQLite database with no alert table: %w", ErrNotRFWarden)
	}
	return nil
}

// checkFile is CheckDatabase's look at the file before reading it: no
// such file (missingError), a directory, not a regular file, or an
// empty one (ErrEmpty, which OpenSQLite refuses too).
func checkFile(path string) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("database %q: "+format, append([]any{path}, args...)...)
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return missingError{path}
	case err != nil:
		return fail("%w", pathCause(err))
	case fi.IsDir():
		return fail("is a directory: give the database file's path in it (e.g. %s)", filepath.Join(path, "rfwarden.db"))
	case !fi.Mode().IsRegular():
		return fail("is not a regular file (%v): %w", fi.Mode().Type(), ErrNotRFWarden)
	case fi.Size() == 0:
		return fail("%w (a failed copy or restore, or a full disk?): %s", ErrEmpty, emptyAdvice)
	}
	return nil
}

// pathCause is err without its *fs.PathError wrapping (the operation and
// path), for a message that names the path itself: "permission denied",
// not "stat /x: permission denied".
func pathCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
