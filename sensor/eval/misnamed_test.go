package eval

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMisnamedMetaPassedOver: SigMF metadata named .json
// ("rec.sigmf-meta.json", as a browser download saves it) was left out of
// the corpus unsaid. It is listed as passed over, unreadable, saying what
// to name it; a .json that is no SigMF metadata (eval's own --json
// output) is still left alone.
func TestMisnamedMetaPassedOver(t *testing.T) {
	dir := t.TempDir()
	meta := writeTiny(t, dir, "ok", "", "lte-dl")
	b, err := os.ReadFile(meta)
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{
		"rec.sigmf-meta.json": b,
		"REC2.JSON":           b,
		"results.json":        []byte(`{"version":"dev","settings":{}}`),
		"raw.json":            []byte("{\x01\x02binary"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := mustFind(t, dir)
	got := map[string]string{}
	for _, s := range c.Skipped {
		got[filepath.Base(s.Path)] = s.Reason.String() + ": " + s.Why
	}
	want := map[string]string{
		"rec.sigmf-meta.json": "name it rec.sigmf-meta, with its samples beside it in rec.sigmf-data",
		"REC2.JSON":           "name it REC2.sigmf-meta",
	}
	for name, words := range want {
		if !strings.HasPrefix(got[name], "unreadable: ") || !strings.Contains(got[name], "looks like SigMF metadata") || !strings.Contains(got[name], words) {
			t.Errorf("%s passed over as %q, want unreadable saying it looks like SigMF metadata and %q", name, got[name], words)
		}
	}
	if len(got) != len(want) {
		t.Errorf("passed over %v, want only %v", got, want)
	}
}
