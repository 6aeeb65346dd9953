package sigmf

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmfschema"
)

func TestWrittenMetaMatchesOfficialSchema(t *testing.T) {
	dir := t.TempDir()

	// Output of the Writer, with retunes, annotations, extras and clipping.
	base := filepath.Join(dir, "w")
	w, err := NewWriter(base, "ci8", 10e6, 2.44e9, time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(append(randomSamples(1000, 1), 3)); err != nil {
		t.Fatal(err)
	}
	w.Retune(5.8e9, time.Time{})
	if err := w.Write(randomSamples(10, 2)); err != nil {
		t.Fatal(err)
	}
	w.Annotate(Annotation{SampleStart: 3, SampleCount: 4, HasFreq: true, FreqLowerHz: 2.44e9, FreqUpperHz: 2.45e9, Label: "droneid", Comment: "c", Generator: "g"})
	w.SetExtra("rfw:site", "test")
	w.SetGlobal("d", "a", "hw", "https://example.org/licence")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sigmfschema.CheckFile(base + MetaExt); err != nil {
		t.Errorf("writer output fails the SigMF schema: %v", err)
	}
	// The golden file WriteMeta produces.
	if err := sigmfschema.CheckFile(filepath.Join("testdata", "golden", "meta.sigmf-meta")); err != nil {
		t.Errorf("golden meta fails the SigMF schema: %v", err)
	}
	// Every real recording's metadata, rewritten by WriteMeta.
	if dir := realIQDirOrEmpty(t); dir != "" {
		metas, _ := filepath.Glob(filepath.Join(dir, "*"+MetaExt))
		for _, mp := range metas {
			m, err := ReadMeta(mp)
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), filepath.Base(mp))
			if err := WriteMeta(out, m); err != nil {
				t.Fatal(err)
			}
			if err := sigmfschema.CheckFile(out); err != nil {
				t.Errorf("%s rewritten fails the SigMF schema: %v", filepath.Base(mp), err)
			}
		}
	}

	// The validator is not vacuous: a document missing core:version and
	// with a bad datatype is rejected.
	bad := filepath.Join(dir, "bad"+MetaExt)
	if err := os.WriteFile(bad, []byte(`{"global":{"core:datatype":"iq8"},"captures":[{"core:sample_start":-1}],"annotations":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := sigmfschema.CheckFile(bad); err == nil {
		t.Error("schema accepted an invalid document")
	}
}

func realIQDirOrEmpty(t *testing.T) (dir string) {
	t.Helper()
	ok := t.Run("locate-real-iq", func(t *testing.T) { dir = realIQDir(t) })
	if !ok {
		return ""
	}
	return dir
}
