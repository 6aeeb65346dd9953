package dashboard

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestSessionCookieUnderTLS: given a dashboard served over TLS on
// 127.0.0.1 (Deps.Secure), when a user logs in, uses the session and
// logs out through a browser-like client, expect the session cookie
// named __Host-rfw_session, Secure, Path=/ and without Domain, read by
// every request and cleared by the logout; a cookie of the plain-HTTP
// name is not a session there. Over plain HTTP the name stays
// rfw_session.
func TestSessionCookieUnderTLS(t *testing.T) {
	for _, tc := range []struct {
		name     string
		tls      bool
		wantName string
	}{
		{"TLS", true, SecureSessionCookie},
		{"plain HTTP", false, SessionCookie},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t)
			ev.deps.Secure = tc.tls
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewUnstartedServer(e)
			if tc.tls {
				srv.StartTLS()
			} else {
				srv.Start()
			}
			defer srv.Close()
			client := srv.Client()
			jar, _ := cookiejar.New(nil)
			client.Jar = jar
			resp, err := client.Post(srv.URL+"/api/v1/login", "application/json", strings.NewReader(`{"user":"viewer","password":"viewer-password"}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			var set *http.Cookie
			for _, c := range resp.Cookies() {
				if strings.HasSuffix(c.Name, SessionCookie) {
					set = c
				}
			}
			if resp.StatusCode != http.StatusOK || set == nil {
				t.Fatalf("login: %d, session cookie %v", resp.StatusCode, set)
			}
			if set.Name != tc.wantName || set.Secure != tc.tls || set.Path != "/" || set.Domain != "" || !set.HttpOnly {
				t.Errorf("session cookie %s Secure=%v Path=%q Domain=%q HttpOnly=%v; want %s Secure=%v Path=/ no Domain HttpOnly",
					set.Name, set.Secure, set.Path, set.Domain, set.HttpOnly, tc.wantName, tc.tls)
			}
			me := func(cl *http.Client, cookie *http.Cookie) int {
				req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/me", nil)
				if cookie != nil {
					req.AddCookie(cookie)
				}
				resp, err := cl.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			if code := me(client, nil); code != http.StatusOK {
				t.Errorf("GET /me with the login's cookie: %d, want 200", code)
			}
			bare := &http.Client{Transport: client.Transport} // no jar: only the cookie given
			other := SecureSessionCookie
			if tc.tls {
				other = SessionCookie
			}
			if code := me(bare, &http.Cookie{Name: other, Value: set.Value}); code != http.StatusUnauthorized {
				t.Errorf("GET /me with the session under the other name %s: %d, want 401", other, code)
			}
			u, _ := url.Parse(srv.URL)
			var csrf string
			{
				req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/me", nil)
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				_, after, _ := strings.Cut(string(b), `"csrf":"`)
				csrf, _, _ = strings.Cut(after, `"`)
			}
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/logout", nil)
			req.Header.Set(CSRFHeader, csrf)
			resp, err = client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("logout: %d, want 204", resp.StatusCode)
			}
			cleared := false
			for _, c := range resp.Cookies() {
				cleared = cleared || c.Name == tc.wantName && c.MaxAge < 0
			}
			if !cleared || len(jar.Cookies(u)) != 0 {
				t.Errorf("logout: %s cleared %v, the browser keeps %v; want it cleared", tc.wantName, cleared, jar.Cookies(u))
			}
			if code := me(bare, set); code != http.StatusUnauthorized {
				t.Errorf("GET /me with the logged-out session: %d, want 401", code)
			}
		})
	}
}

// TestPlainCookieRetiredUnderTLS: given a TLS dashboard and a browser that
// still holds a session cookie of the plain name (set before TLS
// dashboards named theirs __Host-rfw_session), when it logs in again, or
// logs out, expect that old cookie cleared and its session ended: the
// dashboard no longer reads it, but it stayed a valid session, sent with
// every request until it expired.
func TestPlainCookieRetiredUnderTLS(t *testing.T) {
	for _, route := range []string{"login", "logout"} {
		t.Run(route, func(t *testing.T) {
			ev := newEnv(t)
			ev.deps.Secure = true
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewTLSServer(e)
			defer srv.Close()
			old, err := ev.deps.Users.Login(context.Background(), "127.0.0.1", "viewer", "viewer-password")
			if err != nil {
				t.Fatal(err)
			}
			post := func(path, body string, cookies ...*http.Cookie) *http.Response {
				req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				for _, c := range cookies {
					req.AddCookie(c)
				}
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp
			}
			plain := &http.Cookie{Name: SessionCookie, Value: old.Token}
			var resp *http.Response
			switch route {
			case "login":
				resp = post("/api/v1/login", `{"user":"viewer","password":"viewer-password"}`, plain)
			case "logout":
				cur, err := ev.deps.Users.Login(context.Background(), "127.0.0.1", "viewer", "viewer-password")
				if err != nil {
					t.Fatal(err)
				}
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/logout", nil)
				req.Header.Set(CSRFHeader, cur.CSRF)
				req.AddCookie(&http.Cookie{Name: SecureSessionCookie, Value: cur.Token})
				req.AddCookie(plain)
				r, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				r.Body.Close()
				resp = r
			}
			if resp.StatusCode/100 != 2 {
				t.Fatalf("%s: %d", route, resp.StatusCode)
			}
			cleared := false
			for _, c := range resp.Cookies() {
				cleared = cleared || c.Name == SessionCookie && c.MaxAge < 0 && c.Secure
			}
			if !cleared {
				t.Errorf("%s: the old %s cookie is not cleared (%v)", route, SessionCookie, resp.Cookies())
			}
			if _, ok := ev.deps.Users.Session(old.Token); ok {
				t.Errorf("%s: the old cookie's session is still valid", route)
			}
		})
	}
}
