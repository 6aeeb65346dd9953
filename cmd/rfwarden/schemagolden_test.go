package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/dashboard"
	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/store"
	"golang.org/x/crypto/bcrypt"
)

var updateSchema = flag.Bool("update-schema", false, "rewrite testdata/schema-vN.sql for store.SchemaVersion N")

// TestSchemaGolden: the schema every part of rfwarden makes in
// rfwarden.db (fusion's store, its registry and notification outbox, the
// dashboard's accounts) is testdata/schema-vN.sql, N being
// store.SchemaVersion. A change to any table, column or index without a
// new version fails here, so the number that refuses a newer database
// (store.ErrNewerSchema) cannot silently lag the schema: raise
// store.SchemaVersion with a line saying what it adds, then run
// `go test ./cmd/rfwarden -run TestSchemaGolden -update-schema`, which
// writes the new version's file and never rewrites an old one.
func TestSchemaGolden(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfwarden.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := registry.Open(ctx, db.DB(), db, registry.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := fusion.OpenNotifier(ctx, db.DB(), fusion.NotifyOptions{Output: "golden", Next: nopPublisher{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := dashboard.NewUsers(ctx, db.DB(), dashboard.UsersOptions{BcryptCost: bcrypt.MinCost}); err != nil {
		t.Fatal(err)
	}
	rows, err := db.DB().QueryContext(ctx, `SELECT type, name, COALESCE(sql, '') FROM sqlite_master
		WHERE name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var typ, name, sql string
		if err := rows.Scan(&typ, &name, &sql); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "-- %s %s\n%s;\n\n", typ, name, strings.TrimSpace(sql))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", fmt.Sprintf("schema-v%d.sql", store.SchemaVersion))
	if *updateSchema {
		// a version's file is written once: rewriting it would let a
		// changed schema pass under the old number
		if old, err := os.ReadFile(golden); err == nil && string(old) != b.String() {
			t.Fatalf("%s holds version %d's schema and is not rewritten: raise store.SchemaVersion first", golden, store.SchemaVersion)
		}
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v: a new store.SchemaVersion needs its schema file: run with -update-schema", err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("the schema rfwarden makes differs from %s, the schema of version %d: raise store.SchemaVersion (with a line saying what it adds) and run `go test ./cmd/rfwarden -run TestSchemaGolden -update-schema`; got:\n%s", golden, store.SchemaVersion, got)
	}
}
