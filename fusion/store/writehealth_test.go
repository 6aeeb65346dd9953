package store_test

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// openOneConnection opens a store in a temporary folder, closed at the
// test's end, on one connection, so a pragma set on it holds for every
// write; and returns it with its path.
func openOneConnection(t *testing.T) (*store.SQLite, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rfw.db")
	s, err := store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.DB().SetMaxOpenConns(1)
	return s, path
}

// TestSQLiteWriteProblem: a database that refuses writes while its
// connection still answers (a full disk, a read-only file, a lock held
// past the busy timeout) is reported by WriteProblem once it has refused
// every write for the grace, naming the file and the cause; it clears
// itself at the next write that succeeds. A write refused for its content
// (a record no store can hold) says nothing of the database. Until
// 2026-12-06 fusion's /healthz only pinged the connection and said ok on
// a full disk.
func TestSQLiteWriteProblem(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// refuse makes the store's one connection refuse writes; allow
		// undoes it
		refuse    func(t *testing.T, db *sql.DB, path string) (allow func())
		wantCause string
	}{
		{name: "read-only",
			refuse: func(t *testing.T, db *sql.DB, _ string) func() {
				mustExec(t, db, `PRAGMA query_only = 1`)
				return func() { mustExec(t, db, `PRAGMA query_only = 0`) }
			},
			wantCause: "refuses writes: read-only: the file, its folder or its file system cannot be written by the service's user",
		},
		{name: "locked by another process",
			refuse: func(t *testing.T, db *sql.DB, path string) func() {
				mustExec(t, db, `PRAGMA busy_timeout = 0`) // refused at once, not after 10 s
				other, err := sql.Open("sqlite", store.FileURI(path))
				if err != nil {
					t.Fatal(err)
				}
				other.SetMaxOpenConns(1)
				t.Cleanup(func() { other.Close() })
				mustExec(t, other, `BEGIN IMMEDIATE`)
				return func() { mustExec(t, other, `ROLLBACK`) }
			},
			wantCause: "refuses writes: locked by another process for longer than the busy timeout",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, path := openOneConnection(t)
			write := func(id string) error {
				return s.UpsertAlert(ctx, event.Alert{ID: id, Site: "s", Rule: "r", Severity: "high", State: event.AlertPending})
			}
			problem := func(after time.Duration) error { return s.WriteProblem(time.Now().Add(after), time.Minute) }
			if err := problem(time.Hour); err != nil {
				t.Fatalf("before any write: %v", err)
			}
			if err := write("a-1"); err != nil {
				t.Fatal(err)
			}
			// a record no store can hold fails for itself, not the database's
			if err := s.WriteDetections(ctx, []store.DetectionRecord{{Detection: event.Detection{ID: "d", Site: "s", PowerDBm: math.NaN()}}}); !errors.Is(err, store.ErrInvalidRecord) {
				t.Fatalf("NaN detection: %v, want ErrInvalidRecord", err)
			}
			if err := problem(time.Hour); err != nil || s.WriteFailures() != 0 {
				t.Fatalf("after a record refused for its content: %v, %d write failures; want nil, 0", err, s.WriteFailures())
			}
			allow := tc.refuse(t, s.DB(), path)
			for _, id := range []string{"a-2", "a-3"} {
				if err := write(id); err == nil {
					t.Fatalf("write %s while refused: no error", id)
				}
			}
			if err := problem(0); err != nil {
				t.Errorf("refused for less than the grace: %v, want nil", err)
			}
			err := problem(time.Minute)
			var we *store.WriteError
			if !errors.As(err, &we) || !strings.HasPrefix(err.Error(), "database "+path+" "+tc.wantCause) || we.Failures != 2 {
				t.Errorf("refused for the grace: %v (%+v)\nwant a WriteError beginning %q, 2 failed writes", err, we, "database "+path+" "+tc.wantCause)
			}
			if got := s.WriteFailures(); got != 2 {
				t.Errorf("WriteFailures %d, want 2", got)
			}
			allow()
			if err := write("a-4"); err != nil {
				t.Fatalf("write once allowed: %v", err)
			}
			if err := problem(time.Hour); err != nil {
				t.Errorf("after a write succeeded: %v, want nil", err)
			}
			if got := s.WriteFailures(); got != 2 {
				t.Errorf("WriteFailures after recovery %d, want 2 (a count since the start)", got)
			}
		})
	}
}

func mustExec(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// TestSQLiteWatchWrites: a database that refused writes and takes them
// again, with no write of the service's in between, is no longer
// reported by WriteProblem once WatchWrites' own write succeeds. Until
// 2026-12-06 the problem held until the service's next write: the
// dashboard, which writes at a login or an acknowledgement, said
// "degraded: database" for hours after the disk was freed. While the
// database refuses, the probe's refused writes count nothing (the
// failures are the service's); while writes succeed it writes nothing.
func TestSQLiteWatchWrites(t *testing.T) {
	ctx := context.Background()
	const every = 20 * time.Millisecond
	tests := []struct {
		name   string
		refuse func(t *testing.T, db *sql.DB, path string) (allow func())
	}{
		{name: "read-only", refuse: func(t *testing.T, db *sql.DB, _ string) func() {
			mustExec(t, db, `PRAGMA query_only = 1`)
			return func() { mustExec(t, db, `PRAGMA query_only = 0`) }
		}},
		{name: "locked by another process", refuse: func(t *testing.T, db *sql.DB, path string) func() {
			mustExec(t, db, `PRAGMA busy_timeout = 0`)
			other, err := sql.Open("sqlite", store.FileURI(path))
			if err != nil {
				t.Fatal(err)
			}
			other.SetMaxOpenConns(1)
			t.Cleanup(func() { other.Close() })
			mustExec(t, other, `BEGIN IMMEDIATE`)
			return func() { mustExec(t, other, `ROLLBACK`) }
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "rfw.db")
			s, err := store.OpenSQLite(path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			s.DB().SetMaxOpenConns(1) // the pragmas hold for every write
			wctx, stop := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { defer close(done); s.WatchWrites(wctx, every) }()
			defer func() { stop(); <-done }()
			probes := func() int {
				var n int
				if err := s.DB().QueryRow(`SELECT COUNT(*) FROM write_probe`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			if err := s.UpsertAlert(ctx, event.Alert{ID: "a-1", Site: "s", Rule: "r", Severity: "high", State: event.AlertPending}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(10 * every)
			if n := probes(); n != 0 {
				t.Errorf("the probe wrote %d rows while the writes succeeded, want none", n)
			}
			allow := tc.refuse(t, s.DB(), path)
			if err := s.UpsertAlert(ctx, event.Alert{ID: "a-2", Site: "s", Rule: "r", Severity: "high", State: event.AlertPending}); err == nil {
				t.Fatal("a write while refused: no error")
			}
			time.Sleep(10 * every) // probes refused
			var we *store.WriteError
			if err := s.WriteProblem(time.Now().Add(time.Hour), time.Minute); !errors.As(err, &we) || we.Failures != 1 || s.WriteFailures() != 1 {
				t.Fatalf("refused, probes refused meanwhile: %v, %d failures; want a WriteError of 1 failed write (the service's), 1 failure", err, s.WriteFailures())
			}
			allow()
			deadline := time.Now().Add(10 * time.Second)
			for s.WriteProblem(time.Now().Add(time.Hour), time.Minute) != nil && time.Now().Before(deadline) {
				time.Sleep(every)
			}
			if err := s.WriteProblem(time.Now().Add(time.Hour), time.Minute); err != nil {
				t.Errorf("10 s after the database takes writes again, no write of the service's: %v, want nil", err)
			}
			if n := probes(); n != 1 {
				t.Errorf("write_probe holds %d rows, want 1", n)
			}
			if got := s.WriteFailures(); got != 1 {
				t.Errorf("WriteFailures %d, want 1 (the service's refused write)", got)
			}
		})
	}
}
