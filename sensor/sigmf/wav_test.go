package sigmf_test

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmftest"
)

// TestOpenRawWAV: a WAV IQ file (SDR++, SDR#, HDSDR) given as a raw file
// is read from its "data" chunk in the datatype and at the rate its fmt
// chunk says, the chunks before and after it skipped. Until 2026-12-07
// its header was read as samples (every index off by 11 16-bit samples),
// or refused as "truncated data"; without --datatype it was not read.
// A data chunk whose size field is 0 or past the end of the file (a writer
// killed before filling it in) holds the whole frames to the end, the
// rest trailing, samples that start like a chunk header too: until 2026-12-07 a size of 0 gave 0 samples and one past
// the end with the file cut mid-sample was refused as "truncated data".
func TestOpenRawWAV(t *testing.T) {
	i16 := func(vs ...int16) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		}
		return b
	}
	f32 := func(vs ...float32) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
		return b
	}
	pcm := i16(16384, -16384, 8192, 0, -32768, 32767)
	want16 := []complex64{complex(0.5, -0.5), complex(0.25, 0), complex(-1, float32(32767.0/32768))}
	// sized is file with its data chunk's size field (at byte 40 when no
	// chunk comes before it) set to n; WAVSpec.DataSize 0 means the data's
	// length.
	sized := func(file []byte, n uint32) []byte {
		binary.LittleEndian.PutUint32(file[40:], n)
		return file
	}
	cut := append(pcm[:len(pcm):len(pcm)], 0x11, 0x22) // a frame cut short after the samples
	tests := []struct {
		name     string
		file     []byte
		datatype string
		rateHz   float64
		wantType string
		want     []complex64
		header   int64
		trailing int64
	}{
		{"pcm16", sigmftest.WAV(sigmftest.WAVSpec{Tag: 1, Channels: 2, RateHz: 2048000, Bits: 16}, pcm), "", 0, "ci16_le", want16, 44, 0},
		{"pcm16 given", sigmftest.WAV(sigmftest.WAVSpec{Tag: 1, Channels: 2, RateHz: 2048000, Bits: 16}, pcm), "ci16_le", 2048000, "ci16_le", want16, 44, 0},
		{"pcm16 chunks around", sigmftest.WAV(sigmftest.WAVSpec{Tag: 1, Channels: 2, RateHz: 2048000, Bits: 16, Before: []string{"LISTabc", "auxi0123"}, After: []string{"id3 xyz1"}}, pcm), "", 0, "ci16_le", want16, 44 + 12 + 12, 12},
		{"size not filled in", sigmftest.WAV(sigmftest.WAVSpec{Tag: 1, Channels: 2, RateHz: 2048000, Bits: 16, DataSize: 0xffffffff}, pcm), "", 0, "ci16_le", want16, 44, 0},
		{"size 0", sized(sigmftest.WAV(sigmftest.WAVSpec{Tag: 1, Channels: 2, RateHz: 2048000, Bits: 16}, pcm), 0), "", 0, "ci16_le", want16, 44, 0},
		{"size 0, cut mid-sample", sized(sigmftest.WAV(sigmftest.WAVSpec{Tag: 1, Channels: 2, RateHz: 2048000, Bits: 16}, cut), 0), "", 0, "ci16_le", want16, 44, 2},
		{"size not filled in, cut mid-sample", sigmftest.WAV(sigmftest.WAVSpec{Tag: 1, Channels: 2, RateHz: 2048000, Bits: 16, DataSize: 0xffffffff}, cut), "", 0, "ci16_le", want16, 44, 2},
		{"size past the end, cut mid-sample", sigmftest.WAV(sigmftest.WAVSpec{Tag: 1, Channels: 2, RateHz: 2048000, Bits: 16, DataSize: 4096}, cut), "", 0, "ci16_le", want16, 44, 2},
		{"size 0, samples that start like a chunk", sized(sigmftest.WAV(sigmftest.WAVSpec{Tag: 1, Channels: 2, RateHz: 2048000, Bits: 16}, append([]byte("LIST\x40\x00\x00\x00"), pcm[8:]...)), 0), "", 0, "ci16_le",
			[]complex64{complex(float32(0x494c)/32768, float32(0x5453)/32768), complex(float32(0x40)/32768, 0), complex(-1, float32(32767.0/32768))}, 44, 0},
		{"float32 size 0, cut mid-sample", sized(sigmftest.WAV(sigmftest.WAVSpec{Tag: 3, Channels: 2, RateHz: 2048000, Bits: 32}, append(f32(0.5, -0.25), 1, 2, 3, 4, 5, 6)), 0), "", 0, "cf32_le", []complex64{complex(0.5, -0.25)}, 44, 6},
		{"float32", sigmftest.WAV(sigmftest.WAVSpec{Tag: 3, Channels: 2, RateHz: 2048000, Bits: 32}, f32(0.5, -0.25)), "", 0, "cf32_le", []complex64{complex(0.5, -0.25)}, 44, 0},
		{"extensible float32", sigmftest.WAV(sigmftest.WAVSpec{Tag: 0xfffe, Channels: 2, RateHz: 2048000, Bits: 32}, f32(0.5, -0.25)), "", 0, "cf32_le", []complex64{complex(0.5, -0.25)}, 68, 0},
		{"pcm8", sigmftest.WAV(sigmftest.WAVSpec{Tag: 1, Channels: 2, RateHz: 2048000, Bits: 8}, []byte{255, 0, 128, 128}), "", 0, "cu8", []complex64{complex(127.5/128, -127.5/128), complex(0.5/128, 0.5/128)}, 44, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "sdrpp.wav")
			if err := os.WriteFile(p, tt.file, 0o600); err != nil {
				t.Fatal(err)
			}
			r, err := sigmf.OpenRaw(p, tt.datatype, tt.rateHz, 433.92e6)
			if err != nil {
				t.Fatalf("sigmf.OpenRaw: %v", err)
			}
			defer r.Close()
			if r.Datatype() != tt.wantType || r.SampleRateHz() != 2048000 || r.NumSamples() != int64(len(tt.want)) {
				t.Fatalf("%s at %g, %d samples; want %s at 2048000, %d", r.Datatype(), r.SampleRateHz(), r.NumSamples(), tt.wantType, len(tt.want))
			}
			got := make([]complex64, 8)
			n, err := r.Read(got)
			if err != nil || n != len(tt.want) {
				t.Fatalf("Read = %d, %v", n, err)
			}
			for i := range tt.want {
				if got[i] != tt.want[i] {
					t.Fatalf("sample %d = %v, want %v", i, got[i], tt.want[i])
				}
			}
			m := r.Meta()
			if m.Captures[0].HeaderBytes != tt.header || m.Captures[0].FrequencyHz != 433.92e6 {
				t.Errorf("captures[0] header_bytes %d at %g Hz, want %d at 433.92e6", m.Captures[0].HeaderBytes, m.Captures[0].FrequencyHz, tt.header)
			}
			if tb, _ := m.Global.Extra["core:trailing_bytes"].(int64); tb != tt.trailing {
				t.Errorf("core:trailing_bytes %v, want %d", m.Global.Extra["core:trailing_bytes"], tt.trailing)
			}
		})
	}
}

// TestOpenRawWAVRefused: a WAV file whose fmt chunk says samples other
// than IQ rfwarden reads, or whose chunks are malformed, is refused saying
// what it found and to write metadata with core:dataset and
// core:header_bytes; a datatype or rate given that the header contradicts
// is refused naming both. A data chunk of size 0 with chunks after it to
// the end of the file is empty, refused as holding no samples: until
// 2026-12-07 the chunks' bytes were read as its samples.
func TestOpenRawWAVRefused(t *testing.T) {
	pcm := make([]byte, 16)
	rf64 := sigmftest.WAV(sigmftest.WAVSpec{Tag: 1, Channels: 2, RateHz: 48000, Bits: 16}, pcm)
	copy(rf64, "RF64")
	tests := []struct {
		name     string
		file     []byte
		datatype string
		rateHz   float64
		want     error
		msg      string
	}{
		{"mono", sigmftest.WAV(sigmftest.WAVSpec{Tag: 1, Channels: 1, RateHz: 48000, Bits: 16}, pcm), "", 0, sigmf.ErrWAV, "a WAV file of 1 channel of 16-bit PCM; rfwarden reads WAV IQ of 2 channels of 16-bit PCM, 32-bit float or 8-bit PCM: for this file write SigMF metadata beside it naming it in core:dataset, with core:header_bytes 44 (where its samples start) on the first capture"},
		{"24-bit", sigmftest.WAV(sigmftest.WAVSpec{Tag: 1, Channels: 2, RateHz: 48000, Bits: 24}, make([]byte, 12)), "ci16_le", 48000, sigmf.ErrWAV, "2 channels of 24-bit PCM"},
		{"64-bit float", sigmftest.WAV(sigmftest.WAVSpec{Tag: 3, Channels: 2, RateHz: 48000, Bits: 64}, pcm), "", 0, sigmf.ErrWAV, "2 channels of 64-bit float"},
		{"a-law", sigmftest.WAV(sigmftest.WAVSpec{Tag: 6, Channels: 2, RateHz: 48000, Bits: 8}, pcm), "", 0, sigmf.ErrWAV, "2 channels of 8-bit format 0x6"},
		{"no data chunk", sigmftest.WAV(sigmftest.WAVSpec{Tag: 1, Channels: 2, RateHz: 48000, Bits: 16}, nil)[:36], "", 0, sigmf.ErrWAV, "no data chunk"},
		{"no fmt chunk", append([]byte("RIFF\x10\x00\x00\x00WAVEdata\x04\x00\x00\x00"), 1, 2, 3, 4), "", 0, sigmf.ErrWAV, "no fmt chunk"},
		{"short fmt chunk", []byte("RIFF\x10\x00\x00\x00WAVEfmt \x04\x00\x00\x00\x01\x00\x02\x00"), "", 0, sigmf.ErrWAV, "fmt chunk of 4 bytes"},
		{"rf64", rf64, "", 0, sigmf.ErrWAV, "RF64 form"},
		{"data size 0, chunks after it", sigmftest.WAV(sigmftest.WAVSpec{Tag: 1, Channels: 2, RateHz: 48000, Bits: 16, After: []string{"LISTinfo", "id3 xyz"}}, nil), "", 0, sigmf.ErrWAV,
			`a WAV file whose data chunk is empty (its size 0, then a "LIST" chunk and chunks to the end of the file): it holds no samples`},
		{"datatype contradicts", sigmftest.WAV(sigmftest.WAVSpec{Tag: 1, Channels: 2, RateHz: 48000, Bits: 16}, pcm), "ci8", 0, sigmf.ErrOverride, "datatype ci8 given, but its WAV header says ci16_le (2 channels of 16-bit PCM)"},
		{"rate contradicts", sigmftest.WAV(sigmftest.WAVSpec{Tag: 1, Channels: 2, RateHz: 48000, Bits: 16}, pcm), "", 2e6, sigmf.ErrOverride, "sample rate 2e+06 given, but its WAV header says 48000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "x.wav")
			if err := os.WriteFile(p, tt.file, 0o600); err != nil {
				t.Fatal(err)
			}
			r, err := sigmf.OpenRaw(p, tt.datatype, tt.rateHz, 0)
			if err == nil {
				r.Close()
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) || !strings.Contains(err.Error(), p) {
				t.Fatalf("sigmf.OpenRaw = %v, want %v containing %q and the path", err, tt.want, tt.msg)
			}
		})
	}
}

// TestRawMetaWAV: RawMeta describes a WAV file as OpenRaw reads it, so
// metadata written from it beside the file (the dashboard's raw upload)
// reads the same samples; a file that is not WAV keeps what was given.
func TestRawMetaWAV(t *testing.T) {
	dir := t.TempDir()
	data := []byte{1, 0, 2, 0, 3, 0, 4, 0}
	if err := os.WriteFile(filepath.Join(dir, "x"+sigmf.DataExt), sigmftest.WAV(sigmftest.WAVSpec{Tag: 1, Channels: 2, RateHz: 96000, Bits: 16, Before: []string{"LIST12"}, After: []string{"tail"}}, data), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := sigmf.RawMeta(filepath.Join(dir, "x"+sigmf.DataExt), "", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := sigmf.WriteMeta(filepath.Join(dir, "x"+sigmf.MetaExt), m); err != nil {
		t.Fatal(err)
	}
	r, err := sigmf.Open(filepath.Join(dir, "x"+sigmf.MetaExt))
	if err != nil {
		t.Fatalf("Open of the metadata RawMeta gave: %v", err)
	}
	defer r.Close()
	got := make([]complex64, 4)
	if n, err := r.Read(got); n != 2 || err != nil || got[0] != complex(1.0/32768, 2.0/32768) || got[1] != complex(3.0/32768, 4.0/32768) {
		t.Fatalf("Read = %d %v %v, want the data chunk's 2 samples", n, err, got[:n])
	}
	if err := os.WriteFile(filepath.Join(dir, "night.cs8"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	if m, err := sigmf.RawMeta(filepath.Join(dir, "night.cs8"), "ci8", 2e6, 915e6); err != nil || m.Global.Datatype != "ci8" || m.Captures[0].HeaderBytes != 0 || m.Global.Extra != nil {
		t.Fatalf("sigmf.RawMeta of a headerless file = %+v, %v", m, err)
	}
}

// TestOpenWAVSaysMetadata: a WAV file given where SigMF is read (the
// sensor's file source, source.path) is refused saying the metadata that
// describes it: until 2026-12-07 only "not a .sigmf-meta, .sigmf-data or
// .sigmf file".
func TestOpenWAVSaysMetadata(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hdsdr.wav")
	if err := os.WriteFile(p, sigmftest.WAV(sigmftest.WAVSpec{Tag: 1, Channels: 2, RateHz: 192000, Bits: 16, Before: []string{"auxi1234"}, After: []string{"LIST"}}, make([]byte, 64)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := sigmf.Open(p)
	want := "a WAV file, not SigMF: write SigMF metadata beside it naming it in core:dataset, with core:datatype ci16_le, core:sample_rate 192000 and core:trailing_bytes 8, and core:header_bytes 56 on the first capture"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Open of a WAV file = %v, want it to say %q", err, want)
	}
}
