package hackrfsrc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/rfwarden/rfwarden/firmware/hackrf"
	"github.com/rfwarden/rfwarden/sensor"
)

// Transferer starts a receive stream of interleaved ci8 samples;
// hackrf.Runner implements it.
type Transferer interface {
	Transfer(ctx context.Context, opt hackrf.TransferOptions) (io.ReadCloser, error)
}

// Source is a HackRF receive stream through hackrf_transfer; it implements
// sensor.Source, sensor.Tuner and sensor.GainSetter. It is not safe for
// concurrent use.
type Source struct {
	t      Transferer
	rx     receiver
	stream io.ReadCloser
	got    int64 // bytes read from stream
	closed bool
}

var (
	_ sensor.Source     = (*Source)(nil)
	_ sensor.Tuner      = (*Source)(nil)
	_ sensor.GainSetter = (*Source)(nil)
)

// New returns a Source; nothing runs until the first Next.
func New(t Transferer, opt Options) *Source {
	return &Source{t: t, rx: newReceiver(opt)}
}

// Tune moves to a new centre frequency and sample rate from the next block,
// at the gain table's gain for it.
func (s *Source) Tune(centerHz, sampleRateHz float64) error {
	was := struct {
		centerHz, rateHz float64
		lna, vga         int
	}{s.rx.centerHz, s.rx.rateHz, s.rx.lnaDB, s.rx.vgaDB}
	if err := s.rx.tune(centerHz, sampleRateHz); err != nil {
		return err
	}
	if s.stream != nil && was.centerHz == s.rx.centerHz && was.rateHz == s.rx.rateHz &&
		was.lna == s.rx.lnaDB && was.vga == s.rx.vgaDB {
		return nil // the same tuning and gains (a one-band plan): keep the tool running
	}
	if err := s.stop(); err != nil {
		// The new tuning holds; the stream of the old one had failed.
		return fmt.Errorf("hackrf: stream at %.0f Hz: %w: %w", was.centerHz, sensor.ErrPreviousStream, err)
	}
	return nil
}

// SetGainDB changes the total receive gain of the current tuning from the
// next block; hackrf_transfer cannot change gain while it runs, so a change
// restarts it.
func (s *Source) SetGainDB(totalDB float64) error {
	changed, err := s.rx.setGain(totalDB)
	if err != nil || !changed {
		return err
	}
	if err := s.stop(); err != nil {
		return fmt.Errorf("hackrf: stream at %.0f Hz: %w", s.rx.centerHz, err)
	}
	return nil
}

func (s *Source) start(ctx context.Context) error {
	opt := hackrf.TransferOptions{CenterHz: int64(math.Round(s.rx.centerHz)),
		SampleRateHz: int(math.Round(s.rx.rateHz)), LNAGainDB: s.rx.lnaDB, VGAGainDB: s.rx.vgaDB}
	if s.rx.opt.BasebandFilterHz > 0 {
		opt.BasebandFilterHz = int(s.rx.opt.BasebandFilterHz)
	}
	// The tool runs across many calls of Next, each with its own context
	// (the agent's stall timeout): started under ctx, it was killed as soon
	// as the first Next returned. Close stops it.
	st, err := s.t.Transfer(context.WithoutCancel(ctx), opt)
	if err != nil {
		return err
	}
	s.stream, s.got = st, 0
	// The tool opens the board before it streams (a few hundred ms): the
	// time it was started at is not when its first sample was captured.
	s.rx.anchorAtFirstBlock()
	return nil
}

func (s *Source) stop() error {
	if s.stream == nil {
		return nil
	}
	err := s.stream.Close()
	s.stream = nil
	s.rx.retuned = true // the next stream's samples are not contiguous with these
	return err
}

// Next returns the next block of samples. A stream that ends or fails is
// closed and reported (an end wraps ErrStreamEnded and says how
// hackrf_transfer exited; never io.EOF: a receiver is no finite source);
// the next call starts a new one (marked Retuned, as the samples are no
// longer contiguous). When ctx ends before the block is read (a tool that
// hangs), the stream is stopped and ctx's error returned.
func (s *Source) Next(ctx context.Context) (sensor.Block, error) {
	if err := ctx.Err(); err != nil {
		return sensor.Block{}, err
	}
	if s.closed {
		return sensor.Block{}, errors.New("hackrf: source closed")
	}
	if s.stream == nil {
		if err := s.start(ctx); err != nil {
			return sensor.Block{}, err
		}
	}
	st := s.stream
	abort := context.AfterFunc(ctx, func() { _ = st.Close() })
	n, err := io.ReadFull(st, s.rx.rawBuf())
	aborted := !abort()
	s.got += int64(n)
	if err == nil {
		b := s.rx.block(0)
		if aborted {
			_ = s.stop() // ctx ended as the block came: the next Next starts again
		}
		return b, nil
	}
	switch {
	case aborted:
		err = ctx.Err()
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		err = fmt.Errorf("%w after %d bytes", ErrStreamEnded, s.got)
	}
	if cerr := s.stop(); cerr != nil && !aborted {
		err = fmt.Errorf("%w: %w", err, cerr) // how the tool exited, and what it said
	}
	return sensor.Block{}, fmt.Errorf("hackrf: read %.0f Hz: %w", s.rx.centerHz, err)
}

// Close stops the stream.
func (s *Source) Close() error {
	s.closed = true
	return s.stop()
}

// ErrStreamEnded is wrapped when a receive stream ends while its source is
// open: hackrf_transfer exited, or the board stopped streaming. A receiver
// never runs out of samples, so this is a fault to report (and the stream
// is started again by the next Next), never the io.EOF of a finite source.
var ErrStreamEnded = errors.New("receive stream ended")
