package main

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/dashboard"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestCmdUsersDelete: `rfwarden users delete NAME` deletes an account
// (docs/data-protection.md keeps accounts "until deleted", and only
// disable existed), ending its sessions on a dashboard beside it,
// audited by the console (user.delete) while the account's own audit
// rows stay; the last enabled admin and an unknown name are refused. An
// acknowledgement of the account's the dashboard holds for fusion
// (ack_held) stays as it was made, under its name, to be announced
// (docs/data-protection.md: an acknowledgement is an accountable act).
func TestCmdUsersDelete(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "rfw.db")
	db, err := store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var later time.Duration // a dashboard's clock, moved past its recheck of its sessions' accounts below
	users, err := dashboard.NewUsers(ctx, db.DB(), dashboard.UsersOptions{Now: func() time.Time { return time.Now().Add(later) }})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := users.EnsureAdmin(ctx, dashboard.AdminOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := users.Create(ctx, "ops", "ops-password", dashboard.RoleOfficer); err != nil {
		t.Fatal(err)
	}
	session, err := users.Login(ctx, "127.0.0.1", "ops", "ops-password")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Audit(ctx, store.AuditEntry{TimeNS: time.Now().UnixNano(), User: "ops", Action: "alert.ack", Object: "alert/a1"}); err != nil {
		t.Fatal(err)
	}
	ack := event.Ack{Schema: event.SchemaVersion, Site: "hmp-test", Alert: "a1", By: "ops", Note: "phone found in B2-14", AckNS: time.Now().UnixNano()}
	if ok, err := db.HoldAck(ctx, ack, 1000); err != nil || !ok {
		t.Fatalf("HoldAck = %v, %v", ok, err)
	}
	for _, step := range []struct {
		args []string
		want string // in the output, or in the error when err
		err  bool
	}{
		{[]string{"delete", "admin"}, "last enabled admin", true},
		{[]string{"delete", "nobody"}, "no such user", true},
		{[]string{"delete"}, "usage", true},
		{[]string{"delete", "ops", "now"}, "usage", true},
		{[]string{"delete", "ops"}, "deleted ops", false},
		{[]string{"delete", "ops"}, "no such user", true},
	} {
		var out, errs strings.Builder
		err := run(ctx, append([]string{"users", "--db", path}, step.args...), &out, &errs)
		got := out.String() + errs.String()
		if err != nil {
			got += err.Error()
		}
		if (err != nil) != step.err || !strings.Contains(got, step.want) {
			t.Errorf("users %v: %q, %v; want %q (error %v)", step.args, got, err, step.want, step.err)
		}
		if step.err && step.want == "usage" && !errors.Is(err, errUsage) {
			t.Errorf("users %v: %v, want a usage error", step.args, err)
		}
	}
	list, err := users.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(list, func(u dashboard.User) bool { return u.Name == "ops" }) || len(list) != 1 {
		t.Errorf("accounts after deleting ops: %+v; want admin alone", list)
	}
	later = 10 * time.Second
	if _, ok := users.Session(session.Token); ok {
		t.Error("ops' session stands on the dashboard after the console deleted the account")
	}
	rows, err := db.AuditLog(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var deleted, kept int
	for _, r := range rows {
		switch {
		case r.Action == "user.delete" && r.Object == "user/ops" && strings.HasPrefix(r.User, "console:"):
			deleted++
		case r.User == "ops":
			kept++
		}
	}
	if deleted != 1 || kept != 1 {
		t.Errorf("audit rows: %d user.delete of ops by the console (want 1), %d of ops' own (want 1, kept): %+v", deleted, kept, rows)
	}
	if held, err := db.HeldAcks(ctx, 0); err != nil || len(held) != 1 || held[0] != ack {
		t.Errorf("held acknowledgements after deleting ops: %+v, %v; want ops' as made, to be announced", held, err)
	}
}
