package sigmf

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestEmptyDataSaidFirst: metadata reaching into a data file with no
// samples said "annotations[0] samples [0, +100) beyond the 0 samples of
// data"; it says the data file is empty first (or holds only its header
// bytes), and a data file with samples still gets the old wording.
func TestEmptyDataSaidFirst(t *testing.T) {
	const g = `{"global":{"core:datatype":"ci8","core:sample_rate":1000,"core:version":"1.0.0"},`
	tests := []struct {
		name, meta string
		data       []byte
		want       string
	}{
		{"annotation", g + `"captures":[{"core:sample_start":0}],"annotations":[{"core:sample_start":0,"core:sample_count":100}]}`, nil,
			"the data file is empty, but annotations[0] covers samples [0, +100)"},
		{"capture", g + `"captures":[{"core:sample_start":0},{"core:sample_start":5}],"annotations":[]}`, nil,
			"the data file is empty, but captures[1] starts at sample 5"},
		{"header only", g + `"captures":[{"core:sample_start":0,"core:header_bytes":4}],"annotations":[{"core:sample_start":0,"core:sample_count":1}]}`, make([]byte, 4),
			"the data file holds no samples after its 4 core:header_bytes, but annotations[0]"},
		{"samples", g + `"captures":[{"core:sample_start":0}],"annotations":[{"core:sample_start":0,"core:sample_count":100}]}`, make([]byte, 20),
			"annotations[0] samples [0, +100) beyond the 10 samples of data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "r")
			writePair(t, base, tc.meta, tc.data)
			r, err := Open(base + MetaExt)
			if err == nil {
				r.Close()
				t.Fatal("opened, want ErrMismatch")
			}
			if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open: %v, want ErrMismatch saying %q", err, tc.want)
			}
		})
	}
}
