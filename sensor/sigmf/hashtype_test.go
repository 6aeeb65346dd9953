package sigmf

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyHashType: a core:sha512 or rfw:sha256 that is not a string
// is refused by Verify naming the key and its JSON type, wrapping
// ErrBadMeta; until 2026-12-07 it was read as "" ("rfw:sha256 is a128…,
// metadata says \"\""). A hash string that differs is ErrMismatch as
// before.
func TestVerifyHashType(t *testing.T) {
	tests := []struct {
		name    string
		extra   string
		wantErr error
		want    string
	}{
		{"sha256 a number", `"rfw:sha256":5`, ErrBadMeta, "rfw:sha256: invalid metadata: a number, want a hex string"},
		{"sha256 null", `"rfw:sha256":null`, ErrBadMeta, "rfw:sha256: invalid metadata: null, want a hex string"},
		{"sha512 an object", `"core:sha512":{"hex":"00"}`, ErrBadMeta, "core:sha512: invalid metadata: an object, want a hex string"},
		{"sha512 an array", `"core:sha512":["00"]`, ErrBadMeta, "core:sha512: invalid metadata: an array, want a hex string"},
		{"sha256 differs", `"rfw:sha256":"00"`, ErrMismatch, `metadata says "00"`},
		{"sha256 right", `"rfw:sha256":"a12871fee210fb8619291eaea194581cbd2531e4b23759d225f6806923f63222"`, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "s")
			writePair(t, base, `{"global":{"core:datatype":"ci8","core:sample_rate":1000,"core:version":"1.0.0",`+tt.extra+`},"captures":[],"annotations":[]}`, []byte{1, 2})
			r, err := Open(base + MetaExt)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			err = r.Verify()
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Verify: %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), base+DataExt) {
				t.Errorf("Verify: %v, want %v naming the file and containing %q", err, tt.wantErr, tt.want)
			}
		})
	}
}
