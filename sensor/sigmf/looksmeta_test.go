package sigmf

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenRawRefusesMetadata: a metadata file given as raw samples
// (`scan --datatype ci8 --rate 1e6 rec2.json`) was scanned as IQ, exit 0,
// or "247 samples is too short to analyse". A file named .json, or that
// is a JSON object with "global", is refused with ErrLooksLikeMeta saying
// what to name it; raw IQ that starts with '{' (0x7B) still opens.
func TestOpenRawRefusesMetadata(t *testing.T) {
	meta := []byte(`{"global":{"core:datatype":"ci8","core:sample_rate":1e6,"core:version":"1.0.0"},"captures":[],"annotations":[]}`)
	binary := append([]byte("{\x80\x01\x7f"), make([]byte, 252)...)
	tests := []struct {
		name     string
		body     []byte
		wantName string // "": opens
	}{
		{"rec.sigmf-meta.json", meta, "rec.sigmf-meta"},
		{"rec2.json", binary, "rec2.sigmf-meta"},
		{"rec3.dat", meta, "rec3.sigmf-meta"},
		{"bom.bin", append([]byte(utf8BOM), meta...), "bom.sigmf-meta"},
		{"spaced.bin", append([]byte(" \n"), meta...), "spaced.sigmf-meta"},
		{"brace.ci8", binary, ""},
		{"object.ci8", []byte(`{"a":1}     `), ""},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			if err := os.WriteFile(p, tc.body, 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := OpenRaw(p, "ci8", 1e6, 0)
			if tc.wantName == "" {
				if err != nil {
					t.Fatalf("OpenRaw: %v, want it opened", err)
				}
				r.Close()
				return
			}
			if err == nil {
				r.Close()
				t.Fatal("OpenRaw: opened, want ErrLooksLikeMeta")
			}
			if !errors.Is(err, ErrLooksLikeMeta) || !strings.Contains(err.Error(), "name it "+tc.wantName) {
				t.Errorf("OpenRaw: %v, want ErrLooksLikeMeta saying to name it %s", err, tc.wantName)
			}
		})
	}
}
