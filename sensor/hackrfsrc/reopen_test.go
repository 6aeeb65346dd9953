package hackrfsrc

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// nextWithin calls s.Next with a deadline, as the agent does (its
// tamper.stall): a source that reads a dead stream for ever fails the test
// instead of hanging it.
func nextWithin(s *DeviceSource, d time.Duration) (blk blockSummary, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	b, err := s.Next(ctx)
	if err != nil {
		return blockSummary{}, err
	}
	return blockSummary{first: b.FirstSample, sample0: b.Samples[0], retuned: b.Retuned, time: b.Time,
		centerHz: b.CenterHz, n: len(b.Samples)}, nil
}

type blockSummary struct {
	first    int64
	sample0  complex64
	retuned  bool
	time     time.Time
	centerHz float64
	n        int
}

// The settings a DeviceSource at 900 MHz, 2 Msps and the default gain (40 dB:
// LNA 40, VGA 0) writes when it starts a stream.
const setUp900 = "rate 2000000, filter 1500000, freq 900000000, lna 40, vga 0, amp false, start 16"

// TestDeviceSourceRestartsFailedStream: a stream that fails (it ended, it
// hung until the agent's own per-Next timeout, a USB error) is stopped, and
// the next Next starts it again with every setting written: samples flow
// again, marked as not contiguous, with the clock restarted. It read the
// dead stream for ever.
func TestDeviceSourceRestartsFailedStream(t *testing.T) {
	errIO := errors.New("LIBUSB_ERROR_IO (-1)")
	errStop := errors.New("hackrf_stop_rx: HACKRF_ERROR_LIBUSB (-1000)")
	for _, tc := range []struct {
		name     string
		brk      func(d *fakeDevice)
		deadline time.Duration // of the failing Next
		wantErr  error
		stopErr  error // StopRX fails too: its error is in the returned one
	}{
		{name: "EOF, then blocks", brk: func(d *fakeDevice) { d.stream.ended = true },
			deadline: time.Second, wantErr: ErrStreamEnded},
		{name: "hangs until the per-Next timeout", brk: func(d *fakeDevice) { d.stream.hung = true },
			deadline: 20 * time.Millisecond, wantErr: context.DeadlineExceeded},
		{name: "USB error", brk: func(d *fakeDevice) { d.stream.readErr = errIO },
			deadline: time.Second, wantErr: errIO},
		{name: "USB error, StopRX fails too", brk: func(d *fakeDevice) { d.stream.readErr = errIO; d.failStop = errStop },
			deadline: time.Second, wantErr: errIO, stopErr: errStop},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t0 := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
			now := t0
			dev := &fakeDevice{stream: &fakeStream{}}
			s := NewDevice(dev, Options{CenterHz: 900e6, SampleRateHz: 2e6, BlockSamples: 1500,
				Now: func() time.Time { return now }})
			defer s.Close()
			if _, err := nextWithin(s, time.Second); err != nil {
				t.Fatal(err)
			}
			if got := dev.takeLog(); got != setUp900 {
				t.Fatalf("set-up wrote %q", got)
			}
			tc.brk(dev)
			now = t0.Add(time.Second)
			_, err := nextWithin(s, tc.deadline)
			if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), "hackrf: read 900000000 Hz") {
				t.Fatalf("failed read: %v, want hackrf: read 900000000 Hz wrapping %v", err, tc.wantErr)
			}
			if tc.stopErr != nil && !errors.Is(err, tc.stopErr) {
				t.Errorf("failed read: %v, want StopRX's error %v in it too", err, tc.stopErr)
			}
			if got := dev.takeLog(); got != "stop" {
				t.Errorf("after the failed read wrote %q, want the stream stopped", got)
			}
			// The board gives a new stream when started again.
			dev.stream, dev.failStop = &fakeStream{}, nil
			now = t0.Add(2 * time.Second)
			b, err := nextWithin(s, time.Second)
			if err != nil {
				t.Fatalf("Next after the failed read: %v", err)
			}
			if got := dev.takeLog(); got != setUp900 {
				t.Errorf("restart wrote %q, want %q", got, setUp900)
			}
			// The block's sample index goes on; its time is the restart's;
			// it is not contiguous with the block before the failure.
			if !b.retuned || b.first != 1500 || !b.time.Equal(now) || b.sample0 != capturedAt(0) || b.n != 1500 {
				t.Errorf("block after restart: retuned %v first %d time %v sample %v; want true 1500 %v %v",
					b.retuned, b.first, b.time.Sub(t0), b.sample0, now.Sub(t0), capturedAt(0))
			}
			b, err = nextWithin(s, time.Second)
			if err != nil || b.retuned || b.first != 3000 || !b.time.Equal(now.Add(750*time.Microsecond)) ||
				b.sample0 != capturedAt(3000) {
				t.Errorf("second block after restart: %+v, %v", b, err)
			}
			if got := dev.takeLog(); got != "" || dev.closed != 0 {
				t.Errorf("steady stream wrote %q, closed %d", got, dev.closed)
			}
		})
	}
}

// fakeOpener opens boards in turn: each call takes the next result.
type fakeOpener struct {
	results []openResult
	calls   int
}

type openResult struct {
	dev *fakeDevice
	err error
}

func (o *fakeOpener) open() (Device, error) {
	o.calls++
	if len(o.results) == 0 {
		return nil, errors.New("fakeOpener: no more boards")
	}
	r := o.results[0]
	o.results = o.results[1:]
	if r.err != nil {
		return nil, r.err
	}
	return r.dev, nil
}

// TestDeviceSourceReopensLostBoard: when the board is gone (starting the
// stream or writing its settings fails) the DeviceSource closes it, and the
// next Next opens it again by its serial; until that works each Next says
// which board and why. On the new board every setting is written and
// samples flow, marked as not contiguous. Close then closes the new board
// once, and the old one is not closed again.
func TestDeviceSourceReopensLostBoard(t *testing.T) {
	const serial = "0000000000000000a06063c8234e6c5f"
	errGone := errors.New("HACKRF_ERROR_LIBUSB (-1000)")
	errNotFound := errors.New(`open hackrf "` + serial + `": HACKRF_ERROR_NOT_FOUND (-5)`)
	for _, tc := range []struct {
		name        string
		lose        func(t *testing.T, s *DeviceSource, d *fakeDevice)
		failing     int    // Nexts that fail until the board is closed
		openerFails int    // opens that fail before one works
		wantSetUp   string // written to the new board
	}{
		{name: "stream ends, start rx fails", lose: func(_ *testing.T, _ *DeviceSource, d *fakeDevice) {
			d.stream.ended, d.failStart = true, errGone
		}, failing: 2, wantSetUp: setUp900},
		{name: "stream ends, start rx fails, two opens fail", lose: func(_ *testing.T, _ *DeviceSource, d *fakeDevice) {
			d.stream.ended, d.failStart = true, errGone
		}, failing: 2, openerFails: 2, wantSetUp: setUp900},
		{name: "stream ends, settings fail", lose: func(_ *testing.T, _ *DeviceSource, d *fakeDevice) {
			d.stream.ended, d.failFreq = true, errGone
		}, failing: 2, openerFails: 1, wantSetUp: setUp900},
		{name: "retune fails, then the rewrite, then the set-up", lose: func(t *testing.T, s *DeviceSource, d *fakeDevice) {
			d.failFreq = errGone
			if err := s.Tune(1800e6, 4e6); err != nil {
				t.Fatal(err)
			}
		}, failing: 3, wantSetUp: "rate 4000000, filter 3000000, freq 1800000000, lna 40, vga 0, amp false, start 16"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t0 := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
			now := t0
			old := &fakeDevice{stream: &fakeStream{}}
			fresh := &fakeDevice{stream: &fakeStream{}}
			op := &fakeOpener{}
			for range tc.openerFails {
				op.results = append(op.results, openResult{err: errNotFound})
			}
			op.results = append(op.results, openResult{dev: fresh})
			s := NewDeviceReopen(old, serial, op.open, Options{CenterHz: 900e6, SampleRateHz: 2e6, BlockSamples: 1500,
				Now: func() time.Time { return now }})
			if _, err := nextWithin(s, time.Second); err != nil {
				t.Fatal(err)
			}
			tc.lose(t, s, old)
			var err error
			for i := range tc.failing {
				if _, err = nextWithin(s, time.Second); err == nil {
					t.Fatalf("Next %d after the loss: no error", i+1)
				}
			}
			if old.closed != 1 || op.calls != 0 {
				t.Fatalf("after %d failed Nexts the old board is closed %d times, opened %d times (last error %v); want closed once, not yet opened",
					tc.failing, old.closed, op.calls, err)
			}
			if !errors.Is(err, errGone) || !strings.Contains(err.Error(), serial) {
				t.Errorf("error closing the board: %v, want it to name %s and wrap %v", err, serial, errGone)
			}
			old.takeLog()
			for i := range tc.openerFails {
				_, err := nextWithin(s, time.Second)
				if err == nil || !errors.Is(err, errNotFound) || !strings.Contains(err.Error(), serial) ||
					!strings.Contains(err.Error(), errGone.Error()) {
					t.Errorf("failed open %d: %v, want it to name the serial, the open's error and the loss's", i+1, err)
				}
				if op.calls != i+1 {
					t.Errorf("failed open %d: opener called %d times", i+1, op.calls)
				}
			}
			now = t0.Add(3 * time.Second)
			b, err := nextWithin(s, time.Second)
			if err != nil {
				t.Fatalf("Next after the board came back: %v", err)
			}
			if op.calls != tc.openerFails+1 {
				t.Errorf("opener called %d times, want %d", op.calls, tc.openerFails+1)
			}
			if got := fresh.takeLog(); got != tc.wantSetUp {
				t.Errorf("new board: wrote %q, want %q", got, tc.wantSetUp)
			}
			if !b.retuned || b.first != 1500 || !b.time.Equal(now) || b.sample0 != capturedAt(0) {
				t.Errorf("first block of the new board: retuned %v first %d time %v sample %v; want true 1500 %v %v",
					b.retuned, b.first, b.time.Sub(t0), b.sample0, now.Sub(t0), capturedAt(0))
			}
			if _, err := nextWithin(s, time.Second); err != nil {
				t.Fatal(err)
			}
			if got := old.takeLog(); got != "" {
				t.Errorf("the closed board was used: %q", got)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			if got := fresh.takeLog(); got != "stop" || fresh.closed != 1 || old.closed != 1 {
				t.Errorf("Close: new board wrote %q, closed %d times; old board closed %d times; want stop, 1, 1",
					got, fresh.closed, old.closed)
			}
			if _, err := nextWithin(s, time.Second); err == nil || op.calls != tc.openerFails+1 {
				t.Errorf("Next after Close: %v, opener called %d times", err, op.calls)
			}
		})
	}
}

// TestDeviceSourceLostBoardWithoutOpener: a DeviceSource from NewDevice
// cannot open its board again: once it is lost, each Next says so at once,
// with the cause, and touches nothing; Close does not close it again.
func TestDeviceSourceLostBoardWithoutOpener(t *testing.T) {
	errGone := errors.New("HACKRF_ERROR_LIBUSB (-1000)")
	dev := &fakeDevice{stream: &fakeStream{}}
	s := NewDevice(dev, Options{CenterHz: 900e6, SampleRateHz: 2e6, BlockSamples: 1500})
	if _, err := nextWithin(s, time.Second); err != nil {
		t.Fatal(err)
	}
	dev.stream.ended, dev.failStart = true, errGone
	if _, err := nextWithin(s, time.Second); !errors.Is(err, ErrStreamEnded) {
		t.Fatalf("ended stream: %v", err)
	}
	if _, err := nextWithin(s, time.Second); !errors.Is(err, errGone) || dev.closed != 1 {
		t.Fatalf("failed restart: %v, closed %d times; want %v and the board closed", err, dev.closed, errGone)
	}
	dev.takeLog()
	for i := range 3 {
		start := time.Now()
		_, err := nextWithin(s, time.Second)
		if err == nil || !strings.Contains(err.Error(), "reopen") || !strings.Contains(err.Error(), errGone.Error()) {
			t.Errorf("Next %d on a lost board: %v, want it to say the board must be reopened, and why", i+1, err)
		}
		if d := time.Since(start); d > 100*time.Millisecond {
			t.Errorf("Next %d on a lost board took %v: it should fail at once", i+1, d)
		}
	}
	if got := dev.takeLog(); got != "" {
		t.Errorf("the lost board was used: %q", got)
	}
	if err := s.Close(); err != nil || dev.closed != 1 {
		t.Errorf("Close of a lost board: %v, closed %d times; want nil, 1", err, dev.closed)
	}
}

// TestDeviceSourceShutdownKeepsStream: a read cut short because the
// caller's parent context was cancelled (the agent shutting down) is no
// fault of the stream: it is not stopped, nothing is reopened, and Close
// does the rest.
func TestDeviceSourceShutdownKeepsStream(t *testing.T) {
	dev := &fakeDevice{stream: &fakeStream{}}
	op := &fakeOpener{}
	s := NewDeviceReopen(dev, "x", op.open, Options{CenterHz: 900e6, SampleRateHz: 2e6, BlockSamples: 1500})
	if _, err := nextWithin(s, time.Second); err != nil {
		t.Fatal(err)
	}
	dev.takeLog()
	parent, cancel := context.WithCancel(context.Background())
	defer cancel()
	nctx, ncancel := context.WithTimeout(parent, time.Minute) // the agent's per-Next timeout
	defer ncancel()
	dev.stream.hung, dev.stream.onRead = true, cancel
	if _, err := s.Next(nctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next at shutdown: %v, want context.Canceled", err)
	}
	if got := dev.takeLog(); got != "" || dev.closed != 0 || op.calls != 0 {
		t.Errorf("at shutdown wrote %q, closed %d, opened %d; want nothing", got, dev.closed, op.calls)
	}
	// Were it not shutting down after all, the same stream reads on.
	dev.stream.hung, dev.stream.onRead = false, nil
	if _, err := nextWithin(s, time.Second); err != nil {
		t.Fatal(err)
	}
	if got := dev.takeLog(); got != "" {
		t.Errorf("the next Next wrote %q, want the stream kept", got)
	}
	if err := s.Close(); err != nil || dev.closed != 1 || dev.takeLog() != "stop" {
		t.Errorf("Close: %v, closed %d", err, dev.closed)
	}
}
