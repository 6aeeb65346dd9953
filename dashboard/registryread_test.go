package dashboard

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// registryReadEnv is a dashboard over a real registry and audit log
// (SQLite), with one entry, ID 1, that the admin added; its clock is now
// (testNow when nil).
func registryReadEnv(t *testing.T, now func() time.Time) (*echo.Echo, *store.SQLite) {
	t.Helper()
	ev := newEnv(t)
	_, db := realRegistry(t, ev)
	ev.deps.Auditor = db
	if now != nil {
		ev.deps.Now = now
	}
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	admin := login(t, e, RoleAdmin, "admin-password")
	rec := do(e, "POST", "/api/v1/registry", `{"name":"radio of officer Smith","kind":"staff_radio","signature":{"class":"lte","freq_min_hz":1.71e9,"freq_max_hz":1.785e9},"rooms":["a-101"]}`, "application/json", &admin, true)
	if rec.Code != 201 {
		t.Fatalf("POST = %d %s", rec.Code, rec.Body)
	}
	return e, db
}

// TestRegistryReadsAudited: docs/data-protection.md, Audit, says the log
// records views of the registry (view.registry). The registry names the
// staff who carry radios and the cells of in-cell tablets; an analyst
// reading one entry, or its history, left no row, while the list did.
// Each read is audited as the other views are (auditView): once per
// user, session and thing read in viewAuditPeriod, so the page's reads
// again after each change add no row; another thing read, or the same
// once the period has passed, does.
func TestRegistryReadsAudited(t *testing.T) {
	tests := []struct {
		name       string
		path       string
		wantObject string
		wantAfter  string
	}{
		{name: "the list", path: "/api/v1/registry", wantObject: "registry"},
		{name: "one entry", path: "/api/v1/registry/1", wantObject: "registry/1"},
		{name: "one entry's history", path: "/api/v1/registry/1/history", wantObject: "registry/1", wantAfter: "history"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := testNow
			e, db := registryReadEnv(t, func() time.Time { return now })
			analyst := login(t, e, RoleAnalyst, "analyst-password")
			rows := func() []store.AuditEntry {
				t.Helper()
				rows, err := db.AuditLog(context.Background(), store.AuditFilter{User: RoleAnalyst, Prefix: "view.registry"})
				if err != nil {
					t.Fatal(err)
				}
				return rows
			}
			for i, step := range []struct {
				after time.Duration // since testNow
				want  int           // view.registry rows by the analyst then
			}{
				{0, 1},
				{time.Minute, 1}, // read again: the same row stands
				{viewAuditPeriod + time.Minute, 2},
			} {
				now = testNow.Add(step.after)
				if rec := do(e, "GET", tc.path, "", "", &analyst, false); rec.Code != 200 {
					t.Fatalf("read %d: GET %s = %d %s", i, tc.path, rec.Code, rec.Body)
				}
				got := rows()
				if len(got) != step.want {
					t.Fatalf("read %d (at +%s): %d view.registry rows by the analyst %+v, want %d", i, step.after, len(got), got, step.want)
				}
				if r := got[0]; r.Action != "view.registry" || r.Object != tc.wantObject || r.After != tc.wantAfter {
					t.Errorf("read %d: audited %s %s %q, want view.registry %s %q", i, r.Action, r.Object, r.After, tc.wantObject, tc.wantAfter)
				}
			}
		})
	}
}

// TestRegistryHistoryShowsNoAuditAddress: docs/data-protection.md, Roles,
// gives the audit log to admins alone. An entry's history (analysts)
// answered the audit log's rows whole, the client address of each
// admin's change among them, and would list the reads of the entry
// (view.registry: who looked at it) with its changes. An analyst now
// gets the changes without addresses; an admin, who may read the audit
// log, gets them with theirs.
func TestRegistryHistoryShowsNoAuditAddress(t *testing.T) {
	tests := []struct {
		role     string
		wantAddr string
	}{
		{role: RoleAnalyst, wantAddr: ""},
		{role: RoleAdmin, wantAddr: "192.0.2.1"}, // httptest's client address, the admin's
	}
	for _, tc := range tests {
		t.Run(tc.role, func(t *testing.T) {
			e, _ := registryReadEnv(t, nil)
			c := login(t, e, tc.role, tc.role+"-password")
			if rec := do(e, "GET", "/api/v1/registry/1", "", "", &c, false); rec.Code != 200 { // a read of it, audited on registry/1
				t.Fatalf("GET entry = %d %s", rec.Code, rec.Body)
			}
			rec := do(e, "GET", "/api/v1/registry/1/history", "", "", &c, false)
			if rec.Code != 200 {
				t.Fatalf("GET history = %d %s", rec.Code, rec.Body)
			}
			var hist []map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &hist); err != nil {
				t.Fatalf("history %s: %v", rec.Body, err)
			}
			if len(hist) != 1 || hist[0]["action"] != "registry.add" || hist[0]["user"] != RoleAdmin {
				t.Fatalf("history %s; want the admin's registry.add alone (its changes, not the reads of it)", rec.Body)
			}
			addr, _ := hist[0]["addr"].(string)
			if addr != tc.wantAddr {
				t.Errorf("%s's history shows addr %q, want %q: %s", tc.role, addr, tc.wantAddr, rec.Body)
			}
		})
	}
}
