package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/rfwarden/rfwarden/dashboard"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// accountRow is what a restore compares of an account.
type accountRow struct {
	hash, role string
	disabledNS int64
}

func readAccounts(t *testing.T, path string) map[string]accountRow {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name, hash, role, disabled_ns FROM dashboard_users`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]accountRow{}
	for rows.Next() {
		var n string
		var a accountRow
		if err := rows.Scan(&n, &a.hash, &a.role, &a.disabledNS); err != nil {
			t.Fatal(err)
		}
		out[n] = a
	}
	return out
}

// restoreAccountsSetup writes a backup with accounts alice (viewer), bob
// (officer), carol (analyst) and admin, an open session and 3 audit rows,
// and a current database made from it since which alice was disabled,
// bob's password reset, carol made a viewer and 2 more rows audited.
func restoreAccountsSetup(t *testing.T) (cur, bak string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	bak = filepath.Join(dir, "backups", "rfwarden-20261201T030000.000Z.db")
	os.MkdirAll(filepath.Dir(bak), 0o700)
	cur = filepath.Join(dir, "rfwarden.db")
	open := func(path string) (*store.SQLite, *dashboard.Users) {
		db, err := store.OpenSQLite(path)
		if err != nil {
			t.Fatal(err)
		}
		u, err := dashboard.NewUsers(ctx, db.DB(), dashboard.UsersOptions{BcryptCost: bcrypt.MinCost})
		if err != nil {
			t.Fatal(err)
		}
		return db, u
	}
	db, users := open(bak)
	for name, role := range map[string]string{"alice": "viewer", "bob": "officer", "carol": "analyst", "admin": "admin"} {
		if err := users.Create(ctx, name, name+"-password", role); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := users.Login(ctx, "127.0.0.1", "alice", "alice-password"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		db.Audit(ctx, store.AuditEntry{TimeNS: int64(i), User: "admin", Action: "alert.ack", Object: "alert/a"})
	}
	db.Close()
	if _, err := snapshot(ctx, bak, cur); err != nil {
		t.Fatal(err)
	}
	db, users = open(cur)
	defer db.Close()
	if err := users.SetDisabled(ctx, "alice", true); err != nil {
		t.Fatal(err)
	}
	if _, err := users.ResetPassword(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := users.SetRole(ctx, "carol", "viewer"); err != nil {
		t.Fatal(err)
	}
	db.Audit(ctx, store.AuditEntry{TimeNS: 4, User: "admin", Action: "user.disable", Object: "user/alice"})
	db.Audit(ctx, store.AuditEntry{TimeNS: 5, User: "admin", Action: "user.password.reset", Object: "user/bob"})
	return cur, bak
}

// TestRestoreCarriesRevocations: restoring an older backup rewound the
// audit log with no trace and re-enabled an account disabled since (and
// brought back a password reset since, a role taken away since, and the
// sessions open then). Now the restored database says so in a db.restore
// row (who, the backup, the current log's rows not in it), the accounts
// that were revoked since are listed (printed and audited) and carried
// forward unless --keep-backup-accounts, and the backup's sessions end.
func TestRestoreCarriesRevocations(t *testing.T) {
	t.Setenv("SUDO_USER", "dpo-alice")
	for _, tc := range []struct {
		name        string
		keep        bool
		wantCarried bool
	}{
		{"carried forward", false, true},
		{"--keep-backup-accounts", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			cur, bak := restoreAccountsSetup(t)
			before := readAccounts(t, cur)
			backup := readAccounts(t, bak)
			args := []string{"restore", "--db", cur, "--site", restoreSite}
			if tc.keep {
				args = append(args, "--keep-backup-accounts")
			}
			var stdout, stderr strings.Builder
			if err := run(ctx, append(args, bak), &stdout, &stderr); err != nil {
				t.Fatalf("restore: %v\n%s%s", err, stdout.String(), stderr.String())
			}
			out := stdout.String()
			for _, want := range []string{"alice: disabled", "bob: password changed", "carol: role viewer", "2 audit rows (ids 4..5)"} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			got := readAccounts(t, cur)
			want := backup
			if tc.wantCarried {
				want = before
			}
			for _, n := range []string{"alice", "bob", "carol", "admin"} {
				if (got[n].disabledNS != 0) != (want[n].disabledNS != 0) || got[n].hash != want[n].hash || got[n].role != want[n].role {
					t.Errorf("%s after the restore: disabled %v role %s, same hash as wanted %v; want disabled %v role %s",
						n, got[n].disabledNS != 0, got[n].role, got[n].hash == want[n].hash, want[n].disabledNS != 0, want[n].role)
				}
			}
			db, err := store.OpenSQLite(cur)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var sessions int
			db.DB().QueryRow(`SELECT COUNT(*) FROM dashboard_sessions`).Scan(&sessions)
			if sessions != 0 {
				t.Errorf("%d sessions of the backup left open, want 0", sessions)
			}
			log, err := db.AuditLog(ctx, store.AuditFilter{Prefix: "db.restore"})
			if err != nil || len(log) != 2 {
				t.Fatalf("restore audit rows: %+v, %v; want db.restore and db.restore.accounts", log, err)
			}
			restore, accounts := log[1], log[0]
			if restore.Action != "db.restore" || !strings.Contains(restore.User, "sudo by dpo-alice") ||
				!strings.Contains(restore.After, filepath.Base(bak)) || !strings.Contains(restore.After, "2026-12-01T03:00:00") ||
				!strings.Contains(restore.Before, "5 audit rows, last id 5") || !strings.Contains(restore.Before, "2 audit rows (ids 4..5) not in the backup") {
				t.Errorf("db.restore row: %+v", restore)
			}
			if restore.ID != 6 {
				t.Errorf("db.restore row id %d, want 6: ids 4..5 of the log before stay a visible gap", restore.ID)
			}
			verdict := "carried forward"
			if tc.keep {
				verdict = "kept as in the backup (--keep-backup-accounts)"
			}
			if accounts.Action != "db.restore.accounts" || !strings.Contains(accounts.After, "alice: disabled") || !strings.Contains(accounts.After, verdict) {
				t.Errorf("db.restore.accounts row: %+v, want alice listed, %s", accounts, verdict)
			}
			if left, _ := filepath.Glob(cur + ".restoring*"); len(left) != 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}

// dropAccountColumns makes the accounts table of the database at path as
// an older dashboard left it: without the columns cols.
func dropAccountColumns(t *testing.T, path string, cols ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range cols {
		if _, err := db.Exec(`ALTER TABLE dashboard_users DROP COLUMN ` + c); err != nil {
			t.Fatalf("drop %s: %v", c, err)
		}
	}
}

// TestRestoreOldSchemaBackup: a backup made before the accounts table had
// must_change and revoked_ns failed to restore when an account changed
// since ("no such column: must_change"), and one made before disabled_ns
// could not be restored at all, even with --keep-backup-accounts. The
// backup's copy is now brought up to the current columns first.
func TestRestoreOldSchemaBackup(t *testing.T) {
	for _, tc := range []struct {
		name string
		drop []string
	}{
		{"without must_change", []string{"must_change"}},
		{"without must_change and revoked_ns", []string{"must_change", "revoked_ns"}},
		{"without must_change, revoked_ns and disabled_ns", []string{"must_change", "revoked_ns", "disabled_ns"}},
	} {
		for _, keep := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s keep %v", tc.name, keep), func(t *testing.T) {
				ctx := context.Background()
				cur, bak := restoreAccountsSetup(t)
				dropAccountColumns(t, bak, tc.drop...)
				before := readAccounts(t, cur)
				args := []string{"restore", "--db", cur, "--site", restoreSite}
				if keep {
					args = append(args, "--keep-backup-accounts")
				}
				var stdout, stderr strings.Builder
				if err := run(ctx, append(args, bak), &stdout, &stderr); err != nil {
					t.Fatalf("restore: %v\n%s%s", err, stdout.String(), stderr.String())
				}
				if !strings.Contains(stdout.String(), "alice: disabled") {
					t.Errorf("output lacks alice: disabled:\n%s", stdout.String())
				}
				got := readAccounts(t, cur)
				if wantDisabled := !keep; (got["alice"].disabledNS != 0) != wantDisabled {
					t.Errorf("alice disabled %v after the restore, want %v", got["alice"].disabledNS != 0, wantDisabled)
				}
				if wantSame := !keep; (got["bob"].hash == before["bob"].hash) != wantSame {
					t.Errorf("bob has the current password %v after the restore, want %v", got["bob"].hash == before["bob"].hash, wantSame)
				}
				db, err := sql.Open("sqlite", "file:"+cur+"?mode=ro")
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				var n int
				if err := db.QueryRow(`SELECT COUNT(*) FROM pragma_table_info('dashboard_users') WHERE name IN ('disabled_ns', 'revoked_ns', 'must_change')`).Scan(&n); err != nil || n != 3 {
					t.Errorf("restored accounts table has %d of the 3 account columns (%v), want all", n, err)
				}
			})
		}
	}
}

// TestRestoreKeepsAnEnabledAdmin: the backup's admin was disabled (or
// made a viewer) since and admin2 made since; carrying the accounts
// forward left no enabled admin (admin2 is not in the backup), with no
// warning, and the dashboard's EnsureAdmin, which counts disabled admins,
// made none. Such a restore is refused now, naming the remedies, and the
// current database stays; either remedy restores.
func TestRestoreKeepsAnEnabledAdmin(t *testing.T) {
	for _, tc := range []struct {
		name      string
		given     func(ctx context.Context, u *dashboard.Users) error // on the current database, after the setup
		keep      bool
		wantErr   string // the remedy a refusal names, besides --keep-backup-accounts
		wantAdmin string // an enabled admin after a restore
	}{
		{name: "admin disabled since", given: func(ctx context.Context, u *dashboard.Users) error {
			return u.SetDisabled(ctx, "admin", true)
		}, wantErr: "enable admin"},
		{name: "admin made a viewer since", given: func(ctx context.Context, u *dashboard.Users) error {
			_, err := u.SetRole(ctx, "admin", "viewer")
			return err
		}, wantErr: "role admin admin"},
		{name: "admin disabled since, --keep-backup-accounts", given: func(ctx context.Context, u *dashboard.Users) error {
			return u.SetDisabled(ctx, "admin", true)
		}, keep: true, wantAdmin: "admin"},
		{name: "admin disabled since and enabled again", given: func(ctx context.Context, u *dashboard.Users) error {
			if err := u.SetDisabled(ctx, "admin", true); err != nil {
				return err
			}
			return u.SetDisabled(ctx, "admin", false)
		}, wantAdmin: "admin"},
		{name: "carol made an admin since, admin disabled", given: func(ctx context.Context, u *dashboard.Users) error {
			// carol is a viewer now (the setup): a role raised since is
			// not carried forward, so carol is the backup's analyst
			if _, err := u.SetRole(ctx, "carol", "admin"); err != nil {
				return err
			}
			return u.SetDisabled(ctx, "admin", true)
		}, wantErr: "enable admin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			cur, bak := restoreAccountsSetup(t)
			db, err := store.OpenSQLite(cur)
			if err != nil {
				t.Fatal(err)
			}
			users, err := dashboard.NewUsers(ctx, db.DB(), dashboard.UsersOptions{BcryptCost: bcrypt.MinCost})
			if err != nil {
				t.Fatal(err)
			}
			if err := users.Create(ctx, "admin2", "admin2-password", "admin"); err != nil {
				t.Fatal(err)
			}
			if err := tc.given(ctx, users); err != nil {
				t.Fatal(err)
			}
			db.Close()
			before := readAccounts(t, cur)
			args := []string{"restore", "--db", cur, "--site", restoreSite}
			if tc.keep {
				args = append(args, "--keep-backup-accounts")
			}
			var stdout, stderr strings.Builder
			err = run(ctx, append(args, bak), &stdout, &stderr)
			got := readAccounts(t, cur)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("restore succeeded, leaving accounts %+v; want it refused\n%s", got, stdout.String())
				}
				for _, want := range []string{"no enabled admin", "--keep-backup-accounts", "rfwarden users --db " + cur + " " + tc.wantErr} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q lacks %q", err, want)
					}
				}
				if _, ok := got["admin2"]; !ok || len(got) != len(before) {
					t.Errorf("the current database's accounts changed on a refused restore: %+v", got)
				}
				if kept := keptCopies(t, cur); len(kept) != 0 {
					t.Errorf("a refused restore kept copies %v", kept)
				}
				return
			}
			if err != nil {
				t.Fatalf("restore: %v\n%s%s", err, stdout.String(), stderr.String())
			}
			if a := got[tc.wantAdmin]; a.role != "admin" || a.disabledNS != 0 {
				t.Errorf("%s after the restore: role %s, disabled %v; want an enabled admin", tc.wantAdmin, a.role, a.disabledNS != 0)
			}
		})
	}
}

// TestRestoreWarnsNoAdmin: a backup that itself has no enabled admin is
// restored as it is (there is nothing to carry forward that would help),
// with a warning naming rfwarden users enable.
func TestRestoreWarnsNoAdmin(t *testing.T) {
	ctx := context.Background()
	cur, bak := restoreAccountsSetup(t)
	db, err := sql.Open("sqlite", "file:"+bak)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE dashboard_users SET disabled_ns = 1 WHERE name = 'admin'`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	var stdout, stderr strings.Builder
	if err := run(ctx, []string{"restore", "--db", cur, "--site", restoreSite, bak}, &stdout, &stderr); err != nil {
		t.Fatalf("restore: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	for _, want := range []string{"no enabled admin", "rfwarden users --db " + cur + " enable admin"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
}

// TestRestoreOldSchemaCurrent: a current database whose accounts table an
// older dashboard made (no disabled_ns, revoked_ns or must_change: the
// dashboard not started since the upgrade) is compared too, each missing
// column read as 0; it failed with "no such column: disabled_ns".
func TestRestoreOldSchemaCurrent(t *testing.T) {
	ctx := context.Background()
	cur, bak := restoreAccountsSetup(t)
	dropAccountColumns(t, cur, "must_change", "revoked_ns", "disabled_ns")
	var stdout, stderr strings.Builder
	if err := run(ctx, []string{"restore", "--db", cur, "--site", restoreSite, bak}, &stdout, &stderr); err != nil {
		t.Fatalf("restore: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	for _, want := range []string{"bob: password changed", "carol: role viewer"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	if got := readAccounts(t, cur); got["carol"].role != "viewer" {
		t.Errorf("carol after the restore: role %s, want viewer (carried forward)", got["carol"].role)
	}
}
