package sigmf

import (
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrailingBytes: core:trailing_bytes (SigMF 1.2, a non-conforming
// dataset) is read as header_bytes is: the bytes after the samples are
// not samples, and the hash is still of the whole file. Until 2026-12-07
// it was refused as "unsupported datatype". A count that is no
// non-negative integer, or more than the data, is refused naming it.
func TestTrailingBytes(t *testing.T) {
	const g = `{"global":{"core:datatype":"ci8","core:sample_rate":1000,"core:version":"1.2.0"%s},"captures":[{"core:sample_start":0,"core:header_bytes":2}],"annotations":[]}`
	meta := func(extra string) string { return strings.Replace(g, "%s", extra, 1) }
	data := []byte("HH\x01\x02\x03\x04TTT") // 2 header bytes, 2 samples, 3 trailing bytes

	sum := sha512.Sum512(data)
	base := filepath.Join(t.TempDir(), "x")
	writePair(t, base, meta(`,"core:trailing_bytes":3,"core:sha512":"`+hex.EncodeToString(sum[:])+`"`), data)
	r, err := Open(base + MetaExt)
	if err != nil {
		t.Fatalf("Open with core:trailing_bytes: %v", err)
	}
	defer r.Close()
	if r.NumSamples() != 2 {
		t.Fatalf("%d samples, want 2", r.NumSamples())
	}
	dst := make([]complex64, 4)
	n, err := r.Read(dst)
	if n != 2 || err != nil || dst[0] != complex(1.0/128, 2.0/128) || dst[1] != complex(3.0/128, 4.0/128) {
		t.Fatalf("Read = %d %v %v, want the 2 samples between header and trailer", n, err, dst[:n])
	}
	if _, err := r.Read(dst); !errors.Is(err, io.EOF) {
		t.Fatalf("Read after the samples = %v, want io.EOF", err)
	}
	if err := r.Verify(); err != nil {
		t.Fatalf("Verify of the whole file's core:sha512: %v", err)
	}

	for _, tc := range []struct {
		name, extra string
		want        error
		msg         string
	}{
		{"not whole samples", `,"core:trailing_bytes":2`, ErrTruncated, "5 bytes (after 2 core:header_bytes and 2 core:trailing_bytes)"},
		{"beyond the data", `,"core:trailing_bytes":12`, ErrMismatch, "core:trailing_bytes 12"},
		{"negative", `,"core:trailing_bytes":-1`, ErrBadMeta, "core:trailing_bytes -1"},
		{"a string", `,"core:trailing_bytes":"3"`, ErrBadMeta, "core:trailing_bytes 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "x")
			writePair(t, base, meta(tc.extra), data)
			r, err := Open(base + MetaExt)
			if err == nil {
				r.Close()
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Open = %v, want %v containing %q", err, tc.want, tc.msg)
			}
		})
	}
}
