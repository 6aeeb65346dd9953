package dashboard

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPipelineReplayerFollowsRFWDataset: metadata `rfwarden scan
// --annotate` wrote away from its samples names them in rfw:dataset,
// relative to itself; replay refused it ("its samples are not beside
// it"). It follows rfw:dataset as scan and eval do, to samples inside the
// replay folder; one leading out of it is refused naming rfw:dataset.
func TestPipelineReplayerFollowsRFWDataset(t *testing.T) {
	dir := t.TempDir()
	elsewhere := t.TempDir()
	for _, d := range []string{"data", "notes"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	meta := writeSynthRecording(t, filepath.Join(dir, "data"), "burst")
	writeSynthRecording(t, elsewhere, "secret")
	b, err := os.ReadFile(meta)
	if err != nil {
		t.Fatal(err)
	}
	out, err := filepath.Rel(filepath.Join(dir, "notes"), filepath.Join(elsewhere, "secret.sigmf-data"))
	if err != nil {
		t.Fatal(err)
	}
	note := func(name, ds string) string {
		p := filepath.Join(dir, "notes", name+".sigmf-meta")
		nb := bytes.Replace(b, []byte(`"core:datatype"`), []byte(`"rfw:dataset":"`+filepath.ToSlash(ds)+`","core:datatype"`), 1)
		if err := os.WriteFile(p, nb, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	r := newTestReplayer(t, dir)
	res, err := r.Replay(context.Background(), note("inside", "../data/burst.sigmf-data"), ReplayOptions{MaxRows: 20, MaxCols: 64})
	if err != nil {
		t.Fatalf("replay of metadata whose rfw:dataset leads inside the folder: %v", err)
	}
	found := false
	for _, d := range res.Detections {
		found = found || d.FreqLowHz <= synthToneHz && d.FreqHighHz >= synthToneHz
	}
	if !found {
		t.Errorf("no detection covers the tone at %v Hz: %+v", synthToneHz, res.Detections)
	}
	_, err = r.Replay(context.Background(), note("outside", out), ReplayOptions{MaxRows: 20, MaxCols: 64})
	if err == nil || !strings.Contains(err.Error(), "rfw:dataset") || !strings.Contains(err.Error(), "leads out of") {
		t.Errorf("replay of metadata whose rfw:dataset leads out of the folder: %v, want it refused naming rfw:dataset", err)
	}
	// The dashboard's setting, not scan's flag, which it has not.
	if err == nil || strings.Contains(err.Error(), "--dataset-root") || !strings.Contains(err.Error(), "RFW_REPLAY_DIR") {
		t.Errorf("replay of metadata whose rfw:dataset leads out of the folder: %v, want it naming RFW_REPLAY_DIR, not scan's --dataset-root", err)
	}
}
