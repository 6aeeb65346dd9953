package sigmf

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// fuzzReadAll reads r to its end, checking what a reader of any recording
// may rely on: Read gives at most NumSamples samples, all finite, and
// stops only at io.EOF after all of them or with an error naming a
// non-finite sample; the times and centres of the first and last sample
// are defined; and a seek to the middle reads the rest again.
func fuzzReadAll(t *testing.T, r *Recording) {
	t.Helper()
	n := r.NumSamples()
	if n < 0 {
		t.Fatalf("%d samples", n)
	}
	if n > 1<<20 {
		t.Fatalf("%d samples from a fuzz input", n) // inputs are far smaller
	}
	buf := make([]complex64, 777)
	var total int64
	for {
		k, err := r.Read(buf)
		for _, v := range buf[:k] {
			if re, im := float64(real(v)), float64(imag(v)); math.IsNaN(re) || math.IsInf(re, 0) || math.IsNaN(im) || math.IsInf(im, 0) {
				t.Fatalf("non-finite sample %v", v)
			}
		}
		total += int64(k)
		if total > n {
			t.Fatalf("read %d samples of %d", total, n)
		}
		if errors.Is(err, io.EOF) {
			if total != n {
				t.Fatalf("EOF after %d samples of %d", total, n)
			}
			break
		}
		if err != nil {
			if !errors.Is(err, ErrNonFinite) {
				t.Fatalf("read after %d samples of %d: %v", total, n, err)
			}
			break
		}
		if k == 0 {
			t.Fatalf("read 0 samples and no error at %d of %d", total, n)
		}
	}
	if n > 0 {
		for _, s := range []int64{0, n - 1} {
			if c := r.CenterHzAt(s); math.IsNaN(c) || math.IsInf(c, 0) {
				t.Fatalf("centre at sample %d: %v", s, c)
			}
			r.TimeAt(s)
			if e := r.SegmentEnd(s); e <= s || e > n {
				t.Fatalf("segment of sample %d ends at %d of %d", s, e, n)
			}
		}
	}
	if err := r.SeekSample(n / 2); err != nil {
		t.Fatalf("seek to %d of %d: %v", n/2, n, err)
	}
	if k, err := r.Read(buf[:1]); n > 0 && k != 1 && !errors.Is(err, ErrNonFinite) {
		t.Fatalf("read after a seek to %d of %d: %d, %v", n/2, n, k, err)
	}
	r.Verify()
}

// FuzzOpenRecording opens any metadata beside any data (an upload, a
// recording from elsewhere) and reads it whole: an error wrapping a
// sentinel, or a recording whose every sample reads (fuzzReadAll).
func FuzzOpenRecording(f *testing.F) {
	f.Add([]byte(`{"global":{"core:datatype":"ci8","core:sample_rate":1e6,"core:version":"1.0.0"},"captures":[{"core:sample_start":0,"core:frequency":1e9}],"annotations":[]}`), []byte("abcdefgh"))
	f.Add([]byte(`{"global":{"core:datatype":"cf32_le","core:sample_rate":1e6,"core:version":"1.0.0"},"captures":[{"core:sample_start":0,"core:frequency":1e9,"core:header_bytes":4},{"core:sample_start":1,"core:frequency":2e9,"core:header_bytes":2}],"annotations":[{"core:sample_start":0,"core:sample_count":1}]}`), []byte("hhhh\x00\x00\x80\x3f\x00\x00\x80\x3fhh\x00\x00\xc0\x7f\x00\x00\x80\x3f"))
	f.Add([]byte(`{"global":{"core:datatype":"ci16_le","core:sample_rate":1e6,"core:version":"1.0.0","core:sha512":"00"},"captures":[{"core:sample_start":0,"core:frequency":1e9,"core:global_index":5},{"core:sample_start":2,"core:frequency":1e9,"core:global_index":9}],"annotations":[]}`), []byte("0123456789abcdef"))
	f.Add([]byte(`{"global":{"core:datatype":"cu8","core:sample_rate":1e6,"core:version":"1.0.0","core:dataset":"other.bin"},"captures":[],"annotations":[]}`), []byte("ab"))
	f.Fuzz(func(t *testing.T, meta, data []byte) {
		dir := t.TempDir()
		base := filepath.Join(dir, "r")
		if err := os.WriteFile(base+MetaExt, meta, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(base+DataExt, data, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := Open(base + MetaExt)
		if err != nil {
			return
		}
		defer r.Close()
		fuzzReadAll(t, r)
	})
}

// FuzzOpenArchive opens any bytes as a SigMF archive in place (eval and
// replay read archives without extracting them) and reads every recording
// it lists whole (fuzzReadAll), or gives an error.
func FuzzOpenArchive(f *testing.F) {
	meta := `{"global":{"core:datatype":"ci8","core:sample_rate":1,"core:version":"1.0.0"},"captures":[],"annotations":[]}`
	f.Add(smallArchive(f, "snippet-s1-0a1b2c3d4e5f-10-1"))
	f.Add(tarOf(f, "a/a.sigmf-meta", meta, "a/a.sigmf-data", "abcd"))
	f.Add(tarOf(f, "a/a.sigmf-meta", meta, "a/a.sigmf-data", "abcd", "b/b.sigmf-meta", meta, "b/b.sigmf-data", "ab"))
	f.Add(tarOf(f, "a/a.sigmf-meta", `{"global":{"core:datatype":"ci8","core:sample_rate":1,"core:version":"1.0.0"},"captures":[{"core:sample_start":0,"core:frequency":1,"core:header_bytes":2}],"annotations":[]}`, "a/a.sigmf-data", "hhabcd"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "in"+ArchiveExt)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if r, err := Open(p); err == nil {
			fuzzReadAll(t, r)
			r.Close()
		}
		names, err := ArchiveRecordings(p)
		if err != nil {
			return
		}
		for _, n := range names {
			r, err := OpenArchiveRecording(p, n, Overrides{})
			if err != nil {
				continue
			}
			fuzzReadAll(t, r)
			r.Close()
		}
	})
}

// FuzzOpenRaw opens any bytes as a headerless IQ file (hackrf_transfer's,
// rtl_sdr's, an upload's) with any datatype, rate and centre, and reads it
// whole (fuzzReadAll), or gives an error: for bytes that are SigMF
// metadata (LooksLikeMeta), ErrLooksLikeMeta.
func FuzzOpenRaw(f *testing.F) {
	f.Add([]byte("\x05\xfb\x05\xfb\x7f\x80"), "ci8", 2e6, 915e6)
	f.Add([]byte(`{"global":{"core:datatype":"ci8"},"captures":[],"annotations":[]}`), "ci8", 1e6, 0.0)
	f.Add([]byte("\ufeff{\"global\":1}"), "cu8", 1e6, 0.0)
	f.Add([]byte(`{"global`), "ci8", 1e6, 0.0)
	f.Add([]byte("\x00\x00\xc0\x7f\x00\x00\x80\x3f\x01"), "cf32_le", 1e6, 0.0)
	f.Add([]byte("abcdefgh"), "cu8", math.Inf(1), 1e9)
	f.Add([]byte("abcdefgh"), "ci12_le", 1e6, -1.0)
	f.Fuzz(func(t *testing.T, data []byte, datatype string, rateHz, centerHz float64) {
		p := filepath.Join(t.TempDir(), "night.raw")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := OpenRaw(p, datatype, rateHz, centerHz)
		if LooksLikeMeta(bytes.NewReader(data)) && !errors.Is(err, ErrLooksLikeMeta) {
			t.Fatalf("OpenRaw of SigMF metadata %q = %v, want ErrLooksLikeMeta", data, err)
		}
		if err != nil {
			return
		}
		defer r.Close()
		fuzzReadAll(t, r)
	})
}
