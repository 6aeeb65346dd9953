package sigmf

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmfschema"
)

// TestCoreOffsetWrittenBack: metadata of a split recording's second file
// (core:offset 5000) read, given an annotation at sample 300 of its data
// (as scan --annotate adds a detection) and written, keeps core:offset
// and writes every index absolute again: the input's at 5100, the new one
// at 5300; the file passes the official schema and reads back the same.
// An index before core:offset is refused, naming it.
func TestCoreOffsetWrittenBack(t *testing.T) {
	const meta = `{"global":{"core:datatype":"ci8","core:sample_rate":1e6,"core:version":"1.2.0","core:offset":5000},
	"captures":[{"core:sample_start":5000,"core:frequency":2.44e9}],
	"annotations":[{"core:sample_start":5100,"core:sample_count":200,"core:label":"LTE"}]}`
	m, err := ParseMeta([]byte(meta))
	if err != nil {
		t.Fatal(err)
	}
	if m.Global.OffsetSamples != 5000 || m.Captures[0].SampleStart != 0 {
		t.Fatalf("offset %d, capture at %d; want 5000 and 0", m.Global.OffsetSamples, m.Captures[0].SampleStart)
	}
	m.Annotations = append(m.Annotations, Annotation{SampleStart: 300, SampleCount: 10, Label: "det"})
	out := filepath.Join(t.TempDir(), "split-1"+MetaExt)
	if err := WriteMeta(out, m); err != nil {
		t.Fatal(err)
	}
	if err := sigmfschema.CheckFile(out); err != nil {
		t.Errorf("written metadata fails the SigMF schema: %v", err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Global      map[string]any
		Captures    []map[string]any
		Annotations []map[string]any
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Global["core:offset"] != 5000.0 || doc.Captures[0]["core:sample_start"] != 5000.0 ||
		doc.Annotations[0]["core:sample_start"] != 5100.0 || doc.Annotations[1]["core:sample_start"] != 5300.0 {
		t.Errorf("written %s; want core:offset 5000 and absolute indices 5000, 5100, 5300", b)
	}
	back, err := ReadMeta(out)
	if err != nil {
		t.Fatal(err)
	}
	if back.Annotations[1].SampleStart != 300 || back.Global.OffsetSamples != 5000 {
		t.Errorf("read back %+v, want the annotation at sample 300 of the data", back.Annotations)
	}

	for _, bad := range []struct{ name, meta, field string }{
		{"capture", strings.Replace(meta, `"core:sample_start":5000`, `"core:sample_start":0`, 1), "captures[0]"},
		{"annotation", strings.Replace(meta, `"core:sample_start":5100`, `"core:sample_start":4999`, 1), "annotations[0]"},
		{"offset", strings.Replace(meta, `"core:offset":5000`, `"core:offset":-1`, 1), "core:offset"},
	} {
		_, err := ParseMeta([]byte(bad.meta))
		if !errors.Is(err, ErrBadMeta) || !strings.Contains(err.Error(), bad.field) {
			t.Errorf("%s before core:offset: %v, want ErrBadMeta naming %s", bad.name, err, bad.field)
		}
	}
}
