package replay

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// DefaultBlockSize is the samples per block when Options.BlockSize is 0.
const DefaultBlockSize = 65536

// Options configures a replay Source. The zero value replays as fast as
// possible in blocks of DefaultBlockSize.
type Options struct {
	BlockSize int     // samples per block; 0 means DefaultBlockSize
	Realtime  bool    // pace blocks by sample time instead of as fast as possible
	Device    string  // Block.Device; "" means "file"
	GainDB    float64 // Block.GainDB reported for every block
	// Start is the time of sample 0 for capture segments with no
	// core:datetime. The zero value means the Unix epoch, so replays of
	// undated recordings are deterministic and plainly not live.
	Start time.Time
	// Now and Sleep are the clock used by Realtime; nil means the wall
	// clock (time.Now) and a context-aware timer. Tests inject fakes.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Source replays a recording. It implements sensor.Source and is not safe
// for concurrent use.
type Source struct {
	rec        *sigmf.Recording
	opt        Options
	buf        []complex64
	pos        int64
	lastCenter float64
	started    bool
	wallStart  time.Time // wall time of sample 0 when Realtime
	closed     bool
}

var _ sensor.Source = (*Source)(nil)

// New returns a Source replaying rec from its current position to its end.
// The Source owns rec: Close closes it.
func New(rec *sigmf.Recording, opt Options) *Source {
	if opt.BlockSize <= 0 {
		opt.BlockSize = DefaultBlockSize
	}
	if opt.Device == "" {
		opt.Device = "file"
	}
	if opt.Start.IsZero() {
		opt.Start = time.Unix(0, 0)
	}
	opt.Start = opt.Start.UTC()
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Sleep == nil {
		opt.Sleep = sleep
	}
	return &Source{rec: rec, opt: opt, buf: make([]complex64, opt.BlockSize), pos: rec.Tell()}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Next returns the next block: up to BlockSize samples, stopping at the end
// of the capture segment. It returns io.EOF after the last sample and
// ctx.Err() when ctx ends. With Realtime, Next waits until the wall clock
// has advanced past the block's last sample since the first call.
func (s *Source) Next(ctx context.Context) (sensor.Block, error) {
	if err := ctx.Err(); err != nil {
		return sensor.Block{}, err
	}
	if s.closed {
		return sensor.Block{}, fmt.Errorf("replay %q: source is closed", s.rec.Path())
	}
	n := s.rec.NumSamples()
	if s.pos >= n {
		return sensor.Block{}, io.EOF
	}
	end := min(s.pos+int64(len(s.buf)), s.rec.SegmentEnd(s.pos))
	want := int(end - s.pos)
	got := 0
	for got < want {
		k, err := s.rec.Read(s.buf[got:want])
		got += k
		if err != nil {
			if err == io.EOF {
				return sensor.Block{}, fmt.Errorf("replay %q: data ended at sample %d, want %d: %w", s.rec.Path(), s.pos+int64(got), n, io.ErrUnexpectedEOF)
			}
			return sensor.Block{}, fmt.Errorf("replay: %w", err)
		}
	}
	rate := s.rec.SampleRateHz()
	center := s.rec.CenterHzAt(s.pos)
	b := sensor.Block{
		Samples:      s.buf[:got],
		CenterHz:     center,
		SampleRateHz: rate,
		GainDB:       s.opt.GainDB,
		FirstSample:  s.pos,
		Time:         s.rec.TimeAt(s.pos),
		Device:       s.opt.Device,
		Retuned:      s.started && center != s.lastCenter,
	}
	if b.Time.IsZero() {
		b.Time = s.opt.Start.Add(sampleDur(s.pos, rate))
	}
	if s.opt.Realtime {
		if !s.started {
			s.wallStart = s.opt.Now().Add(-sampleDur(s.pos, rate))
		}
		due := s.wallStart.Add(sampleDur(end, rate))
		if wait := due.Sub(s.opt.Now()); wait > 0 {
			if err := s.opt.Sleep(ctx, wait); err != nil {
				return sensor.Block{}, err
			}
		}
	}
	s.started = true
	s.lastCenter = center
	s.pos = end
	return b, nil
}

// sampleDur is the time from sample 0 to sample at rate.
func sampleDur(sample int64, rateHz float64) time.Duration {
	return time.Duration(float64(sample) / rateHz * float64(time.Second))
}

// Close closes the recording. It is safe to call more than once.
func (s *Source) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	return s.rec.Close()
}
