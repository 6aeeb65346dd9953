package dashboard

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// requestLine returns the last "dashboard request" line of a text log.
func requestLine(log string) string {
	line := ""
	for l := range strings.Lines(log) {
		if strings.Contains(l, `msg="dashboard request"`) {
			line = strings.TrimSpace(l)
		}
	}
	return line
}

// TestRequestsLoggedAtInfo: with the log at info level (rfwarden
// dashboard -v, whose help says it logs requests) each request is logged
// with its method, route, path and status code; at the default warning
// level none is. -v logged no request.
func TestRequestsLoggedAtInfo(t *testing.T) {
	for _, tc := range []struct {
		level slog.Level
		want  bool
	}{
		{slog.LevelInfo, true},
		{slog.LevelWarn, false},
	} {
		t.Run(tc.level.String(), func(t *testing.T) {
			var buf bytes.Buffer
			ev := newEnv(t)
			ev.deps.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: tc.level}))
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			c := login(t, e, RoleViewer, "viewer-password")
			if rec := do(e, http.MethodGet, "/api/v1/me", "", "", &c, false); rec.Code != http.StatusOK {
				t.Fatalf("GET /api/v1/me: %d", rec.Code)
			}
			line := requestLine(buf.String())
			switch {
			case tc.want && line == "":
				t.Errorf("no request logged at %v:\n%s", tc.level, buf.String())
			case tc.want && !(strings.Contains(line, "method=GET") && strings.Contains(line, "path=/api/v1/me") && strings.Contains(line, "code=200")):
				t.Errorf("request logged as %q, want its method, path and code 200", line)
			case !tc.want && line != "":
				t.Errorf("request logged at %v: %q", tc.level, line)
			}
		})
	}
}

// TestRequestLogBeforeLogin: given the request log (-v, info level),
// when a browser asks before its user logs in or after its session
// ended (refused 401 for want of a session), expect the request at debug
// level only: every page load did it, and the journal filled with
// expected 401s. A failed login and a refused metrics token stay at info:
// they are what an admin reading the journal looks for.
func TestRequestLogBeforeLogin(t *testing.T) {
	const metricsToken = "a-metrics-token-of-32-characters"
	for _, tc := range []struct {
		name                 string
		method, path         string
		body, cookie, bearer string
		wantCode             int
		wantLevel            string // of the request's line: INFO or DEBUG
	}{
		{name: "me before login", method: http.MethodGet, path: "/api/v1/me", wantCode: 401, wantLevel: "DEBUG"},
		{name: "me with an ended session", method: http.MethodGet, path: "/api/v1/me", cookie: "ended-session-token", wantCode: 401, wantLevel: "DEBUG"},
		{name: "live feed before login", method: http.MethodGet, path: "/api/v1/events", wantCode: 401, wantLevel: "DEBUG"},
		{name: "alerts with an ended session", method: http.MethodGet, path: "/api/v1/alerts", cookie: "ended-session-token", wantCode: 401, wantLevel: "DEBUG"},
		{name: "wrong password", method: http.MethodPost, path: "/api/v1/login", body: `{"user":"viewer","password":"wrong"}`, wantCode: 401, wantLevel: "INFO"},
		{name: "unknown user", method: http.MethodPost, path: "/api/v1/login", body: `{"user":"nobody","password":"wrong"}`, wantCode: 401, wantLevel: "INFO"},
		{name: "wrong metrics token", method: http.MethodGet, path: "/metrics", bearer: "not-the-metrics-token-at-all", wantCode: 401, wantLevel: "INFO"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			ev := newEnv(t)
			ev.deps.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
			ev.deps.MetricsToken = metricsToken
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			if tc.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if tc.cookie != "" {
				req.AddCookie(&http.Cookie{Name: SessionCookie, Value: tc.cookie})
			}
			if tc.bearer != "" {
				req.Header.Set("Authorization", "Bearer "+tc.bearer)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != tc.wantCode {
				t.Fatalf("%s %s: %d %s, want %d", tc.method, tc.path, rec.Code, rec.Body, tc.wantCode)
			}
			line := requestLine(buf.String())
			if !strings.Contains(line, "level="+tc.wantLevel+" ") || !strings.Contains(line, "path="+tc.path+" ") || !strings.Contains(line, "code=401") {
				t.Errorf("request logged as %q, want level=%s with its path and code 401", line, tc.wantLevel)
			}
		})
	}
}
