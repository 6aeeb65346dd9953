package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/syncbuf"
	"github.com/rfwarden/rfwarden/sensor/sim"
)

// TestSimSourceKeepsToWallClock: `rfwarden sensor` with source.kind sim
// paced the simulator to the wall clock from one side only
// (pacedSource.Next waited while ahead, never caught up when behind). On a
// node that could not render and process 20 Msps in real time the
// detections' time_ns fell minutes behind the clock and kept falling,
// while /healthz said ok and dropped_samples stayed 0. Now a source more
// than paceMaxLag behind skips ahead to the wall clock, as a HackRF that is
// not read in time overruns: its next block is stamped now, the samples
// skipped are its Dropped, and the skip is logged at most once a minute.
func TestSimSourceKeepsToWallClock(t *testing.T) {
	const rate = 2e6
	t0 := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
	now := t0
	start := t0.Add(-time.Hour)
	w := sim.StandardWing(1)
	s, err := w.NewSource("s1", sim.SourceOptions{SampleRateHz: rate, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	var log syncbuf.Buffer
	// The pacing began an hour ago and has delivered no sample since: the
	// node has processed nothing for an hour (as a slow node, block after
	// block, adds up to).
	p := &pacedSource{Source: s, clock: simSkip{s}, kind: "sim", start: start, now: func() time.Time { return now },
		log: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	for _, step := range []struct {
		name        string
		advance     time.Duration // of the wall clock before the block
		wantDropped int64
		wantLines   int // log lines about skipping, so far
	}{
		{"an hour behind", 0, 3600 * rate, 1},
		{"on time: no skip", 0, 0, 1},
		{"30 s behind: skipped, not logged within the minute", 30 * time.Second, 30 * rate, 1},
		{"within paceMaxLag: no skip", paceMaxLag / 2, 0, 1},
		// and the lag the step before left
		{"40 s behind, over a minute since the line", 40 * time.Second, int64((40*time.Second + paceMaxLag/2).Seconds() * rate), 2},
	} {
		now = now.Add(step.advance)
		b, err := p.Next(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		// Block times follow the wall clock within paceMaxLag (plus the
		// blocks delivered since the last skip, here a few ms).
		if lag := now.Sub(b.Time); lag > paceMaxLag || lag < -paceMaxLag {
			t.Errorf("%s: block stamped %v behind the wall clock, want within %v", step.name, lag, paceMaxLag)
		}
		// The time skipped, less the blocks delivered ahead of the wall
		// clock before it (the fake clock stands still while they are).
		if d, tol := b.Dropped-step.wantDropped, 2*int64(len(b.Samples)); d > 1 || d < -tol || (step.wantDropped == 0) != (b.Dropped == 0) {
			t.Errorf("%s: dropped %d samples, want %d (the time skipped) less at most %d", step.name, b.Dropped, step.wantDropped, tol)
		}
		if n := strings.Count(log.String(), "sim source behind the wall clock"); n != step.wantLines {
			t.Errorf("%s: %d log lines about skipping, want %d:\n%s", step.name, n, step.wantLines, log.String())
		}
	}
	if !strings.Contains(log.String(), "skips=2") {
		t.Errorf("the second line does not count the two skips since the first:\n%s", log.String())
	}
}
