package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

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

// Damaged returns err wrapped in ErrDamaged with what to do, when SQLite
// says the database file is corrupt or not a database; err otherwise.
func Damaged(err error) error {
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

// sqliteHead reports whether r begins with sqliteHeader.
func sqliteHead(r io.Reader) bool {
	head := make([]byte, len(sqliteHeader))
	_, err := io.ReadFull(r, head)
	return err == nil && bytes.Equal(head, []byte(sqliteHeader))
}

// sqliteFile reports whether the file at path begins as SQLite does.
func sqliteFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return sqliteHead(f)
}

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
// ErrDamaged; one a newer rfwarden made wraps ErrNewerSchema (backup
// copies it all the same). For the commands that need the database
// fusion made (the dashboard, users, backup, erase): a mistyped path must
// not become a new empty one.
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
	ok := sqliteHead(f)
	f.Close()
	if !ok {
		return fail("%s: %w", notSQLite, ErrNotRFWarden)
	}
	db, err := openQueryOnly(path)
	if err != nil {
		return fail("%w", err)
	}
	defer db.Close()
	tables, err := tableNames(db)
	if err != nil {
		return tablesError(path, err)
	}
	if !slices.Contains(tables, "alert") {
		return foreignError(path, tables)
	}
	if err := CheckSchema(context.Background(), db); err != nil {
		return fmt.Errorf("database %q: %w", path, Damaged(err))
	}
	return nil
}

// tablesError is the error of reading the tables of the database at
// path, naming it: when SQLite cannot open its files (unable to open
// database file (14)) because their folder takes no new files (a
// read-only file system, permission denied: folderProblem), that cause
// and what to do, as even a reader of a WAL database must create its
// -shm beside it; SQLite's words alone said neither. Else err, wrapped
// in ErrDamaged when SQLite finds the file damaged (Damaged).
func tablesError(path string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqliteCantOpen {
		if why := folderProblem(filepath.Dir(path)); why != nil {
			return fmt.Errorf("database %q: read its tables: %w: SQLite must create %s beside it, even to read it: make the folder writable to this user, or copy the database's files to a folder that is (sqlite: %v)",
				path, why, filepath.Base(path)+"-shm", err)
		}
	}
	return fmt.Errorf("database %q: read its tables: %w", path, Damaged(err))
}

// openQueryOnly opens the database at path to read it, changing nothing.
// query_only, not mode=ro: a read-only connection to a WAL database
// creates its -wal and -shm and cannot remove them at close, while this
// one, when it is the last, removes them; and a fresh store's tables may
// still be in fusion's -wal, which it reads. Fusion may be writing
// meanwhile (hence the busy timeout).
func openQueryOnly(path string) (*sql.DB, error) {
	return sql.Open("sqlite", FileURI(path)+fmt.Sprintf("?_pragma=query_only(1)&_pragma=busy_timeout(%d)", busyTimeout.Milliseconds()))
}

// tableNames returns the names of db's tables, SQLite's own
// (sqlite_sequence, sqlite_stat1) left out, sorted.
func tableNames(db *sql.DB) ([]string, error) {
	return QueryStrings(context.Background(), db, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
}

// Querier is a database or a transaction on it.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// QueryStrings returns the first column of the rows query (with args)
// answers in q, as strings.
func QueryStrings(ctx context.Context, q Querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// foreignError is the error, wrapping ErrNotRFWarden, for the database at
// path whose tables (none, or another program's) lack rfwarden's alert
// table, which every store has from its first open. It names up to 10
// of the tables.
func foreignError(path string, tables []string) error {
	if len(tables) == 0 {
		return fmt.Errorf("database %q: an SQLite database with no tables, so no alert table: %w", path, ErrNotRFWarden)
	}
	shown := tables
	if len(shown) > 10 {
		shown = append(slices.Clip(shown[:10]), fmt.Sprintf("and %d more", len(tables)-10))
	}
	return fmt.Errorf("database %q: another program's SQLite database, with no alert table (its tables: %s): %w: is it the right path? rfwarden adds its tables only to its own database or a new one",
		path, strings.Join(shown, ", "), ErrNotRFWarden)
}

// timeSeriesTables are the tables of the time series (detections,
// fixes, health, spectra): with no InfluxDB, nearly all of a big file.
var timeSeriesTables = []string{"detection", "location", "health", "spectrum"}

// quickCheckAllBytes is the size of database file up to which
// checkExisting checks the time series tables too: quick_check reads
// every page it checks, about 1 s for 370 MB (a million detections) on a
// 2-vCPU VM with the file in the page cache (docs/deploy.md). A bigger
// file has its state tables checked (alerts, incidents, audit, accounts,
// registry, outbox), which stay small; damage in its time series shows as
// failed writes and reads of those rows (write health, /healthz).
var quickCheckAllBytes int64 = 1 << 30

// checkExisting is OpenSQLite's look at an existing database before it
// changes anything: refused, naming path, when it is another program's
// (tables, none rfwarden's: foreignError), a newer rfwarden made it
// (ErrNewerSchema, with what to do) or SQLite's quick_check finds
// damage in its tables (ErrDamaged, with what to do); the time series
// tables of a file over quickCheckAllBytes are not checked. A database
// with no tables (a new one) passes.
func checkExisting(path string, size int64) error {
	db, err := openQueryOnly(path)
	if err != nil {
		return fmt.Errorf("database %q: %w", path, err)
	}
	defer db.Close()
	tables, err := tableNames(db)
	if err != nil {
		return tablesError(path, err)
	}
	if len(tables) == 0 {
		return nil
	}
	if !slices.Contains(tables, "alert") {
		return foreignError(path, tables)
	}
	if err := CheckSchema(context.Background(), db); err != nil {
		return fmt.Errorf("database %q: %w", path, Damaged(err))
	}
	for _, t := range tables {
		if size > quickCheckAllBytes && slices.Contains(timeSeriesTables, t) {
			continue
		}
		problems, err := Problems(context.Background(), db, `PRAGMA quick_check("`+strings.ReplaceAll(t, `"`, `""`)+`")`)
		if err != nil {
			return fmt.Errorf("database %q: check table %s: %w", path, t, Damaged(err))
		}
		if len(problems) > 0 {
			return fmt.Errorf("database %q: %w (quick_check of table %s: %s): %s", path, ErrDamaged, t, strings.Join(problems, "; "), damagedAdvice)
		}
	}
	return nil
}

// Problems runs pragma, SQLite's integrity_check or quick_check (of a
// table, or all), on db and returns what it found wrong: none when the
// answer is "ok", at most 5 and "and N more" otherwise.
func Problems(ctx context.Context, db *sql.DB, pragma string) ([]string, error) {
	answer, err := QueryStrings(ctx, db, pragma)
	if err != nil {
		return nil, err
	}
	problems := slices.DeleteFunc(answer, func(s string) bool { return s == "ok" })
	if len(problems) > 5 {
		problems = append(problems[:5], fmt.Sprintf("and %d more", len(problems)-5))
	}
	return problems, nil
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
