package sigmf

import (
	"os"
	"path/filepath"
	"testing"
)

// Tests written by the site-recordings review (branch review-sitesigmf):
// what a second site's engineer meets bringing recordings made by other
// SigMF tools. Each fails on the code reviewed; REPORT.md says why.

// writeSitePair writes base.sigmf-meta (meta as given, bytes unchanged)
// and base.sigmf-data (data).
func writeSitePair(t *testing.T, dir, name string, meta, data []byte) string {
	t.Helper()
	base := filepath.Join(dir, name)
	if err := os.WriteFile(base+MetaExt, meta, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(base+DataExt, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return base + MetaExt
}

// TestSiteGlobalIndexGapEndsSegment: SigMF's core:global_index is "the
// index of the sample referenced by sample_start relative to an original
// sample stream"; a capture whose global_index jumps ahead of the one
// before by more than its samples says samples were lost there (the
// spec's own example: sample_start 500 at global_index 1000, "500 samples
// were lost"). A receiver overflow in a GNU Radio or UHD recording is
// written that way. rfwarden reads two such captures of one tuning as one
// continuous segment: an emission is bridged across the lost samples and
// every time after the gap is early by them. A global_index that only
// offsets the whole recording (no jump) must stay one segment.
func TestSiteGlobalIndexGapEndsSegment(t *testing.T) {
	const n = 1000
	tests := []struct {
		name    string
		caps    string
		wantEnd int64 // SegmentEnd(0)
	}{
		{"500 samples lost", `[{"core:sample_start":0,"core:frequency":2.44e9,"core:global_index":0},{"core:sample_start":500,"core:frequency":2.44e9,"core:global_index":1000}]`, 500},
		{"offset, nothing lost", `[{"core:sample_start":0,"core:frequency":2.44e9,"core:global_index":1000000},{"core:sample_start":500,"core:frequency":2.44e9,"core:global_index":1000500}]`, n},
		{"no global_index", `[{"core:sample_start":0,"core:frequency":2.44e9},{"core:sample_start":500,"core:frequency":2.44e9}]`, n},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			meta := `{"global":{"core:datatype":"ci8","core:sample_rate":1e6,"core:version":"1.2.0"},"captures":` + tc.caps + `,"annotations":[]}`
			p := writeSitePair(t, t.TempDir(), "gi", []byte(meta), make([]byte, 2*n))
			r, err := Open(p)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer r.Close()
			if got := r.SegmentEnd(0); got != tc.wantEnd {
				t.Errorf("SegmentEnd(0) = %d, want %d (captures %s)", got, tc.wantEnd, tc.caps)
			}
		})
	}
}
