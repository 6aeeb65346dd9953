package dashboard

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestNotesTrimmed: the notes staff type (an acknowledgement's, single or
// bulk; an incident's closure and reopening; a search's outcome; a
// maintenance window's reason) are stored without the spaces and line
// breaks round them, their inner text kept, in the store and in their
// audit rows: a note typed "\n cell searched " was stored so and read
// "incident closed: not_found: \n cell searched " in the alert's
// acknowledgement. A note of only spaces and line breaks is taken as
// none: refused where one is needed (a critical alert's acknowledgement,
// a reopening, a window's reason), and a closure's acknowledgement says
// only its outcome.
func TestNotesTrimmed(t *testing.T) {
	const typed, want = " \n\t cell searched,\n  nothing found \r\n ", "cell searched,\n  nothing found"
	note, _ := json.Marshal(typed)
	blank, _ := json.Marshal(" \n\t\r\n  ")
	for _, tc := range []struct {
		name, role, path, body string
		code                   int
		first                  string // a request made before, its path and body (a closure before a reopening)
		// stored returns what was stored of the note and what the audit
		// row of action says
		action string
		stored func(t *testing.T, ev *env, db *store.SQLite) string
		want   string
	}{
		{"single acknowledgement", RoleOfficer, "/api/v1/alerts/d1/ack", `{"note":` + string(note) + `}`, http.StatusOK, "", "alert.ack",
			ackNoteOf("d1"), want},
		{"single acknowledgement, blank", RoleOfficer, "/api/v1/alerts/d1/ack", `{"note":` + string(blank) + `}`, http.StatusBadRequest, "", "", nil, ""},
		{"bulk acknowledgement", RoleOfficer, "/api/v1/alerts/ack", `{"ids":["d1"],"note":` + string(note) + `}`, http.StatusOK, "", "alert.ack",
			ackNoteOf("d1"), want},
		{"bulk acknowledgement, blank", RoleOfficer, "/api/v1/alerts/ack", `{"ids":["d1"],"note":` + string(blank) + `}`, http.StatusBadRequest, "", "", nil, ""},
		{"incident closure", RoleAnalyst, "/api/v1/incidents/inc-1/close", `{"outcome":"not_found","note":` + string(note) + `}`, http.StatusOK, "", "incident.close",
			func(t *testing.T, _ *env, db *store.SQLite) string {
				inc, err := db.Incident(context.Background(), "inc-1")
				if err != nil {
					t.Fatal(err)
				}
				return inc.Note
			}, want},
		{"incident closure's acknowledgement", RoleAnalyst, "/api/v1/incidents/inc-1/close", `{"outcome":"not_found","note":` + string(note) + `}`, http.StatusOK, "", "",
			ackNoteOf("d1"), "incident closed: not_found: " + want},
		{"incident closure, blank", RoleAnalyst, "/api/v1/incidents/inc-1/close", `{"outcome":"false_alarm","note":` + string(blank) + `}`, http.StatusOK, "", "",
			ackNoteOf("d1"), "incident closed: false_alarm"},
		{"incident reopening", RoleAnalyst, "/api/v1/incidents/inc-1/reopen", `{"note":` + string(note) + `}`, http.StatusOK,
			`/api/v1/incidents/inc-1/close {"outcome":"false_alarm"}`, "incident.reopen", nil, ""},
		{"incident reopening, blank", RoleAnalyst, "/api/v1/incidents/inc-1/reopen", `{"note":` + string(blank) + `}`, http.StatusBadRequest,
			`/api/v1/incidents/inc-1/close {"outcome":"false_alarm"}`, "", nil, ""},
		{"search outcome", RoleOfficer, "/api/v1/search/outcome", `{"room":"a-102","found":false,"note":` + string(note) + `}`, http.StatusCreated, "", "search.outcome",
			func(t *testing.T, ev *env, _ *store.SQLite) string {
				o, err := ev.deps.Users.lastOutcomes(context.Background(), testNow.Add(-1))
				if err != nil {
					t.Fatal(err)
				}
				return o["a-102"].Note
			}, want},
		{"maintenance reason", RoleAdmin, "/api/v1/sensors/s1/maintenance", `{"minutes":30,"reason":` + string(note) + `}`, http.StatusOK, "", "",
			func(t *testing.T, _ *env, db *store.SQLite) string {
				ms, err := db.Maintenance(context.Background(), "hmp1", testNow)
				if err != nil || len(ms) != 1 {
					t.Fatalf("windows %+v, %v", ms, err)
				}
				return ms[0].Reason
			}, want},
		{"maintenance reason, blank", RoleAdmin, "/api/v1/sensors/s1/maintenance", `{"minutes":30,"reason":` + string(blank) + `}`, http.StatusBadRequest, "", "", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, e, who, db := notesEnv(t, tc.role, tc.first)
			rec := do(e, http.MethodPost, tc.path, tc.body, "application/json", &who, true)
			if rec.Code != tc.code {
				t.Fatalf("POST %s %s: %d %s, want %d", tc.path, tc.body, rec.Code, trunc(rec.Body.String()), tc.code)
			}
			if rec.Code >= 300 {
				if a, _ := db.Alert(context.Background(), "d1"); a.AckNS != 0 && tc.first == "" {
					t.Errorf("refused, but d1 acknowledged with %q", a.AckNote)
				}
				return
			}
			if tc.stored != nil {
				if got := tc.stored(t, ev, db); got != tc.want {
					t.Errorf("stored %q, want %q", got, tc.want)
				}
			}
			if tc.action == "" {
				return
			}
			log, err := db.AuditLog(context.Background(), store.AuditFilter{Prefix: tc.action})
			if err != nil || len(log) == 0 {
				t.Fatalf("%s rows %+v, %v", tc.action, log, err)
			}
			if after := log[0].After; !strings.HasSuffix(after, want) || strings.TrimSpace(after) != after || strings.Contains(after, ": \n") {
				t.Errorf("%s row says %q, want the note trimmed (%q)", tc.action, after, want)
			}
		})
	}
}

// notesEnv is the dashboard of the notes tests on SQLite with alert d1,
// logged in as role, after first (a request "PATH BODY" posted before,
// a closure before a reopening; "" for none).
func notesEnv(t *testing.T, role, first string) (*env, *echo.Echo, creds, *store.SQLite) {
	t.Helper()
	ev, db := sqliteEnv(t, "d1")
	ev.deps.Maintenance = db
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	who := login(t, e, role, role+"-password")
	if first != "" {
		path, body, _ := strings.Cut(first, " ")
		if rec := do(e, http.MethodPost, path, body, "application/json", &who, true); rec.Code != http.StatusOK {
			t.Fatalf("POST %s: %d %s", path, rec.Code, trunc(rec.Body.String()))
		}
	}
	return ev, e, who, db
}

// ackNoteOf returns, for TestNotesTrimmed, the note of alert id's
// acknowledgement as stored.
func ackNoteOf(id string) func(t *testing.T, _ *env, db *store.SQLite) string {
	return func(t *testing.T, _ *env, db *store.SQLite) string {
		a, err := db.Alert(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if a.AckNS == 0 {
			t.Errorf("alert %s not acknowledged", id)
		}
		return a.AckNote
	}
}

// TestNotesShowSomething: a note or reason staff must give (a critical
// alert's acknowledgement, single or bulk; a reopening; a maintenance
// window's reason) is refused when it shows nothing: a NUL, a bell and an
// escape, or a zero-width space, each of which was taken as a reason. And
// no note may hold a control character other than a line break or tab,
// or a bidirectional override: stored and shown to other users, they made
// the note read as what it was not. Each is refused (400, naming the
// field and the character) and nothing is stored.
func TestNotesShowSomething(t *testing.T) {
	type endpoint struct {
		name, role, path, field, first string
		body                           func(note string) string
		required                       bool
	}
	quote := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	closed := `/api/v1/incidents/inc-1/close {"outcome":"false_alarm"}`
	endpoints := []endpoint{
		{"single acknowledgement", RoleOfficer, "/api/v1/alerts/d1/ack", "note", "", func(n string) string { return `{"note":` + quote(n) + `}` }, true},
		{"bulk acknowledgement", RoleOfficer, "/api/v1/alerts/ack", "note", "", func(n string) string { return `{"ids":["d1"],"note":` + quote(n) + `}` }, true},
		{"incident closure", RoleAnalyst, "/api/v1/incidents/inc-1/close", "note", "", func(n string) string { return `{"outcome":"not_found","note":` + quote(n) + `}` }, false},
		{"incident reopening", RoleAnalyst, "/api/v1/incidents/inc-1/reopen", "note", closed, func(n string) string { return `{"note":` + quote(n) + `}` }, true},
		{"search outcome", RoleOfficer, "/api/v1/search/outcome", "note", "", func(n string) string { return `{"room":"a-102","found":false,"note":` + quote(n) + `}` }, false},
		{"maintenance reason", RoleAdmin, "/api/v1/sensors/s1/maintenance", "reason", "", func(n string) string { return `{"minutes":30,"reason":` + quote(n) + `}` }, true},
	}
	notes := []struct {
		name, note string
		want       string // what the refusal names after the field's name; "say" for a required one's "say …"
		required   bool   // refused only where a note is required
	}{
		{"controls alone", "\x00\a\x1b", "control character U+0000 at character 1", false},
		{"zero-width space alone", "\u200b", "say", true},
		{"an escape sequence in text", "searched \x1b[31mnothing", "control character U+001B at character 10", false},
		{"a bidirectional override", "found \u202enothing", "bidirectional control U+202E", false},
	}
	for _, ep := range endpoints {
		for _, n := range notes {
			if n.required && !ep.required {
				continue
			}
			t.Run(ep.name+"/"+n.name, func(t *testing.T) {
				_, e, who, db := notesEnv(t, ep.role, ep.first)
				actions, err := db.AuditLog(context.Background(), store.AuditFilter{})
				if err != nil {
					t.Fatal(err)
				}
				rec := do(e, http.MethodPost, ep.path, ep.body(n.note), "application/json", &who, true)
				if got := rec.Body.String(); rec.Code != http.StatusBadRequest || !strings.Contains(got, `"`+ep.field+": ") || !strings.Contains(got, n.want) {
					t.Fatalf("POST %s %q: %d %s, want 400 naming %s and %q", ep.path, n.note, rec.Code, trunc(got), ep.field, n.want)
				}
				if a, _ := db.Alert(context.Background(), "d1"); a.AckNS != 0 && ep.first == "" {
					t.Errorf("refused, but d1 acknowledged with %q", a.AckNote)
				}
				after, err := db.AuditLog(context.Background(), store.AuditFilter{})
				if err != nil || len(after) != len(actions) {
					t.Errorf("refused, but the audit log went from %d rows to %d (%v)", len(actions), len(after), err)
				}
			})
		}
	}
}
