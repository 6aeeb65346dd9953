package publish

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"
)

// Sender drains an Outbox to a Client in order, at least once.
type Sender struct {
	Outbox     *Outbox
	Client     Client
	Topic      string
	AckTimeout time.Duration // per publish; default 10 s
	RetryDur   time.Duration // pause after a failed publish; default 200 ms
	Logger     *slog.Logger

	sent    atomic.Int64
	retries atomic.Int64
}

// Sent returns the number of records acknowledged by the broker.
func (s *Sender) Sent() int64 { return s.sent.Load() }

// Retries returns the number of failed publish attempts.
func (s *Sender) Retries() int64 { return s.retries.Load() }

// Run delivers records until ctx ends (returning nil) or the outbox closes.
// A record is acknowledged in the outbox only after the client's Publish
// returned nil (PUBACK received); otherwise it is retried, so a record can
// arrive more than once but is never skipped.
func (s *Sender) Run(ctx context.Context) error {
	ackTimeout := s.AckTimeout
	if ackTimeout <= 0 {
		ackTimeout = 10 * time.Second
	}
	retry := s.RetryDur
	if retry <= 0 {
		retry = 200 * time.Millisecond
	}
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for {
		r, err := s.Outbox.Oldest(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, ErrClosed) {
				return nil
			}
			return err
		}
		for {
			pctx, cancel := context.WithTimeout(ctx, ackTimeout)
			err = s.Client.Publish(pctx, s.Topic, QoS1, false, r.Payload)
			cancel()
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return nil
			}
			s.retries.Add(1)
			log.Debug("publish failed, will retry", "seq", r.Seq, "err", err)
			select {
			case <-time.After(retry):
			case <-ctx.Done():
				return nil
			}
		}
		if err := s.Outbox.Ack(r.Seq); err != nil {
			if errors.Is(err, ErrClosed) {
				return nil
			}
			return err
		}
		s.sent.Add(1)
	}
}
