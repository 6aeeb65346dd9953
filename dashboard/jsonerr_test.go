package dashboard

import (
	"net/http"
	"strings"
	"testing"
)

// TestJSONErrorsInJSONTerms: a request body of the wrong shape is refused
// (400) naming the field and what belongs there in JSON's terms; the
// decoder's own message named the handler's Go struct and types ("Go
// struct field userReq.name of type string", "Go value of type
// dashboard.userReq").
func TestJSONErrorsInJSONTerms(t *testing.T) {
	e, admin := serveAs(t, RoleAdmin)
	for _, tc := range []struct {
		path, body, want string
	}{
		{"/api/v1/users", `{"name":123}`, "malformed JSON: name: a number where a string belongs"},
		{"/api/v1/users", `[]`, "malformed JSON: the body is an array, want an object"},
		{"/api/v1/users", `"admin"`, "malformed JSON: the body is a string, want an object"},
		{"/api/v1/alerts/ack", `{"ids":[1,2]}`, "malformed JSON: ids: a number where a string belongs"},
		{"/api/v1/alerts/ack", `{"ids":"al1"}`, "malformed JSON: ids: a string where an array belongs"},
		{"/api/v1/registry", `{"name":"r","kind":"staff_radio","signature":{"freq_min_hz":"380 MHz"}}`, "malformed JSON: signature.freq_min_hz: a string where a number belongs"},
		{"/api/v1/sensors/s1/maintenance", `{"minutes":true,"reason":"x"}`, "malformed JSON: minutes: true or false where a whole number belongs"},
		{"/api/v1/users", `{"nmae":"x"}`, `malformed JSON: unknown field \"nmae\"`}, // quoted in the JSON answer
		{"/api/v1/users", `{"name":"a","name":"b"}`, "malformed JSON: name: the key appears twice in one object"},
		{"/api/v1/alerts/ack", `{"ids":["al1"],"note":"x","ids":["al2"]}`, "malformed JSON: ids: the key appears twice in one object"},
		{"/api/v1/users", `{"name":"a"}}`, "malformed JSON: trailing data after object"},
		{"/api/v1/users", `{"name":"a"}]`, "malformed JSON: trailing data after object"},
		{"/api/v1/users", `{"name":"a"} {"name":"b"}`, "malformed JSON: trailing data after object"},
	} {
		rec := do(e, http.MethodPost, tc.path, tc.body, "application/json", &admin, true)
		got := rec.Body.String()
		if rec.Code != http.StatusBadRequest || !strings.Contains(got, tc.want) {
			t.Errorf("POST %s %s: %d %s, want 400 with %q", tc.path, tc.body, rec.Code, trunc(got), tc.want)
		}
		for _, internal := range []string{"Go ", "userReq", "dashboard.", "json: ", "float64", "int"} {
			if strings.Contains(got, internal) {
				t.Errorf("POST %s %s: %s names %q, Go's not the request's", tc.path, tc.body, trunc(got), internal)
			}
		}
	}
}
