package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// SchemaVersion is the version of the database schema this binary knows:
// fusion's store's tables and the dashboard's, one number, kept in the
// database's header (PRAGMA user_version). OpenSQLite and the dashboard's
// NewUsers set it when they make the tables and after they upgrade them
// (MarkSchema), and refuse a database whose number is higher
// (ErrNewerSchema): a newer rfwarden made it, and an older one ran on it
// without a word, undoing what the newer schema kept (accounts disabled
// after the upgrade logged in again). Every change to either schema (a
// table, a column, an index, a migration) raises it by one, with a line
// here saying what that version added. The number guards against a newer
// database only: the migrations choose what to do from the tables and
// columns they find, never from it (fusion's store and the dashboard each
// mark the database after upgrading their own tables, so a number may run
// ahead of the other half's upgrade). cmd/rfwarden's TestSchemaGolden
// holds each version's schema (testdata/schema-vN.sql) and fails on a
// change made without a new number:
//
//	0  unnumbered: a database made or last opened by a binary before
//	   2026-12-07. Taken for an older one: upgraded by the migrations as
//	   every older database is (they look at its tables and columns, not
//	   at the number), then numbered.
//	1  2026-12-07: the schema of that day, the first numbered (the
//	   detection key by sensor, the heatmap's lead detections and
//	   targets, the audit's addr, the fixes' head columns, the history
//	   indexes and case_change, the dashboard's disabled_ns, revoked_ns
//	   and must_change).
const SchemaVersion = 1

// ErrNewerSchema is wrapped by the error of opening or checking a database
// whose schema version (SchemaVersion) is higher than this binary knows:
// a newer rfwarden made it or upgraded it.
var ErrNewerSchema = errors.New("made by a newer rfwarden")

// upgradeAdvice is what to do about a database a newer rfwarden made.
const upgradeAdvice = "run the newer binary, or restore a backup taken before the upgrade (docs/deploy.md, section 5)"

// newerSchema is the error, wrapping ErrNewerSchema, for a database of
// schema version v, higher than SchemaVersion.
func newerSchema(v int) error {
	return fmt.Errorf("%w (schema %d; this binary knows %d): %s", ErrNewerSchema, v, SchemaVersion, upgradeAdvice)
}

// Rower is a database, a connection or a transaction on one.
type Rower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ReadSchemaVersion returns the schema version recorded in the database q
// reads (0: unnumbered, an older one; see SchemaVersion).
func ReadSchemaVersion(ctx context.Context, q Rower) (int, error) {
	var v int
	if err := q.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read the schema version: %w", err)
	}
	return v, nil
}

// CheckSchema returns an error wrapping ErrNewerSchema, with both
// versions and what to do, when the database q reads records a schema
// version higher than SchemaVersion; nil for this one or an older one.
func CheckSchema(ctx context.Context, q Rower) error {
	v, err := ReadSchemaVersion(ctx, q)
	if err != nil {
		return err
	}
	if v > SchemaVersion {
		return newerSchema(v)
	}
	return nil
}

// MarkSchema records SchemaVersion in db once its tables are made or
// upgraded, holding the write lock: a lower number (or none) is raised, a
// higher one is never lowered but refused (CheckSchema), as a newer binary
// may have upgraded the database since it was checked.
func MarkSchema(ctx context.Context, db *sql.DB) error {
	return upgrading(ctx, db, "schema version", func(conn *sql.Conn) error {
		v, err := ReadSchemaVersion(ctx, conn)
		switch {
		case err != nil:
			return err
		case v > SchemaVersion:
			return newerSchema(v)
		case v == SchemaVersion:
			return nil
		}
		// PRAGMA takes no bound parameter; SchemaVersion is a constant
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, SchemaVersion)); err != nil {
			return fmt.Errorf("record the schema version: %w", err)
		}
		return nil
	})
}
