package dashboard

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
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

// TestReplayUploadNeedsItsAuditRow: an upload (a new recording, or one
// replacing another with replace=1) was moved in and then audited, its
// audit failure ignored (`_ = s.audit(...)`). It is now audited before
// any file moves: with the audit log locked it is refused (503 naming
// the row) and the uploads folder is as it was; with the log working it
// is stored with its replay.upload row.
func TestReplayUploadNeedsItsAuditRow(t *testing.T) {
	for _, tc := range []struct {
		name    string
		locked  bool
		replace bool
		code    int
		data    string // the recording's data after the request
		action  string // the replay.upload row written
	}{
		{"new, audit log locked", true, false, http.StatusServiceUnavailable, "", ""},
		{"replacing, audit log locked", true, true, http.StatusServiceUnavailable, "old", ""},
		{"new", false, false, http.StatusCreated, "new", "replay.upload recording/uploads/good.sigmf-meta " + uploadDetail([]byte(tinyData(32)), []byte(tinyMeta("ci8", "", "")))},
		{"replacing", false, true, http.StatusCreated, "new", "replay.upload recording/uploads/good.sigmf-meta replaced " + uploadDetail([]byte(tinyData(32)), []byte(tinyMeta("ci8", "", "")))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t)
			if tc.locked {
				ev.deps.Auditor = &lockedAudit{}
			}
			dir := filepath.Join(ev.deps.ReplayDir, "uploads")
			if tc.replace {
				if err := os.MkdirAll(dir, 0o750); err != nil {
					t.Fatal(err)
				}
				os.WriteFile(filepath.Join(dir, "good.sigmf-meta"), []byte(tinyMeta("ci8", "", "")), 0o600)
				os.WriteFile(filepath.Join(dir, "good.sigmf-data"), []byte("old"), 0o600)
			}
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			c := login(t, e, RoleAnalyst, "analyst-password")
			fresh := tinyData(32)
			body, ct := multipartBody(t, map[string][2]string{"meta": {"good.sigmf-meta", tinyMeta("ci8", "", "")}, "data": {"good.sigmf-data", fresh}})
			path := "/api/v1/replay/upload"
			if tc.replace {
				path += "?replace=1"
			}
			rec := do(e, "POST", path, body, ct, &c, true)
			if rec.Code != tc.code || tc.locked && !strings.Contains(rec.Body.String(), "audit row") {
				t.Errorf("upload: %d %s, want %d", rec.Code, trunc(rec.Body.String()), tc.code)
			}
			got, _ := os.ReadFile(filepath.Join(dir, "good.sigmf-data"))
			want := map[string]string{"": "", "old": "old", "new": fresh}[tc.data]
			if string(got) != want {
				t.Errorf("recording's data now %d bytes %.8q, want %.8q", len(got), got, want)
			}
			var rows []string
			for _, r := range ev.audit.entries {
				if strings.HasPrefix(r.Action, "replay.") {
					rows = append(rows, r.Action+" "+r.Object+" "+r.After)
				}
			}
			if want := []string{tc.action}; tc.action != "" && !slices.Equal(rows, want) || tc.action == "" && len(rows) != 0 {
				t.Errorf("audit rows %q, want %q", rows, tc.action)
			}
		})
	}
}
