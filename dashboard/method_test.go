package dashboard

import (
	"net/http"
	"strings"
	"testing"
)

// TestAPIWrongMethod405: a request to an API route's path with a method
// the route does not take is 405 with the Allow header naming the ones
// it does; the group's catch-all answered 404, as for a path with no
// route, so a client could not tell a typo in the path from the wrong
// method. A path with no route stays 404, and the login still comes
// first (401 without a session).
func TestAPIWrongMethod405(t *testing.T) {
	e, admin := serveAs(t, RoleAdmin)
	for _, tc := range []struct {
		method, path string
		code         int
		allow        string
	}{
		{"GET", "/api/v1/logout", 405, "POST"},
		{"DELETE", "/api/v1/logout", 405, "POST"},
		{"PATCH", "/api/v1/registry/1", 405, "DELETE, GET, PUT"},
		{"POST", "/api/v1/me", 405, "GET"},
		{"DELETE", "/api/v1/alerts/al1/ack", 405, "POST"},
		{"GET", "/api/v1/nope", 404, ""},
		{"GET", "/api/v1/registry/1/nope", 404, ""},
	} {
		rec := do(e, tc.method, tc.path, "", "application/json", &admin, tc.method != "GET")
		if rec.Code != tc.code || rec.Header().Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d Allow %q %s, want %d Allow %q", tc.method, tc.path, rec.Code, rec.Header().Get("Allow"), trunc(rec.Body.String()), tc.code, tc.allow)
		}
		if tc.code == 405 && !strings.Contains(rec.Body.String(), "method "+tc.method+" not allowed") {
			t.Errorf("%s %s: %s, want it to name the method", tc.method, tc.path, trunc(rec.Body.String()))
		}
	}
	if rec := do(e, "GET", "/api/v1/logout", "", "", nil, false); rec.Code != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/logout without a session: %d, want 401", rec.Code)
	}
}
