package sigmf

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestAnnotationErrorIndexAsInFile: an annotation beyond the data is
// named by its index in the file's annotations array, which is read out
// of order and sorted; until 2026-12-07 the index was counted after
// sorting (annotations[1] at sample 1e9 was reported as annotations[3]).
func TestAnnotationErrorIndexAsInFile(t *testing.T) {
	const g = `{"global":{"core:datatype":"ci8","core:sample_rate":1000,"core:version":"1.0.0","core:offset":%d},"captures":[{"core:sample_start":%d}],"annotations":[%s]}`
	ann := func(start, count int64) string {
		return fmt.Sprintf(`{"core:sample_start":%d,"core:sample_count":%d}`, start, count)
	}
	tests := []struct {
		name   string
		offset int64
		anns   []string
		want   string
	}{
		{"sorted", 0, []string{ann(0, 1), ann(1, 1), ann(2, 1e9)}, "annotations[2] samples [2, +1000000000)"},
		{"moved last by sorting", 0, []string{ann(0, 1), ann(1e9, 6656), ann(2, 1), ann(3, 1)}, "annotations[1] samples [1000000000, +6656)"},
		{"moved first by sorting", 0, []string{ann(5, 1), ann(6, 1), ann(0, 1e9)}, "annotations[2] samples [0, +1000000000)"},
		{"with core:offset", 100, []string{ann(105, 1), ann(200, 1e9), ann(100, 1)}, "annotations[1] samples [100, +1000000000)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "s")
			writePair(t, base, fmt.Sprintf(g, tt.offset, tt.offset, strings.Join(tt.anns, ",")), make([]byte, 2*10))
			r, err := Open(base + MetaExt)
			if err == nil {
				r.Close()
				t.Fatalf("Open read it, want an error containing %q", tt.want)
			}
			if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open: %v, want ErrMismatch containing %q", err, tt.want)
			}
		})
	}
}
