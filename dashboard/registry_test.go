package dashboard

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
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
	return realRegistryOn(t, ev, nil)
}

// registryAdmin builds the dashboard on a fresh env with a real
// registry, logged in as the admin.
func registryAdmin(t *testing.T) (*echo.Echo, creds, *registry.Registry) {
	t.Helper()
	ev := newEnv(t)
	reg, _ := realRegistry(t, ev)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	return e, login(t, e, RoleAdmin, "admin-password"), reg
}

// realRegistryOn is realRegistry on the clock now (the wall clock when
// nil).
func realRegistryOn(t *testing.T, ev *env, now func() time.Time) (*registry.Registry, *store.SQLite) {
	t.Helper()
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfw.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	reg, err := registry.Open(context.Background(), db.DB(), db, registry.Options{Location: time.UTC, Site: ev.deps.Site, Now: now})
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
		// only the band's width was checked: 201 until 2026-12-07
		{name: "a band no sensor receives", given: `{"name":"hi","kind":"staff_radio","signature":{"freq_min_hz":1e15,"freq_max_hz":1.0000001e15}}`,
			wantCode: 400, wantBody: "freq_min_hz is 1e+09 MHz, outside the 1–6000 MHz"},
		{name: "a band below a hertz", given: `{"name":"lo","kind":"staff_radio","signature":{"freq_min_hz":1e-300,"freq_max_hz":400e6}}`,
			wantCode: 400, wantBody: "freq_min_hz is 1e-306 MHz"},
		{name: "no valid_from: from now on the system's clock", given: `{"name":"officer phone","kind":"official_phone","signature":{"class":"lte","freq_min_hz":1.71e9,"freq_max_hz":1.785e9},"rooms":["a-101"]}`,
			wantCode: 201, wantBody: `"valid_from":"2026-11-24T10:30:00Z"`, wantMatch: true},
		// A typo authorised nothing, without a word: false alarms.
		{name: "unknown room", given: `{"name":"officer phone","kind":"official_phone","signature":{"class":"lte","freq_min_hz":1.71e9,"freq_max_hz":1.785e9},"rooms":["a-101","NO-SUCH-ROOM"]}`,
			wantCode: 400, wantBody: `rooms [\"NO-SUCH-ROOM\"]`},
		{name: "unknown zone", given: `{"name":"officer phone","kind":"official_phone","signature":{"class":"lte","freq_min_hz":1.71e9,"freq_max_hz":1.785e9},"zones":["wing-z"]}`,
			wantCode: 400, wantBody: `zones [\"wing-z\"]`},
		{name: "known zone", given: `{"name":"officer phone","kind":"official_phone","signature":{"class":"lte","freq_min_hz":1.71e9,"freq_max_hz":1.785e9},"zones":["wing-a"]}`,
			wantCode: 201, wantBody: `"zones":["wing-a"]`, wantMatch: true},
		// bandwidth and power bounds: a negative or absurd one, or a
		// minimum above the maximum, is refused naming the field
		{name: "negative bandwidth_max_hz", given: `{"name":"officer phone","kind":"official_phone","signature":{"class":"lte","freq_min_hz":1.71e9,"freq_max_hz":1.785e9,"bandwidth_max_hz":-5e6},"rooms":["a-101"]}`,
			wantCode: 400, wantBody: "bandwidth_max_hz"},
		{name: "bandwidth_min_hz above bandwidth_max_hz", given: `{"name":"officer phone","kind":"official_phone","signature":{"class":"lte","freq_min_hz":1.71e9,"freq_max_hz":1.785e9,"bandwidth_min_hz":10e6,"bandwidth_max_hz":5e6},"rooms":["a-101"]}`,
			wantCode: 400, wantBody: "bandwidth_min_hz"},
		{name: "power_max_dbm of a megawatt", given: `{"name":"officer phone","kind":"official_phone","signature":{"class":"lte","freq_min_hz":1.71e9,"freq_max_hz":1.785e9,"power_max_dbm":1000},"rooms":["a-101"]}`,
			wantCode: 400, wantBody: "power_max_dbm"},
		{name: "power_min_dbm above power_max_dbm", given: `{"name":"officer phone","kind":"official_phone","signature":{"class":"lte","freq_min_hz":1.71e9,"freq_max_hz":1.785e9,"power_min_dbm":-20,"power_max_dbm":-30},"rooms":["a-101"]}`,
			wantCode: 400, wantBody: "power_min_dbm"},
		{name: "bandwidth and power bounds that fit", given: `{"name":"officer phone","kind":"official_phone","signature":{"class":"lte","freq_min_hz":1.71e9,"freq_max_hz":1.785e9,"bandwidth_min_hz":1.4e6,"bandwidth_max_hz":20e6,"power_min_dbm":-120,"power_max_dbm":-20},"rooms":["a-101"]}`,
			wantCode: 201, wantBody: `"power_max_dbm":-20`, wantMatch: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, c, reg := registryAdmin(t)
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

// TestRegistryAuditAddress: a registry change made through the dashboard
// is audited with the client's address, as the dashboard's own rows are
// (the registry writes its audit rows itself and knew no address: the
// rows of who authorised a device had an empty Address column).
func TestRegistryAuditAddress(t *testing.T) {
	ev := newEnv(t)
	_, db := realRegistry(t, ev)
	ev.deps.Auditor = db
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	c := login(t, e, RoleAdmin, "admin-password")
	rec := do(e, "POST", "/api/v1/registry", `{"name":"officer phone","kind":"official_phone","signature":{"class":"lte","freq_min_hz":1.71e9,"freq_max_hz":1.785e9},"rooms":["a-101"]}`, "application/json", &c, true)
	if rec.Code != 201 {
		t.Fatalf("POST = %d %s", rec.Code, rec.Body)
	}
	log, err := db.AuditLog(context.Background(), store.AuditFilter{Prefix: "registry."})
	if err != nil || len(log) != 1 {
		t.Fatalf("registry audit rows %+v, %v; want 1", log, err)
	}
	if log[0].Addr != "192.0.2.1" { // httptest's client address
		t.Errorf("registry.add audited from %q, want 192.0.2.1", log[0].Addr)
	}
}

// TestRegistryImportNonFinite: a CSV can carry "NaN" and "Inf", which
// JSON cannot; the import refuses such a bound with 400 naming the line
// and the column, and imports nothing.
func TestRegistryImportNonFinite(t *testing.T) {
	head := "id,name,kind,class,freq_min_hz,freq_max_hz,bandwidth_min_hz,bandwidth_max_hz,power_min_dbm,power_max_dbm,rooms,zones,schedule,valid_from,valid_until,added_by,notes\n"
	tests := []struct {
		name     string
		given    string // the CSV row after the header
		wantCode int
		wantBody string
	}{
		{name: "NaN bandwidth_max_hz", given: ",phone,official_phone,,1710000000,1785000000,,NaN,,,a-101,,,,,,\n", wantCode: 400, wantBody: "line 2"},
		{name: "Inf bandwidth_min_hz", given: ",phone,official_phone,,1710000000,1785000000,Inf,,,,a-101,,,,,,\n", wantCode: 400, wantBody: "bandwidth_min_hz"},
		{name: "NaN power_min_dbm", given: ",phone,official_phone,,1710000000,1785000000,,,NaN,,a-101,,,,,,\n", wantCode: 400, wantBody: "power_min_dbm"},
		{name: "-Inf power_max_dbm", given: ",phone,official_phone,,1710000000,1785000000,,,,-Inf,a-101,,,,,,\n", wantCode: 400, wantBody: "power_max_dbm"},
		{name: "finite bounds", given: ",phone,official_phone,,1710000000,1785000000,1400000,20000000,-120,-20,a-101,,,,,,\n", wantCode: 200, wantBody: `"imported":1`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, c, reg := registryAdmin(t)
			rec := do(e, "POST", "/api/v1/registry/import", head+tc.given, "text/csv", &c, true)
			if rec.Code != tc.wantCode || !strings.Contains(rec.Body.String(), tc.wantBody) {
				t.Fatalf("import = %d %s; want %d with %s", rec.Code, rec.Body, tc.wantCode, tc.wantBody)
			}
			if es, _ := reg.List(context.Background()); tc.wantCode != 200 && len(es) != 0 {
				t.Errorf("a refused file imported %d entries: %+v", len(es), es)
			}
		})
	}
}

// TestRegistryListsUndecodableEntry: a stored entry whose body does not
// decode is listed on the Registry page by its ID with a problem saying
// so (it was left out, and the dashboard would not start), and an admin
// fixes it by saving it anew.
func TestRegistryListsUndecodableEntry(t *testing.T) {
	ev := newEnv(t)
	reg, db := realRegistry(t, ev)
	ctx := context.Background()
	phone := registry.Entry{Name: "officer phone", Kind: registry.KindOfficialPhone,
		Signature: registry.Signature{Class: event.ClassLTE, FreqMinHz: 1.71e9, FreqMaxHz: 1.785e9}, Rooms: []string{"a-101"}}
	if _, err := reg.Add(ctx, phone, "admin"); err != nil {
		t.Fatal(err)
	}
	phone.Name = "officer phone 2"
	bad, err := reg.Add(ctx, phone, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.DB().ExecContext(ctx, `UPDATE registry_entry SET body = '{"name": "officer' WHERE id = ?`, bad.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Refresh(ctx); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	c := login(t, e, RoleAdmin, "admin-password")
	list := func() []registry.Entry {
		t.Helper()
		rec := do(e, "GET", "/api/v1/registry", "", "", &c, false)
		var es []registry.Entry
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &es) != nil {
			t.Fatalf("GET /registry = %d %s", rec.Code, rec.Body)
		}
		return es
	}
	es := list()
	if len(es) != 2 || es[1].ID != bad.ID || !strings.Contains(es[1].Problem, "does not decode") {
		t.Fatalf("listed %+v; want entry %d with a problem saying it does not decode", es, bad.ID)
	}
	rec := do(e, "PUT", fmt.Sprintf("/api/v1/registry/%d", bad.ID),
		`{"name":"officer phone 2","kind":"official_phone","signature":{"class":"lte","freq_min_hz":1.71e9,"freq_max_hz":1.785e9},"rooms":["a-101"]}`, "application/json", &c, true)
	if rec.Code != 200 {
		t.Fatalf("PUT = %d %s", rec.Code, rec.Body)
	}
	if es := list(); es[1].Problem != "" || es[1].Name != "officer phone 2" {
		t.Errorf("after saving it anew: %+v, want it fixed", es[1])
	}
}

// TestRegistryExpireThroughDashboard: "Expire now" answers 400 with the
// reason when the registry refuses (it answered 500, or silently changed
// the entry): an entry already expired, or one that does not decode. An
// entry not yet started is cancelled: it ends at its start. Nothing
// refused is audited.
func TestRegistryExpireThroughDashboard(t *testing.T) {
	ev := newEnv(t)
	reg, db := realRegistryOn(t, ev, func() time.Time { return testNow }) // the system's clock, as in the demo
	ctx := context.Background()
	phone := registry.Entry{Name: "officer phone", Kind: registry.KindOfficialPhone,
		Signature: registry.Signature{Class: event.ClassLTE, FreqMinHz: 1.71e9, FreqMaxHz: 1.785e9}, Rooms: []string{"a-101"},
		ValidFrom: testNow.Add(-time.Hour)}
	inForce, err := reg.Add(ctx, phone, "admin")
	if err != nil {
		t.Fatal(err)
	}
	phone.Name, phone.ValidFrom = "officer phone 2", testNow.Add(24*time.Hour)
	pending, err := reg.Add(ctx, phone, "admin")
	if err != nil {
		t.Fatal(err)
	}
	phone.Name, phone.ValidFrom = "officer phone 3", testNow.Add(-time.Hour)
	torn, err := reg.Add(ctx, phone, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.DB().ExecContext(ctx, `UPDATE registry_entry SET body = '{"name": "officer' WHERE id = ?`, torn.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	c := login(t, e, RoleAdmin, "admin-password")
	tests := []struct {
		name     string
		id       int64
		wantCode int
		wantBody string
	}{
		{name: "in force: ends now", id: inForce.ID, wantCode: 200, wantBody: `"valid_until":"2026-11-24T10:30:00Z"`},
		{name: "again: already expired", id: inForce.ID, wantCode: 400, wantBody: "already ends at 2026-11-24T10:30:00Z"},
		{name: "not started: cancelled", id: pending.ID, wantCode: 200, wantBody: `"valid_from":"2026-11-25T10:30:00Z","valid_until":"2026-11-25T10:30:00Z"`},
		{name: "does not decode", id: torn.ID, wantCode: 400, wantBody: "does not decode"},
		{name: "no such entry", id: 99, wantCode: 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := reg.History(ctx, tc.id)
			rec := do(e, "POST", fmt.Sprintf("/api/v1/registry/%d/expire", tc.id), "", "", &c, true)
			if rec.Code != tc.wantCode || !strings.Contains(rec.Body.String(), tc.wantBody) {
				t.Fatalf("expire = %d %s; want %d with %s", rec.Code, rec.Body, tc.wantCode, tc.wantBody)
			}
			h2, _ := reg.History(ctx, tc.id)
			if audited := len(h2) - len(h); audited != map[bool]int{true: 1, false: 0}[tc.wantCode == 200] {
				t.Errorf("%d audit entries added", audited)
			}
		})
	}
}

// TestRegistryUpdateConflict: a form loaded before another admin expired
// the entry, saved afterwards, is refused with 409 saying to reload, and
// the expiry stands (it silently authorised the device again).
func TestRegistryUpdateConflict(t *testing.T) {
	ev := newEnv(t)
	reg, _ := realRegistryOn(t, ev, func() time.Time { return testNow })
	ctx := context.Background()
	added, err := reg.Add(ctx, registry.Entry{Name: "officer phone", Kind: registry.KindOfficialPhone,
		Signature: registry.Signature{Class: event.ClassLTE, FreqMinHz: 1.71e9, FreqMaxHz: 1.785e9}, Rooms: []string{"a-101"},
		ValidFrom: testNow.Add(-time.Hour)}, "admin")
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	c := login(t, e, RoleAdmin, "admin-password")
	path := fmt.Sprintf("/api/v1/registry/%d", added.ID)
	rec := do(e, "GET", path, "", "", &c, false)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"revision":"`+added.Revision+`"`) {
		t.Fatalf("GET = %d %s; want the entry with its revision %s", rec.Code, rec.Body, added.Revision)
	}
	loaded := rec.Body.String()
	if rec := do(e, "POST", path+"/expire", "", "", &c, true); rec.Code != 200 {
		t.Fatalf("expire = %d %s", rec.Code, rec.Body)
	}
	stale := strings.Replace(loaded, `"name":"officer phone"`, `"name":"officer phone (B wing)"`, 1)
	rec = do(e, "PUT", path, stale, "application/json", &c, true)
	if rec.Code != 409 || !strings.Contains(rec.Body.String(), "changed") {
		t.Fatalf("PUT of the form read before the expiry = %d %s; want 409 saying it changed", rec.Code, rec.Body)
	}
	if got, _ := reg.Get(ctx, added.ID); got.ValidUntil.IsZero() || got.Name != "officer phone" {
		t.Errorf("after the refused save: %+v; want the expiry kept and the name unchanged", got)
	}
}

// TestRegistryImportConflicts: importing a file exported before another
// admin expired an entry is refused with 409 naming the line, the entry
// and the change (it re-authorised the device); a file without the
// revision column may not undo an expiry unless ?force=1; the reply counts
// what was added, updated and left unchanged (an unchanged round trip
// wrote and audited every entry).
func TestRegistryImportConflicts(t *testing.T) {
	ev := newEnv(t)
	reg, _ := realRegistryOn(t, ev, func() time.Time { return testNow })
	ctx := context.Background()
	for _, name := range []string{"officer phone 1", "officer phone 2"} {
		if _, err := reg.Add(ctx, registry.Entry{Name: name, Kind: registry.KindOfficialPhone,
			Signature: registry.Signature{Class: event.ClassLTE, FreqMinHz: 1.71e9, FreqMaxHz: 1.785e9}, Rooms: []string{"a-101"},
			ValidFrom: testNow.Add(-time.Hour)}, "admin"); err != nil {
			t.Fatal(err)
		}
	}
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	c := login(t, e, RoleAdmin, "admin-password")
	export := func() string {
		t.Helper()
		rec := do(e, "GET", "/api/v1/registry/export.csv", "", "", &c, false)
		if rec.Code != 200 {
			t.Fatalf("export = %d %s", rec.Code, rec.Body)
		}
		return rec.Body.String()
	}
	morning := export()
	rec := do(e, "POST", "/api/v1/registry/import", morning, "text/csv", &c, true)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"imported":0`) || !strings.Contains(rec.Body.String(), `"unchanged":2`) ||
		!strings.Contains(rec.Body.String(), `"added":0`) || !strings.Contains(rec.Body.String(), `"updated":0`) {
		t.Errorf("import of an unchanged export = %d %s; want 200, 2 unchanged, none imported", rec.Code, rec.Body)
	}
	if rec := do(e, "POST", "/api/v1/registry/1/expire", "", "", &c, true); rec.Code != 200 {
		t.Fatalf("expire = %d %s", rec.Code, rec.Body)
	}
	rec = do(e, "POST", "/api/v1/registry/import", morning, "text/csv", &c, true)
	if rec.Code != 409 || !strings.Contains(rec.Body.String(), "line 2") || !strings.Contains(rec.Body.String(), "entry 1 was changed") ||
		!strings.Contains(rec.Body.String(), "expired by admin") || !strings.Contains(rec.Body.String(), "export again") {
		t.Errorf("import of the export from before the expiry = %d %s; want 409 naming line 2, entry 1, the expiry", rec.Code, rec.Body)
	}
	// without the revision column, as written by hand or by an older
	// version: the row clears entry 1's valid_until
	var old []string
	for _, l := range strings.Split(strings.TrimSpace(morning), "\n") {
		old = append(old, l[:strings.LastIndex(l, ",")])
	}
	oldFile := strings.Join(old, "\n") + "\n"
	rec = do(e, "POST", "/api/v1/registry/import", oldFile, "text/csv", &c, true)
	if rec.Code != 409 || !strings.Contains(rec.Body.String(), "line 2") || !strings.Contains(rec.Body.String(), "force=1") {
		t.Errorf("import without revisions undoing the expiry = %d %s; want 409 saying force=1", rec.Code, rec.Body)
	}
	if got, _ := reg.Get(ctx, 1); got.ValidUntil.IsZero() {
		t.Fatalf("entry 1 authorised again by a refused import: %+v", got)
	}
	rec = do(e, "POST", "/api/v1/registry/import?force=1", oldFile, "text/csv", &c, true)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"updated":1`) || !strings.Contains(rec.Body.String(), `"imported":1`) {
		t.Errorf("forced import = %d %s; want 200, 1 updated", rec.Code, rec.Body)
	}
	if got, _ := reg.Get(ctx, 1); !got.ValidUntil.IsZero() {
		t.Errorf("entry 1 after the forced import: %+v; want its expiry undone, as asked", got)
	}
	if rec := do(e, "POST", "/api/v1/registry/import?force=yes", oldFile, "text/csv", &c, true); rec.Code != 400 {
		t.Errorf("force=yes = %d %s; want 400", rec.Code, rec.Body)
	}
}

// TestRegistryShowsUnknownPlaces: an entry naming a zone the site model
// no longer has (a wing renamed) is returned with its problem.
func TestRegistryShowsUnknownPlaces(t *testing.T) {
	ev := newEnv(t)
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfw.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	before, err := registry.Open(ctx, db.DB(), db, registry.Options{}) // before the site edit
	if err != nil {
		t.Fatal(err)
	}
	if _, err := before.Add(ctx, registry.Entry{Name: "staff radios", Kind: registry.KindStaffRadio, Zones: []string{"wing-old"},
		Signature: registry.Signature{FreqMinHz: 380e6, FreqMaxHz: 400e6}, ValidFrom: testNow.Add(-time.Hour)}, "admin"); err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Open(ctx, db.DB(), db, registry.Options{Site: ev.deps.Site})
	if err != nil {
		t.Fatal(err)
	}
	ev.deps.Registry = reg
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	c := login(t, e, RoleAdmin, "admin-password")
	for _, path := range []string{"/api/v1/registry/1", "/api/v1/registry"} {
		rec := do(e, "GET", path, "", "", &c, false)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"problem":"zones [\"wing-old\"]`) || !strings.Contains(rec.Body.String(), `"unknown_places":["zone wing-old"]`) {
			t.Errorf("GET %s = %d %s; want the entry's problem naming zone wing-old", path, rec.Code, rec.Body)
		}
	}
}

// TestRegistryRefusesHostileText: a name or notes holding control
// characters or a bidirectional override, a name that shows nothing, and
// notes of more than registry.MaxNotes characters are refused with 400
// naming the field by every way in (create, update, CSV import), and
// nothing is stored: until 2026-12-07 the name
// "ctl\u0000\u0007\u001b[31mRED\u202e" was stored (201) and written raw
// into export.csv, and a note of a million characters was taken.
func TestRegistryRefusesHostileText(t *testing.T) {
	const sig = `"kind":"official_phone","signature":{"class":"lte","freq_min_hz":1.71e9,"freq_max_hz":1.785e9},"rooms":["a-101"]`
	head := "id,name,kind,class,freq_min_hz,freq_max_hz,bandwidth_min_hz,bandwidth_max_hz,power_min_dbm,power_max_dbm,rooms,zones,schedule,valid_from,valid_until,added_by,notes\n"
	row := func(name, notes string) string {
		return head + `,"` + name + `",official_phone,lte,1710000000,1785000000,,,,,a-101,,,,,,"` + notes + "\"\n"
	}
	tests := []struct {
		name     string
		json     string // the entry's name and notes fields, for POST and PUT
		csv      string // the same as a CSV file
		wantBody string
	}{
		{name: "control characters and an override in the name", json: `"name":"ctl\u0000\u0007\u001b[31mRED\u202e"`,
			csv: row("ctl\x00\a\x1b[31mRED\u202e", ""), wantBody: "name: control character U+0000 at character 4"},
		{name: "an override in the name", json: `"name":"tablet\u202egnp.exe"`,
			csv: row("tablet\u202egnp.exe", ""), wantBody: "name: bidirectional control U+202E"},
		{name: "a zero-width space for a name", json: `"name":"\u200b"`, csv: row("\u200b", ""), wantBody: "name is missing"},
		{name: "an escape in the notes", json: `"name":"officer phone","notes":"see \u001b[2J"`,
			csv: row("officer phone", "see \x1b[2J"), wantBody: "notes: control character U+001B"},
		{name: "a million characters of notes", json: `"name":"officer phone","notes":"` + strings.Repeat("a", 1_000_000) + `"`,
			csv: row("officer phone", strings.Repeat("a", 1_000_000)), wantBody: "notes: longer than 2000 characters (1000000)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, c, reg := registryAdmin(t)
			rec := do(e, "POST", "/api/v1/registry", `{"name":"kiosk 1",`+sig+`}`, "application/json", &c, true)
			if rec.Code != 201 {
				t.Fatalf("POST of a plain entry = %d %s", rec.Code, rec.Body)
			}
			var added registry.Entry
			if err := json.Unmarshal(rec.Body.Bytes(), &added); err != nil {
				t.Fatal(err)
			}
			for _, w := range []struct{ method, path, body, ctype string }{
				{"POST", "/api/v1/registry", "{" + tc.json + "," + sig + "}", "application/json"},
				{"PUT", fmt.Sprintf("/api/v1/registry/%d", added.ID), "{" + tc.json + "," + sig + "}", "application/json"},
				{"POST", "/api/v1/registry/import", tc.csv, "text/csv"},
			} {
				rec := do(e, w.method, w.path, w.body, w.ctype, &c, true)
				if rec.Code != 400 || !strings.Contains(rec.Body.String(), tc.wantBody) {
					t.Errorf("%s %s = %d %.300s; want 400 with %s", w.method, w.path, rec.Code, rec.Body, tc.wantBody)
				}
			}
			if es, _ := reg.List(context.Background()); len(es) != 1 || es[0].Name != "kiosk 1" || es[0].Revision != added.Revision {
				t.Errorf("entries after the refusals: %+v; want only kiosk 1 as added", es)
			}
		})
	}
}

// TestRegistryExportImportRoundTrip: an entry whose notes were typed over
// lines (a form's "\r\n") and whose name has spaces round it is stored as
// typedtext.Normal makes them, so its export imported again unedited
// updates nothing: the CSV reader reads "\r\n" as "\n", and the round
// trip answered "updated":1 until 2026-12-07.
func TestRegistryExportImportRoundTrip(t *testing.T) {
	e, c, _ := registryAdmin(t)
	rec := do(e, "POST", "/api/v1/registry", `{"name":" officer phone ","notes":"issued 2026-11-01\r\ncharger in the office\r\n","kind":"official_phone",`+
		`"signature":{"class":"lte","freq_min_hz":1.71e9,"freq_max_hz":1.785e9},"rooms":["a-101"]}`, "application/json", &c, true)
	if rec.Code != 201 {
		t.Fatalf("POST = %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(rec.Body.String(), `"name":"officer phone"`) || !strings.Contains(rec.Body.String(), `"notes":"issued 2026-11-01\ncharger in the office"`) {
		t.Errorf("POST = %s; want the name trimmed and the note's line break \\n", rec.Body)
	}
	file := do(e, "GET", "/api/v1/registry/export.csv", "", "", &c, false)
	if file.Code != 200 {
		t.Fatalf("export = %d %s", file.Code, file.Body)
	}
	rec = do(e, "POST", "/api/v1/registry/import", file.Body.String(), "text/csv", &c, true)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"updated":0`) || !strings.Contains(rec.Body.String(), `"unchanged":1`) {
		t.Errorf("import of the unedited export = %d %s; want 200, updated 0, unchanged 1", rec.Code, rec.Body)
	}
}

// TestRegistryAddDuplicate: an entry posted again while the first is live
// (the same name, kind, signature and places) is refused with 409 naming
// that entry, as the CSV import refuses such a row, and of twenty posted
// at once one is stored: until 2026-12-07 each post stored it again
// (twenty 201s).
func TestRegistryAddDuplicate(t *testing.T) {
	const entry = `{"name":"officer phone","kind":"official_phone","signature":{"class":"lte","freq_min_hz":1.71e9,"freq_max_hz":1.785e9},"rooms":["a-101"]}`
	const want = "already in the register as entry 1 (the same name, kind, signature and places): give its id to update it"
	t.Run("one after the other", func(t *testing.T) {
		e, c, reg := registryAdmin(t)
		if rec := do(e, "POST", "/api/v1/registry", entry, "application/json", &c, true); rec.Code != 201 {
			t.Fatalf("first POST = %d %s", rec.Code, rec.Body)
		}
		if rec := do(e, "POST", "/api/v1/registry", entry, "application/json", &c, true); rec.Code != 409 || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("second POST = %d %s; want 409 saying %q", rec.Code, rec.Body, want)
		}
		if n := reg.Len(); n != 1 {
			t.Errorf("%d entries, want 1", n)
		}
	})
	t.Run("twenty at once", func(t *testing.T) {
		e, c, reg := registryAdmin(t)
		codes := make([]int, 20)
		bodies := make([]string, 20)
		var wg sync.WaitGroup
		for i := range codes {
			wg.Go(func() {
				rec := do(e, "POST", "/api/v1/registry", entry, "application/json", &c, true)
				codes[i], bodies[i] = rec.Code, rec.Body.String()
			})
		}
		wg.Wait()
		created := 0
		for i, code := range codes {
			switch {
			case code == 201:
				created++
			case code != 409 || !strings.Contains(bodies[i], "already in the register as entry"):
				t.Errorf("POST = %d %s; want 201 or 409", code, bodies[i])
			}
		}
		if created != 1 || reg.Len() != 1 {
			t.Errorf("%d POSTs answered 201, %d entries; want 1 and 1 (codes %v)", created, reg.Len(), codes)
		}
	})
}

// TestRegistryUpdateDuplicate: a PUT that makes an entry a live one's
// device (the same name, kind, signature and places) is refused with 409
// naming that entry and leaves the entry as it was, as a POST of it is
// refused; until 2026-12-07 it answered 200 and the register held the
// device twice. A PUT of an entry as read is still 200.
func TestRegistryUpdateDuplicate(t *testing.T) {
	const sig = `"kind":"official_phone","signature":{"class":"lte","freq_min_hz":1.71e9,"freq_max_hz":1.785e9}`
	e, c, reg := registryAdmin(t)
	for _, body := range []string{`{"name":"officer phone",` + sig + `,"rooms":["a-101"]}`, `{"name":"officer phone",` + sig + `,"rooms":["a-102"]}`} {
		if rec := do(e, "POST", "/api/v1/registry", body, "application/json", &c, true); rec.Code != 201 {
			t.Fatalf("POST = %d %s", rec.Code, rec.Body)
		}
	}
	second, err := reg.Get(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	const want = "already in the register as entry 1 (the same name, kind, signature and places), which entry 2 would then repeat"
	rec := do(e, "PUT", "/api/v1/registry/2", `{"name":"Officer phone",`+sig+`,"rooms":["a-101"]}`, "application/json", &c, true)
	if rec.Code != 409 || !strings.Contains(rec.Body.String(), want) {
		t.Errorf("PUT of entry 2 as entry 1's device = %d %s; want 409 saying %q", rec.Code, rec.Body, want)
	}
	if got, _ := reg.Get(context.Background(), 2); got.Revision != second.Revision {
		t.Errorf("entry 2 after the refusal: %+v; want it as it was", got)
	}
	read := do(e, "GET", "/api/v1/registry/1", "", "", &c, false)
	if read.Code != 200 {
		t.Fatalf("GET = %d %s", read.Code, read.Body)
	}
	if rec := do(e, "PUT", "/api/v1/registry/1", read.Body.String(), "application/json", &c, true); rec.Code != 200 {
		t.Errorf("PUT of entry 1 as read = %d %s; want 200", rec.Code, rec.Body)
	}
}

// TestRegistryNoEndOmitted: an entry with no end has no valid_until in
// what the API answers (its create, the list, the entry), where it had
// "0001-01-01T00:00:00Z", an end in year 1 to a client; one with an end
// has it. Saved back as read (PUT) it is unchanged, and its export's
// valid_until cell is empty.
func TestRegistryNoEndOmitted(t *testing.T) {
	const sig = `"kind":"official_phone","signature":{"class":"lte","freq_min_hz":1.71e9,"freq_max_hz":1.785e9}`
	e, c, reg := registryAdmin(t)
	for _, body := range []string{`{"name":"officer phone",` + sig + `,"rooms":["a-101"]}`, `{"name":"visitor phone",` + sig + `,"rooms":["a-102"],"valid_until":"2099-01-01T00:00:00Z"}`} {
		rec := do(e, "POST", "/api/v1/registry", body, "application/json", &c, true)
		if rec.Code != 201 {
			t.Fatalf("POST = %d %s", rec.Code, rec.Body)
		}
		if strings.Contains(body, "valid_until") != strings.Contains(rec.Body.String(), "valid_until") {
			t.Errorf("POST %s answered %s; want valid_until only with an end", body, rec.Body)
		}
	}
	var list []map[string]any
	rec := do(e, "GET", "/api/v1/registry", "", "", &c, false)
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &list) != nil || len(list) != 2 {
		t.Fatalf("GET /registry = %d %s", rec.Code, rec.Body)
	}
	if v, ok := list[0]["valid_until"]; ok {
		t.Errorf("listed entry 1 has valid_until %v; want none (no end)", v)
	}
	if v := list[1]["valid_until"]; v != "2099-01-01T00:00:00Z" {
		t.Errorf("listed entry 2 has valid_until %v; want 2099-01-01T00:00:00Z", v)
	}
	read := do(e, "GET", "/api/v1/registry/1", "", "", &c, false)
	if read.Code != 200 || strings.Contains(read.Body.String(), "valid_until") {
		t.Fatalf("GET /registry/1 = %d %s; want no valid_until", read.Code, read.Body)
	}
	before, _ := reg.Get(context.Background(), 1)
	put := do(e, "PUT", "/api/v1/registry/1", read.Body.String(), "application/json", &c, true)
	if after, _ := reg.Get(context.Background(), 1); put.Code != 200 || after.Revision != before.Revision || !after.ValidUntil.IsZero() {
		t.Errorf("PUT as read = %d %s, entry now %+v; want 200 and it unchanged, with no end", put.Code, put.Body, after)
	}
	file := do(e, "GET", "/api/v1/registry/export.csv", "", "", &c, false)
	recs, err := csv.NewReader(strings.NewReader(file.Body.String())).ReadAll()
	if err != nil || len(recs) != 3 {
		t.Fatalf("export = %d %s, %v", file.Code, file.Body, err)
	}
	col := slices.Index(recs[0], "valid_until")
	if col < 0 || recs[1][col] != "" || recs[2][col] != "2099-01-01T00:00:00Z" {
		t.Errorf("export's valid_until cells %q; want none for entry 1, 2099-01-01T00:00:00Z for entry 2", recs)
	}
}

// TestRegistryWriteFailureIs500: an add or update the database fails is
// 500 (the server's fault, logged), not 400 blaming the form as it was;
// an invalid entry stays 400.
func TestRegistryWriteFailureIs500(t *testing.T) {
	ev := newEnv(t)
	ev.deps.Registry = failingRegistry{ev.reg}
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	admin := login(t, e, RoleAdmin, "admin-password")
	body := `{"name":"Radio 9","kind":"staff_radio","signature":{"freq_min_hz":380e6,"freq_max_hz":400e6}}`
	for _, tc := range []struct{ method, path, body string }{{"POST", "/api/v1/registry", body}, {"PUT", "/api/v1/registry/1", body}} {
		if rec := do(e, tc.method, tc.path, tc.body, "application/json", &admin, true); rec.Code != http.StatusInternalServerError {
			t.Errorf("%s %s with the database failing: %d %s, want 500", tc.method, tc.path, rec.Code, trunc(rec.Body.String()))
		}
	}
	ev.deps.Registry = ev.reg
	e, err = New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	admin = login(t, e, RoleAdmin, "admin-password")
	if rec := do(e, "POST", "/api/v1/registry", `{"kind":"staff_radio"}`, "application/json", &admin, true); rec.Code != http.StatusBadRequest {
		t.Errorf("POST an entry with no name: %d %s, want 400", rec.Code, trunc(rec.Body.String()))
	}
}

// failingRegistry is a registry whose database fails every write.
type failingRegistry struct{ *fakeRegistry }

func (failingRegistry) Add(context.Context, registry.Entry, string) (registry.Entry, error) {
	return registry.Entry{}, errors.New("database is locked")
}

func (failingRegistry) Update(context.Context, registry.Entry, string) (registry.Entry, error) {
	return registry.Entry{}, errors.New("database is locked")
}

// TestRegistryFormBoundsAsServer: the Registry page's name and notes
// fields stop typing where the server would refuse (registry.MaxName,
// registry.MaxNotes), as the acknowledgement notes do; they had no bound,
// and a long paste was refused only on Save.
func TestRegistryFormBoundsAsServer(t *testing.T) {
	page, err := webFS.ReadFile("web/index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		fmt.Sprintf(`<input name="name" required maxlength="%d">`, registry.MaxName),
		fmt.Sprintf(`<input name="notes" maxlength="%d">`, registry.MaxNotes),
	} {
		if !strings.Contains(string(page), want) {
			t.Errorf("index.html has no %s", want)
		}
	}
}
