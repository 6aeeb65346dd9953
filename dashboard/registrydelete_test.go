package dashboard

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestRegistryDeleteThroughDashboard: docs/data-protection.md's inventory
// keeps a registry entry (name, notes, rooms, schedule: whose radio,
// which cell's tablet) "until expired and deleted by an admin", and the
// API had no way to delete one: a departed officer's entry was kept for
// ever. An admin deletes an expired entry (DELETE /registry/ID), audited
// as registry.delete on registry/ID; one still in force is refused (409,
// expire it first) and stays; only an admin may delete.
func TestRegistryDeleteThroughDashboard(t *testing.T) {
	tests := []struct {
		name     string
		as       string
		expire   bool // expired by the admin first
		id       int64
		wantCode int
		wantBody string
	}{
		{name: "expired, by an admin", as: RoleAdmin, expire: true, wantCode: 200, wantBody: `"deleted":true`},
		{name: "in force, by an admin", as: RoleAdmin, wantCode: 409, wantBody: "expire it first"},
		{name: "expired, by an analyst", as: RoleAnalyst, expire: true, wantCode: 403},
		{name: "no such entry", as: RoleAdmin, id: 99, wantCode: 404},
		{name: "not an ID", as: RoleAdmin, id: -1, wantCode: 400, wantBody: "positive integer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t)
			reg, db := realRegistryOn(t, ev, func() time.Time { return testNow })
			ev.deps.Auditor = db
			ctx := context.Background()
			ent, err := reg.Add(ctx, registry.Entry{Name: "radio of officer Smith", Kind: registry.KindStaffRadio,
				Signature: registry.Signature{Class: event.ClassLTE, FreqMinHz: 1.71e9, FreqMaxHz: 1.785e9}, ValidFrom: testNow.Add(-time.Hour)}, "admin")
			if err != nil {
				t.Fatal(err)
			}
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			admin := login(t, e, RoleAdmin, "admin-password")
			path := fmt.Sprintf("/api/v1/registry/%d", ent.ID)
			if tc.expire {
				if rec := do(e, "POST", path+"/expire", "", "", &admin, true); rec.Code != 200 {
					t.Fatalf("expire = %d %s", rec.Code, rec.Body)
				}
			}
			target := path
			if tc.id != 0 {
				target = fmt.Sprintf("/api/v1/registry/%d", tc.id)
			}
			c := login(t, e, tc.as, tc.as+"-password")
			rec := do(e, "DELETE", target, "", "", &c, true)
			if rec.Code != tc.wantCode || !strings.Contains(rec.Body.String(), tc.wantBody) {
				t.Fatalf("DELETE %s as %s = %d %s; want %d with %q", target, tc.as, rec.Code, rec.Body, tc.wantCode, tc.wantBody)
			}
			rows, err := db.AuditLog(ctx, store.AuditFilter{Prefix: "registry.delete"})
			if err != nil {
				t.Fatal(err)
			}
			after := do(e, "GET", path, "", "", &admin, false).Code
			if tc.wantCode != 200 {
				if after != 200 {
					t.Errorf("refused (%d), yet GET %s = %d: the entry is gone", rec.Code, path, after)
				}
				if len(rows) != 0 {
					t.Errorf("refused, yet audited: %+v", rows)
				}
				return
			}
			if after != 404 {
				t.Errorf("GET %s after its deletion = %d, want 404", path, after)
			}
			if len(rows) != 1 || rows[0].User != tc.as || rows[0].Object != fmt.Sprintf("registry/%d", ent.ID) || rows[0].Addr != "192.0.2.1" {
				t.Errorf("registry.delete audit rows %+v; want one by %s on registry/%d from 192.0.2.1", rows, tc.as, ent.ID)
			}
		})
	}
}
