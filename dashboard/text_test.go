package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// TestTextLimitsCountCharacters: the limits on typed text (notes,
// reasons) count characters, as their messages say, not bytes: a
// 1500-character acknowledgement note in "é" (3000 bytes) was refused as
// "longer than 2000 characters", a 150-character Cyrillic maintenance
// reason (300 bytes) as "longer than 200 characters". A body that is
// not UTF-8 is refused with a 400 saying so; it was taken, each bad byte
// turned into U+FFFD.
func TestTextLimitsCountCharacters(t *testing.T) {
	const js = "application/json"
	note := func(field, text string) string { return `"` + field + `":"` + text + `"` }
	e1500, e2000, a2001 := strings.Repeat("é", 1500), strings.Repeat("é", 2000), strings.Repeat("a", 2001)
	cyr150, cyr201 := strings.Repeat("ж", 150), strings.Repeat("ж", 201)
	tests := []struct {
		name       string
		given      func(ev *env) // before the server starts
		as         string
		path, body string
		wantCode   int
		wantBody   string
		then       func(t *testing.T, ev *env) // more to check
	}{
		{name: "ack note of 1500 é", as: RoleOfficer, path: "/api/v1/alerts/al1/ack", body: "{" + note("note", e1500) + "}", wantCode: 200, wantBody: `"ack_by":"officer"`},
		{name: "ack note of 2000 é", as: RoleOfficer, path: "/api/v1/alerts/al1/ack", body: "{" + note("note", e2000) + "}", wantCode: 200, wantBody: `"ack_by":"officer"`},
		{name: "ack note of 2001 a", as: RoleOfficer, path: "/api/v1/alerts/al1/ack", body: "{" + note("note", a2001) + "}", wantCode: 400, wantBody: "longer than 2000 characters"},
		{name: "ack note not UTF-8", as: RoleOfficer, path: "/api/v1/alerts/al1/ack", body: "{" + note("note", "caf\xe9") + "}", wantCode: 400, wantBody: "UTF-8"},
		{name: "closure note of 1500 é", as: RoleAnalyst, path: "/api/v1/incidents/inc1/close", body: `{"outcome":"found",` + note("note", e1500) + "}", wantCode: 200, wantBody: `"state":"closed"`},
		{name: "closure note of 2000 é", as: RoleAnalyst, path: "/api/v1/incidents/inc1/close", body: `{"outcome":"found",` + note("note", e2000) + "}", wantCode: 200, wantBody: `"state":"closed"`,
			then: func(t *testing.T, ev *env) {
				// its alert is acknowledged with the closure, cut to the
				// acknowledgement's 2000 characters (it was cut to 2000 bytes)
				want := []rune("incident closed: found: " + e2000)[:2000]
				if got := ev.al.alerts["al1"].AckNote; got != string(want) {
					t.Errorf("al1 acknowledged with a note of %d characters (%.40q...), want %d", len([]rune(got)), got, len(want))
				}
			}},
		{name: "closure note of 2001 a", as: RoleAnalyst, path: "/api/v1/incidents/inc1/close", body: `{"outcome":"found",` + note("note", a2001) + "}", wantCode: 400, wantBody: "longer than 2000 characters"},
		{name: "reopening note of 1500 é", given: func(ev *env) {
			inc := ev.al.incidents["inc1"]
			inc.State, inc.ClosedNS, inc.ClosedBy, inc.Outcome = "closed", testNow.UnixNano(), "analyst", "found"
			ev.al.incidents["inc1"] = inc
		}, as: RoleAnalyst, path: "/api/v1/incidents/inc1/reopen", body: "{" + note("note", e1500) + "}", wantCode: 200, wantBody: `"state":"open"`},
		{name: "search outcome note of 1500 é", as: RoleOfficer, path: "/api/v1/search/outcome", body: `{"room":"a-102","found":false,` + note("note", e1500) + "}", wantCode: 201},
		{name: "search outcome note of 2001 a", as: RoleOfficer, path: "/api/v1/search/outcome", body: `{"room":"a-102","found":false,` + note("note", a2001) + "}", wantCode: 400, wantBody: "longer than 2000 characters"},
		{name: "search outcome note not UTF-8", as: RoleOfficer, path: "/api/v1/search/outcome", body: `{"room":"a-102","found":false,` + note("note", "\xff") + "}", wantCode: 400, wantBody: "UTF-8"},
		{name: "maintenance reason of 150 Cyrillic", as: RoleAdmin, path: "/api/v1/sensors/s1/maintenance", body: `{"minutes":60,` + note("reason", cyr150) + "}", wantCode: 200, wantBody: `"reason":"` + cyr150 + `"`},
		{name: "maintenance reason of 201 Cyrillic", as: RoleAdmin, path: "/api/v1/sensors/s1/maintenance", body: `{"minutes":60,` + note("reason", cyr201) + "}", wantCode: 400, wantBody: "longer than 200 characters"},
		{name: "maintenance reason not UTF-8", as: RoleAdmin, path: "/api/v1/sensors/s1/maintenance", body: `{"minutes":60,` + note("reason", "ant\xc3enna") + "}", wantCode: 400, wantBody: "UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t)
			if tc.given != nil {
				tc.given(ev)
			}
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			c := login(t, e, tc.as, tc.as+"-password")
			rec := do(e, http.MethodPost, tc.path, tc.body, js, &c, true)
			if rec.Code != tc.wantCode || !strings.Contains(rec.Body.String(), tc.wantBody) {
				t.Errorf("got %d %s, want %d with %q", rec.Code, trunc(rec.Body.String()), tc.wantCode, trunc(tc.wantBody))
			}
			if tc.then != nil {
				tc.then(t, ev)
			}
		})
	}
}

// TestPasswordLength: a password is at least 10 characters (not bytes: 9
// "é" are 18 bytes and were taken) and at most 72 bytes, bcrypt's limit,
// which the message now names as bytes: 36 "é" fit, 37 do not.
func TestPasswordLength(t *testing.T) {
	users, err := NewUsers(context.Background(), memDB(t), UsersOptions{BcryptCost: bcrypt.MinCost, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		name     string
		password string
		wantErr  string // "" for accepted
	}{
		{"10 ASCII", strings.Repeat("a", 10), ""},
		{"9 ASCII", strings.Repeat("a", 9), "at least 10 characters"},
		{"10 é", strings.Repeat("é", 10), ""},
		{"9 é (18 bytes)", strings.Repeat("é", 9), "at least 10 characters"},
		{"72 ASCII", strings.Repeat("a", 72), ""},
		{"73 ASCII", strings.Repeat("a", 73), "at most 72 bytes"},
		{"36 é (72 bytes)", strings.Repeat("é", 36), ""},
		{"37 é (74 bytes)", strings.Repeat("é", 37), "at most 72 bytes"},
		{"not UTF-8", strings.Repeat("a", 10) + "\xff", "UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := users.Create(context.Background(), fmt.Sprint("user", i), tc.password, RoleViewer)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.wantErr != "" && (!errors.Is(err, ErrPassword) || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("error %v, want ErrPassword saying %q", err, tc.wantErr)
			}
		})
	}
}
