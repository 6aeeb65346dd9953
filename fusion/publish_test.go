package fusion

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/alert"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// gatedPub is a publisher whose deliveries wait until release is closed
// (a broker away), then records them in order.
type gatedPub struct {
	release chan struct{}
	mu      sync.Mutex
	got     []event.Alert
}

func (g *gatedPub) PublishAlert(ctx context.Context, a event.Alert) error {
	select {
	case <-g.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.got = append(g.got, a)
	return nil
}

// busySiteChanges returns the publications of n alerts, each published
// as the engine does (pending, moved twice, firing, two reminders, an
// acknowledgement, resolved), interleaved across alerts as on a busy
// site, UpdatedNS rising.
func busySiteChanges(n int) []event.Alert {
	type step func(a *event.Alert)
	steps := []step{
		func(a *event.Alert) { a.State, a.Room = event.AlertPending, "B2-01" },
		func(a *event.Alert) { a.Room = "B2-02" },
		func(a *event.Alert) { a.Room = "B2-03" },
		func(a *event.Alert) { a.State = event.AlertFiring },
		func(a *event.Alert) { a.Escalations, a.EscalatedNS = 1, a.UpdatedNS },
		func(a *event.Alert) { a.Escalations, a.EscalatedNS = 2, a.UpdatedNS },
		func(a *event.Alert) { a.AckBy, a.AckNS = "ctrl.smith", a.UpdatedNS },
		func(a *event.Alert) { a.State = event.AlertResolved },
	}
	cur := make([]event.Alert, n)
	for i := range cur {
		cur[i] = testAlert()
		cur[i].ID = fmt.Sprintf("ar-%03d", i)
	}
	var out []event.Alert
	t := int64(1000)
	for _, s := range steps {
		for i := range cur {
			t++
			cur[i].UpdatedNS = t
			s(&cur[i])
			cur[i].Evidence = append(slices.Clone(cur[i].Evidence), fmt.Sprintf("s1-0a1b2c3d4e5f-%d-1", t))
			out = append(out, cur[i])
		}
	}
	return out
}

// checkLatest reports, of each alert of sent, whether got ends with its
// latest publication and holds each of its states, and its
// acknowledgement, in order.
func checkLatest(t *testing.T, sent, got []event.Alert) {
	t.Helper()
	state := func(a event.Alert) string {
		if a.AckNS != 0 {
			return a.State + " acknowledged"
		}
		return a.State
	}
	last := map[string]event.Alert{}
	wantStates := map[string][]string{}
	for _, a := range sent {
		last[a.ID] = a
		if s := wantStates[a.ID]; len(s) == 0 || s[len(s)-1] != state(a) {
			wantStates[a.ID] = append(s, state(a))
		}
	}
	gotLast := map[string]event.Alert{}
	gotStates := map[string][]string{}
	for _, a := range got {
		if prev, ok := gotLast[a.ID]; ok && a.UpdatedNS < prev.UpdatedNS {
			t.Errorf("alert %s: updated_ns %d delivered after %d", a.ID, a.UpdatedNS, prev.UpdatedNS)
		}
		gotLast[a.ID] = a
		if s := gotStates[a.ID]; len(s) == 0 || s[len(s)-1] != state(a) {
			gotStates[a.ID] = append(s, state(a))
		}
	}
	lost, lostStates := 0, 0
	for id, want := range last {
		if !reflect.DeepEqual(gotLast[id], want) {
			lost++
		}
		if !slices.Equal(gotStates[id], wantStates[id]) {
			lostStates++
		}
	}
	t.Logf("%d changes of %d alerts published, %d delivered", len(sent), len(last), len(got))
	if lost > 0 || lostStates > 0 {
		t.Errorf("%d of %d alerts' latest states lost; %d alerts missed a state (pending, firing, acknowledged, resolved)", lost, len(last), lostStates)
	}
}

// TestAsyncPublisherBrokerAway: with the broker away, a busy site
// publishes many more changes than the queue holds; once it is back, the
// subscribers have each alert's latest state, and every state it passed
// through and its acknowledgement, in order.
func TestAsyncPublisherBrokerAway(t *testing.T) {
	for _, tc := range []struct {
		name          string
		alerts, queue int
	}{
		{"fewer alerts than the queue holds", 10, 64},
		// four places each (pending, firing, firing acknowledged,
		// resolved): 64, and the first in flight
		{"as many changes as the queue holds", 16, 64},
		{"changes of 100 alerts, queue of 400", 100, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &gatedPub{release: make(chan struct{})}
			p := NewAsyncPublisher(g, tc.queue, nil)
			sent := busySiteChanges(tc.alerts)
			if len(sent) <= tc.queue {
				t.Fatalf("%d changes: not more than the queue's %d", len(sent), tc.queue)
			}
			refused := 0
			for _, a := range sent {
				if err := p.PublishAlert(context.Background(), a); err != nil {
					refused++
				}
			}
			if refused > 0 {
				t.Errorf("%d of %d publications refused", refused, len(sent))
			}
			close(g.release)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := p.Close(ctx); err != nil {
				t.Fatal(err)
			}
			checkLatest(t, sent, g.got)
		})
	}
}

// gatedClient is a tokenPublisher whose tokens complete once release is
// closed (a broker away); it records the keep commands' detections by
// alert.
type gatedClient struct {
	release chan struct{}
	mu      sync.Mutex
	kept    map[string][]string
	msgs    int
}

func (c *gatedClient) Publish(_ string, _ byte, _ bool, payload any) mqtt.Token {
	cmd, err := event.DecodeCommand(payload.([]byte))
	if err != nil {
		panic(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.kept[cmd.Alert] = append(c.kept[cmd.Alert], cmd.Detections...)
	c.msgs++
	return gatedToken{c.release}
}

type gatedToken struct{ release chan struct{} }

func (g gatedToken) Wait() bool                     { <-g.release; return true }
func (g gatedToken) WaitTimeout(time.Duration) bool { <-g.release; return true }
func (g gatedToken) Done() <-chan struct{}          { return g.release }
func (gatedToken) Error() error                     { return nil }

// TestAsyncKeeperBrokerAway: with the broker away, the engine asks to
// keep the evidence its live alerts gain many more times than the
// keeper's queue holds; once it is back, the sensors have been asked to
// keep every detection.
func TestAsyncKeeperBrokerAway(t *testing.T) {
	const alerts, calls, queue = 12, 10, 16 // 120 requests, of fewer alerts than the queue holds
	c := &gatedClient{release: make(chan struct{}), kept: map[string][]string{}}
	k := NewAsyncKeeper(KeepPublisher{Client: c, Sensors: []string{"s1", "s2"}}, queue, nil)
	want := map[string][]string{}
	refused := 0
	for call := range calls {
		for i := range alerts {
			a := testAlert()
			a.ID = fmt.Sprintf("ar-%03d", i)
			ids := []string{fmt.Sprintf("s1-0a1b2c3d4e5f-%d-1", call), fmt.Sprintf("s2-0a1b2c3d4e5f-%d-1", call)}
			want[a.ID] = append(want[a.ID], ids...)
			if err := k.KeepEvidence(context.Background(), a, ids); err != nil {
				refused++
			}
		}
	}
	close(c.release)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := k.Close(ctx); err != nil {
		t.Fatal(err)
	}
	lost := 0
	for id, ids := range want {
		got := c.kept[id]
		for _, d := range ids {
			if !slices.Contains(got, d) {
				lost++
			}
		}
	}
	t.Logf("%d requests of %d detections, %d keep commands sent", alerts*calls, alerts*calls*2, c.msgs)
	if refused > 0 {
		t.Errorf("%d of %d requests refused", refused, alerts*calls)
	}
	if lost > 0 {
		t.Errorf("%d of %d detections never asked to be kept", lost, alerts*calls*2)
	}
}

type nopPub struct{}

func (nopPub) PublishAlert(context.Context, event.Alert) error { return nil }

// BenchmarkAsyncPublisher times PublishAlert, the engine's side (it holds
// the engine's lock), with the busy site's changes of 64 alerts: while
// they are delivered at once, and while the broker is away (the queue
// coalescing them).
func BenchmarkAsyncPublisher(b *testing.B) {
	ctx := context.Background()
	changes := busySiteChanges(64)
	for _, away := range []bool{false, true} {
		name := "delivering"
		if away {
			name = "broker_away"
		}
		b.Run(name, func(b *testing.B) {
			g := &gatedPub{release: make(chan struct{})}
			var next alert.Publisher = nopPub{}
			if away {
				next = g
			}
			p := NewAsyncPublisher(next, 4096, nil)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				p.PublishAlert(ctx, changes[i%len(changes)])
			}
			b.StopTimer()
			close(g.release)
			p.Close(ctx)
		})
	}
}

// failingPub fails every delivery while down, as MQTTPublisher does with
// the broker away (its error names the alert, then the cause), and
// counts the failures.
type failingPub struct {
	mu       sync.Mutex
	down     bool
	failures int
}

func (f *failingPub) PublishAlert(_ context.Context, a event.Alert) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		f.failures++
		return fmt.Errorf("publish alert %s: %w", a.ID, fmt.Errorf("timeout after %v", 10*time.Second))
	}
	return nil
}

// TestAsyncPublisherLogsOutageOnce: with the broker away every delivery
// fails, each with its alert's ID in the error; the outage is logged once
// (then once a minute, retrylog), not once per change, and its end once,
// with how many failed. Before, each failure was a warning: one every
// publish timeout (10 s) for as long as the broker was away.
func TestAsyncPublisherLogsOutageOnce(t *testing.T) {
	var logs syncbuf.Buffer
	f := &failingPub{down: true}
	p := NewAsyncPublisher(f, 64, slog.New(slog.NewTextHandler(&logs, nil)))
	wait := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s:\n%s", what, logs.String())
			}
		}
	}
	const alerts = 20
	for i := range alerts {
		a := testAlert()
		a.ID = fmt.Sprintf("ar-%03d", i)
		if err := p.PublishAlert(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
	wait("every delivery to fail", func() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.failures == alerts })
	f.mu.Lock()
	f.down = false
	f.mu.Unlock()
	if err := p.PublishAlert(context.Background(), testAlert()); err != nil {
		t.Fatal(err)
	}
	wait("the recovery", func() bool { return strings.Contains(logs.String(), "succeeds again") })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	l := logs.String()
	if n := strings.Count(l, `msg="publish alert"`); n != 1 {
		t.Errorf("%d failures logged for %d alerts failing with one cause, want 1:\n%s", n, alerts, l)
	}
	if !strings.Contains(l, `msg="publish alert: succeeds again" failed=20 `) {
		t.Errorf("the recovery not logged once with the 20 failures:\n%s", l)
	}
}
