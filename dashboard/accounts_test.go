package dashboard

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
	"golang.org/x/crypto/bcrypt"
)

// An account an admin disables, demotes or gives a new password loses its
// open sessions at once, and the change is in the audit log.
func TestAccountChangesEndSessions(t *testing.T) {
	ev := newEnv(t)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	const js = "application/json"
	admin := login(t, e, RoleAdmin, "admin-password")
	me := func(c creds) int { return do(e, "GET", "/api/v1/me", "", "", &c, false).Code }
	loginCode := func(user, pass string) (int, string) {
		rec := do(e, "POST", "/api/v1/login", `{"user":"`+user+`","password":"`+pass+`"}`, js, nil, false)
		return rec.Code, rec.Body.String()
	}

	t.Run("disable", func(t *testing.T) {
		viewer := login(t, e, RoleViewer, "viewer-password")
		if rec := do(e, "POST", "/api/v1/users/viewer/disable", "", "", &admin, true); rec.Code != 200 {
			t.Fatalf("disable: %d %s", rec.Code, rec.Body)
		}
		if code := me(viewer); code != 401 {
			t.Errorf("disabled account's session: got %d, want 401", code)
		}
		// as a wrong password, right password or not (TestDisabledLoginLooksLikeBadPassword)
		if code, body := loginCode("viewer", "viewer-password"); code != 401 || strings.Contains(body, "disabled") {
			t.Errorf("disabled account logs in: %d %s, want 401 as a wrong password", code, body)
		}
		var users []User
		json.Unmarshal(do(e, "GET", "/api/v1/users", "", "", &admin, false).Body.Bytes(), &users)
		for _, u := range users {
			if u.Name == "viewer" && (u.DisabledNS == 0 || u.Sessions != 0) {
				t.Errorf("listed %+v, want disabled with no sessions", u)
			}
		}
		if rec := do(e, "POST", "/api/v1/users/viewer/enable", "", "", &admin, true); rec.Code != 200 {
			t.Fatalf("enable: %d %s", rec.Code, rec.Body)
		}
		if code, body := loginCode("viewer", "viewer-password"); code != 200 {
			t.Errorf("enabled account logs in: %d %s", code, body)
		}
		for _, a := range []string{"user.disable", "user.enable", "login.disabled"} {
			if !ev.audit.has(a, "user/viewer") {
				t.Errorf("audit log lacks %s user/viewer", a)
			}
		}
	})

	t.Run("role", func(t *testing.T) {
		officer := login(t, e, RoleOfficer, "officer-password")
		if rec := do(e, "PUT", "/api/v1/users/officer/role", `{"role":"viewer"}`, js, &admin, true); rec.Code != 200 {
			t.Fatalf("set role: %d %s", rec.Code, rec.Body)
		}
		if code := me(officer); code != 401 {
			t.Errorf("session with the old role: got %d, want 401", code)
		}
		again := login(t, e, "officer", "officer-password")
		if rec := do(e, "POST", "/api/v1/alerts/al1/ack", `{"note":"x"}`, js, &again, true); rec.Code != 403 {
			t.Errorf("demoted officer acknowledges: got %d, want 403", rec.Code)
		}
		if !ev.audit.has("user.role", "user/officer") {
			t.Error("audit log lacks user.role")
		}
	})

	t.Run("reset password", func(t *testing.T) {
		analyst := login(t, e, RoleAnalyst, "analyst-password")
		rec := do(e, "POST", "/api/v1/users/analyst/password", "", "", &admin, true)
		var got struct{ Password string }
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &got) != nil || len(got.Password) < 16 {
			t.Fatalf("reset: %d %s", rec.Code, rec.Body)
		}
		if code := me(analyst); code != 401 {
			t.Errorf("session after a reset: got %d, want 401", code)
		}
		if code, _ := loginCode("analyst", "analyst-password"); code != 401 {
			t.Errorf("old password after a reset: got %d, want 401", code)
		}
		login(t, e, "analyst", got.Password)
		for _, en := range ev.audit.entries {
			if strings.Contains(en.Before+en.After, got.Password) {
				t.Errorf("the new password is in the audit log: %+v", en)
			}
		}
	})

	t.Run("own password", func(t *testing.T) {
		a, b := login(t, e, RoleViewer, "viewer-password"), login(t, e, RoleViewer, "viewer-password")
		if rec := do(e, "POST", "/api/v1/me/password", `{"current":"not-my-password","new":"a-new-long-password"}`, js, &a, true); rec.Code != 403 {
			t.Errorf("wrong current password: %d %s", rec.Code, rec.Body)
		}
		if !ev.audit.has("user.password.failed", "user/viewer") {
			t.Error("audit log lacks the failed password change")
		}
		if code := me(a); code != 200 {
			t.Errorf("a refused change ends the session: %d", code)
		}
		rec := do(e, "POST", "/api/v1/me/password", `{"current":"viewer-password","new":"a-new-long-password"}`, js, &a, true)
		if rec.Code != 200 {
			t.Fatalf("change: %d %s", rec.Code, rec.Body)
		}
		cleared := false
		for _, c := range rec.Result().Cookies() {
			cleared = cleared || c.Name == SessionCookie && c.MaxAge < 0
		}
		if !cleared {
			t.Error("the session cookie is not cleared")
		}
		if ca, cb := me(a), me(b); ca != 401 || cb != 401 {
			t.Errorf("sessions after a password change: %d, %d; want 401 for both", ca, cb)
		}
		if code, _ := loginCode("viewer", "viewer-password"); code != 401 {
			t.Errorf("old password: %d, want 401", code)
		}
		login(t, e, "viewer", "a-new-long-password")
		if !ev.audit.has("user.password.change", "user/viewer") {
			t.Error("audit log lacks user.password.change")
		}
	})

	t.Run("admin-set passwords are changed at first login", func(t *testing.T) {
		if rec := do(e, "POST", "/api/v1/users", `{"name":"ops2","password":"set-by-admin","role":"officer"}`, js, &admin, true); rec.Code != 201 {
			t.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
		c := login(t, e, "ops2", "set-by-admin")
		if rec := do(e, "GET", "/api/v1/me", "", "", &c, false); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"must_change":true`) {
			t.Errorf("/me with an admin-set password: %d %s", rec.Code, rec.Body)
		}
		for _, path := range []string{"/api/v1/alerts", "/api/v1/events", "/api/v1/heatmap"} {
			if rec := do(e, "GET", path, "", "", &c, false); rec.Code != 403 || !strings.Contains(rec.Body.String(), "choose your own password") {
				t.Errorf("%s before choosing a password: %d %s", path, rec.Code, rec.Body)
			}
		}
		if rec := do(e, "POST", "/api/v1/me/password", `{"current":"set-by-admin","new":"ops2-own-password"}`, js, &c, true); rec.Code != 200 {
			t.Fatalf("change: %d %s", rec.Code, rec.Body)
		}
		c = login(t, e, "ops2", "ops2-own-password")
		if rec := do(e, "GET", "/api/v1/alerts", "", "", &c, false); rec.Code != 200 {
			t.Errorf("/alerts with an own password: %d %s", rec.Code, rec.Body)
		}
		// a reset password is the admin's too
		rec := do(e, "POST", "/api/v1/users/ops2/password", "", "", &admin, true)
		var got struct{ Password string }
		json.Unmarshal(rec.Body.Bytes(), &got)
		c = login(t, e, "ops2", got.Password)
		if rec := do(e, "GET", "/api/v1/alerts", "", "", &c, false); rec.Code != 403 {
			t.Errorf("/alerts after a reset: %d, want 403 until the user chooses a password", rec.Code)
		}
	})

	t.Run("own password rate limited", func(t *testing.T) {
		c := login(t, e, RoleAdmin, "admin-password")
		var codes []int
		for range 6 {
			codes = append(codes, do(e, "POST", "/api/v1/me/password", `{"current":"guess-guess-guess","new":"a-new-long-password"}`, js, &c, true).Code)
		}
		if codes[0] != 403 || codes[5] != 429 {
			t.Errorf("guessing the current password: codes %v, want 403 first and 429 by the sixth", codes)
		}
	})
}

// The last enabled admin cannot be disabled or demoted, so the site always
// keeps someone who can manage accounts.
func TestLastAdmin(t *testing.T) {
	ev := newEnv(t)
	u, ctx := ev.deps.Users, context.Background()
	if err := u.SetDisabled(ctx, "admin", true); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("disable the only admin: %v, want ErrLastAdmin", err)
	}
	if _, err := u.SetRole(ctx, "admin", RoleAnalyst); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("demote the only admin: %v, want ErrLastAdmin", err)
	}
	if err := u.Create(ctx, "admin2", "admin2-password", RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if err := u.SetDisabled(ctx, "admin2", true); err != nil {
		t.Fatalf("disable one of two admins: %v", err)
	}
	if _, err := u.SetRole(ctx, "admin", RoleViewer); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("demote the last enabled admin: %v, want ErrLastAdmin", err)
	}
	if _, err := u.SetRole(ctx, "admin2", RoleViewer); err != nil {
		t.Errorf("demote a disabled admin: %v", err)
	}
	if _, err := u.SetRole(ctx, "viewer", RoleAdmin); err != nil {
		t.Fatalf("promote: %v", err)
	}
	if _, err := u.SetRole(ctx, "admin", RoleViewer); err != nil {
		t.Errorf("demote an admin with another enabled: %v", err)
	}
	if _, err := u.Login(ctx, "1.2.3.4", "admin", "admin-password"); err != nil {
		t.Errorf("demoted admin logs in: %v", err)
	}
	users, err := u.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	admins := 0
	for _, x := range users {
		if x.Role == RoleAdmin && x.DisabledNS == 0 {
			admins++
		}
	}
	if admins != 1 {
		t.Errorf("enabled admins %d, want 1: %+v", admins, users)
	}
}

// Two dashboards on one database: an account changed through one loses its
// sessions on the other within Recheck.
func TestSessionRecheck(t *testing.T) {
	db := openUsersDB(t, ":memory:")
	var now atomic.Int64
	now.Store(testNow.UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	ctx := context.Background()
	a, err := NewUsers(ctx, db, UsersOptions{BcryptCost: bcrypt.MinCost, Now: clock, Recheck: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewUsers(ctx, db, UsersOptions{BcryptCost: bcrypt.MinCost, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"admin", "ops"} {
		if err := a.Create(ctx, n, n+"-password", RoleAdmin); err != nil {
			t.Fatal(err)
		}
	}
	for _, change := range []struct {
		name string
		do   func() error
	}{
		{"disabled", func() error { return b.SetDisabled(ctx, "ops", true) }},
		{"demoted", func() error { _, err := b.SetRole(ctx, "ops", RoleOfficer); return err }},
		{"new password", func() error { _, err := b.ResetPassword(ctx, "ops"); return err }},
		{"deleted", func() error { _, err := db.Exec(`DELETE FROM dashboard_users WHERE name = 'ops'`); return err }},
	} {
		t.Run(change.name, func(t *testing.T) {
			db.Exec(`DELETE FROM dashboard_users WHERE name = 'ops'`)
			if err := a.Create(ctx, "ops", "ops-password", RoleAdmin); err != nil {
				t.Fatal(err)
			}
			now.Add(int64(time.Second))
			s, err := a.Login(ctx, "1.2.3.4", "ops", "ops-password")
			if err != nil {
				t.Fatal(err)
			}
			if err := change.do(); err != nil {
				t.Fatal(err)
			}
			now.Add(int64(4 * time.Second))
			if _, ok := a.Session(s.Token); !ok {
				t.Error("the session ended before Recheck")
			}
			now.Add(int64(2 * time.Second))
			if _, ok := a.Session(s.Token); ok {
				t.Errorf("%s on the other dashboard: the session still stands after Recheck", change.name)
			}
		})
	}
	// an unchanged account's session stands across rechecks
	s, err := a.Login(ctx, "1.2.3.4", "admin", "admin-password")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		now.Add(int64(6 * time.Second))
		if _, ok := a.Session(s.Token); !ok {
			t.Fatal("an unchanged account's session ended at a recheck")
		}
	}
}

// A users table made before accounts could be disabled is upgraded in
// place, also by two dashboards opening it at once, and its accounts keep
// their passwords.
func TestUsersTableUpgrade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	old := openUsersDB(t, path)
	h, _ := bcrypt.GenerateFromPassword([]byte("admin-password"), bcrypt.MinCost)
	if _, err := old.Exec(`CREATE TABLE dashboard_users (name TEXT PRIMARY KEY, hash TEXT NOT NULL, role TEXT NOT NULL, created_ns INTEGER NOT NULL);
INSERT INTO dashboard_users VALUES ('admin', ?, 'admin', 1), ('ops', ?, 'officer', 2)`, string(h), string(h)); err != nil {
		t.Fatal(err)
	}
	old.Close()
	var wg sync.WaitGroup
	users := make([]*Users, 2)
	errs := make([]error, 2)
	for i := range users {
		db := openUsersDB(t, path)
		wg.Go(func() {
			users[i], errs[i] = NewUsers(context.Background(), db, UsersOptions{BcryptCost: bcrypt.MinCost})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("open an old users table twice at once: %v", err)
	}
	ctx := context.Background()
	if _, err := users[0].Login(ctx, "1.2.3.4", "admin", "admin-password"); err != nil {
		t.Errorf("log in after the upgrade: %v", err)
	}
	if err := users[1].SetDisabled(ctx, "ops", true); err != nil {
		t.Errorf("disable after the upgrade: %v", err)
	}
	if _, err := users[0].Login(ctx, "1.2.3.4", "ops", "admin-password"); !errors.Is(err, ErrDisabled) {
		t.Errorf("disabled after the upgrade, log in: %v, want ErrDisabled", err)
	}
}

func openUsersDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	dsn := path
	if path != ":memory:" {
		dsn = "file:" + path + "?_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// A live feed ends with its session: after the account is disabled the
// stream stops instead of carrying the next alert.
func TestSSEEndsWithSession(t *testing.T) {
	ev := newEnv(t)
	e, _ := New(ev.deps)
	srv := httptest.NewServer(e)
	defer srv.Close()
	viewer := login(t, e, RoleViewer, "viewer-password")
	admin := login(t, e, RoleAdmin, "admin-password")
	resp := openFeed(t, ev.deps.Hub, srv.URL, viewer)
	defer resp.Body.Close()
	if rec := do(e, "POST", "/api/v1/users/viewer/disable", "", "", &admin, true); rec.Code != 200 {
		t.Fatalf("disable: %d %s", rec.Code, rec.Body)
	}
	ev.deps.Hub.PublishAlert(event.Alert{Schema: 1, ID: "after", Site: "hmp1", Rule: "drone", Severity: event.SeverityCritical, State: event.AlertFiring})
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"after"`) {
			t.Fatal("a disabled account's live feed carried an alert")
		}
	}
	if err := sc.Err(); err != nil {
		t.Errorf("the stream did not end: %v", err)
	}
}

// openFeed opens the live alert feed for c and waits until the hub has it.
func openFeed(t *testing.T, hub *Hub, url string, c creds) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/api/v1/events?kinds=alert", nil)
	req.AddCookie(c.cookie)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("live feed: %s", resp.Status)
	}
	for hub.Clients() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	return resp
}

// Sessions outlive a dashboard restart (a control-room screen stays logged
// in through an upgrade) and serve every dashboard on the database; a
// logout on one ends the session on the others. The table keeps a hash of
// each token, never the token.
func TestSessionsSurviveRestart(t *testing.T) {
	db := openUsersDB(t, filepath.Join(t.TempDir(), "rfw.db"))
	var now atomic.Int64
	now.Store(testNow.UnixNano())
	opt := UsersOptions{BcryptCost: bcrypt.MinCost, Now: func() time.Time { return time.Unix(0, now.Load()) }, SessionTTL: time.Hour}
	ctx := context.Background()
	before, err := NewUsers(ctx, db, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := before.Create(ctx, "screen1", "screen1-password", RoleViewer); err != nil {
		t.Fatal(err)
	}
	s, err := before.Login(ctx, "10.0.0.5", "screen1", "screen1-password")
	if err != nil {
		t.Fatal(err)
	}
	var raw, hashed int
	db.QueryRow(`SELECT COUNT(*) FROM dashboard_sessions WHERE token_hash = ?1 OR csrf = ?1 OR user = ?1`, s.Token).Scan(&raw)
	db.QueryRow(`SELECT COUNT(*) FROM dashboard_sessions WHERE token_hash = ?`, tokenHash(s.Token)).Scan(&hashed)
	if raw != 0 || hashed != 1 {
		t.Errorf("sessions table: %d rows hold the cookie's token, %d its hash; want 0 and 1", raw, hashed)
	}
	after, err := NewUsers(ctx, db, opt) // the restarted dashboard, or a second one
	if err != nil {
		t.Fatal(err)
	}
	got, ok := after.Session(s.Token)
	if !ok || got.User != "screen1" || got.Role != RoleViewer || got.CSRF != s.CSRF || !got.ExpiresAt.Equal(s.ExpiresAt) {
		t.Fatalf("after a restart: %+v, %v; want %+v", got, ok, s)
	}
	if _, ok := after.Session("not-a-token"); ok {
		t.Error("an unknown token opened a session")
	}
	if users, err := after.List(ctx); err != nil || users[0].Sessions != 1 {
		t.Errorf("listed %+v (%v), want one open session", users, err)
	}
	if err := after.Logout(s.Token); err != nil {
		t.Fatal(err)
	}
	now.Add(int64(6 * time.Second)) // past the recheck
	if _, ok := before.Session(s.Token); ok {
		t.Error("logged out on one dashboard, the session stands on the other")
	}
	// an expired session is not brought back
	s2, err := before.Login(ctx, "10.0.0.5", "screen1", "screen1-password")
	if err != nil {
		t.Fatal(err)
	}
	now.Add(int64(2 * time.Hour))
	third, _ := NewUsers(ctx, db, opt)
	if _, ok := third.Session(s2.Token); ok {
		t.Error("an expired session came back after a restart")
	}
}

// TestFeedsPerSessionCapped: one session opens at most MaxFeedsPerSession
// live feeds at once, one user's sessions MaxFeedsPerUser; the next is
// refused with 429 saying why, another session (or user) is not, and a
// feed that ends frees its slot. A session opened
// live feeds without end, each a connection, a goroutine and a hub buffer.
func TestFeedsPerSessionCapped(t *testing.T) {
	ev := newEnv(t)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close) // after the feeds' bodies are closed (cleanups run last first)
	client := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	t.Cleanup(client.Transport.(*http.Transport).CloseIdleConnections)
	open := func(c creds) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/events?kinds=alert", nil)
		req.AddCookie(c.cookie)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	a := login(t, e, RoleViewer, "viewer-password")
	var feeds []*http.Response
	for i := range MaxFeedsPerSession {
		resp := open(a)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("feed %d of one session: %s, want 200", i+1, resp.Status)
		}
		feeds = append(feeds, resp)
	}
	over := open(a)
	var body []byte
	if over.StatusCode != http.StatusOK { // a feed's body never ends
		body, _ = io.ReadAll(io.LimitReader(over.Body, 1024))
	}
	if over.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), strconv.Itoa(MaxFeedsPerSession)) {
		t.Errorf("feed %d of one session: %s %s, want 429 naming the limit", MaxFeedsPerSession+1, over.Status, body)
	}
	if got := ev.deps.Hub.Clients(); got != MaxFeedsPerSession {
		t.Errorf("hub clients: %d, want %d", got, MaxFeedsPerSession)
	}
	if resp := open(login(t, e, RoleViewer, "viewer-password")); resp.StatusCode != http.StatusOK {
		t.Errorf("another session's feed: %s, want 200", resp.Status)
	}
	// One user's sessions together hold at most MaxFeedsPerUser: logging
	// in again does not get past it. (9 held so far.)
	held := MaxFeedsPerSession + 1
	for held < MaxFeedsPerUser {
		c := login(t, e, RoleViewer, "viewer-password")
		for range min(MaxFeedsPerSession, MaxFeedsPerUser-held) {
			if resp := open(c); resp.StatusCode != http.StatusOK {
				t.Fatalf("feed %d of the user: %s, want 200", held+1, resp.Status)
			}
			held++
		}
	}
	over = open(login(t, e, RoleViewer, "viewer-password"))
	body = nil
	if over.StatusCode != http.StatusOK {
		body, _ = io.ReadAll(io.LimitReader(over.Body, 1024))
	}
	if over.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), strconv.Itoa(MaxFeedsPerUser)) {
		t.Errorf("feed %d of one user, in a new session: %s %s, want 429 naming the limit", MaxFeedsPerUser+1, over.Status, body)
	}
	if resp := open(login(t, e, RoleOfficer, "officer-password")); resp.StatusCode != http.StatusOK {
		t.Errorf("another user's feed: %s, want 200", resp.Status)
	}
	// a feed that ends frees its slot (once its handler has returned)
	feeds[0].Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp := open(a)
		if resp.StatusCode == http.StatusOK {
			break
		}
		resp.Body.Close()
		if time.Now().After(deadline) {
			t.Fatalf("a feed closed, the session's next: %s, want 200 once its slot is free", resp.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// opsOfficer returns Users on an in-memory database holding one officer,
// "ops" with the password "ops-password".
func opsOfficer(t *testing.T) *Users {
	t.Helper()
	u, err := NewUsers(context.Background(), openUsersDB(t, ":memory:"), UsersOptions{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Create(context.Background(), "ops", "ops-password", RoleOfficer); err != nil {
		t.Fatal(err)
	}
	return u
}

// TestChangePasswordLimitedCostsNoHash: a password change whose current
// password is refused, or refused by the login limit, hashes no new
// password: a logged-in user past the limit cost a bcrypt hash per
// request. A change that passes hashes once.
func TestChangePasswordLimitedCostsNoHash(t *testing.T) {
	ctx := context.Background()
	u := opsOfficer(t)
	hashes := 0
	u.hashing = func() { hashes++ }
	for i := range 12 {
		err := u.ChangePassword(ctx, "192.0.2.9", "ops", "wrong-password", "a-new-long-password")
		if err == nil {
			t.Fatalf("attempt %d with a wrong current password changed it", i)
		}
	}
	if hashes != 0 {
		t.Errorf("%d new passwords hashed for 12 refused changes, want 0", hashes)
	}
	if err := u.ChangePassword(ctx, "192.0.2.10", "ops", "ops-password", "a-new-long-password"); err != nil {
		t.Fatalf("change with the right password from another address: %v", err)
	}
	if hashes != 1 {
		t.Errorf("%d hashes for one change, want 1", hashes)
	}
}

// TestChangePasswordSlowHashStillWrites: a password change whose bcrypt
// takes longer than detachedWriteTimeout is still written. The hash ran
// inside the detached write's bound: under the race detector on a loaded
// machine bcrypt took 7.4 s of the 5 s, and a right password's change was
// refused with "context deadline exceeded" before its write began.
func TestChangePasswordSlowHashStillWrites(t *testing.T) {
	ctx := context.Background()
	u := opsOfficer(t)
	// The write itself takes well under a millisecond: 500 ms leave it
	// margin on a loaded machine.
	defer func(d time.Duration) { detachedWriteTimeout = d }(detachedWriteTimeout)
	detachedWriteTimeout = 500 * time.Millisecond
	u.hashing = func() { time.Sleep(2 * detachedWriteTimeout) }
	if err := u.ChangePassword(ctx, "192.0.2.9", "ops", "ops-password", "a-new-long-password"); err != nil {
		t.Fatalf("change with a hash slower than the write's bound: %v", err)
	}
	u.hashing = nil
	if _, err := u.Login(ctx, "192.0.2.9", "ops", "a-new-long-password"); err != nil {
		t.Errorf("log in with the new password: %v", err)
	}
}

// failAudit is an Auditor whose writes fail.
type failAudit struct{ fakeAudit }

func (a *failAudit) Audit(context.Context, store.AuditEntry) error {
	return errors.New("audit table locked")
}

// TestAccountChangeAuditedOrUndone: an account change either takes effect
// and is audited (a reset password handed back), or neither. The change
// committed first and the end of its sessions after: when that failed
// (SQLite busy) the admin got a 500 for a change made, with no audit row,
// and a reset left the account with a password nobody knew. A change made
// whose audit row cannot be written is answered as made (the reset
// password too), saying the audit failed.
func TestAccountChangeAuditedOrUndone(t *testing.T) {
	const js = "application/json"
	for _, tc := range []struct {
		name, method, path, body, action string
		took                             func(u *Users) bool // the change took effect
	}{
		{"reset password", "POST", "/api/v1/users/analyst/password", "", "user.password.reset", func(u *Users) bool {
			_, err := u.Login(context.Background(), "192.0.2.50", "analyst", "analyst-password")
			return err != nil
		}},
		{"role", "PUT", "/api/v1/users/analyst/role", `{"role":"viewer"}`, "user.role", func(u *Users) bool {
			var role string
			u.db.QueryRow(`SELECT role FROM dashboard_users WHERE name = 'analyst'`).Scan(&role)
			return role == RoleViewer
		}},
		{"disable", "POST", "/api/v1/users/analyst/disable", "", "user.disable", func(u *Users) bool {
			var d int64
			u.db.QueryRow(`SELECT disabled_ns FROM dashboard_users WHERE name = 'analyst'`).Scan(&d)
			return d != 0
		}},
	} {
		t.Run(tc.name+", sessions not deleted", func(t *testing.T) {
			ev := newEnv(t)
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			u := ev.deps.Users
			admin := login(t, e, RoleAdmin, "admin-password")
			login(t, e, RoleAnalyst, "analyst-password") // a session to end
			if _, err := u.db.Exec(`CREATE TRIGGER sessions_busy BEFORE DELETE ON dashboard_sessions BEGIN SELECT RAISE(ABORT, 'database is locked'); END`); err != nil {
				t.Fatal(err)
			}
			rec := do(e, tc.method, tc.path, tc.body, js, &admin, true)
			if _, err := u.db.Exec(`DROP TRIGGER sessions_busy`); err != nil {
				t.Fatal(err)
			}
			took, audited := tc.took(u), ev.audit.has(tc.action, "user/analyst")
			if took != audited || took != (rec.Code == 200) {
				t.Errorf("sessions could not be deleted: answered %d %s, change made %v, audited %v; want all or nothing", rec.Code, rec.Body, took, audited)
			}
			if took && tc.action == "user.password.reset" && !strings.Contains(rec.Body.String(), `"password"`) {
				t.Errorf("a reset made without handing the password back: %s", rec.Body)
			}
		})
		t.Run(tc.name+", audit fails", func(t *testing.T) {
			ev := newEnv(t)
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			admin := login(t, e, RoleAdmin, "admin-password")
			ev.deps.Auditor = &failAudit{}
			if e, err = New(ev.deps); err != nil {
				t.Fatal(err)
			}
			rec := do(e, tc.method, tc.path, tc.body, js, &admin, true)
			if !tc.took(ev.deps.Users) {
				t.Fatalf("change not made: %d %s", rec.Code, rec.Body)
			}
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), "audit") {
				t.Errorf("change made, audit failed: %d %s, want 200 saying the audit failed", rec.Code, rec.Body)
			}
			var got struct{ Password string }
			if json.Unmarshal(rec.Body.Bytes(), &got); tc.action == "user.password.reset" {
				if _, err := ev.deps.Users.Login(context.Background(), "192.0.2.51", "analyst", got.Password); err != nil {
					t.Errorf("the reset password handed back (%q) does not log in: %v", got.Password, err)
				}
			}
		})
	}
}
