package dashboard

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmftest"
)

// TestHealthzEvidenceRefused: given the evidence folder (RFW_SNIPPET_DIR)
// gone, when a sensor's snippet arrives, expect it refused and /healthz
// 503 "degraded: evidence: ..." naming the setting and the cause, not
// the path, once the writes have failed for store.WriteGrace; and ok
// again by itself once the folder is there (WatchWrites' probe), before
// any snippet comes. Eight snippets were refused, counted in
// rfwarden_dashboard_evidence_refused_total{reason="write"} and
// acknowledged away at the broker, while /healthz said ok.
func TestHealthzEvidenceRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "snippets")
	saver := NewEvidenceSaver(dir, nil)
	ev := newEnv(t)
	ev.deps.Evidence = saver
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	healthz := func() (int, string) {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := healthz(); code != http.StatusOK {
		t.Fatalf("/healthz before: %d %q", code, body)
	}
	if _, err := saver.Save("rfw/v1/hmp1/evidence/s1", sigmftest.Archive(t, "snippet-s1-0a1b2c3d4e5f-1830000-42", 4000)); err == nil {
		t.Fatal("a snippet saved into a folder that does not exist")
	}
	code, body := healthz()
	for deadline := time.Now().Add(store.WriteGrace + 5*time.Second); code == http.StatusOK && time.Now().Before(deadline); code, body = healthz() {
		time.Sleep(50 * time.Millisecond)
	}
	const want = "degraded: evidence: RFW_SNIPPET_DIR (--snippet-dir) refuses writes: the folder does not exist (1 failed writes in "
	if code != http.StatusServiceUnavailable || !strings.HasPrefix(body, want) || !strings.Contains(body, "the sensors' snippets are refused") {
		t.Errorf("/healthz while the snippets are refused: %d %q, want 503 beginning %q", code, body, want)
	}
	if strings.Contains(body, dir) {
		t.Errorf("/healthz %q names the folder; it needs no login", body)
	}

	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); saver.WatchWrites(ctx, 10*time.Millisecond) }()
	defer func() { cancel(); <-done }()
	code, body = healthz()
	for deadline := time.Now().Add(10 * time.Second); code != http.StatusOK && time.Now().Before(deadline); code, body = healthz() {
		time.Sleep(20 * time.Millisecond)
	}
	if code != http.StatusOK {
		t.Errorf("/healthz once the folder is there: %d %q, want 200 ok by itself", code, body)
	}
	if ents, err := os.ReadDir(dir); err != nil || len(ents) != 0 {
		t.Errorf("the probe left %v (%v) in the folder", ents, err)
	}
}
