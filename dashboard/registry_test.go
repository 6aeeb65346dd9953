package dashboard

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// realRegistry swaps the env's fake registry for a real one over SQLite,
// knowing the env's site, on the wall clock (its default): the dashboard's own clock, testNow, is
// in the past like the demo's simulated clock, and must be the one a new
// entry's missing valid_from is read on.
func realRegistry(t *testing.T, ev *env) (*registry.Registry, *store.SQLite) {
	t.Helper()
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfw.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	reg, err := registry.Open(context.Background(), db.DB(), db, registry.Options{Location: time.UTC, Site: ev.deps.Site})
	if err != nil {
		t.Fatal(err)
	}
	ev.deps.Registry = reg
	return reg, db
}

// TestRegistryAddThroughDashboard: what an admin adds on the Registry page
// is checked against the rules, and a valid entry without valid_from takes
// effect at once on the system's clock (the demo's is in the past: an
// entry stamped with the wall clock never took effect there).
func TestRegistryAddThroughDashboard(t *testing.T) {
	tests := []struct {
		name      string
		given     string // the entry POSTed
		wantCode  int
		wantBody  string // in the response
		wantMatch bool   // an LTE uplink in a-101 at testNow is then authorised
	}{
		{name: "no band at all", given: `{"name":"x","kind":"official_phone","signature":{"class":"","freq_min_hz":0,"freq_max_hz":0}}`,
			wantCode: 400, wantBody: "freq_min_hz"},
		{name: "no valid_from: from now on the system's clock", given: `{"name":"officer phone","kind":"official_phone","signature":{"class":"lte","freq_min_hz":1.71e9,"freq_max_hz":1.785e9},"rooms":["a-101"]}`,
			wantCode: 201, wantBody: `"valid_from":"2026-11-24T10:30:00Z"`, wantMatch: true},
		// A typo authorised nothing, without a word: false alarms.
		{name: "unknown room", given: `{"name":"officer phone","kind":"official_phone","signature":{"class":"lte","freq_min_hz":1.71e9,"freq_max_hz":1.785e9},"rooms":["a-101","NO-SUCH-ROOM"]}`,
			wantCode: 400, wantBody: `rooms [\"NO-SUCH-ROOM\"]`},
		{name: "unknown zone", given: `{"name":"officer phone","kind":"official_phone","signature":{"class":"lte","freq_min_hz":1.71e9,"freq_max_hz":1.785e9},"zones":["wing-z"]}`,
			wantCode: 400, wantBody: `zones [\"wing-z\"]`},
		{name: "known zone", given: `{"name":"officer phone","kind":"official_phone","signature":{"class":"lte","freq_min_hz":1.71e9,"freq_max_hz":1.785e9},"zones":["wing-a"]}`,
			wantCode: 201, wantBody: `"zones":["wing-a"]`, wantMatch: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t)
			reg, _ := realRegistry(t, ev)
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			c := login(t, e, RoleAdmin, "admin-password")
			rec := do(e, "POST", "/api/v1/registry", tc.given, "application/json", &c, true)
			if rec.Code != tc.wantCode || !strings.Contains(rec.Body.String(), tc.wantBody) {
				t.Fatalf("POST = %d %s; want %d with %s", rec.Code, rec.Body, tc.wantCode, tc.wantBody)
			}
			d := event.Detection{Schema: 1, ID: "d", Site: "hmp1", Sensor: "s1", TimeNS: testNow.UnixNano(), CenterHz: 1747.5e6, BandwidthHz: 5e6,
				PowerDBm: -60, Link: event.LinkUplink, Class: event.ClassLTE}
			if _, ok := reg.Match(d, registry.Place{Room: "a-101", Zones: []string{"wing-a"}}, testNow); ok != tc.wantMatch {
				var got registry.Entry
				_ = json.Unmarshal(rec.Body.Bytes(), &got)
				t.Errorf("phone in a-101 at %s authorised = %v, want %v (entry valid from %s)", testNow, ok, tc.wantMatch, got.ValidFrom)
			}
		})
	}
}
