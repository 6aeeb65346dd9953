package fusion

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/alert"
	"github.com/rfwarden/rfwarden/internal/retrylog"
)

// MultiPublisher sends each alert to every publisher in turn.
type MultiPublisher []alert.Publisher

// PublishAlert implements alert.Publisher; it tries every publisher and joins their errors.
func (m MultiPublisher) PublishAlert(ctx context.Context, a event.Alert) error {
	var errs []error
	for _, p := range m {
		errs = append(errs, p.PublishAlert(ctx, a))
	}
	return errors.Join(errs...)
}

// AsyncPublisher decouples a publisher that may wait (MQTT while the
// broker is away, the sensors' keep commands) from the alert engine:
// PublishAlert only queues, in memory; one goroutine delivers in order.
//
// The queue coalesces by alert ID, so a broker away for hours loses no
// alert's latest state: a change of an alert whose newest queued change
// has the same state and acknowledgement (acknowledged or not) replaces
// it there, in its place in the queue (the order of first queueing); a
// change of state (pending, firing, resolved) or an acknowledgement is
// queued after it, as Notifier's outbox collapses. A subscriber therefore
// gets every state each alert passed through, and its acknowledgement,
// in order, each as it last was, and ends with the alert's latest
// publication; what it may miss is the publications in between (a
// pending alert's moves, reminders), each of which the next one carries
// on (an alert's room, escalations and evidence, which only grows, are
// its latest). The queue holds at most queue changes (an alert's are at
// most four: pending, firing, and either acknowledged, resolved). Full,
// it drops a change that needs a place of its own, another alert's,
// except that a new state of an alert with a change queued replaces that
// change (the latest state wins, the one before it is lost); either is
// logged as an error (the first, then once a minute) and counted
// (Dropped), and PublishAlert returns ErrQueueFull. Close stops the
// goroutine after delivering what is queued, until its context ends. The
// webhook and syslog, which must have every publication, use Notifier's
// durable outbox instead.
type AsyncPublisher struct {
	next alert.Publisher
	log  *slog.Logger
	// merge folds a, a later change of q's alert, into q and reports
	// whether it did; when it does not, a is queued after q
	merge func(q *event.Alert, a event.Alert) bool
	what  string // what is queued, for the log

	mu      sync.Mutex
	queue   []*pubEntry          // FIFO; queue[head:] is waiting
	head    int                  // first waiting entry
	newest  map[string]*pubEntry // alert ID → its newest waiting entry
	limit   int                  // entries held at most
	closed  bool
	dropLog retrylog.Log
	sendLog retrylog.Log // the deliveries' failures; loop's alone
	dropped atomic.Uint64

	wake chan struct{} // a change queued or Close called; capacity 1
	done chan struct{}
	ctx  context.Context
	stop context.CancelFunc
}

// pubEntry is one change waiting in an AsyncPublisher's queue.
type pubEntry struct{ a event.Alert }

// ErrQueueFull is returned by AsyncPublisher.PublishAlert (and
// AsyncKeeper.KeepEvidence) when its queue holds as many alerts' changes
// as it may and the change is of another alert: it is dropped.
var ErrQueueFull = errors.New("publish queue full")

// ErrQueueClosed is returned by AsyncPublisher.PublishAlert after Close.
var ErrQueueClosed = errors.New("publish queue closed")

// NewAsyncPublisher starts delivering to next through a queue holding at
// most queue changes (at least 1); changes of one alert in one state and
// acknowledgement are coalesced (see AsyncPublisher).
func NewAsyncPublisher(next alert.Publisher, queue int, log *slog.Logger) *AsyncPublisher {
	return newAsync(next, queue, log, "alert", latestOfState)
}

// latestOfState replaces q with a when a is in q's state and
// acknowledgement (as Notifier's outbox collapses).
func latestOfState(q *event.Alert, a event.Alert) bool {
	if q.State != a.State || (q.AckNS != 0) != (a.AckNS != 0) {
		return false
	}
	*q = a
	return true
}

func newAsync(next alert.Publisher, queue int, log *slog.Logger, what string, merge func(*event.Alert, event.Alert) bool) *AsyncPublisher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, stop := context.WithCancel(context.Background())
	p := &AsyncPublisher{next: next, log: log, merge: merge, what: what, newest: map[string]*pubEntry{}, limit: max(queue, 1),
		wake: make(chan struct{}, 1), done: make(chan struct{}), ctx: ctx, stop: stop}
	go p.loop()
	return p
}

// loop delivers the queued changes in order until Close, then what is
// left.
func (p *AsyncPublisher) loop() {
	defer close(p.done)
	for {
		a, ok, closed := p.pop()
		if !ok {
			if closed {
				return
			}
			<-p.wake
			continue
		}
		// A broker away fails every change, one per publish timeout:
		// each cause is logged when it first appears or changes, then
		// at most once a minute with how many were not (retrylog), and
		// the recovery once. It logged one line per change, a line
		// every 10 s while the broker was away
		// (TestAsyncPublisherLogsOutageOnce).
		if err := p.next.PublishAlert(p.ctx, a); err != nil {
			if log, skipped := p.sendLog.FailedAs(failureKey(err), time.Now()); log {
				p.log.Warn("publish "+p.what, "id", a.ID, "err", err, "failures_not_logged", skipped)
			}
		} else if n, since := p.sendLog.Recovered(); n > 0 {
			p.log.Warn("publish "+p.what+": succeeds again", "failed", n, "failing_for", time.Since(since).Round(time.Second))
		}
	}
}

// pop takes the oldest waiting change: ok false when there is none,
// closed true once Close was called.
func (p *AsyncPublisher) pop() (a event.Alert, ok, closed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.head == len(p.queue) {
		p.queue, p.head = p.queue[:0], 0
		return event.Alert{}, false, p.closed
	}
	q := p.queue[p.head]
	p.queue[p.head] = nil
	p.head++
	if p.newest[q.a.ID] == q {
		delete(p.newest, q.a.ID)
	}
	if p.head > 1024 && p.head > len(p.queue)/2 { // drop the taken half
		n := copy(p.queue, p.queue[p.head:])
		clear(p.queue[n:])
		p.queue, p.head = p.queue[:n], 0
	}
	return q.a, true, p.closed
}

// PublishAlert implements alert.Publisher without blocking: it queues a,
// or folds it into its alert's newest queued change (see AsyncPublisher).
func (p *AsyncPublisher) PublishAlert(_ context.Context, a event.Alert) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrQueueClosed
	}
	q := p.newest[a.ID]
	if q != nil && p.merge(&q.a, a) {
		p.mu.Unlock()
		return nil
	}
	if n := len(p.queue) - p.head; n >= p.limit {
		msg := p.what + " dropped: publish queue full"
		if q != nil {
			// the latest state wins over the one before it
			q.a, msg = a, p.what+" replaced its queued state: publish queue full"
		}
		dropped := p.dropped.Add(1)
		logIt, skipped := p.dropLog.FailedAs("full", time.Now())
		p.mu.Unlock()
		if logIt {
			p.log.Error(msg, "id", a.ID, "state", a.State, "queued", n, "dropped_total", dropped, "not_logged", skipped)
		}
		return ErrQueueFull
	}
	q = &pubEntry{a: a}
	p.queue = append(p.queue, q)
	p.newest[a.ID] = q
	dropped, since := p.dropLog.Recovered()
	p.mu.Unlock()
	if dropped > 0 {
		p.log.Warn("publish queue takes "+p.what+"s again", "dropped", dropped, "since", since)
	}
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return nil
}

// Queued returns how many changes wait to be delivered.
func (p *AsyncPublisher) Queued() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.queue) - p.head
}

// Dropped returns how many changes found the queue full and were dropped.
func (p *AsyncPublisher) Dropped() uint64 { return p.dropped.Load() }

// Close delivers the queued alerts (until ctx is done) and stops.
// PublishAlert after Close returns ErrQueueClosed.
func (p *AsyncPublisher) Close(ctx context.Context) error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	select {
	case <-p.done:
		p.stop()
		return nil
	case <-ctx.Done():
		p.stop()
		<-p.done
		return ctx.Err()
	}
}
