package dashboard

import (
	"cmp"
	"encoding/json"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/labstack/echo/v4"

	"github.com/rfwarden/rfwarden/fusion/registry"
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
		if r.Path == "/" || r.Path == "/static/*" || r.Method == echo.RouteNotFound {
			continue // the UI's page and files; the API's 404 and 405 (apiNotFound)
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

// TestOpenAPIRegistryEntrySchema: the document's RegistryEntry,
// RegistrySignature and RegistryWindow name every JSON field of
// registry.Entry, Signature and Window, and no other (warnings and
// schedule were missing: a client written from the document never saw
// an entry's warnings nor its hours); the entry routes answer and take
// that schema; and what the dashboard sends for an entry with hours and
// a warning has only documented fields, warnings and schedule among them,
// and is taken back as it was sent (PUT).
func TestOpenAPIRegistryEntrySchema(t *testing.T) {
	type schema struct {
		Properties map[string]any `yaml:"properties"`
		Items      *schema        `yaml:"items"`
		Ref        string         `yaml:"$ref"`
	}
	type content struct {
		JSON struct {
			Schema schema `yaml:"schema"`
		} `yaml:"application/json"`
	}
	type op struct {
		RequestBody struct {
			Content content `yaml:"content"`
		} `yaml:"requestBody"`
		Responses map[string]struct {
			Content content `yaml:"content"`
		} `yaml:"responses"`
	}
	var doc struct {
		Components struct {
			Schemas map[string]schema `yaml:"schemas"`
		} `yaml:"components"`
		Paths map[string]map[string]op `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openapiYAML, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	for name, typ := range map[string]reflect.Type{
		"RegistryEntry":     reflect.TypeFor[registry.Entry](),
		"RegistrySignature": reflect.TypeFor[registry.Signature](),
		"RegistryWindow":    reflect.TypeFor[registry.Window](),
	} {
		var fields []string
		for f := range typ.Fields() {
			if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag != "" && tag != "-" {
				fields = append(fields, tag)
			}
		}
		slices.Sort(fields)
		documented := slices.Sorted(maps.Keys(doc.Components.Schemas[name].Properties))
		if !slices.Equal(documented, fields) {
			t.Errorf("openapi.yaml %s properties %v; %s has JSON fields %v", name, documented, typ, fields)
		}
	}

	const entryRef = "#/components/schemas/RegistryEntry"
	for _, tc := range []struct {
		path, method, code string // code "": the request body
		list               bool
	}{
		{path: "/registry", method: "get", code: "200", list: true},
		{path: "/registry", method: "post"},
		{path: "/registry", method: "post", code: "201"},
		{path: "/registry/{id}", method: "get", code: "200"},
		{path: "/registry/{id}", method: "put"},
		{path: "/registry/{id}", method: "put", code: "200"},
		{path: "/registry/{id}/expire", method: "post", code: "200"},
	} {
		o := doc.Paths[tc.path][tc.method]
		s := o.RequestBody.Content.JSON.Schema
		if tc.code != "" {
			s = o.Responses[tc.code].Content.JSON.Schema
		}
		if tc.list && s.Items != nil {
			s = *s.Items
		}
		if s.Ref != entryRef {
			t.Errorf("%s %s %s: schema %+v, want %s", strings.ToUpper(tc.method), tc.path, cmp.Or(tc.code, "request body"), s, entryRef)
		}
	}

	e, c, _ := registryAdmin(t)
	// anywhere on the site over LTE B3: warned (phone uplinks in every cell)
	rec := do(e, "POST", "/api/v1/registry", `{"name":"staff phones","kind":"official_phone","signature":{"class":"lte","freq_min_hz":1.71e9,"freq_max_hz":1.785e9},`+
		`"schedule":[{"weekday":1,"start_min":480,"end_min":1200},{"weekday":6,"start_min":1320,"end_min":1800}]}`, "application/json", &c, true)
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST /registry: %d %s", rec.Code, trunc(rec.Body.String()))
	}
	added := rec.Body.String()
	var id struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &id); err != nil {
		t.Fatal(err)
	}
	sent := map[string]string{"POST /registry": added}
	rec = do(e, "PUT", "/api/v1/registry/"+strconv.FormatInt(id.ID, 10), added, "application/json", &c, true)
	if rec.Code != http.StatusOK {
		t.Errorf("PUT /registry/%d with the entry as POST answered it: %d %s, want it taken", id.ID, rec.Code, trunc(rec.Body.String()))
	}
	sent["PUT /registry/{id}"] = rec.Body.String()
	sent["GET /registry/{id}"] = do(e, "GET", "/api/v1/registry/"+strconv.FormatInt(id.ID, 10), "", "", &c, false).Body.String()
	var list []json.RawMessage
	if err := json.Unmarshal(do(e, "GET", "/api/v1/registry", "", "", &c, false).Body.Bytes(), &list); err != nil || len(list) != 1 {
		t.Fatalf("GET /registry: %d entries, %v; want 1", len(list), err)
	}
	sent["GET /registry"] = string(list[0])
	entryProps := doc.Components.Schemas["RegistryEntry"].Properties
	for route, body := range sent {
		var got map[string]json.RawMessage
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Errorf("%s: %v: %s", route, err, trunc(body))
			continue
		}
		for k := range got {
			if _, ok := entryProps[k]; !ok {
				t.Errorf("%s sent %q, not in openapi.yaml's RegistryEntry", route, k)
			}
		}
		if !strings.Contains(string(got["warnings"]), "authorises phone uplinks in every cell") {
			t.Errorf("%s warnings %s, want the phone warning", route, got["warnings"])
		}
		if !strings.Contains(string(got["schedule"]), `"start_min":1320,"end_min":1800`) {
			t.Errorf("%s schedule %s, want the hours posted", route, got["schedule"])
		}
	}
}
