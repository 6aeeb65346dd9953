package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/syncbuf"
	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/config"
	"github.com/rfwarden/rfwarden/sensor/publish/brokertest"
	"github.com/rfwarden/rfwarden/sensor/replay"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// TestFileSourceKeepsToWallClock: `rfwarden sensor` with source.kind file
// played its recording (replay.Options.Realtime) paced from one side only,
// as the sim source was (TestSimSourceKeepsToWallClock): it waited while
// ahead of the wall clock and never caught up when behind, so on a host
// that could not process the recording's rate each block was stamped
// later behind the clock, with dropped_samples 0. Now the file source is
// the sim's pacedSource over the recording: more than paceMaxLag behind,
// it skips the recording's samples up to the wall clock, counts them as
// the next block's Dropped and logs it at most once a minute; a skip past
// the end ends the recording. The clock here is a fake that moves only
// by the steps' work and the source's waits.
func TestFileSourceKeepsToWallClock(t *testing.T) {
	const rate = 1e6
	base := writeSilence(t, rate, 4e6) // 4 s
	rec, err := sigmf.Open(base + sigmf.MetaExt)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
	now := t0
	var log syncbuf.Buffer
	src := newFileSource(rec, t0, slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelWarn})))
	src.now = func() time.Time { return now }
	src.sleep = func(ctx context.Context, d time.Duration) error { now = now.Add(d); return ctx.Err() }
	defer src.Close()
	blockDur := time.Duration(float64(replay.DefaultBlockSize) / rate * float64(time.Second))
	for _, step := range []struct {
		name        string
		work        time.Duration // the wall clock's advance before the block (the host's work on the last)
		wantDropped int64
		wantLines   int // log lines about skipping, so far
		wantEOF     bool
	}{
		{"first block", 0, 0, 0, false},
		{"200 ms of work: behind, within paceMaxLag", 200 * time.Millisecond, 0, 0, false},
		// due after two blocks, at 1.2 s
		{"a second of work: skipped ahead", time.Second, int64((1200*time.Millisecond - 2*blockDur).Seconds() * rate), 1, false},
		{"on time again", 0, 0, 1, false},
		{"10 s of work: skipped past the end", 10 * time.Second, 0, 1, true},
	} {
		now = now.Add(step.work)
		b, err := src.Next(context.Background())
		if step.wantEOF {
			if !errors.Is(err, io.EOF) {
				t.Errorf("%s: Next = block at %v, %v; want io.EOF", step.name, b.Time, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if lag := now.Sub(b.Time); lag > paceMaxLag || lag < -paceMaxLag {
			t.Errorf("%s: block stamped %v behind the wall clock, want within %v", step.name, lag, paceMaxLag)
		}
		if d := b.Dropped - step.wantDropped; d > 1 || d < -1 {
			t.Errorf("%s: dropped %d samples, want %d", step.name, b.Dropped, step.wantDropped)
		}
		// The samples skipped are the recording's, not only its clock's:
		// a block is stamped as its first sample's place in it.
		if wantT := t0.Add(time.Duration(float64(b.FirstSample) / rate * float64(time.Second))); !b.Time.Equal(wantT) {
			t.Errorf("%s: block at sample %d stamped %v, want %v", step.name, b.FirstSample, b.Time, wantT)
		}
		if n := strings.Count(log.String(), "file source behind the wall clock"); n != step.wantLines {
			t.Errorf("%s: %d log lines about skipping, want %d:\n%s", step.name, n, step.wantLines, log.String())
		}
	}
	// A recording neither tunes nor takes the AGC's gain: the agent must
	// not drive it as a receiver (the sim's pacedSim does both).
	cfg := config.Default()
	cfg.Source = config.Source{Kind: config.SourceFile, Path: base + sigmf.MetaExt}
	opened, err := openSource(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer opened.Close()
	_, tunes := opened.(sensor.Tuner)
	_, gains := opened.(sensor.GainSetter)
	if tunes || gains {
		t.Errorf("openSource's file source is a Tuner (%v), a GainSetter (%v); want neither", tunes, gains)
	}
}

// writeSilence writes an undated ci8 recording of n zero samples at rate
// and returns its base path.
func writeSilence(t *testing.T, rate float64, n int) string {
	t.Helper()
	base := filepath.Join(t.TempDir(), "rec")
	w, err := sigmf.NewWriter(base, "ci8", rate, 915e6, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(make([]complex64, n)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return base
}

// TestCmdSensorFileSourceEnds: `rfwarden sensor` with source.kind file,
// through the pacedSource, plays the recording to its end and stops,
// saying so.
func TestCmdSensorFileSourceEnds(t *testing.T) {
	b := brokertest.Start(t, "rfw/#")
	base := writeSilence(t, 2e6, 1e6) // 0.5 s
	p := writeSensorSource(t, fmt.Sprintf("{kind: file, path: %q}", base+sigmf.MetaExt))
	body, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, append(body, fmt.Sprintf("mqtt: {url: %q}\n", b.URL())...), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"sensor", "--config", p}, &out, &errb); err != nil {
		t.Fatalf("run: %v (%s)", err, errb.String())
	}
	if !strings.Contains(out.String(), "sensor: stopped (the recording ended)") {
		t.Errorf("stdout %q, want the stop line of a recording that ended (stderr: %s)", out.String(), errb.String())
	}
}
