package sigmf

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMissingDataSaysWhere: metadata whose data file is not there is
// refused wrapping os.ErrNotExist, naming the file looked for and how
// SigMF names one of another name: without core:dataset, that key (and
// core:header_bytes); with it, that it is the file core:dataset names.
func TestMissingDataSaysWhere(t *testing.T) {
	const g = `{"global":{"core:datatype":"ci8","core:sample_rate":1e6,"core:version":"1.2.0"%s},"captures":[{"core:sample_start":0}],"annotations":[]}`
	for _, tc := range []struct {
		name, extra string
		want        []string
	}{
		{"no core:dataset", ``, []string{"rec.sigmf-data", "core:dataset", "core:header_bytes"}},
		{"core:dataset", `,"core:dataset":"capture.cfile"`, []string{"capture.cfile", "the file the metadata's core:dataset names"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "rec")
			if err := os.WriteFile(base+MetaExt, []byte(strings.Replace(g, "%s", tc.extra, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Open(base + MetaExt)
			if !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("Open: %v, want os.ErrNotExist", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
