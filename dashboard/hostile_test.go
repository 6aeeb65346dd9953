package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestLoginLimitIgnoresForwardedFor: the per-address login limit is keyed
// by the connection's address. It used to be keyed by X-Forwarded-For,
// which a client writes itself: ten guesses with ten made-up headers were
// never limited.
func TestLoginLimitIgnoresForwardedFor(t *testing.T) {
	ev := newEnv(t)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	var codes []int
	for i := range 10 {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/login", strings.NewReader(`{"user":"admin","password":"wrong-wrong"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.9.9.%d", i))
		req.Header.Set("X-Real-IP", fmt.Sprintf("10.8.8.%d", i))
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		codes = append(codes, rec.Code)
	}
	if codes[len(codes)-1] != http.StatusTooManyRequests {
		t.Errorf("ten wrong passwords from one address with made-up X-Forwarded-For: %v, want the last ones 429", codes)
	}
	limited := 0
	for _, a := range ev.audit.entries {
		if a.Action == "login.limited" {
			limited++
		}
	}
	if limited == 0 {
		t.Error("the refused guesses are not in the audit log (login.limited)")
	}
}

func usersAt(t *testing.T, cost int, failWin time.Duration, now func() time.Time) *Users {
	t.Helper()
	u, err := NewUsers(context.Background(), memDB(t), UsersOptions{BcryptCost: cost, MaxFailures: 100, MaxIPFailures: 1 << 20, FailWindow: failWin, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Create(context.Background(), "admin", "admin-password", RoleAdmin); err != nil {
		t.Fatal(err)
	}
	return u
}

// TestLoginFailuresBounded: failed logins under ever new names keep no
// memory beyond the failure window, and a name no account could have (1
// MiB of it here) is not kept at all.
func TestLoginFailuresBounded(t *testing.T) {
	now := testNow
	u := usersAt(t, bcrypt.MinCost, time.Minute, func() time.Time { return now })
	ctx := context.Background()
	if _, err := u.Login(ctx, "192.0.2.1", strings.Repeat("x", 1<<20), "wrong"); err != ErrBadCredentials {
		t.Fatalf("login with a 1 MiB name: %v, want ErrBadCredentials", err)
	}
	for i := range 1100 {
		if _, err := u.Login(ctx, "192.0.2.1", fmt.Sprint("nobody-", i), "wrong"); err != ErrBadCredentials {
			t.Fatal(err)
		}
		now = now.Add(time.Second)
	}
	u.mu.Lock()
	n := len(u.fails)
	u.mu.Unlock()
	// A minute's window, one failure a second: the sweep at 1024 names
	// keeps the last minute's 60, and 76 more come after it.
	if n > 200 {
		t.Errorf("%d names kept after 1100 failures one second apart, want about those since the sweep", n)
	}
}

// TestLoginTimeHidesAccounts: a wrong password costs the same for an
// account that exists and for a name none has (a bcrypt either way); it
// took 48 µs against 101 ms, which told which accounts exist.
func TestLoginTimeHidesAccounts(t *testing.T) {
	u := usersAt(t, 8, 0, func() time.Time { return testNow })
	best := func(name string) time.Duration {
		b := time.Hour
		for range 3 {
			t0 := time.Now()
			if _, err := u.Login(context.Background(), "192.0.2.1", name, "wrong-wrong"); err != ErrBadCredentials {
				t.Fatalf("login %s: %v", name, err)
			}
			b = min(b, time.Since(t0))
		}
		return b
	}
	known, unknown := best("admin"), best("nobody-here")
	if known > 5*unknown {
		t.Errorf("wrong password: %v for an account, %v for an unknown name", known, unknown)
	}
}

// TestHostileBodies: bad inputs get a 4xx naming the problem.
func TestHostileBodies(t *testing.T) {
	ev := newEnv(t)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	admin := login(t, e, RoleAdmin, "admin-password")
	analyst := login(t, e, RoleAnalyst, "analyst-password")
	noName, ct := multipartBody(t, map[string][2]string{"meta": {".sigmf-meta", `{}`}, "data": {".sigmf-data", "abcd"}})
	tests := []struct {
		name, method, path, body, ct string
		who                          *creds
		code                         int
		says                         string
	}{
		// (2^53 - 60) minutes in ns wrapped int64 round to minus an hour: a
		// window ending before it began was accepted.
		{"maintenance minutes overflow", http.MethodPost, "/api/v1/sensors/s1/maintenance", `{"minutes":9007199254740932,"reason":"new antenna"}`, "application/json", &admin, 400, "minutes"},
		{"upload with no name", http.MethodPost, "/api/v1/replay/upload", noName, ct, &analyst, 400, "no NAME"},
		{"JSON body over 1 MiB", http.MethodPost, "/api/v1/alerts/al1/ack", `{"note":"` + strings.Repeat("n", 2<<20) + `"}`, "application/json", &admin, 413, "larger than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(e, tc.method, tc.path, tc.body, tc.ct, tc.who, true)
			if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.says) {
				t.Errorf("%s %s: %d %.200s, want %d saying %q", tc.method, tc.path, rec.Code, rec.Body, tc.code, tc.says)
			}
		})
	}
	var m store.Maintenance
	for _, v := range ev.maint.m {
		m = v
	}
	if m.UntilNS != 0 && m.UntilNS < m.FromNS {
		t.Errorf("a maintenance window ending before it began was stored: %+v", m)
	}
}

// TestStalledBodyCut: a client that sends a login's headers and then
// withholds its body is cut after BodyIdle (408); it held its connection
// and a goroutine for ever.
func TestStalledBodyCut(t *testing.T) {
	ev := newEnv(t)
	ev.deps.BodyIdle = 300 * time.Millisecond
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"user\":")); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	defer resp.Body.Close()
	var body map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("stalled body: %d %v, want 408", resp.StatusCode, body)
	}
	// A body that keeps coming, slower than BodyIdle in all, is not cut.
	conn2, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	login := `{"user":"viewer","password":"viewer-password"}`
	fmt.Fprintf(conn2, "POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(login))
	for i := 0; i < len(login); i += 10 {
		conn2.Write([]byte(login[i:min(i+10, len(login))]))
		time.Sleep(100 * time.Millisecond)
	}
	conn2.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp2, err := http.ReadResponse(bufio.NewReader(conn2), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusOK {
		t.Errorf("slow but steady login: %d, want 200", resp2.StatusCode)
	}
}

// TestDisabledLoginLooksLikeBadPassword: a login to a disabled account is
// answered as a wrong password is, whatever password it sends, and counts
// as a failure towards the limit: it answered 403 "account disabled" to the
// right password only, and cleared the account's failure count, so a
// guesser learnt the password of a disabled account (to try elsewhere, or
// once it is enabled again). The audit log still says the attempt was on a
// disabled account.
func TestDisabledLoginLooksLikeBadPassword(t *testing.T) {
	ev := newEnv(t)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	admin := login(t, e, RoleAdmin, "admin-password")
	if rec := do(e, "POST", "/api/v1/users/viewer/disable", "", "", &admin, true); rec.Code != 200 {
		t.Fatalf("disable: %d %s", rec.Code, rec.Body)
	}
	attempt := func(user, pass string) (int, string) {
		rec := do(e, "POST", "/api/v1/login", `{"user":"`+user+`","password":"`+pass+`"}`, "application/json", nil, false)
		return rec.Code, rec.Body.String()
	}
	wantCode, wantBody := attempt("officer", "wrong-password") // an enabled account, a wrong password
	if wantCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d %s, want 401", wantCode, wantBody)
	}
	// MaxFailures is 5: the sixth attempt is limited, right password or not.
	for i, pass := range []string{"viewer-password", "wrong-password", "wrong-password", "viewer-password", "viewer-password", "viewer-password"} {
		code, body := attempt("viewer", pass)
		if i == 5 {
			if code != http.StatusTooManyRequests {
				t.Errorf("attempt %d on a disabled account: %d %s, want 429 (failures counted)", i+1, code, body)
			}
			continue
		}
		if code != wantCode || body != wantBody {
			t.Errorf("attempt %d on a disabled account (password %s): %d %s, want %d %s as for a wrong password",
				i+1, pass, code, body, wantCode, wantBody)
		}
	}
	n := 0
	for _, a := range ev.audit.entries {
		if a.Action == "login.disabled" && a.Object == "user/viewer" {
			n++
		}
	}
	if n != 5 {
		t.Errorf("audit log: %d login.disabled for user/viewer, want 5 (each attempt not limited)", n)
	}
}
