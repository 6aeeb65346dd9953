package publish

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClient fails the first failN publishes, then records payloads.
type fakeClient struct {
	mu    sync.Mutex
	failN int
	got   []string
}

func (f *fakeClient) Connect(context.Context) error { return nil }
func (f *fakeClient) IsConnected() bool             { return true }
func (f *fakeClient) Disconnect()                   {}
func (f *fakeClient) Publish(_ context.Context, topic string, qos byte, _ bool, p []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failN > 0 {
		f.failN--
		return ErrNotConnected
	}
	if qos != QoS1 || topic != "t" {
		return errors.New("wrong topic or qos")
	}
	f.got = append(f.got, string(p))
	return nil
}

func (f *fakeClient) snapshot() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.got...)
}

// TestSenderRetriesInOrder: one publish at a time (Window 1), records are
// delivered in order, each once, through failures.
func TestSenderRetriesInOrder(t *testing.T) {
	o, err := Open(t.TempDir(), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	fc := &fakeClient{failN: 3}
	s := &Sender{Outbox: o, Client: fc, Topic: "t", RetryDur: time.Millisecond, Window: 1}
	cancel, done := runSender(s)
	const n = 20
	for i := range n {
		if _, err := o.Enqueue([]byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	// Wait for the sender's own account, not the client's: the last
	// record reaches the client before the sender counts it sent and
	// takes it off the outbox, and a cancel in between left it there
	// (sent 19, depth 1; CI, 2026-12-07).
	deadline := time.Now().Add(5 * time.Second)
	for (s.Sent() < n || o.Stats().Depth != 0) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	got := fc.snapshot()
	if len(got) != n {
		t.Fatalf("delivered %d, want %d", len(got), n)
	}
	for i, p := range got {
		if p != fmt.Sprint(i) {
			t.Fatalf("order: got[%d] = %q", i, p)
		}
	}
	if s.Retries() != 3 || s.Sent() != n || o.Stats().Depth != 0 {
		t.Errorf("retries %d sent %d depth %d; want 3, %d, 0", s.Retries(), s.Sent(), o.Stats().Depth, n)
	}
}

// gateClient holds every Publish until released, counting those in
// progress; the first failN fail once released.
type gateClient struct {
	fakeClient
	mu      sync.Mutex
	now     int
	peak    int
	release chan struct{}
}

func (g *gateClient) Publish(ctx context.Context, topic string, qos byte, r bool, p []byte) error {
	g.mu.Lock()
	g.now++
	g.peak = max(g.peak, g.now)
	g.mu.Unlock()
	select {
	case <-g.release:
	case <-ctx.Done():
	}
	g.mu.Lock()
	g.now--
	g.mu.Unlock()
	return g.fakeClient.Publish(ctx, topic, qos, r, p)
}

func (g *gateClient) inFlight() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.now
}

// TestSenderWindow: with a window the sender keeps that many publishes in
// flight at once (so a link's round trip does not cap the rate), and
// through failures every record is still delivered at least once and
// acknowledged in the outbox.
func TestSenderWindow(t *testing.T) {
	o, err := Open(t.TempDir(), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	const n, window = 40, 8
	for i := range n {
		if _, err := o.Enqueue([]byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	gc := &gateClient{fakeClient: fakeClient{failN: 5}, release: make(chan struct{})}
	s := &Sender{Outbox: o, Client: gc, Topic: "t", RetryDur: time.Millisecond, Window: window}
	cancel, done := runSender(s)
	deadline := time.Now().Add(5 * time.Second)
	for gc.inFlight() < window && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := gc.inFlight(); got != window {
		t.Fatalf("%d publishes in flight, want the window's %d", got, window)
	}
	close(gc.release)
	drainThenStop(t, o, cancel, done)
	seen := map[string]bool{}
	for _, p := range gc.snapshot() {
		seen[p] = true
	}
	for i := range n {
		if !seen[fmt.Sprint(i)] {
			t.Errorf("record %d never delivered", i)
		}
	}
	if o.Stats().Depth != 0 || s.Sent() != n || s.Retries() < 5 || gc.peak > window {
		t.Errorf("depth %d sent %d retries %d peak in flight %d; want 0, %d, >= 5, <= %d", o.Stats().Depth, s.Sent(), s.Retries(), gc.peak, n, window)
	}
}

// runSender starts s.Run; cancel stops it, and done receives what it returned.
func runSender(s *Sender) (cancel context.CancelFunc, done <-chan error) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan error, 1)
	go func() { ch <- s.Run(ctx) }()
	return cancel, ch
}

// drainThenStop waits (at most 5 s) for the outbox to empty, then stops
// the sender whose Run reports to done.
func drainThenStop(t *testing.T, o *Outbox, cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); o.Stats().Depth > 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// downClient fails every publish while down is set.
type downClient struct {
	fakeClient
	down atomic.Bool
}

func (c *downClient) Publish(ctx context.Context, topic string, qos byte, r bool, p []byte) error {
	if c.down.Load() {
		return ErrNotConnected
	}
	return c.fakeClient.Publish(ctx, topic, qos, r, p)
}

// TestSenderWindowQuota: records the quota drops while they wait in the
// sender's window (the broker down) are not sent when it comes back; what
// arrives is exactly what the outbox kept.
func TestSenderWindowQuota(t *testing.T) {
	o, err := Open(t.TempDir(), OutboxOptions{QuotaBytes: 8192, SegmentBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	dc := &downClient{}
	dc.down.Store(true)
	s := &Sender{Outbox: o, Client: dc, Topic: "t", RetryDur: time.Millisecond, Window: 8}
	cancel, done := runSender(s)
	const n = 200
	for i := range n {
		if _, err := o.Enqueue(payload(i)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Microsecond) // the sender fills its window meanwhile
	}
	st := o.Stats()
	if st.Dropped == 0 || st.Dropped+st.Depth != n {
		t.Fatalf("outbox before the broker returns: %+v; want some of the %d dropped", st, n)
	}
	dc.down.Store(false)
	drainThenStop(t, o, cancel, done)
	got := map[string]int{}
	for _, p := range dc.snapshot() {
		got[p]++
	}
	for i := range n {
		want := 0
		if int64(i) >= st.Dropped {
			want = 1
		}
		if got[string(payload(i))] != want {
			t.Errorf("record %d delivered %d times, want %d (%d dropped by the quota)", i, got[string(payload(i))], want, st.Dropped)
		}
	}
}

// rttClient answers every publish after a fixed round trip.
type rttClient struct {
	fakeClient
	rtt time.Duration
}

func (c *rttClient) Publish(ctx context.Context, topic string, qos byte, r bool, p []byte) error {
	select {
	case <-time.After(c.rtt):
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// BenchmarkSenderRTT drains 256 detections over a link with a 5 ms round
// trip, one publish at a time and with the default window; det/s is the
// rate the sensor can publish at.
func BenchmarkSenderRTT(b *testing.B) {
	for _, window := range []int{1, DefaultWindow} {
		b.Run(fmt.Sprintf("window=%d", window), func(b *testing.B) {
			const n = 256
			var total time.Duration
			for b.Loop() {
				b.StopTimer()
				o, err := Open(b.TempDir(), OutboxOptions{QuotaBytes: 4 << 20, SegmentBytes: 1 << 20})
				if err != nil {
					b.Fatal(err)
				}
				payload := make([]byte, 500)
				for range n {
					if _, err := o.Enqueue(payload); err != nil {
						b.Fatal(err)
					}
				}
				s := &Sender{Outbox: o, Client: &rttClient{rtt: 5 * time.Millisecond}, Topic: "t", Window: window}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				b.StartTimer()
				t0 := time.Now()
				go func() { done <- s.Run(ctx) }()
				for o.Stats().Depth > 0 {
					time.Sleep(100 * time.Microsecond)
				}
				total += time.Since(t0)
				b.StopTimer()
				cancel()
				<-done
				o.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(n*b.N)/total.Seconds(), "det/s")
		})
	}
}

// slowAckClient is a broker that takes every publish at once and sends its
// PUBACK only after ack (an overloaded broker, a congested link).
type slowAckClient struct {
	fakeClient
	ack time.Duration
}

func (c *slowAckClient) Publish(ctx context.Context, topic string, qos byte, r bool, p []byte) error {
	c.mu.Lock()
	c.got = append(c.got, string(p)) // the broker has it
	c.mu.Unlock()
	select {
	case <-time.After(c.ack):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestSenderSlowBroker: PUBACKs slower than AckTimeout. Sending again at the
// same timeout gave the broker a copy of the window every AckTimeout and
// never moved on (record 0 arrived 37 times in 1.5 s here); the doubled
// timeout delivers all after one more copy.
func TestSenderSlowBroker(t *testing.T) {
	for _, window := range []int{1, 4} {
		t.Run(fmt.Sprint("window ", window), func(t *testing.T) {
			o, err := Open(t.TempDir(), testOpts())
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			const n = 4
			for i := range n {
				if _, err := o.Enqueue([]byte(fmt.Sprint(i))); err != nil {
					t.Fatal(err)
				}
			}
			c := &slowAckClient{ack: 60 * time.Millisecond}
			s := &Sender{Outbox: o, Client: c, Topic: "t", AckTimeout: 40 * time.Millisecond, RetryDur: time.Millisecond, Window: window}
			cancel, done := runSender(s)
			drainThenStop(t, o, cancel, done)
			copies := map[string]int{}
			for _, p := range c.snapshot() {
				copies[p]++
			}
			for i := range n {
				if k := copies[fmt.Sprint(i)]; k < 1 || k > 2 {
					t.Errorf("record %d arrived %d times, want once or twice", i, k)
				}
			}
		})
	}
}

// orderClient is a Starter: it records the order publishes are started in
// (the order they go on the wire) and answers each after a short round
// trip.
type orderClient struct {
	mu  sync.Mutex
	got []string
}

func (c *orderClient) Connect(context.Context) error { return nil }
func (c *orderClient) IsConnected() bool             { return true }
func (c *orderClient) Disconnect()                   {}
func (c *orderClient) Publish(ctx context.Context, topic string, qos byte, r bool, p []byte) error {
	return c.Start(topic, qos, r, p)(ctx)
}

func (c *orderClient) Start(_ string, _ byte, _ bool, p []byte) func(context.Context) error {
	c.mu.Lock()
	c.got = append(c.got, string(p))
	c.mu.Unlock()
	return func(ctx context.Context) error {
		select {
		case <-time.After(time.Millisecond):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// TestSenderWindowOrder: with a Starter the window's publishes go out in
// outbox order. They used to be started from goroutines of their own,
// which reached the client in any order: a quarter of the records went
// out after a later one, with no failure at all.
func TestSenderWindowOrder(t *testing.T) {
	const n = 2000
	o := numberedOutbox(t, n)
	c := &orderClient{}
	cancel, done := runSender(&Sender{Outbox: o, Client: c, Topic: "t"})
	drainThenStop(t, o, cancel, done)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.got) != n {
		t.Fatalf("%d publishes, want %d", len(c.got), n)
	}
	for i, p := range c.got {
		if want := fmt.Sprintf("%05d", i); p != want {
			t.Fatalf("publish %d is %s, want %s", i, p, want)
		}
	}
}

// numberedOutbox is an outbox holding n records "00000", "00001", ... with
// the agent's lazy cursor.
func numberedOutbox(t *testing.T, n int) *Outbox {
	t.Helper()
	o, err := Open(t.TempDir(), OutboxOptions{QuotaBytes: 8 << 20, SegmentBytes: 1 << 20, CursorEvery: 250 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	for i := range n {
		if _, err := o.Enqueue(fmt.Appendf(nil, "%05d", i)); err != nil {
			t.Fatal(err)
		}
	}
	return o
}
