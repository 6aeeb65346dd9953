package fusion

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/alert"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

func wing(t testing.TB) *site.Site {
	t.Helper()
	s, err := site.LoadFile("../testdata/sites/wing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func detMsg(t testing.TB, d event.Detection, topicSensor string) Message {
	t.Helper()
	b, err := event.Encode(d)
	if err != nil {
		t.Fatal(err)
	}
	return Message{Topic: event.SensorTopic(d.Site, topicSensor, event.KindDetection), Payload: b}
}

func testDet(id, sensor string, at time.Time, powerDBm float64) event.Detection {
	return event.Detection{Schema: 1, ID: id, Site: "hmp-test", Sensor: sensor, TimeNS: at.UnixNano(),
		CenterHz: 1.75e9, BandwidthHz: 5e6, PowerDBm: powerDBm, SNRDB: 20, Link: event.LinkUplink, Class: event.ClassLTE, Confidence: 0.9, Band: "b3"}
}

func TestHandleRejects(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	e, err := New(Config{}, Deps{Site: wing(t), Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	good := testDet("a1", "s1", now, -60)
	tests := []struct {
		name   string
		msg    Message
		reason string
	}{
		{"bad topic", Message{Topic: "rfw/v1/hmp-test/nope", Payload: []byte("{}")}, "topic"},
		{"other site", Message{Topic: event.SensorTopic("elsewhere", "s1", event.KindDetection), Payload: detMsg(t, good, "s1").Payload}, "site"},
		{"unknown sensor", Message{Topic: event.SensorTopic("hmp-test", "s99", event.KindDetection), Payload: []byte("{}")}, "sensor"},
		{"bad json", Message{Topic: event.SensorTopic("hmp-test", "s1", event.KindDetection), Payload: []byte("{")}, "decode"},
		{"sensor mismatch", detMsg(t, good, "s2"), "mismatch"},
		{"bad status", Message{Topic: event.SensorTopic("hmp-test", "s1", event.KindStatus), Payload: []byte("maybe")}, "decode"},
		// a count below zero is refused by the decoder, as any bad payload
		{"negative health count", Message{Topic: event.SensorTopic("hmp-test", "s1", event.KindHealth),
			Payload: []byte(`{"schema":1,"site":"hmp-test","sensor":"s1","time_ns":1800000000000000000,"state":"ok","dropped_samples":0,` +
				`"overload_count":0,"usb_errors":0,"outbox_depth":-5,"outbox_dropped":0,"clock_offset_s":0,"version":"1"}`)}, "decode"},
		// not UTF-8: encoding/json made it U+FFFD, and another ID then decoded alike
		{"detection not UTF-8", Message{Topic: event.SensorTopic("hmp-test", "s1", event.KindDetection),
			Payload: []byte(strings.Replace(string(detMsg(t, good, "s1").Payload), `"a1"`, "\"ab\xff\xfe\"", 1))}, "decode"},
		// a repeated key: the last value was decoded, a repeated sensor judged on the second
		{"detection key twice", Message{Topic: event.SensorTopic("hmp-test", "s1", event.KindDetection),
			Payload: []byte(strings.Replace(string(detMsg(t, good, "s1").Payload), `"id":"a1"`, `"id":"dupkey","id":"dupkey2"`, 1))}, "decode"},
		// a band key of NUL and dots, stored and shown until 2026-12-08
		{"health band key", Message{Topic: event.SensorTopic("hmp-test", "s1", event.KindHealth),
			Payload: []byte(`{"schema":1,"site":"hmp-test","sensor":"s1","time_ns":1800000000000000000,"state":"ok","noise_floor_dbm":{"\u0000../x":-95},` +
				`"dropped_samples":0,"overload_count":0,"usb_errors":0,"outbox_depth":0,"outbox_dropped":0,"clock_offset_s":0,"version":"1"}`)}, "decode"},
		{"bad kind", Message{Topic: event.SensorTopic("hmp-test", "s1", "weather"), Payload: nil}, "kind"},
		{"bad ack", Message{Topic: event.AckTopic("hmp-test"), Payload: []byte(`{"schema":1,"site":"hmp-test","alert":"a1","by":"","ack_ns":1}`)}, "decode"},
		{"ack of another site", Message{Topic: event.AckTopic("hmp-test"), Payload: []byte(`{"schema":1,"site":"elsewhere","alert":"a1","by":"u","ack_ns":1}`)}, "mismatch"},
		{"ack on another site's topic", Message{Topic: event.AckTopic("elsewhere"), Payload: []byte(`{"schema":1,"site":"elsewhere","alert":"a1","by":"u","ack_ns":1}`)}, "topic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := testutil.ToFloat64(e.met.deadLetter.WithLabelValues(tt.reason))
			err := e.Handle(context.Background(), tt.msg)
			if !errors.Is(err, ErrRejected) {
				t.Fatalf("got %v, want ErrRejected", err)
			}
			if got := testutil.ToFloat64(e.met.deadLetter.WithLabelValues(tt.reason)); got != before+1 {
				t.Errorf("dead letters[%s]: got %v, want %v", tt.reason, got, before+1)
			}
		})
	}
	if err := e.Handle(context.Background(), detMsg(t, good, "s1")); err != nil {
		t.Fatalf("good message: %v", err)
	}
	// an acknowledgement of an alert fusion does not hold: nothing to publish
	ack := Message{Topic: event.AckTopic("hmp-test"), Payload: []byte(`{"schema":1,"site":"hmp-test","alert":"gone","by":"u","ack_ns":1}`)}
	if err := e.Handle(context.Background(), ack); err != nil || testutil.ToFloat64(e.met.acks.WithLabelValues("known")) != 1 {
		t.Errorf("ack of an alert not held: %v, acks known %v", err, testutil.ToFloat64(e.met.acks.WithLabelValues("known")))
	}
}

func TestSeenPersistsAcrossRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seen")
	now := time.Unix(1_800_000_000, 0)
	ctx := context.Background()
	clock := func() time.Time { return now }
	e1, err := New(Config{SeenFile: path}, Deps{Site: wing(t), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := e1.HandleDetection(ctx, testDet(fmt.Sprint("id", i), "s1", now, -60)); err != nil {
			t.Fatal(err)
		}
	}
	if err := e1.Close(ctx); err != nil {
		t.Fatal(err)
	}
	e2, err := New(Config{SeenFile: path}, Deps{Site: wing(t), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if err := e2.HandleDetection(ctx, testDet(fmt.Sprint("id", i), "s1", now, -60)); err != nil {
			t.Fatal(err)
		}
	}
	if got := testutil.ToFloat64(e2.met.detections); got != 1 {
		t.Errorf("after restart: %v new detections, want 1", got)
	}
	if got := testutil.ToFloat64(e2.met.duplicates); got != 3 {
		t.Errorf("after restart: %v duplicates, want 3", got)
	}
}

func TestSeenSetEvicts(t *testing.T) {
	s := newSeenSet(2)
	for _, id := range []string{"a", "b", "c"} {
		if !s.add("s1", id) {
			t.Fatalf("%s not new", id)
		}
	}
	if s.add("s1", "b") || s.add("s1", "c") {
		t.Error("recent IDs reported new")
	}
	if !s.add("s1", "a") {
		t.Error("evicted ID a not reported new")
	}
}

// fakeSub records Run's subscriptions; handler is the last one's (Run
// hands every topic to one queue).
type fakeSub struct {
	mu      sync.Mutex
	handler func(string, []byte)
	topics  []string
}

func (f *fakeSub) Subscribe(topic string, _ byte, h func(string, []byte)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.topics, f.handler = append(f.topics, topic), h
	return nil
}

func TestRunSubscribesAndStores(t *testing.T) {
	s := wing(t)
	ts := &storetest.Recorder{}
	now := time.Unix(1_800_000_000, 0)
	// The clock stays inside the detections' association window until Run
	// has taken all of them in, then moves past it: with the clock past it
	// from the start, a tick under load could close the group after five
	// of the seven ("stored 5 detections, want 7").
	var clockNS atomic.Int64
	clockNS.Store(now.UnixNano())
	clock := func() time.Time { return time.Unix(0, clockNS.Load()) }
	e, err := New(Config{TickEvery: 10 * time.Millisecond}, Deps{Site: s, TimeSeries: ts, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	sub := &fakeSub{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, sub) }()
	h := waitHandler(t, sub)
	deadline := time.Now().Add(5 * time.Second)
	sub.mu.Lock()
	want := []string{"rfw/v1/" + s.ID + "/sensor/+/+", "rfw/v1/" + s.ID + "/ack"}
	if !slices.Equal(sub.topics, want) {
		t.Errorf("subscribed to %q, want %q (the site's own topics)", sub.topics, want)
	}
	sub.mu.Unlock()
	p := site.Point{X: 12, Y: 9}
	for _, sn := range s.Sensors {
		pw, _ := e.Locator().PredictDBm(sn.ID, "g", p, 10-e.Locator().RefLossDB(1.75e9)) // 10 dBm EIRP
		m := detMsg(t, testDet("r-"+sn.ID, sn.ID, now, pw), sn.ID)
		h(m.Topic, m.Payload)
	}
	for testutil.ToFloat64(e.met.detections) < float64(len(s.Sensors)) { // h queues; Run takes them in
		if time.Now().After(deadline) {
			t.Fatal("detections not taken in")
		}
		time.Sleep(5 * time.Millisecond)
	}
	clockNS.Store(now.Add(time.Second).UnixNano())
	for {
		ts.Mu.Lock()
		n := len(ts.Locs)
		ts.Mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no location stored")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ts.Mu.Lock()
	defer ts.Mu.Unlock()
	if got := ts.Locs[0].Room; got != "B2-11" {
		t.Errorf("stored room %q, want B2-11", got)
	}
	if len(ts.Dets) != len(s.Sensors) {
		t.Errorf("stored %d detections, want %d", len(ts.Dets), len(s.Sensors))
	}
}

// BenchmarkEngine feeds detections of a few phones, each heard by every
// sensor, through Handle (JSON decode included) with fake stores.
func BenchmarkEngine(b *testing.B) {
	for _, every := range []time.Duration{0, time.Second} {
		b.Run(fmt.Sprintf("LocateEvery=%v", every), func(b *testing.B) { benchEngine(b, every) })
	}
}

func benchEngine(b *testing.B, locateEvery time.Duration) {
	s := wing(b)
	now := time.Unix(1_800_000_000, 0)
	e, err := New(Config{LocateEvery: locateEvery, SeenIDs: 1 << 16}, Deps{Site: s, TimeSeries: &storetest.Recorder{}, Clock: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	phones := []site.Point{{X: 2, Y: 2}, {X: 12, Y: 9}, {X: 22, Y: 2}, {X: 32, Y: 9}}
	var msgs []Message
	// IDs as sensors make them (SENSOR-BOOT-START-SEQ), so the loss tracker reads each
	seq := map[string]int{}
	for k := range 200 { // 200 rounds, one emission per phone per 100 ms
		at := now.Add(time.Duration(k) * 100 * time.Millisecond)
		for pi, p := range phones {
			for _, sn := range s.Sensors {
				pw, _ := e.Locator().PredictDBm(sn.ID, "g", p, 10-e.Locator().RefLossDB(1.71e9+float64(pi)*50e6)) // 10 dBm EIRP
				seq[sn.ID]++
				d := testDet(fmt.Sprintf("%s-0123456789ab-%d-%d", sn.ID, k*100+pi, seq[sn.ID]), sn.ID, at, pw)
				d.CenterHz = 1.71e9 + float64(pi)*50e6
				msgs = append(msgs, detMsg(b, d, sn.ID))
			}
		}
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b)()
	n := 0
	for i := 0; i < b.N; i++ {
		if err := e.Handle(ctx, msgs[i%len(msgs)]); err != nil {
			b.Fatal(err)
		}
		n++
		if i%len(msgs) == len(msgs)-1 {
			b.StopTimer()
			e.seen = newSeenSet(1 << 16) // replay the same messages as new
			e.assoc.open = nil
			e.tracker.tracks = nil
			e.losses = lossTracker{}
			b.StartTimer()
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "detections/s")
}

// TestRunQueueFullPushesBack: with an ingest queue of 2 and 200 messages
// delivered at once from concurrent handlers (as paho does), every message is
// handled; none is dropped.
func TestRunQueueFullPushesBack(t *testing.T) {
	s := wing(t)
	ts := &storetest.Recorder{}
	now := time.Unix(1_800_000_000, 0)
	e, err := New(Config{Queue: 2, BatchSize: 1}, Deps{Site: s, TimeSeries: ts, Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	sub := &fakeSub{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, sub) }()
	h := waitHandler(t, sub)
	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		// In the past: MaxAhead, and fusion's clock, which stands still,
		// closes each group at the next tick (the newest, a window from
		// it, would wait for it to move on).
		m := detMsg(t, testDet(fmt.Sprintf("q-%d", i), "s1", now.Add(-time.Duration(i+1)*time.Minute), -70), "s1")
		wg.Go(func() { h(m.Topic, m.Payload) })
	}
	wg.Wait()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		ts.Mu.Lock()
		got := len(ts.Dets)
		ts.Mu.Unlock()
		if got == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stored %d of %d detections", got, n)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestAckOfUnknownAlertIsDeadLetter: with a store, an acknowledgement
// announced for an alert neither fusion nor the store holds (forged,
// mistyped) is a dead letter, reason ack; it was taken without a word.
func TestAckOfUnknownAlertIsDeadLetter(t *testing.T) {
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfw.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e, err := New(Config{}, Deps{Site: wing(t), AlertStore: db, Clock: func() time.Time { return time.Unix(1_800_000_000, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	ack := Message{Topic: event.AckTopic("hmp-test"), Payload: []byte(`{"schema":1,"site":"hmp-test","alert":"ar-17","by":"u","ack_ns":1}`)}
	err = e.Handle(context.Background(), ack)
	if !errors.Is(err, ErrRejected) || !errors.Is(err, alert.ErrAckUnknown) || testutil.ToFloat64(e.met.deadLetter.WithLabelValues("ack")) != 1 {
		t.Errorf("ack of an alert nobody holds: %v, dead letters (ack) %v; want rejected as ack", err, testutil.ToFloat64(e.met.deadLetter.WithLabelValues("ack")))
	}
}
