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

func TestSenderRetriesInOrder(t *testing.T) {
	o, err := Open(t.TempDir(), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	fc := &fakeClient{failN: 3}
	s := &Sender{Outbox: o, Client: fc, Topic: "t", RetryDur: time.Millisecond}
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
