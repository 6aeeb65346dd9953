package replay

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"time"

	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// DefaultBlockSize is the samples per block when Options.BlockSize is 0.
const DefaultBlockSize = 65536

// Options configures a replay Source. The zero value replays in blocks
// of DefaultBlockSize. A Source replays as fast as it is read; `rfwarden
// sensor` paces it to the wall clock (cmd/rfwarden's pacedSource, which
// calls Skip when the host falls behind).
type Options struct {
	BlockSize int    // samples per block; 0 means DefaultBlockSize
	Device    string // Block.Device; "" means "file"
	// GainDB is the Block.GainDB of blocks whose recording does not say
	// its gain (GainKey on their capture or in the global object).
	GainDB float64
	// Start is the time of sample 0 for capture segments with no
	// core:datetime (later samples at their sigmf.Recording.StreamSample,
	// so samples core:global_index says were lost count). The zero value
	// means the Unix epoch, so replays of undated recordings are
	// deterministic and plainly not live.
	Start time.Time
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
	closed     bool
	gains      []float64 // each capture's GainDBAt, NaN when unknown
	gainEnds   []int64   // each capture's end of its run of one gain
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
	gains, ends := gainRuns(rec.Meta(), rec.NumSamples())
	return &Source{rec: rec, opt: opt, buf: make([]complex64, opt.BlockSize), pos: rec.Tell(), gains: gains, gainEnds: ends}
}

// Next returns the next block: up to BlockSize samples, stopping at the end
// of the capture segment and where the receive gain changes (GainDBAt). It
// returns io.EOF after the last sample and ctx.Err() when ctx ends.
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
	gain, gainEnd := s.opt.GainDB, n
	if i := captureAt(s.rec.Meta(), s.pos); i >= 0 {
		gainEnd = s.gainEnds[i]
		if !math.IsNaN(s.gains[i]) {
			gain = s.gains[i]
		}
	}
	end := min(s.pos+int64(len(s.buf)), s.rec.SegmentEnd(s.pos), gainEnd)
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
		GainDB:       gain,
		FirstSample:  s.pos,
		Time:         s.rec.TimeAt(s.pos),
		Device:       s.opt.Device,
		// a new tuning, or a break in the stream at one (a time gap,
		// samples lost): what follows is not contiguous with the block before
		Retuned: s.started && (center != s.lastCenter || s.pos > 0 && s.rec.SegmentStart(s.pos) == s.pos),
	}
	if b.Time.IsZero() {
		b.Time = s.opt.Start.Add(sampleDur(s.rec.StreamSample(s.pos), rate))
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

// StartAt stamps the next sample t when its capture segment has no
// core:datetime, and the samples after it on from t at the sample rate
// (Options.Start moved so): a paced replay's clock starts at its first
// block, not when it was opened. No sample is skipped; a segment with a
// core:datetime keeps its own time.
func (s *Source) StartAt(t time.Time) {
	s.opt.Start = t.UTC().Add(-sampleDur(s.rec.StreamSample(s.pos), s.rec.SampleRateHz()))
}

// Skip passes over the samples of the next d (d times the sample rate,
// up to the end of the recording) without reading them, as a receiver
// that is not read in time loses them: the next block starts after them,
// its FirstSample and Time those of its first sample in the recording.
// A d of 0 or less does nothing.
func (s *Source) Skip(d time.Duration) {
	if d <= 0 || s.closed {
		return
	}
	n := s.rec.NumSamples()
	k := d.Seconds() * s.rec.SampleRateHz()
	if k >= float64(n-s.pos) {
		s.pos = n
	} else {
		s.pos += int64(k)
	}
	// Within [0, NumSamples]: SeekSample cannot fail.
	_ = s.rec.SeekSample(s.pos)
}

// Close closes the recording. It is safe to call more than once.
func (s *Source) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	return s.rec.Close()
}

// GainKey is the SigMF key (rfw extension) of the total receive gain in
// front of the ADC, dB, that a recording's samples were captured at: on a
// capture when the gain differs between captures (the sensor's AGC changed
// it), else in the global object.
const GainKey = "rfw:gain_db"

// GainDBAt returns the receive gain of the capture of m holding sample:
// its GainKey, else the global GainKey; ok is false when neither is a
// finite number.
func GainDBAt(m sigmf.Meta, sample int64) (gainDB float64, ok bool) {
	if i := captureAt(m, sample); i >= 0 {
		if g, ok := number(m.Captures[i].Extra[GainKey]); ok {
			return g, true
		}
	}
	return number(m.Global.Extra[GainKey])
}

// captureAt returns the index of the capture of m holding sample, -1
// when m has none.
func captureAt(m sigmf.Meta, sample int64) int {
	if len(m.Captures) == 0 {
		return -1
	}
	return max(sort.Search(len(m.Captures), func(i int) bool { return m.Captures[i].SampleStart > sample })-1, 0)
}

// gainRuns returns, for each capture of m, its gain (NaN when the
// recording says none) and the first sample, up to n, of a later capture
// with another gain: blocks stop there. It walks the captures once, so a
// recording of many captures costs no more per block than one.
func gainRuns(m sigmf.Meta, n int64) (gains []float64, ends []int64) {
	gains, ends = make([]float64, len(m.Captures)), make([]int64, len(m.Captures))
	for i, c := range m.Captures {
		gains[i] = math.NaN()
		if g, ok := GainDBAt(m, c.SampleStart); ok {
			gains[i] = g
		}
	}
	end := n
	for i := len(gains) - 1; i >= 0; i-- {
		ends[i] = end
		if i > 0 && !sameGain(gains[i], gains[i-1]) {
			end = m.Captures[i].SampleStart
		}
	}
	return gains, ends
}

// sameGain compares two gains, NaN (unknown) equal to itself.
func sameGain(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }

// number returns v, a JSON number as sigmf.ParseMeta reads it (or a
// float64 set in memory), when it is a finite one.
func number(v any) (float64, bool) {
	var f float64
	switch n := v.(type) {
	case json.Number:
		var err error
		if f, err = n.Float64(); err != nil {
			return 0, false
		}
	case float64:
		f = n
	default:
		return 0, false
	}
	return f, !math.IsNaN(f) && !math.IsInf(f, 0)
}
