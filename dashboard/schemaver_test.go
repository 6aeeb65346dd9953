package dashboard

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/fusion/store"
	"golang.org/x/crypto/bcrypt"
)

// TestUsersSchemaVersion: the dashboard's tables in a database a newer
// rfwarden made are refused, untouched, naming both versions; new ones
// get the current schema version.
func TestUsersSchemaVersion(t *testing.T) {
	ctx := context.Background()
	opt := UsersOptions{BcryptCost: bcrypt.MinCost}

	fresh := memDB(t)
	if _, err := NewUsers(ctx, fresh, opt); err != nil {
		t.Fatal(err)
	}
	if v, err := store.ReadSchemaVersion(ctx, fresh); err != nil || v != store.SchemaVersion {
		t.Errorf("new dashboard tables: schema version %d (%v), want %d", v, err, store.SchemaVersion)
	}

	db := memDB(t)
	newer := store.SchemaVersion + 1
	if _, err := db.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, newer)); err != nil {
		t.Fatal(err)
	}
	_, err := NewUsers(ctx, db, opt)
	if !errors.Is(err, store.ErrNewerSchema) {
		t.Fatalf("NewUsers on a schema %d database = %v; want ErrNewerSchema", newer, err)
	}
	if want := fmt.Sprintf("schema %d; this binary knows %d", newer, store.SchemaVersion); !strings.Contains(err.Error(), want) {
		t.Errorf("NewUsers: %v; want it to say %q", err, want)
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'dashboard_users'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the refused database got the dashboard's tables (%d, %v)", n, err)
	}
}
