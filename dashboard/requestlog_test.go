package dashboard

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

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
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/me", nil))
			if rec.Code != http.StatusUnauthorized {
				t.Fatalf("GET /api/v1/me without a session: %d", rec.Code)
			}
			line := ""
			for _, l := range strings.Split(buf.String(), "\n") {
				if strings.Contains(l, `msg="dashboard request"`) {
					line = l
				}
			}
			switch {
			case tc.want && line == "":
				t.Errorf("no request logged at %v:\n%s", tc.level, buf.String())
			case tc.want && !(strings.Contains(line, "method=GET") && strings.Contains(line, "path=/api/v1/me") && strings.Contains(line, "code=401")):
				t.Errorf("request logged as %q, want its method, path and code 401", line)
			case !tc.want && line != "":
				t.Errorf("request logged at %v: %q", tc.level, line)
			}
		})
	}
}
