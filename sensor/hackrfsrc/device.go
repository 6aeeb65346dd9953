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
// index, so times stay right. Not safe for concurrent use.
type DeviceSource struct {
	dev     Device
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
// Close; nothing is written to the board until the first Next.
func NewDevice(dev Device, opt Options) *DeviceSource {
	return &DeviceSource{dev: dev, rx: newReceiver(opt)}
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

// sync brings the board to the wanted settings, starting the stream first.
func (s *DeviceSource) sync() error {
	want := s.want()
	if s.stream == nil {
		if err := s.apply(setting{}, want, true); err != nil {
			return fmt.Errorf("hackrf: set up %.0f Hz: %w", want.centerHz, err)
		}
		st, err := s.dev.StartRX(s.rx.opt.QueueBuffers)
		if err != nil {
			return fmt.Errorf("hackrf: start rx: %w", err)
		}
		s.stream, s.applied, s.lost = st, want, st.DroppedBytes()
		s.rx.restartClock(s.rx.opt.Now())
		return nil
	}
	if want == s.applied && !s.unsure {
		return nil
	}
	// What is queued was captured with the old settings: count it at the old
	// rate, then restart the clock if the rate changes.
	s.rx.skip(s.stream.Discard() / 2)
	if err := s.apply(s.applied, want, s.unsure); err != nil {
		s.unsure = true // write everything next time
		return fmt.Errorf("hackrf: retune to %.0f Hz: %w", want.centerHz, err)
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

// Next returns the next block of samples.
func (s *DeviceSource) Next(ctx context.Context) (sensor.Block, error) {
	if err := ctx.Err(); err != nil {
		return sensor.Block{}, err
	}
	if s.closed {
		return sensor.Block{}, errors.New("hackrf: source closed")
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
		return sensor.Block{}, fmt.Errorf("hackrf: read %.0f Hz: %w", s.rx.centerHz, err)
	}
	return s.rx.block(dropped), nil
}

// Close stops the stream and closes the board.
func (s *DeviceSource) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	var err error
	if s.stream != nil {
		err = s.dev.StopRX()
	}
	return errors.Join(err, s.dev.Close())
}
