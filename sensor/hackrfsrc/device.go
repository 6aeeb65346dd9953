package hackrfsrc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/rfwarden/rfwarden/sensor"
)

// ErrNotBuilt is returned by OpenDevice in a build without the cgo binding.
var ErrNotBuilt = errors.New("built without the hackrf tag; use hackrf_transfer or rebuild with -tags hackrf")

// Device is the part of a libhackrf board (firmware/hackrf.Device) that
// DeviceSource drives; tests pass a fake.
type Device interface {
	SetFreq(centerHz uint64) error
	SetSampleRate(rateHz float64) error
	SetBasebandFilter(bandwidthHz uint32) (uint32, error)
	SetLNAGain(gainDB int) error
	SetVGAGain(gainDB int) error
	SetAmp(on bool) error
	StartRX(queueBuffers int) (RXStream, error)
	StopRX() error
	// InFlightBytes is how many bytes can arrive after a setting changed
	// that were captured before it.
	InFlightBytes() int64
	Close() error
}

// RXStream is a running receive stream (firmware/hackrf.Stream).
type RXStream interface {
	Read(ctx context.Context, dst []byte) (int, error)
	DroppedBytes() int64 // bytes lost because the reader was behind
	Discard() int64      // throws away what is queued; returns the bytes
}

// setting is what a DeviceSource last wrote to the board.
type setting struct {
	centerHz, rateHz float64
	lnaDB, vgaDB     int
}

// DeviceSource is a HackRF One driven through libhackrf: it implements
// sensor.Source, sensor.Tuner and sensor.GainSetter. The stream runs
// continuously; Tune and SetGainDB take effect at the next Next, which writes
// the new settings and throws away the samples captured before them. Samples
// lost to USB overruns are reported in Block.Dropped and advance the sample
// index, so times stay right.
//
// A read that fails (the stream ended, gave nothing until Next's deadline,
// or a USB error) stops the stream, and the next Next starts it again with
// every setting written. When that set-up fails too, the board is taken for
// gone (unplugged, or its USB reset) and closed: a DeviceSource made by
// NewDeviceReopen opens it again at the next Next, one try per call (the
// caller paces them), and one made by NewDevice reports at each call that
// it must be reopened. The first block after a restart or a reopen is
// marked Retuned, and its time is taken afresh. Not safe for concurrent use.
type DeviceSource struct {
	dev Device // nil once the board is lost and closed (lostErr says why)
	// open opens the board again after it was lost; nil when it cannot.
	open    func() (Device, error)
	board   string // names the board in errors
	lostErr error
	rx      receiver
	stream  RXStream
	applied setting
	settle  int64 // bytes still to throw away after a change
	unsure  bool  // a write failed: the board's settings are unknown
	junk    []byte
	lost    int64 // DroppedBytes already reported
	closed  bool
}

var (
	_ sensor.Source     = (*DeviceSource)(nil)
	_ sensor.Tuner      = (*DeviceSource)(nil)
	_ sensor.GainSetter = (*DeviceSource)(nil)
)

// NewDevice returns a DeviceSource over an open board, which it closes on
// Close; nothing is written to the board until the first Next. It cannot
// open the board again once it is lost: NewDeviceReopen can.
func NewDevice(dev Device, opt Options) *DeviceSource {
	return &DeviceSource{dev: dev, board: "hackrf", rx: newReceiver(opt)}
}

// NewDeviceReopen is NewDevice over a board that open opens again (the
// board with the given serial number; "" for the first board) when the
// DeviceSource has lost and closed it: after an unplug, the service resumes
// once the board is back, without a restart.
func NewDeviceReopen(dev Device, serial string, open func() (Device, error), opt Options) *DeviceSource {
	s := NewDevice(dev, opt)
	s.open = open
	s.board = "hackrf (first board)"
	if serial != "" {
		s.board = fmt.Sprintf("hackrf %q", serial)
	}
	return s
}

// Tune moves to a new centre frequency and sample rate from the next block,
// at the gain table's gain for it.
func (s *DeviceSource) Tune(centerHz, sampleRateHz float64) error {
	return s.rx.tune(centerHz, sampleRateHz)
}

// SetGainDB changes the total receive gain of the current tuning from the
// next block.
func (s *DeviceSource) SetGainDB(totalDB float64) error {
	_, err := s.rx.setGain(totalDB)
	return err
}

func (s *DeviceSource) want() setting {
	return setting{centerHz: s.rx.centerHz, rateHz: s.rx.rateHz, lnaDB: s.rx.lnaDB, vgaDB: s.rx.vgaDB}
}

// apply writes the settings that differ from cur (all when all is set).
func (s *DeviceSource) apply(cur, want setting, all bool) error {
	if all || want.rateHz != cur.rateHz {
		if err := s.dev.SetSampleRate(want.rateHz); err != nil {
			return err
		}
		bw := uint32(math.Min(s.rx.filterHz(), math.MaxUint32))
		if _, err := s.dev.SetBasebandFilter(bw); err != nil {
			return err
		}
	}
	if all || want.centerHz != cur.centerHz {
		if err := s.dev.SetFreq(uint64(math.Round(want.centerHz))); err != nil {
			return err
		}
	}
	if all || want.lnaDB != cur.lnaDB {
		if err := s.dev.SetLNAGain(want.lnaDB); err != nil {
			return err
		}
	}
	if all || want.vgaDB != cur.vgaDB {
		if err := s.dev.SetVGAGain(want.vgaDB); err != nil {
			return err
		}
	}
	if all {
		return s.dev.SetAmp(false) // receive near the wall: the RF amplifier stays off
	}
	return nil
}

// start writes every setting and starts the stream.
func (s *DeviceSource) start(want setting) error {
	if err := s.apply(setting{}, want, true); err != nil {
		return fmt.Errorf("hackrf: set up %.0f Hz: %w", want.centerHz, err)
	}
	st, err := s.dev.StartRX(s.rx.opt.QueueBuffers)
	if err != nil {
		return fmt.Errorf("hackrf: start rx: %w", err)
	}
	s.stream, s.applied, s.lost = st, want, st.DroppedBytes()
	s.settle, s.unsure = 0, false
	s.rx.restartClock(s.rx.opt.Now())
	return nil
}

// sync brings the board to the wanted settings, starting the stream first;
// a board that cannot be set up or started is closed (lose).
func (s *DeviceSource) sync() error {
	want := s.want()
	if s.stream == nil {
		if err := s.start(want); err != nil {
			return s.lose(err)
		}
		return nil
	}
	if want == s.applied && !s.unsure {
		return nil
	}
	// What is queued was captured with the old settings: count it at the old
	// rate, then restart the clock if the rate changes.
	s.rx.skip(s.stream.Discard() / 2)
	if err := s.apply(s.applied, want, s.unsure); err != nil {
		err = fmt.Errorf("hackrf: retune to %.0f Hz: %w", want.centerHz, err)
		if s.unsure {
			// Writing everything failed too: the board may be gone. Stop
			// the stream; the next Next sets the board up from scratch
			// and closes it if that fails as well.
			return withStopErr(err, s.stopStream())
		}
		s.unsure = true // a write may fail once (a USB hiccup): write everything next time
		return err
	}
	if want.rateHz != s.applied.rateHz || s.unsure {
		s.rx.restartClock(s.rx.opt.Now())
	}
	s.unsure = false
	s.applied = want
	s.settle = s.dev.InFlightBytes()
	return nil
}

// read fills dst from the stream, first throwing away the settle bytes.
func (s *DeviceSource) read(ctx context.Context, dst []byte) error {
	if s.settle > 0 && s.junk == nil {
		s.junk = make([]byte, 16384)
	}
	for s.settle > 0 {
		n, err := s.stream.Read(ctx, s.junk[:min(int64(len(s.junk)), s.settle)])
		if err != nil {
			return err
		}
		s.settle -= int64(n)
		s.rx.skip(int64(n) / 2)
	}
	for k := 0; k < len(dst); {
		n, err := s.stream.Read(ctx, dst[k:])
		if err != nil {
			return err
		}
		k += n
	}
	return nil
}

// stopStream stops a stream that failed: the next sync starts a new one,
// writing every setting first, and its samples are not contiguous with
// those before.
func (s *DeviceSource) stopStream() error {
	if s.stream == nil {
		return nil
	}
	s.stream, s.settle, s.unsure = nil, 0, false
	s.rx.retuned = true
	return s.dev.StopRX()
}

// lose closes a board that could not be set up or started after its stream
// was stopped (or before the first one): it is unplugged or its USB was
// reset, and libhackrf cannot use the handle again. The next Next opens the
// board anew, if the DeviceSource can. It returns cause, naming the board.
func (s *DeviceSource) lose(cause error) error {
	// A stopped stream leaves nothing running: Close only frees the handle.
	cerr := s.dev.Close()
	s.dev, s.stream, s.lostErr = nil, nil, cause
	s.rx.retuned = true
	what := "board lost, closed to reopen"
	if s.open == nil {
		what = "board lost and closed; it must be reopened (restart the sensor)"
	}
	err := fmt.Errorf("%s: %s: %w", s.board, what, cause)
	if cerr != nil {
		err = fmt.Errorf("%w; close: %w", err, cerr)
	}
	return err
}

// reopen opens the lost board again (one try: the caller of Next paces
// them).
func (s *DeviceSource) reopen() error {
	if s.open == nil {
		return fmt.Errorf("%s: board lost; it must be reopened (restart the sensor): %w", s.board, s.lostErr)
	}
	d, err := s.open()
	if err != nil {
		return fmt.Errorf("%s: reopen (lost: %w): %w", s.board, s.lostErr, err)
	}
	s.dev, s.lostErr = d, nil
	return nil
}

// withStopErr adds the error of stopping a failed stream to err, the
// failure itself: what the caller acts on stays err.
func withStopErr(err, stopErr error) error {
	if stopErr == nil {
		return err
	}
	return fmt.Errorf("%w; stop rx: %w", err, stopErr)
}

// cancelled reports whether ctx was cancelled rather than timed out. The
// agent calls Next with its own timeout (tamper.stall) under the context
// of its run: a cancellation is the run ending, which is no fault of the
// stream (Close stops it, and shutdown should not wait for USB), while a
// deadline is a stream that gave nothing for that long. A caller whose
// own context has a deadline costs a needless restart at most.
func cancelled(ctx context.Context) bool { return errors.Is(ctx.Err(), context.Canceled) }

// Next returns the next block of samples.
func (s *DeviceSource) Next(ctx context.Context) (sensor.Block, error) {
	if err := ctx.Err(); err != nil {
		return sensor.Block{}, err
	}
	if s.closed {
		return sensor.Block{}, errors.New("hackrf: source closed")
	}
	if s.dev == nil {
		if err := s.reopen(); err != nil {
			return sensor.Block{}, err
		}
	}
	if err := s.sync(); err != nil {
		return sensor.Block{}, err
	}
	// Buffers dropped since the last block (the reader was behind) are a
	// gap before this one.
	lost := s.stream.DroppedBytes()
	dropped := (lost - s.lost) / 2
	s.lost = lost
	s.rx.skip(dropped)
	if err := s.read(ctx, s.rx.rawBuf()); err != nil {
		// A part-read block is lost; what follows is not contiguous with it.
		s.rx.retuned = true
		if errors.Is(err, io.EOF) {
			err = ErrStreamEnded // a fault of the receiver, not the end of a finite source
		}
		err = fmt.Errorf("hackrf: read %.0f Hz: %w", s.rx.centerHz, err)
		if cancelled(ctx) {
			return sensor.Block{}, err
		}
		// A failed stream does not recover (libhackrf's does not even end
		// when the board is gone or its transfers stop): read again, it
		// would wait for ever. Stop it: the next Next starts a new one.
		return sensor.Block{}, withStopErr(err, s.stopStream())
	}
	return s.rx.block(dropped), nil
}

// Close stops the stream and closes the board (the current one, after a
// reopen; none when it was lost and not yet reopened: it was closed then).
func (s *DeviceSource) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.dev == nil {
		return nil
	}
	var err error
	if s.stream != nil {
		err = s.dev.StopRX()
	}
	err = errors.Join(err, s.dev.Close())
	s.dev, s.stream = nil, nil
	return err
}
