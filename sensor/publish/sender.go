package publish

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Sender drains an Outbox to a Client, at least once.
//
// It keeps up to Window publishes in flight, so a link's round trip does
// not cap the rate: one at a time, a 50 ms link carries at most 20
// detections a second, and on the demo's busy two cores each PUBACK took
// 300-500 ms and the sensors fell seconds behind. Records are published
// in outbox order (on the wire in that order when the Client is a
// Starter) and acknowledged in the outbox in order, each only once it and
// every record before it got a PUBACK; a failed publish is retried after
// RetryDur (with the other failed ones in the window), so after a failure
// a record can arrive after later ones, or more than once, but is never
// skipped. A record the disk quota drops is not sent again; if its
// publish was already under way and gets through, it arrives but stays in
// Stats.Dropped (for the oldest record the outbox takes it back out), so
// the count can exceed the loss by up to Window-1.
//
// A PUBACK that does not come within AckTimeout while the client stays
// connected is a slow broker, not a lost message: the record is sent again
// with twice the timeout (up to MaxAckTimeout), and the timeout returns
// to AckTimeout with the next PUBACK in time. Sending again at the same
// timeout would give a broker that stays slower than it a copy of the
// window every AckTimeout, for ever, and load it further.
//
// With a Gate, nothing is published (or published again) while the gate
// is closed: the records wait in the outbox, and the window in flight
// finishes.
type Sender struct {
	Outbox     *Outbox
	Client     Client
	Topic      string
	AckTimeout time.Duration // per publish; default 10 s
	// MaxAckTimeout bounds the timeout a slow broker doubles it to;
	// default 32 AckTimeouts.
	MaxAckTimeout time.Duration
	RetryDur      time.Duration // pause after a failed publish; default 200 ms
	Window        int           // publishes in flight at once; default 16, 1 publishes one at a time
	Logger        *slog.Logger
	// Gate, when not nil, holds the records in the outbox while it is
	// closed: none is published, nor published again after a failure,
	// until it opens. Publishes already in flight go on.
	Gate *Gate

	sent    atomic.Int64
	retries atomic.Int64
}

// DefaultWindow is Sender.Window's default.
const DefaultWindow = 16

// Sent returns the number of records acknowledged by the broker.
func (s *Sender) Sent() int64 { return s.sent.Load() }

// Retries returns the number of failed publish attempts.
func (s *Sender) Retries() int64 { return s.retries.Load() }

// Starter is a Client that puts a publish on the wire and waits for its
// PUBACK apart. The Sender starts a window's publishes with it one after
// another, so they go on the wire in outbox order; a Client that is not a
// Starter publishes the window's records from goroutines of their own,
// which reach it in any order.
type Starter interface {
	// Start queues the message for sending and returns; wait returns once
	// the broker's PUBACK came (nil), the send failed, or ctx ended.
	Start(topic string, qos byte, retained bool, payload []byte) (wait func(ctx context.Context) error)
}

// flight is one publish in progress: err is valid once done is closed.
type flight struct {
	r       Record
	timeout time.Duration // its wait for the PUBACK
	done    chan struct{}
	err     error
}

// Run delivers records until ctx ends (returning nil, after the publishes
// in flight have returned) or the outbox closes.
func (s *Sender) Run(ctx context.Context) error {
	ackTimeout := s.AckTimeout
	if ackTimeout <= 0 {
		ackTimeout = 10 * time.Second
	}
	retry := s.RetryDur
	if retry <= 0 {
		retry = 200 * time.Millisecond
	}
	maxAck := s.MaxAckTimeout
	if maxAck <= 0 {
		maxAck = 32 * ackTimeout
	}
	timeout := ackTimeout // doubled while the broker is slow
	window := s.Window
	if window <= 0 {
		window = DefaultWindow
	}
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	starter, _ := s.Client.(Starter)
	publish := func(f *flight) {
		f.done = make(chan struct{})
		f.timeout = timeout
		wait := func(ctx context.Context) error { return s.Client.Publish(ctx, s.Topic, QoS1, false, f.r.Payload) }
		if starter != nil {
			wait = starter.Start(s.Topic, QoS1, false, f.r.Payload) // here: in order
		}
		wg.Go(func() {
			pctx, cancel := context.WithTimeout(ctx, f.timeout)
			f.err = wait(pctx)
			cancel()
			close(f.done)
		})
	}
	var win []*flight // oldest first
	var next uint64   // the sequence to read next
	for {
		// Fill the window: wait for a record only when nothing is in flight.
		for len(win) < window {
			r, ok, err := s.Outbox.Peek(ctx, next, len(win) == 0)
			if err != nil {
				if ctx.Err() != nil || errors.Is(err, ErrClosed) {
					return nil
				}
				return err
			}
			if !ok {
				break
			}
			if s.Gate != nil && !s.Gate.IsOpen() {
				if len(win) > 0 {
					break // the window in flight first
				}
				if s.Gate.Wait(ctx) != nil {
					return nil
				}
				continue // peek again: the quota may have dropped r meanwhile
			}
			f := &flight{r: r}
			publish(f)
			win = append(win, f)
			next = r.Seq + 1
		}
		head := win[0]
		select {
		case <-head.done:
		case <-ctx.Done():
			return nil
		}
		if head.err == nil {
			timeout = ackTimeout
			if err := s.Outbox.Ack(head.r.Seq); err != nil {
				if errors.Is(err, ErrClosed) {
					return nil
				}
				return err
			}
			s.sent.Add(1)
			win = win[1:]
			continue
		}
		if ctx.Err() != nil {
			return nil
		}
		if !s.Outbox.Pending(head.r.Seq) {
			win = win[1:] // dropped by the quota meanwhile: not sent again
			continue
		}
		// The head failed: pause, then publish again every record of the
		// window whose publish has failed by now (the link is likely down
		// for all of them), unless the quota has dropped it meanwhile.
		s.retries.Add(1)
		if errors.Is(head.err, context.DeadlineExceeded) && s.Client.IsConnected() && head.timeout >= timeout && timeout < maxAck {
			timeout = min(2*timeout, maxAck)
			log.Warn("broker slow to acknowledge: waiting longer", "seq", head.r.Seq, "ack_timeout", timeout)
		}
		log.Debug("publish failed, will retry", "seq", head.r.Seq, "err", head.err)
		select {
		case <-time.After(retry):
		case <-ctx.Done():
			return nil
		}
		if s.Gate != nil && s.Gate.Wait(ctx) != nil {
			return nil
		}
		keep := win[:0]
		for i, f := range win {
			select {
			case <-f.done:
				if f.err == nil {
					break
				}
				if !s.Outbox.Pending(f.r.Seq) {
					continue // dropped by the quota
				}
				if i > 0 {
					s.retries.Add(1)
				}
				publish(f)
			default:
			}
			keep = append(keep, f)
		}
		win = keep
	}
}
