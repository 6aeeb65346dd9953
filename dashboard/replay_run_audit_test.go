package dashboard

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReplayRunAuditSaysWhatWasReplayed: the audit row of a replay run
// (replay.run) says what was replayed: the options that choose the
// samples (start_s, center_hz, max_seconds: a run analyses at most 2 s,
// so an analyst who replayed 40 s into a night's recording looked at
// other samples than one from its start) and the recording's files' sizes
// and modification times, so the runs of an upload replaced (replace=1)
// under the same name are told apart from those of the one it replaced.
// Until 2026-12-06 the row named the path and "threshold_db=… pfa=…"
// only, and an auditor asking "who replayed what" could not tell.
func TestReplayRunAuditSaysWhatWasReplayed(t *testing.T) {
	ev := newEnv(t)
	ev.deps.Replayer = newTestReplayer(t, ev.deps.ReplayDir)
	ev.deps.MaxUpload = 16 << 20
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	c := login(t, e, RoleAnalyst, "analyst-password")
	runDetail := func(t *testing.T, body string) string {
		t.Helper()
		rec := do(e, "POST", "/api/v1/replay/run", body, "application/json", &c, true)
		if rec.Code != 200 {
			t.Fatalf("run %s: %d %s", body, rec.Code, trunc(rec.Body.String()))
		}
		ev.audit.mu.Lock()
		defer ev.audit.mu.Unlock()
		last := ev.audit.entries[len(ev.audit.entries)-1]
		if last.Action != "replay.run" {
			t.Fatalf("last audit row %+v, want replay.run", last)
		}
		return last.After
	}
	upload := func(t *testing.T, samples int) {
		t.Helper()
		body, ct := multipartBody(t, map[string][2]string{"meta": {"night.sigmf-meta", tinyMeta("ci8", "", "")}, "data": {"night.sigmf-data", tinyData(samples)}})
		if rec := do(e, "POST", "/api/v1/replay/upload?replace=1", body, ct, &c, true); rec.Code != 201 {
			t.Fatalf("upload: %d %s", rec.Code, trunc(rec.Body.String()))
		}
	}
	upload(t, 4096)
	t.Run("given a start and a tuning when run then the row says them", func(t *testing.T) {
		got := runDetail(t, `{"path":"uploads/night.sigmf-meta","start_s":0.001,"center_hz":915000000}`)
		if !strings.Contains(got, "start_s=0.001") || !strings.Contains(got, "center_hz=915000000") {
			t.Errorf("replay.run detail %q, want start_s=0.001 and center_hz=915000000 (the stretch analysed)", got)
		}
	})
	t.Run("given the upload replaced when run then the rows differ", func(t *testing.T) {
		first := runDetail(t, `{"path":"uploads/night.sigmf-meta"}`)
		upload(t, 8192)
		second := runDetail(t, `{"path":"uploads/night.sigmf-meta"}`)
		if first == second {
			t.Errorf("runs of two different recordings uploaded as night: both audited %q; want rows that tell them apart", first)
		}
	})
}

// TestReplayRunDetail: a run's audit detail names the options and each
// file of the recording with its size and modification time: the pair's
// two files, an archive (also when one recording of it is run,
// NAME.sigmf:dir/name), and a file that is missing as missing.
func TestReplayRunDetail(t *testing.T) {
	dir := t.TempDir()
	mod := time.Date(2026, 12, 6, 12, 4, 5, 123456789, time.UTC)
	for name, size := range map[string]int{"pair.sigmf-meta": 10, "pair.sigmf-data": 32, "day.sigmf": 2048, "lone.sigmf-meta": 7} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	const opts = "threshold_db=6 pfa=1e-06 start_s=40.5 center_hz=915000000 max_seconds=0 "
	const at = "2026-12-06T12:04:05.123456789Z"
	req := replayReq{ThresholdDB: 6, PFA: 1e-6, StartS: 40.5, CenterHz: 915e6}
	cases := []struct{ name, path, want string }{
		{"pair", "pair.sigmf-meta", opts + "meta_bytes=10 meta_modified=" + at + " data_bytes=32 data_modified=" + at},
		{"archive", "day.sigmf", opts + "archive_bytes=2048 archive_modified=" + at},
		{"one recording of an archive", "day.sigmf:day-0/day-0", opts + "archive_bytes=2048 archive_modified=" + at},
		{"data missing", "lone.sigmf-meta", opts + "meta_bytes=7 meta_modified=" + at + " data=missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := replayRunDetail(req, filepath.Join(dir, tc.path)); got != tc.want {
				t.Errorf("detail of %s:\n got %q\nwant %q", tc.path, got, tc.want)
			}
		})
	}
}
