package dashboard

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime/multipart"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// sumOf is the size and SHA-256 of b as a replay.upload row says them.
func sumOf(prefix string, b []byte) string {
	sum := sha256.Sum256(b)
	return fmt.Sprintf("%s_bytes=%d %s_sha256=%s", prefix, len(b), prefix, hex.EncodeToString(sum[:]))
}

// uploadDetail is the replay.upload row's detail of a recording whose
// stored data and metadata are data and meta.
func uploadDetail(data, meta []byte) string {
	return sumOf("data", data) + " " + sumOf("meta", meta)
}

// formBody is a multipart body of files (field: file name, content) and
// plain fields.
func formBody(t *testing.T, files map[string][2]string, fields map[string]string) (string, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for field, f := range files {
		fw, err := w.CreateFormFile(field, f[0])
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte(f[1]))
	}
	w.Close()
	return b.String(), w.FormDataContentType()
}

// TestReplayUploadAuditSaysSizeAndHash: the replay.upload row of each
// recording stored says the size and SHA-256 of its data and metadata as
// stored in uploads/, in every form an upload takes: the data as sent,
// the metadata as sent or as the dashboard wrote it (core:dataset
// rewritten, a raw capture's metadata written), each recording of an
// archive. Until 2026-12-06 the row said nothing of what was uploaded.
func TestReplayUploadAuditSaysSizeAndHash(t *testing.T) {
	data := tinyData(40)
	for _, tc := range []struct {
		name     string
		files    map[string][2]string
		fields   map[string]string
		want     []string // recordings stored
		sentData string   // the data as sent, "" for an archive
		sentMeta string   // the metadata as sent, when stored as sent
	}{
		{name: "pair", files: map[string][2]string{"meta": {"p.sigmf-meta", tinyMeta("ci8", "", "")}, "data": {"p.sigmf-data", data}},
			want: []string{"p"}, sentData: data, sentMeta: tinyMeta("ci8", "", "")},
		{name: "pair with core:dataset rewritten", files: map[string][2]string{"meta": {"g.sigmf-meta", tinyMeta("ci8", `,"core:dataset":"capture.cfile"`, "")}, "data": {"capture.cfile", data}},
			want: []string{"g"}, sentData: data},
		{name: "raw capture", files: map[string][2]string{"raw": {"night.cs8", data}}, fields: map[string]string{"datatype": "ci8", "sample_rate": "1e6", "center_hz": "915e6"},
			want: []string{"night"}, sentData: data},
		{name: "archive of several", files: map[string][2]string{"archive": {"day.sigmf", string(severalRecordingsArchive(t))}},
			want: []string{"day-0", "day-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t)
			ev.deps.MaxUpload = 8 << 20
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			c := login(t, e, RoleAnalyst, "analyst-password")
			body, ct := formBody(t, tc.files, tc.fields)
			if rec := do(e, "POST", "/api/v1/replay/upload", body, ct, &c, true); rec.Code != 201 {
				t.Fatalf("upload: %d %s", rec.Code, trunc(rec.Body.String()))
			}
			var rows, want []string
			for _, a := range ev.audit.entries {
				if a.Action == "replay.upload" {
					rows = append(rows, a.Object+" "+a.After)
				}
			}
			for _, name := range tc.want {
				stored := filepath.Join(ev.deps.ReplayDir, uploadFolder, name)
				d, err := os.ReadFile(stored + sigmf.DataExt)
				if err != nil {
					t.Fatal(err)
				}
				m, err := os.ReadFile(stored + sigmf.MetaExt)
				if err != nil {
					t.Fatal(err)
				}
				if tc.sentData != "" && !bytes.Equal(d, []byte(tc.sentData)) {
					t.Fatalf("%s: data stored is not the data sent", name)
				}
				if tc.sentMeta != "" && !bytes.Equal(m, []byte(tc.sentMeta)) {
					t.Fatalf("%s: metadata stored is not the metadata sent", name)
				}
				want = append(want, "recording/uploads/"+name+sigmf.MetaExt+" "+uploadDetail(d, m))
			}
			if !slices.Equal(rows, want) {
				t.Errorf("replay.upload rows\n%q\nwant\n%q", rows, want)
			}
		})
	}
}

// TestReplayUploadAuditSaysReplaced: an upload replacing a recording says
// so before the sums of what replaced it, so the row tells the two
// uploads apart.
func TestReplayUploadAuditSaysReplaced(t *testing.T) {
	ev := newEnv(t)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	c := login(t, e, RoleAnalyst, "analyst-password")
	meta := tinyMeta("ci8", "", "")
	for _, q := range []string{"", "?replace=1"} {
		body, ct := multipartBody(t, map[string][2]string{"meta": {"x.sigmf-meta", meta}, "data": {"x.sigmf-data", tinyData(len(q) + 20)}})
		if rec := do(e, "POST", "/api/v1/replay/upload"+q, body, ct, &c, true); rec.Code != 201 {
			t.Fatalf("upload%s: %d %s", q, rec.Code, trunc(rec.Body.String()))
		}
	}
	var rows []string
	for _, a := range ev.audit.entries {
		if a.Action == "replay.upload" {
			rows = append(rows, a.After)
		}
	}
	want := []string{uploadDetail([]byte(tinyData(20)), []byte(meta)), "replaced " + uploadDetail([]byte(tinyData(30)), []byte(meta))}
	if !slices.Equal(rows, want) {
		t.Errorf("replay.upload rows %q, want %q", rows, want)
	}
}
