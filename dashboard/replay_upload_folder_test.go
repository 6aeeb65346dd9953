package dashboard

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReplayUploadFolderUnwritable: given a replay folder the dashboard
// cannot create uploads/ in (a systemd unit with ProtectSystem=strict and
// no ReadWritePaths for RFW_REPLAY_DIR: "read-only file system"; here a
// file where the folder goes), when an analyst uploads, expect 500 naming
// the folder problem and RFW_REPLAY_DIR, without the server's path; it
// answered a bare "internal error".
func TestReplayUploadFolderUnwritable(t *testing.T) {
	ev := newEnv(t)
	if err := os.WriteFile(filepath.Join(ev.deps.ReplayDir, "uploads"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	c := login(t, e, RoleAnalyst, "analyst-password")
	body, ct := multipartBody(t, map[string][2]string{"meta": {"good.sigmf-meta", tinyMeta("ci8", "", "")}, "data": {"good.sigmf-data", tinyData(32)}})
	rec := do(e, "POST", "/api/v1/replay/upload", body, ct, &c, true)
	got := rec.Body.String()
	if rec.Code != 500 || !strings.Contains(got, "RFW_REPLAY_DIR") || !strings.Contains(got, "not a directory") {
		t.Errorf("got %d %s, want 500 naming RFW_REPLAY_DIR and why", rec.Code, trunc(got))
	}
	if strings.Contains(got, ev.deps.ReplayDir) {
		t.Errorf("message %s shows the server's folder", got)
	}
}
