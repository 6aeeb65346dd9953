package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	"modernc.org/sqlite"
)

// WriteGrace is how long an SQLite store's writes may keep failing before
// WriteProblem reports them: about two of fusion's ticks (each retries the
// records a failed write kept), so that one write refused for a moment
// (a lock the busy timeout did not outlast) does not flap a health check,
// while a full disk, a read-only file or a lasting lock shows within
// seconds.
const WriteGrace = 2 * time.Second

// writeWatch follows the outcome of a store's writes: whether the latest
// one the database refused (writeRefusal) came after the latest that
// succeeded, since when, and how many. Writes that failed for another
// reason (a record no store can hold, a cancelled context, a closed
// store) tell nothing of the database and change nothing. Safe for
// concurrent use.
type writeWatch struct {
	// refusal says whether a write's error is a refusal of the disk's,
	// and why; nil: writeRefusal (SQLite's)
	refusal  func(error) (string, bool)
	mu       sync.Mutex
	since    time.Time // when the first refused write since the last success began; zero: none
	run      int64     // writes refused since then
	last     error     // the latest refused write's error
	cause    string    // its cause, in words
	failures int64     // writes refused since the store was opened
}

// wrote records the outcome err of a write begun at start.
func (w *writeWatch) wrote(start time.Time, err error) {
	if err == nil {
		w.mu.Lock()
		w.since, w.run, w.last, w.cause = time.Time{}, 0, nil, ""
		w.mu.Unlock()
		return
	}
	refusal := w.refusal
	if refusal == nil {
		refusal = writeRefusal
	}
	cause, ok := refusal(err)
	if !ok {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.since.IsZero() {
		w.since = start
	}
	w.run++
	w.failures++
	w.last, w.cause = err, cause
}

// WriteError is WriteProblem's error: the database at Path has refused
// every write since Since (or, What "InfluxDB spool", Influx.SpoolProblem's:
// the spool in the folder Path).
type WriteError struct {
	What     string // what refuses writes; "": "database"
	Path     string
	Cause    string        // the cause in words: "the disk is full", "read-only ..."
	Since    time.Time     // when the first of the refused writes began
	For      time.Duration // how long they had lasted when WriteProblem was asked
	Failures int64         // writes refused since
	Err      error         // the latest one's error
}

func (e *WriteError) Error() string {
	what := e.What
	if what == "" {
		what = "database"
	}
	return fmt.Sprintf("%s %s refuses writes: %s (%d failed writes in %v; the latest: %v)",
		what, e.Path, e.Cause, e.Failures, e.For.Round(time.Second), e.Err)
}

// Unwrap returns the latest refused write's error.
func (e *WriteError) Unwrap() error { return e.Err }

// WriteProblem reports whether the database has refused every write for
// at least grace (WriteGrace in fusion's health check) at now: a
// *WriteError naming the database's path, the cause (the disk full, the
// file read-only, locked by another process) and the latest error; nil
// while the latest write succeeded, before any write, and while the
// refusals are younger than grace. It clears itself once a write succeeds.
// /healthz reads it: a ping of the connection passes on a full disk.
func (s *SQLite) WriteProblem(now time.Time, grace time.Duration) error {
	return s.writes.problem(now, grace, "", s.path)
}

// problem is WriteProblem of the writes w follows, at now: nil unless
// every write has failed for grace.
func (w *writeWatch) problem(now time.Time, grace time.Duration, what, path string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.since.IsZero() || now.Sub(w.since) < grace {
		return nil
	}
	return &WriteError{What: what, Path: path, Cause: w.cause, Since: w.since, For: now.Sub(w.since), Failures: w.run, Err: w.last}
}

// refusing reports whether the latest write the database refused came
// after the latest that succeeded.
func (w *writeWatch) refusing() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !w.since.IsZero()
}

// ProbeEvery is how often WatchWrites tries a write of its own while the
// database refuses writes: /healthz is ok again at most this long (and
// the probe's own write, which waits up to the busy timeout for a lock)
// after the database takes writes again.
const ProbeEvery = 5 * time.Second

// WatchWrites clears WriteProblem by itself once the database takes
// writes again, until ctx ends: while the latest write the database
// refused came after the latest that succeeded, it writes one row of its
// own (the table write_probe, one row, its time) every interval
// (ProbeEvery when 0), and a write that succeeds clears the problem as
// any write does. A probe the database refuses records nothing: the
// failures counted (WriteFailures) and the failed writes WriteProblem
// names are the service's own. While the writes succeed it writes
// nothing. A service whose own writes come rarely (the dashboard writes
// at a login, an acknowledgement) stayed degraded after the disk was
// freed until its next one.
func (s *SQLite) WatchWrites(ctx context.Context, interval time.Duration) {
	WatchRefused(ctx, interval, s.writes.refusing, func(ctx context.Context, start time.Time) error {
		_, err := s.db.ExecContext(ctx, `INSERT INTO write_probe (id, at_ns) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at_ns = excluded.at_ns`, start.UnixNano())
		return err
	}, func(start time.Time) { s.writes.wrote(start, nil) })
}

// WatchRefused tries probe every interval (ProbeEvery when 0) while
// refusing reports that the latest write was refused, until ctx ends, and
// calls wrote with the probe's start when it succeeds: the write health
// of a store whose own writes come rarely clears by itself once it takes
// writes again (SQLite.WatchWrites, the dashboard's evidence folder). A
// probe that fails records nothing.
func WatchRefused(ctx context.Context, interval time.Duration, refusing func() bool, probe func(ctx context.Context, start time.Time) error, wrote func(start time.Time)) {
	if interval <= 0 {
		interval = ProbeEvery
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if !refusing() {
			continue
		}
		start := time.Now()
		if probe(ctx, start) == nil {
			wrote(start)
		}
	}
}

// count is how many writes were refused since the start.
func (w *writeWatch) count() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failures
}

// fileRefusal says in words why a file refused a write that failed
// with err (a full disk, a read-only file system), and whether err is
// such a refusal: an error of the operating system's, not of a record.
func fileRefusal(err error) (string, bool) {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return "", false
	}
	switch errno {
	case syscall.ENOSPC:
		return "the disk is full", true
	case syscall.EDQUOT:
		return "the disk quota is reached", true
	case syscall.EFBIG:
		return "a file size limit is reached", true
	case syscall.EROFS:
		return "read-only file system", true
	case syscall.EACCES, syscall.EPERM:
		return "permission denied", true
	case syscall.EIO:
		return "disk I/O error: the disk failing", true
	case syscall.ENOENT:
		return "the folder does not exist", true
	}
	return "the disk refuses writes: " + errno.Error(), true
}

// IsFileRefusal reports whether err is the operating system refusing a
// file write (a full disk, a quota, a read-only file system, permission
// denied, an I/O error, the folder gone), not something wrong with what
// was written: the dashboard counts an evidence snippet its extraction
// failed to write as a write failure, not as an invalid archive.
func IsFileRefusal(err error) bool {
	_, ok := fileRefusal(err)
	return ok
}

// FileWrites follows the outcome of a service's writes of files into a
// folder (the dashboard's evidence snippets), as a store follows its
// own: Problem reports once every write has failed for a grace, naming
// the cause in words (a full disk, permission denied, the folder
// removed), until one succeeds. Make one with NewFileWrites; safe for
// concurrent use.
type FileWrites struct{ w writeWatch }

// NewFileWrites returns a FileWrites with no write recorded.
func NewFileWrites() *FileWrites { return &FileWrites{w: writeWatch{refusal: fileRefusal}} }

// Wrote records the outcome err of a write begun at start: a refusal of
// the disk's or the folder's counts, any other error (content refused)
// is ignored, and a success clears the problem.
func (f *FileWrites) Wrote(start time.Time, err error) { f.w.wrote(start, err) }

// Problem reports whether every write has failed for at least grace at
// now: a *WriteError naming what and path, the cause and the latest
// error; nil otherwise.
func (f *FileWrites) Problem(now time.Time, grace time.Duration, what, path string) error {
	return f.w.problem(now, grace, what, path)
}

// Refusing reports whether the latest write refused came after the
// latest that succeeded (a probe of the folder is worth making).
func (f *FileWrites) Refusing() bool { return f.w.refusing() }

// Failures returns how many writes were refused since f was made.
func (f *FileWrites) Failures() int64 { return f.w.count() }

// RecordWrite records the outcome err of a write begun at start that
// another package made on DB() (the dashboard's accounts and sessions,
// the registry), for WriteProblem and WriteFailures, as the store's own
// writes are recorded: a refusal of the database's counts, any other
// error (a constraint, a cancelled context) is ignored, and a success
// clears the problem.
func (s *SQLite) RecordWrite(start time.Time, err error) { s.writes.wrote(start, err) }

// written records the outcome err of a write of the store's begun at
// start, for WriteProblem and WriteFailures, and returns err, naming the
// database file and what to do when its disk is full, or when the system
// refused a write of its file (SQLITE_IOERR_WRITE: SQLite says "disk
// full" only for ENOSPC; a file size limit's EFBIG, `ulimit -f`, or a
// quota are I/O errors): fusion logged "store alert a-3: commit: database
// or disk is full (13)", or "disk I/O error (778)", naming neither. Every
// write of the store's (tx, exec, Audit) comes here.
func (s *SQLite) written(start time.Time, err error) error {
	s.writes.wrote(start, err)
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch {
	case se.Code()&0xff == sqliteFull:
		return fmt.Errorf("%w: the disk of database %s is full: free space on its disk", err, s.path)
	case se.Code() == sqliteIOErrWrite:
		return fmt.Errorf("%w: database %s could not be written: a file size limit (ulimit -f) or quota reached, or its disk full or failing: raise the service's file size limit (its unit's LimitFSIZE) or free space on its disk", err, s.path)
	}
	return err
}

// WriteFailures returns how many writes the database refused since the
// store was opened.
func (s *SQLite) WriteFailures() int64 {
	return s.writes.count()
}

// WriteRefusal says in words why the database refused a write that
// failed with err (writeRefusal), naming no file: "the disk is full";
// false when err is no refusal of the database's (a record no store can
// hold, a cancelled context).
func WriteRefusal(err error) (cause string, ok bool) { return writeRefusal(err) }

// SQLite's primary result codes (https://www.sqlite.org/rescode.html) of
// a database that refuses a write whatever the write is.
const (
	sqlitePerm     = 3
	sqliteBusy     = 5
	sqliteLocked   = 6
	sqliteNoMem    = 7
	sqliteReadOnly = 8
	sqliteIOErr    = 10
	sqliteCorrupt  = 11
	sqliteFull     = 13
	sqliteCantOpen = 14
	sqliteNotADB   = 26
	// sqliteIOErrWrite is the extended code of a write to the file
	// that the operating system refused (its error not ENOSPC, which is
	// sqliteFull): EFBIG past a file size limit, EDQUOT, EIO.
	sqliteIOErrWrite = sqliteIOErr | 3<<8
)

// writeRefusal says in words why the database refused a write that
// failed with err, and whether err is such a refusal at all: an SQLite
// error of the database or its disk, not of the write's content (a
// constraint), its context or a closed store.
func writeRefusal(err error) (string, bool) {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return "", false
	}
	switch se.Code() & 0xff {
	case sqliteFull:
		return "the disk is full", true
	case sqliteIOErr:
		// SQLite says "disk full" only for ENOSPC; a file size limit
		// (EFBIG), a quota or a failing disk are I/O errors.
		return "disk I/O error: the disk full, a quota or file size limit reached, or the disk failing", true
	case sqliteReadOnly:
		return "read-only: the file, its folder or its file system cannot be written by the service's user", true
	case sqliteBusy, sqliteLocked:
		return fmt.Sprintf("locked by another process for longer than the busy timeout (%v)", busyTimeout), true
	case sqlitePerm:
		return "permission denied", true
	case sqliteCantOpen:
		return "cannot open the database's files (its -wal or -shm beside it)", true
	case sqliteCorrupt, sqliteNotADB:
		return "the file is corrupt", true
	case sqliteNoMem:
		return "out of memory", true
	}
	return "", false
}
