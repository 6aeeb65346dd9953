package alert

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadConfig: any rules file either loads into a configuration that
// validates, or is refused with an error; it never panics. Seeds: the
// rules files under testdata, good and bad.
func FuzzLoadConfig(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("rules: [{name: x, kind: drone, severity: critical, room_kinds: [cells]}]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := LoadConfig(bytes.NewReader(b))
		if err != nil {
			return
		}
		if verr := cfg.Validate(); verr != nil {
			t.Fatalf("LoadConfig accepted a configuration that does not validate: %v\n%s", verr, b)
		}
		if len(cfg.Rules) == 0 {
			t.Fatalf("LoadConfig accepted a file with no rules:\n%s", b)
		}
	})
}
