package dashboard

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

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
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	c := login(t, e, RoleAnalyst, "analyst-password")
	rec := do(e, "GET", "/api/v1/replay/recordings", "", "", &c, false)
	want := `["alias.sigmf-meta","packed.sigmf","sub/burst.sigmf-meta","snippet:snippet-s1-a.sigmf-meta"]`
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != want {
		t.Fatalf("list: %d %s, want %s", rec.Code, rec.Body, want)
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

	// The annotated metadata of an archive's run is NAME.sigmf-meta.
	do(e, "POST", "/api/v1/replay/run", `{"path":"packed.sigmf"}`, "application/json", &c, true)
	rec = do(e, "GET", "/api/v1/replay/annotated", "", "", &c, false)
	if cd := rec.Header().Get("Content-Disposition"); rec.Code != 200 || !strings.Contains(cd, `"packed.sigmf-meta"`) {
		t.Errorf("annotated download of an archive's run: %d %q, want packed.sigmf-meta", rec.Code, cd)
	}
	if _, err := sigmf.ParseMeta(rec.Body.Bytes()); err != nil {
		t.Errorf("annotated download of an archive's run: %v", err)
	}
}
