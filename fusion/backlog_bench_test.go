package fusion

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

// BenchmarkBacklogWaiting measures what a message waiting for fusion
// costs: 10,000 detections delivered (a goroutine each, as paho's router
// starts with SetOrderMatters(false)) while Run is stuck acknowledging
// the first, so all but a queue's worth wait behind a full ingest queue.
// It reports the heap and goroutine stacks they hold beyond their payloads
// (made before the baseline: paho has them either way) per waiting
// message, and the goroutines left per waiting message (docs/scaling.md).
func BenchmarkBacklogWaiting(b *testing.B) {
	const n = 10_000
	s := wing(b)
	now := time.Unix(1_800_000_000, 0)
	msgs := make([]Message, n)
	for i := range msgs {
		msgs[i] = detMsg(b, testDet(fmt.Sprintf("bw-%d", i), "s1", now.Add(-time.Duration(i)*time.Second), -70), "s1")
	}
	var heap, stack, goroutines float64
	runs := 0
	for b.Loop() {
		e, err := New(Config{}, Deps{Site: s, TimeSeries: &storetest.Recorder{}, Clock: func() time.Time { return now }})
		if err != nil {
			b.Fatal(err)
		}
		sub := &ackSub{}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- e.Run(ctx, sub) }()
		settle(b, "the subscriptions", func() bool { sub.mu.Lock(); defer sub.mu.Unlock(); return sub.n == 2 })
		release := make(chan struct{})
		ack := func() { <-release } // Run stuck on its first message
		before, g0 := inUse()
		for i := range msgs {
			go sub.handler(msgs[i].Topic, msgs[i].Payload, ack)
		}
		settle(b, "the backlog", func() bool { return e.Backlog() == n })
		// the handlers that return (or block) do so after counting theirs
		for g, same := runtime.NumGoroutine(), 0; same < 5; time.Sleep(2 * time.Millisecond) {
			if h := runtime.NumGoroutine(); h == g {
				same++
			} else {
				g, same = h, 0
			}
		}
		after, g1 := inUse()
		heap += float64(after.HeapAlloc-before.HeapAlloc) / n
		stack += float64(after.StackInuse-before.StackInuse) / n
		goroutines += float64(g1-g0) / n
		runs++
		cancel()
		close(release)
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((heap+stack)/float64(runs), "B/waiting-msg")
	b.ReportMetric(heap/float64(runs), "heap-B/waiting-msg")
	b.ReportMetric(stack/float64(runs), "stack-B/waiting-msg")
	b.ReportMetric(goroutines/float64(runs), "goroutines/waiting-msg")
}

// inUse returns the live heap and goroutine stacks after a collection,
// and the number of goroutines.
func inUse() (inUseBytes, int) {
	runtime.GC()
	runtime.GC() // and what sync.Pool kept through the first
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return inUseBytes{int64(m.HeapAlloc), int64(m.StackInuse)}, runtime.NumGoroutine()
}

type inUseBytes struct{ HeapAlloc, StackInuse int64 }

// settle waits up to 30 s for cond.
func settle(b *testing.B, what string, cond func() bool) {
	b.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("timed out waiting for %s", what)
		}
	}
}
