package sigmf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/realiq"
)

var update = flag.Bool("update", false, "rewrite golden files")

// realIQDir returns ../shared/testdata/real-iq relative to the module root,
// skipping the test when it is absent.
func realIQDir(t testing.TB) string {
	return realiq.Dir(t)
}

func TestDecodeSamples(t *testing.T) {
	f32 := func(order binary.AppendByteOrder, vs ...float32) []byte {
		var b []byte
		for _, v := range vs {
			b = order.AppendUint32(b, math.Float32bits(v))
		}
		return b
	}
	f64 := func(order binary.AppendByteOrder, vs ...float64) []byte {
		var b []byte
		for _, v := range vs {
			b = order.AppendUint64(b, math.Float64bits(v))
		}
		return b
	}
	tests := []struct {
		datatype string
		src      []byte
		want     []complex64
	}{
		{"ci8", []byte{0x80, 0x7f, 0x40, 0x00}, []complex64{complex(-1, 127.0/128), complex(0.5, 0)}},
		{"cu8", []byte{0, 255, 128, 127}, []complex64{complex(-127.5/128, 127.5/128), complex(0.5/128, -0.5/128)}},
		{"ci16_le", []byte{0x00, 0x80, 0x00, 0x40}, []complex64{complex(-1, 0.5)}},
		{"ci16_be", []byte{0x80, 0x00, 0x40, 0x00}, []complex64{complex(-1, 0.5)}},
		{"cu16_le", []byte{0x00, 0x00, 0xff, 0xff}, []complex64{complex(-32767.5/32768, 32767.5/32768)}},
		{"cu16_be", []byte{0xff, 0xff, 0x00, 0x00}, []complex64{complex(32767.5/32768, -32767.5/32768)}},
		{"cf32_le", f32(binary.LittleEndian, 3e4, -1.16), []complex64{complex(3e4, -1.16)}},
		{"cf32_be", f32(binary.BigEndian, 0.25, -2), []complex64{complex(0.25, -2)}},
		{"cf64_le", f64(binary.LittleEndian, 0.5, -0.25), []complex64{complex(0.5, -0.25)}},
		{"cf64_be", f64(binary.BigEndian, 1, 2), []complex64{complex(1, 2)}},
		{"ci32_le", []byte{0, 0, 0, 0x80, 0, 0, 0, 0xc0}, []complex64{complex(-1, -0.5)}},
		{"ci32_be", []byte{0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1}, []complex64{complex(float32(math.MaxInt32/float64(1<<31)), float32(1/float64(1<<31)))}},
		{"cu32_le", []byte{0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}, []complex64{complex(-1, 1)}},
		{"cu32_be", []byte{0x80, 0, 0, 0, 0x40, 0, 0, 0}, []complex64{complex(float32(0.5/float64(1<<31)), -0.5)}},
	}
	for _, tt := range tests {
		t.Run(tt.datatype, func(t *testing.T) {
			dst := make([]complex64, len(tt.want)+3)
			n, err := DecodeSamples(dst, tt.src, tt.datatype)
			if err != nil {
				t.Fatalf("DecodeSamples: %v", err)
			}
			if n != len(tt.want) {
				t.Fatalf("n = %d, want %d", n, len(tt.want))
			}
			for i, w := range tt.want {
				if dst[i] != w {
					t.Errorf("sample %d = %v, want %v", i, dst[i], w)
				}
			}
			// A short dst decodes only what fits.
			if n, err := DecodeSamples(dst[:1], tt.src, tt.datatype); n != 1 || err != nil {
				t.Errorf("short dst: n = %d, err = %v, want 1, nil", n, err)
			}
		})
	}
}

func TestDecodeSamplesErrors(t *testing.T) {
	nan := binary.LittleEndian.AppendUint32(nil, math.Float32bits(float32(math.NaN())))
	inf := binary.LittleEndian.AppendUint32(nil, math.Float32bits(float32(math.Inf(-1))))
	one := binary.LittleEndian.AppendUint32(nil, math.Float32bits(1))
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	tests := []struct {
		name, datatype string
		src            []byte
		wantN          int
		wantErr        error
		wantMsg        string
	}{
		{"unknown", "ci12", []byte{1, 2}, 0, ErrDatatype, `"ci12"`},
		{"real", "rf32_le", []byte{1, 2}, 0, ErrDatatype, "rf32_le"},
		{"odd ci8", "ci8", []byte{1, 2, 3}, 1, ErrTruncated, "1 trailing bytes"},
		{"nan re", "cf32_le", cat(one, one, nan, one), 1, ErrNonFinite, "sample 1"},
		{"inf im", "cf32_le", cat(one, inf), 0, ErrNonFinite, "sample 0"},
		{"f64 beyond f32", "cf64_le", binary.LittleEndian.AppendUint64(make([]byte, 8), math.Float64bits(1e300)), 0, ErrNonFinite, "sample 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := make([]complex64, 8)
			n, err := DecodeSamples(dst, tt.src, tt.datatype)
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err = %v, want %v containing %q", err, tt.wantErr, tt.wantMsg)
			}
			if n != tt.wantN {
				t.Errorf("n = %d, want %d", n, tt.wantN)
			}
		})
	}
}

// randomSamples returns n seeded samples inside full scale.
func randomSamples(n int, seed uint64) []complex64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	s := make([]complex64, n)
	for i := range s {
		s[i] = complex(float32(rng.Float64()*1.9-0.95), float32(rng.Float64()*1.9-0.95))
	}
	return s
}

func TestWriterRoundTrip(t *testing.T) {
	start := time.Date(2026, 11, 24, 10, 0, 0, 123456789, time.UTC)
	tests := []struct {
		datatype string
		tol      float64 // half a quantisation step
	}{
		{"ci8", 0.5 / 128},
		{"ci16_le", 0.5 / 32768},
		{"cf32_le", 0},
	}
	for _, tt := range tests {
		t.Run(tt.datatype, func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "rt")
			w, err := NewWriter(base+DataExt, tt.datatype, 2e6, 2.4e9, start)
			if err != nil {
				t.Fatal(err)
			}
			in := randomSamples(30000, 7)
			if err := w.Write(in[:20000]); err != nil {
				t.Fatal(err)
			}
			w.Retune(2.5e9, start.Add(time.Second))
			if err := w.Write(in[20000:]); err != nil {
				t.Fatal(err)
			}
			w.Annotate(Annotation{SampleStart: 100, SampleCount: 50, FreqLowerHz: 2.4e9, FreqUpperHz: 2.401e9, HasFreq: true, Label: "wifi", Generator: "test"})
			w.Annotate(Annotation{SampleStart: 10, SampleCount: 5, Label: "noise", Extra: map[string]any{"rfw:snr_db": 3.5}})
			w.SetExtra("rfw:gain_db", 40)
			w.SetGlobal("round trip", "rfwarden tests", "none", "https://creativecommons.org/publicdomain/zero/1.0/")
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}

			r, err := Open(base + MetaExt)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if got := r.NumSamples(); got != int64(len(in)) {
				t.Fatalf("NumSamples = %d, want %d", got, len(in))
			}
			if err := r.Verify(); err != nil {
				t.Errorf("Verify: %v", err)
			}
			got := make([]complex64, len(in)+10)
			n := 0
			for {
				k, err := r.Read(got[n:min(n+4097, len(got))])
				n += k
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if n != len(in) {
				t.Fatalf("read %d samples, want %d", n, len(in))
			}
			for i := range in {
				if d := math.Max(math.Abs(float64(real(got[i])-real(in[i]))), math.Abs(float64(imag(got[i])-imag(in[i])))); d > tt.tol+1e-9 {
					t.Fatalf("sample %d = %v, want %v within %g", i, got[i], in[i], tt.tol)
				}
			}
			m := r.Meta()
			if m.Global.Datatype != tt.datatype || m.Global.SampleRateHz != 2e6 || m.Global.Description != "round trip" {
				t.Errorf("global = %+v", m.Global)
			}
			if len(m.Annotations) != 2 || m.Annotations[0].Label != "noise" || m.Annotations[1].Label != "wifi" || !m.Annotations[1].HasFreq || m.Annotations[1].FreqUpperHz != 2.401e9 {
				t.Errorf("annotations not sorted or lost: %+v", m.Annotations)
			}
			if got, want := r.CenterHzAt(19999), 2.4e9; got != want {
				t.Errorf("CenterHzAt(19999) = %v, want %v", got, want)
			}
			if got, want := r.CenterHzAt(20000), 2.5e9; got != want {
				t.Errorf("CenterHzAt(20000) = %v, want %v", got, want)
			}
			if got, want := r.SegmentEnd(5), int64(20000); got != want {
				t.Errorf("SegmentEnd(5) = %d, want %d", got, want)
			}
			if got, want := r.TimeAt(2000), start.Add(time.Millisecond); !got.Equal(want) {
				t.Errorf("TimeAt(2000) = %v, want %v", got, want)
			}
			if got, want := r.TimeAt(20001), start.Add(time.Second+500*time.Nanosecond); !got.Equal(want) {
				t.Errorf("TimeAt(20001) = %v, want %v", got, want)
			}
			if err := r.SeekSample(29999); err != nil {
				t.Fatal(err)
			}
			if k, err := r.Read(got[:5]); k != 1 || err != nil {
				t.Errorf("read after seek: n = %d, err = %v, want 1, nil", k, err)
			} else if d := math.Max(math.Abs(float64(real(got[0])-real(in[29999]))), math.Abs(float64(imag(got[0])-imag(in[29999])))); d > tt.tol+1e-9 {
				t.Errorf("read after seek = %v, want sample 29999 = %v within %g", got[0], in[29999], tt.tol)
			}
		})
	}
}

func TestWriterClipsAndRejects(t *testing.T) {
	base := filepath.Join(t.TempDir(), "clip")
	w, err := NewWriter(base, "ci8", 1e6, 1e9, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write([]complex64{complex(2, 0), complex(0, -1.5), 0.5}); err != nil {
		t.Fatal(err)
	}
	if err := w.Write([]complex64{complex(float32(math.NaN()), 0)}); !errors.Is(err, ErrNonFinite) {
		t.Errorf("NaN write err = %v, want ErrNonFinite", err)
	}
	if got := w.Clipped(); got != 2 {
		t.Errorf("Clipped = %d, want 2", got)
	}
	w.Annotate(Annotation{SampleStart: 2, SampleCount: 5})
	if err := w.Close(); !errors.Is(err, ErrMismatch) {
		t.Errorf("Close with annotation beyond data: err = %v, want ErrMismatch", err)
	}
	if _, err := NewWriter(base, "cu8", 1e6, 1e9, time.Time{}); !errors.Is(err, ErrDatatype) {
		t.Errorf("cu8 writer err = %v, want ErrDatatype", err)
	}
	if _, err := NewWriter(base, "ci8", 0, 1e9, time.Time{}); !errors.Is(err, ErrNoSampleRate) {
		t.Errorf("zero rate writer err = %v, want ErrNoSampleRate", err)
	}
}

func TestOpenRaw(t *testing.T) {
	p := filepath.Join(t.TempDir(), "capture.iq")
	if err := os.WriteFile(p, []byte{0, 255, 255, 0, 128, 128}, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := OpenRaw(p, "cu8", 2.048e6, 100e6)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := make([]complex64, 4)
	n, err := r.Read(got)
	if err != nil || n != 3 {
		t.Fatalf("Read = %d, %v, want 3, nil", n, err)
	}
	if want := complex64(complex(-127.5/128, 127.5/128)); got[0] != want {
		t.Errorf("sample 0 = %v, want %v", got[0], want)
	}
	if r.CenterHzAt(1) != 100e6 || !r.TimeAt(1).IsZero() || r.Path() != p {
		t.Errorf("CenterHzAt = %v, TimeAt = %v, Path = %q", r.CenterHzAt(1), r.TimeAt(1), r.Path())
	}
	if _, err := r.Read(got); err != io.EOF {
		t.Errorf("Read at end err = %v, want io.EOF", err)
	}
	for _, tt := range []struct {
		datatype string
		rate     float64
		want     error
	}{
		{"ci8", 1e6, ErrTruncated}, // 6 bytes of ci8 is fine; use ci16 below
		{"ci16_le", 1e6, ErrTruncated},
		{"cx8", 1e6, ErrDatatype},
		{"ci8", -1, ErrNoSampleRate},
		{"ci8", math.NaN(), ErrNoSampleRate},
	} {
		r, err := OpenRaw(p, tt.datatype, tt.rate, 0)
		if tt.datatype == "ci8" && tt.rate == 1e6 {
			if err != nil {
				t.Errorf("OpenRaw(ci8): %v", err)
			} else {
				r.Close()
			}
			continue
		}
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("OpenRaw(%s, %v) err = %v, want %v naming the file", tt.datatype, tt.rate, err, tt.want)
		}
	}
}

// writePair writes base.sigmf-meta and base.sigmf-data.
func writePair(t *testing.T, base, meta string, data []byte) {
	t.Helper()
	if err := os.WriteFile(base+MetaExt, []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(base+DataExt, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOpenErrors(t *testing.T) {
	const g = `"global":{"core:datatype":"%s","core:sample_rate":1000,"core:version":"1.0.0"%s}`
	meta := func(dt, extra, caps, anns string) string {
		return "{" + strings.Replace(strings.Replace(g, "%s", dt, 1), "%s", extra, 1) + `,"captures":[` + caps + `],"annotations":[` + anns + "]}"
	}
	f32 := func(vs ...float32) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
		return b
	}
	tests := []struct {
		name    string
		meta    string
		data    []byte
		want    error
		wantMsg string
	}{
		{"truncated", meta("ci16_le", "", `{"core:sample_start":0}`, ""), []byte{1, 2, 3, 4, 5, 6}, ErrTruncated, "6 bytes is not a multiple of the 4-byte"},
		{"unknown datatype", meta("ri8", "", "", ""), []byte{1, 2}, ErrDatatype, `"ri8"`},
		{"annotation beyond", meta("ci8", "", "", `{"core:sample_start":2,"core:sample_count":2}`), []byte{1, 2, 3, 4, 5, 6}, ErrMismatch, "annotations[0]"},
		{"capture beyond", meta("ci8", "", `{"core:sample_start":0},{"core:sample_start":3}`, ""), []byte{1, 2, 3, 4, 5, 6}, ErrMismatch, "captures[1]"},
		{"two channels", meta("ci8", `,"core:num_channels":2`, "", ""), []byte{1, 2}, ErrChannels, "core:num_channels 2: more than one channel: rfwarden reads one channel; extract one channel"},
		{"missing version", `{"global":{"core:datatype":"ci8","core:sample_rate":1},"captures":[],"annotations":[]}`, []byte{1, 2}, ErrNoVersion, "core:version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "x")
			writePair(t, base, tt.meta, tt.data)
			r, err := Open(base + DataExt)
			if err == nil {
				r.Close()
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.wantMsg) || !strings.Contains(err.Error(), base) {
				t.Fatalf("Open err = %v, want %v containing %q and the path", err, tt.want, tt.wantMsg)
			}
		})
	}

	t.Run("nan sample", func(t *testing.T) {
		base := filepath.Join(t.TempDir(), "nan")
		writePair(t, base, meta("cf32_le", "", `{"core:sample_start":0}`, ""), f32(1, 2, 3, 4, float32(math.NaN()), 0, 5, 6))
		r, err := Open(base)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		dst := make([]complex64, 8)
		n, err := r.Read(dst)
		if n != 2 || !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "sample 2") {
			t.Fatalf("Read = %d, %v, want 2 and ErrNonFinite naming sample 2", n, err)
		}
	})
	// HackRF samples (ci8) declared cf32_le
	// read as floats whose exponent bits are all ones somewhere soon; the
	// refusal says which datatype was read and that it may be wrong.
	t.Run("ci8 declared cf32_le", func(t *testing.T) {
		base := filepath.Join(t.TempDir(), "ci8")
		data := make([]byte, 4096)
		for i := range data {
			data[i] = byte(i*37 + 0x7f) // ci8 noise; bytes 0x7f 0x80.. form NaN/Inf floats
		}
		binary.LittleEndian.PutUint32(data[64:], 0x7fc00000) // a NaN at sample 8 at the latest
		writePair(t, base, meta("cf32_le", "", `{"core:sample_start":0}`, ""), data)
		r, err := Open(base)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		dst := make([]complex64, 512)
		_, err = r.Read(dst)
		if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "cf32_le data") || !strings.Contains(err.Error(), "correct core:datatype") {
			t.Fatalf("Read err = %v, want ErrNonFinite naming cf32_le and core:datatype", err)
		}
	})
	t.Run("sha mismatch", func(t *testing.T) {
		base := filepath.Join(t.TempDir(), "sha")
		writePair(t, base, meta("ci8", `,"rfw:sha256":"00"`, "", ""), []byte{1, 2})
		r, err := Open(base + MetaExt)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if err := r.Verify(); !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "rfw:sha256") {
			t.Fatalf("Verify err = %v, want ErrMismatch naming rfw:sha256", err)
		}
	})
	t.Run("no extension", func(t *testing.T) {
		if _, err := Open(filepath.Join(t.TempDir(), "nothing.bin")); err == nil {
			t.Fatal("Open of a non-SigMF path succeeded")
		}
	})
}

func TestParseMetaErrors(t *testing.T) {
	const caps = `"captures":[{"core:sample_start":0}],"annotations":[]`
	tests := []struct {
		name, meta string
		want       error
		wantMsg    string
	}{
		{"bad json", `{"global":`, ErrBadMeta, "unexpected EOF"},
		{"trailing", `{"global":{},"captures":[],"annotations":[]} {}`, ErrBadMeta, "trailing"},
		{"not object", `[]`, ErrBadMeta, ""},
		{"missing global", `{` + caps + `}`, ErrBadMeta, `"global"`},
		{"unknown top key", `{"global":{},"x":1,` + caps + `}`, ErrBadMeta, `"x"`},
		{"missing version", `{"global":{"core:datatype":"ci8","core:sample_rate":1},` + caps + `}`, ErrNoVersion, "global.core:version"},
		{"wrong version", `{"global":{"core:datatype":"ci8","core:sample_rate":1,"core:version":"0.0.2"},` + caps + `}`, ErrNoVersion, `"0.0.2"`},
		{"missing datatype", `{"global":{"core:sample_rate":1,"core:version":"1.0.0"},` + caps + `}`, ErrDatatype, "global.core:datatype"},
		{"bad datatype", `{"global":{"core:datatype":"iq8","core:sample_rate":1,"core:version":"1.0.0"},` + caps + `}`, ErrDatatype, `"iq8"`},
		{"missing rate", `{"global":{"core:datatype":"ci8","core:version":"1.0.0"},` + caps + `}`, ErrNoSampleRate, "core:sample_rate"},
		{"zero rate", `{"global":{"core:datatype":"ci8","core:sample_rate":0,"core:version":"1.0.0"},` + caps + `}`, ErrNoSampleRate, "core:sample_rate"},
		{"string rate", `{"global":{"core:datatype":"ci8","core:sample_rate":"1e6","core:version":"1.0.0"},` + caps + `}`, ErrBadMeta, "global.core:sample_rate: invalid metadata: want a number, got a string"},
		{"huge rate", `{"global":{"core:datatype":"ci8","core:sample_rate":1e999,"core:version":"1.0.0"},` + caps + `}`, ErrBadMeta, "core:sample_rate"},
		{"author type", `{"global":{"core:datatype":"ci8","core:sample_rate":1,"core:version":"1.0.0","core:author":7},` + caps + `}`, ErrBadMeta, "global.core:author"},
	}
	const g = `{"global":{"core:datatype":"ci8","core:sample_rate":1,"core:version":"1.0.0"},`
	tests = append(tests, []struct {
		name, meta string
		want       error
		wantMsg    string
	}{
		{"missing captures", g + `"annotations":[]}`, ErrBadMeta, `"captures"`},
		{"captures not array", g + `"captures":{},"annotations":[]}`, ErrBadMeta, "captures: want an array"},
		{"capture not object", g + `"captures":[1],"annotations":[]}`, ErrBadMeta, "captures[0]: want an object"},
		{"capture no start", g + `"captures":[{}],"annotations":[]}`, ErrBadMeta, "captures[0].core:sample_start"},
		{"capture negative", g + `"captures":[{"core:sample_start":-1}],"annotations":[]}`, ErrBadMeta, "captures[0].core:sample_start -1"},
		{"capture fraction", g + `"captures":[{"core:sample_start":1.5}],"annotations":[]}`, ErrBadMeta, "captures[0].core:sample_start 1.5"},
		{"captures unsorted", g + `"captures":[{"core:sample_start":5},{"core:sample_start":5}],"annotations":[]}`, ErrMismatch, "captures[1]"},
		{"bad datetime", g + `"captures":[{"core:sample_start":0,"core:datetime":"yesterday"}],"annotations":[]}`, ErrBadMeta, "captures[0].core:datetime"},
		{"frequency type", g + `"captures":[{"core:sample_start":0,"core:frequency":true}],"annotations":[]}`, ErrBadMeta, "captures[0].core:frequency"},
		{"annotation count type", g + `"captures":[],"annotations":[{"core:sample_start":0,"core:sample_count":"all"}]}`, ErrBadMeta, "annotations[0].core:sample_count"},
		{"version 2", `{"global":{"core:datatype":"ci8","core:sample_rate":1,"core:version":"2.0.0"},` + caps + `}`, ErrNoVersion, `"2.0.0"`},
		{"version 1.x", `{"global":{"core:datatype":"ci8","core:sample_rate":1,"core:version":"1.x"},` + caps + `}`, ErrNoVersion, `"1.x"`},
		{"annotation one edge", g + `"captures":[],"annotations":[{"core:sample_start":0,"core:sample_count":1,"core:freq_lower_edge":1}]}`, ErrBadMeta, "annotations[0].core:freq_lower_edge"},
		{"annotation inverted", g + `"captures":[],"annotations":[{"core:sample_start":0,"core:sample_count":1,"core:freq_lower_edge":2,"core:freq_upper_edge":1}]}`, ErrBadMeta, "annotations[0].core:freq_lower_edge 2 above"},
		{"annotation label type", g + `"captures":[],"annotations":[{"core:sample_start":0,"core:sample_count":1,"core:label":[]}]}`, ErrBadMeta, "annotations[0].core:label"},
		{"annotation overflow", g + `"captures":[],"annotations":[{"core:sample_start":9223372036854775807,"core:sample_count":1}]}`, ErrBadMeta, "overflows"},
	}...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseMeta([]byte(tt.meta))
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err = %v, want %v containing %q", err, tt.want, tt.wantMsg)
			}
		})
	}
}

func TestParseMetaKeepsExtra(t *testing.T) {
	in := `{"global":{"core:datatype":"ci8","core:sample_rate":20e6,"core:version":"1.0.0","rfw:sha256":"ab","core:extensions":[{"name":"rfw","version":"1.0.0","optional":true}],"rfw:big":9007199254740993},
	"captures":[{"core:sample_start":0,"core:frequency":2.4e9,"core:datetime":"2026-11-24T10:00:00.5Z","rfw:x":{"a":[1,2]}}],
	"annotations":[{"core:sample_start":1,"core:sample_count":2,"core:label":"wifi","core:uuid":"u"}]}`
	m, err := ParseMeta([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out, err := MarshalMeta(m)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := ParseMeta(out)
	if err != nil {
		t.Fatalf("reparse: %v\n%s", err, out)
	}
	out2, err := MarshalMeta(m2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, out2) {
		t.Errorf("marshal not stable:\n%s\n%s", out, out2)
	}
	for _, want := range []string{`"rfw:sha256": "ab"`, `"rfw:big": 9007199254740993`, `"core:uuid": "u"`, `"core:datetime": "2026-11-24T10:00:00.5Z"`, `"a": [`} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
}

func TestWriteMetaGolden(t *testing.T) {
	m := Meta{
		Global: Global{Datatype: "ci8", SampleRateHz: 20e6, Description: "golden", Author: "rfwarden", HW: "HackRF One", License: "https://creativecommons.org/licenses/by/4.0/",
			Extra: map[string]any{"rfw:sha256": "00", "core:recorder": "rfwarden", "core:extensions": []any{map[string]any{"name": "rfw", "version": "1.0.0", "optional": true}}}},
		Captures: []Capture{
			{SampleStart: 1000, FrequencyHz: 2.45e9, Datetime: "2026-11-24T10:00:01Z"},
			{SampleStart: 0, FrequencyHz: 2.44e9, Datetime: "2026-11-24T10:00:00Z", Extra: map[string]any{"core:global_index": 42}},
		},
		Annotations: []Annotation{
			{SampleStart: 500, SampleCount: 10, Label: "droneid", FreqLowerHz: 2.4e9, FreqUpperHz: 2.41e9, HasFreq: true},
			{SampleStart: 20, SampleCount: 10, Label: "noise", Comment: "quiet", Generator: "cfar"},
		},
	}
	path := filepath.Join(t.TempDir(), "g"+MetaExt)
	if err := WriteMeta(path, m); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "golden", "meta.sigmf-meta")
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("WriteMeta output differs from %s:\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	back, err := ReadMeta(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Captures[0].SampleStart != 0 || back.Annotations[0].Label != "noise" || back.Global.HW != "HackRF One" {
		t.Errorf("read back %+v", back)
	}

	bad := m
	bad.Global.Extra = map[string]any{"core:datatype": "cf32_le"}
	if err := WriteMeta(path, bad); !errors.Is(err, ErrBadMeta) {
		t.Errorf("WriteMeta with duplicate Extra key err = %v, want ErrBadMeta", err)
	}
	bad = m
	bad.Global.SampleRateHz = math.Inf(1)
	if err := WriteMeta(path, bad); !errors.Is(err, ErrNoSampleRate) {
		t.Errorf("WriteMeta with Inf rate err = %v, want ErrNoSampleRate", err)
	}
	bad = m
	bad.Global.Version = "0.0.2"
	if err := WriteMeta(path, bad); !errors.Is(err, ErrNoVersion) {
		t.Errorf("WriteMeta with version 0.0.2 err = %v, want ErrNoVersion", err)
	}
}

func TestArchive(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "snip")
	w, err := NewWriter(base, "cf32_le", 1e6, 915e6, time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	in := randomSamples(100000, 3)
	if err := w.Write(in); err != nil {
		t.Fatal(err)
	}
	w.Annotate(Annotation{SampleStart: 5, SampleCount: 5, Label: "other"})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	arch := filepath.Join(dir, "snip"+ArchiveExt)
	if err := WriteArchive(arch, base+MetaExt, base+DataExt); err != nil {
		t.Fatal(err)
	}
	r, err := Open(arch)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.NumSamples() != int64(len(in)) || !strings.Contains(r.Path(), "snip/snip.sigmf-data") || r.Meta().Annotations[0].Label != "other" {
		t.Fatalf("archive: n = %d, path %q, meta %+v", r.NumSamples(), r.Path(), r.Meta())
	}
	if err := r.Verify(); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if err := r.SeekSample(99990); err != nil {
		t.Fatal(err)
	}
	got := make([]complex64, 20)
	n, err := r.Read(got)
	if n != 10 || err != nil {
		t.Fatalf("Read = %d, %v", n, err)
	}
	for i := range n {
		if got[i] != in[99990+i] {
			t.Fatalf("sample %d = %v, want %v", 99990+i, got[i], in[99990+i])
		}
	}
	// A truncated archive is an error, not a panic.
	data, _ := os.ReadFile(arch)
	cut := filepath.Join(dir, "cut"+ArchiveExt)
	if err := os.WriteFile(cut, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(cut); err == nil || !strings.Contains(err.Error(), cut) {
		t.Errorf("Open of truncated archive err = %v, want an error naming it", err)
	}
}

func TestRealRecordings(t *testing.T) {
	dir := realIQDir(t)
	metas, err := filepath.Glob(filepath.Join(dir, "*"+MetaExt))
	if err != nil || len(metas) == 0 {
		t.Fatalf("no recordings in %s: %v", dir, err)
	}
	for _, mp := range metas {
		t.Run(filepath.Base(mp), func(t *testing.T) {
			r, err := Open(mp)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			st, err := os.Stat(r.Path())
			if err != nil {
				t.Fatal(err)
			}
			size, _ := SampleSize(r.Meta().Global.Datatype)
			if want := st.Size() / int64(size); r.NumSamples() != want {
				t.Errorf("NumSamples = %d, want %d", r.NumSamples(), want)
			}
			if err := r.Verify(); err != nil {
				t.Errorf("Verify: %v", err)
			}
			buf := make([]complex64, 10000)
			var n int64
			var peak float32
			for {
				k, err := r.Read(buf)
				for _, v := range buf[:k] {
					peak = max(peak, real(v), -real(v), imag(v), -imag(v))
				}
				n += int64(k)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if n != r.NumSamples() || peak == 0 {
				t.Errorf("read %d samples (peak %g), want %d non-zero", n, peak, r.NumSamples())
			}
			if r.CenterHzAt(0) <= 0 || len(r.Meta().Annotations) == 0 {
				t.Errorf("centre %v, %d annotations", r.CenterHzAt(0), len(r.Meta().Annotations))
			}
		})
	}
}

// endless is an io.ReaderAt over a virtual file of any size whose bytes
// depend only on their offset; it holds no data.
type endless struct{}

func (endless) ReadAt(p []byte, off int64) (int, error) {
	for i := range p {
		p[i] = byte((off + int64(i)) * 7)
	}
	return len(p), nil
}

func TestReadConstantMemory(t *testing.T) {
	const size = 10 << 30 // 10 GiB of ci8, never materialised
	m := Meta{Global: Global{Datatype: "ci8", SampleRateHz: 20e6, Version: Version}, Captures: []Capture{{FrequencyHz: 1e9}}}
	r, err := newRecording(m, "virtual", endless{}, size, io.NopCloser(nil))
	if err != nil {
		t.Fatal(err)
	}
	if r.NumSamples() != size/2 {
		t.Fatalf("NumSamples = %d", r.NumSamples())
	}
	dst := make([]complex64, 65536)
	allocs := testing.AllocsPerRun(50, func() {
		if _, err := r.Read(dst); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Read allocates %v times per call, want 0", allocs)
	}
	if err := r.SeekSample(r.NumSamples() - 3); err != nil {
		t.Fatal(err)
	}
	n, err := r.Read(dst)
	if n != 3 || err != nil {
		t.Fatalf("Read near 10 GiB end = %d, %v, want 3, nil", n, err)
	}
	off := int64(size - 6)
	if want := complex(float32(int8(byte(off*7)))/128, float32(int8(byte((off+1)*7)))/128); dst[0] != want {
		t.Errorf("sample at end = %v, want %v", dst[0], want)
	}
	if _, err := r.Read(dst); err != io.EOF {
		t.Errorf("err = %v, want io.EOF", err)
	}
}

func BenchmarkDecodeSamples(b *testing.B) {
	for _, dt := range []string{"ci8", "cu8", "ci16_le", "ci32_le", "cf32_le"} {
		b.Run(dt, func(b *testing.B) {
			size, _ := SampleSize(dt)
			dst := make([]complex64, 65536)
			src := make([]byte, len(dst)*size)
			b.ReportAllocs()
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				if _, err := DecodeSamples(dst, src, dt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRecordingRead(b *testing.B) {
	m := Meta{Global: Global{Datatype: "ci8", SampleRateHz: 20e6, Version: Version}}
	r, err := newRecording(m, "virtual", endless{}, 1<<40, io.NopCloser(nil))
	if err != nil {
		b.Fatal(err)
	}
	dst := make([]complex64, 65536)
	b.ReportAllocs()
	b.SetBytes(int64(len(dst) * 2))
	for b.Loop() {
		if _, err := r.Read(dst); err != nil {
			b.Fatal(err)
		}
	}
}

// TestOpenDataset: core:dataset names the data file beside the metadata
// (what scan --annotate writes beside a recording under another name); it
// was ignored, and such metadata could not be opened. A path there is an
// error naming the field, not a file read elsewhere.
func TestOpenDataset(t *testing.T) {
	dir := t.TempDir()
	data := make([]byte, 2*100)
	if err := os.WriteFile(filepath.Join(dir, "rec.sigmf-data"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	meta := func(name, dataset string) string {
		p := filepath.Join(dir, name+".sigmf-meta")
		ds := ""
		if dataset != "" {
			ds = `,"core:dataset":"` + dataset + `"`
		}
		body := `{"global":{"core:datatype":"ci8","core:sample_rate":1000000,"core:version":"1.0.0"` + ds + `},"captures":[{"core:sample_start":0}],"annotations":[]}`
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	r, err := Open(meta("det", "rec.sigmf-data"))
	if err != nil {
		t.Fatalf("metadata naming its data beside it: %v", err)
	}
	if r.NumSamples() != 100 {
		t.Errorf("%d samples, want 100", r.NumSamples())
	}
	r.Close()
	for _, ds := range []string{"../rec.sigmf-data", "/etc/passwd", ".."} {
		if _, err := Open(meta("bad", ds)); err == nil || !strings.Contains(err.Error(), "core:dataset") {
			t.Errorf("core:dataset %q: %v, want an error naming core:dataset", ds, err)
		}
	}
	if _, err := Open(meta("gone", "missing.sigmf-data")); err == nil {
		t.Error("core:dataset naming a missing file: no error")
	}
}

// TestIntegerValuedFloats: SigMF's schema takes 0.0 and 1.0 as integers
// (JSON has one number type); an index written 0.0 and core:num_channels
// 1.0 were refused. 0.5 is not an integer.
func TestIntegerValuedFloats(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "r.sigmf-data"), make([]byte, 200), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		start, channels string
		ok              bool
	}{
		{"0", "1", true},
		{"0.0", "1.0", true},
		{"0e0", "1e0", true},
		{"0.5", "1", false},
		{"0", "2", false},
	} {
		meta := `{"global":{"core:datatype":"ci8","core:sample_rate":1000000,"core:version":"1.0.0","core:num_channels":` + tc.channels +
			`},"captures":[{"core:sample_start":` + tc.start + `}],"annotations":[]}`
		if err := os.WriteFile(filepath.Join(dir, "r.sigmf-meta"), []byte(meta), 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := Open(filepath.Join(dir, "r.sigmf-meta"))
		if (err == nil) != tc.ok {
			t.Errorf("sample_start %s, num_channels %s: %v, want ok %v", tc.start, tc.channels, err, tc.ok)
		}
		if r != nil {
			r.Close()
		}
	}
}

// TestSampleRateBounds: valid SigMF at a rate whose sample counts and
// times overflow (1e300: the dashboard analysed -9223372036854775808
// samples) or come out infinite (1e-320) is refused, naming the rate and
// the bound it passes: until 2026-12-05 the error said "missing or
// non-positive sample rate" of a present, positive one. The rates are
// opened without a centre frequency, so the band's check has no say.
func TestSampleRateBounds(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.ci8")
	if err := os.WriteFile(p, make([]byte, 200), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		rate float64
		want string // in the error; "" for none
	}{
		{1e300, "core:sample_rate 1e+300: sample rate out of range: above the 1e+11 samples/s"},
		{1e30, "core:sample_rate 1e+30: sample rate out of range: above the 1e+11 samples/s"},
		{2e11, "core:sample_rate 2e+11: sample rate out of range: above the 1e+11 samples/s"},
		{0.5, "core:sample_rate 0.5: sample rate out of range: below the 1 samples/s"},
		{1e-320, "below the 1 samples/s"},
		{1, ""},
		{8000, ""},
		{20e6, ""},
		{1e11, ""},
	} {
		r, err := OpenRaw(p, "ci8", tc.rate, 0)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("rate %g: %v", tc.rate, err)
		case tc.want == "":
			r.Close()
		case !errors.Is(err, ErrSampleRateRange) || !strings.Contains(err.Error(), tc.want):
			t.Errorf("rate %g: %v, want ErrSampleRateRange saying %q", tc.rate, err, tc.want)
		case errors.Is(err, ErrNoSampleRate):
			t.Errorf("rate %g: %v, which calls the rate missing or non-positive", tc.rate, err)
		}
	}
}

// TestOpenBandBelowZero: a capture whose band, core:frequency ± half the
// core:sample_rate, reaches below 0 Hz is refused, naming both fields and
// their values: until 2026-12-05 a 2135 MHz capture at 1e11 samples/s was
// scanned, and its detections reported at -47404 MHz. A capture without
// core:frequency (baseband, or unknown) is opened as before.
func TestOpenBandBelowZero(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "r.sigmf-data"), make([]byte, 200), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		rate     float64
		captures string
		want     string // in the error; "" for none
	}{
		{"wider than twice the centre", 1e11, `{"core:sample_start":0,"core:frequency":2135e6}`,
			"captures[0].core:frequency 2.135e+09 Hz with core:sample_rate 1e+11: invalid metadata: the band it holds, -4.7865e+10 to 5.2135e+10 Hz, reaches below 0 Hz"},
		{"second capture", 20e6, `{"core:sample_start":0,"core:frequency":915e6},{"core:sample_start":10,"core:frequency":5e6}`,
			"captures[1].core:frequency 5e+06 Hz with core:sample_rate 2e+07"},
		{"band down to 0 Hz", 20e6, `{"core:sample_start":0,"core:frequency":10e6}`, ""},
		{"no frequency", 1e11, `{"core:sample_start":0}`, ""},
		{"no captures", 1e11, ``, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			meta := fmt.Sprintf(`{"global":{"core:datatype":"ci8","core:sample_rate":%g,"core:version":"1.0.0"},"captures":[%s],"annotations":[]}`, tc.rate, tc.captures)
			if err := os.WriteFile(filepath.Join(dir, "r.sigmf-meta"), []byte(meta), 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := Open(filepath.Join(dir, "r.sigmf-meta"))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("got %v, want it opened", err)
			case tc.want == "":
				r.Close()
			case !errors.Is(err, ErrBadMeta) || !strings.Contains(err.Error(), tc.want):
				t.Errorf("got %v, want ErrBadMeta saying %q", err, tc.want)
			}
		})
	}
}

// TestOpenHostileMeta: metadata that is valid JSON but that rfwarden must
// not act on is refused by Open with an error naming the field (or file)
// and the limit.
func TestOpenHostileMeta(t *testing.T) {
	const g = `{"global":{"core:datatype":"ci8","core:sample_rate":1000,"core:version":"1.0.0"},"captures":[%s],"annotations":[]}`
	meta := func(caps string) string { return fmt.Sprintf(g, caps) }
	manyCaps := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"core:sample_start":%d,"core:frequency":1e9}`, i)
		}
		return b.String()
	}
	tests := []struct {
		name    string
		meta    string
		data    int // bytes
		want    error
		wantMsg string
	}{
		{"frequency negative", meta(`{"core:sample_start":0,"core:frequency":-8e8}`), 100, ErrBadMeta, "captures[0].core:frequency -8e+08"},
		{"frequency zero", meta(`{"core:sample_start":0,"core:frequency":0}`), 100, ErrBadMeta, "captures[0].core:frequency 0"},
		{"frequency huge", meta(`{"core:sample_start":0,"core:frequency":9e8},{"core:sample_start":10,"core:frequency":1e300}`), 100, ErrBadMeta, "captures[1].core:frequency 1e+300"},
		{"header bytes negative", meta(`{"core:sample_start":0,"core:header_bytes":-5}`), 100, ErrBadMeta, "captures[0].core:header_bytes -5"},
		{"header bytes beyond data", meta(`{"core:sample_start":0,"core:header_bytes":4611686018427387904}`), 100, ErrMismatch, "captures[0].core:header_bytes 4611686018427387904"},
		{"header bytes sum beyond data", meta(`{"core:sample_start":0,"core:header_bytes":60},{"core:sample_start":10,"core:header_bytes":60}`), 100, ErrMismatch, "captures[1].core:header_bytes 60"},
		{"header bytes in a sample", meta(`{"core:sample_start":0,"core:header_bytes":3}`), 100, ErrTruncated, "not a multiple"},
		{"too many captures", meta(manyCaps(MaxCaptures + 1)), 2 * (MaxCaptures + 1), ErrTooLarge, fmt.Sprintf("%d captures", MaxCaptures+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "x")
			writePair(t, base, tt.meta, make([]byte, tt.data))
			r, err := Open(base + MetaExt)
			if err == nil {
				r.Close()
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.wantMsg) || !strings.Contains(err.Error(), base) {
				t.Fatalf("Open err = %v, want %v containing %q and the path", err, tt.want, tt.wantMsg)
			}
		})
	}
}

// TestMetaSizeLimit: a metadata file larger than MaxMetaBytes is refused
// before it is read, by Open and ReadMeta, naming the file and the limit
// (a 250 MB one took 1.6 GB to parse).
func TestMetaSizeLimit(t *testing.T) {
	base := filepath.Join(t.TempDir(), "big")
	writePair(t, base, "", []byte{1, 2})
	if err := os.Truncate(base+MetaExt, MaxMetaBytes+1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	for name, open := range map[string]func() error{
		"Open":     func() error { r, err := Open(base + MetaExt); closeIf(r); return err },
		"ReadMeta": func() error { _, err := ReadMeta(base + MetaExt); return err },
	} {
		t.Run(name, func(t *testing.T) {
			err := open()
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), base+MetaExt) || !strings.Contains(err.Error(), fmt.Sprint(MaxMetaBytes)) {
				t.Fatalf("err = %v, want ErrTooLarge naming %s and the %d byte limit", err, base+MetaExt, MaxMetaBytes)
			}
		})
	}
}

func closeIf(r *Recording) {
	if r != nil {
		r.Close()
	}
}

// TestHeaderBytes: core:header_bytes before a capture's samples are
// skipped, not read as samples.
func TestHeaderBytes(t *testing.T) {
	const g = `{"global":{"core:datatype":"ci8","core:sample_rate":1000,"core:version":"1.0.0"},"captures":[%s],"annotations":[]}`
	tests := []struct {
		name string
		caps string
		data []byte
		want []complex64
	}{
		{"first capture", `{"core:sample_start":0,"core:header_bytes":3}`,
			[]byte{9, 9, 9, 1, 2, 3, 4}, []complex64{ci8(1, 2), ci8(3, 4)}},
		{"second capture", `{"core:sample_start":0,"core:frequency":1e9},{"core:sample_start":1,"core:frequency":2e9,"core:header_bytes":2}`,
			[]byte{1, 2, 9, 9, 3, 4, 5, 6}, []complex64{ci8(1, 2), ci8(3, 4), ci8(5, 6)}},
		{"both", `{"core:sample_start":0,"core:header_bytes":1},{"core:sample_start":2,"core:header_bytes":1}`,
			[]byte{9, 1, 2, 3, 4, 9, 5, 6}, []complex64{ci8(1, 2), ci8(3, 4), ci8(5, 6)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "h")
			writePair(t, base, fmt.Sprintf(g, tt.caps), tt.data)
			r, err := Open(base + MetaExt)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if got := r.NumSamples(); got != int64(len(tt.want)) {
				t.Fatalf("NumSamples = %d, want %d", got, len(tt.want))
			}
			for _, chunk := range []int{len(tt.want) + 5, 1} {
				if err := r.SeekSample(0); err != nil {
					t.Fatal(err)
				}
				var got []complex64
				buf := make([]complex64, chunk)
				for {
					k, err := r.Read(buf)
					got = append(got, buf[:k]...)
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("chunk %d: read %v, want %v", chunk, got, tt.want)
				}
			}
			m := r.Meta()
			out, err := MarshalMeta(m)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(out), `"core:header_bytes"`) {
				t.Errorf("MarshalMeta lost core:header_bytes:\n%s", out)
			}
		})
	}
}

// ci8 is the sample the ci8 bytes re, im decode to (full scale 128).
func ci8(re, im float32) complex64 { return complex(re/128, im/128) }

// TestSegmentEndJoinsContinuingCaptures: captures that continue the one
// before (same frequency, no gap in time) are one segment for readers, so
// a recording cut into many captures of one tuning is read in big blocks.
func TestSegmentEndJoinsContinuingCaptures(t *testing.T) {
	const g = `{"global":{"core:datatype":"ci8","core:sample_rate":1000,"core:version":"1.0.0"},"captures":[%s],"annotations":[]}`
	tests := []struct {
		name string
		caps string
		want []int64 // SegmentEnd of samples 0, 10, 20
	}{
		{"same frequency", `{"core:sample_start":0,"core:frequency":1e9},{"core:sample_start":10,"core:frequency":1e9},{"core:sample_start":20,"core:frequency":1e9}`, []int64{30, 30, 30}},
		{"no frequency", `{"core:sample_start":0},{"core:sample_start":10}`, []int64{30, 30, 30}},
		{"retuned", `{"core:sample_start":0,"core:frequency":1e9},{"core:sample_start":10,"core:frequency":1e9},{"core:sample_start":20,"core:frequency":2e9}`, []int64{20, 20, 30}},
		{"contiguous in time", `{"core:sample_start":0,"core:frequency":1e9,"core:datetime":"2026-01-01T00:00:00Z"},{"core:sample_start":10,"core:frequency":1e9,"core:datetime":"2026-01-01T00:00:00.01Z"}`, []int64{30, 30, 30}},
		{"gap in time", `{"core:sample_start":0,"core:frequency":1e9,"core:datetime":"2026-01-01T00:00:00Z"},{"core:sample_start":10,"core:frequency":1e9,"core:datetime":"2026-01-01T00:00:01Z"}`, []int64{10, 30, 30}},
		{"time then none", `{"core:sample_start":0,"core:frequency":1e9,"core:datetime":"2026-01-01T00:00:00Z"},{"core:sample_start":10,"core:frequency":1e9}`, []int64{10, 30, 30}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "s")
			writePair(t, base, fmt.Sprintf(g, tt.caps), make([]byte, 60))
			r, err := Open(base + MetaExt)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			for i, s := range []int64{0, 10, 20} {
				if got := r.SegmentEnd(s); got != tt.want[i] {
					t.Errorf("SegmentEnd(%d) = %d, want %d", s, got, tt.want[i])
				}
			}
		})
	}
}
