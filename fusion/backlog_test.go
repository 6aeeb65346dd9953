package fusion

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

// ackSub is an AckSubscriber whose handler Run registers for its site
// topic is kept for the test.
type ackSub struct {
	mu      sync.Mutex
	handler func(string, []byte, func())
	n       int
}

func (a *ackSub) SubscribeAck(topic string, _ byte, h func(string, []byte, func())) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.handler == nil {
		a.handler = h
	}
	a.n++
	return nil
}

func (a *ackSub) Subscribe(string, byte, func(string, []byte)) error {
	return fmt.Errorf("ackSub: Run should use SubscribeAck")
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestRunBacklogCountsWaitingMessages (soak test 2026-12-06: a demo
// fallen behind held 9,906 handler goroutines and nothing showed it):
// with fusion stuck on a message, Backlog and rfw_fusion_backlog_messages
// count every message received and not handled — the one in hand, the
// ingest queue's and the handlers waiting for room — and go back to 0
// once they are handled.
func TestRunBacklogCountsWaitingMessages(t *testing.T) {
	for _, tc := range []struct {
		name  string
		queue int
		n     int
	}{
		{"queue of 2, most waiting in handlers", 2, 50},
		{"everything fits the queue", 64, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := wing(t)
			now := time.Unix(1_800_000_000, 0)
			reg := prometheus.NewRegistry()
			e, err := New(Config{Queue: tc.queue}, Deps{Site: s, TimeSeries: &storetest.Recorder{}, Clock: func() time.Time { return now }, Registerer: reg})
			if err != nil {
				t.Fatal(err)
			}
			sub := &ackSub{}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- e.Run(ctx, sub) }()
			waitFor(t, "the subscriptions", func() bool { sub.mu.Lock(); defer sub.mu.Unlock(); return sub.n == 2 })
			release := make(chan struct{})
			var acked sync.WaitGroup
			acked.Add(tc.n)
			ack := func() { <-release; acked.Done() } // fusion stuck on its first message
			var delivered sync.WaitGroup
			for i := range tc.n {
				m := detMsg(t, testDet(fmt.Sprintf("bl-%d", i), "s1", now.Add(-time.Duration(i)*time.Minute), -70), "s1")
				delivered.Go(func() { sub.handler(m.Topic, m.Payload, ack) }) // a goroutine per message, as paho's
			}
			waitFor(t, fmt.Sprintf("a backlog of %d (have %d)", tc.n, e.Backlog()), func() bool { return e.Backlog() == int64(tc.n) })
			if got := testutil.ToFloat64(e.met.backlogGauge); got != float64(tc.n) {
				t.Errorf("rfw_fusion_backlog_messages %v, want %d", got, tc.n)
			}
			if err := testutil.GatherAndCompare(reg, strings.NewReader(fmt.Sprintf(`# HELP rfw_fusion_backlog_messages Messages received and not yet handled (the ingest queue, handlers waiting for room in it, the one in hand), all unacknowledged; /healthz is degraded past 8192 (fusion.BacklogDegraded).
# TYPE rfw_fusion_backlog_messages gauge
rfw_fusion_backlog_messages %d
`, tc.n)), "rfw_fusion_backlog_messages"); err != nil {
				t.Error(err)
			}
			close(release)
			acked.Wait()
			delivered.Wait()
			waitFor(t, fmt.Sprintf("the backlog handled (have %d)", e.Backlog()), func() bool { return e.Backlog() == 0 })
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}
