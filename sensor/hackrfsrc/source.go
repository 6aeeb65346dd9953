package hackrfsrc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/firmware/hackrf"
	"github.com/rfwarden/rfwarden/sensor"
)

// Transferer starts a receive stream of interleaved ci8 samples;
// hackrf.Runner implements it.
type Transferer interface {
	Transfer(ctx context.Context, opt hackrf.TransferOptions) (io.ReadCloser, error)
}

// Options configure a Source. Zero values take the defaults shown.
type Options struct {
	CenterHz     float64 // first tuning; default 2437e6
	SampleRateHz float64 // default 10e6 (2..20e6)
	BlockSamples int     // default 65536
	// GainDB gives the total receive gain for a tuning (a node's gain
	// table); nil means 40 dB. It is split into the HackRF's LNA (0-40 dB in
	// 8 dB steps) and VGA (0-62 dB in 2 dB steps) gains; the RF amplifier
	// stays off.
	GainDB func(centerHz float64) float64
	Now    func() time.Time // default time.Now
}

// Source is a HackRF receive stream; it implements sensor.Source and
// sensor.Tuner. It is not safe for concurrent use.
type Source struct {
	t   Transferer
	opt Options

	stream   io.ReadCloser
	started  time.Time // capture time of the stream's first sample
	inStream int64     // samples read from the current stream
	next     int64     // absolute index of the next sample
	retuned  bool
	gainDB   float64
	raw      []byte
	buf      []complex64
	closed   bool
}

// New returns a Source; nothing runs until the first Next.
func New(t Transferer, opt Options) *Source {
	if opt.CenterHz == 0 {
		opt.CenterHz = 2437e6
	}
	if opt.SampleRateHz == 0 {
		opt.SampleRateHz = 10e6
	}
	if opt.BlockSamples <= 0 {
		opt.BlockSamples = 65536
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Source{t: t, opt: opt, retuned: true}
}

// SplitGain splits a total gain into the HackRF's LNA (8 dB steps, at most
// 40) and VGA (2 dB steps, at most 62) gains, LNA first.
func SplitGain(totalDB float64) (lnaDB, vgaDB int) {
	g := max(0, min(102, int(math.Round(totalDB))))
	lnaDB = min(40, g/8*8)
	vgaDB = min(62, (g-lnaDB)/2*2)
	return lnaDB, vgaDB
}

// Tune moves to a new centre frequency and sample rate from the next block.
func (s *Source) Tune(centerHz, sampleRateHz float64) error {
	if !(centerHz >= 1e6 && centerHz <= 6e9) {
		return fmt.Errorf("hackrf: tune: centre %v Hz outside 1 MHz..6 GHz", centerHz)
	}
	if !(sampleRateHz >= 2e6 && sampleRateHz <= 20e6) {
		return fmt.Errorf("hackrf: tune: sample rate %v outside 2..20 Msps", sampleRateHz)
	}
	s.stop()
	s.opt.CenterHz, s.opt.SampleRateHz = centerHz, sampleRateHz
	s.retuned = true
	return nil
}

func (s *Source) start(ctx context.Context) error {
	gain := 40.0
	if s.opt.GainDB != nil {
		gain = s.opt.GainDB(s.opt.CenterHz)
	}
	lna, vga := SplitGain(gain)
	st, err := s.t.Transfer(ctx, hackrf.TransferOptions{CenterHz: int64(math.Round(s.opt.CenterHz)),
		SampleRateHz: int(math.Round(s.opt.SampleRateHz)), LNAGainDB: lna, VGAGainDB: vga})
	if err != nil {
		return err
	}
	s.stream, s.started, s.inStream, s.gainDB = st, s.opt.Now().UTC(), 0, float64(lna+vga)
	return nil
}

func (s *Source) stop() error {
	if s.stream == nil {
		return nil
	}
	err := s.stream.Close()
	s.stream = nil
	return err
}

// Next returns the next block of samples. A stream that ends or fails is
// closed and reported; the next call starts a new one (marked Retuned, as
// the samples are no longer contiguous).
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
	n := s.opt.BlockSamples
	if cap(s.raw) < 2*n {
		s.raw = make([]byte, 2*n)
		s.buf = make([]complex64, n)
	}
	if _, err := io.ReadFull(s.stream, s.raw[:2*n]); err != nil {
		cerr := s.stop()
		s.retuned = true
		return sensor.Block{}, fmt.Errorf("hackrf: read %.0f Hz: %w", s.opt.CenterHz, errors.Join(err, cerr))
	}
	b := sensor.Block{
		Samples:      dsp.FromCI8(s.buf[:n], s.raw[:2*n]),
		CenterHz:     s.opt.CenterHz,
		SampleRateHz: s.opt.SampleRateHz,
		GainDB:       s.gainDB,
		FirstSample:  s.next,
		Time:         s.started.Add(time.Duration(float64(s.inStream) / s.opt.SampleRateHz * float64(time.Second))),
		Device:       "hackrf",
		Retuned:      s.retuned,
	}
	s.retuned = false
	s.next += int64(n)
	s.inStream += int64(n)
	return b, nil
}

// Close stops the stream.
func (s *Source) Close() error {
	s.closed = true
	return s.stop()
}
