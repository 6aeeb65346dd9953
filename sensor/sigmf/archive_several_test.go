package sigmf

import (
	"archive/tar"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestArchiveSeveralRecordings: "A SigMF Archive may contain multiple
// SigMF Recordings" (SigMF, Archives). Open reads an archive of one and
// refuses more, pointing at eval; ArchiveRecordings lists them and
// OpenArchiveRecording reads each, its own metadata over its own data
// (sensor/eval's TestSiteArchiveSeveralRecordings scores them).
func TestArchiveSeveralRecordings(t *testing.T) {
	src := t.TempDir()
	recs := []struct {
		base  string
		n     int
		label string
	}{{"day-0", 1000, "lte-dl"}, {"day-1", 1500, "gsm-ul"}}
	arch := filepath.Join(t.TempDir(), "day"+ArchiveExt)
	f, err := os.Create(arch)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	for i, r := range recs {
		w, err := NewWriter(filepath.Join(src, r.base), "cf32_le", 1e6, 915e6, time.Unix(1700000000, 0))
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(randomSamples(r.n, uint64(i+1))); err != nil {
			t.Fatal(err)
		}
		w.Annotate(Annotation{SampleStart: 10, SampleCount: 20, Label: r.label})
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := tw.WriteHeader(&tar.Header{Name: r.base + "/", Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
			t.Fatal(err)
		}
		for _, ext := range []string{MetaExt, DataExt} {
			b, err := os.ReadFile(filepath.Join(src, r.base+ext))
			if err != nil {
				t.Fatal(err)
			}
			if err := tw.WriteHeader(&tar.Header{Name: r.base + "/" + r.base + ext, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b))}); err != nil {
				t.Fatal(err)
			}
			if _, err := tw.Write(b); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	if _, err := Open(arch); !errors.Is(err, ErrBadMeta) || !strings.Contains(err.Error(), "day-1/day-1.sigmf-meta") || !strings.Contains(err.Error(), "eval") {
		t.Errorf("Open of a two-recording archive: %v; want ErrBadMeta naming the second metadata member and eval", err)
	}
	got, err := ArchiveRecordings(arch)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"day-0/day-0", "day-1/day-1"}; !slices.Equal(got, want) {
		t.Fatalf("ArchiveRecordings = %q, want %q", got, want)
	}
	for i, r := range recs {
		rec, err := OpenArchiveRecording(arch, got[i], Overrides{})
		if err != nil {
			t.Fatalf("OpenArchiveRecording %s: %v", got[i], err)
		}
		if rec.NumSamples() != int64(r.n) || rec.Meta().Annotations[0].Label != r.label {
			t.Errorf("%s: %d samples, label %q; want %d, %q", got[i], rec.NumSamples(), rec.Meta().Annotations[0].Label, r.n, r.label)
		}
		if err := rec.Verify(); err != nil { // its own data, by its core:sha512
			t.Errorf("%s: %v", got[i], err)
		}
		if p := rec.Path(); p != arch+":"+got[i]+DataExt {
			t.Errorf("%s: Path %q", got[i], p)
		}
		rec.Close()
	}
	if _, err := OpenArchiveRecording(arch, "day-2/day-2", Overrides{}); !errors.Is(err, ErrMismatch) {
		t.Errorf("OpenArchiveRecording of a recording not in it: %v, want ErrMismatch", err)
	}
}
