package hackrfsrc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// fakeDevice records every setting written and serves a fakeStream.
// failStart and failStop make StartRX and StopRX fail (a board that is
// gone); a call after Close is logged as such, so a test sees a board used
// after it was closed.
type fakeDevice struct {
	log       []string
	stream    *fakeStream
	failFreq  error
	failStart error
	failStop  error
	inFlight  int64
	closed    int
}

func (d *fakeDevice) rec(format string, a ...any) {
	line := fmt.Sprintf(format, a...)
	if d.closed > 0 {
		line = "after close: " + line
	}
	d.log = append(d.log, line)
}

func (d *fakeDevice) SetFreq(hz uint64) error {
	d.rec("freq %d", hz)
	return d.failFreq
}
func (d *fakeDevice) SetSampleRate(hz float64) error { d.rec("rate %.0f", hz); return nil }
func (d *fakeDevice) SetBasebandFilter(bw uint32) (uint32, error) {
	d.rec("filter %d", bw)
	return bw, nil
}
func (d *fakeDevice) SetLNAGain(db int) error { d.rec("lna %d", db); return nil }
func (d *fakeDevice) SetVGAGain(db int) error { d.rec("vga %d", db); return nil }
func (d *fakeDevice) SetAmp(on bool) error    { d.rec("amp %v", on); return nil }
func (d *fakeDevice) StartRX(q int) (RXStream, error) {
	d.rec("start %d", q)
	if d.failStart != nil {
		return nil, d.failStart
	}
	return d.stream, nil
}
func (d *fakeDevice) StopRX() error        { d.rec("stop"); return d.failStop }
func (d *fakeDevice) InFlightBytes() int64 { return d.inFlight }
func (d *fakeDevice) Close() error         { d.closed++; return nil }

// takeLog returns the settings written since the last call.
func (d *fakeDevice) takeLog() string {
	s := strings.Join(d.log, ", ")
	d.log = nil
	return s
}

// fakeStream delivers byte k of the capture as byte(k), so a sample shows
// where in the capture it came from. queued bytes are waiting in the queue
// (Discard skips them); lost counts dropped bytes.
type fakeStream struct {
	pos    int64
	queued int64
	lost   int64
	// ended: the board stopped streaming. Read says io.EOF once and then
	// blocks until its context ends, as nothing more comes.
	ended   bool
	hung    bool   // the USB stream stopped silently: Read blocks until ctx ends
	readErr error  // Read fails with it (a USB error)
	onRead  func() // called as Read starts (a test's hook)
}

func (s *fakeStream) Read(ctx context.Context, dst []byte) (int, error) {
	if s.onRead != nil {
		s.onRead()
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if s.ended {
		s.ended, s.hung = false, true
		return 0, io.EOF
	}
	if s.readErr != nil {
		return 0, s.readErr
	}
	if s.hung {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	n := min(len(dst), 1000) // reads come in pieces
	for i := range n {
		dst[i] = byte(s.pos + int64(i))
	}
	s.pos += int64(n)
	return n, nil
}
func (s *fakeStream) DroppedBytes() int64 { return s.lost }
func (s *fakeStream) Discard() int64 {
	n := s.queued
	s.pos += n
	s.queued = 0
	return n
}

// capturedAt is the first sample of a block read from byte offset pos.
func capturedAt(pos int64) complex64 {
	return complex(float32(int8(byte(pos)))/128, float32(int8(byte(pos+1)))/128)
}

func TestDeviceSourceSettingsClockAndDrops(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	now := t0
	dev := &fakeDevice{stream: &fakeStream{}, inFlight: 3000}
	gain := func(hz float64) float64 {
		if hz < 1e9 {
			return 50
		}
		return 30
	}
	s := NewDevice(dev, Options{CenterHz: 900e6, SampleRateHz: 2e6, BlockSamples: 1500, GainDB: gain,
		QueueBuffers: 4, Now: func() time.Time { return now }})
	ctx := context.Background()
	type step struct {
		name      string
		before    func(t *testing.T)
		wantLog   string
		wantFirst int64 // Block.FirstSample
		wantByte  int64 // capture byte offset of the block's first sample
		wantGain  float64
		retuned   bool
		dropped   int64
		wantTime  time.Time
	}
	steps := []step{
		{name: "start writes everything", wantLog: "rate 2000000, filter 1500000, freq 900000000, lna 40, vga 10, amp false, start 4",
			wantFirst: 0, wantByte: 0, wantGain: 50, retuned: true, wantTime: t0},
		{name: "steady: no writes", wantFirst: 1500, wantByte: 3000, wantGain: 50, wantTime: t0.Add(750 * time.Microsecond)},
		{name: "dropped buffers are a gap", before: func(*testing.T) { dev.stream.lost = 4000 },
			wantFirst: 5000, wantByte: 6000, wantGain: 50, dropped: 2000, wantTime: t0.Add(2500 * time.Microsecond)},
		{name: "retune: frequency and gain table, queue and in-flight bytes thrown away",
			before: func(t *testing.T) {
				dev.stream.queued = 800
				if err := s.Tune(1800e6, 2e6); err != nil {
					t.Fatal(err)
				}
			},
			wantLog:   "freq 1800000000, lna 24, vga 6",
			wantFirst: 6500 + 400 + 1500, wantByte: 9000 + 800 + 3000, wantGain: 30, retuned: true,
			wantTime: t0.Add(4200 * time.Microsecond)},
		{name: "AGC gain change: only the gains", before: func(t *testing.T) {
			if err := s.SetGainDB(20); err != nil {
				t.Fatal(err)
			}
		}, wantLog: "lna 16, vga 4", wantFirst: 9900 + 1500, wantByte: 15800 + 3000, wantGain: 20,
			wantTime: t0.Add(5700 * time.Microsecond)},
		{name: "same split: nothing written", before: func(t *testing.T) {
			if err := s.SetGainDB(21); err != nil {
				t.Fatal(err)
			}
		}, wantFirst: 12900, wantByte: 21800, wantGain: 20, wantTime: t0.Add(6450 * time.Microsecond)},
		{name: "new rate restarts the clock", before: func(t *testing.T) {
			now = t0.Add(time.Second)
			if err := s.Tune(1800e6, 4e6); err != nil {
				t.Fatal(err)
			}
		}, wantLog: "rate 4000000, filter 3000000, lna 24, vga 6", wantFirst: 14400 + 1500, wantByte: 24800 + 3000,
			wantGain: 30, retuned: true, wantTime: t0.Add(time.Second + 375*time.Microsecond)},
	}
	for _, st := range steps {
		if st.before != nil {
			st.before(t)
		}
		b, err := s.Next(ctx)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := dev.takeLog(); got != st.wantLog {
			t.Errorf("%s: wrote %q, want %q", st.name, got, st.wantLog)
		}
		if b.FirstSample != st.wantFirst || b.Samples[0] != capturedAt(st.wantByte) || b.GainDB != st.wantGain ||
			b.Retuned != st.retuned || b.Dropped != st.dropped || !b.Time.Equal(st.wantTime) || len(b.Samples) != 1500 {
			t.Errorf("%s: block first %d sample %v gain %v retuned %v dropped %d time %v; want %d %v %v %v %d %v",
				st.name, b.FirstSample, b.Samples[0], b.GainDB, b.Retuned, b.Dropped, b.Time.Sub(t0),
				st.wantFirst, capturedAt(st.wantByte), st.wantGain, st.retuned, st.dropped, st.wantTime.Sub(t0))
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := dev.takeLog(); got != "stop" || dev.closed != 1 {
		t.Errorf("Close wrote %q and closed %d times", got, dev.closed)
	}
	if _, err := s.Next(ctx); err == nil {
		t.Error("Next after Close: want an error")
	}
	if err := s.Close(); err != nil || dev.closed != 1 {
		t.Errorf("second Close: %v, closed %d times", err, dev.closed)
	}
}

func TestDeviceSourceErrors(t *testing.T) {
	dev := &fakeDevice{stream: &fakeStream{}}
	s := NewDevice(dev, Options{CenterHz: 900e6, SampleRateHz: 2e6, BlockSamples: 100})
	ctx := context.Background()
	if _, err := s.Next(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Tune(100, 2e6); err == nil {
		t.Error("tune to 100 Hz accepted")
	}
	if err := s.Tune(950e6, 30e6); err == nil {
		t.Error("30 Msps accepted")
	}
	dev.failFreq = errors.New("HACKRF_ERROR_LIBUSB (-1000)")
	if err := s.Tune(950e6, 2e6); err != nil {
		t.Fatal(err)
	}
	_, err := s.Next(ctx)
	if err == nil || !strings.Contains(err.Error(), "retune to 950000000 Hz") || !errors.Is(err, dev.failFreq) {
		t.Fatalf("failed retune: %v", err)
	}
	// After a failed write the board's state is unknown: everything is
	// written again.
	dev.failFreq = nil
	dev.takeLog()
	if _, err := s.Next(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := dev.takeLog(), "rate 2000000, filter 1500000, freq 950000000, lna 40, vga 0, amp false"; got != want {
		t.Errorf("after a failed retune wrote %q, want %q", got, want)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Next(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Next: %v", err)
	}
	// A stream that ends is a receiver fault, not the end of a finite
	// source: the agent took io.EOF for that and stopped the sensor.
	dev.stream.ended = true
	if _, err := s.Next(ctx); !errors.Is(err, ErrStreamEnded) || errors.Is(err, io.EOF) {
		t.Errorf("ended stream: %v, want ErrStreamEnded, not io.EOF", err)
	}
}

func TestOptionsFromConfigGainTable(t *testing.T) {
	cfg := configWithGains()
	opt := OptionsFromConfig(cfg)
	if opt.SampleRateHz != cfg.Source.SampleRateHz {
		t.Errorf("rate %v, want %v", opt.SampleRateHz, cfg.Source.SampleRateHz)
	}
	for _, tc := range []struct{ hz, want float64 }{{900e6, 24}, {1850e6, 16}, {2437e6, DefaultGainDB}} {
		if got := opt.GainDB(tc.hz); got != tc.want {
			t.Errorf("gain at %.0f Hz = %v, want %v", tc.hz, got, tc.want)
		}
	}
}
