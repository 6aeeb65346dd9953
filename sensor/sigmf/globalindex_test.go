package sigmf

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestGlobalIndexSegments: core:global_index that runs ahead of the
// samples between two captures ends the segment (SegmentEnd,
// SegmentStart) and StreamSample counts the samples lost; one that runs
// behind (a counter restarted: a break of unknown length) ends it too,
// with nothing counted; one that is not a non-negative integer is
// refused naming the capture.
func TestGlobalIndexSegments(t *testing.T) {
	const g = `{"global":{"core:datatype":"ci8","core:sample_rate":1000,"core:version":"1.2.0"},"captures":[%s],"annotations":[]}`
	tests := []struct {
		name      string
		caps      string
		wantStart []int64 // SegmentStart of samples 0, 10, 20
		wantEnd   []int64 // SegmentEnd of samples 0, 10, 20
		wantSt    []int64 // StreamSample of samples 0, 10, 20
	}{
		{"lost", `{"core:sample_start":0,"core:global_index":5},{"core:sample_start":10,"core:global_index":25},{"core:sample_start":20,"core:global_index":35}`,
			[]int64{0, 10, 10}, []int64{10, 30, 30}, []int64{0, 20, 30}},
		{"lost twice", `{"core:sample_start":0,"core:global_index":0},{"core:sample_start":10,"core:global_index":15},{"core:sample_start":20,"core:global_index":30}`,
			[]int64{0, 10, 20}, []int64{10, 20, 30}, []int64{0, 15, 30}},
		{"counter restarted", `{"core:sample_start":0,"core:global_index":100},{"core:sample_start":10,"core:global_index":0}`,
			[]int64{0, 10, 10}, []int64{10, 30, 30}, []int64{0, 10, 20}},
		{"one without", `{"core:sample_start":0,"core:global_index":100},{"core:sample_start":10}`,
			[]int64{0, 0, 0}, []int64{30, 30, 30}, []int64{0, 10, 20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "s")
			writePair(t, base, fmt.Sprintf(g, tt.caps), make([]byte, 60))
			r, err := Open(base + MetaExt)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			for i, s := range []int64{0, 10, 20} {
				if got := r.SegmentStart(s); got != tt.wantStart[i] {
					t.Errorf("SegmentStart(%d) = %d, want %d", s, got, tt.wantStart[i])
				}
				if got := r.SegmentEnd(s); got != tt.wantEnd[i] {
					t.Errorf("SegmentEnd(%d) = %d, want %d", s, got, tt.wantEnd[i])
				}
				if got := r.StreamSample(s); got != tt.wantSt[i] {
					t.Errorf("StreamSample(%d) = %d, want %d", s, got, tt.wantSt[i])
				}
			}
		})
	}
	for _, bad := range []string{`"12"`, `-1`, `1.5`, `1e30`} {
		t.Run("refused "+bad, func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "s")
			writePair(t, base, fmt.Sprintf(g, `{"core:sample_start":0,"core:global_index":`+bad+`}`), make([]byte, 60))
			_, err := Open(base + MetaExt)
			if !errors.Is(err, ErrBadMeta) {
				t.Fatalf("Open: %v, want ErrBadMeta", err)
			}
			if want := "captures[0].core:global_index"; !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %s", err, want)
			}
		})
	}
}
