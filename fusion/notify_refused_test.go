package fusion

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// statusTransport answers every request with its status, without a network.
type statusTransport struct{ code int }

func (s statusTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: s.code, Body: io.NopCloser(strings.NewReader("")), Header: http.Header{}, Request: r}, nil
}

// TestNotifierRefusedDropped: a receiver that refuses a notification for
// good (a 4xx other than 408 and 429: a bad signature, a gone endpoint, a
// body it will not take) had it retried until max_age, an hour, and the
// alert's later notifications, which go strictly in order, waited behind
// it: the control room's resolution or acknowledgement an hour late. Such
// a refusal now drops the notification at once, logged at error level
// naming the output, the alert and the status, and counted
// (rfw_fusion_notify_dropped_total{reason="refused"}); the alert's next
// notification goes next. 408, 429 and 5xx are tried again.
func TestNotifierRefusedDropped(t *testing.T) {
	tests := []struct {
		code    int
		refused bool
	}{
		{http.StatusBadRequest, true},
		{http.StatusUnauthorized, true},
		{http.StatusNotFound, true},
		{http.StatusGone, true},
		{http.StatusUnprocessableEntity, true},
		{http.StatusRequestTimeout, false},
		{http.StatusTooManyRequests, false},
		{http.StatusServiceUnavailable, false},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.code), func(t *testing.T) {
			// the receiver's answer, as Webhook reports it
			w := &Webhook{URL: "https://control-room.example/hook", MaxAttempts: 1, Client: &http.Client{Transport: statusTransport{tt.code}}}
			werr := w.PublishAlert(context.Background(), alertAs("a", event.SeverityCritical, event.AlertFiring, 1))
			if werr == nil {
				t.Fatal("webhook: no error")
			}
			synctest.Test(t, func(t *testing.T) {
				db, pub := notifyDB(t), newChanPub()
				var logb syncbuf.Buffer
				n, err := OpenNotifier(context.Background(), db, NotifyOptions{Site: "hmp-test", Output: "webhook", Next: pub,
					InFlight: 1, MaxAge: time.Hour, StaleAfter: time.Minute,
					Logger: slog.New(slog.NewTextHandler(&logb, nil))})
				if err != nil {
					t.Fatal(err)
				}
				ctx := context.Background()
				for i, st := range []string{event.AlertFiring, event.AlertResolved} {
					if err := n.PublishAlert(ctx, alertAs("a", event.SeverityCritical, st, int64(i+1))); err != nil {
						t.Fatal(err)
					}
				}
				defer runNotifier(t, n)()
				if a := pub.next(t); a.State != event.AlertFiring {
					t.Fatalf("first delivery %s, want firing", a.State)
				}
				pub.answer("a", werr)
				if !tt.refused {
					failed := time.Now()
					if a := pub.next(t); a.State != event.AlertFiring {
						t.Fatalf("after %d delivered %s, want firing again", tt.code, a.State)
					}
					if d := time.Since(failed); d != DefaultNotifyRetryMin {
						t.Errorf("after %d tried again %v later, want after the backoff, %v", tt.code, d, DefaultNotifyRetryMin)
					}
					pub.answer("a", nil)
				}
				if a := pub.next(t); a.State != event.AlertResolved {
					t.Fatalf("next delivery %s, want the alert's resolution", a.State)
				}
				pub.answer("a", nil)
				drain(t, n)
				refused := 0.0
				if tt.refused {
					refused = 1
				}
				if got := testutil.ToFloat64(n.Collectors()[6]); got != refused {
					t.Errorf("dropped_total{reason=refused} %v, want %v", got, refused)
				}
				logged := logb.String()
				if tt.refused && !(strings.Contains(logged, "level=ERROR") && strings.Contains(logged, "output=webhook") &&
					strings.Contains(logged, "alert=a") && strings.Contains(logged, "status="+itoa3(tt.code))) {
					t.Errorf("logged %q, want an ERROR naming the output, the alert and the status", logged)
				}
			})
		})
	}
}

func itoa3(c int) string {
	return string([]byte{byte('0' + c/100), byte('0' + c/10%10), byte('0' + c%10)})
}

// TestNotifierExpiresWithReminders: an output down for longer than
// max_age while its alert was reminded of every 5 minutes kept the
// notification for ever: each reminder collapsing into it restarted its
// age (150 minutes: queued 1, dropped 0). Its age is counted from when it
// was first queued.
func TestNotifierExpiresWithReminders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db, pub := notifyDB(t), newChanPub()
		n := openTestNotifier(t, db, pub, 1)
		ctx := context.Background()
		for i := range 30 {
			a := alertAs("a", event.SeverityCritical, event.AlertFiring, int64(i+1))
			a.Escalations = i
			if err := n.PublishAlert(ctx, a); err != nil {
				t.Fatal(err)
			}
			time.Sleep(5 * time.Minute)
		}
		n.expire(ctx, time.Now())
		h, err := n.Health(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if h.Queued != 0 || n.dropped.Load() != 1 {
			t.Errorf("after 150 min of reminders: queued %d, dropped %d; want 0 and 1", h.Queued, n.dropped.Load())
		}
	})
}

// TestNotifierHealthAfterDrops: an output whose notifications are
// dropped (too old, or refused) has an empty outbox, and /healthz said
// ok while every alert was lost. It is degraded for stale_after after a
// drop, saying how many and when.
func TestNotifierHealthAfterDrops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db, pub := notifyDB(t), newChanPub()
		n, err := OpenNotifier(context.Background(), db, NotifyOptions{Site: "s", Output: "webhook", Next: pub,
			MaxAge: 2 * time.Minute, StaleAfter: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if err := n.PublishAlert(ctx, alertAs("a", event.SeverityCritical, event.AlertFiring, 1)); err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			after time.Duration
			state string
		}{
			{30 * time.Second, event.StateOK},
			{time.Minute, event.StateDegraded},      // 90 s old
			{time.Minute, event.StateDegraded},      // dropped at 150 s
			{50 * time.Second, event.StateDegraded}, // 50 s after the drop
			{20 * time.Second, event.StateOK},       // 70 s after it
		}
		for i, s := range steps {
			time.Sleep(s.after)
			n.expire(ctx, time.Now())
			h, err := n.Health(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if h.State != s.state {
				t.Errorf("step %d: health %+v, want %s", i, h, s.state)
			}
		}
	})
}

// okOnCancel is an output whose delivery succeeds as the context ends (the
// receiver took it just as fusion stopped).
type okOnCancel struct{ got chan event.Alert }

func (p okOnCancel) PublishAlert(ctx context.Context, a event.Alert) error {
	p.got <- a
	<-ctx.Done()
	return nil
}

// TestNotifierSuccessAsItStops: a delivery that succeeded just as fusion
// stopped stayed in the outbox (its result was discarded, or its delete
// ran with the cancelled context) and was sent again after the restart.
func TestNotifierSuccessAsItStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := notifyDB(t)
		pub := okOnCancel{got: make(chan event.Alert, 1)}
		n, err := OpenNotifier(context.Background(), db, NotifyOptions{Site: "s", Output: "webhook", Next: pub, InFlight: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := n.PublishAlert(context.Background(), alertAs("a", event.SeverityCritical, event.AlertFiring, 1)); err != nil {
			t.Fatal(err)
		}
		stop := runNotifier(t, n)
		<-pub.got
		stop()
		h, err := n.Health(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if h.Queued != 0 {
			t.Errorf("after a delivery that succeeded as fusion stopped: %d queued, want 0 (sent again after the restart)", h.Queued)
		}
	})
}

// TestNotifierCollapseIntoInFlight: a reminder that collapses into the
// notification being delivered is not lost: the delivery of the older
// content does not delete the row (its version moved), and the reminder
// is delivered next.
func TestNotifierCollapseIntoInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db, pub := notifyDB(t), newChanPub()
		n := openTestNotifier(t, db, pub, 1)
		ctx := context.Background()
		if err := n.PublishAlert(ctx, alertAs("a", event.SeverityCritical, event.AlertFiring, 1)); err != nil {
			t.Fatal(err)
		}
		defer runNotifier(t, n)()
		if first := pub.next(t); first.Escalations != 0 {
			t.Fatalf("first delivery escalations %d, want 0", first.Escalations)
		}
		r := alertAs("a", event.SeverityCritical, event.AlertFiring, 2)
		r.Escalations = 1
		if err := n.PublishAlert(ctx, r); err != nil { // collapses into the row in flight
			t.Fatal(err)
		}
		pub.answer("a", nil)
		if second := pub.next(t); second.Escalations != 1 {
			t.Errorf("second delivery escalations %d, want 1 (the reminder)", second.Escalations)
		}
		pub.answer("a", nil)
		drain(t, n)
		if got := testutil.ToFloat64(n.Collectors()[5]); got != 1 {
			t.Errorf("collapsed_total %v, want 1", got)
		}
	})
}
