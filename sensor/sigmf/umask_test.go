package sigmf

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestWrittenFilesHonourUmask: a recording, its archive (WriteArchive:
// the sensor's evidence snippets) and an extracted archive (ExtractArchive:
// the dashboard's uploads) get 0666 less the process umask, as os.Create
// gives: the owner's alone under systemd's UMask=0077, as the shipped
// units set. The archive and the extracted data were chmod-ed 0644, raw IQ
// readable by every local user. Not parallel: the umask is the process's.
func TestWrittenFilesHonourUmask(t *testing.T) {
	for _, tc := range []struct {
		umask int
		want  os.FileMode
	}{
		{0o077, 0o600},
		{0o022, 0o644},
	} {
		old := syscall.Umask(tc.umask)
		dir := t.TempDir()
		base := filepath.Join(dir, "snip")
		w, err := NewWriter(base, "cf32_le", 1e6, 915e6, time.Unix(1700000000, 0))
		if err == nil {
			err = w.Write(randomSamples(1000, 1))
		}
		if err == nil {
			err = w.Close()
		}
		arch := filepath.Join(dir, "snip"+ArchiveExt)
		if err == nil {
			err = WriteArchive(arch, base+MetaExt, base+DataExt)
		}
		out := filepath.Join(dir, "out")
		if err == nil {
			err = os.Mkdir(out, 0o700)
		}
		if err == nil {
			_, err = ExtractArchive(arch, out, nil)
		}
		syscall.Umask(old)
		if err != nil {
			t.Fatalf("umask %#o: %v", tc.umask, err)
		}
		for _, p := range []string{base + DataExt, base + MetaExt, arch, filepath.Join(out, "snip"+DataExt), filepath.Join(out, "snip"+MetaExt)} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != tc.want {
				t.Errorf("umask %#o: %s has mode %v, want %v", tc.umask, filepath.Base(p), fi.Mode().Perm(), tc.want)
			}
		}
	}
}
