package dashboard

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestReadsRefuseUnknownQuery: every GET refuses a query parameter it
// does not know (400 naming it), as /alerts and /sensors already did; the
// reads of one thing (/me, /site, an alert, an incident, the registry)
// ignored them, so /registry?kind=staff_radio answered every entry as if
// it had filtered. And a sensor's health names a sensor of the site
// model, as its maintenance does: a typo's was 200 [].
func TestReadsRefuseUnknownQuery(t *testing.T) {
	e, admin := serveAs(t, RoleAdmin)
	for _, path := range []string{"/api/v1/me", "/api/v1/site", "/api/v1/floors/g/svg", "/api/v1/alerts/al1", "/api/v1/incidents/inc1",
		"/api/v1/incidents/inc1/bundle.zip", "/api/v1/registry", "/api/v1/registry/1", "/api/v1/registry/1/history", "/api/v1/registry/export.csv"} {
		if rec := do(e, "GET", path, "", "", &admin, false); rec.Code != 200 {
			t.Errorf("GET %s: %d %s, want 200", path, rec.Code, trunc(rec.Body.String()))
		}
		rec := do(e, "GET", path+"?kind=staff_radio", "", "", &admin, false)
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), "kind") {
			t.Errorf("GET %s?kind=staff_radio: %d %s, want 400 naming kind", path, rec.Code, trunc(rec.Body.String()))
		}
	}
	if rec := do(e, "GET", "/api/v1/sensors/s1/health", "", "", &admin, false); rec.Code != 200 {
		t.Errorf("health of s1: %d %s, want 200", rec.Code, trunc(rec.Body.String()))
	}
	if rec := do(e, "GET", "/api/v1/sensors/nope/health", "", "", &admin, false); rec.Code != 404 || !strings.Contains(rec.Body.String(), `sensor \"nope\" is not in the site model`) {
		t.Errorf("health of nope: %d %s, want 404 naming it", rec.Code, trunc(rec.Body.String()))
	}
}

// TestLoginAnswersAsMe: the login's answer is /me's (the site, its zone,
// the server's clock), not one lacking the site and saying now_ns 0.
func TestLoginAnswersAsMe(t *testing.T) {
	ev := newEnv(t)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	rec := do(e, "POST", "/api/v1/login", `{"user":"viewer","password":"viewer-password"}`, "application/json", nil, false)
	var got meResp
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != 200 {
		t.Fatalf("login: %d %s %v", rec.Code, trunc(rec.Body.String()), err)
	}
	if got.Site != "hmp1" || got.NowNS != testNow.UnixNano() || got.User != "viewer" || got.CSRF == "" {
		t.Errorf("login answered %+v, want /me's: site hmp1, now_ns %d", got, testNow.UnixNano())
	}
}
