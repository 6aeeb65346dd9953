package dashboard

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestErrorsQuoteShort: an error that quotes what the client sent (a
// query parameter, an ID in the path, a room, a replay path) quotes its
// first 64 characters and "…", whole characters: a value of 40 KB was
// quoted whole, the refusal as large as the request.
func TestErrorsQuoteShort(t *testing.T) {
	e, admin := serveAs(t, RoleAdmin)
	long := strings.Repeat("é", 20000) // 40 KB; cut on a character, not a byte
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/api/v1/heatmap?hour=" + long, ""},
		{"GET", "/api/v1/heatmap?show=" + long, ""},
		{"GET", "/api/v1/locations?minutes=" + long, ""},
		{"POST", "/api/v1/search/outcome", `{"room":"` + long + `","found":false}`},
		{"POST", "/api/v1/incidents/" + long + "/close", `{"outcome":"found"}`},
		{"POST", "/api/v1/incidents/" + long + "/reopen", `{"note":"again"}`},
		{"POST", "/api/v1/sensors/s" + strings.Repeat("1", 40000) + "/maintenance", `{"minutes":5,"reason":"x"}`},
		{"GET", "/api/v1/registry/" + long, ""},
		{"GET", "/api/v1/snippets/" + strings.Repeat("a", 40000) + ".sigmf-meta", ""},
		{"POST", "/api/v1/replay/run", `{"path":"` + long + `.sigmf-meta"}`},
		{"GET", "/api/v1/alerts/" + long, ""},
		{"POST", "/api/v1/alerts/" + long + "/ack", `{"note":"x"}`},
	} {
		rec := do(e, tc.method, tc.path, tc.body, "application/json", &admin, tc.method != "GET")
		got := rec.Body.String()
		if rec.Code < 400 || rec.Code >= 500 {
			t.Errorf("%s %.60s: %d, want a refusal", tc.method, tc.path, rec.Code)
		}
		if len(got) > 512 || !utf8.ValidString(got) || !strings.Contains(got, "…") {
			t.Errorf("%s %.60s: %d, a %d-byte answer %s; want the value quoted short, whole characters, and …", tc.method, tc.path, rec.Code, len(got), trunc(got))
		}
	}
}
