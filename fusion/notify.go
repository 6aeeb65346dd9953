package fusion

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/alert"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/internal/atomicfile"
	"github.com/rfwarden/rfwarden/internal/redact"
)

// Defaults of NotifyOptions.
const (
	DefaultNotifyMaxAge     = time.Hour
	DefaultNotifyStaleAfter = time.Minute
	DefaultNotifyInFlight   = 4
	DefaultNotifyRetryMin   = 500 * time.Millisecond
	DefaultNotifyRetryMax   = 30 * time.Second
	DefaultNotifyAttempt    = 15 * time.Second
	DefaultNotifyMaxHeld    = 10000
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
	// MaxHeld bounds the publications held in memory while the outbox
	// cannot be written (the disk full, the database locked): past it
	// the oldest held is dropped, logged and counted. Default
	// DefaultNotifyMaxHeld.
	MaxHeld int
	Logger  *slog.Logger // nil: discard
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
//
// When the outbox cannot be written (the disk full, the database locked
// past its busy timeout), PublishAlert holds the publication in memory,
// in order, and returns nil; Run queues what is held in the outbox, in
// the order published, as soon as it can be written (tried at least
// once a second), and every later publication goes behind it, so each
// alert's transitions stay in order. At most MaxHeld are held: past it
// the oldest is dropped, each logged at error level naming its alert,
// and counted. When fusion stops with the outbox still unwritable, what
// is held is written to the keep file beside the database (keepFile),
// which the next OpenNotifier reads: its publications are queued ahead
// of any new one and the file removed. A publication the keep file
// cannot take either (its disk full too) is logged at error level
// naming its alert, rule, room, state and time, and counted. What is
// held is lost if fusion crashes.
type Notifier struct {
	db *sql.DB
	o  NotifyOptions

	wake chan struct{} // PublishAlert's nudge to Run; buffered 1

	mu         sync.Mutex
	failures   int       // consecutive failed deliveries of the output
	pauseUntil time.Time // no delivery starts before (the output's backoff)
	lastErr    error     // the latest failed delivery's or outbox write's (Health says it as notifyFault)
	lastErrAt  time.Time
	lastDropAt time.Time     // when a notification was last dropped (Health)
	settled    chan struct{} // closed and replaced each time a delivery settles (Drain)

	// held are the publications the outbox refused, oldest first, each
	// numbered (heldSeq): those numbered up to heldFlushing are being
	// written by flushHeld. heldSince is when the outbox first refused in
	// this outage (zero: it takes publications), heldErr its last error,
	// heldDropped the held dropped in this outage (MaxHeld).
	// hmu guards them; PublishAlert holds it while it writes the outbox,
	// so a publication racing another cannot be held and then queued
	// ahead of it. Lock order: hmu, then mu. heldN is len(held), for
	// Health, which must not wait for a write.
	hmu          sync.Mutex
	held         []heldAlert
	heldSeq      int64
	heldFlushing int64
	heldSince    time.Time
	heldErr      error
	heldDropped  int64
	heldN        atomic.Int64
	flushMu      sync.Mutex // one flushHeld at a time
	// keepPath is the keep file (keepFile; "" for a database in memory);
	// keepSeq the number of the last held publication read from it at
	// the start (0: none, or all queued since and the file removed).
	keepPath string
	keepSeq  int64

	// dropped counts the notifications dropped after MaxAge, refused
	// those a receiver refused for good.
	delivered, failed, dropped, refused, collapsed atomic.Int64
	// unqueued counts the publications dropped without reaching the
	// outbox: held past MaxHeld, or held when fusion stopped.
	unqueued atomic.Int64
}

// heldAlert is a publication held in memory until the outbox takes it.
type heldAlert struct {
	seq int64
	a   event.Alert
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
	if o.MaxHeld <= 0 {
		o.MaxHeld = DefaultNotifyMaxHeld
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if _, err := db.ExecContext(ctx, notifySchema); err != nil {
		return nil, fmt.Errorf("notifier %s: create the outbox table: %w", o.Output, err)
	}
	n := &Notifier{db: db, o: o, wake: make(chan struct{}, 1), settled: make(chan struct{})}
	var file string
	if err := db.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file); err != nil {
		return nil, fmt.Errorf("notifier %s: find the database's file: %w", o.Output, err)
	}
	if file != "" {
		n.keepPath = keepFile(file, o.Site, o.Output)
		if err := n.loadKept(); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// keepFile is where a notifier keeps, when fusion stops, the
// publications its outbox in the database dbFile could not take:
// rfwarden.db.notify-held.SITE.OUTPUT.jsonl beside it, one alert (its
// MQTT payload) a line. The site's share of the database is fusion's
// alone (its state lock), and so is the file.
func keepFile(dbFile, site, output string) string {
	return keepPrefix(dbFile, site) + output + ".jsonl"
}

// keepPrefix is the start of the name of site's keep files (keepFile).
func keepPrefix(dbFile, site string) string {
	return dbFile + ".notify-held." + site + "."
}

// KeepFiles returns the paths of the keep files beside the database
// dbFile, of every site and output (keepFile): what fusion held of its
// notifications at its last stop, for a backup to copy. None (nil) when
// there are none.
func KeepFiles(dbFile string) ([]string, error) {
	dir, base := filepath.Split(dbFile)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read the notifications kept at fusion's last stop: %w", err)
	}
	prefix := base + ".notify-held."
	var paths []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, prefix) && strings.HasSuffix(name, ".jsonl") && e.Type().IsRegular() {
			paths = append(paths, filepath.Join(dir, name))
		}
	}
	return paths, nil
}

// EraseKept removes from the keep files of site's outputs beside the
// database dbFile (keepFile) every notification of an alert in ids, as
// `rfwarden erase` deletes their outbox rows: a kept notification carries
// its alert's room, users and notes, and the next start would deliver
// it. A file left with none is removed; a line that is not an alert is
// left (the next start logs and skips it). It returns how many it
// removed and from which files. Run it with fusion stopped (its state
// lock): a running fusion reads the file only as it starts.
func EraseKept(dbFile, site string, ids []string) (removed int, files []string, err error) {
	kept, err := KeepFiles(dbFile)
	if err != nil {
		return 0, nil, err
	}
	prefix := keepPrefix(filepath.Base(dbFile), site)
	erase := make(map[string]bool, len(ids))
	for _, id := range ids {
		erase[id] = true
	}
	for _, path := range kept {
		if !strings.HasPrefix(filepath.Base(path), prefix) {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return removed, files, fmt.Errorf("read the notifications kept at fusion's last stop: %w", err)
		}
		var keep []byte
		n := 0
		for line := range strings.SplitSeq(string(data), "\n") {
			if line == "" {
				continue
			}
			if a, err := event.DecodeStoredAlert([]byte(line)); err == nil && a.Site == site && erase[a.ID] {
				n++
				continue
			}
			keep = append(append(keep, line...), '\n')
		}
		if n == 0 {
			continue
		}
		if len(keep) == 0 {
			err = os.Remove(path)
		} else {
			err = atomicfile.Write(path, keep, 0o600)
		}
		if err != nil {
			return removed, files, fmt.Errorf("erase %d notifications kept at fusion's last stop from %s: %w", n, path, err)
		}
		removed += n
		files = append(files, path)
	}
	return removed, files, nil
}

// loadKept holds the publications kept at the last stop (keepPath), in
// order, ahead of any new one; Run queues them in the outbox and then
// removes the file. A line that is not an alert is logged and skipped.
func (n *Notifier) loadKept() error {
	data, err := os.ReadFile(n.keepPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("notifier %s: read the notifications kept at the last stop: %w: make it readable for the user fusion runs as, or move it away to start without them (each line is an alert as JSON)", n.o.Output, err)
	}
	for i, line := range strings.Split(string(data), "\n") {
		if line == "" {
			continue
		}
		a, err := event.DecodeStoredAlert([]byte(line))
		if err != nil {
			n.o.Logger.Error("notifier: a line of the keep file is not an alert; it is skipped", "output", n.o.Output, "file", n.keepPath, "line", i+1, "err", err)
			continue
		}
		n.heldSeq++
		n.held = append(n.held, heldAlert{seq: n.heldSeq, a: a})
	}
	n.keepSeq = n.heldSeq
	n.heldN.Store(int64(len(n.held)))
	if len(n.held) > 0 {
		n.heldSince = time.Now()
		n.o.Logger.Warn("notifier: notifications kept at the last stop (the outbox could not take them) are queued first", "output", n.o.Output,
			"kept", len(n.held), "file", n.keepPath)
	}
	return nil
}

// logLost logs at error level, with what the control room needs to act
// on it, a publication of a that will never be delivered.
func (n *Notifier) logLost(msg string, a event.Alert, args ...any) {
	attrs := []any{"output", n.o.Output, "alert", a.ID, "rule", a.Rule, "severity", a.Severity, "state", a.State, "room", a.Room}
	if a.Sensor != "" {
		attrs = append(attrs, "sensor", a.Sensor)
	}
	attrs = append(attrs, "updated", time.Unix(0, a.UpdatedNS).UTC().Format(time.RFC3339Nano))
	n.o.Logger.Error(msg, append(attrs, args...)...)
}

// PublishAlert implements alert.Publisher: it queues a in the outbox
// (collapsing it into an undelivered notification of the alert with the
// same state and acknowledgement) and returns. When the outbox cannot be
// written, or publications refused earlier are still held, a is held in
// memory behind them (see Notifier) and PublishAlert returns nil all the
// same; an error means a could not be encoded.
func (n *Notifier) PublishAlert(ctx context.Context, a event.Alert) error {
	body, err := event.Encode(a)
	if err != nil {
		return fmt.Errorf("notifier %s: %w", n.o.Output, err)
	}
	n.hmu.Lock()
	defer n.hmu.Unlock()
	if len(n.held) == 0 {
		collapsed, err := n.queue(ctx, a.ID, a.State, a.AckNS != 0, a.Severity == event.SeverityCritical, body)
		if err == nil {
			if collapsed {
				n.collapsed.Add(1)
			}
			n.nudge()
			return nil
		}
		n.holdLocked(a, fmt.Errorf("notifier %s: queue alert %s: %w", n.o.Output, a.ID, err))
		return nil
	}
	n.holdLocked(a, nil)
	return nil
}

// nudge wakes Run.
func (n *Notifier) nudge() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// queue puts one publication in the outbox, in its own transaction, and
// reports whether it replaced a queued one.
func (n *Notifier) queue(ctx context.Context, id, state string, acked, critical bool, body []byte) (collapsed bool, err error) {
	tx, err := n.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if collapsed, err = n.queueTx(ctx, tx, id, state, acked, critical, body); err != nil {
		return false, err
	}
	return collapsed, tx.Commit()
}

// queueTx puts one publication in the outbox within tx: it replaces the
// alert's newest undelivered notification when that has the same state
// and acknowledgement (collapsed), else it is added.
func (n *Notifier) queueTx(ctx context.Context, tx *sql.Tx, id, state string, acked, critical bool, body []byte) (collapsed bool, err error) {
	now := time.Now().UnixNano()
	var seq int64
	var was string
	var wasAcked int
	err = tx.QueryRowContext(ctx, `SELECT seq, state, acked FROM notify_outbox WHERE site = ? AND output = ? AND alert_id = ? ORDER BY seq DESC LIMIT 1`,
		n.o.Site, n.o.Output, id).Scan(&seq, &was, &wasAcked)
	collapse := err == nil && was == state && wasAcked == boolToInt(acked)
	switch {
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return false, err
	case collapse:
		_, err = tx.ExecContext(ctx, `UPDATE notify_outbox SET body = ?, critical = ?, version = version + 1, queued_ns = ? WHERE seq = ?`,
			body, boolToInt(critical), now, seq)
	default:
		_, err = tx.ExecContext(ctx, `INSERT INTO notify_outbox (site, output, alert_id, state, acked, critical, body, first_ns, queued_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			n.o.Site, n.o.Output, id, state, boolToInt(acked), boolToInt(critical), body, now, now)
	}
	return collapse, err
}

// holdLocked holds a in memory behind the publications already held;
// err is why the outbox refused it (nil: it was not tried, others are
// held). A publication of the same alert, state and acknowledgement as
// the alert's newest held one (not being written) replaces it, as in
// the outbox. Past MaxHeld the oldest held not being written is dropped.
// The first refusal of an outage, and the first drop, are logged.
func (n *Notifier) holdLocked(a event.Alert, err error) {
	now := time.Now()
	defer func() { n.heldN.Store(int64(len(n.held))) }()
	if err != nil {
		n.heldErr = err
		n.noteErr(outboxError{err}, now)
	}
	if n.heldSince.IsZero() {
		n.heldSince = now
		n.heldDropped = 0
		n.o.Logger.Warn("notifier: the outbox cannot be written; publications are held in memory (kept in a file beside the database if fusion stops first, lost if it crashes) and queued when it can",
			"output", n.o.Output, "alert", a.ID, "state", a.State, "max_held", n.o.MaxHeld, "err", n.heldErr)
	}
	for i := len(n.held) - 1; i >= 0 && n.held[i].seq > n.heldFlushing; i-- {
		h := n.held[i].a
		if h.ID != a.ID {
			continue
		}
		if h.State == a.State && (h.AckNS != 0) == (a.AckNS != 0) {
			n.held[i].a = a
			n.collapsed.Add(1)
			return
		}
		break
	}
	if len(n.held) >= n.o.MaxHeld {
		for i, h := range n.held {
			if h.seq <= n.heldFlushing {
				continue // being written
			}
			n.held = append(n.held[:i], n.held[i+1:]...)
			n.unqueued.Add(1)
			n.heldDropped++
			n.mu.Lock()
			n.lastDropAt = now
			n.mu.Unlock()
			n.logLost("notifier: too many publications held while the outbox cannot be written; the oldest are dropped",
				h.a, "max_held", n.o.MaxHeld, "err", n.heldErr)
			break
		}
	}
	n.heldSeq++
	n.held = append(n.held, heldAlert{seq: n.heldSeq, a: a})
	n.nudge()
}

// flushHeld queues the held publications in the outbox, in order, in
// one transaction; it reports how many are still held.
func (n *Notifier) flushHeld(ctx context.Context) int {
	n.flushMu.Lock()
	defer n.flushMu.Unlock()
	n.hmu.Lock()
	batch := append([]heldAlert(nil), n.held...)
	if len(batch) > 0 {
		n.heldFlushing = batch[len(batch)-1].seq
	}
	n.hmu.Unlock()
	if len(batch) == 0 {
		return 0
	}
	collapsed, err := n.queueAll(ctx, batch)
	now := time.Now()
	n.hmu.Lock()
	defer n.hmu.Unlock()
	last := n.heldFlushing
	n.heldFlushing = 0
	if err != nil {
		if n.heldErr == nil { // those kept at the last stop: the outbox still refuses
			n.o.Logger.Warn("notifier: the outbox cannot be written; publications are held in memory (kept in a file beside the database if fusion stops first, lost if it crashes) and queued when it can",
				"output", n.o.Output, "held", len(batch), "max_held", n.o.MaxHeld, "err", err)
		}
		n.heldErr = fmt.Errorf("notifier %s: queue %d held publications: %w", n.o.Output, len(batch), err)
		n.noteErr(outboxError{n.heldErr}, now)
		return len(n.held)
	}
	n.collapsed.Add(int64(collapsed))
	i := 0
	for i < len(n.held) && n.held[i].seq <= last {
		i++
	}
	n.held = append(n.held[:0], n.held[i:]...)
	n.heldN.Store(int64(len(n.held)))
	if n.keepSeq > 0 && last >= n.keepSeq {
		// those kept at the last stop are in the outbox now
		if err := os.Remove(n.keepPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
			n.o.Logger.Error("notifier: the notifications kept at the last stop are queued, but their file could not be removed: remove it, or they are sent again at the next start",
				"output", n.o.Output, "file", n.keepPath, "err", err)
		}
		n.keepSeq = 0
	}
	if len(n.held) == 0 {
		n.o.Logger.Info("notifier: the outbox is written again; the held publications are queued", "output", n.o.Output,
			"queued", len(batch), "held_for", now.Sub(n.heldSince).Round(time.Millisecond), "dropped", n.heldDropped)
		n.heldSince, n.heldErr = time.Time{}, nil
	}
	n.nudge()
	return len(n.held)
}

// queueAll queues batch in the outbox in one transaction; it reports how
// many replaced a queued one.
func (n *Notifier) queueAll(ctx context.Context, batch []heldAlert) (collapsed int, err error) {
	tx, err := n.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	for _, h := range batch {
		body, err := event.Encode(h.a) // encoded once already: cannot fail
		if err != nil {
			return 0, err
		}
		c, err := n.queueTx(ctx, tx, h.a.ID, h.a.State, h.a.AckNS != 0, h.a.Severity == event.SeverityCritical, body)
		if err != nil {
			return 0, fmt.Errorf("alert %s: %w", h.a.ID, err)
		}
		if c {
			collapsed++
		}
	}
	return collapsed, tx.Commit()
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
	var expired, flushed time.Time
	defer n.lastFlush(ctx)
	for {
		now := time.Now()
		if now.Sub(expired) >= time.Second { // at most once a second: a write
			n.expire(ctx, now)
			expired = now
		}
		var heldRetry <-chan time.Time
		if n.heldN.Load() > 0 {
			// at most once a second: a write that may wait the busy timeout
			if now.Sub(flushed) >= time.Second {
				n.flushHeld(ctx)
				flushed = now
			}
			if n.heldN.Load() > 0 {
				heldRetry = time.After(time.Second - now.Sub(flushed))
			}
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
				n.noteErr(outboxError{err}, now)
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
		case <-heldRetry:
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

// lastFlush is Run's last try, as it stops, to queue the publications
// held in memory; those it cannot are written to the keep file, for the
// next start. Those the keep file cannot take either are lost: each is
// logged at error level and counted.
func (n *Notifier) lastFlush(ctx context.Context) {
	if n.heldN.Load() == 0 {
		return
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if n.flushHeld(fctx) == 0 {
		return
	}
	n.hmu.Lock()
	defer n.hmu.Unlock()
	defer func() {
		n.held, n.heldSince, n.heldErr, n.keepSeq = nil, time.Time{}, nil, 0
		n.heldN.Store(0)
	}()
	heldFor := time.Since(n.heldSince).Round(time.Millisecond)
	kerr := n.writeKept()
	if kerr == nil {
		n.o.Logger.Warn("notifier: stopping with publications the outbox could not take; they are kept in a file and queued at the next start",
			"output", n.o.Output, "kept", len(n.held), "file", n.keepPath, "held_for", heldFor, "err", n.heldErr)
		return
	}
	lost := 0
	for _, h := range n.held {
		if h.seq <= n.keepSeq {
			continue // still in the keep file, as read at the start
		}
		lost++
		n.logLost("notifier: stopping with a publication neither the outbox nor the keep file could take; it is lost", h.a,
			"err", n.heldErr, "keep_err", kerr)
	}
	n.unqueued.Add(int64(lost))
	n.o.Logger.Error("notifier: stopping with publications the outbox could not take; they are lost", "output", n.o.Output,
		"lost", lost, "held_for", heldFor, "err", n.heldErr, "keep_err", kerr)
	n.mu.Lock()
	n.lastDropAt = time.Now()
	n.mu.Unlock()
}

// writeKept replaces the keep file with the held publications, one
// alert a line, in order; hmu is held.
func (n *Notifier) writeKept() error {
	if n.keepPath == "" {
		return errors.New("no keep file: the database is in memory")
	}
	var b []byte
	for _, h := range n.held {
		line, err := event.Encode(h.a) // encoded once already: cannot fail
		if err != nil {
			return err
		}
		b = append(append(b, line...), '\n')
	}
	return atomicfile.Write(n.keepPath, b, 0o600)
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
	a, err := event.DecodeStoredAlert(p.body)
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
	n.lastErr, n.lastErrAt = err, now
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

// Drain waits until the outbox of the output is empty, and no
// publication is held in memory, or ctx ends (what is in the outbox is
// sent after the next start); Run must be running.
func (n *Notifier) Drain(ctx context.Context) error {
	for {
		n.mu.Lock()
		settled := n.settled
		n.mu.Unlock()
		var retry <-chan time.Time
		if n.flushHeld(ctx) > 0 {
			retry = time.After(time.Second)
		}
		h, err := n.Health(ctx)
		if err != nil && h.Held == 0 {
			return err
		}
		if h.Queued == 0 && h.Held == 0 {
			return nil
		}
		select {
		case <-settled:
		case <-retry:
		case <-ctx.Done():
			if h.Held > 0 {
				n.mu.Lock()
				why := n.lastErr // the whole error, for the log (h.LastError names no host)
				n.mu.Unlock()
				return fmt.Errorf("notifier %s: %d notifications left queued for the next start, %d held in memory that the outbox cannot take (%v): %w",
					n.o.Output, h.Queued, h.Held, why, ctx.Err())
			}
			return fmt.Errorf("notifier %s: %d notifications left queued for the next start: %w", n.o.Output, h.Queued, ctx.Err())
		}
	}
}

// notifyKeys are fusion.yaml's settings of each output that
// notifyFault points to.
var notifyKeys = map[string]string{"webhook": "webhook.url", "syslog": "syslog.addr"}

// outboxError is an error of the output's outbox in fusion's database,
// not of a delivery.
type outboxError struct{ error }

func (e outboxError) Unwrap() error { return e.error }

// notifyFault says why delivering to output, or queueing for it, failed
// with err, in a few words and the setting to fix, without the URL, host,
// port or user the error names: for /healthz, which needs no login.
func notifyFault(output string, err error) string {
	key := notifyKeys[output]
	if key == "" {
		key = output
	}
	var se *StatusError
	if errors.As(err, &se) {
		return fmt.Sprintf("the receiver answers HTTP %d (%s)", se.Code, key)
	}
	var ob outboxError
	if errors.As(err, &ob) {
		if cause, ok := store.WriteRefusal(err); ok {
			return "the outbox cannot be written: " + cause + " (db)"
		}
		return "the outbox cannot be written (db; the log has the error)"
	}
	switch why := redact.NetError(err); why {
	case "":
		return "delivery failed (the log has the error)"
	case "TLS certificate not trusted":
		return why + " (" + key + ")"
	default:
		return "not reachable: " + why + " (" + key + ")"
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
	// LastError says why the last delivery, or write to the outbox,
	// failed and the setting to fix, naming no host, port, URL or user
	// (notifyFault: "not reachable: connection refused (webhook.url)");
	// the log has the whole error. Until 2026-12-06 it was the error,
	// with the webhook's URL or the syslog server's address.
	LastError   string `json:"last_error,omitempty"`
	LastErrorAt string `json:"last_error_at,omitempty"`
	// Dropped is how many notifications the output dropped since fusion
	// started (too old, or refused for good), LastDropAt when the latest
	// was.
	Dropped    int64  `json:"dropped,omitempty"`
	LastDropAt string `json:"last_drop_at,omitempty"`
	// Held is how many publications are held in memory because the
	// outbox cannot be written (the disk full, the database locked):
	// the state is degraded while there are any, LastError says why.
	Held int64 `json:"held,omitempty"`
}

// Health reports the output's queue and whether it is behind.
func (n *Notifier) Health(ctx context.Context) (NotifyHealth, error) {
	h := NotifyHealth{Output: n.o.Output, State: event.StateOK, Held: n.heldN.Load()}
	if h.Held > 0 {
		h.State = event.StateDegraded
	}
	h.Dropped = n.dropped.Load() + n.refused.Load() + n.unqueued.Load()
	n.mu.Lock()
	if n.lastErr != nil {
		h.LastError, h.LastErrorAt = notifyFault(n.o.Output, n.lastErr), n.lastErrAt.UTC().Format(time.RFC3339)
	}
	lastDrop := n.lastDropAt
	n.mu.Unlock()
	if !lastDrop.IsZero() {
		h.LastDropAt = lastDrop.UTC().Format(time.RFC3339)
		// An output whose every notification is dropped has an empty
		// outbox: it said ok while the alerts were lost.
		if time.Now().Sub(lastDrop) <= n.o.StaleAfter {
			h.State = event.StateDegraded
		}
	}
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
	return h, nil
}

// Collectors returns the output's metrics, labelled output="<Output>":
// rfw_fusion_notify_queued and rfw_fusion_notify_oldest_seconds (the
// outbox), rfw_fusion_notify_delivered_total, _failed_total (failed
// attempts, each tried again), _dropped_total with reason="max_age"
// (undelivered after MaxAge), reason="refused" (refused for good by the
// receiver) or reason="outbox_unwritable" (held in memory while the
// outbox could not be written, and dropped past MaxHeld or at a stop),
// _collapsed_total (replaced by a newer state of their alert before
// delivery) and rfw_fusion_notify_held (held in memory now). The order
// is fixed (tests index it): queued, oldest, delivered, failed, dropped
// (max_age), collapsed, dropped (refused), held, dropped
// (outbox_unwritable).
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
	const droppedHelp = "Alert notifications dropped undelivered: reason max_age (after the maximum age), refused (refused for good by the receiver, a 4xx other than 408 and 429) or outbox_unwritable (held in memory while the outbox could not be written, past the bound or at a stop)."
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
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rfw_fusion_notify_held", ConstLabels: labels,
			Help: "Alert notifications held in memory because the output's outbox cannot be written (disk full, database locked); queued once it can."},
			func() float64 { return float64(n.heldN.Load()) }),
		counter("rfw_fusion_notify_dropped_total", droppedHelp, &n.unqueued, "reason", "outbox_unwritable"),
	}
}
