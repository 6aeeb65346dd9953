package sigmf

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCompressedArchiveSaysSo: a SigMF archive compressed (gzip, as
// `tar czf` makes it) is refused naming the compression: it said only
// "invalid tar header", and an analyst uploading rec.sigmf.gz read it as
// bad metadata. An uncompressed archive that is damaged says no more
// than before.
func TestCompressedArchiveSaysSo(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "snip")
	w, err := NewWriter(base, "ci8", 1e6, 915e6, time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(randomSamples(1000, 3)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	arch := filepath.Join(dir, "snip"+ArchiveExt)
	if err := WriteArchive(arch, base+MetaExt, base+DataExt); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(arch)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw)
	zw.Close()
	for _, tc := range []struct {
		name, says string
		data       []byte
	}{
		{"gzip", "(a gzip file, not a tar archive: a SigMF archive is an uncompressed tar, NAME.sigmf)", gz.Bytes()},
		{"damaged tar", "read tar:", append([]byte("not a header at all"), raw[19:]...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "up"+ArchiveExt)
			if err := os.WriteFile(p, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := ExtractArchive(p, t.TempDir(), nil)
			if !errors.Is(err, ErrBadMeta) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("ExtractArchive of a %s = %v, want ErrBadMeta saying %q", tc.name, err, tc.says)
			}
			if tc.name != "gzip" && strings.Contains(err.Error(), "not a tar archive") {
				t.Errorf("a damaged tar named as compressed: %v", err)
			}
		})
	}
}
