package sigmf

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// relaxedRegexp compiles a schema pattern with Go's RE2. Patterns RE2 cannot
// compile (the official core:datetime pattern uses a look-ahead and
// back-references) are relaxed: look-aheads are dropped and back-references
// become an optional separator. Datetimes are also checked strictly by
// ParseMeta with time.Parse.
func relaxedRegexp(s string) (jsonschema.Regexp, error) {
	if re, err := regexp.Compile(s); err == nil {
		return re, nil
	}
	s = regexp.MustCompile(`\(\?![^()]*\)`).ReplaceAllString(s, "")
	s = regexp.MustCompile(`\\[1-9][0-9]*`).ReplaceAllString(s, "[-:]?")
	return regexp.Compile(s)
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "sigmf-schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	// The official 1.0.0 schema gives every subschema a fragment-only $id
	// ("#/properties/global"), which draft 2020-12 forbids; they carry no
	// constraint, so drop all but the root's before compiling.
	root, _ := doc.(map[string]any)
	for k, v := range root {
		if k != "$id" {
			dropIDs(v)
		}
	}
	c := jsonschema.NewCompiler()
	c.UseRegexpEngine(relaxedRegexp)
	if err := c.AddResource("sigmf-schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("sigmf-schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validateFile(t *testing.T, s *jsonschema.Schema, path string) error {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(doc)
}

func TestWrittenMetaMatchesOfficialSchema(t *testing.T) {
	s := compileSchema(t)
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
	if err := validateFile(t, s, base+MetaExt); err != nil {
		t.Errorf("writer output fails the SigMF schema: %v", err)
	}
	// The golden file WriteMeta produces.
	if err := validateFile(t, s, filepath.Join("testdata", "golden", "meta.sigmf-meta")); err != nil {
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
			if err := validateFile(t, s, out); err != nil {
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
	if err := validateFile(t, s, bad); err == nil {
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

// dropIDs removes "$id" keys from every object inside v.
func dropIDs(v any) {
	switch v := v.(type) {
	case map[string]any:
		delete(v, "$id")
		for _, e := range v {
			dropIDs(e)
		}
	case []any:
		for _, e := range v {
			dropIDs(e)
		}
	}
}
