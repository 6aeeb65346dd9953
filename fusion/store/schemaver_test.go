package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// schemaVersion returns the schema version recorded in the database at
// path (PRAGMA user_version).
func schemaVersion(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", store.FileURI(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v, err := store.ReadSchemaVersion(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// setSchemaVersion records v as the schema version of the database at
// path, as another binary would, and closes it (its WAL checkpointed).
func setSchemaVersion(t *testing.T, path string, v int) {
	t.Helper()
	db, err := sql.Open("sqlite", store.FileURI(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, v)); err != nil {
		t.Fatal(err)
	}
}

// TestSchemaVersionNewer: a database a newer rfwarden made (a higher
// schema version) is refused by OpenSQLite and CheckDatabase, naming both
// versions and what to do, and OpenSQLite changes nothing in it.
func TestSchemaVersionNewer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rfw.db")
	s, err := store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	newer := store.SchemaVersion + 1
	setSchemaVersion(t, path, newer)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("made by a newer rfwarden (schema %d; this binary knows %d): run the newer binary, or restore a backup taken before the upgrade (docs/deploy.md, section 5)",
		newer, store.SchemaVersion)
	for _, c := range []struct {
		name string
		open func() error
	}{
		{"OpenSQLite", func() error {
			s, err := store.OpenSQLite(path)
			if err == nil {
				s.Close()
			}
			return err
		}},
		{"CheckDatabase", func() error { return store.CheckDatabase(path) }},
	} {
		err := c.open()
		if !errors.Is(err, store.ErrNewerSchema) {
			t.Errorf("%s of a schema %d database = %v; want ErrNewerSchema", c.name, newer, err)
			continue
		}
		if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v\nwant it to name %s and say %q", c.name, err, path, want)
		}
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("the refused database changed")
	}
	if v := schemaVersion(t, path); v != newer {
		t.Errorf("schema version after the refusals %d, want %d kept", v, newer)
	}
}

// TestSchemaVersionRecorded: a new database gets the current schema
// version; an unnumbered one (made before versions) is taken for an older
// one, upgraded as before, and numbered; a current one opens as it is.
func TestSchemaVersionRecorded(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "rfw.db")
	s, err := store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if v := schemaVersion(t, path); v != store.SchemaVersion {
		t.Fatalf("a new database's schema version %d, want %d", v, store.SchemaVersion)
	}
	if err := store.CheckDatabase(path); err != nil {
		t.Fatalf("CheckDatabase of a current database: %v", err)
	}

	// an older release's: unnumbered, without the audit's addr column
	s, err = store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, `ALTER TABLE audit DROP COLUMN addr`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	setSchemaVersion(t, path, 0)
	if err := store.CheckDatabase(path); err != nil {
		t.Fatalf("CheckDatabase of an unnumbered database: %v", err)
	}
	s, err = store.OpenSQLite(path)
	if err != nil {
		t.Fatalf("OpenSQLite of an unnumbered older database: %v", err)
	}
	var n int
	if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('audit') WHERE name = 'addr'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if n != 1 {
		t.Errorf("the unnumbered database was not upgraded: audit.addr missing")
	}
	if v := schemaVersion(t, path); v != store.SchemaVersion {
		t.Errorf("the upgraded database's schema version %d, want %d", v, store.SchemaVersion)
	}
}
