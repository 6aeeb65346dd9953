package dashboard

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// auditEnv is a dashboard whose audit log is a real SQLite store, holding
// rows 1..10 at testNow-10h .. testNow-1h (row i at testNow-(11-i) h), by
// users alice (odd rows) and bob (even), on objects alert/a1 (rows 1..5)
// and alert/a2, and a clock the test moves.
func auditEnv(t *testing.T) (*env, *store.SQLite, *time.Time) {
	t.Helper()
	ev := newEnv(t)
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfw.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for i := 1; i <= 10; i++ {
		user, object := "alice", "alert/a1"
		if i%2 == 0 {
			user = "bob"
		}
		if i > 5 {
			object = "alert/a2"
		}
		at := testNow.Add(-time.Duration(11-i) * time.Hour)
		if err := db.Audit(context.Background(), store.AuditEntry{TimeNS: at.UnixNano(), User: user, Action: "alert.ack", Object: object, After: fmt.Sprint("row ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	now := testNow
	ev.deps.Auditor = db
	ev.deps.Now = func() time.Time { return now }
	return ev, db, &now
}

// TestAuditLogQuery: the audit log is read by time range, user, action,
// object, and in pages (before: the ID of the last row of the page
// before; X-RFW-Next-Before names it while more may follow). It took only
// user and action (400 for anything else) and showed the newest 500 rows.
func TestAuditLogQuery(t *testing.T) {
	ev, _, _ := auditEnv(t)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	admin := login(t, e, RoleAdmin, "admin-password")
	for _, tc := range []struct {
		name     string
		query    string
		wantCode int
		wantRows []int // the seeded rows, newest first (the audit's own rows are left out)
		wantNext string
		wantErr  string
	}{
		{name: "object", query: "action=alert.ack&object=alert/a1", wantCode: 200, wantRows: []int{5, 4, 3, 2, 1}},
		{name: "time range", query: "action=alert.ack&from=2026-11-24T03:30:00Z&to=2026-11-24T06:30:00Z", wantCode: 200, wantRows: []int{6, 5, 4}},
		{name: "date range in the site's zone", query: "action=alert.ack&from=2026-11-24&to=2026-11-24", wantCode: 200, wantRows: []int{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
		{name: "user and object", query: "action=alert.ack&user=bob&object=alert/a2", wantCode: 200, wantRows: []int{10, 8, 6}},
		{name: "first page", query: "action=alert.ack&limit=4", wantCode: 200, wantRows: []int{10, 9, 8, 7}, wantNext: "7"},
		{name: "next page", query: "action=alert.ack&limit=4&before=7", wantCode: 200, wantRows: []int{6, 5, 4, 3}, wantNext: "3"},
		{name: "last page", query: "action=alert.ack&limit=4&before=3", wantCode: 200, wantRows: []int{2, 1}},
		{name: "bad from", query: "from=yesterday", wantCode: 400, wantErr: "from"},
		// a time without its offset is told what it lacks (it was told
		// to use a date or an RFC 3339 time, which it nearly is)
		{name: "time without its offset", query: "from=2026-10-25T01:30:00", wantCode: 400, wantErr: `from \"2026-10-25T01:30:00\": a time needs its offset from UTC: in the site's zone 2026-10-25T01:30:00Z (Z is UTC)`},
		{name: "to before from", query: "from=2026-11-24&to=2026-11-23", wantCode: 400, wantErr: "before from"},
		// times a row's nanoseconds cannot hold matched no row, silently
		{name: "to far in the future", query: "to=2300-01-01", wantCode: 400, wantErr: `to \"2300-01-01\": outside 1677-09-21T00:12:44Z to 2262-04-11T23:47:16Z`},
		{name: "from far in the past", query: "from=1600-01-01T00:00:00Z", wantCode: 400, wantErr: `from \"1600-01-01T00:00:00Z\": outside`},
		{name: "to on the last day held", query: "to=2262-04-11", wantCode: 400, wantErr: `to \"2262-04-11\": outside`},
		{name: "to the day before", query: "action=alert.ack&to=2262-04-10", wantCode: 200, wantRows: []int{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
		{name: "from early but held", query: "action=alert.ack&from=1678-01-01", wantCode: 200, wantRows: []int{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
		{name: "bad before", query: "before=-3", wantCode: 400, wantErr: "before"},
		{name: "bad limit", query: "limit=100000", wantCode: 400, wantErr: "limit"},
		{name: "unknown parameter", query: "offset=5", wantCode: 400, wantErr: "offset"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(e, "GET", "/api/v1/audit?"+tc.query, "", "", &admin, false)
			if rec.Code != tc.wantCode || !strings.Contains(rec.Body.String(), tc.wantErr) {
				t.Fatalf("GET /audit?%s: %d %s, want %d with %q", tc.query, rec.Code, rec.Body, tc.wantCode, tc.wantErr)
			}
			if rec.Code != http.StatusOK {
				return
			}
			var es []store.AuditEntry
			if err := json.Unmarshal(rec.Body.Bytes(), &es); err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, a := range es {
				var n int
				if _, err := fmt.Sscanf(a.After, "row %d", &n); err == nil {
					got = append(got, n)
				}
			}
			if !slices.Equal(got, tc.wantRows) {
				t.Errorf("GET /audit?%s: rows %v, want %v", tc.query, got, tc.wantRows)
			}
			if next := rec.Header().Get("X-RFW-Next-Before"); next != tc.wantNext {
				t.Errorf("GET /audit?%s: X-RFW-Next-Before %q, want %q", tc.query, next, tc.wantNext)
			}
		})
	}
}

// TestAuditLogExport: the filtered audit log downloads as CSV, all of it
// (no page limit), and the download is audited itself (audit.export,
// naming the filter) before it is sent.
func TestAuditLogExport(t *testing.T) {
	ev, db, _ := auditEnv(t)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	admin := login(t, e, RoleAdmin, "admin-password")
	analyst := login(t, e, RoleAnalyst, "analyst-password")
	if rec := do(e, "GET", "/api/v1/audit/export.csv", "", "", &analyst, false); rec.Code != http.StatusForbidden {
		t.Errorf("audit export as analyst: %d, want 403", rec.Code)
	}
	if rec := do(e, "GET", "/api/v1/audit/export.csv?to=2300-01-01", "", "", &admin, false); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "outside") {
		t.Errorf("audit export to 2300: %d %s, want 400 naming the range", rec.Code, rec.Body)
	}
	rec := do(e, "GET", "/api/v1/audit/export.csv?user=bob&from=2026-11-24", "", "", &admin, false)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Disposition"), "audit-hmp1-") {
		t.Fatalf("audit export: %d %s (%q)", rec.Code, rec.Body, rec.Header().Get("Content-Disposition"))
	}
	rows, err := csv.NewReader(rec.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := []string{"id", "time", "user", "action", "object", "before", "after", "addr"}
	if len(rows) != 6 || !slices.Equal(rows[0], wantHeader) || rows[1][2] != "bob" || rows[1][6] != "row 10" || rows[1][1] != "2026-11-24T09:30:00Z" {
		t.Errorf("audit export: %q, want the header %q and bob's 5 rows, newest first", rows, wantHeader)
	}
	log, err := db.AuditLog(context.Background(), store.AuditFilter{Prefix: "audit.export"})
	if err != nil || len(log) != 1 || log[0].User != RoleAdmin || !strings.Contains(log[0].After, "user=bob") || !strings.Contains(log[0].After, "5 rows") {
		t.Errorf("audit export's own audit row: %+v, %v", log, err)
	}
}

// TestViewAuditDedup: reads of personal data are audited (they were not:
// /locations, /search, /audit, /users, /replay/annotated), and the page's
// automatic refreshes (an open alert every 15 s, the heat map every 60 s)
// no longer flood the audit log: one row per user, action, object and
// details in viewAuditPeriod. A first read is always written, another
// user's too, and one after the period again.
func TestViewAuditDedup(t *testing.T) {
	ev, db, now := auditEnv(t)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	admin := login(t, e, RoleAdmin, "admin-password")
	analyst := login(t, e, RoleAnalyst, "analyst-password")
	for _, tc := range []struct {
		path, action, object, after string
	}{
		{"/api/v1/alerts/al1", "view.alert", "alert/al1", ""},
		{"/api/v1/heatmap?window=day", "view.heatmap", "site/hmp1", "window day"},
		{"/api/v1/locations?minutes=10080", "view.locations", "site/hmp1", "last 10080 min"},
		{"/api/v1/search", "view.search", "site/hmp1", ""},
		{"/api/v1/users", "users.list", "users", ""},
		{"/api/v1/audit?user=bob", "audit.read", "audit", "user=bob"},
	} {
		t.Run(tc.action, func(t *testing.T) {
			*now = testNow
			count := func() int {
				log, err := db.AuditLog(context.Background(), store.AuditFilter{Prefix: tc.action, Object: tc.object})
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, a := range log {
					if a.Action == tc.action && a.After == tc.after {
						n++
					}
				}
				return n
			}
			before := count()
			for i, step := range []struct {
				as      *creds
				advance time.Duration
				want    int // rows written since the start
			}{
				{&admin, 0, 1},                   // first read
				{&admin, 15 * time.Second, 1},    // the page's refresh
				{&admin, viewAuditPeriod / 2, 1}, // still within the period
				{&analyst, 0, 2},                 // another user's first read
				{&admin, viewAuditPeriod, 3},     // a read after the period
			} {
				*now = now.Add(step.advance)
				rec := do(e, "GET", tc.path, "", "", step.as, false)
				if rec.Code == http.StatusForbidden && step.as == &analyst {
					continue // admin-only reads: the analyst's row is not expected
				}
				if rec.Code != http.StatusOK {
					t.Fatalf("step %d: GET %s: %d %s", i, tc.path, rec.Code, rec.Body)
				}
				want := step.want
				if (tc.action == "users.list" || tc.action == "audit.read") && i == 4 {
					want = 2
				}
				if got := count() - before; got != want {
					t.Errorf("step %d: GET %s: %d %s rows, want %d", i, tc.path, got, tc.action, want)
				}
			}
		})
	}
}

// TestViewAuditDedupPerClient: a read was audited once per user, action,
// object and details, so a stolen session read from another address
// within viewAuditPeriod of its owner's read, or the same user's read in
// another session, left no trace. Each address and each session now has
// its own row; the same session's refresh from the same address still
// adds none.
func TestViewAuditDedupPerClient(t *testing.T) {
	ev, db, _ := auditEnv(t)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	first := login(t, e, RoleAdmin, "admin-password")
	second := login(t, e, RoleAdmin, "admin-password")
	const path, action = "/api/v1/alerts/al1", "view.alert"
	rows := func() []store.AuditEntry {
		log, err := db.AuditLog(context.Background(), store.AuditFilter{Prefix: action, Object: "alert/al1"})
		if err != nil {
			t.Fatal(err)
		}
		return log
	}
	for i, step := range []struct {
		name     string
		as       *creds
		addr     string
		wantRows int
		wantAddr string // of the newest row
	}{
		{"the owner's read", &first, "192.0.2.1:40000", 1, "192.0.2.1"},
		{"its refresh", &first, "192.0.2.1:40001", 1, "192.0.2.1"},
		{"the session from another address", &first, "203.0.113.9:50000", 2, "203.0.113.9"},
		{"that address again", &first, "203.0.113.9:50001", 2, "203.0.113.9"},
		{"the user's other session", &second, "192.0.2.1:40002", 3, "192.0.2.1"},
		{"the owner again", &first, "192.0.2.1:40003", 3, "192.0.2.1"},
	} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.RemoteAddr = step.addr
		req.AddCookie(step.as.cookie)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("step %d (%s): GET %s: %d %s", i, step.name, path, rec.Code, rec.Body)
		}
		got := rows()
		if len(got) != step.wantRows || got[0].Addr != step.wantAddr {
			t.Errorf("step %d (%s): %d %s rows, newest from %q; want %d, newest from %q", i, step.name, len(got), action, got[0].Addr, step.wantRows, step.wantAddr)
		}
	}
}
