package dashboard

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// TestQueryParamsChecked: a list endpoint refuses (400, naming it) a query
// parameter it does not take, one given twice, and a value it does not
// know. They were ignored: GET /alerts?since=abc and ?limit=-1 answered
// 200 with the usual list, as if the filter had been applied.
func TestQueryParamsChecked(t *testing.T) {
	ev := newEnv(t)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	admin := login(t, e, RoleAdmin, "admin-password")
	tests := []struct {
		given    string // GET path and query
		wantCode int
		wantSays string // in the error, for a 400
	}{
		{"/api/v1/alerts?since=abc", 400, `"since"`},
		{"/api/v1/alerts?limit=-1", 400, `"limit"`},
		{"/api/v1/alerts?state=bogus", 400, `state "bogus"`},
		{"/api/v1/alerts?severity=high", 400, `severity "high"`},
		{"/api/v1/alerts?unacked=yes", 400, `unacked "yes"`},
		{"/api/v1/alerts?window=hour&window=day", 400, `"window" given 2 times`},
		{"/api/v1/alerts?window=fortnight", 400, `window "fortnight"`},
		{"/api/v1/alerts?zone=wing-a&rule=illicit_phone&severity=critical&state=firing&unacked=1&window=day", 200, ""},
		{"/api/v1/alerts?unacked=0", 200, ""},
		{"/api/v1/alerts/export.csv?limit=5", 400, `"limit"`},
		{"/api/v1/alerts/export.csv?window=month", 200, ""},
		{"/api/v1/incidents/export.csv?since=2026-11-01", 400, `"since"`},
		{"/api/v1/incidents/export.csv?from=2026-11-01&to=2026-11-24", 200, ""},
		{"/api/v1/incidents?limit=1", 400, `"limit"`},
		{"/api/v1/incidents?state=open&state=closed", 400, `"state" given 2 times`},
		{"/api/v1/incidents?state=open&window=day", 200, ""},
		{"/api/v1/audit?offset=10", 400, `"offset"`},
		{"/api/v1/audit?limit=10", 200, ""},
		{"/api/v1/audit?user=admin&action=login", 200, ""},
		{"/api/v1/heatmap?from=2026-11-01", 400, `"from"`},
		{"/api/v1/heatmap?window=day&hour=3&show=targets", 200, ""},
		{"/api/v1/locations?minutes=10&track=t1", 400, `"track"`},
		{"/api/v1/locations?minutes=10", 200, ""},
		{"/api/v1/sensors/s1/health?since=1", 400, `"since"`},
		{"/api/v1/sensors/s1/health?window=day", 200, ""},
		{"/api/v1/sensors?site=x", 400, `"site"`},
		{"/api/v1/search?limit=3", 400, `"limit"`},
		{"/api/v1/users?role=admin", 400, `"role"`},
		{"/api/v1/replay/recordings?limit=3", 400, `"limit"`},
		{"/api/v1/events?kinds=alert,bogus", 400, `kinds "bogus"`},
		{"/api/v1/events?sensor=s%2F1", 400, `sensor "s/1"`},
		{"/api/v1/events?since=1", 400, `"since"`},
	}
	for _, tc := range tests {
		t.Run(tc.given, func(t *testing.T) {
			rec := do(e, http.MethodGet, tc.given, "", "", &admin, false)
			var body struct{ Error string }
			_ = json.Unmarshal(rec.Body.Bytes(), &body)
			if rec.Code != tc.wantCode || !strings.Contains(body.Error, tc.wantSays) {
				t.Errorf("GET %s: %d %.200s, want %d saying %s", tc.given, rec.Code, rec.Body, tc.wantCode, tc.wantSays)
			}
		})
	}
}

// TestOpenAPIQueryParams: each list endpoint takes the query parameters
// openapi.yaml names for it, and refuses any other.
func TestOpenAPIQueryParams(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name string `yaml:"name"`
				In   string `yaml:"in"`
			} `yaml:"parameters"`
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
	admin := login(t, e, RoleAdmin, "admin-password")
	lists := []string{"/alerts", "/alerts/export.csv", "/incidents", "/incidents/export.csv", "/audit", "/audit/export.csv", "/heatmap", "/locations",
		"/search", "/sensors", "/sensors/{id}/health", "/users", "/replay/recordings", "/events"}
	for _, path := range lists {
		op, ok := doc.Paths[path]["get"]
		if !ok {
			t.Errorf("openapi.yaml has no GET %s", path)
			continue
		}
		url := "/api/v1" + strings.ReplaceAll(path, "{id}", "s1")
		for _, p := range op.Parameters {
			if p.In != "query" {
				continue
			}
			// a value the parameter does not take, so the live feed answers too
			rec := do(e, http.MethodGet, url+"?"+p.Name+"=%20bad%20value", "", "", &admin, false)
			if strings.Contains(rec.Body.String(), "unknown query parameter") {
				t.Errorf("GET %s?%s (documented): %d %s", url, p.Name, rec.Code, rec.Body)
			}
		}
		if rec := do(e, http.MethodGet, url+"?undocumented=1", "", "", &admin, false); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "undocumented") {
			t.Errorf("GET %s?undocumented=1: %d %.200s, want 400 naming it", url, rec.Code, rec.Body)
		}
	}
}
