package publish

import (
	"context"
	"errors"
	"fmt"
	"sync"
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
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	const n = 20
	for i := range n {
		if _, err := o.Enqueue([]byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(fc.snapshot()) < n && time.Now().Before(deadline) {
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
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for gc.inFlight() < window && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := gc.inFlight(); got != window {
		t.Fatalf("%d publishes in flight, want the window's %d", got, window)
	}
	close(gc.release)
	for o.Stats().Depth > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
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
