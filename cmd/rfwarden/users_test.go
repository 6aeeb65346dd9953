package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/dashboard"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// An operator on the central host recovers a forgotten admin password and
// manages accounts with `rfwarden users`; each change is audited.
func TestCmdUsers(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "rfw.db")
	db, err := store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// a dashboard running beside the console, its clock moved on below
	var later time.Duration
	users, err := dashboard.NewUsers(ctx, db.DB(), dashboard.UsersOptions{Now: func() time.Time { return time.Now().Add(later) }})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := users.EnsureAdmin(ctx); err != nil {
		t.Fatal(err)
	}
	if err := users.Create(ctx, "ops", "ops-password", dashboard.RoleOfficer); err != nil {
		t.Fatal(err)
	}
	session, err := users.Login(ctx, "127.0.0.1", "ops", "ops-password")
	if err != nil {
		t.Fatal(err)
	}

	cli := func(args ...string) (string, error) {
		var out, errs strings.Builder
		err := run(ctx, append([]string{"users", "--db", path}, args...), &out, &errs)
		return out.String() + errs.String(), err
	}
	out, err := cli("reset-password", "admin")
	m := regexp.MustCompile(`new password of admin: (\S+) `).FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("reset-password: %q, %v", out, err)
	}
	for _, step := range []struct {
		args []string
		want string // in the output, or in the error when wantErr
		err  bool
	}{
		{[]string{"disable", "admin"}, "last enabled admin", true},
		{[]string{"role", "admin", "viewer"}, "last enabled admin", true},
		{[]string{"disable", "nobody"}, "no such user", true},
		{[]string{"role", "ops", "root"}, `role "root"`, true},
		{[]string{"frobnicate"}, "usage", true},
		{[]string{"disable"}, "usage", true},
		{[]string{"role", "ops", "admin"}, "ops: officer -> admin", false},
		{[]string{"disable", "ops"}, "disabled ops", false},
		{[]string{"list"}, "admin  disabled 20", false},
		{[]string{"enable", "ops"}, "enabled ops", false},
	} {
		out, err := cli(step.args...)
		got := out
		if err != nil {
			got += err.Error()
		}
		if (err != nil) != step.err || !strings.Contains(got, step.want) {
			t.Errorf("users %v: %q, %v; want %q (error %v)", step.args, out, err, step.want, step.err)
		}
		if step.err && step.want == "usage" && !errors.Is(err, errUsage) {
			t.Errorf("users %v: %v, want a usage error", step.args, err)
		}
	}

	// a mistyped --db is refused, not created empty
	missing := filepath.Join(filepath.Dir(path), "rfw-typo.db")
	if err := run(ctx, []string{"users", "--db", missing, "list"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "database") {
		t.Errorf("users with a missing database: %v", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the missing database was created: %v", err)
	}
	if _, err := users.Login(ctx, "127.0.0.1", "admin", m[1]); err != nil {
		t.Errorf("log in with the printed password: %v", err)
	}
	later = 10 * time.Second // past the dashboard's recheck of its sessions' accounts
	if _, ok := users.Session(session.Token); ok {
		t.Error("ops' session stands after the console gave it another role and disabled it")
	}
	entries, err := db.AuditLog(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if strings.HasPrefix(e.User, "console") {
			seen[e.Action+" "+e.Object] = true
		}
	}
	for _, want := range []string{"user.password.reset user/admin", "user.role user/ops", "user.disable user/ops", "user.enable user/ops"} {
		if !seen[want] {
			t.Errorf("audit log lacks %q by the console: %v", want, seen)
		}
	}
}
