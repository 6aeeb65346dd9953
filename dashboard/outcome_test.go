package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"golang.org/x/crypto/bcrypt"
)

// TestSearchShowsOutcomes: a handheld search's outcome (found or not
// found) was recorded and shown nowhere but the audit log: the mark the
// page put on the room went at its next refresh, and a misclick could not
// be corrected. Each room of the search list now carries its last outcome
// (found, who, when, note) while it is kept (SearchKeep); a later outcome
// for the room supersedes an earlier one.
func TestSearchShowsOutcomes(t *testing.T) {
	ev := newEnv(t)
	var clock atomic.Int64
	clock.Store(testNow.UnixNano())
	ev.deps.Now = func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	ev.deps.SearchKeep = 48 * time.Hour
	// two days on a phone is in a-102 again: the room is listed then too
	later := ev.ts.locs[0]
	later.Track, later.TimeNS = "t2", testNow.Add(48*time.Hour).UnixNano()
	ev.ts.locs = append(ev.ts.locs, later)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	off := login(t, e, RoleOfficer, "officer-password")
	adm := login(t, e, RoleAdmin, "admin-password")
	outcomeOf := func(c creds, room string) string {
		t.Helper()
		rec := do(e, "GET", "/api/v1/search", "", "", &c, false)
		var got SearchAnswer
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("GET /search: %d %v %s", rec.Code, err, rec.Body)
		}
		for _, r := range got.Rooms {
			if r.Room == room {
				if r.Outcome == nil {
					return "none"
				}
				o := r.Outcome
				return fmt.Sprintf("found=%v by %s at %s: %s", o.Found, o.User, time.Unix(0, o.TimeNS).UTC().Format("01-02 15:04"), o.Note)
			}
		}
		return "room not listed"
	}
	for _, tc := range []struct {
		name  string
		given time.Duration // the server clock after testNow
		as    *creds
		body  string // POSTed to /search/outcome; "" none
		want  string // a-102's outcome in the list after
	}{
		{"given no outcome, when listing, expect none", 0, &off, "", "none"},
		{"given a found with a note, when listing, expect it with who and when", time.Minute, &off,
			`{"room":"a-102","found":true,"note":"under the mattress"}`, "found=true by officer at 11-24 10:31: under the mattress"},
		{"given a later not found (the found a misclick), when listing, expect it to supersede", 2 * time.Minute, &adm,
			`{"room":"a-102","found":false,"note":"misclick: nothing there"}`, "found=false by admin at 11-24 10:32: misclick: nothing there"},
		{"given an outcome for another room, when listing, expect a-102's unchanged", 3 * time.Minute, &off,
			`{"room":"b-101","found":false}`, "found=false by admin at 11-24 10:32: misclick: nothing there"},
		{"given the outcome older than kept, when listing, expect none", 2*time.Minute + 48*time.Hour + time.Second, &off, "", "none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock.Store(testNow.Add(tc.given).UnixNano())
			if tc.body != "" {
				rec := do(e, "POST", "/api/v1/search/outcome", tc.body, "application/json", tc.as, true)
				if rec.Code != http.StatusCreated {
					t.Fatalf("POST /search/outcome %s: %d %s", tc.body, rec.Code, rec.Body)
				}
			}
			if got := outcomeOf(off, "a-102"); got != tc.want {
				t.Errorf("a-102's outcome %q, want %q", got, tc.want)
			}
		})
	}
	// the outcomes stay audited with their notes
	found := false
	for _, a := range ev.audit.entries {
		found = found || a.Action == "search.outcome" && a.Object == "room/a-102" && strings.Contains(a.After, "misclick: nothing there")
	}
	if !found {
		t.Errorf("the correcting outcome is not audited with its note: %+v", ev.audit.entries)
	}
}

// TestSearchOutcomeNeedsItsAuditRow: a search's outcome was stored and
// then audited; a row that could not be written answered 500 with the
// outcome kept (a retry stored it twice, and the first was unaudited).
// It is now stored with its search.outcome row: in one transaction when
// the audit log is in the accounts' database (UsersOptions.AuditTx),
// else the row first. A row that cannot be written refuses it (503) and
// stores no outcome.
func TestSearchOutcomeNeedsItsAuditRow(t *testing.T) {
	for _, tc := range []struct {
		name   string
		inTx   bool // the accounts' database is the audit log
		refuse bool
	}{
		{"another audit log, locked", false, true},
		{"one SQLite database, row refused", true, true},
		{"one SQLite database", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			ev := newEnv(t)
			outcomes := func() int {
				var n int
				if err := ev.deps.Users.db.QueryRowContext(ctx, `SELECT count(*) FROM dashboard_search_outcomes`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			var db *store.SQLite
			if tc.inTx {
				var err error
				db, err = store.OpenSQLite(filepath.Join(t.TempDir(), "rfw.db"))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				users, err := NewUsers(ctx, db.DB(), UsersOptions{BcryptCost: bcrypt.MinCost, Now: func() time.Time { return testNow }, AuditTx: store.AuditInTx})
				if err != nil {
					t.Fatal(err)
				}
				if err := users.Create(ctx, RoleOfficer, "officer-password", RoleOfficer); err != nil {
					t.Fatal(err)
				}
				ev.deps.Users, ev.deps.Auditor = users, db
				if tc.refuse {
					if _, err := db.DB().Exec(`CREATE TRIGGER no_audit BEFORE INSERT ON audit WHEN NEW.action = 'search.outcome' BEGIN SELECT RAISE(ABORT, 'database is locked'); END`); err != nil {
						t.Fatal(err)
					}
				}
			} else if tc.refuse {
				ev.deps.Auditor = &lockedAudit{}
			}
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			off := login(t, e, RoleOfficer, "officer-password")
			rec := do(e, "POST", "/api/v1/search/outcome", `{"room":"a-102","found":true,"note":"under the mattress"}`, "application/json", &off, true)
			want, stored := http.StatusCreated, 1
			if tc.refuse {
				want, stored = http.StatusServiceUnavailable, 0
			}
			if rec.Code != want || tc.refuse && !strings.Contains(rec.Body.String(), "search.outcome room/a-102") {
				t.Errorf("outcome: %d %s, want %d", rec.Code, trunc(rec.Body.String()), want)
			}
			if n := outcomes(); n != stored {
				t.Errorf("%d outcomes stored, want %d", n, stored)
			}
			if db != nil {
				rows, err := db.AuditLog(ctx, store.AuditFilter{Prefix: "search.outcome"})
				if err != nil {
					t.Fatal(err)
				}
				if len(rows) != stored {
					t.Errorf("%d search.outcome rows, want %d", len(rows), stored)
				}
			}
		})
	}
}

// TestSearchOutcomeNotOutside: the site's outside catch-all is refused as
// a search outcome's room (the search list leaves it out; nobody
// searches it), naming it; it was taken, 201.
func TestSearchOutcomeNotOutside(t *testing.T) {
	ev := newEnv(t)
	ev.deps.Site.Rooms = append(ev.deps.Site.Rooms, site.Room{ID: "OUTSIDE", Name: "Outside", Floor: "g", Kind: site.KindOutside,
		Polygon: []site.Point{{X: -50, Y: -50}, {X: 50, Y: -50}, {X: 50, Y: 50}, {X: -50, Y: 50}}})
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	off := login(t, e, RoleOfficer, "officer-password")
	rec := do(e, "POST", "/api/v1/search/outcome", `{"room":"OUTSIDE","found":false}`, "application/json", &off, true)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `room \"OUTSIDE\" is the site's outside catch-all`) {
		t.Errorf("POST /search/outcome for OUTSIDE: %d %s, want 400 naming the catch-all", rec.Code, rec.Body)
	}
	if rec := do(e, "POST", "/api/v1/search/outcome", `{"room":"a-102","found":false}`, "application/json", &off, true); rec.Code != http.StatusCreated {
		t.Errorf("POST /search/outcome for a cell: %d %s, want 201", rec.Code, rec.Body)
	}
}
