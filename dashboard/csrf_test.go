package dashboard

import (
	"net/http"
	"strings"
	"testing"
)

// TestStateChangingRoutesNeedCSRF: every route of routes.go that changes
// state (any method but GET, HEAD and OPTIONS) refuses the admin's
// session without its CSRF token, or with another, 403 naming the
// header, and writes no audit row; a route added outside the API group
// would be open to a cross-site form. Login has no session yet: it
// needs Content-Type application/json, which a cross-site form cannot
// send (415).
func TestStateChangingRoutesNeedCSRF(t *testing.T) {
	ev := newEnv(t)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	admin := login(t, e, RoleAdmin, "admin-password")
	wrong := admin
	wrong.csrf = strings.Repeat("0", len(admin.csrf))
	n := 0
	for _, r := range e.Routes() {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions, "echo_route_not_found":
			continue
		}
		path := strings.NewReplacer(":id", "al1", ":name", "viewer", ":floor", "g").Replace(r.Path)
		if r.Path == "/api/v1/login" {
			rec := do(e, r.Method, path, `{"user":"admin","password":"admin-password"}`, "text/plain", nil, false)
			if rec.Code != http.StatusUnsupportedMediaType {
				t.Errorf("%s %s as a cross-site form (text/plain): %d %s, want 415", r.Method, path, rec.Code, rec.Body)
			}
			continue
		}
		n++
		for _, who := range []struct {
			name string
			c    creds
			send bool
		}{{"no token", admin, false}, {"another token", wrong, true}} {
			before := len(ev.audit.entries)
			rec := do(e, r.Method, path, `{}`, "application/json", &who.c, who.send)
			if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), CSRFHeader) {
				t.Errorf("%s %s with %s: %d %s, want 403 naming %s", r.Method, path, who.name, rec.Code, rec.Body, CSRFHeader)
			}
			if after := len(ev.audit.entries); after != before {
				t.Errorf("%s %s with %s: %d audit rows written", r.Method, path, who.name, after-before)
			}
		}
	}
	if n < 20 {
		t.Errorf("%d state-changing routes checked; routes.go has more", n)
	}
}
