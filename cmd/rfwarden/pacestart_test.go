package main

import (
	"context"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/sensor/config"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// TestPacedSourceClockStartsAtFirstBlock: the sim and file sources fixed
// their sample clock when openSource opened them, but the pacing began at
// their first block; what `rfwarden sensor` does in between (open the
// outbox, which reads every segment, start the HTTP server) left every
// block of the run stamped that start-up time behind the wall clock,
// below paceMaxLag's skip or not. Now the clock starts at the first
// block: it is stamped at the wall clock of its Next, nothing is skipped
// or counted as dropped, and the blocks after it follow on.
func TestPacedSourceClockStartsAtFirstBlock(t *testing.T) {
	const rate = 1e6
	base := writeSilence(t, rate, 2e6) // 2 s
	for _, tc := range []struct {
		name string
		kind string
		lag  time.Duration // of start-up, between open and the first block
	}{
		{"sim, start-up within paceMaxLag", config.SourceSim, paceMaxLag / 2},
		{"sim, start-up beyond paceMaxLag", config.SourceSim, 3 * time.Second},
		{"file, start-up within paceMaxLag", config.SourceFile, paceMaxLag / 2},
		{"file, start-up beyond paceMaxLag", config.SourceFile, 3 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opened := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
			now := opened
			var p *pacedSource
			switch tc.kind {
			case config.SourceFile:
				rec, err := sigmf.Open(base + sigmf.MetaExt)
				if err != nil {
					t.Fatal(err)
				}
				p = newFileSource(rec, opened, nil)
			case config.SourceSim:
				cfg := config.Default()
				cfg.Sensor = "s1"
				cfg.Source = config.Source{Kind: config.SourceSim, Seed: 1, SampleRateHz: 2e6}
				s, err := newSimSource(cfg, opened, nil)
				if err != nil {
					t.Fatal(err)
				}
				p = s.pacedSource
			}
			defer p.Close()
			p.now = func() time.Time { return now }
			p.sleep = func(ctx context.Context, d time.Duration) error { now = now.Add(d); return ctx.Err() }
			now = now.Add(tc.lag) // the start-up
			first, err := p.Next(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if d := now.Sub(first.Time); d > time.Microsecond || d < -time.Microsecond {
				t.Errorf("first block stamped %v, %v behind the wall clock at its Next (%v); want at it", first.Time, d, now)
			}
			if first.Dropped != 0 || first.FirstSample != 0 {
				t.Errorf("first block: sample %d, dropped %d; want sample 0, none dropped (nothing was read before it)", first.FirstSample, first.Dropped)
			}
			second, err := p.Next(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if want := first.Time.Add(first.Duration()); second.Dropped != 0 || !second.Time.Equal(want) {
				t.Errorf("second block stamped %v, dropped %d; want %v (after the first), none dropped", second.Time, second.Dropped, want)
			}
		})
	}
}
