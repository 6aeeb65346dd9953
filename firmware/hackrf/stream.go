package hackrf

import (
	"context"
	"io"
	"sync/atomic"
)

// Stream carries USB buffers from libhackrf's callback thread to a reader.
// The callback copies each buffer into a queue; when the reader falls behind
// and the queue is full the buffer is dropped and counted.
type Stream struct {
	full    chan []byte
	free    chan []byte
	made    int // buffers allocated; only the callback thread touches it
	dropped atomic.Int64
	lostB   atomic.Int64 // bytes in the dropped buffers
	stopped atomic.Bool
	cur     []byte // reader side: rest of the current buffer
	curBuf  []byte
}

func newStream(queue int) *Stream {
	queue = max(queue, 2)
	return &Stream{full: make(chan []byte, queue), free: make(chan []byte, queue)}
}

// Dropped returns the number of USB buffers dropped because the reader was
// behind.
func (s *Stream) Dropped() int64 { return s.dropped.Load() }

// DroppedBytes returns the number of bytes in the dropped buffers (two per
// complex ci8 sample).
func (s *Stream) DroppedBytes() int64 { return s.lostB.Load() }

// Discard throws away every buffer already queued and the rest of the
// current one, so the next Read returns bytes the callback delivers from now
// on, and returns how many bytes it threw away. The reader calls it after a
// retune or gain change; it is not safe to call concurrently with Read.
func (s *Stream) Discard() int64 {
	n := int64(len(s.cur))
	s.cur = nil
	if s.curBuf != nil {
		s.release(s.curBuf)
		s.curBuf = nil
	}
	for {
		select {
		case b, ok := <-s.full:
			if !ok {
				return n
			}
			n += int64(len(b))
			s.release(b)
		default:
			return n
		}
	}
}

// Read copies received bytes (interleaved ci8 IQ, or sweep blocks for
// StartSweep) into dst, blocking until some are available or ctx ends.
func (s *Stream) Read(ctx context.Context, dst []byte) (int, error) {
	if len(s.cur) == 0 {
		if s.curBuf != nil {
			s.release(s.curBuf)
			s.curBuf = nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case b, ok := <-s.full:
			if !ok {
				return 0, io.EOF
			}
			s.cur, s.curBuf = b, b
		}
	}
	n := copy(dst, s.cur)
	s.cur = s.cur[n:]
	return n, nil
}

func (s *Stream) release(b []byte) {
	select {
	case s.free <- b[:cap(b)]:
	default:
	}
}

// deliver runs on libhackrf's thread for each completed USB transfer.
func (s *Stream) deliver(src []byte) {
	var buf []byte
	select {
	case buf = <-s.free:
	default:
		if s.made >= cap(s.full) {
			s.drop(len(src))
			return
		}
		s.made++
		buf = make([]byte, len(src))
	}
	if cap(buf) < len(src) {
		buf = make([]byte, len(src))
	}
	buf = buf[:len(src)]
	copy(buf, src)
	select {
	case s.full <- buf:
	default:
		s.release(buf)
		s.drop(len(src))
	}
}

func (s *Stream) drop(n int) {
	s.dropped.Add(1)
	s.lostB.Add(int64(n))
}
