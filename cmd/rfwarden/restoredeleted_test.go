package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/rfwarden/rfwarden/dashboard"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestRestoreCarriesDeletions: an account deleted since the backup
// (rfwarden users delete, or the Users page) came back with a restore,
// enabled, with its old password. It is now listed (printed and in
// db.restore.accounts) and deleted again unless --keep-backup-accounts.
// An account the current database lacks with no user.delete row since
// the backup (a database started anew, whose dashboard made only its
// admin) is restored as the backup has it. A registry entry deleted since
// the backup (registry.delete) is deleted again, and said so.
func TestRestoreCarriesDeletions(t *testing.T) {
	tests := []struct {
		name     string
		keep     bool
		wantDave bool // dave, deleted since the backup, is an account after the restore
	}{
		{name: "carried forward", wantDave: false},
		{name: "--keep-backup-accounts", keep: true, wantDave: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			bak := filepath.Join(dir, "backups", "rfwarden-20261201T030000.000Z.db")
			if err := os.MkdirAll(filepath.Dir(bak), 0o700); err != nil {
				t.Fatal(err)
			}
			cur := filepath.Join(dir, "rfwarden.db")
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
			for name, role := range map[string]string{"dave": "officer", "erin": "analyst", "admin": "admin"} {
				if err := users.Create(ctx, name, name+"-password", role); err != nil {
					t.Fatal(err)
				}
			}
			db.Audit(ctx, store.AuditEntry{TimeNS: 1, User: "dave", Action: "alert.ack", Object: "alert/a"})
			reg, err := registry.Open(ctx, db.DB(), db, registry.Options{})
			if err != nil {
				t.Fatal(err)
			}
			radio := registry.Entry{Name: "radio of officer Dave", Kind: registry.KindStaffRadio,
				Signature: registry.Signature{FreqMinHz: 380e6, FreqMaxHz: 400e6}, ValidFrom: time.Now().Add(-48 * time.Hour), ValidUntil: time.Now().Add(-time.Hour)}
			var ids []int64
			for range 2 {
				e, err := reg.Add(ctx, radio, "admin")
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, e.ID)
			}
			db.Close()
			if _, err := snapshot(ctx, bak, cur); err != nil {
				t.Fatal(err)
			}
			db, users = open(cur)
			if err := users.Delete(ctx, "dave"); err != nil {
				t.Fatal(err)
			}
			db.Audit(ctx, store.AuditEntry{TimeNS: 2, User: "admin", Action: "user.delete", Object: "user/dave"})
			reg, err = registry.Open(ctx, db.DB(), db, registry.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := reg.Delete(ctx, ids[1], "admin"); err != nil {
				t.Fatal(err)
			}
			since, err := reg.Add(ctx, radio, "admin") // added and deleted since the backup
			if err != nil {
				t.Fatal(err)
			}
			if err := reg.Delete(ctx, since.ID, "admin"); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, since.ID)
			// erin is gone too, by hand: no user.delete row says so
			if _, err := db.DB().ExecContext(ctx, `DELETE FROM dashboard_users WHERE name = 'erin'`); err != nil {
				t.Fatal(err)
			}
			db.Close()

			args := []string{"restore", "--db", cur, "--site", restoreSite}
			if tc.keep {
				args = append(args, "--keep-backup-accounts")
			}
			var stdout, stderr strings.Builder
			if err := run(ctx, append(args, bak), &stdout, &stderr); err != nil {
				t.Fatalf("restore: %v\n%s%s", err, stdout.String(), stderr.String())
			}
			if out := stdout.String(); !strings.Contains(out, "dave: deleted since the backup") || strings.Contains(out, "erin") {
				t.Errorf("output should list dave as deleted since the backup, and not erin:\n%s", out)
			}
			got := readAccounts(t, cur)
			if _, ok := got["dave"]; ok != tc.wantDave {
				t.Errorf("dave is an account after the restore: %v, want %v", ok, tc.wantDave)
			}
			if _, ok := got["erin"]; !ok {
				t.Error("erin, missing from the current database with no user.delete row, was not restored")
			}
			db, err = store.OpenSQLite(cur)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			log, err := db.AuditLog(ctx, store.AuditFilter{Prefix: "db.restore.accounts"})
			if err != nil || len(log) != 1 || !strings.Contains(log[0].After, "dave: deleted since the backup") {
				t.Errorf("db.restore.accounts rows %+v, %v; want one listing dave", log, err)
			}
			// the registry entry deleted since stays deleted; the other is restored
			var left []int64
			rows, err := db.DB().QueryContext(ctx, `SELECT id FROM registry_entry ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id int64
				rows.Scan(&id)
				left = append(left, id)
			}
			rows.Close()
			if len(left) != 1 || left[0] != ids[0] {
				t.Errorf("registry entries after the restore %v, want %d alone (%d was deleted since the backup)", left, ids[0], ids[1])
			}
			// a new entry takes no ID the current registry used (the one
			// added and deleted since the backup)
			reg, err = registry.Open(ctx, db.DB(), db, registry.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if e, err := reg.Add(ctx, radio, "admin"); err != nil || e.ID <= ids[2] {
				t.Errorf("a new entry after the restore has ID %d (%v); want one after %d, the last the current registry used", e.ID, err, ids[2])
			}
			wantSaid := fmt.Sprintf("deleted again: %d", ids[1])
			if !strings.Contains(stdout.String(), wantSaid) {
				t.Errorf("output does not say %q:\n%s", wantSaid, stdout.String())
			}
			if log, err := db.AuditLog(ctx, store.AuditFilter{Prefix: "db.restore.registry"}); err != nil || len(log) != 1 || !strings.Contains(log[0].After, wantSaid) {
				t.Errorf("db.restore.registry rows %+v, %v; want one saying %q", log, err, wantSaid)
			}
			// the deleted entry's history in the restored log ends with its
			// deletion (the first row is in the gap), so a CSV exported
			// before the deletion does not bring it back
			if h, err := reg.History(ctx, ids[1]); err != nil || len(h) == 0 || h[0].Action != "registry.delete" {
				t.Errorf("history of the entry deleted again: %+v, %v; want a registry.delete first", h, err)
			}
		})
	}
}
