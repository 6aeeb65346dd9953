package dashboard

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// tinyMeta is the metadata of a small recording of datatype at 1 Msps,
// with extra global members (each with a leading comma) and annotations
// (a JSON array's members).
func tinyMeta(datatype, extraGlobal, annotations string) string {
	return `{"global":{"core:datatype":"` + datatype + `","core:sample_rate":1000000,"core:version":"1.0.0"` + extraGlobal + `},` +
		`"captures":[{"core:sample_start":0,"core:frequency":915000000}],"annotations":[` + annotations + `]}`
}

// tinyData is n ci8 samples.
func tinyData(n int) string { return strings.Repeat("\x05\xfb", n) }

// folderEntries lists the files and folders in dir, hidden ones too; none
// when dir does not exist.
func folderEntries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, de := range des {
		out = append(out, de.Name())
	}
	return out
}

// An upload is opened by the reader a replay (and rfwarden scan) opens it
// with before anything is stored: a pair that run would refuse is refused
// at once, naming the fault, and leaves nothing behind.
func TestReplayUploadRefusesBrokenPairs(t *testing.T) {
	ev := newEnv(t)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	c := login(t, e, RoleAnalyst, "analyst-password")
	full := tinyData(32)
	sum := sha512.Sum512([]byte(full))
	tests := []struct {
		name, meta, data string
		wantCode         int
		want             string
	}{
		{"given an unsupported datatype when uploaded then 422", tinyMeta("ri8", "", ""), full, 422, `unsupported datatype \"ri8\"`},
		{"given a trailing partial sample when uploaded then 422", tinyMeta("ci16_le", "", ""), full + "\x01", 422, "65 bytes is not a multiple of the 4-byte ci16_le sample"},
		{"given data cut short under its annotation when uploaded then 422", tinyMeta("ci8", "", `{"core:sample_start":0,"core:sample_count":32}`), full[:40], 422,
			"annotations[0] samples [0, +32) beyond the 20 samples of data"},
		{"given data cut short under its hash when uploaded then 422", tinyMeta("ci8", `,"core:sha512":"`+hex.EncodeToString(sum[:])+`"`, ""), full[:40], 422,
			"metadata does not match data (the data is not what the metadata was written for: copy the data again from where it was recorded, or, to replay it as it is, remove the hash from the metadata)"},
		{"given a hash that is no string when uploaded then 422", tinyMeta("ci8", `,"rfw:sha256":5`, ""), full, 422, "rfw:sha256: invalid metadata: a number, want a hex string (fix the hash in the metadata, or remove it)"},
		{"given too few samples to replay when uploaded then 422", tinyMeta("ci8", "", ""), full[:8], 422, "4 samples, a replay needs at least 16"},
		{"given metadata that is not JSON when uploaded then 422", `{"global":`, full, 422, "invalid metadata"},
		{"given metadata naming a data file out of its folder when uploaded then 422", tinyMeta("ci8", `,"core:dataset":"../other.bin"`, ""), full, 422, `core:dataset \"../other.bin\"`},
	}
	uploads := filepath.Join(ev.deps.ReplayDir, "uploads")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, ct := multipartBody(t, map[string][2]string{"meta": {"bad.sigmf-meta", tc.meta}, "data": {"bad.sigmf-data", tc.data}})
			rec := do(e, "POST", "/api/v1/replay/upload", body, ct, &c, true)
			if rec.Code != tc.wantCode || !strings.Contains(rec.Body.String(), tc.want) {
				t.Errorf("got %d %s, want %d containing %q", rec.Code, trunc(rec.Body.String()), tc.wantCode, tc.want)
			}
			if strings.Contains(rec.Body.String(), ev.deps.ReplayDir) {
				t.Errorf("message %s shows the server's folder", rec.Body)
			}
			if got := folderEntries(t, uploads); len(got) != 0 {
				t.Errorf("refused upload left %v in uploads/", got)
			}
			if ev.audit.has("replay.upload", "recording/uploads/bad.sigmf-meta") {
				t.Error("refused upload audited as an upload")
			}
		})
	}
	body, ct := multipartBody(t, map[string][2]string{"meta": {"good.sigmf-meta", tinyMeta("ci8", "", "")}, "data": {"good.sigmf-data", full}})
	if rec := do(e, "POST", "/api/v1/replay/upload", body, ct, &c, true); rec.Code != 201 {
		t.Fatalf("good upload: %d %s", rec.Code, rec.Body)
	}
	if got, want := folderEntries(t, uploads), []string{"good.sigmf-data", "good.sigmf-meta"}; !slices.Equal(got, want) {
		t.Errorf("uploads/ holds %v, want %v", got, want)
	}
}

// Uploading under a name already taken is refused with 409 unless the
// client asks to replace it; either way the upload is audited.
func TestReplayUploadKeepsExisting(t *testing.T) {
	ev := newEnv(t)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	c := login(t, e, RoleAnalyst, "analyst-password")
	upload := func(query, data string) (int, string) {
		body, ct := multipartBody(t, map[string][2]string{"meta": {"x.sigmf-meta", tinyMeta("ci8", "", "")}, "data": {"x.sigmf-data", data}})
		rec := do(e, "POST", "/api/v1/replay/upload"+query, body, ct, &c, true)
		return rec.Code, rec.Body.String()
	}
	stored := func() string {
		b, _ := os.ReadFile(filepath.Join(ev.deps.ReplayDir, "uploads", "x.sigmf-data"))
		return string(b)
	}
	first, second := tinyData(32), tinyData(48)
	if code, body := upload("", first); code != 201 {
		t.Fatalf("first upload: %d %s", code, body)
	}
	tests := []struct {
		name, query, data string
		wantCode          int
		wantBody, stored  string
	}{
		{"given a taken name when uploaded then 409 naming it", "", second, 409, `uploads/x.sigmf-meta\" exists`, first},
		{"given replace=0 when uploaded then 409", "?replace=0", second, 409, "replace=1", first},
		{"given a bad replace when uploaded then 400", "?replace=yes", second, 400, "replace", first},
		{"given replace=1 when uploaded then replaced", "?replace=1", second, 201, `"replaced":true`, second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := upload(tc.query, tc.data)
			if code != tc.wantCode || !strings.Contains(body, tc.wantBody) {
				t.Errorf("got %d %s, want %d containing %q", code, trunc(body), tc.wantCode, tc.wantBody)
			}
			if got := stored(); got != tc.stored {
				t.Errorf("stored data is %d bytes, want %d", len(got), len(tc.stored))
			}
		})
	}
	if got, want := folderEntries(t, filepath.Join(ev.deps.ReplayDir, "uploads")), []string{"x.sigmf-data", "x.sigmf-meta"}; !slices.Equal(got, want) {
		t.Errorf("uploads/ holds %v, want %v", got, want)
	}
	// A staging folder a crash left (over an hour old) goes at the next
	// upload; one of an upload under way stays.
	stale, busy := filepath.Join(ev.deps.ReplayDir, "uploads", ".upload-1"), filepath.Join(ev.deps.ReplayDir, "uploads", ".upload-2")
	for _, d := range []string{stale, busy} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(d, "x.sigmf-data"), []byte(first), 0o640)
	}
	twoHours := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, twoHours, twoHours); err != nil {
		t.Fatal(err)
	}
	if code, body := upload("?replace=1", first); code != 201 {
		t.Fatalf("upload: %d %s", code, body)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a staging folder two hours old is still there (%v)", err)
	}
	if _, err := os.Stat(busy); err != nil {
		t.Errorf("a new staging folder was removed: %v", err)
	}
	var uploads []string
	for _, a := range ev.audit.entries {
		if a.Action == "replay.upload" {
			uploads = append(uploads, a.Object+" "+a.After)
		}
	}
	meta := []byte(tinyMeta("ci8", "", ""))
	if want := []string{"recording/uploads/x.sigmf-meta " + uploadDetail([]byte(first), meta), "recording/uploads/x.sigmf-meta replaced " + uploadDetail([]byte(second), meta), "recording/uploads/x.sigmf-meta replaced " + uploadDetail([]byte(first), meta)}; !slices.Equal(uploads, want) {
		t.Errorf("audited uploads %q, want %q", uploads, want)
	}
}

// Every path the recordings list offers is one /replay/run takes: links
// inside the replay folder are listed and run, links out of it are neither,
// SigMF archives are both, hidden files (uploads on their way in) neither.
func TestReplayListAgreesWithRun(t *testing.T) {
	ev := newEnv(t)
	dir := ev.deps.ReplayDir
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	meta := writeSynthRecording(t, sub, "burst")
	elsewhere := t.TempDir()
	writeSynthRecording(t, elsewhere, "secret")
	for _, ext := range []string{sigmf.MetaExt, sigmf.DataExt} {
		if err := os.Symlink(filepath.Join(sub, "burst"+ext), filepath.Join(dir, "alias"+ext)); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(elsewhere, "secret"+ext), filepath.Join(dir, "escape"+ext)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(elsewhere, "secret"+sigmf.MetaExt), filepath.Join(dir, "metaonly"+sigmf.MetaExt)); err != nil {
		t.Fatal(err)
	}
	if err := sigmf.WriteArchive(filepath.Join(dir, "packed"+sigmf.ArchiveExt), meta, strings.TrimSuffix(meta, sigmf.MetaExt)+sigmf.DataExt); err != nil {
		t.Fatal(err)
	}
	if err := sigmf.WriteArchive(filepath.Join(elsewhere, "far"+sigmf.ArchiveExt), meta, strings.TrimSuffix(meta, sigmf.MetaExt)+sigmf.DataExt); err != nil {
		t.Fatal(err)
	}
	os.Symlink(filepath.Join(elsewhere, "far"+sigmf.ArchiveExt), filepath.Join(dir, "far"+sigmf.ArchiveExt))
	hidden := filepath.Join(dir, "uploads", ".upload-1")
	os.MkdirAll(hidden, 0o755)
	writeSynthRecording(t, hidden, "half")
	snips := ev.deps.SnippetDir
	writeSynthRecording(t, snips, "snippet-s1-a")
	for _, ext := range []string{sigmf.MetaExt, sigmf.DataExt} {
		os.Symlink(filepath.Join(elsewhere, "secret"+ext), filepath.Join(snips, "snippet-s1-b"+ext))
	}
	r, err := NewPipelineReplayer(ReplayerConfig{Dir: dir, SnippetDir: snips, OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ev.deps.Replayer = r
	e, c, logs := ev.analystWithLog(t)
	want := `["alias.sigmf-meta","packed.sigmf","sub/burst.sigmf-meta","snippet:snippet-s1-a.sigmf-meta"]`
	for range 2 {
		rec := do(e, "GET", "/api/v1/replay/recordings", "", "", &c, false)
		if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != want {
			t.Fatalf("list: %d %s, want %s", rec.Code, rec.Body, want)
		}
	}
	// Each refused recording is logged once, not at every listing.
	for _, p := range []string{"escape.sigmf-meta", "metaonly.sigmf-meta", "far.sigmf"} {
		if n := strings.Count(logs.String(), "/"+p+" err="); n != 1 {
			t.Errorf("%s logged %d times over two listings, want once:\n%s", p, n, logs.String())
		}
	}
	tests := []struct {
		name, path string
		wantCode   int
		wantBody   string
	}{
		{"given a link inside the folder when run then 200", "alias.sigmf-meta", 200, `"annotated_ready":true`},
		{"given an archive when run then 200", "packed.sigmf", 200, `"annotated_ready":true`},
		{"given a recording in a subfolder when run then 200", "sub/burst.sigmf-meta", 200, `"annotated_ready":true`},
		{"given a snippet when run then 200", "snippet:snippet-s1-a.sigmf-meta", 200, `"annotated_ready":true`},
		{"given a snippet linking out of its folder when run then 400", "snippet:snippet-s1-b.sigmf-meta", 400, "links outside the replay folder"},
		{"given links out of the folder when run then 400", "escape.sigmf-meta", 400, "links outside the replay folder"},
		{"given a metadata link out of the folder when run then 400", "metaonly.sigmf-meta", 400, "links outside the replay folder"},
		{"given an archive link out of the folder when run then 400", "far.sigmf", 400, "links outside the replay folder"},
		{"given a hidden upload when run then 400", "uploads/.upload-1/half.sigmf-meta", 400, "hidden"},
		{"given a data file when run then 400", "sub/burst.sigmf-data", 400, "choose a .sigmf-meta file or a .sigmf archive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(e, "POST", "/api/v1/replay/run", `{"path":"`+tc.path+`"}`, "application/json", &c, true)
			if rec.Code != tc.wantCode || !strings.Contains(rec.Body.String(), tc.wantBody) {
				t.Errorf("got %d %s, want %d containing %q", rec.Code, trunc(rec.Body.String()), tc.wantCode, tc.wantBody)
			}
		})
	}
	// A replay folder that is itself a link lists and runs the same.
	link := filepath.Join(t.TempDir(), "replay")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	ev.deps.ReplayDir = link
	if ev.deps.Replayer, err = NewPipelineReplayer(ReplayerConfig{Dir: link, SnippetDir: snips, OutDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	linked, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	lc := login(t, linked, RoleAnalyst, "analyst-password")
	if rec := do(linked, "GET", "/api/v1/replay/recordings", "", "", &lc, false); rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != want {
		t.Errorf("list of a linked replay folder: %d %s, want %s", rec.Code, rec.Body, want)
	}
	if rec := do(linked, "POST", "/api/v1/replay/run", `{"path":"sub/burst.sigmf-meta"}`, "application/json", &lc, true); rec.Code != 200 {
		t.Errorf("run in a linked replay folder: %d %s", rec.Code, trunc(rec.Body.String()))
	}

	// The annotated metadata of an archive's run is NAME.replay.sigmf-meta
	// (not the recording's own NAME.sigmf-meta, which saving it beside
	// the recording would overwrite).
	do(e, "POST", "/api/v1/replay/run", `{"path":"packed.sigmf"}`, "application/json", &c, true)
	rec := do(e, "GET", "/api/v1/replay/annotated", "", "", &c, false)
	if cd := rec.Header().Get("Content-Disposition"); rec.Code != 200 || !strings.Contains(cd, `"packed.replay.sigmf-meta"`) {
		t.Errorf("annotated download of an archive's run: %d %q, want packed.replay.sigmf-meta", rec.Code, cd)
	}
	if _, err := sigmf.ParseMeta(rec.Body.Bytes()); err != nil {
		t.Errorf("annotated download of an archive's run: %v", err)
	}
}

// A SigMF archive (as evidence downloads) uploads in one field; it is
// checked as run would open it and stored as the pair it holds.
func TestReplayUploadArchive(t *testing.T) {
	ev := newEnv(t)
	src := t.TempDir()
	meta := writeSynthRecording(t, src, "snippet-s1-x")
	arch := filepath.Join(src, "snippet-s1-x"+sigmf.ArchiveExt)
	if err := sigmf.WriteArchive(arch, meta, strings.TrimSuffix(meta, sigmf.MetaExt)+sigmf.DataExt); err != nil {
		t.Fatal(err)
	}
	archive, _ := os.ReadFile(arch)
	ev.deps.Replayer = newTestReplayer(t, ev.deps.ReplayDir)
	ev.deps.MaxUpload = 4 << 20
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	c := login(t, e, RoleAnalyst, "analyst-password")
	tests := []struct {
		name     string
		fields   map[string][2]string
		wantCode int
		wantBody string
	}{
		{"given an archive when uploaded then stored as its pair", map[string][2]string{"archive": {"renamed.sigmf", string(archive)}}, 201, `"path":"uploads/snippet-s1-x.sigmf-meta"`},
		{"given the archive again when uploaded then 409", map[string][2]string{"archive": {"snippet-s1-x.sigmf", string(archive)}}, 409, "exists"},
		{"given a cut archive when uploaded then 422", map[string][2]string{"archive": {"cut.sigmf", string(archive[:len(archive)/2])}}, 422, "archive"},
		{"given an archive and a pair when uploaded then 400", map[string][2]string{"archive": {"a.sigmf", string(archive)}, "meta": {"a.sigmf-meta", "{}"}}, 400, "either"},
		{"given an archive not named .sigmf when uploaded then 400", map[string][2]string{"archive": {"a.tar", string(archive)}}, 400, "NAME.sigmf"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, ct := multipartBody(t, tc.fields)
			rec := do(e, "POST", "/api/v1/replay/upload", body, ct, &c, true)
			if rec.Code != tc.wantCode || !strings.Contains(rec.Body.String(), tc.wantBody) {
				t.Errorf("got %d %s, want %d containing %q", rec.Code, trunc(rec.Body.String()), tc.wantCode, tc.wantBody)
			}
		})
	}
	if got, want := folderEntries(t, filepath.Join(ev.deps.ReplayDir, "uploads")), []string{"snippet-s1-x.sigmf-data", "snippet-s1-x.sigmf-meta"}; !slices.Equal(got, want) {
		t.Errorf("uploads/ holds %v, want %v", got, want)
	}
	rec := do(e, "POST", "/api/v1/replay/run", `{"path":"uploads/snippet-s1-x.sigmf-meta"}`, "application/json", &c, true)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"snr_db"`) {
		t.Errorf("run of the uploaded archive: %d %s", rec.Code, trunc(rec.Body.String()))
	}
}

// An uploaded pair's metadata larger than sigmf.MaxMetaBytes is refused
// before it is read, naming the file and the limit: a 250 MB one was
// parsed (39 s, 1.6 GB) and accepted. The file is sparse here.
func TestCheckUploadRefusesHugeMeta(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "big.sigmf-data"), []byte(tinyData(32)), 0o644); err != nil {
		t.Fatal(err)
	}
	meta := filepath.Join(dir, "big.sigmf-meta")
	if err := os.WriteFile(meta, []byte(tinyMeta("ci8", "", "")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(meta, sigmf.MaxMetaBytes+1); err != nil {
		t.Fatal(err)
	}
	err := checkUpload(context.Background(), dir, "big")
	if !errors.Is(err, sigmf.ErrTooLarge) || !strings.Contains(err.Error(), "big.sigmf-meta") || !strings.Contains(err.Error(), "64 MiB") {
		t.Fatalf("checkUpload err = %v, want ErrTooLarge naming big.sigmf-meta and the 64 MiB limit", err)
	}
}
