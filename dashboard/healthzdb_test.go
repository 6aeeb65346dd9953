package dashboard

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestHealthzDatabaseRefusesWrites: given the dashboard's SQLite database
// refusing writes while it still answers (a full disk, a read-only file:
// here query_only on its one connection), when a user logs in (the
// session's write) or an audit row is written, expect /healthz 503
// "degraded: database: ..." once every write has failed for
// store.WriteGrace, naming the setting and the cause, and ok again by
// itself at the next write that succeeds. It said ok while logins,
// acknowledgements and the audit log failed. The mechanism is fusion's
// (store.SQLite.WriteProblem; TestSQLiteWriteProblem).
func TestHealthzDatabaseRefusesWrites(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		write func(t *testing.T, e http.Handler, db *store.SQLite) // a write the database refuses now
	}{
		{name: "login", write: func(t *testing.T, e http.Handler, _ *store.SQLite) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodPost, "/api/v1/login", strings.NewReader(`{"user":"viewer","password":"viewer-password"}`))
			req.Header.Set("Content-Type", "application/json")
			e.ServeHTTP(rec, req)
			if rec.Code == http.StatusOK {
				t.Fatalf("login while the database refuses writes: %d %s, want an error", rec.Code, rec.Body)
			}
		}},
		{name: "audit", write: func(t *testing.T, _ http.Handler, db *store.SQLite) {
			if err := db.Audit(ctx, store.AuditEntry{User: "admin", Action: "test", Object: "x"}); err == nil {
				t.Fatal("audit while the database refuses writes: no error")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfw.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			db.DB().SetMaxOpenConns(1) // the pragma holds for every write
			users, err := NewUsers(ctx, db.DB(), UsersOptions{BcryptCost: bcrypt.MinCost, RecordWrite: db.RecordWrite})
			if err != nil {
				t.Fatal(err)
			}
			if err := users.Create(ctx, "viewer", "viewer-password", RoleViewer); err != nil {
				t.Fatal(err)
			}
			ev := newEnv(t)
			ev.deps.Users, ev.deps.Database, ev.deps.Now = users, db, nil
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			healthz := func() (int, string) {
				rec := httptest.NewRecorder()
				e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
				return rec.Code, rec.Body.String()
			}
			if code, body := healthz(); code != http.StatusOK {
				t.Fatalf("/healthz before: %d %q", code, body)
			}
			if _, err := db.DB().Exec(`PRAGMA query_only = 1`); err != nil {
				t.Fatal(err)
			}
			tt.write(t, e, db)
			code, body := healthz()
			for deadline := time.Now().Add(store.WriteGrace + 5*time.Second); code == http.StatusOK && time.Now().Before(deadline); code, body = healthz() {
				time.Sleep(50 * time.Millisecond)
			}
			const want = "degraded: database: RFW_DB (--db) refuses writes: read-only: the file, its folder or its file system cannot be written by the service's user (1 failed writes in "
			if code != http.StatusServiceUnavailable || !strings.HasPrefix(body, want) {
				t.Errorf("/healthz while every write fails: %d %q, want 503 beginning %q", code, body, want)
			}
			if _, err := db.DB().Exec(`PRAGMA query_only = 0`); err != nil {
				t.Fatal(err)
			}
			if err := db.Audit(ctx, store.AuditEntry{User: "admin", Action: "test", Object: "y"}); err != nil {
				t.Fatal(err)
			}
			if code, body := healthz(); code != http.StatusOK {
				t.Errorf("/healthz once a write succeeds: %d %q, want 200 ok", code, body)
			}
		})
	}
}
