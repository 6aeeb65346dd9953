package sigmf

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmfschema"
)

// TestDeclareExtension: the rfw extension is declared beside the input's
// own declarations, whatever their form: a pre-1.0 object form
// ({"antenna": "optional"}, gr-sigmf's) is turned into 1.x entries, each
// kept, so the metadata written passes the official schema; an array is
// kept as it came; a declaration already there is not repeated.
func TestDeclareExtension(t *testing.T) {
	rfw := map[string]any{"name": "rfw", "version": "1.0.0", "optional": true}
	for _, tc := range []struct {
		name string
		in   any // core:extensions before; nil: absent
		want string
	}{
		{"absent", nil, fmt.Sprint([]any{rfw})},
		{"array", []any{map[string]any{"name": "ntia-core", "version": "v2.0.0", "optional": false}},
			fmt.Sprint([]any{map[string]any{"name": "ntia-core", "version": "v2.0.0", "optional": false}, rfw})},
		{"array with rfw", []any{map[string]any{"name": "rfw", "version": "0.9.0", "optional": true}},
			fmt.Sprint([]any{map[string]any{"name": "rfw", "version": "0.9.0", "optional": true}})},
		{"object form", map[string]any{"antenna": "optional", "gps": "required", "capture_details": "0.1.0"},
			fmt.Sprint([]any{
				map[string]any{"name": "antenna", "version": "", "optional": true},
				map[string]any{"name": "capture_details", "version": "0.1.0", "optional": true},
				map[string]any{"name": "gps", "version": "", "optional": false},
				rfw})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := Global{Datatype: "ci8", SampleRateHz: 1e6, Version: "1.2.0"}
			if tc.in != nil {
				g.Extra = map[string]any{"core:extensions": tc.in}
			}
			DeclareExtension(&g, "rfw", "1.0.0", true)
			if got := fmt.Sprint(g.Extra["core:extensions"]); got != tc.want {
				t.Errorf("core:extensions %s, want %s", got, tc.want)
			}
			out := filepath.Join(t.TempDir(), "x"+MetaExt)
			if err := WriteMeta(out, Meta{Global: g}); err != nil {
				t.Fatal(err)
			}
			if err := sigmfschema.CheckFile(out); err != nil {
				b, _ := os.ReadFile(out)
				t.Errorf("written metadata fails the SigMF schema: %v\n%s", err, b)
			}
		})
	}
}
