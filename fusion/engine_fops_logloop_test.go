package fusion

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// fullDiskTS refuses every write as a full disk does while full is set,
// counting the tries.
type fullDiskTS struct {
	storetest.Recorder
	tries atomic.Int64
	full  atomic.Bool
}

func (f *fullDiskTS) WriteDetections(ctx context.Context, recs []store.DetectionRecord) error {
	f.tries.Add(1)
	if f.full.Load() {
		return errors.New("write detections: database or disk is full (13)")
	}
	return f.Recorder.WriteDetections(ctx, recs)
}

// TestFopsStoreOutageLoggedOncePerMinute: while the disk of fusion's
// database is full, every tick's write fails with the same error. Run
// logged a warning ("tick") for each one, every TickEvery (1 s in
// production): 3600 identical lines an hour, for as long as the disk
// stays full, into a journal that may be on the same disk. Other repeated
// failures (the broker, InfluxDB, the sensor's receiver) log when the
// error first appears or changes and then at most once a minute, with a
// count; a failing store does too (retrylog.Log), and says once when
// its writes succeed again.
func TestFopsStoreOutageLoggedOncePerMinute(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	var clock atomic.Int64 // fusion's clock, as an offset from t0
	clock.Store(int64(time.Second))
	var logBuf syncbuf.Buffer
	ts := &fullDiskTS{}
	ts.full.Store(true)
	const tickEvery = 5 * time.Millisecond
	e, err := New(Config{TickEvery: tickEvery}, Deps{Site: wing(t), TimeSeries: ts,
		Clock:  func() time.Time { return t0.Add(time.Duration(clock.Load())) },
		Logger: slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.HandleDetection(context.Background(), testDet("full-1", "s1", t0, -60)); err != nil {
		t.Fatal(err)
	}
	sub := &fakeSub{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, sub) }()
	waitTries := func(n int64) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); ts.tries.Load() < n; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				cancel()
				t.Fatalf("only %d writes tried, want %d", ts.tries.Load(), n)
			}
		}
	}
	// 100 failed ticks within a minute of fusion's clock: one line
	waitTries(100)
	if logged := strings.Count(logBuf.String(), "database or disk is full"); logged != 1 {
		t.Errorf("%d failed writes with one error (one a tick) logged %d times; want it logged when it first happens, then at most once a minute:\n%s", ts.tries.Load(), logged, logBuf.String())
	}
	// a minute on: one more line, saying how many were not logged
	clock.Add(int64(time.Minute))
	waitTries(ts.tries.Load() + 20)
	log := logBuf.String()
	if logged := strings.Count(log, "database or disk is full"); logged != 2 {
		t.Errorf("logged %d times after a minute, want 2:\n%s", logged, log)
	}
	var ticks []string
	for l := range strings.Lines(log) {
		if strings.Contains(l, "msg=tick ") {
			ticks = append(ticks, l)
		}
	}
	if len(ticks) != 2 || !strings.Contains(ticks[0], "failures_not_logged=0\n") || strings.Contains(ticks[1], "failures_not_logged=0\n") || !strings.Contains(ticks[1], "failures_not_logged=") {
		t.Errorf("want the first tick line with failures_not_logged=0, the minute's with the count of failures not logged; got:\n%s", strings.Join(ticks, ""))
	}
	// space again: the kept detection is written and the end is logged once
	ts.full.Store(false)
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(logBuf.String(), "tick: succeeds again"); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("the recovery never logged:\n%s", logBuf.String())
		}
	}
	time.Sleep(20 * tickEvery) // ticks more, succeeding: not logged again
	cancel()
	<-done
	log = logBuf.String()
	if n := strings.Count(log, "tick: succeeds again"); n != 1 {
		t.Errorf("the recovery logged %d times, want once:\n%s", n, log)
	}
	ts.Mu.Lock()
	written := len(ts.Dets)
	ts.Mu.Unlock()
	if written != 1 {
		t.Errorf("%d detections written once the store took them, want the one kept", written)
	}
	if n := strings.Count(log, "database or disk is full"); n != 2 {
		t.Errorf("the failure logged %d times in all, want 2:\n%s", n, log)
	}
}

// TestFailureKey: the failures of one cause share a key whatever their
// context says (counts, IDs), and a new cause has another.
func TestFailureKey(t *testing.T) {
	full := errors.New("database or disk is full (13)")
	locked := errors.New("database is locked (5)")
	tests := []struct {
		name string
		a, b error
		same bool
	}{
		{"kept count changes", fmt.Errorf("write detections (14 kept for the next try): commit: %w", full),
			fmt.Errorf("write detections (15 kept for the next try): commit: %w", full), true},
		{"alert IDs differ", fmt.Errorf("store alert a-1: %w", full), fmt.Errorf("store alert a-2: %w", full), true},
		{"joined, same causes in another order", errors.Join(fmt.Errorf("write detections (3 kept): %w", full), fmt.Errorf("store alert a-1: %w", locked)),
			errors.Join(fmt.Errorf("store alert a-9: %w", locked), fmt.Errorf("write locations (1 kept): %w", full)), true},
		{"the cause changes", fmt.Errorf("write detections (14 kept): %w", full), fmt.Errorf("write detections (14 kept): %w", locked), false},
		{"one cause more", fmt.Errorf("x: %w", full), errors.Join(fmt.Errorf("x: %w", full), fmt.Errorf("y: %w", locked)), false},
		{"unwrapped texts differ", errors.New("store alert a-1: full"), errors.New("store alert a-2: full"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ka, kb := failureKey(tc.a), failureKey(tc.b)
			if (ka == kb) != tc.same {
				t.Errorf("failureKey(%q) = %q, failureKey(%q) = %q; same %v, want %v", tc.a, ka, tc.b, kb, ka == kb, tc.same)
			}
		})
	}
}

// TestStoreDropsLoggedOncePerMinute: a store that keeps failing past the
// maxBuffered batches makes fusion drop the oldest records at every
// flush. Each drop was logged, a line a tick; now the first is, then a
// line a minute with the records dropped since, and the lines' counts add
// up to rfw_fusion_store_dropped_total.
func TestStoreDropsLoggedOncePerMinute(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	now := t0
	var logBuf syncbuf.Buffer
	ts := &fullDiskTS{}
	ts.full.Store(true)
	e, err := New(Config{BatchSize: 1}, Deps{Site: wing(t), TimeSeries: ts, Clock: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	det := 0
	feed := func(n int) {
		for range n {
			now = now.Add(time.Second)
			det++
			_ = e.HandleDetection(ctx, testDet(fmt.Sprint("drop-", det), "s1", now, -60)) // each closes the one before; its write fails
			_ = e.Tick(ctx, now)
		}
	}
	lines := func() (n int, sum int) {
		for l := range strings.Lines(logBuf.String()) {
			if strings.Contains(l, "oldest records dropped") && strings.Contains(l, "what=detections") {
				var k int
				if _, err := fmt.Sscanf(l[strings.Index(l, " n=")+1:], "n=%d", &k); err != nil {
					t.Fatalf("%q: %v", l, err)
				}
				n++
				sum += k
			}
		}
		return n, sum
	}
	feed(50) // 50 s: within the 64 kept batches, nothing dropped
	if n, _ := lines(); n != 0 {
		t.Fatalf("%d drop lines before any drop:\n%s", n, logBuf.String())
	}
	feed(35) // past the 64 kept: the oldest go at every flush, within half a minute
	dropped := testutil.ToFloat64(e.met.storeDropped.WithLabelValues("detections"))
	if dropped < 10 {
		t.Fatalf("%v dropped; the test does not go far enough past maxBuffered", dropped)
	}
	if n, _ := lines(); n != 1 {
		t.Errorf("%v records dropped at as many flushes within half a minute: %d lines; want the first only:\n%s", dropped, n, logBuf.String())
	}
	feed(120) // two minutes more
	ts.full.Store(false)
	now = now.Add(time.Second)
	if err := e.Tick(ctx, now); err != nil {
		t.Fatalf("tick once the store takes writes: %v", err)
	}
	dropped = testutil.ToFloat64(e.met.storeDropped.WithLabelValues("detections"))
	n, sum := lines()
	if minutes := int(now.Sub(t0)/time.Minute) + 1; n > minutes+1 { // and one at the end, for the drops since the last
		t.Errorf("%d drop lines over %v, want at most one a minute and one at the end", n, now.Sub(t0))
	}
	if sum != int(dropped) {
		t.Errorf("the drop lines count %d records, rfw_fusion_store_dropped_total %v: want them equal\n%s", sum, dropped, logBuf.String())
	}
}
