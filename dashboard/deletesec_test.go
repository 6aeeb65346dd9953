package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/store"
	"golang.org/x/crypto/bcrypt"
)

// TestDeleteAdminsEachOther: two admins deleting each other at the same
// time, each from its own dashboard on the same database, leave one
// enabled admin: one deletion is done, the other refused (ErrLastAdmin).
// The guard is in the DELETE statement itself (lastAdminGuard) and
// fusion's database takes each transaction's write lock at its start.
func TestDeleteAdminsEachOther(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rfw.db")
	var dash [2]*Users
	for i := range dash {
		db, err := store.OpenSQLite(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if dash[i], err = NewUsers(context.Background(), db.DB(), UsersOptions{BcryptCost: bcrypt.MinCost}); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	names := [2]string{"alice", "bob"}
	for _, n := range names {
		if err := dash[0].Create(ctx, n, n+"-password-long", RoleAdmin); err != nil {
			t.Fatal(err)
		}
	}
	for round := range 10 {
		var wg sync.WaitGroup
		var errs [2]error
		for i := range dash {
			wg.Go(func() { errs[i] = dash[i].Delete(ctx, names[1-i]) }) // each deletes the other
		}
		wg.Wait()
		done, refused := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				done++
			case errors.Is(err, ErrLastAdmin):
				refused++
			default:
				t.Fatalf("round %d: %v", round, err)
			}
		}
		users, err := dash[0].List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var admins []string
		for _, u := range users {
			if u.Role == RoleAdmin && u.DisabledNS == 0 {
				admins = append(admins, u.Name)
			}
		}
		if done != 1 || refused != 1 || len(admins) != 1 {
			t.Fatalf("round %d: %d deleted, %d refused (%v), enabled admins %v; want 1, 1 and one admin", round, done, refused, errs, admins)
		}
		gone := names[0]
		if admins[0] == gone {
			gone = names[1]
		}
		if err := dash[1].Create(ctx, gone, gone+"-password-long", RoleAdmin); err != nil { // back for the next round
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

// TestDeleteRoutesRefused: the two DELETE routes are guarded as the
// other state-changing routes: a session, its CSRF token in X-CSRF-Token
// (SameSite=Strict cookies alone are not relied on) and the admin role;
// a crafted path (an encoded slash, one's own name percent-encoded,
// unicode, an ID out of int64's range, negative or in hex) deletes
// nothing and is audited as nothing.
func TestDeleteRoutesRefused(t *testing.T) {
	tests := []struct {
		name     string
		as       string // "" for no session
		csrf     string // "ok" for the session's token, else the header sent
		path     string
		wantCode int
	}{
		{name: "user, no CSRF token", as: RoleAdmin, path: "/api/v1/users/officer", wantCode: 403},
		{name: "user, wrong CSRF token", as: RoleAdmin, csrf: "x", path: "/api/v1/users/officer", wantCode: 403},
		{name: "user, no session", csrf: "x", path: "/api/v1/users/officer", wantCode: 401},
		{name: "user, by a viewer", as: RoleViewer, csrf: "ok", path: "/api/v1/users/officer", wantCode: 403},
		{name: "user, by an officer", as: RoleOfficer, csrf: "ok", path: "/api/v1/users/viewer", wantCode: 403},
		{name: "user, by an analyst", as: RoleAnalyst, csrf: "ok", path: "/api/v1/users/officer", wantCode: 403},
		{name: "user, encoded slash", as: RoleAdmin, csrf: "ok", path: "/api/v1/users/officer%2Fx", wantCode: 400},
		{name: "user, slash", as: RoleAdmin, csrf: "ok", path: "/api/v1/users/officer/x", wantCode: 404},
		{name: "user, own name encoded", as: RoleAdmin, csrf: "ok", path: "/api/v1/users/%61dmin", wantCode: 400},
		{name: "user, unicode", as: RoleAdmin, csrf: "ok", path: "/api/v1/users/%C3%A4dmin", wantCode: 400},
		{name: "registry, no CSRF token", as: RoleAdmin, path: "/api/v1/registry/ID", wantCode: 403},
		{name: "registry, by an analyst", as: RoleAnalyst, csrf: "ok", path: "/api/v1/registry/ID", wantCode: 403},
		{name: "registry, by an officer", as: RoleOfficer, csrf: "ok", path: "/api/v1/registry/ID", wantCode: 403},
		{name: "registry, huge ID", as: RoleAdmin, csrf: "ok", path: "/api/v1/registry/99999999999999999999", wantCode: 400},
		{name: "registry, negative ID", as: RoleAdmin, csrf: "ok", path: "/api/v1/registry/-1", wantCode: 400},
		{name: "registry, hex ID", as: RoleAdmin, csrf: "ok", path: "/api/v1/registry/0x1", wantCode: 400},
		{name: "registry, encoded slash", as: RoleAdmin, csrf: "ok", path: "/api/v1/registry/ID%2F2", wantCode: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t)
			ctx := context.Background()
			ent, err := ev.reg.Add(ctx, registry.Entry{Name: "radio of officer Smith", Kind: registry.KindStaffRadio,
				Signature: registry.Signature{Class: event.ClassLTE, FreqMinHz: 1.71e9, FreqMaxHz: 1.785e9},
				ValidFrom: testNow.Add(-2 * time.Hour), ValidUntil: testNow.Add(-time.Hour)}, "admin") // expired: deletable
			if err != nil {
				t.Fatal(err)
			}
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			path := strings.Replace(tc.path, "ID", strconv.FormatInt(ent.ID, 10), 1)
			req := httptest.NewRequest(http.MethodDelete, path, nil)
			if tc.as != "" {
				c := login(t, e, tc.as, tc.as+"-password")
				req.AddCookie(c.cookie)
				if tc.csrf == "ok" {
					req.Header.Set(CSRFHeader, c.csrf)
				}
			}
			if tc.csrf != "" && tc.csrf != "ok" {
				req.Header.Set(CSRFHeader, tc.csrf)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != tc.wantCode {
				t.Errorf("DELETE %s as %q = %d %s; want %d", path, tc.as, rec.Code, rec.Body, tc.wantCode)
			}
			users, err := ev.deps.Users.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(users) != 4 {
				t.Errorf("accounts after a refused DELETE: %+v", users)
			}
			if _, err := ev.reg.Get(ctx, ent.ID); err != nil {
				t.Errorf("registry entry after a refused DELETE: %v", err)
			}
			for _, prefix := range []string{"user.delete", "registry.delete"} {
				if rows, _ := ev.audit.AuditLog(ctx, store.AuditFilter{Prefix: prefix}); len(rows) != 0 {
					t.Errorf("refused, yet audited: %+v", rows)
				}
			}
		})
	}
}

// TestDeleteAccountAuditedInItsTransaction: with the audit log in the
// accounts' database (fusion's, as rfwarden dashboard and rfwarden users
// run: UsersOptions.AuditTx), an account is deleted with its user.delete
// row or not at all. The row was written after the deletion: an audit
// that failed left it unaudited, and `rfwarden restore`, which deletes
// again the accounts a user.delete row says were deleted since the
// backup, brought it back with its old password.
func TestDeleteAccountAuditedInItsTransaction(t *testing.T) {
	for _, failAudit := range []bool{false, true} {
		t.Run(fmt.Sprintf("audit fails %v", failAudit), func(t *testing.T) {
			ctx := context.Background()
			db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfw.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			users, err := NewUsers(ctx, db.DB(), UsersOptions{BcryptCost: bcrypt.MinCost, Now: func() time.Time { return testNow }, AuditTx: store.AuditInTx})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range []string{RoleOfficer, RoleAdmin} {
				if err := users.Create(ctx, r, r+"-password", r); err != nil {
					t.Fatal(err)
				}
			}
			if failAudit {
				if _, err := db.DB().ExecContext(ctx, `CREATE TRIGGER no_delete_row BEFORE INSERT ON audit WHEN NEW.action = 'user.delete' BEGIN SELECT RAISE(ABORT, 'audit refused'); END`); err != nil {
					t.Fatal(err)
				}
			}
			ev := newEnv(t)
			ev.deps.Users, ev.deps.Auditor = users, db
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			admin := login(t, e, RoleAdmin, "admin-password")
			rec := do(e, "DELETE", "/api/v1/users/officer", "", "", &admin, true)
			list, err := users.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := db.AuditLog(ctx, store.AuditFilter{Prefix: "user.delete"})
			if err != nil {
				t.Fatal(err)
			}
			deleted := len(list) == 1
			switch {
			case failAudit && (rec.Code != 503 || deleted || !strings.Contains(rec.Body.String(), "user.delete user/officer")):
				t.Errorf("audit refused: DELETE = %d %s, accounts %+v; want 503 naming user.delete user/officer and the account kept", rec.Code, rec.Body, list)
			case !failAudit && (rec.Code != 200 || !deleted || len(rows) != 1 || rows[0].User != RoleAdmin || rows[0].Addr != "192.0.2.1" || strings.Contains(rec.Body.String(), "warning")):
				t.Errorf("DELETE = %d %s, accounts %+v, user.delete rows %+v; want 200, officer gone, one row by admin from 192.0.2.1", rec.Code, rec.Body, list, rows)
			}
			if deleted != (len(rows) == 1) {
				t.Errorf("deleted %v with %d user.delete rows", deleted, len(rows))
			}
		})
	}
}
