package dashboard

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestReplayUploadRefusalsAudited: an analyst's upload refused (for its
// size, a file's name, its format, a name taken, the uploads under way,
// or the server's storage) leaves a replay.upload.refused row saying who,
// the file names sent and their sizes, the request's size and why, and
// none of the bytes sent; the audit log (the page's "replays" filter) and
// its CSV export show it. An upload stored leaves no such row. Until
// 2026-12-07 only the uploads stored were audited.
func TestReplayUploadRefusalsAudited(t *testing.T) {
	const secret = "SECRET-SAMPLES--" // the bytes sent, never in a row
	meta := tinyMeta("ci8", "", "")
	data := secret + tinyData(32)
	pair := func(name, meta string) map[string][2]string {
		return map[string][2]string{"meta": {name + ".sigmf-meta", meta}, "data": {name + ".sigmf-data", data}}
	}
	for _, tc := range []struct {
		name    string
		files   map[string][2]string
		fields  map[string]string
		prepare func(t *testing.T, ev *env, e http.Handler, c creds) (done func())
		max     int64 // Deps.MaxUpload; 0: the default
		code    int
		want    []string // in the row's detail
	}{
		{name: "too large", files: pair("big", meta), max: 100, code: 413,
			want: []string{"status=413 request_bytes=", `why="upload of `, `exceeds the 100 byte limit"`}},
		{name: "bad raw name", files: map[string][2]string{"raw": {"bad name!.cs8", data}}, fields: map[string]string{"datatype": "ci8", "sample_rate": "1e6"}, code: 400,
			want: []string{"status=400", `raw="bad name!.cs8" raw_bytes=` + fmt.Sprint(len(data)), `why="upload: raw file name \"bad name!.cs8\" must be NAME.EXT`}},
		{name: "metadata unreadable", files: pair("broken", "{not json"), code: 422,
			want: []string{"status=422", `meta="broken.sigmf-meta" meta_bytes=9 data="broken.sigmf-data" data_bytes=` + fmt.Sprint(len(data)), `why="upload \"broken\": `}},
		{name: "name taken", files: pair("taken", meta), code: 409,
			prepare: func(t *testing.T, ev *env, e http.Handler, c creds) func() {
				dir := filepath.Join(ev.deps.ReplayDir, uploadFolder)
				if err := os.MkdirAll(dir, 0o750); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "taken.sigmf-meta"), []byte(meta), 0o600); err != nil {
					t.Fatal(err)
				}
				return func() {}
			},
			want: []string{"status=409", `meta="taken.sigmf-meta"`, `why="upload: recording \"uploads/taken.sigmf-meta\" exists; upload with replace=1`}},
		{name: "one under way already", files: pair("second", meta), code: 429,
			prepare: func(t *testing.T, ev *env, e http.Handler, c creds) func() {
				body, ct := multipartBody(t, pair("first", meta))
				let, wait := holdUpload(t, e, c, body, ct)
				return func() {
					let()
					if rec := wait(); rec.Code != 201 {
						t.Errorf("the upload held: %d %s", rec.Code, trunc(rec.Body.String()))
					}
				}
			},
			want: []string{"status=429", `why="upload: you have 1 upload under way`}},
		{name: "uploads folder not writable", files: pair("nowhere", meta), code: 500,
			prepare: func(t *testing.T, ev *env, e http.Handler, c creds) func() {
				// a file where the uploads folder goes: it cannot be made
				if err := os.WriteFile(filepath.Join(ev.deps.ReplayDir, uploadFolder), nil, 0o600); err != nil {
					t.Fatal(err)
				}
				return func() {}
			},
			want: []string{"status=500", `meta="nowhere.sigmf-meta"`, `why="upload: the dashboard cannot create the uploads folder of RFW_REPLAY_DIR: not a directory`}},
		{name: "stored", files: pair("fine", meta), code: 201},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t)
			if tc.max > 0 {
				ev.deps.MaxUpload = tc.max
			}
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			c := login(t, e, RoleAnalyst, "analyst-password")
			done := func() {}
			if tc.prepare != nil {
				done = tc.prepare(t, ev, e, c)
			}
			body, ct := formBody(t, tc.files, tc.fields)
			rec := do(e, "POST", "/api/v1/replay/upload", body, ct, &c, true)
			done()
			if rec.Code != tc.code {
				t.Fatalf("upload: %d %s, want %d", rec.Code, trunc(rec.Body.String()), tc.code)
			}
			admin := login(t, e, RoleAdmin, "admin-password")
			list := do(e, "GET", "/api/v1/audit?action=replay.", "", "", &admin, false)
			var rows []store.AuditEntry
			if err := json.Unmarshal(list.Body.Bytes(), &rows); err != nil || list.Code != 200 {
				t.Fatalf("audit log: %d %v %s", list.Code, err, trunc(list.Body.String()))
			}
			var refused []store.AuditEntry
			for _, r := range rows {
				if r.Action == "replay.upload.refused" {
					refused = append(refused, r)
				}
			}
			if tc.code == 201 {
				if len(refused) != 0 {
					t.Errorf("an upload stored left refusal rows %+v", refused)
				}
				return
			}
			if len(refused) != 1 {
				t.Fatalf("replay.* rows %+v, want one replay.upload.refused", rows)
			}
			r := refused[0]
			if r.User != RoleAnalyst || r.Object != "replay/upload" {
				t.Errorf("refusal row by %q on %q, want by %q on replay/upload", r.User, r.Object, RoleAnalyst)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.After, w) {
					t.Errorf("refusal row %q, want it to say %q", r.After, w)
				}
			}
			if strings.Contains(r.After, secret) || strings.Contains(r.After, "not json") {
				t.Errorf("refusal row %q holds bytes sent", r.After)
			}
			export := do(e, "GET", "/api/v1/audit/export.csv?action=replay.upload.refused&from="+testNow.Format("2006-01-02"), "", "", &admin, false)
			csvRows, err := csv.NewReader(export.Body).ReadAll()
			if err != nil || export.Code != 200 || len(csvRows) != 2 || csvRows[1][3] != "replay.upload.refused" || csvRows[1][6] != r.After {
				t.Errorf("audit export: %d %v %q, want the refusal's row", export.Code, err, csvRows)
			}
		})
	}
}
