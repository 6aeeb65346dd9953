package fusion

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/alert"
)

// Defaults of NotifyOptions.
const (
	DefaultNotifyMaxAge     = time.Hour
	DefaultNotifyStaleAfter = time.Minute
	DefaultNotifyInFlight   = 4
	DefaultNotifyRetryMin   = 500 * time.Millisecond
	DefaultNotifyRetryMax   = 30 * time.Second
	DefaultNotifyAttempt    = 15 * time.Second
)

// notifySchema is the outbox of the notification outputs, in fusion's
// SQLite state database. One row is one undelivered publication of an
// alert to one output of one site. first_ns is when the row was queued
// (its age: expiry and health count from it), queued_ns when its content
// was last replaced (a newer state of the alert collapsed into it);
// version counts those replacements, so a delivery of an older content
// does not delete the newer.
const notifySchema = `
CREATE TABLE IF NOT EXISTS notify_outbox (
	seq       INTEGER PRIMARY KEY AUTOINCREMENT,
	site      TEXT NOT NULL,
	output    TEXT NOT NULL,
	alert_id  TEXT NOT NULL,
	state     TEXT NOT NULL,
	acked     INTEGER NOT NULL,
	critical  INTEGER NOT NULL,
	body      BLOB NOT NULL,
	version   INTEGER NOT NULL DEFAULT 0,
	first_ns  INTEGER NOT NULL,
	queued_ns INTEGER NOT NULL,
	attempts  INTEGER NOT NULL DEFAULT 0,
	next_ns   INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS notify_outbox_alert ON notify_outbox (site, output, alert_id, seq);
`

// NotifyOptions configures OpenNotifier. There is no clock to inject:
// the notifier reads time.Now and waits with time.After, and its tests run
// it in a testing/synctest bubble, whose clock moves on only while Run is
// blocked (a fake clock that a test moved on raced Run between reading
// the time and arming its timer).
type NotifyOptions struct {
	Site   string          // the site whose alerts these are (a database may hold several sites' outboxes)
	Output string          // the output's name in the outbox, metrics and /healthz: "webhook", "syslog"
	Next   alert.Publisher // one delivery attempt (Webhook with MaxAttempts 1, Syslog)
	// MaxAge is how long an undelivered notification is kept trying
	// (since it was first queued: a newer content collapsing into it does
	// not make it younger); older ones are dropped, logged and counted.
	// Default DefaultNotifyMaxAge.
	MaxAge time.Duration
	// StaleAfter: Health reports the output degraded when its oldest
	// undelivered notification was queued longer ago, and for StaleAfter
	// after it dropped one (too old, or refused for good). Default
	// DefaultNotifyStaleAfter.
	StaleAfter time.Duration
	// InFlight is how many deliveries run at once (each alert's in order,
	// one at a time); default DefaultNotifyInFlight.
	InFlight int
	// RetryMin and RetryMax bound the exponential backoff after failures,
	// of the output and of each notification; defaults 500 ms and 30 s.
	RetryMin, RetryMax time.Duration
	// AttemptTimeout bounds one delivery; default DefaultNotifyAttempt.
	AttemptTimeout time.Duration
	Logger         *slog.Logger // nil: discard
}

// Notifier delivers one output's notifications (the webhook, syslog)
// from a durable outbox in fusion's SQLite database, so that a slow or
// absent receiver neither stalls fusion nor loses an alert, and a
// restart sends what was queued.
//
// PublishAlert only queues, in a short transaction. When the alert
// already has an undelivered notification of the same state and
// acknowledgement (a reminder behind a reminder, the same state
// published again) that one is replaced by the new content: a receiver
// that is behind gets the latest state of each alert, and every
// transition (pending, firing, acknowledged, resolved) all the same.
//
// Run delivers: up to InFlight at once, critical alerts first and then
// in queue order, each alert's notifications one at a time in order, so
// one slow alert never holds back a newer critical one. A failed
// delivery is tried again after an exponential backoff (RetryMin
// doubling to RetryMax), for the notification and for the whole output
// (no hammering of a receiver that is down), until the notification is
// MaxAge old; then it is dropped, logged and counted. A refusal for good
// (an error whose Permanent method says so: Webhook's StatusError for a
// 4xx other than 408 and 429) drops it at once, logged and counted, so
// the alert's later notifications are not held behind it.
type Notifier struct {
	db *sql.DB
	o  NotifyOptions

	wake chan struct{} // PublishAlert's nudge to Run; buffered 1

	mu         sync.Mutex
	failures   int       // consecutive failed deliveries of the output
	pauseUntil time.Time // no delivery starts before (the output's backoff)
	lastErr    string
	lastErrAt  time.Time
	lastDropAt time.Time     // when a notification was last dropped (Health)
	settled    chan struct{} // closed and replaced each time a delivery settles (Drain)

	// dropped counts the notifications dropped after MaxAge, refused
	// those a receiver refused for good.
	delivered, failed, dropped, refused, collapsed atomic.Int64
}

var _ alert.Publisher = (*Notifier)(nil)

// OpenNotifier creates the outbox table in db when it is missing and
// returns the output's notifier; Run delivers.
func OpenNotifier(ctx context.Context, db *sql.DB, o NotifyOptions) (*Notifier, error) {
	if o.Output == "" || o.Next == nil {
		return nil, errors.New("notifier: output name or publisher missing")
	}
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultNotifyMaxAge
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = DefaultNotifyStaleAfter
	}
	if o.InFlight <= 0 {
		o.InFlight = DefaultNotifyInFlight
	}
	if o.RetryMin <= 0 {
		o.RetryMin = DefaultNotifyRetryMin
	}
	if o.RetryMax <= 0 {
		o.RetryMax = DefaultNotifyRetryMax
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = DefaultNotifyAttempt
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if _, err := db.ExecContext(ctx, notifySchema); err != nil {
		return nil, fmt.Errorf("notifier %s: create the outbox table: %w", o.Output, err)
	}
	return &Notifier{db: db, o: o, wake: make(chan struct{}, 1), settled: make(chan struct{})}, nil
}

// PublishAlert implements alert.Publisher: it queues a in the outbox
// (collapsing it into an undelivered notification of the alert with the
// same state and acknowledgement) and returns; an error means it could not
// be stored.
func (n *Notifier) PublishAlert(ctx context.Context, a event.Alert) error {
	body, err := event.Encode(a)
	if err != nil {
		return fmt.Errorf("notifier %s: %w", n.o.Output, err)
	}
	now := time.Now().UnixNano()
	acked := boolToInt(a.AckNS != 0)
	critical := boolToInt(a.Severity == event.SeverityCritical)
	tx, err := n.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("notifier %s: queue alert %s: %w", n.o.Output, a.ID, err)
	}
	defer tx.Rollback()
	var seq int64
	var state string
	var wasAcked int
	err = tx.QueryRowContext(ctx, `SELECT seq, state, acked FROM notify_outbox WHERE site = ? AND output = ? AND alert_id = ? ORDER BY seq DESC LIMIT 1`,
		n.o.Site, n.o.Output, a.ID).Scan(&seq, &state, &wasAcked)
	collapse := err == nil && state == a.State && wasAcked == acked
	switch {
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("notifier %s: queue alert %s: %w", n.o.Output, a.ID, err)
	case collapse:
		_, err = tx.ExecContext(ctx, `UPDATE notify_outbox SET body = ?, critical = ?, version = version + 1, queued_ns = ? WHERE seq = ?`,
			body, critical, now, seq)
	default:
		_, err = tx.ExecContext(ctx, `INSERT INTO notify_outbox (site, output, alert_id, state, acked, critical, body, first_ns, queued_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			n.o.Site, n.o.Output, a.ID, a.State, acked, critical, body, now, now)
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return fmt.Errorf("notifier %s: queue alert %s: %w", n.o.Output, a.ID, err)
	}
	if collapse {
		n.collapsed.Add(1)
	}
	select {
	case n.wake <- struct{}{}:
	default:
	}
	return nil
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// pending is one outbox row being delivered.
type pending struct {
	seq      int64
	alertID  string
	body     []byte
	version  int64
	attempts int
	err      error // the delivery's outcome
}

// Run delivers the outbox until ctx ends; deliveries in flight then are
// cancelled and stay queued for the next start. It returns nil when ctx
// ends.
func (n *Notifier) Run(ctx context.Context) error {
	results := make(chan *pending)
	inFlight := map[string]bool{} // alert IDs
	var wg sync.WaitGroup
	defer wg.Wait()
	var expired time.Time
	for {
		now := time.Now()
		if now.Sub(expired) >= time.Second { // at most once a second: a write
			n.expire(ctx, now)
			expired = now
		}
		var wait <-chan time.Time
		n.mu.Lock()
		pause := n.pauseUntil
		n.mu.Unlock()
		switch {
		case now.Before(pause):
			wait = time.After(pause.Sub(now))
		case len(inFlight) < n.o.InFlight:
			rows, next, err := n.due(ctx, now, n.o.InFlight-len(inFlight), inFlight)
			if err != nil && ctx.Err() == nil {
				n.o.Logger.Warn("notifier: read the outbox", "output", n.o.Output, "err", err)
				n.noteErr(err, now)
				wait = time.After(n.o.RetryMax)
			}
			for _, p := range rows {
				inFlight[p.alertID] = true
				wg.Go(func() {
					actx, cancel := context.WithTimeout(ctx, n.o.AttemptTimeout)
					defer cancel()
					p.err = n.deliver(actx, p)
					results <- p
				})
			}
			if next > 0 && wait == nil {
				wait = time.After(time.Duration(next - now.UnixNano()))
			}
		}
		select {
		case p := <-results:
			delete(inFlight, p.alertID)
			n.settle(ctx, p)
		case <-n.wake:
		case <-wait:
		case <-ctx.Done():
			for range inFlight {
				// Cancelled, the rows stay queued; but a delivery that
				// succeeded (or was refused for good) as fusion stopped
				// leaves the outbox: it was sent again after the restart.
				n.settle(ctx, <-results)
			}
			return nil
		}
	}
}

// Close closes the output's publisher when it holds a connection (Syslog);
// call it after Run has returned.
func (n *Notifier) Close() error {
	if c, ok := n.o.Next.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// deliver sends p's alert once.
func (n *Notifier) deliver(ctx context.Context, p *pending) error {
	a, err := event.DecodeAlert(p.body)
	if err != nil {
		return fmt.Errorf("queued alert %s: %w", p.alertID, err)
	}
	return n.o.Next.PublishAlert(ctx, a)
}

// due returns up to limit notifications to deliver now, critical ones
// first, then oldest first, each the oldest queued of its alert and of
// no alert in flight; and when the next one not yet due is (unix ns, 0:
// none).
func (n *Notifier) due(ctx context.Context, now time.Time, limit int, inFlight map[string]bool) ([]*pending, int64, error) {
	rows, err := n.db.QueryContext(ctx, `SELECT seq, alert_id, body, version, attempts FROM notify_outbox o
		WHERE site = ? AND output = ? AND next_ns <= ?
		AND seq = (SELECT MIN(seq) FROM notify_outbox WHERE site = o.site AND output = o.output AND alert_id = o.alert_id)
		ORDER BY critical DESC, seq LIMIT ?`, n.o.Site, n.o.Output, now.UnixNano(), limit+len(inFlight))
	if err != nil {
		return nil, 0, err
	}
	var out []*pending
	for rows.Next() {
		p := &pending{}
		if err := rows.Scan(&p.seq, &p.alertID, &p.body, &p.version, &p.attempts); err != nil {
			rows.Close()
			return nil, 0, err
		}
		if !inFlight[p.alertID] && len(out) < limit {
			out = append(out, p)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	var next sql.NullInt64
	err = n.db.QueryRowContext(ctx, `SELECT MIN(next_ns) FROM notify_outbox WHERE site = ? AND output = ? AND next_ns > ?`,
		n.o.Site, n.o.Output, now.UnixNano()).Scan(&next)
	return out, next.Int64, err
}

// settle records p's outcome: delivered, or refused for good (see
// permanent), it leaves the outbox (unless a newer state replaced its
// content meanwhile); failed, it and the output back off. The outbox is
// written even when ctx has ended (fusion stopping): a delivery that
// succeeded then was sent again after the restart.
func (n *Notifier) settle(ctx context.Context, p *pending) {
	now := time.Now()
	defer n.signalSettled()
	wctx := context.WithoutCancel(ctx)
	if p.err == nil {
		n.delivered.Add(1)
		n.mu.Lock()
		n.failures, n.pauseUntil = 0, time.Time{}
		n.mu.Unlock()
		if _, err := n.db.ExecContext(wctx, `DELETE FROM notify_outbox WHERE seq = ? AND version = ?`, p.seq, p.version); err != nil {
			n.o.Logger.Warn("notifier: delivered, but the outbox did not take it off (it will be sent again)", "output", n.o.Output, "alert", p.alertID, "err", err)
		}
		return
	}
	if permanent(p.err) {
		res, err := n.db.ExecContext(wctx, `DELETE FROM notify_outbox WHERE seq = ? AND version = ?`, p.seq, p.version)
		var gone int64
		if err == nil {
			gone, err = res.RowsAffected()
		}
		switch {
		case err != nil:
			n.o.Logger.Warn("notifier: refused for good, but the outbox did not take it off (it will be tried again)", "output", n.o.Output, "alert", p.alertID, "err", err)
		case gone == 1:
			n.refused.Add(1)
			n.noteErr(p.err, now)
			n.mu.Lock()
			n.lastDropAt = now
			n.mu.Unlock()
			var se *StatusError
			status := 0
			if errors.As(p.err, &se) {
				status = se.Code
			}
			n.o.Logger.Error("notifier: notification refused for good by the receiver, dropped", "output", n.o.Output, "alert", p.alertID,
				"status", status, "attempts", p.attempts+1, "err", p.err)
			return
		}
		// a newer content collapsed into it meanwhile: that one is tried
	}
	if ctx.Err() != nil {
		return // stopping: stays queued, not a failure of the receiver
	}
	n.failed.Add(1)
	n.noteErr(p.err, now)
	n.mu.Lock()
	n.failures++
	n.pauseUntil = now.Add(n.backoff(n.failures))
	n.mu.Unlock()
	next := now.Add(n.backoff(p.attempts + 1)).UnixNano()
	n.o.Logger.Warn("notifier: delivery failed; it is tried again", "output", n.o.Output, "alert", p.alertID,
		"attempts", p.attempts+1, "next", time.Unix(0, next).Format(time.RFC3339), "err", p.err)
	if _, err := n.db.ExecContext(ctx, `UPDATE notify_outbox SET attempts = attempts + 1, next_ns = ?, last_error = ? WHERE seq = ?`,
		next, p.err.Error(), p.seq); err != nil {
		n.o.Logger.Warn("notifier: note a failed delivery", "output", n.o.Output, "alert", p.alertID, "err", err)
	}
}

// permanent reports whether err says that delivering the same
// notification again cannot succeed (a method Permanent() bool returning
// true, in err's chain: Webhook's StatusError for a 4xx other than 408
// and 429).
func permanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

// backoff is the delay after the k-th consecutive failure (k ≥ 1):
// RetryMin doubling up to RetryMax.
func (n *Notifier) backoff(k int) time.Duration {
	d := n.o.RetryMin
	for i := 1; i < k && d < n.o.RetryMax; i++ {
		d *= 2
	}
	return min(d, n.o.RetryMax)
}

func (n *Notifier) noteErr(err error, now time.Time) {
	n.mu.Lock()
	n.lastErr, n.lastErrAt = err.Error(), now
	n.mu.Unlock()
}

func (n *Notifier) signalSettled() {
	n.mu.Lock()
	close(n.settled)
	n.settled = make(chan struct{})
	n.mu.Unlock()
}

// expire drops the notifications first queued more than MaxAge ago,
// logging each. The first time, not the latest content's: an alert
// reminded of every 5 minutes collapsed each reminder into its queued
// notification, which then never grew old enough to drop.
func (n *Notifier) expire(ctx context.Context, now time.Time) {
	rows, err := n.db.QueryContext(ctx, `DELETE FROM notify_outbox WHERE site = ? AND output = ? AND first_ns < ? RETURNING alert_id, state, attempts, last_error`,
		n.o.Site, n.o.Output, now.Add(-n.o.MaxAge).UnixNano())
	if err != nil {
		if ctx.Err() == nil {
			n.o.Logger.Warn("notifier: drop expired notifications", "output", n.o.Output, "err", err)
		}
		return
	}
	defer rows.Close()
	defer n.signalSettled() // Drain
	for rows.Next() {
		var id, state, lastErr string
		var attempts int
		if rows.Scan(&id, &state, &attempts, &lastErr) == nil {
			n.dropped.Add(1)
			n.mu.Lock()
			n.lastDropAt = now
			n.mu.Unlock()
			n.o.Logger.Error("notifier: notification undelivered for too long, dropped", "output", n.o.Output, "alert", id, "state", state,
				"max_age", n.o.MaxAge, "attempts", attempts, "last_error", lastErr)
		}
	}
}

// Drain waits until the outbox of the output is empty or ctx ends (the
// rest is sent after the next start); Run must be running.
func (n *Notifier) Drain(ctx context.Context) error {
	for {
		n.mu.Lock()
		settled := n.settled
		n.mu.Unlock()
		h, err := n.Health(ctx)
		if err != nil {
			return err
		}
		if h.Queued == 0 {
			return nil
		}
		select {
		case <-settled:
		case <-ctx.Done():
			return fmt.Errorf("notifier %s: %d notifications left queued for the next start: %w", n.o.Output, h.Queued, ctx.Err())
		}
	}
}

// NotifyHealth is an output's state in fusion's /healthz.
type NotifyHealth struct {
	Output string `json:"output"`
	// State is ok, or degraded: the oldest undelivered notification is
	// older than StaleAfter, or one was dropped (too old, or refused for
	// good) within the last StaleAfter.
	State  string `json:"state"`
	Queued int64  `json:"queued"` // undelivered notifications
	// OldestSeconds is how long ago the oldest undelivered notification
	// was queued.
	OldestSeconds float64 `json:"oldest_s,omitempty"`
	LastError     string  `json:"last_error,omitempty"` // the last failed delivery's error
	LastErrorAt   string  `json:"last_error_at,omitempty"`
	// Dropped is how many notifications the output dropped since fusion
	// started (too old, or refused for good), LastDropAt when the latest
	// was.
	Dropped    int64  `json:"dropped,omitempty"`
	LastDropAt string `json:"last_drop_at,omitempty"`
}

// Health reports the output's queue and whether it is behind.
func (n *Notifier) Health(ctx context.Context) (NotifyHealth, error) {
	h := NotifyHealth{Output: n.o.Output, State: event.StateOK}
	var oldest sql.NullInt64
	if err := n.db.QueryRowContext(ctx, `SELECT COUNT(*), MIN(first_ns) FROM notify_outbox WHERE site = ? AND output = ?`,
		n.o.Site, n.o.Output).Scan(&h.Queued, &oldest); err != nil {
		return h, fmt.Errorf("notifier %s: read the outbox: %w", n.o.Output, err)
	}
	if oldest.Valid {
		age := time.Now().Sub(time.Unix(0, oldest.Int64))
		h.OldestSeconds = max(age.Seconds(), 0)
		if age > n.o.StaleAfter {
			h.State = event.StateDegraded
		}
	}
	n.mu.Lock()
	if n.lastErr != "" {
		h.LastError, h.LastErrorAt = n.lastErr, n.lastErrAt.UTC().Format(time.RFC3339)
	}
	lastDrop := n.lastDropAt
	n.mu.Unlock()
	h.Dropped = n.dropped.Load() + n.refused.Load()
	if !lastDrop.IsZero() {
		h.LastDropAt = lastDrop.UTC().Format(time.RFC3339)
		// An output whose every notification is dropped has an empty
		// outbox: it said ok while the alerts were lost.
		if time.Now().Sub(lastDrop) <= n.o.StaleAfter {
			h.State = event.StateDegraded
		}
	}
	return h, nil
}

// Collectors returns the output's metrics, labelled output="<Output>":
// rfw_fusion_notify_queued and rfw_fusion_notify_oldest_seconds (the
// outbox), rfw_fusion_notify_delivered_total, _failed_total (failed
// attempts, each tried again), _dropped_total with reason="max_age"
// (undelivered after MaxAge) or reason="refused" (refused for good by the
// receiver), and _collapsed_total (replaced by a newer state of their
// alert before delivery). The order is fixed (tests index it): queued,
// oldest, delivered, failed, dropped (max_age), collapsed, dropped
// (refused).
func (n *Notifier) Collectors() []prometheus.Collector {
	labels := prometheus.Labels{"output": n.o.Output}
	health := func() NotifyHealth {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		h, _ := n.Health(ctx)
		return h
	}
	counter := func(name, help string, v *atomic.Int64, extra ...string) prometheus.Collector {
		l := maps.Clone(labels)
		for i := 0; i+1 < len(extra); i += 2 {
			l[extra[i]] = extra[i+1]
		}
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: l},
			func() float64 { return float64(v.Load()) })
	}
	const droppedHelp = "Alert notifications dropped undelivered: reason max_age (after the maximum age) or refused (refused for good by the receiver, a 4xx other than 408 and 429)."
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rfw_fusion_notify_queued", ConstLabels: labels,
			Help: "Alert notifications waiting in the output's outbox."}, func() float64 { return float64(health().Queued) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rfw_fusion_notify_oldest_seconds", ConstLabels: labels,
			Help: "Age of the oldest undelivered notification of the output; 0 when none."}, func() float64 { return health().OldestSeconds }),
		counter("rfw_fusion_notify_delivered_total", "Alert notifications the output delivered.", &n.delivered),
		counter("rfw_fusion_notify_failed_total", "Failed delivery attempts of the output (each tried again until the maximum age).", &n.failed),
		counter("rfw_fusion_notify_dropped_total", droppedHelp, &n.dropped, "reason", "max_age"),
		counter("rfw_fusion_notify_collapsed_total", "Queued notifications replaced by a newer one of the same alert, state and acknowledgement before delivery.", &n.collapsed),
		counter("rfw_fusion_notify_dropped_total", droppedHelp, &n.refused, "reason", "refused"),
	}
}
