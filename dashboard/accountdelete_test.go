package dashboard

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestDeleteAccount: the inventory keeps users "accounts until deleted",
// but an account could only be disabled: a departed officer's name, role
// and password hash stayed in dashboard_users for ever. An admin deletes
// another account (DELETE /users/NAME), disabled or not: it is no longer
// listed, its open sessions end, it cannot log in, and the deletion is
// audited (user.delete) while the account's own audit rows stay. An
// admin's own account, an unknown name and a non-admin are refused.
func TestDeleteAccount(t *testing.T) {
	tests := []struct {
		name     string
		as       string
		disable  bool // disabled by the admin first
		target   string
		wantCode int
		wantBody string
	}{
		{name: "a disabled account", as: RoleAdmin, disable: true, target: RoleOfficer, wantCode: 200, wantBody: `"deleted":true`},
		{name: "an account logged in", as: RoleAdmin, target: RoleOfficer, wantCode: 200, wantBody: `"deleted":true`},
		{name: "another admin", as: RoleAdmin, target: "admin2", wantCode: 200, wantBody: `"deleted":true`},
		{name: "one's own", as: RoleAdmin, target: RoleAdmin, wantCode: 409, wantBody: "your own account"},
		{name: "no such account", as: RoleAdmin, target: "nobody", wantCode: 404, wantBody: "no such user"},
		{name: "a bad name", as: RoleAdmin, target: "a%20b", wantCode: 400},
		{name: "by an analyst", as: RoleAnalyst, target: RoleOfficer, wantCode: 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t)
			ctx := context.Background()
			if err := ev.deps.Users.Create(ctx, "admin2", "admin2-password", RoleAdmin); err != nil {
				t.Fatal(err)
			}
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			admin := login(t, e, RoleAdmin, "admin-password")
			var victim creds
			if tc.target == RoleOfficer || tc.target == "admin2" {
				victim = login(t, e, tc.target, tc.target+"-password") // an audited login: a row that names the account
			}
			if tc.disable {
				if rec := do(e, "POST", "/api/v1/users/"+tc.target+"/disable", "", "", &admin, true); rec.Code != 200 {
					t.Fatalf("disable = %d %s", rec.Code, rec.Body)
				}
			}
			named, _ := ev.audit.AuditLog(ctx, store.AuditFilter{User: tc.target})
			c := login(t, e, tc.as, tc.as+"-password")
			rec := do(e, "DELETE", "/api/v1/users/"+tc.target, "", "", &c, true)
			if rec.Code != tc.wantCode || !strings.Contains(rec.Body.String(), tc.wantBody) {
				t.Fatalf("DELETE /users/%s as %s = %d %s; want %d with %q", tc.target, tc.as, rec.Code, rec.Body, tc.wantCode, tc.wantBody)
			}
			users, err := ev.deps.Users.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			listed := map[string]bool{}
			for _, u := range users {
				listed[u.Name] = true
			}
			deleted, _ := ev.audit.AuditLog(ctx, store.AuditFilter{Prefix: "user.delete"})
			if tc.wantCode != 200 {
				if len(deleted) != 0 {
					t.Errorf("refused, yet audited: %+v", deleted)
				}
				if len(listed) != 5 {
					t.Errorf("refused, yet the accounts are %v", listed)
				}
				return
			}
			if listed[tc.target] || len(listed) != 4 {
				t.Errorf("accounts after deleting %s: %v", tc.target, listed)
			}
			if code := do(e, "GET", "/api/v1/me", "", "", &victim, false).Code; code != 401 {
				t.Errorf("the deleted account's session: GET /me = %d, want 401", code)
			}
			if _, err := ev.deps.Users.Login(ctx, "192.0.2.9", tc.target, tc.target+"-password"); !errors.Is(err, ErrBadCredentials) {
				t.Errorf("the deleted account logs in: %v, want ErrBadCredentials", err)
			}
			if len(deleted) != 1 || deleted[0].User != RoleAdmin || deleted[0].Object != "user/"+tc.target {
				t.Errorf("user.delete rows %+v; want one by admin on user/%s", deleted, tc.target)
			}
			if kept, _ := ev.audit.AuditLog(ctx, store.AuditFilter{User: tc.target}); len(named) == 0 || len(kept) != len(named) {
				t.Errorf("the account's audit rows: %d before its deletion, %d after; want them kept", len(named), len(kept))
			}
		})
	}
}

// TestDeleteLastAdmin: the last enabled admin cannot be deleted (as it
// cannot be disabled or demoted): through the API an admin cannot delete
// itself, but `rfwarden users delete` calls Users.Delete directly.
func TestDeleteLastAdmin(t *testing.T) {
	ev := newEnv(t)
	u, ctx := ev.deps.Users, context.Background()
	if err := u.Delete(ctx, RoleAdmin); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("delete the only admin: %v, want ErrLastAdmin", err)
	}
	if err := u.Create(ctx, "admin2", "admin2-password", RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if err := u.SetDisabled(ctx, "admin2", true); err != nil {
		t.Fatal(err)
	}
	if err := u.Delete(ctx, RoleAdmin); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("delete the last enabled admin: %v, want ErrLastAdmin", err)
	}
	if err := u.Delete(ctx, "admin2"); err != nil {
		t.Errorf("delete a disabled admin beside an enabled one: %v", err)
	}
	if err := u.Delete(ctx, "nobody"); !errors.Is(err, ErrNoUser) {
		t.Errorf("delete an unknown account: %v, want ErrNoUser", err)
	}
}
