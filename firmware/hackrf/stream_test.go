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
