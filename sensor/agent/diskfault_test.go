package agent

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/sensor/publish"
)

// flakyQueue is an outbox whose disk refuses writes while failing is set,
// as a full disk does: a refused write takes the first partial records of
// the batch (those that fitted) and none after them, and never all of it
// (the record that did not fit is refused): a refused write that took a
// whole batch of three left the agent holding none, degraded with no write
// left to learn that the disk had recovered, and the test failed at random.
type flakyQueue struct {
	ob      *publish.Outbox
	partial int

	mu      sync.Mutex
	failing bool
	refused int // writes refused
}

func (q *flakyQueue) EnqueueBatch(payloads [][]byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.failing {
		return q.ob.EnqueueBatch(payloads)
	}
	q.refused++
	n, err := q.ob.EnqueueBatch(payloads[:max(0, min(q.partial, len(payloads)-1))])
	if err != nil {
		return n, err
	}
	return n, fmt.Errorf("enqueue: write seg-0.log: %w", syscall.ENOSPC)
}

func (q *flakyQueue) set(failing bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.failing = failing
}

func (q *flakyQueue) refusals() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.refused
}

// testHold is a holdPolicy for tests: short waits.
func testHold(maxHeld int) holdPolicy {
	return holdPolicy{maxHeld: maxHeld, retryMin: time.Millisecond, retryMax: 10 * time.Millisecond, stopWait: 200 * time.Millisecond}
}

// diskFaultRig is an agent with a real outbox behind a flakyQueue, its
// enqueuer running, fed block by block through handle.
type diskFaultRig struct {
	a    *Agent
	ob   *publish.Outbox
	q    *flakyQueue
	src  *synthSource
	reg  *prometheus.Registry
	done chan struct{}
	ids  []string // the detections made, in order
}

func newDiskFaultRig(t *testing.T, hp holdPolicy, partial int) *diskFaultRig {
	t.Helper()
	r := &diskFaultRig{src: newSynth(nil, 0), reg: prometheus.NewRegistry(), done: make(chan struct{})}
	var err error
	r.a, err = New(testConfig(t), Deps{Source: r.src, Pipeline: &everyPipeline{every: 1},
		ClientFactory: (&recClient{}).factory(), Registry: r.reg})
	if err != nil {
		t.Fatal(err)
	}
	r.ob, err = publish.Open(t.TempDir(), publish.OutboxOptions{QuotaBytes: 1 << 20, SegmentBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.ob.Close() })
	r.a.outbox = r.ob
	r.q = &flakyQueue{ob: r.ob, partial: partial}
	r.a.pending = make(chan []byte, 1024)
	go func() { defer close(r.done); r.a.enqueuer(r.q, hp) }()
	return r
}

// blocks hands n blocks to the agent, one detection each.
func (r *diskFaultRig) blocks(t *testing.T, n int) {
	t.Helper()
	for range n {
		b, err := r.src.Next(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if err := r.a.handle(b); err != nil {
			t.Fatalf("block %d: %v; the agent stops on it", r.src.i, err)
		}
		r.ids = append(r.ids, DetectionID("s1", r.a.boot, b.FirstSample, r.a.seq))
	}
}

// stop closes the pending channel and waits for the enqueuer to return.
func (r *diskFaultRig) stop() { close(r.a.pending); <-r.done }

// queuedIDs returns the IDs of the detections in ob, oldest first,
// acknowledging them.
func queuedIDs(t *testing.T, ob *publish.Outbox) []string {
	t.Helper()
	var ids []string
	for ob.Stats().Depth > 0 {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		r, err := ob.Oldest(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		d, err := event.DecodeDetection(r.Payload)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
		if err := ob.Ack(r.Seq); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// TestDiskFaultKeepsDetections: while the outbox cannot write (a disk
// full for a while) the agent goes on, holds the detections in memory and
// reports degraded, in /healthz too; once the disk takes writes again
// every detection reaches the outbox, in order, and health is ok. Before,
// the first refused write lost its batch, and every detection after it
// stopped the agent.
func TestDiskFaultKeepsDetections(t *testing.T) {
	for _, tc := range []struct {
		name    string
		partial int // records a refused write takes
	}{
		{"writes refused", 0},
		{"writes cut short", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newDiskFaultRig(t, testHold(8192), tc.partial)
			r.blocks(t, 5)
			waitFor(t, "the first detections on disk", func() bool { return r.ob.Stats().Depth == 5 })
			r.q.set(true)
			r.blocks(t, 10)
			// Two refusals: the enqueuer records the first for health only
			// after the write returns, and tries the second after that.
			waitFor(t, "two refused writes", func() bool { return r.q.refusals() > 1 })
			r.blocks(t, 25)
			rec := httptest.NewRecorder()
			r.a.healthz(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
			h, err := event.DecodeHealth(rec.Body.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if rec.Code != http.StatusServiceUnavailable || h.State != event.StateDegraded || !strings.Contains(strings.Join(h.Reasons, ";"), "outbox cannot write to disk") {
				t.Errorf("/healthz while the disk fails: %d %s %q, want 503, degraded, saying the outbox cannot write", rec.Code, h.State, h.Reasons)
			}
			r.q.set(false)
			waitFor(t, "the held detections on disk", func() bool { return r.a.Stats().Detections == int64(len(r.ids)) })
			if got := queuedIDs(t, r.ob); strings.Join(got, " ") != strings.Join(r.ids, " ") {
				t.Errorf("outbox holds %d detections, want the %d made, in order:\ngot  %q\nwant %q", len(got), len(r.ids), got, r.ids)
			}
			if h := r.a.Health(); h.State != event.StateOK || h.OutboxDropped != 0 {
				t.Errorf("health once the disk recovered: %s %q, %d dropped; want ok, none", h.State, h.Reasons, h.OutboxDropped)
			}
			if got := testutil.ToFloat64(r.a.met.heldDropped); got != 0 {
				t.Errorf("rfwarden_outbox_held_dropped_total %v, want 0", got)
			}
			r.stop()
		})
	}
}

// TestDiskFaultDropsBeyondBound: held detections are bounded; beyond the
// bound the oldest are dropped, counted in the Prometheus counter and in
// health, and the newest reach the outbox once the disk recovers. Health
// counts those held as they come, not only at each write: with writes
// tried less often than detections came it said "1 detections held in
// memory, 20 dropped" until the next write, and with quick retries it did
// so now and then under load ("slow retries" fails every time without it).
func TestDiskFaultDropsBeyondBound(t *testing.T) {
	const maxHeld = 10
	for _, tc := range []struct {
		name string
		hp   holdPolicy
	}{
		{"quick retries", testHold(maxHeld)},
		{"slow retries", holdPolicy{maxHeld: maxHeld, retryMin: 200 * time.Millisecond, retryMax: 200 * time.Millisecond, stopWait: 200 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newDiskFaultRig(t, tc.hp, 0)
			r.q.set(true)
			r.blocks(t, 1)
			waitFor(t, "a refused write", func() bool { return r.q.refusals() > 0 })
			r.blocks(t, 29)
			waitFor(t, "the drops", func() bool { return testutil.ToFloat64(r.a.met.heldDropped) == 30-maxHeld })
			h := r.a.Health()
			if h.State != event.StateDegraded || h.OutboxDropped != 30-maxHeld || !strings.Contains(strings.Join(h.Reasons, ";"), "10 detections held in memory, 20 dropped") {
				t.Errorf("health: %s %q, %d dropped; want degraded, 10 held and 20 dropped", h.State, h.Reasons, h.OutboxDropped)
			}
			r.q.set(false)
			waitFor(t, "the held detections on disk", func() bool { return r.a.Stats().Detections == maxHeld })
			if got, want := queuedIDs(t, r.ob), r.ids[30-maxHeld:]; strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("outbox holds %q, want the newest %d, %q", got, maxHeld, want)
			}
			if got := testutil.ToFloat64(r.a.met.heldDropped); got != 30-maxHeld {
				t.Errorf("rfwarden_outbox_held_dropped_total %v after recovery, want %d", got, 30-maxHeld)
			}
			r.stop()
		})
	}
}

// TestDiskFaultAtStop: when the agent stops while the disk refuses
// writes, the enqueuer keeps trying for stopWait, so a disk that recovers
// meanwhile loses nothing and the stop ends once it is written, and then
// gives up rather than hang the stop. The times asserted are the order of
// events (it tried for all of stopWait; it stopped before stopWait once
// written), not how fast a loaded machine runs: the disk recovering 50 ms
// into a stopWait of 200 ms, and a stop within stopWait+1 s, were wall-clock
// races a slow machine could lose. The detections it gives up on are
// counted (Stats.LostAtStop), for the sensor's stop line, and, as every
// other detection dropped undelivered, in health's outbox_dropped,
// rfwarden_outbox_dropped_total and rfwarden_outbox_held_dropped_total:
// they were named in the stop line only.
func TestDiskFaultAtStop(t *testing.T) {
	for _, tc := range []struct {
		name      string
		stopWait  time.Duration
		recoverIn time.Duration // 0: never
		want      int64         // detections written
		lost      int64         // Stats.LostAtStop, for the stop line
	}{
		{"disk recovers while stopping", 10 * time.Second, 50 * time.Millisecond, 8, 0},
		{"disk still refuses", 200 * time.Millisecond, 0, 0, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hp := testHold(100)
			hp.stopWait = tc.stopWait
			r := newDiskFaultRig(t, hp, 0)
			r.q.set(true)
			r.blocks(t, 8)
			waitFor(t, "a refused write", func() bool { return r.q.refusals() > 0 })
			if tc.recoverIn > 0 {
				time.AfterFunc(tc.recoverIn, func() { r.q.set(false) })
			}
			start := time.Now()
			close(r.a.pending)
			select {
			case <-r.done:
			case <-time.After(hp.stopWait + 10*time.Second):
				t.Fatalf("the enqueuer has not stopped %v after pending closed, stopWait %v", time.Since(start), hp.stopWait)
			}
			took := time.Since(start)
			if tc.recoverIn > 0 && took >= hp.stopWait {
				t.Errorf("the enqueuer took %v to stop, want less than stopWait (%v): the disk took the detections", took, hp.stopWait)
			}
			if tc.recoverIn == 0 && took < hp.stopWait {
				t.Errorf("the enqueuer stopped after %v, want it to try for stopWait (%v)", took, hp.stopWait)
			}
			if got := r.a.Stats().Detections; got != tc.want {
				t.Errorf("%d detections written, want %d", got, tc.want)
			}
			if got := r.a.Stats().LostAtStop; got != tc.lost {
				t.Errorf("%d detections counted lost at the stop, want %d", got, tc.lost)
			}
			if got := r.a.Health().OutboxDropped; got != tc.lost {
				t.Errorf("health's outbox_dropped %d after the stop, want %d", got, tc.lost)
			}
			for _, name := range []string{"rfwarden_outbox_dropped_total", "rfwarden_outbox_held_dropped_total"} {
				if got, ok := metricValue(t, r.reg, name); !ok || got != float64(tc.lost) {
					t.Errorf("%s = %v (registered: %v) after the stop, want %d", name, got, ok, tc.lost)
				}
			}
		})
	}
}

// TestCorruptOutboxDegrades: corrupt records found on disk at start make
// health degraded with the reason, even when they were delivered before
// (none is known lost); a torn tail, which a power loss leaves, does not.
func TestCorruptOutboxDegrades(t *testing.T) {
	for _, tc := range []struct {
		name   string
		acked  int // records delivered before the damage
		damage func(b []byte) []byte
		want   string // health state
	}{
		{"torn tail", 0, func(b []byte) []byte { return append(b, 9, 0, 0, 0, 1) }, event.StateOK},
		{"corrupt record, undelivered", 0, func(b []byte) []byte { b[len(b)/2] ^= 1; return b }, event.StateDegraded},
		{"corrupt record, delivered", 9, func(b []byte) []byte { b[len(b)/2] ^= 1; return b }, event.StateDegraded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := publish.OutboxOptions{QuotaBytes: 1 << 20, SegmentBytes: 64 << 10}
			ob, err := publish.Open(dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 10 {
				if _, err := ob.Enqueue(fmt.Appendf(nil, `{"n":%d,"pad":"%0100d"}`, i, i)); err != nil {
					t.Fatal(err)
				}
			}
			for range tc.acked {
				r, err := ob.Oldest(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if err := ob.Ack(r.Seq); err != nil {
					t.Fatal(err)
				}
			}
			ob.Close()
			segs, err := filepath.Glob(filepath.Join(dir, "seg-*.log"))
			if err != nil || len(segs) != 1 {
				t.Fatalf("segments %v, %v; want one", segs, err)
			}
			b, err := os.ReadFile(segs[0])
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(segs[0], tc.damage(b), 0o640); err != nil {
				t.Fatal(err)
			}
			a, err := New(testConfig(t), Deps{Source: newSynth(nil, 0), Pipeline: &everyPipeline{}})
			if err != nil {
				t.Fatal(err)
			}
			if a.outbox, err = publish.Open(dir, opts); err != nil {
				t.Fatal(err)
			}
			defer a.outbox.Close()
			h := a.Health()
			reasons := strings.Join(h.Reasons, ";")
			if h.State != tc.want || (tc.want == event.StateDegraded) != strings.Contains(reasons, "outbox: corrupt records on disk") {
				t.Errorf("health %s %q, want %s, with the corrupt records named when degraded", h.State, h.Reasons, tc.want)
			}
		})
	}
}
