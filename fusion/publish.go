package fusion

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/alert"
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
// PublishAlert only queues, in memory; one goroutine delivers in order. A
// full queue drops the alert and returns an error. Close stops the
// goroutine after delivering what is queued, until its context ends. The
// webhook and syslog, which must not lose an alert, use Notifier's durable
// outbox instead.
type AsyncPublisher struct {
	next alert.Publisher
	log  *slog.Logger
	ch   chan event.Alert
	done chan struct{}
	once sync.Once
	ctx  context.Context
	stop context.CancelFunc
}

// ErrQueueFull is returned by AsyncPublisher.PublishAlert when its queue is full.
var ErrQueueFull = errors.New("publish queue full")

// NewAsyncPublisher starts delivering to next through a queue of the given size.
func NewAsyncPublisher(next alert.Publisher, queue int, log *slog.Logger) *AsyncPublisher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, stop := context.WithCancel(context.Background())
	p := &AsyncPublisher{next: next, log: log, ch: make(chan event.Alert, max(queue, 1)), done: make(chan struct{}), ctx: ctx, stop: stop}
	go p.loop()
	return p
}

func (p *AsyncPublisher) loop() {
	defer close(p.done)
	for a := range p.ch {
		if err := p.next.PublishAlert(p.ctx, a); err != nil {
			p.log.Warn("publish alert", "id", a.ID, "err", err)
		}
	}
}

// PublishAlert implements alert.Publisher without blocking.
func (p *AsyncPublisher) PublishAlert(_ context.Context, a event.Alert) error {
	select {
	case p.ch <- a:
		return nil
	default:
		return ErrQueueFull
	}
}

// Close delivers the queued alerts (until ctx is done) and stops. Do not
// call PublishAlert after Close.
func (p *AsyncPublisher) Close(ctx context.Context) error {
	p.once.Do(func() { close(p.ch) })
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
