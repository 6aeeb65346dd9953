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
// ingest queue's and those waiting behind it — and go back to 0
// once they are handled.
func TestRunBacklogCountsWaitingMessages(t *testing.T) {
	for _, tc := range []struct {
		name  string
		queue int
		n     int
	}{
		{"queue of 2, most waiting behind it", 2, 50},
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
			if err := testutil.GatherAndCompare(reg, strings.NewReader(fmt.Sprintf(`# HELP rfw_fusion_backlog_messages Messages received and not yet handled (the ingest queue, those waiting behind it, the one in hand), all unacknowledged; /healthz is degraded past 8192 (fusion.BacklogDegraded).
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

// TestRunHandlerReturnsWhileBehind: with fusion stuck on a message and a
// queue of 2, the subscription handler of each of 50 more returns at
// once (it waited for room in the queue, a paho goroutine and its stack
// each, 9,906 of them in a soak) and acknowledges nothing. Once fusion
// goes on, each is handled and acknowledged in arrival order; stopped
// instead, fusion acknowledges none of them (the broker delivers them
// again), its backlog goes back to 0, and a message arriving after Run
// has returned is neither counted nor acknowledged.
func TestRunHandlerReturnsWhileBehind(t *testing.T) {
	const n = 50
	for _, tc := range []struct {
		name      string
		stop      bool
		wantAcked int
	}{
		{"fusion goes on", false, n + 1},
		{"fusion stops", true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Unix(1_800_000_000, 0)
			e, err := New(Config{Queue: 2}, Deps{Site: wing(t), TimeSeries: &storetest.Recorder{}, Clock: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			sub := &ackSub{}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- e.Run(ctx, sub) }()
			waitFor(t, "the subscriptions", func() bool { sub.mu.Lock(); defer sub.mu.Unlock(); return sub.n == 2 })
			release := make(chan struct{})
			var mu sync.Mutex
			var acked []int
			ackOf := func(i int) func() {
				return func() {
					if i == 0 {
						<-release // fusion stuck on its first message
					}
					mu.Lock()
					defer mu.Unlock()
					acked = append(acked, i)
				}
			}
			msg := func(i int) Message {
				return detMsg(t, testDet(fmt.Sprintf("rb-%d", i), "s1", now.Add(-time.Duration(i)*time.Minute), -70), "s1")
			}
			m0 := msg(0)
			sub.handler(m0.Topic, m0.Payload, ackOf(0))
			waitFor(t, "fusion stuck on the first message", func() bool { return e.Backlog() == 1 })
			for i := 1; i <= n; i++ {
				m := msg(i)
				returned := make(chan struct{})
				go func() { sub.handler(m.Topic, m.Payload, ackOf(i)); close(returned) }()
				select {
				case <-returned:
				case <-time.After(10 * time.Second):
					t.Fatalf("the handler of message %d still waits for fusion (%d in the backlog)", i, e.Backlog())
				}
			}
			if got := e.Backlog(); got != n+1 {
				t.Errorf("backlog %d, want %d", got, n+1)
			}
			mu.Lock()
			if len(acked) != 0 {
				t.Errorf("acknowledged %v before fusion handled them", acked)
			}
			mu.Unlock()
			if tc.stop {
				cancel()
			}
			close(release)
			if tc.stop {
				if err := <-done; err != nil {
					t.Fatal(err)
				}
				late := msg(n + 1)
				sub.handler(late.Topic, late.Payload, ackOf(n+1))
			} else {
				waitFor(t, "the backlog handled", func() bool { return e.Backlog() == 0 })
			}
			if got := e.Backlog(); got != 0 {
				t.Errorf("backlog %d after %s, want 0", got, tc.name)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(acked) != tc.wantAcked {
				t.Fatalf("%d acknowledged, want %d: %v", len(acked), tc.wantAcked, acked)
			}
			for i, got := range acked {
				if got != i {
					t.Fatalf("acknowledged in the order %v, want arrival order", acked)
				}
			}
			if !tc.stop {
				cancel()
				if err := <-done; err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestInboxKeepsArrivalOrder pushes and pops in bursts, across the
// list's compaction (1024 taken and half of it), and checks every
// message comes out once, in the order it went in, with Run's token in
// ready exactly while messages wait.
func TestInboxKeepsArrivalOrder(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []int // > 0: push that many; < 0: pop that many
	}{
		{"one at a time", []int{1, -1, 1, -1}},
		{"a backlog drained", []int{10_000, -10_000}},
		{"drained while it grows", []int{3000, -2000, 3000, -2500, 5000, -6500}},
		{"popped past empty", []int{3, -5, 2, -2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newInbox()
			in, out := 0, 0
			for _, s := range tc.steps {
				for range s {
					waiting, ok := b.push(queued{msg: Message{Topic: fmt.Sprint(in)}, ack: noAck})
					if !ok || waiting != in-out {
						t.Fatalf("push %d: %d waiting, %v; want %d, true", in, waiting, ok, in-out)
					}
					in++
				}
				for range -s {
					q, ok := b.pop()
					if out == in {
						if ok {
							t.Fatalf("pop from an empty inbox gave %q", q.msg.Topic)
						}
						continue
					}
					if !ok || q.msg.Topic != fmt.Sprint(out) {
						t.Fatalf("pop %d: %q, %v", out, q.msg.Topic, ok)
					}
					out++
				}
				if got := b.len(); got != in-out {
					t.Fatalf("len %d, want %d", got, in-out)
				}
				if token := len(b.ready) == 1; token != (in > out) {
					t.Fatalf("token in ready %v with %d waiting", token, in-out)
				}
			}
			if got := b.close(); got != in-out {
				t.Errorf("close: %d forgotten, want %d", got, in-out)
			}
			if _, ok := b.push(queued{ack: noAck}); ok {
				t.Error("push after close taken")
			}
			if _, ok := b.pop(); ok {
				t.Error("pop after close gave a message")
			}
		})
	}
}
