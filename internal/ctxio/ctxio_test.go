package ctxio

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/internal/ctxtest"
)

// countingReader is an endless source of zeros that counts what is read.
type countingReader struct{ n int64 }

func (c *countingReader) Read(p []byte) (int, error) {
	clear(p)
	c.n += int64(len(p))
	return len(p), nil
}

// TestReaderStops: a copy through Reader whose context ends at its k-th
// look reads at most k chunks (io.Copy's buffer, or ChunkBytes for a
// larger one) and returns an error wrapping context.Canceled saying how
// far it got; an endless source would otherwise never end.
func TestReaderStops(t *testing.T) {
	for _, tc := range []struct {
		name    string
		looks   int // looks before the context ends
		bufSize int // 0: io.Copy's own buffer
	}{
		{"ended before the copy", 0, 0},
		{"ended after 3 reads", 3, 0},
		{"ended after 2 reads of a 4 MiB buffer", 2, 4 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &countingReader{}
			ctx := &ctxtest.ErrAfter{Context: context.Background(), N: tc.looks}
			var err error
			if tc.bufSize > 0 {
				_, err = io.CopyBuffer(io.Discard, struct{ io.Reader }{Reader(ctx, src)}, make([]byte, tc.bufSize))
			} else {
				_, err = io.Copy(io.Discard, Reader(ctx, src))
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("copy: %v, want context.Canceled", err)
			}
			if max := int64(tc.looks) * ChunkBytes; src.n > max {
				t.Errorf("read %d bytes after %d looks, want at most %d", src.n, tc.looks, max)
			}
			if want := "stopped after " + itoa(src.n) + " bytes"; !strings.Contains(err.Error(), want) {
				t.Errorf("error %q, want %q", err, want)
			}
		})
	}
}

// TestReaderWhole: with a context that does not end, Reader reads its
// source whole and unchanged.
func TestReaderWhole(t *testing.T) {
	want := bytes.Repeat([]byte("rfwarden"), 3*ChunkBytes/8+5)
	var got bytes.Buffer
	if _, err := io.Copy(&got, Reader(context.Background(), bytes.NewReader(want))); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("read %d bytes, want the %d of the source", got.Len(), len(want))
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
