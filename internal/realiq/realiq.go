package realiq

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the absolute path of ../shared/testdata/real-iq next to the
// directory holding go.mod, found from the working directory (a package's
// folder under `go test`), or skips t.
func Dir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("no go.mod above the package: real recordings not located")
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "testdata", "real-iq")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("real recordings absent: %v", err)
	}
	return p
}
