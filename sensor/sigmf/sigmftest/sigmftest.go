package sigmftest

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// Archive returns a recording called name of n zero cf32_le samples at
// 2 Msps and 1747.5 MHz, annotated "LTE/NR uplink" over its middle
// quarter, as the SigMF archive a sensor sends on its evidence topic.
func Archive(t testing.TB, name string, n int) []byte {
	t.Helper()
	base := filepath.Join(t.TempDir(), name)
	w, err := sigmf.NewWriter(base, "cf32_le", 2e6, 1747.5e6, time.Unix(1767308400, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(make([]complex64, n)); err != nil {
		t.Fatal(err)
	}
	w.Annotate(sigmf.Annotation{SampleStart: int64(n) * 3 / 8, SampleCount: int64(n) / 4, Label: "LTE/NR uplink"})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := sigmf.WriteArchiveTo(&b, name, base+sigmf.MetaExt, base+sigmf.DataExt); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// WriteRecording writes iq as the cf32_le recording base (base.sigmf-meta
// and base.sigmf-data) at rateHz samples/s tuned to centerHz, with no
// start time and no annotation, and returns its metadata's path.
func WriteRecording(t testing.TB, base string, rateHz, centerHz float64, iq []complex64) string {
	t.Helper()
	w, err := sigmf.NewWriter(base, "cf32_le", rateHz, centerHz, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(iq); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return base + sigmf.MetaExt
}

// WriteArchive writes a SigMF archive at path holding, for each name N,
// the folder N/ and N/N.sigmf-meta and N/N.sigmf-data copied from the
// folder src, as the SigMF spec lays out an archive of several
// recordings (and sigmf-python writes one).
func WriteArchive(t testing.TB, path, src string, names ...string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n + "/", Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
			t.Fatal(err)
		}
		for _, ext := range []string{sigmf.MetaExt, sigmf.DataExt} {
			b, err := os.ReadFile(filepath.Join(src, n+ext))
			if err != nil {
				t.Fatal(err)
			}
			if err := tw.WriteHeader(&tar.Header{Name: n + "/" + n + ext, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b))}); err != nil {
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
}
