package hackrf

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

func TestStreamQueuesCopiesAndDrops(t *testing.T) {
	s := newStream(3)
	usb := make([]byte, 8) // libhackrf reuses its transfer buffer
	for i := range 5 {
		for j := range usb {
			usb[j] = byte(10*i + j)
		}
		s.deliver(usb)
	}
	if got := s.Dropped(); got != 2 {
		t.Errorf("Dropped = %d, want 2 (queue of 3, 5 buffers)", got)
	}
	ctx := context.Background()
	var got []byte
	dst := make([]byte, 5) // smaller than a buffer: reads split it
	for len(got) < 24 {
		n, err := s.Read(ctx, dst)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, dst[:n]...)
	}
	want := []byte{0, 1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17, 20, 21, 22, 23, 24, 25, 26, 27}
	if !bytes.Equal(got, want) {
		t.Errorf("read %v, want %v", got, want)
	}
	// Buffers are recycled: after draining, delivering again allocates no
	// new buffer and drops nothing.
	s.deliver(usb)
	if s.made != 3 || s.Dropped() != 2 {
		t.Errorf("made %d buffers, dropped %d; want 3, 2", s.made, s.Dropped())
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := s.Read(ctx, make([]byte, 8)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(ctx, dst); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Read of empty stream err = %v, want DeadlineExceeded", err)
	}
}

func TestStreamDroppedBytesAndDiscard(t *testing.T) {
	s := newStream(2)
	for i := range 4 {
		s.deliver(bytes.Repeat([]byte{byte(i)}, 6))
	}
	if s.Dropped() != 2 || s.DroppedBytes() != 12 {
		t.Errorf("dropped %d buffers, %d bytes; want 2, 12", s.Dropped(), s.DroppedBytes())
	}
	ctx := context.Background()
	dst := make([]byte, 4)
	if n, err := s.Read(ctx, dst); err != nil || n != 4 || dst[0] != 0 {
		t.Fatalf("first read %v %d %v", dst, n, err)
	}
	// The rest of buffer 0 and all of buffer 1 were captured before a retune.
	if n := s.Discard(); n != 2+6 {
		t.Errorf("Discard threw away %d bytes, want 8", n)
	}
	s.deliver(bytes.Repeat([]byte{9}, 6))
	if n, err := s.Read(ctx, dst); err != nil || n != 4 || dst[0] != 9 {
		t.Errorf("read after Discard = %v (%d, %v), want the new buffer of 9s", dst[:n], n, err)
	}
	if s.Dropped() != 2 {
		t.Errorf("Discard counted as drops: %d", s.Dropped())
	}
	if s.made != 2 {
		t.Errorf("made %d buffers after Discard, want the 2 recycled", s.made)
	}
}
