package sigmf

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestDuplicateKeysRefused: a key given twice in one object of the
// metadata (global, a capture, an annotation, an object inside one, the
// top level) is refused naming the key, where it is (an annotation by
// its index in the file) and the file, with overrides too; until
// 2026-12-07 the last value was read ("core:sample_rate": 23040000,
// "core:sample_rate": 1000000 was read at 1 MHz). One key in several
// objects is read.
func TestDuplicateKeysRefused(t *testing.T) {
	const (
		global = `"global":{"core:datatype":"ci8","core:sample_rate":1000,"core:version":"1.0.0"}`
		caps   = `"captures":[{"core:sample_start":0,"core:frequency":1e9},{"core:sample_start":2,"core:frequency":1e9}]`
		anns   = `"annotations":[{"core:sample_start":3,"core:sample_count":1,"core:label":"a"},{"core:sample_start":1,"core:sample_count":1,"core:label":"b"}]`
	)
	tests := []struct {
		name    string
		meta    string
		ov      Overrides
		wantErr string // "" when read
	}{
		{"none", `{` + global + `,` + caps + `,` + anns + `}`, Overrides{}, ""},
		{"global", `{"global":{"core:datatype":"ci8","core:sample_rate":23040000,"core:sample_rate":1000000,"core:version":"1.0.0"},` + caps + `,` + anns + `}`, Overrides{},
			"global.core:sample_rate: invalid metadata: the key appears twice"},
		{"global, rate overridden", `{"global":{"core:datatype":"ci8","core:sample_rate":23040000,"core:sample_rate":1000000,"core:version":"1.0.0"},` + caps + `,` + anns + `}`, Overrides{SampleRateHz: 1000},
			"global.core:sample_rate: invalid metadata: the key appears twice"},
		{"global, described", `{"global":{"core:datatype":"ci8","core:datatype":"cu8","core:sample_rate":1000,"core:version":"1.0.0"},` + caps + `,` + anns + `}`, Overrides{Datatype: "cu8", MustAgree: true},
			"global.core:datatype: invalid metadata: the key appears twice"},
		{"escaped alike", `{"global":{"core:datatype":"ci8","core:sample_rate":1000,"core:sample\u005frate":2000,"core:version":"1.0.0"},` + caps + `,` + anns + `}`, Overrides{},
			"global.core:sample_rate: invalid metadata"},
		{"capture", `{` + global + `,"captures":[{"core:sample_start":0,"core:frequency":1e9},{"core:sample_start":2,"core:frequency":1e9,"core:frequency":2e9}],` + anns + `}`, Overrides{CenterHz: 1e9},
			"captures[1].core:frequency: invalid metadata"},
		{"annotation, as in the file", `{` + global + `,` + caps + `,"annotations":[{"core:sample_start":3,"core:sample_count":1},{"core:sample_start":1,"core:sample_count":1,"core:label":"b","core:label":"c"}]}`, Overrides{},
			"annotations[1].core:label: invalid metadata"},
		{"nested", `{"global":{"core:datatype":"ci8","core:sample_rate":1000,"core:version":"1.0.0","core:extensions":[{"name":"rfw","version":"1.0.0","optional":true,"name":"x"}]},` + caps + `,` + anns + `}`, Overrides{},
			"global.core:extensions[0].name: invalid metadata"},
		{"top level", `{` + global + `,` + global + `,` + caps + `,` + anns + `}`, Overrides{Datatype: "ci8"},
			"global: invalid metadata: the key appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "s")
			writePair(t, base, tt.meta, make([]byte, 2*10))
			r, err := OpenWith(base+MetaExt, tt.ov)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Open: %v, want it read", err)
				}
				r.Close()
				return
			}
			if err == nil {
				r.Close()
				t.Fatalf("Open read it, want an error containing %q", tt.wantErr)
			}
			if !errors.Is(err, ErrBadMeta) || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), base+MetaExt) {
				t.Errorf("Open: %v, want ErrBadMeta naming the file and containing %q", err, tt.wantErr)
			}
		})
	}
}
