package dashboard

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSnippetNameDecodedOnce: a snippet's name in the URL is decoded once.
// echo hands the route's :name decoded unless the request's path has an
// escaping of its own (URL.RawPath), and the handler decoded it again:
// %252e%252e%252fsite.yaml was read as ../site.yaml (refused as leaving
// the folder, but only by luck), and a name holding % could not be
// fetched.
func TestSnippetNameDecodedOnce(t *testing.T) {
	ev := newEnv(t)
	for _, name := range []string{"%2e%2e%2fsite.yaml", "100%.sigmf", "aA.sigmf"} {
		if err := os.WriteFile(filepath.Join(ev.deps.SnippetDir, name), []byte("file "+name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	analyst := login(t, e, RoleAnalyst, "analyst-password")
	tests := []struct {
		given    string // the request's path after /api/v1/snippets/
		wantCode int
		wantBody string
	}{
		{"%252e%252e%252fsite.yaml", 200, "file %2e%2e%2fsite.yaml"},
		{"100%25.sigmf", 200, "file 100%.sigmf"},
		{"a%41.sigmf", 200, "file aA.sigmf"}, // an escaping Go would not make: echo routes on the raw path
		{"aA.sigmf", 200, "file aA.sigmf"},
		{"%2e%2e%2fsite.yaml", 400, "leaves the folder"},
		{"..%2f..%2fetc%2fpasswd", 400, "leaves the folder"},
	}
	for _, tc := range tests {
		t.Run(tc.given, func(t *testing.T) {
			rec := do(e, "GET", "/api/v1/snippets/"+tc.given, "", "", &analyst, false)
			if rec.Code != tc.wantCode || !strings.Contains(rec.Body.String(), tc.wantBody) {
				t.Errorf("GET /api/v1/snippets/%s: %d %q, want %d with %q", tc.given, rec.Code, rec.Body, tc.wantCode, tc.wantBody)
			}
		})
	}
}
