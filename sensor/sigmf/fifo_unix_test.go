//go:build unix

package sigmf

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestOpenRefusesFIFO: a recording whose data, metadata or archive is a
// named pipe is refused at once, naming the file, where opening it waited
// for a writer for ever (a scan hung, deaf to SIGINT and SIGTERM, and a
// dashboard replay would have held its only slot).
func TestOpenRefusesFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := func(name string) string {
		p := filepath.Join(dir, name)
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
		return p
	}
	meta := `{"global":{"core:datatype":"cf32_le","core:sample_rate":1e6,"core:version":"1.0.0"},"captures":[{"core:sample_start":0,"core:frequency":1e9}],"annotations":[]}`
	if err := os.WriteFile(filepath.Join(dir, "data.sigmf-meta"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo("data.sigmf-data")
	fifo("meta.sigmf-meta")
	if err := os.WriteFile(filepath.Join(dir, "meta.sigmf-data"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	fifo("arch.sigmf")
	raw := fifo("raw.cf32")
	for _, tc := range []struct {
		name string
		open func() error
	}{
		{"data", func() error { _, err := Open(filepath.Join(dir, "data.sigmf-meta")); return err }},
		{"meta", func() error { _, err := Open(filepath.Join(dir, "meta.sigmf-meta")); return err }},
		{"archive", func() error { _, err := Open(filepath.Join(dir, "arch.sigmf")); return err }},
		{"extract", func() error { _, err := ExtractArchive(filepath.Join(dir, "arch.sigmf"), t.TempDir(), nil); return err }},
		{"raw", func() error { _, err := OpenRaw(raw, "cf32_le", 1e6, 1e9); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { done <- tc.open() }()
			err := <-done // a hang here is the defect; the test binary's timeout reports it
			if !errors.Is(err, ErrNotRegular) {
				t.Fatalf("got %v, want ErrNotRegular", err)
			}
		})
	}
}
