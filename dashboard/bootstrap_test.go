package dashboard

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/fusion/store"
	"golang.org/x/crypto/bcrypt"
)

// TestEnsureAdminBootstrap: the admin a dashboard's first start creates
// has a password printed to the journal, so its first login must choose
// another, and its creation is audited as user.create by "system", in
// the same transaction as the account. It was created without either.
// The demo's throwaway account keeps its printed password
// (KeepPassword), still audited.
func TestEnsureAdminBootstrap(t *testing.T) {
	for _, tc := range []struct {
		name           string
		given          AdminOptions
		wantMustChange bool
	}{
		{"dashboard", AdminOptions{}, true},
		{"demo", AdminOptions{KeepPassword: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfw.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			users, err := NewUsers(ctx, db.DB(), UsersOptions{BcryptCost: bcrypt.MinCost})
			if err != nil {
				t.Fatal(err)
			}
			tc.given.Auditor = db
			pw, created, err := users.EnsureAdmin(ctx, tc.given)
			if err != nil || !created {
				t.Fatalf("EnsureAdmin: created %v, %v", created, err)
			}
			sess, err := users.Login(ctx, "127.0.0.1", "admin", pw)
			if err != nil {
				t.Fatalf("login with the printed password: %v", err)
			}
			if sess.MustChange != tc.wantMustChange {
				t.Errorf("first login must change the password: %v, want %v", sess.MustChange, tc.wantMustChange)
			}
			log, err := db.AuditLog(ctx, store.AuditFilter{Object: "user/admin"})
			if err != nil || len(log) != 1 || log[0].Action != "user.create" || log[0].User != "system" || !strings.HasPrefix(log[0].After, RoleAdmin) {
				t.Errorf("audit of the bootstrap admin: %+v, %v; want one user.create by system, after %q...", log, err, RoleAdmin)
			}
			// a second start creates nothing and audits nothing
			if _, created, err := users.EnsureAdmin(ctx, tc.given); err != nil || created {
				t.Errorf("second EnsureAdmin: created %v, %v", created, err)
			}
			if log, _ := db.AuditLog(ctx, store.AuditFilter{Object: "user/admin"}); len(log) != 1 {
				t.Errorf("after a second start: %d audit rows, want 1", len(log))
			}
		})
	}
}

// TestEnsureAdminAuditFails: when the audit row cannot be written no
// admin is created either (one transaction), so the next start tries
// again and prints a password then.
func TestEnsureAdminAuditFails(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfw.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	users, err := NewUsers(ctx, db.DB(), UsersOptions{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.DB().Exec(`DROP TABLE audit`); err != nil {
		t.Fatal(err)
	}
	if _, created, err := users.EnsureAdmin(ctx, AdminOptions{Auditor: db}); err == nil || created {
		t.Fatalf("EnsureAdmin without an audit table: created %v, %v; want an error", created, err)
	}
	var n int
	db.DB().QueryRow(`SELECT COUNT(*) FROM dashboard_users`).Scan(&n)
	if n != 0 {
		t.Errorf("%d accounts made without their audit row, want 0", n)
	}
}
