package sigmf

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadWAV reads any bytes as a WAV file (an analyst's raw file from
// any tool): readWAV never reads outside the file nor loops past
// maxWAVChunks, a header it accepts places its samples inside the file in
// a datatype rfwarden reads (all the whole frames to the end when its data
// size field is 0 or past the end; a size of 0 with chunks after it to
// the end is refused, seed pcm16-size-zero-chunks-after), and OpenRaw reads such a file whole
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
		frame, err := SampleSize(w.datatype)
		if err != nil {
			t.Fatalf("datatype %q: %v", w.datatype, err)
		}
		// a data size field of 0 or past the end (a writer killed before
		// filling it in): the samples are the whole frames to the end
		if n, rest := int64(binary.LittleEndian.Uint32(data[w.dataOff-4:])), int64(len(data))-w.dataOff; (n == 0 || n > rest) && w.dataBytes != rest-rest%int64(frame) {
			t.Fatalf("data size field %d with %d bytes to the end: %d bytes of samples, want the %d of whole %d-byte frames", n, rest, w.dataBytes, rest-rest%int64(frame), frame)
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
