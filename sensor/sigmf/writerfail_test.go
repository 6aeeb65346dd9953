package sigmf

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestWriterFailureLeavesNoFiles: a Close that fails (the data refused by
// a full disk, the metadata refused, annotations beyond the data) leaves
// no data file: on a full disk the sensor's snippets left one empty
// NAME.sigmf-data per snippet tried, with no metadata, never cleaned up.
// The disk is /dev/full behind the data file's name: every write fails
// with ENOSPC, as a full disk's.
func TestWriterFailureLeavesNoFiles(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, base string)
		ann   Annotation
	}{
		{"data refused (disk full)", func(t *testing.T, base string) {
			if err := os.Symlink("/dev/full", base+DataExt); err != nil {
				t.Fatal(err)
			}
		}, Annotation{SampleCount: 1}},
		{"metadata refused", func(t *testing.T, base string) {
			if err := os.Mkdir(base+MetaExt, 0o750); err != nil { // the rename over it fails
				t.Fatal(err)
			}
		}, Annotation{SampleCount: 1}},
		{"annotation beyond the data", func(*testing.T, string) {}, Annotation{SampleStart: 900, SampleCount: 200}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := os.Stat("/dev/full"); err != nil {
				t.Skip("no /dev/full:", err)
			}
			base := filepath.Join(t.TempDir(), "snip")
			tc.setup(t, base)
			w, err := NewWriter(base, "cf32_le", 1e6, 915e6, time.Unix(1700000000, 0))
			if err != nil {
				t.Fatal(err)
			}
			werr := w.Write(randomSamples(1000, 1))
			w.Annotate(tc.ann)
			if err := w.Close(); err == nil {
				t.Fatalf("Close: no error (Write: %v)", werr)
			}
			if _, err := os.Lstat(base + DataExt); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("after a failed Close the data file is there (Lstat: %v), want it removed", err)
			}
			if fi, err := os.Lstat(base + MetaExt); err == nil && !fi.IsDir() {
				t.Errorf("after a failed Close a metadata file is there")
			}
		})
	}
}
