package fusion

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/alert"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// The notifier tests run Notifier in a synctest bubble: its time.Now and
// time.After are the bubble's fake clock, which moves on only when every
// goroutine of the test (Run, its deliveries, the test itself) is blocked.
// Run then waits in its select on the timer it armed last, so a retry
// happens when its backoff is over and at no other time. (A fake clock
// the test moved on by hand raced Run: read by Run just before the test
// moved it and armed just after, Run's timer was due a whole backoff
// after the time the test had moved to, and the test, waiting for the
// retry, never fired it: "nothing delivered".)

// notifyWait bounds, on the bubble's clock, how long a test waits for Run
// (a delivery, Run stopping, the outbox draining): longer than any of
// Run's backoffs (RetryMax, 30 s), so it ends only a run that hangs, at
// once in real time.
const notifyWait = time.Minute

// notifyDB is a fresh fusion state database.
func notifyDB(t *testing.T) *sql.DB {
	t.Helper()
	s, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfwarden.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.DB()
}

// chanPub is an output whose deliveries the test answers: each call sends
// its alert on got and returns what the test answers for its alert ID
// (or the context's error).
type chanPub struct {
	got     chan event.Alert
	mu      sync.Mutex
	replies map[string]chan error
}

func newChanPub() *chanPub {
	return &chanPub{got: make(chan event.Alert, 100), replies: map[string]chan error{}}
}

func (p *chanPub) replyTo(id string) chan error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.replies[id] == nil {
		p.replies[id] = make(chan error, 100)
	}
	return p.replies[id]
}

// answer makes a delivery of alert id return err.
func (p *chanPub) answer(id string, err error) { p.replyTo(id) <- err }

func (p *chanPub) PublishAlert(ctx context.Context, a event.Alert) error {
	p.got <- a
	select {
	case err := <-p.replyTo(a.ID):
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *chanPub) next(t *testing.T) event.Alert {
	t.Helper()
	select {
	case a := <-p.got:
		return a
	case <-time.After(notifyWait):
		t.Fatal("nothing delivered")
		return event.Alert{}
	}
}

func alertAs(id, severity, state string, updated int64) event.Alert {
	a := testAlert()
	a.ID, a.Severity, a.State, a.UpdatedNS = id, severity, state, updated
	return a
}

// openTestNotifier opens a webhook notifier on the bubble's clock.
func openTestNotifier(t *testing.T, db *sql.DB, pub alert.Publisher, inFlight int) *Notifier {
	t.Helper()
	n, err := OpenNotifier(context.Background(), db, NotifyOptions{Site: "hmp-test", Output: "webhook", Next: pub,
		InFlight: inFlight, MaxAge: time.Hour, StaleAfter: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func runNotifier(t *testing.T, n *Notifier) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	return func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(notifyWait):
			t.Error("Run did not stop")
		}
	}
}

// TestNotifierSlowAlertDoesNotHoldBackCritical: one goroutine delivered in
// queue order, so a critical alert behind a hundred others to a webhook
// taking 10 s each arrived 1.5 h late. Deliveries now run side by side,
// critical ones first, each alert's in order.
func TestNotifierSlowAlertDoesNotHoldBackCritical(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db, pub := notifyDB(t), newChanPub()
		n := openTestNotifier(t, db, pub, 2)
		ctx := context.Background()
		for _, a := range []event.Alert{
			alertAs("w1", event.SeverityWarning, event.AlertPending, 1),
			alertAs("w1", event.SeverityWarning, event.AlertFiring, 2), // after w1's pending, never beside it
			alertAs("w2", event.SeverityWarning, event.AlertPending, 3),
			alertAs("c1", event.SeverityCritical, event.AlertFiring, 4),
		} {
			if err := n.PublishAlert(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		defer runNotifier(t, n)()
		first, second := pub.next(t), pub.next(t)
		got := map[string]bool{first.ID + "/" + first.State: true, second.ID + "/" + second.State: true}
		if !got["c1/firing"] || !got["w1/pending"] {
			t.Fatalf("first two deliveries %v, want c1 (critical) and w1 pending side by side", got)
		}
		// w1 pending hangs (a slow receiver); c1 is done: w2 goes next, not w1's firing
		pub.answer("c1", nil)
		if third := pub.next(t); third.ID != "w2" {
			t.Fatalf("third delivery %s/%s, want w2 (w1's firing waits for its pending)", third.ID, third.State)
		}
		pub.answer("w2", nil)
		pub.answer("w1", nil)
		if fourth := pub.next(t); fourth.ID != "w1" || fourth.State != event.AlertFiring {
			t.Fatalf("fourth delivery %s/%s, want w1 firing", fourth.ID, fourth.State)
		}
		pub.answer("w1", nil)
		drain(t, n)
		if got := testutil.ToFloat64(n.Collectors()[2]); got != 4 {
			t.Errorf("delivered_total %v, want 4", got)
		}
	})
}

// drain waits until n's outbox is empty.
func drain(t *testing.T, n *Notifier) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), notifyWait)
	defer cancel()
	if err := n.Drain(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestNotifierCollapses: an output behind gets each alert's latest state
// rather than every publication, and every transition still.
func TestNotifierCollapses(t *testing.T) {
	tests := []struct {
		name string
		pubs []event.Alert
		want []string // state/escalations/acked of each delivery
	}{
		{"reminders collapse", []event.Alert{
			alertAs("a", event.SeverityCritical, event.AlertFiring, 1),
			func() event.Alert {
				a := alertAs("a", event.SeverityCritical, event.AlertFiring, 2)
				a.Escalations = 1
				return a
			}(),
			func() event.Alert {
				a := alertAs("a", event.SeverityCritical, event.AlertFiring, 3)
				a.Escalations = 2
				return a
			}(),
		}, []string{"firing/2/false"}},
		{"transitions kept", []event.Alert{
			alertAs("a", event.SeverityCritical, event.AlertPending, 1),
			alertAs("a", event.SeverityCritical, event.AlertFiring, 2),
			func() event.Alert {
				a := alertAs("a", event.SeverityCritical, event.AlertFiring, 2)
				a.AckBy, a.AckNS = "officer.jones", 3
				return a
			}(),
			alertAs("a", event.SeverityCritical, event.AlertResolved, 4),
		}, []string{"pending/0/false", "firing/0/false", "firing/0/true", "resolved/0/false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				db, pub := notifyDB(t), newChanPub()
				n := openTestNotifier(t, db, pub, 1)
				for _, a := range tt.pubs {
					if err := n.PublishAlert(context.Background(), a); err != nil {
						t.Fatal(err)
					}
				}
				defer runNotifier(t, n)()
				for i, w := range tt.want {
					a := pub.next(t)
					got := a.State + "/" + itoa(a.Escalations) + "/" + map[bool]string{true: "true", false: "false"}[a.AckNS != 0]
					if got != w {
						t.Errorf("delivery %d: %s, want %s", i, got, w)
					}
					pub.answer("a", nil)
				}
				drain(t, n)
				if got, want := testutil.ToFloat64(n.Collectors()[5]), float64(len(tt.pubs)-len(tt.want)); got != want {
					t.Errorf("collapsed_total %v, want %v", got, want)
				}
			})
		})
	}
}

func itoa(i int) string { return string(rune('0' + i)) }

// TestNotifierRetriesUntilBack: a webhook down for more than ~7.5 s lost
// its notifications for good (5 attempts, 0.5+1+2+4 s). They are now tried
// again with a backoff capped at RetryMax until the receiver is back, and
// /healthz and the metrics say the output is behind meanwhile.
func TestNotifierRetriesUntilBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db, pub := notifyDB(t), newChanPub()
		n := openTestNotifier(t, db, pub, 1)
		if err := n.PublishAlert(context.Background(), alertAs("c1", event.SeverityCritical, event.AlertFiring, 1)); err != nil {
			t.Fatal(err)
		}
		defer runNotifier(t, n)()
		pub.next(t)
		var delays []time.Duration // from a failed attempt to the next
		var waited time.Duration
		for waited < 3*time.Minute { // the receiver is down for 3 minutes
			pub.answer("c1", errors.New("dial tcp 127.0.0.1:18361: connect: connection refused"))
			failed := time.Now()
			if a := pub.next(t); a.ID != "c1" {
				t.Fatalf("delivered %s, want c1", a.ID)
			}
			d := time.Since(failed)
			delays = append(delays, d)
			waited += d
		}
		want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}
		for i, w := range want {
			if i >= len(delays) || delays[i] != w {
				t.Fatalf("backoff %v, want it to start %v", delays, want)
			}
		}
		// the attempt after them is in flight, unanswered
		h, err := n.Health(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if h.State != event.StateDegraded || h.Output != "webhook" || h.Queued != 1 || h.LastError == "" {
			t.Errorf("health while down %+v, want degraded, webhook, 1 queued, the last error", h)
		}
		if got := testutil.ToFloat64(n.Collectors()[0]); got != 1 {
			t.Errorf("queued %v, want 1", got)
		}
		if got := testutil.ToFloat64(n.Collectors()[3]); got != float64(len(delays)) {
			t.Errorf("failed_total %v, want %d", got, len(delays))
		}
		pub.answer("c1", nil) // back
		drain(t, n)
		if h, _ := n.Health(context.Background()); h.State != event.StateOK || h.Queued != 0 {
			t.Errorf("health once delivered %+v, want ok, none queued", h)
		}
	})
}

// failPub is an output that refuses every delivery with a 503 and
// counts them.
type failPub struct{ attempts atomic.Int64 }

func (p *failPub) PublishAlert(context.Context, event.Alert) error {
	p.attempts.Add(1)
	return errors.New("status 503")
}

// TestNotifierDropsAfterMaxAge: a notification undelivered for MaxAge is
// dropped and counted, not tried for ever: at Run's first wake after
// MaxAge, a retry (RetryMax) at most later.
func TestNotifierDropsAfterMaxAge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db, pub := notifyDB(t), &failPub{}
		n := openTestNotifier(t, db, pub, 1)
		queued := time.Now()
		if err := n.PublishAlert(context.Background(), alertAs("c1", event.SeverityCritical, event.AlertFiring, 1)); err != nil {
			t.Fatal(err)
		}
		defer runNotifier(t, n)()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Hour)
		defer cancel()
		if err := n.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		if age := time.Since(queued); age <= time.Hour || age > time.Hour+DefaultNotifyRetryMax {
			t.Errorf("dropped %v after it was queued, want after max_age (1h) and at most a retry (%v) later", age, DefaultNotifyRetryMax)
		}
		if got := testutil.ToFloat64(n.Collectors()[4]); got != 1 {
			t.Errorf("dropped_total %v, want 1", got)
		}
		// 0.5+1+2+4+8+16 s, then every 30 s to the hour
		if got := pub.attempts.Load(); got < 100 {
			t.Errorf("%d attempts in the hour, want it tried all along", got)
		}
	})
}

// TestNotifierSurvivesRestart: notifications queued when fusion stopped
// (SIGTERM cancelled them after 10 s) were lost; they stay in the outbox
// and the next start delivers them.
func TestNotifierSurvivesRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db, pub := notifyDB(t), newChanPub()
		n := openTestNotifier(t, db, pub, 1)
		for i, id := range []string{"a", "b"} {
			if err := n.PublishAlert(context.Background(), alertAs(id, event.SeverityCritical, event.AlertFiring, int64(i+1))); err != nil {
				t.Fatal(err)
			}
		}
		stop := runNotifier(t, n)
		pub.next(t) // a in flight when fusion stops: cancelled
		stop()

		pub2 := newChanPub()
		n2 := openTestNotifier(t, db, pub2, 1)
		defer runNotifier(t, n2)()
		for _, want := range []string{"a", "b"} {
			if a := pub2.next(t); a.ID != want {
				t.Errorf("after the restart delivered %s, want %s", a.ID, want)
			}
			pub2.answer(want, nil)
		}
		drain(t, n2)
	})
}

// TestNotifierMetricsRegister: two outputs' metrics share a registry.
func TestNotifierMetricsRegister(t *testing.T) {
	db := notifyDB(t)
	reg := prometheus.NewRegistry()
	for _, out := range []string{"webhook", "syslog"} {
		n, err := OpenNotifier(context.Background(), db, NotifyOptions{Site: "s", Output: out, Next: newChanPub()})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range n.Collectors() {
			if err := reg.Register(c); err != nil {
				t.Fatalf("%s: %v", out, err)
			}
		}
	}
}
