package fusion

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// TestCloseStoresDetectionsStampedAhead: Close (SIGTERM) stores every
// detection Handle accepted. One stamped a little ahead of fusion's clock
// (a sensor whose clock runs fast) was left in its open group by Close's
// Tick a window ahead, then its ID was saved as seen: lost.
func TestCloseStoresDetectionsStampedAhead(t *testing.T) {
	for _, ahead := range []time.Duration{0, time.Nanosecond, 300 * time.Millisecond, 900 * time.Millisecond, 3 * time.Second} {
		t.Run(fmt.Sprint(ahead, " ahead"), func(t *testing.T) {
			now := time.Unix(1_800_000_000, 0)
			ts := &storetest.Recorder{}
			e, err := New(Config{SeenFile: filepath.Join(t.TempDir(), "seen")}, Deps{Site: wing(t), TimeSeries: ts, Clock: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if err := e.HandleDetection(ctx, testDet("ahead-1", "s1", now.Add(ahead), -60)); err != nil {
				t.Fatal(err)
			}
			if err := e.Close(ctx); err != nil {
				t.Fatal(err)
			}
			ts.Mu.Lock()
			defer ts.Mu.Unlock()
			if len(ts.Dets) != 1 {
				t.Errorf("stored %d detections at Close, want 1", len(ts.Dets))
			}
		})
	}
}

// failingTS fails the first fail writes of detections, then records them.
type failingTS struct {
	storetest.Recorder
	fail int
}

func (f *failingTS) WriteDetections(ctx context.Context, recs []store.DetectionRecord) error {
	f.Mu.Lock()
	if f.fail > 0 {
		f.fail--
		f.Mu.Unlock()
		return errors.New("database is locked")
	}
	f.Mu.Unlock()
	return f.Recorder.WriteDetections(ctx, recs)
}

// TestFlushKeepsDetectionsOnWriteError: a write that fails (the database
// locked past its busy timeout, a full disk) keeps its detections for the
// next flush; they were thrown away, after being acknowledged.
func TestFlushKeepsDetectionsOnWriteError(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	ts := &failingTS{fail: 2}
	e, err := New(Config{}, Deps{Site: wing(t), TimeSeries: ts, Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := e.HandleDetection(ctx, testDet("keep-1", "s1", now.Add(-time.Second), -60)); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := e.Tick(ctx, now.Add(time.Duration(i)*time.Second)); err == nil {
			t.Fatalf("write %d did not fail", i+1)
		}
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	ts.Mu.Lock()
	defer ts.Mu.Unlock()
	if len(ts.Dets) != 1 || ts.Dets[0].ID != "keep-1" {
		t.Errorf("stored %+v after two failed writes and a good one, want keep-1", ts.Dets)
	}
	if n := testutil.ToFloat64(e.met.storeDropped.WithLabelValues("detections")); n != 0 {
		t.Errorf("%v detections counted as dropped, want 0", n)
	}
}

// TestIDWithNewlineRejected: the seen file keeps one ID a line; an ID with
// a newline came back from it as two other IDs after a restart, and a new
// detection with one of them was dropped as a duplicate. IDs must be
// printable: such a detection is a dead letter.
func TestIDWithNewlineRejected(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	e, err := New(Config{}, Deps{Site: wing(t), TimeSeries: &storetest.Recorder{}, Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	m := detMsg(t, testDet("s2-odd", "s2", now, -60), "s2")
	m.Payload = bytes.Replace(m.Payload, []byte(`"id":"s2-odd"`), []byte(`"id":"s2-odd\ns1-boot-100-7"`), 1)
	if err := e.Handle(context.Background(), m); !errors.Is(err, ErrRejected) {
		t.Errorf("detection with a newline in its ID: %v, want rejected", err)
	}
	if n := testutil.ToFloat64(e.met.detections); n != 0 {
		t.Errorf("%v detections accepted, want 0", n)
	}
}

// TestRecentDetsBoundedAfterFutureStamp: the detections kept for borrowing
// stay bounded by the window. One stamped 50 years ahead (a sensor clock
// set wrong) sat at the front of its class's list and stopped the
// pruning: every later detection of the class was kept.
func TestRecentDetsBoundedAfterFutureStamp(t *testing.T) {
	for _, future := range []bool{false, true} {
		t.Run(fmt.Sprint("future ", future), func(t *testing.T) {
			now := time.Unix(1_800_000_000, 0)
			e, err := New(Config{}, Deps{Site: wing(t), TimeSeries: &storetest.Recorder{}, Clock: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if future {
				if err := e.HandleDetection(ctx, testDet("future", "s2", now.Add(50*365*24*time.Hour), -60)); err != nil {
					t.Fatal(err)
				}
			}
			for i := range 3000 {
				if err := e.HandleDetection(ctx, testDet(fmt.Sprint("d-", i), "s1", now.Add(time.Duration(i)*time.Second), -60)); err != nil {
					t.Fatal(err)
				}
			}
			e.mu.Lock()
			kept := len(e.recent.by[event.ClassLTE])
			e.mu.Unlock()
			if kept > 10 {
				t.Errorf("%d detections kept for borrowing after 3000 a second apart, want a window's few (%v)", kept, e.cfg.BorrowWindow)
			}
		})
	}
}

// fakeMsg is a paho message.
type fakeMsg struct{ topic, payload string }

func (m fakeMsg) Duplicate() bool   { return false }
func (m fakeMsg) Qos() byte         { return 0 }
func (m fakeMsg) Retained() bool    { return false }
func (m fakeMsg) Topic() string     { return m.topic }
func (m fakeMsg) MessageID() uint16 { return 0 }
func (m fakeMsg) Payload() []byte   { return []byte(m.payload) }
func (m fakeMsg) Ack()              {}

// TestResubscriberPendingBounded: messages no subscription takes (an old
// filter a persistent session still holds) were kept for ever; past
// MaxPending the oldest go, logged (once for the first thousand) through
// the Resubscriber's logger, and a subscription made later gets the rest.
func TestResubscriberPendingBounded(t *testing.T) {
	var logs syncbuf.Buffer
	r := &Resubscriber{Log: slog.New(slog.NewTextHandler(&logs, nil))}
	for i := range MaxPending + 5 {
		r.Default(nil, fakeMsg{"old/x", fmt.Sprint(i)})
	}
	got := r.add("old/#", 0, nil)
	if len(got) != MaxPending || string(got[0].Payload()) != "5" || string(got[len(got)-1].Payload()) != fmt.Sprint(MaxPending+4) {
		t.Errorf("a later subscription got %d messages from %q, want %d from 5", len(got), got[0].Payload(), MaxPending)
	}
	if n := strings.Count(logs.String(), "oldest dropped"); n != 1 || !strings.Contains(logs.String(), "dropped=1 ") {
		t.Errorf("logged %d drop warnings, want 1 with dropped=1:\n%s", n, logs.String())
	}
}

// TestLateDetectionsOneAlert: a phone in cell B2-14 is heard every 5 s for
// four minutes, and meanwhile an outbox delivers detections of it captured
// 3 min before. They took its track's last sighting back: the track
// expired and the phone raised a second alert.
func TestLateDetectionsOneAlert(t *testing.T) {
	s, err := site.LoadFile("../testdata/sites/wing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sc := &scenario{t: t, auth: scenarioRegistry(t, s), now: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), rng: rand.New(rand.NewPCG(1, 1)),
		noiseDBmPerMHz: -100, maint: fakeMaintenance{}}
	sc.eng, err = New(Config{NoiseDBmPerMHz: sc.noiseDBmPerMHz, DetectSNRDB: detectSNRDB, ScanBandsHz: scanBandsHz},
		Deps{Site: s, Authorizer: sc.auth, Maintenance: sc.maint, Clock: func() time.Time { return sc.now }})
	if err != nil {
		t.Fatal(err)
	}
	run := func(line string) {
		t.Helper()
		if err := sc.exec(line); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	}
	run("status all online")
	run("emit p1 class=lte x=26 y=10 tx=20")
	var late []Message
	for _, m := range sc.lastMsg {
		d, err := event.DecodeDetection(m.Payload)
		if err != nil {
			t.Fatal(err)
		}
		d.ID += "-late"
		late = append(late, detMsg(t, d, d.Sensor))
	}
	run("emit p1 class=lte x=26 y=10 tx=20 every=5s for=180s")
	for _, m := range late {
		if err := sc.eng.Handle(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	run("emit p1 class=lte x=26 y=10 tx=20 every=5s for=60s")
	all := sc.eng.Alerts().All()
	if len(all) != 1 || all[0].State != event.AlertFiring {
		var got []string
		for _, a := range all {
			got = append(got, a.Track+":"+a.Room+":"+a.State)
		}
		t.Errorf("alerts %v; want one, firing", got)
	}
}

// countingFailTS fails every write of detections and counts the tries.
type countingFailTS struct {
	storetest.Recorder
	tries int
}

func (f *countingFailTS) WriteDetections(context.Context, []store.DetectionRecord) error {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.tries++
	return errors.New("database is locked")
}

// TestFailingStoreTriedPerBatch: while the store fails, the records kept
// are tried again once another batch has come, not on every message (each
// try may wait out a database's busy timeout).
func TestFailingStoreTriedPerBatch(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	ts := &countingFailTS{}
	e, err := New(Config{BatchSize: 4}, Deps{Site: wing(t), TimeSeries: ts, Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 40 {
		_ = e.HandleDetection(ctx, testDet(fmt.Sprint("d-", i), "s1", now.Add(time.Duration(i)*time.Second), -60))
	}
	ts.Mu.Lock()
	defer ts.Mu.Unlock()
	if ts.tries > 12 {
		t.Errorf("%d write tries for 40 detections in batches of 4, want about one a batch", ts.tries)
	}
}
