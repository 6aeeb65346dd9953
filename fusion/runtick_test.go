package fusion

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

// slowHealthStore is a Recorder whose WriteHealth takes pause, as a
// message that takes long to handle (a locate under load) does, and which
// notes how many health reports it had written when each detection
// record was written.
type slowHealthStore struct {
	storetest.Recorder
	pause time.Duration

	mu        sync.Mutex
	health    int
	writtenAt map[string]int // detection ID: health reports written before it
}

func (s *slowHealthStore) WriteHealth(_ context.Context, recs []event.Health) error {
	time.Sleep(s.pause)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.health += len(recs)
	return nil
}

func (s *slowHealthStore) WriteDetections(ctx context.Context, recs []store.DetectionRecord) error {
	s.mu.Lock()
	for _, r := range recs {
		if _, ok := s.writtenAt[r.ID]; !ok {
			s.writtenAt[r.ID] = s.health
		}
	}
	s.mu.Unlock()
	return s.Recorder.WriteDetections(ctx, recs)
}

// TestRunTicksWhileDrainingBacklog queues a backlog behind an open group,
// as a persistent session's after a fusion restart: detection d1, then 80
// messages that take 5 ms each to handle. When d1's group is due to close
// (AssocWindow after its arrival) Run handles what has arrived before
// closing it, and its ticks must go on meanwhile: d1, stamped 80 ms ahead
// of its arrival, is closed by a tick once its window has passed by its
// own time and written then, not after the whole backlog. Handling every
// queued message first held the store writes and alert timers for the
// backlog's length: 20 s under load in deploy/faults TestFusionRestart
// ("fusion processed 78 of 511 detections, nothing new for 20 s; fusion's
// handler received 511").
func TestRunTicksWhileDrainingBacklog(t *testing.T) {
	const backlog = 80
	ts := &slowHealthStore{pause: 5 * time.Millisecond, writtenAt: map[string]int{}}
	e, err := New(Config{TickEvery: time.Millisecond, AssocWindow: 100 * time.Millisecond},
		Deps{Site: wing(t), TimeSeries: ts, Clock: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	sub := &fakeSub{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, sub) }()
	h := waitHandler(t, sub)
	d1 := detMsg(t, testDet("d1", "s1", time.Now().Add(80*time.Millisecond), -60), "s1")
	h(d1.Topic, d1.Payload)
	for range backlog {
		b, err := event.Encode(event.Health{Schema: 1, Site: "hmp-test", Sensor: "s1", TimeNS: time.Now().UnixNano(), State: "ok", Version: "1"})
		if err != nil {
			t.Fatal(err)
		}
		h(event.SensorTopic("hmp-test", "s1", event.KindHealth), b)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		ts.mu.Lock()
		n := ts.health
		ts.mu.Unlock()
		if n == backlog {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d health reports written", n, backlog)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	at, ok := ts.writtenAt["d1"]
	if !ok {
		t.Fatal("d1 never written")
	}
	// d1's window ends by its stamp 180 ms after it arrived: about 36
	// messages into the backlog, fewer on a slow machine.
	if at >= backlog*3/4 {
		t.Errorf("d1 written after %d of the %d queued messages: the ticks waited for the backlog", at, backlog)
	}
}

// TestRunStopsWhileDrainingBacklog: fusion told to stop (SIGTERM) while
// its group closer handles a backlog stops at the next message, leaving
// the rest unacknowledged for the broker to deliver again, instead of
// handling all of it first (a full queue of 4096 at 16 ms each held the
// stop for over a minute, past systemd's stop timeout).
func TestRunStopsWhileDrainingBacklog(t *testing.T) {
	const backlog, stopAt = 200, 40
	ts := &slowHealthStore{pause: 5 * time.Millisecond, writtenAt: map[string]int{}}
	e, err := New(Config{AssocWindow: 100 * time.Millisecond}, Deps{Site: wing(t), TimeSeries: ts, Clock: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	sub := &fakeSub{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, sub) }()
	h := waitHandler(t, sub)
	d1 := detMsg(t, testDet("d1", "s1", time.Now(), -60), "s1")
	h(d1.Topic, d1.Payload) // its group's window ends after about 20 messages: the closer then drains the rest
	for range backlog {
		b, err := event.Encode(event.Health{Schema: 1, Site: "hmp-test", Sensor: "s1", TimeNS: time.Now().UnixNano(), State: "ok", Version: "1"})
		if err != nil {
			t.Fatal(err)
		}
		h(event.SensorTopic("hmp-test", "s1", event.KindHealth), b)
	}
	written := func() int { ts.mu.Lock(); defer ts.mu.Unlock(); return ts.health }
	for deadline := time.Now().Add(30 * time.Second); written() < stopAt; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d health reports written", written(), backlog)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := written(); n > backlog/2 {
		t.Errorf("%d of %d queued messages handled after the stop at %d: the stop waited for the backlog", n, backlog, stopAt)
	}
}
