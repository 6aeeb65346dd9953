package scan

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// UsableFraction of the sample rate a tuning covers: the rest is filter roll-off.
const UsableFraction = 0.8

// Kinds of band.
const (
	KindSweep = "sweep" // wideband survey
	KindDwell = "dwell" // uplink band worth longer, more frequent looks
)

// Band is one entry of the scan plan.
type Band struct {
	Name       string
	LowHz      float64
	HighHz     float64
	Priority   int // 0..100; higher is visited more often in free mode
	Dwell      time.Duration
	Kind       string
	MaxRevisit time.Duration // hard bound on start-to-start gap of every cell
}

// Step is one tuning to dwell on.
type Step struct {
	Band         string
	CenterHz     float64
	SampleRateHz float64
	Dwell        time.Duration
}

// Options tune the scheduler; zero values take defaults.
type Options struct {
	BoostDur time.Duration // how long a Seen boosts a band; default 10 s
	Boost    float64       // score factor while boosted; default 4
}

type cell struct {
	band     int
	centerHz float64
	last     time.Time // start of the last visit (or of scheduling)
	lastGap  time.Duration
	maxGap   time.Duration
	visited  bool
}

// Scheduler picks the next Step. It is safe for concurrent use (Seen is
// typically called from the pipeline while Next runs in the loop).
type Scheduler struct {
	bands []Band
	rate  float64
	opts  Options
	guard time.Duration

	mu      sync.Mutex
	cells   []cell
	seen    []time.Time
	started bool
}

// ErrInfeasible is wrapped when a plan's revisit bounds cannot be guaranteed.
var ErrInfeasible = errors.New("scan plan infeasible")

// New builds a scheduler over bands for a receiver running at sampleRateHz.
func New(bands []Band, sampleRateHz float64, opts Options) (*Scheduler, error) {
	if len(bands) == 0 {
		return nil, errors.New("scan: no bands")
	}
	if !(sampleRateHz > 0) || math.IsInf(sampleRateHz, 0) {
		return nil, fmt.Errorf("scan: sample rate %v out of range", sampleRateHz)
	}
	if opts.BoostDur <= 0 {
		opts.BoostDur = 10 * time.Second
	}
	if opts.Boost <= 0 {
		opts.Boost = 4
	}
	s := &Scheduler{bands: append([]Band(nil), bands...), rate: sampleRateHz, opts: opts, seen: make([]time.Time, len(bands))}
	span := UsableFraction * sampleRateHz
	var sum, longest time.Duration
	for i, b := range bands {
		switch {
		case !(b.HighHz > b.LowHz) || !(b.LowHz > 0):
			return nil, fmt.Errorf("scan: band %q: need 0 < low < high", b.Name)
		case b.Dwell <= 0:
			return nil, fmt.Errorf("scan: band %q: dwell must be positive", b.Name)
		case b.Kind != KindSweep && b.Kind != KindDwell:
			return nil, fmt.Errorf("scan: band %q: kind %q is not sweep or dwell", b.Name, b.Kind)
		}
		n := int(math.Ceil((b.HighHz - b.LowHz) / span))
		if n > 10000 {
			return nil, fmt.Errorf("scan: band %q needs %d tunings", b.Name, n)
		}
		w := (b.HighHz - b.LowHz) / float64(n)
		for k := range n {
			s.cells = append(s.cells, cell{band: i, centerHz: b.LowHz + w*(float64(k)+0.5)})
			sum += b.Dwell
		}
		longest = max(longest, b.Dwell)
	}
	s.guard = sum + longest
	for _, b := range bands {
		if b.MaxRevisit < 2*s.guard {
			// Until 2026-12-07 it did not say what to change, and the
			// sim source's hint to lower the sample rate (more tunings)
			// led here (TestNewRejects).
			return nil, fmt.Errorf("%w: band %q max_revisit %v is below %v (twice the sum of all dwells plus the longest dwell over %d tunings): raise its max_revisit to %v or more, or shorten the plan: fewer or narrower bands, shorter dwells, or a higher sample rate (wider tunings, fewer of them)",
				ErrInfeasible, b.Name, b.MaxRevisit, 2*s.guard, len(s.cells), 2*s.guard)
		}
	}
	return s, nil
}

// Cells returns the number of tunings in the plan.
func (s *Scheduler) Cells() int { return len(s.cells) }

// Guard returns the guard time G of the plan.
func (s *Scheduler) Guard() time.Duration { return s.guard }

// Seen records that something of interest was detected in band at t, boosting
// the band's priority in free mode for Options.BoostDur. Unknown bands are ignored.
func (s *Scheduler) Seen(band string, t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, b := range s.bands {
		if b.Name == band && t.After(s.seen[i]) {
			s.seen[i] = t
		}
	}
}

// Next returns the step to dwell on from now. Call it when the previous
// step's dwell has ended.
func (s *Scheduler) Next(now time.Time) Step {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		for i := range s.cells {
			s.cells[i].last = now
		}
		s.started = true
	}
	pick := -1
	var earliest time.Time
	for i, c := range s.cells {
		d := c.last.Add(s.bands[c.band].MaxRevisit)
		if pick < 0 || d.Before(earliest) {
			pick, earliest = i, d
		}
	}
	if earliest.Sub(now) > s.guard {
		best := -1.0
		for i, c := range s.cells {
			if sc := s.score(c, now); sc > best {
				pick, best = i, sc
			}
		}
	}
	c := &s.cells[pick]
	if c.visited {
		c.lastGap = now.Sub(c.last)
		c.maxGap = max(c.maxGap, c.lastGap)
	}
	c.visited = true
	c.last = now
	b := s.bands[c.band]
	return Step{Band: b.Name, CenterHz: c.centerHz, SampleRateHz: s.rate, Dwell: b.Dwell}
}

func (s *Scheduler) score(c cell, now time.Time) float64 {
	b := s.bands[c.band]
	sc := float64(now.Sub(c.last)) / float64(b.MaxRevisit)
	sc *= 1 + float64(b.Priority)/10
	if b.Kind == KindDwell {
		sc *= 2
	}
	if seen := s.seen[c.band]; !seen.IsZero() && now.Sub(seen) <= s.opts.BoostDur {
		sc *= s.opts.Boost
	}
	return sc
}

// Revisit returns, per band, the most recent achieved revisit time: the
// largest last start-to-start gap among the band's tunings (0 until revisited).
// It feeds the rfwarden_revisit_seconds{band} metric and health.
func (s *Scheduler) Revisit() map[string]time.Duration {
	return s.gaps(func(c cell) time.Duration { return c.lastGap })
}

// MaxRevisit returns, per band, the largest gap observed since New.
func (s *Scheduler) MaxRevisit() map[string]time.Duration {
	return s.gaps(func(c cell) time.Duration { return c.maxGap })
}

func (s *Scheduler) gaps(f func(cell) time.Duration) map[string]time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]time.Duration, len(s.bands))
	for _, c := range s.cells {
		name := s.bands[c.band].Name
		m[name] = max(m[name], f(c))
	}
	return m
}
