package dashboard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"
)

// authEnv is a dashboard whose Users has the options opt (bcrypt at
// MinCost, the test clock unless opt.Now is set) and the accounts viewer,
// officer, analyst and admin (password "<name>-password"), auditing to
// an Auditor that refuses a write whose context has ended, as SQLite
// does, with its own metrics registry.
func authEnv(t *testing.T, opt UsersOptions) (*env, *ctxAudit, *Users, *prometheus.Registry, *echo.Echo) {
	t.Helper()
	opt.BcryptCost = bcrypt.MinCost
	if opt.Now == nil {
		opt.Now = func() time.Time { return testNow }
	}
	u, err := NewUsers(context.Background(), memDB(t), opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{RoleViewer, RoleOfficer, RoleAnalyst, RoleAdmin} {
		if err := u.Create(context.Background(), r, r+"-password", r); err != nil {
			t.Fatal(err)
		}
	}
	ev := newEnv(t)
	audit := &ctxAudit{}
	ev.deps.Users, ev.deps.Auditor = u, audit
	reg := prometheus.NewRegistry()
	ev.deps.Metrics = reg
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	return ev, audit, u, reg, e
}

// leavingRequest is a request to e whose client hangs up (its context
// ends) as soon as the password check begins (Users.checking), as a
// client that half-closes its socket while bcrypt runs.
func leavingRequest(e *echo.Echo, u *Users, method, path, body string, c *creds) *httptest.ResponseRecorder {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	u.checking = cancel
	defer func() { u.checking = nil }()
	req := httptest.NewRequest(method, path, strings.NewReader(body)).WithContext(ctx)
	req.Header.Set("Content-Type", "application/json")
	if c != nil {
		req.AddCookie(c.cookie)
		req.Header.Set(CSRFHeader, c.csrf)
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

// TestLoginAuditedAfterClientLeft: a login or password change whose
// client hangs up while its password is checked is answered and audited
// as any other. The audit row was written with the request's context, so
// a failed login of a client that half-closed its socket was not audited
// ("context canceled"), though the limiter counted it; a right password
// got a 500, its session insert cancelled, with no login row, after its
// user's failures had been forgiven.
func TestLoginAuditedAfterClientLeft(t *testing.T) {
	for _, tc := range []struct {
		name, path, body string
		asViewer         bool // with a session of viewer
		code             int
		action, object   string
	}{
		{"wrong password", "/api/v1/login", `{"user":"viewer","password":"wrong-password"}`, false, 401, "login.failed", "user/viewer"},
		{"unknown user", "/api/v1/login", `{"user":"nobody","password":"wrong-password"}`, false, 401, "login.failed", "user/nobody"},
		{"disabled account", "/api/v1/login", `{"user":"officer","password":"officer-password"}`, false, 401, "login.disabled", "user/officer"},
		{"right password", "/api/v1/login", `{"user":"viewer","password":"viewer-password"}`, false, 200, "login", "user/viewer"},
		{"wrong current password", "/api/v1/me/password", `{"current":"wrong-password","new":"a-new-long-password"}`, true, 403, "user.password.failed", "user/viewer"},
		{"password changed", "/api/v1/me/password", `{"current":"viewer-password","new":"a-new-long-password"}`, true, 200, "user.password.change", "user/viewer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, audit, u, _, e := authEnv(t, UsersOptions{})
			if err := u.SetDisabled(context.Background(), "officer", true); err != nil {
				t.Fatal(err)
			}
			var c *creds
			if tc.asViewer {
				v := login(t, e, RoleViewer, "viewer-password")
				c = &v
			}
			rec := leavingRequest(e, u, http.MethodPost, tc.path, tc.body, c)
			if rec.Code != tc.code {
				t.Errorf("client gone during the password check: %d %s, want %d", rec.Code, rec.Body, tc.code)
			}
			if !audit.has(tc.action, tc.object) {
				t.Errorf("audit log lacks %s %s: %+v", tc.action, tc.object, audit.entries)
			}
			switch tc.action {
			case "login":
				var token string
				for _, ck := range rec.Result().Cookies() {
					if ck.Name == SessionCookie {
						token = ck.Value
					}
				}
				u.mu.Lock()
				delete(u.sessions, token) // read it from the table
				u.mu.Unlock()
				if _, ok := u.Session(token); token == "" || !ok {
					t.Errorf("the session of the login is not stored (cookie %q)", token)
				}
			case "user.password.change":
				if _, err := u.Login(context.Background(), "192.0.2.7", "viewer", "a-new-long-password"); err != nil {
					t.Errorf("the new password: %v", err)
				}
			}
		})
	}
}

// TestLoginClientGoneBeforeCheck: a login whose client left before its
// password was checked is no success: no session, and its address's
// failures of that user are not forgiven.
func TestLoginClientGoneBeforeCheck(t *testing.T) {
	_, _, u, _, _ := authEnv(t, UsersOptions{})
	bg := context.Background()
	for range 3 {
		if _, err := u.Login(bg, "192.0.2.1", "viewer", "wrong-password"); !errors.Is(err, ErrBadCredentials) {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(bg)
	cancel()
	if _, err := u.Login(ctx, "192.0.2.1", "viewer", "viewer-password"); err == nil {
		t.Error("a login whose client left before the check succeeded")
	}
	var n int
	if err := u.db.QueryRow(`SELECT COUNT(*) FROM dashboard_sessions`).Scan(&n); err != nil || n != 0 {
		t.Errorf("sessions stored: %d, %v; want none", n, err)
	}
	u.mu.Lock()
	fails := len(u.fails["192.0.2.1|viewer"])
	u.mu.Unlock()
	if fails != 3 {
		t.Errorf("failures of viewer from the address after a login whose client left: %d, want the 3 before", fails)
	}
}

// TestPasswordChangeRefusalsAudited: a password change refused by the
// login limiter (429, 503) is audited and counted as a refused login is;
// it was neither.
func TestPasswordChangeRefusalsAudited(t *testing.T) {
	t.Run("limited", func(t *testing.T) {
		_, audit, _, reg, e := authEnv(t, UsersOptions{})
		c := login(t, e, RoleViewer, "viewer-password")
		var codes []int
		for range 6 {
			codes = append(codes, do(e, "POST", "/api/v1/me/password", `{"current":"guess-guess-guess","new":"a-new-long-password"}`, "application/json", &c, true).Code)
		}
		if codes[4] != 403 || codes[5] != 429 {
			t.Fatalf("6 wrong current passwords: %v, want the sixth 429", codes)
		}
		if !audit.has("user.password.limited", "user/viewer") {
			t.Errorf("audit log lacks user.password.limited: %+v", audit.entries)
		}
		if got := metricValue(t, reg, "rfwarden_dashboard_login_refused_total", "reason", "limited"); got != 1 {
			t.Errorf("rfwarden_dashboard_login_refused_total{reason=limited} = %v, want 1", got)
		}
	})
	t.Run("busy", func(t *testing.T) {
		_, audit, u, reg, e := authEnv(t, UsersOptions{MaxChecks: 1, CheckWait: time.Millisecond})
		c := login(t, e, RoleViewer, "viewer-password")
		entered, release := make(chan struct{}), make(chan struct{})
		u.checking = func() { entered <- struct{}{}; <-release }
		done := make(chan struct{})
		go func() {
			defer close(done)
			u.Login(context.Background(), "192.0.2.9", "admin", "admin-password")
		}()
		<-entered // the only check slot is taken
		rec := do(e, "POST", "/api/v1/me/password", `{"current":"viewer-password","new":"a-new-long-password"}`, "application/json", &c, true)
		close(release)
		<-done
		u.checking = nil
		if rec.Code != 503 {
			t.Fatalf("password change with no check slot free: %d %s, want 503", rec.Code, rec.Body)
		}
		if !audit.has("user.password.busy", "user/viewer") {
			t.Errorf("audit log lacks user.password.busy: %+v", audit.entries)
		}
		if got := metricValue(t, reg, "rfwarden_dashboard_login_refused_total", "reason", "busy"); got != 1 {
			t.Errorf("rfwarden_dashboard_login_refused_total{reason=busy} = %v, want 1", got)
		}
	})
}

// TestAuditRecordsAddress: the audit rows of logins (right, wrong,
// refused) and password changes say which address the request came
// from; the address went to the limiter only.
func TestAuditRecordsAddress(t *testing.T) {
	_, audit, _, _, e := authEnv(t, UsersOptions{})
	const js = "application/json"
	c := login(t, e, RoleViewer, "viewer-password")
	do(e, "POST", "/api/v1/me/password", `{"current":"wrong-password","new":"a-new-long-password"}`, js, &c, true)
	do(e, "POST", "/api/v1/me/password", `{"current":"viewer-password","new":"a-new-long-password"}`, js, &c, true)
	for range 6 {
		do(e, "POST", "/api/v1/login", `{"user":"officer","password":"wrong-password"}`, js, nil, false)
	}
	want := []string{"login", "user.password.failed", "user.password.change", "login.failed", "login.limited"}
	seen := map[string]bool{}
	for _, a := range audit.entries {
		seen[a.Action] = true
		if a.Addr != "192.0.2.1" { // httptest's client address
			t.Errorf("audit row %s %s: address %q, want 192.0.2.1", a.Action, a.Object, a.Addr)
		}
	}
	for _, a := range want {
		if !seen[a] {
			t.Errorf("audit log lacks %s", a)
		}
	}
}

// TestSessionsPruned: sessions past their expiry leave memory when their
// rows leave the table (at a login), and a user has at most
// MaxSessionsPerUser at once, a login past it ending the oldest. Sessions
// never used again stayed in memory until a restart (10,000 logins of one
// viewer kept 3 MB).
func TestSessionsPruned(t *testing.T) {
	var now atomic.Int64
	now.Store(testNow.UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	_, _, u, _, _ := authEnv(t, UsersOptions{Now: clock, SessionTTL: time.Hour})
	ctx := context.Background()
	rows := func(user string) int {
		var n int
		if err := u.db.QueryRow(`SELECT COUNT(*) FROM dashboard_sessions WHERE user = ?`, user).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	inMemory := func() int {
		u.mu.Lock()
		defer u.mu.Unlock()
		return len(u.sessions)
	}

	for range 5 {
		if _, err := u.Login(ctx, "192.0.2.1", "viewer", "viewer-password"); err != nil {
			t.Fatal(err)
		}
	}
	now.Add(int64(2 * time.Hour))
	if _, err := u.Login(ctx, "192.0.2.1", "officer", "officer-password"); err != nil {
		t.Fatal(err)
	}
	if n, r := inMemory(), rows("viewer"); n != 1 || r != 0 {
		t.Errorf("after 5 sessions expired and a login: %d sessions in memory, %d rows of viewer; want 1, 0", n, r)
	}

	var tokens []string
	for range MaxSessionsPerUser + 5 {
		now.Add(int64(time.Second))
		s, err := u.Login(ctx, "192.0.2.1", "viewer", "viewer-password")
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, s.Token)
	}
	if r := rows("viewer"); r != MaxSessionsPerUser {
		t.Errorf("%d logins of viewer: %d sessions stored, want %d", len(tokens), r, MaxSessionsPerUser)
	}
	if n := inMemory(); n > MaxSessionsPerUser+1 {
		t.Errorf("%d sessions in memory, want at most %d of viewer and officer's", n, MaxSessionsPerUser+1)
	}
	for i, tok := range tokens {
		_, ok := u.Session(tok)
		if want := i >= 5; ok != want {
			t.Errorf("session %d of %d: live %v, want %v (the oldest end past %d)", i+1, len(tokens), ok, want, MaxSessionsPerUser)
		}
	}
	var idx int
	if err := u.db.QueryRow(`SELECT COUNT(*) FROM pragma_index_list('dashboard_sessions') AS l
		JOIN pragma_index_info(l.name) AS i WHERE i.name = 'expires_ns'`).Scan(&idx); err != nil || idx != 1 {
		t.Errorf("index on dashboard_sessions(expires_ns): %d, %v; want one", idx, err)
	}
}

// TestUserNamesUniqueIgnoringCase: a name differing from an account's only
// by case is refused (409 naming the account): "Alice" beside "alice"
// could not be told apart in the audit log. A database that already holds
// such a pair still opens, with a warning.
func TestUserNamesUniqueIgnoringCase(t *testing.T) {
	_, _, u, _, e := authEnv(t, UsersOptions{})
	admin := login(t, e, RoleAdmin, "admin-password")
	rec := do(e, "POST", "/api/v1/users", `{"name":"Viewer","password":"some-long-password","role":"viewer"}`, "application/json", &admin, true)
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), `\"viewer\"`) {
		t.Errorf("create Viewer beside viewer: %d %s, want 409 naming viewer", rec.Code, rec.Body)
	}
	if err := u.Create(context.Background(), "ADMIN", "some-long-password", RoleAdmin); !errors.Is(err, ErrUserExists) {
		t.Errorf("create ADMIN beside admin: %v, want ErrUserExists", err)
	}
	if err := u.Create(context.Background(), "viewer2", "some-long-password", RoleViewer); err != nil {
		t.Errorf("create viewer2: %v", err)
	}

	// a database written before, with a pair
	db := memDB(t)
	h, _ := bcrypt.GenerateFromPassword([]byte("bob-password"), bcrypt.MinCost)
	if _, err := db.Exec(`CREATE TABLE dashboard_users (name TEXT PRIMARY KEY, hash TEXT NOT NULL, role TEXT NOT NULL, created_ns INTEGER NOT NULL);
INSERT INTO dashboard_users VALUES ('bob', ?, 'viewer', 1), ('Bob', ?, 'viewer', 2)`, string(h), string(h)); err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	again, err := NewUsers(context.Background(), db, UsersOptions{BcryptCost: bcrypt.MinCost, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if err != nil {
		t.Fatalf("open a database holding bob and Bob: %v", err)
	}
	if out := logged.String(); !strings.Contains(out, "level=WARN") || !strings.Contains(out, "Bob") {
		t.Errorf("no warning about bob and Bob: %q", out)
	}
	for _, n := range []string{"bob", "Bob"} {
		if _, err := again.Login(context.Background(), "192.0.2.1", n, "bob-password"); err != nil {
			t.Errorf("%s logs in: %v", n, err)
		}
	}
	if err := again.Create(context.Background(), "BOB", "some-long-password", RoleViewer); !errors.Is(err, ErrUserExists) {
		t.Errorf("create BOB beside bob and Bob: %v, want ErrUserExists", err)
	}
}

// TestLoginLimitIPv6Per64: an IPv6 client's failures are counted for its
// /64 (a host usually has all of it, so a limit per address was none);
// IPv4 clients are counted per address.
func TestLoginLimitIPv6Per64(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		addr  func(i int) string // of failure i
		other string             // another client, not limited
		same  string             // in the same count, limited
		user  string             // "": a new name each time (per address limit)
		limit int
	}{
		{"ipv6 per address", func(i int) string { return fmt.Sprintf("2001:db8:1:2::%x", i+1) }, "2001:db8:1:3::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", "", 20},
		{"ipv6 per address and user", func(i int) string { return fmt.Sprintf("2001:db8:1:2:%x::1", i+1) }, "2001:db8:1:3::1", "2001:db8:1:2::99", "viewer", 5},
		{"ipv4 mapped", func(i int) string { return "::ffff:192.0.2.1" }, "192.0.2.2", "192.0.2.1", "viewer", 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, u, _, _ := authEnv(t, UsersOptions{})
			name := func(i int) string {
				if tc.user != "" {
					return tc.user
				}
				return fmt.Sprint("nobody-", i)
			}
			for i := range tc.limit {
				if _, err := u.Login(ctx, tc.addr(i), name(i), "wrong-password"); !errors.Is(err, ErrBadCredentials) {
					t.Fatalf("failure %d from %s: %v", i+1, tc.addr(i), err)
				}
			}
			if _, err := u.Login(ctx, tc.same, name(tc.limit), "wrong-password"); !errors.Is(err, ErrRateLimited) {
				t.Errorf("after %d failures, from %s: %v, want ErrRateLimited", tc.limit, tc.same, err)
			}
			if _, err := u.Login(ctx, tc.other, name(tc.limit), "wrong-password"); !errors.Is(err, ErrBadCredentials) {
				t.Errorf("after %d failures, from %s: %v, want ErrBadCredentials (not limited)", tc.limit, tc.other, err)
			}
		})
	}
	// IPv4 addresses side by side are counted apart
	_, _, u, _, _ := authEnv(t, UsersOptions{})
	for i := range 25 {
		if _, err := u.Login(ctx, fmt.Sprintf("192.0.2.%d", i+1), fmt.Sprint("nobody-", i), "wrong-password"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("failure %d, from its own IPv4 address: %v", i+1, err)
		}
	}
}
