package fusion

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestLoadFileConfigBadFiles: every fusion.yaml in testdata/config/X.bad.yaml
// is refused with an error holding testdata/config/X.err: the line and
// column of the key the error is about, the key as written and what is
// wrong. A value out of range ("history_days 9999999999999 is more than
// 36500"), a retention shorter than another's, an empty site or db and a
// subscription that is no topic filter named the key but not its line
// until 2026-12-07, where a value of the wrong type named both.
func TestLoadFileConfigBadFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/config/*.bad.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad configs: %v", err)
	}
	lined := regexp.MustCompile(`^fusion config: \[\d+:\d+\] `)
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".bad.yaml"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(strings.TrimSuffix(f, ".bad.yaml") + ".err")
			w := strings.TrimSpace(string(want))
			switch {
			case err != nil:
				t.Fatalf("no expected error: %v", err)
			case w == "":
				t.Fatal("expected error file is empty: the config would pass on any error")
			}
			_, lerr := LoadFileConfig(strings.NewReader(string(data)), t.TempDir())
			switch {
			case lerr == nil:
				t.Fatalf("loaded; want it refused with %q", w)
			case !strings.Contains(lerr.Error(), w):
				t.Errorf("error:\n%v\nwant it to contain %q", lerr, w)
			case !lined.MatchString(lerr.Error()):
				t.Errorf("error:\n%v\nwant it to name the line and column of the key", lerr)
			}
		})
	}
}
