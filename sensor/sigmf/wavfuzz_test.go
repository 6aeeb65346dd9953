package sigmf

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadWAV reads any bytes as a WAV file (an analyst's raw file from
// any tool): readWAV never reads outside the file nor loops past
// maxWAVChunks, a header it accepts places its samples inside the file in
// a datatype rfwarden reads, and OpenRaw reads such a file whole
// (fuzzReadAll) or refuses it. The seed corpus is in
// testdata/fuzz/FuzzReadWAV.
func FuzzReadWAV(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		ra := strings.NewReader(string(data))
		w, ok, err := readWAV(ra, int64(len(data)))
		if ok != wavMagic(data) {
			t.Fatalf("ok %v for magic %q", ok, data[:min(len(data), 12)])
		}
		if err != nil && !errors.Is(err, ErrWAV) {
			t.Fatalf("error wraps no ErrWAV: %v", err)
		}
		if !ok || err != nil {
			return
		}
		if w.dataOff < 12 || w.dataBytes < 0 || w.dataOff+w.dataBytes > int64(len(data)) {
			t.Fatalf("samples at %d, %d bytes, of a %d-byte file", w.dataOff, w.dataBytes, len(data))
		}
		if _, err := SampleSize(w.datatype); err != nil {
			t.Fatalf("datatype %q: %v", w.datatype, err)
		}
		p := filepath.Join(t.TempDir(), "x.wav")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := OpenRaw(p, "", 0, 0)
		if err != nil {
			return
		}
		defer r.Close()
		fuzzReadAll(t, r)
	})
}
