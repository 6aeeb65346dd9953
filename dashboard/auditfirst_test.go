package dashboard

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// lockedAudit is an audit log that cannot be written (the database held
// by another writer past the audit's deadline); reading it works.
type lockedAudit struct {
	fakeAudit
}

var errAuditLocked = errors.New("audit view: database is locked (context deadline exceeded)")

func (l *lockedAudit) Audit(context.Context, store.AuditEntry) error { return errAuditLocked }

// TestEvidenceNeedsItsAuditRow: evidence (a snippet, an incident
// bundle), an export and a replay run are audited before they are
// served; when the audit row cannot be written the request is refused
// with 503 naming the reason, and nothing of the evidence goes out. They
// were served, their audit failure only logged.
func TestEvidenceNeedsItsAuditRow(t *testing.T) {
	ev := newEnv(t)
	la := &lockedAudit{}
	ev.deps.Auditor = la
	os.WriteFile(filepath.Join(ev.deps.SnippetDir, "snip-d1.sigmf-meta"), []byte(`{"snippet":1}`), 0o600)
	os.WriteFile(filepath.Join(ev.deps.SnippetDir, "snip-d1"), []byte(`raw-iq`), 0o600)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	an := login(t, e, RoleAnalyst, "analyst-password")
	ad := login(t, e, RoleAdmin, "admin-password")
	for _, tc := range []struct {
		name, method, path, body string
		as                       *creds
		leak                     string // what must not be in the answer
	}{
		{"snippet file", "GET", "/api/v1/snippets/snip-d1.sigmf-meta", "", &an, `{"snippet":1}`},
		{"snippet raw", "GET", "/api/v1/snippets/snip-d1", "", &an, "raw-iq"},
		{"incident bundle", "GET", "/api/v1/incidents/inc1/bundle.zip", "", &an, "PK"},
		{"alerts export", "GET", "/api/v1/alerts/export.csv?window=month", "", &an, "LTE uplink"},
		{"incidents export", "GET", "/api/v1/incidents/export.csv?window=month", "", &an, "phone in A1-02"},
		{"registry export", "GET", "/api/v1/registry/export.csv", "", &an, "Officer radio"},
		{"audit export", "GET", "/api/v1/audit/export.csv", "", &ad, "addr"},
		{"replay run", "POST", "/api/v1/replay/run", `{"path":"snippet:snip-d1.sigmf-meta"}`, &an, "droneid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(e, tc.method, tc.path, tc.body, "application/json", tc.as, true)
			body := rec.Body.String()
			short := body[:min(len(body), 200)]
			if rec.Code != http.StatusServiceUnavailable || !strings.Contains(body, "audit row could not be written") || !strings.Contains(body, "database is locked") {
				t.Errorf("%s %s with the audit log locked: %d %q, want 503 naming the audit failure", tc.method, tc.path, rec.Code, short)
			}
			if strings.Contains(body, tc.leak) || rec.Header().Get("Content-Disposition") != "" {
				t.Errorf("%s %s with the audit log locked sent its content: %q (%q)", tc.method, tc.path, short, rec.Header().Get("Content-Disposition"))
			}
		})
	}
}

// TestSnippetNotFoundSays: a sensor's marker beside a snippet (NAME.keep)
// is not served as evidence (it was, audited as view.snippet), and a
// snippet asked for by its detection's ID, as an alert's evidence lists
// it, is answered 404 naming the snippet's own name.
func TestSnippetNotFoundSays(t *testing.T) {
	ev := newEnv(t)
	for _, f := range []string{"snippet-s7-e69b-14.sigmf-meta", "snippet-s7-e69b-14.sigmf-data", "snippet-s7-e69b-14.keep"} {
		if err := os.WriteFile(filepath.Join(ev.deps.SnippetDir, f), []byte(`{}`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	an := login(t, e, RoleAnalyst, "analyst-password")
	for _, tc := range []struct{ path, says string }{
		{"/api/v1/snippets/snippet-s7-e69b-14.keep", `snippet \"snippet-s7-e69b-14.keep\" not found: a snippet is NAME.sigmf-meta`},
		{"/api/v1/snippets/s7-e69b-14", `its snippet is snippet-s7-e69b-14`},
	} {
		before := len(ev.audit.entries)
		rec := do(e, "GET", tc.path, "", "", &an, false)
		if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), tc.says) {
			t.Errorf("GET %s: %d %s, want 404 saying %s", tc.path, rec.Code, rec.Body, tc.says)
		}
		if len(ev.audit.entries) != before {
			t.Errorf("GET %s audited %+v: nothing was served", tc.path, ev.audit.entries[before:])
		}
	}
}
