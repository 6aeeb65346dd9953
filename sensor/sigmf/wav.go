package sigmf

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// wavIQ is what the header of a RIFF/WAVE file says of the IQ samples in
// it, as SDR++, SDR# and HDSDR write them: I and Q as the two channels.
type wavIQ struct {
	dataOff   int64   // where the "data" chunk's samples start
	dataBytes int64   // their bytes, at most to the end of the file (whole frames when the size field is 0, no chunks after it, or past the end)
	datatype  string  // the core:datatype of its sample format
	rateHz    float64 // its fmt chunk's sample rate
	desc      string  // its sample format: "2 channels of 16-bit PCM"
}

// maxWAVChunks bounds the chunks readWAV walks before the "data" chunk:
// writers put a few ("fmt ", "LIST", SDR#'s "auxi") before it.
const maxWAVChunks = 64

// wavFormats maps a WAV sample format (format tag, bits) of 2 channels to
// the datatype its samples are: unsigned 8-bit PCM is offset binary, as
// cu8.
var wavFormats = []struct {
	tag, bits int
	datatype  string
}{{1, 16, "ci16_le"}, {3, 32, "cf32_le"}, {1, 8, "cu8"}}

// wavMagic reports whether b, the first bytes of a file, are those of a
// RIFF/WAVE file ("RIFF....WAVE"), or of RF64/BW64, its 64-bit form.
func wavMagic(b []byte) bool {
	if len(b) < 12 || string(b[8:12]) != "WAVE" {
		return false
	}
	id := string(b[:4])
	return id == "RIFF" || id == "RF64" || id == "BW64"
}

// IsWAV reports whether the file at path starts as a RIFF/WAVE file: a raw
// IQ file that OpenRaw and RawMeta read through its header.
func IsWAV(path string) bool {
	f, err := openRegular(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return LooksLikeWAV(f)
}

// LooksLikeWAV reports whether r, read from its start, starts as a
// RIFF/WAVE file (IsWAV): it reads its first 12 bytes, so an upload can be
// told before it is copied.
func LooksLikeWAV(r io.Reader) bool {
	var b [12]byte
	n, _ := io.ReadFull(r, b[:])
	return wavMagic(b[:n])
}

// readWAV reads the header of the file ra of size bytes. ok is false when
// it is not a WAV file (wavMagic). A WAV file whose chunks are malformed,
// or whose samples are not IQ rfwarden reads, gives an error wrapping
// ErrWAV that says what it found and how to describe it instead. A data
// chunk whose size is 0 holds the whole frames to the end of the file (a
// writer killed before it filled the size in), unless chunks follow it to
// the end (chunksToEnd): then it is empty, and refused saying it holds
// no samples, rather than read as none: there is nothing to scan or
// replay in it, and the refusal says why.
func readWAV(ra io.ReaderAt, size int64) (w wavIQ, ok bool, err error) {
	var head [12]byte
	n, _ := ra.ReadAt(head[:], 0)
	if !wavMagic(head[:n]) {
		return wavIQ{}, false, nil
	}
	refuse := func(found string, hdr int64) error {
		at := "core:header_bytes (where its samples start)"
		if hdr > 0 {
			at = fmt.Sprintf("core:header_bytes %d (where its samples start)", hdr)
		}
		return fmt.Errorf("%w: %s; rfwarden reads WAV IQ of 2 channels of 16-bit PCM, 32-bit float or 8-bit PCM: for this file write SigMF metadata beside it naming it in core:dataset, with %s on the first capture",
			ErrWAV, found, at)
	}
	if string(head[:4]) != "RIFF" {
		return wavIQ{}, true, refuse(fmt.Sprintf("a WAV file in its %s form (for over 4 GiB), whose header rfwarden does not read", head[:4]), 0)
	}
	var fmtChunk []byte
	off := int64(12)
	for range maxWAVChunks {
		var ch [8]byte
		if off > size-8 {
			break
		}
		if _, err := ra.ReadAt(ch[:], off); err != nil {
			return wavIQ{}, true, fmt.Errorf("read WAV chunk at byte %d: %w", off, err)
		}
		id, n, body := string(ch[:4]), int64(binary.LittleEndian.Uint32(ch[4:])), off+8
		switch id {
		case "fmt ":
			if n < 16 || n > size-body {
				return wavIQ{}, true, refuse(fmt.Sprintf("a WAV file whose fmt chunk of %d bytes is malformed", n), 0)
			}
			fmtChunk = make([]byte, min(n, 40))
			if _, err := ra.ReadAt(fmtChunk, body); err != nil {
				return wavIQ{}, true, fmt.Errorf("read WAV fmt chunk: %w", err)
			}
		case "data":
			if fmtChunk == nil {
				return wavIQ{}, true, refuse("a WAV file with no fmt chunk before its data", body)
			}
			if n == 0 {
				if after, ok := chunksToEnd(ra, body, size); ok {
					return wavIQ{}, true, fmt.Errorf("%w: a WAV file whose data chunk is empty (its size 0, then a %q chunk and chunks to the end of the file): it holds no samples, a recording stopped before its first", ErrWAV, after)
				}
			}
			if n == 0 || n > size-body {
				// a size of 0 or beyond the file: a writer killed before
				// it went back to fill it in (0, 0xFFFFFFFF), or a
				// recording cut short. Its samples are the whole frames
				// to the end of the file, a frame cut short trailing.
				n = size - body
				if frame := int64(binary.LittleEndian.Uint16(fmtChunk[2:])) * int64(binary.LittleEndian.Uint16(fmtChunk[14:])) / 8; frame > 0 {
					n -= n % frame
				}
			}
			return wavOf(fmtChunk, body, n, refuse)
		}
		off = body + n + n&1 // chunks are padded to an even size
	}
	return wavIQ{}, true, refuse(fmt.Sprintf("a WAV file with no data chunk in its first %d chunks", maxWAVChunks), 0)
}

// chunksToEnd reports whether the bytes of the file ra of size bytes from
// off on are RIFF chunks to its end (at most maxWAVChunks, the last one's
// pad byte may be missing), each of an id of 4 printable ASCII characters
// and a size inside the file, and the id of the first. readWAV asks it of
// the bytes after a data chunk whose size is 0: a writer killed before it
// filled the size in wrote no chunk after its samples, so chunks there
// mean the data chunk is truly empty, and its samples, were they read to
// the end, would be the chunks' bytes (until 2026-12-07 a LIST chunk after
// an empty data chunk was read as 3 ci16_le samples). Samples that start
// like a chunk header do not run as chunks to the end of the file but by
// chance.
func chunksToEnd(ra io.ReaderAt, off, size int64) (first string, ok bool) {
	for range maxWAVChunks {
		var ch [8]byte
		if off > size-8 {
			return "", false
		}
		if _, err := ra.ReadAt(ch[:], off); err != nil {
			return "", false
		}
		for _, c := range ch[:4] {
			if c < 0x20 || c > 0x7e {
				return "", false
			}
		}
		if first == "" {
			first = string(ch[:4])
		}
		n := int64(binary.LittleEndian.Uint32(ch[4:]))
		if n > size-off-8 {
			return "", false
		}
		off += 8 + n + n&1
		if off >= size {
			return first, true
		}
	}
	return "", false
}

// wavOf is the wavIQ of a WAV file whose fmt chunk is f and whose samples
// are bytes bytes at off, or refuse's error when they are not IQ rfwarden
// reads.
func wavOf(f []byte, off, bytes int64, refuse func(found string, hdr int64) error) (wavIQ, bool, error) {
	tag := int(binary.LittleEndian.Uint16(f))
	if tag == 0xfffe && len(f) >= 40 { // WAVE_FORMAT_EXTENSIBLE: the tag opens its sub-format GUID
		tag = int(binary.LittleEndian.Uint16(f[24:]))
	}
	channels := int(binary.LittleEndian.Uint16(f[2:]))
	rate := float64(binary.LittleEndian.Uint32(f[4:]))
	bits := int(binary.LittleEndian.Uint16(f[14:]))
	kind := fmt.Sprintf("format %#x", tag)
	switch tag {
	case 1:
		kind = "PCM"
	case 3:
		kind = "float"
	}
	chans := "channels"
	if channels == 1 {
		chans = "channel"
	}
	desc := fmt.Sprintf("%d %s of %d-bit %s", channels, chans, bits, kind)
	if channels == 2 {
		for _, wf := range wavFormats {
			if wf.tag == tag && wf.bits == bits {
				return wavIQ{dataOff: off, dataBytes: bytes, datatype: wf.datatype, rateHz: rate, desc: desc}, true, nil
			}
		}
	}
	return wavIQ{}, true, refuse("a WAV file of "+desc, off)
}

// RawMeta returns the metadata of the raw IQ file at path, as OpenRaw
// reads it: datatype, sampleRateHz and centerHz (0: unknown), one capture
// at sample 0. A WAV file (IsWAV) is read through its header: its "data"
// chunk's samples, the bytes before them core:header_bytes and those
// after core:trailing_bytes, its datatype and sample rate those its fmt
// chunk says. For a WAV file datatype and sampleRateHz may be "" and 0;
// given, they must agree with the header, else the error wraps
// ErrOverride naming both.
func RawMeta(path, datatype string, sampleRateHz, centerHz float64) (Meta, error) {
	file, err := openRegular(path)
	if err != nil {
		return Meta{}, fmt.Errorf("raw file: %w", err)
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return Meta{}, fmt.Errorf("raw file: %w", err)
	}
	m, err := RawMetaAt(file, st.Size(), datatype, sampleRateHz, centerHz)
	if err != nil {
		return Meta{}, fmt.Errorf("raw file %q: %w", path, err)
	}
	return m, nil
}

// RawMetaAt is RawMeta of the file ra of size bytes, its errors naming no
// file: a WAV header read where its bytes are (an upload, before it is
// copied) refuses a datatype or rate that contradicts it as RawMeta does.
func RawMetaAt(ra io.ReaderAt, size int64, datatype string, rateHz, centerHz float64) (Meta, error) {
	w, isWAV, err := readWAV(ra, size)
	if err != nil {
		return Meta{}, err
	}
	if (!isWAV || rateHz != 0) && (!(rateHz > 0) || math.IsInf(rateHz, 0)) {
		return Meta{}, fmt.Errorf("sample rate %v: %w", rateHz, ErrNoSampleRate)
	}
	m := Meta{
		Global:   Global{Datatype: datatype, SampleRateHz: rateHz, Version: Version},
		Captures: []Capture{{SampleStart: 0, FrequencyHz: centerHz}},
	}
	if !isWAV {
		return m, nil
	}
	switch {
	case datatype != "" && datatype != w.datatype:
		return Meta{}, fmt.Errorf("datatype %s given, but its WAV header says %s (%s): %w", datatype, w.datatype, w.desc, ErrOverride)
	case rateHz != 0 && !near(rateHz, w.rateHz):
		return Meta{}, fmt.Errorf("sample rate %g given, but its WAV header says %g: %w", rateHz, w.rateHz, ErrOverride)
	}
	m.Global.Datatype, m.Global.SampleRateHz = w.datatype, w.rateHz
	m.Captures[0].HeaderBytes = w.dataOff
	if trail := size - w.dataOff - w.dataBytes; trail > 0 {
		m.Global.Extra = map[string]any{"core:trailing_bytes": trail}
	}
	return m, nil
}
