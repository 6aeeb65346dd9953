package dashboard

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// The OpenAPI document lists every route the dashboard serves, and no
// other, and each route enforces the least role the document names: that
// role passes, one role lower gets 403, no session 401.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			Role string `yaml:"x-role"`
		} `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openapiYAML, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	ev := newEnv(t)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, r := range e.Routes() {
		if r.Path == "/" || r.Path == "/static/*" || strings.HasPrefix(r.Name, "github.com/labstack/echo") {
			continue // the UI's page and files
		}
		served[r.Method+" "+r.Path] = true
	}
	roles := []string{"", RoleViewer, RoleOfficer, RoleAnalyst, RoleAdmin}
	cr := map[string]creds{}
	for _, r := range roles[1:] {
		cr[r] = login(t, e, r, r+"-password")
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			method = strings.ToUpper(method)
			if method == "PARAMETERS" {
				continue
			}
			route := "/api/v1" + path
			if path == "/healthz" || path == "/metrics" {
				route = path
			}
			// {name} in the document, :name in echo
			for strings.Contains(route, "{") {
				i, j := strings.Index(route, "{"), strings.Index(route, "}")
				route = route[:i] + ":" + route[i+1:j] + route[j+1:]
			}
			key := method + " " + route
			documented[key] = true
			if !served[key] {
				t.Errorf("documented, not served: %s", key)
				continue
			}
			if op.Role == "public" || path == "/login" {
				continue
			}
			rank := slices.Index(roles, op.Role)
			if rank < 1 {
				t.Errorf("%s: x-role %q, want public or a role", key, op.Role)
				continue
			}
			url := strings.NewReplacer(":id", "x1", ":name", "x1", ":floor", "g").Replace(route)
			if rec := do(e, method, url, "{}", "application/json", nil, false); rec.Code != http.StatusUnauthorized {
				t.Errorf("%s without a session: %d, want 401", key, rec.Code)
			}
			// at the role itself the role check passes (what the handler
			// then says of the empty body and unknown IDs does not matter);
			// skipped: the live feed never ends, logout would end the session
			if key != "GET /api/v1/events" && key != "POST /api/v1/logout" {
				at := cr[op.Role]
				if rec := do(e, method, url, "{}", "application/json", &at, true); strings.Contains(rec.Body.String(), "needs role") {
					t.Errorf("%s as %s: %d %s, want the role allowed (x-role %s)", key, op.Role, rec.Code, trunc(rec.Body.String()), op.Role)
				}
			}
			if rank > 1 {
				below := cr[roles[rank-1]]
				if rec := do(e, method, url, "{}", "application/json", &below, true); rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "needs role") {
					t.Errorf("%s as %s: %d %s, want 403 (x-role %s)", key, roles[rank-1], rec.Code, trunc(rec.Body.String()), op.Role)
				}
			}
		}
	}
	for key := range served {
		if !documented[key] {
			t.Errorf("served, not in openapi.yaml: %s", key)
		}
	}
}
