package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api"
	influxhttp "github.com/influxdata/influxdb-client-go/v2/api/http"
	"github.com/influxdata/influxdb-client-go/v2/api/write"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/internal/redact"
	"github.com/rfwarden/rfwarden/internal/retrylog"
)

// InfluxConfig configures the InfluxDB 1.8 backend.
type InfluxConfig struct {
	URL      string // e.g. http://127.0.0.1:8086
	Database string // default "rfwarden"
	RP       string // retention policy, default "autogen"
	// DatabaseDuration is the duration of the retention policy RP when
	// the store creates the database (CREATE DATABASE ... WITH DURATION
	// ... NAME RP): fusion gives history_days. 0: a plain CREATE DATABASE,
	// whose autogen policy keeps everything for ever (InfluxDB's
	// default); negative: RP keeps everything for ever, as asked. An
	// existing database and its policies are never changed.
	DatabaseDuration time.Duration
	Username         string
	Password         string
	SpoolDir         string // on-disk buffer for writes while InfluxDB is down (required unless ReadOnly)
	// SpoolMaxBytes limits the writes waiting in the spool: past it the
	// oldest are dropped (Dropped counts them), so an outage of InfluxDB
	// cannot fill the disk that SQLite's alerts and audit are on. The
	// spool file stays within one and a half times it (plus a copy of at
	// most it while compacting). 0: DefaultSpoolMaxBytes; negative: no
	// limit.
	SpoolMaxBytes int64
	// ReadOnly opens the store for queries only (the dashboard): no spool,
	// no sender, no heat roll-up (the writer keeps it), no CREATE
	// DATABASE; every write returns ErrReadOnly.
	ReadOnly bool
	// BatchLines caps the lines sent in one write request (default 5000).
	BatchLines int
	// WriteTimeout is how long one write request may wait for InfluxDB's
	// answer before it is taken as failed and sent again: with half the
	// lines per request (down to 100) and twice as long to answer (up to
	// four times WriteTimeout), so a slow InfluxDB is written to all the
	// same. InfluxDB stores a point again in place (same measurement,
	// tags and time), so what a timed-out request delivered is harmless
	// to send again. 0: DefaultInfluxWriteTimeout.
	WriteTimeout time.Duration
	Logger       *slog.Logger

	noRollup bool // tests: never roll up, so every hour is counted raw
	noTarget bool // tests: roll up as before the target counts existed, and never scan
	// tests: never rebuild the roll-up of data written before 2026-12-05
	// (influxrebuild.go); rebuild it in chunks of rebuildChunk (default a
	// day); stop rebuilding after rebuildCrash steps, as if crashed
	noRebuild    bool
	rebuildChunk time.Duration
	rebuildCrash int
	// now is the wall clock of the heat roll-up: which quarter hours have
	// ended (the sender's roll-up and its wake, Flush) and the rebuild's
	// horizon. Tests set it (export_test.go) to place the clock; nil:
	// time.Now. The sender's timers stay real: it sleeps until the
	// earliest marked quarter ends by this clock.
	now func() time.Time
}

// Influx is the TimeSeries backend over InfluxDB 1.8 (v2 write and Flux APIs,
// bucket "db/rp"; the heatmap over InfluxQL, see influxheat.go). Writes are appended durably to an on-disk spool first and
// a sender delivers them in order in batches, retrying with backoff while
// InfluxDB is down, so nothing written is lost across outages or restarts.
//
// Tags stay low-cardinality (site, sensor, band, class, link, room, auth,
// and for detections the centre frequency in kHz: channels, not IDs); the
// full record is kept as a JSON field. A detection is keyed by its tags and
// capture time, so a redelivered detection overwrites itself, while two
// emissions one sensor heard from the same instant (two phones in one band)
// differ in frequency and are both kept, and two sensors' detections differ
// in the sensor tag whatever their IDs (IDs of two sensors may collide).
type Influx struct {
	cfg    InfluxConfig
	client influxdb2.Client
	write  api.WriteAPIBlocking
	query  api.QueryAPI
	spool  *spool
	log    *slog.Logger
	// spoolWrites follows the spool's appends, for SpoolProblem
	spoolWrites writeWatch

	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	mu      sync.Mutex
	lastErr error
	refused int64 // batches InfluxDB refused points of (400)
	// the spool's dropped batches when last logged, and when (a constant
	// message to a retrylog.Log: once a minute at most)
	dropWarned int64
	dropLog    retrylog.Log
	flushed    *sync.Cond
	dirty      map[heatKey]bool // hours delivered but not rolled up (see influxheat.go)

	policy   InfluxPolicy // the retention policy written to, as Check last found it
	policyOK bool         // policy was found

	rebuild        heatRebuild // the sender's rebuild of the roll-up for old data (influxrebuild.go)
	rebuildPending bool        // it is not over
	rebuildChunks  int         // chunks it rebuilt

	// The sender's alone: the lines it sends in one write request now
	// (BatchLines; after a timed-out request half the lines it sent, down
	// to minWriteLines; doubled back after each delivery), and how many
	// requests in a row timed out (each doubles the next one's time, up
	// to four times WriteTimeout).
	writeLines    int
	writeTimeouts int
}

// DefaultInfluxWriteTimeout is InfluxConfig.WriteTimeout's default: 2
// minutes, six times the 20 s that took a write InfluxDB answered after
// 25 s (a compaction, a loaded disk) for a failure; and short enough that
// a connection that hangs is given up within minutes while the spool
// holds hours (docs/deploy.md §6). With the doubling after a timeout a
// request may take up to 8 minutes.
const DefaultInfluxWriteTimeout = 2 * time.Minute

// minWriteLines is the fewest lines a write request is cut down to after
// timeouts.
const minWriteLines = 100

// ErrWriteTimeout is in the error of a write request InfluxDB did not
// answer within its time (InfluxConfig.WriteTimeout, doubled after each
// timeout).
var ErrWriteTimeout = errors.New("InfluxDB did not answer the write in time")

var _ TimeSeries = (*Influx)(nil)

// DefaultSpoolMaxBytes is InfluxConfig.SpoolMaxBytes's default, 1 GiB:
// about 45 hours of an InfluxDB outage at two sensors' 6.6 KB/s, or an
// hour and a half at 100 sensors' 200 KB/s (docs/deploy.md §6).
const DefaultSpoolMaxBytes = 1 << 30

// ErrReadOnly is returned by the writes of a store opened read-only.
var ErrReadOnly = errors.New("store opened read-only")

// ErrNoDatabase is returned by queries while the database does not exist:
// the writer (fusion) has not created it yet, or the reader names another.
var ErrNoDatabase = errors.New("InfluxDB database not found")

// noDatabase turns InfluxDB's answers for a missing database ("database not
// found" over InfluxQL, "no database" over Flux) into ErrNoDatabase, naming
// the database and what to check.
func (s *Influx) noDatabase(err error) error {
	if err == nil || !(strings.Contains(err.Error(), "database not found") || strings.Contains(err.Error(), "no database")) {
		return err
	}
	return fmt.Errorf("%w: %q on %s (fusion creates it when it starts, or an admin does when fusion's user is not one; the database and retention policy must be fusion.yaml's influx.database and influx.retention_policy): %v",
		ErrNoDatabase, s.cfg.Database, redact.URL(s.cfg.URL), err)
}

// OpenInflux opens the spool, creates the database if needed (when InfluxDB
// is reachable) and starts the sender. With cfg.ReadOnly it only prepares
// the client for queries.
func OpenInflux(cfg InfluxConfig) (*Influx, error) {
	if u, err := url.Parse(cfg.URL); cfg.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("influx: URL %q: want http://host:port or https://host:port", redact.URL(cfg.URL))
	}
	if cfg.SpoolDir == "" && !cfg.ReadOnly {
		return nil, errors.New("influx: SpoolDir is required")
	}
	if cfg.Database == "" {
		cfg.Database = "rfwarden"
	}
	if cfg.RP == "" {
		cfg.RP = "autogen"
	}
	if cfg.BatchLines <= 0 {
		cfg.BatchLines = 5000
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultInfluxWriteTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	var sp *spool
	if !cfg.ReadOnly {
		var err error
		switch {
		case cfg.SpoolMaxBytes == 0:
			cfg.SpoolMaxBytes = DefaultSpoolMaxBytes
		case cfg.SpoolMaxBytes < 0:
			cfg.SpoolMaxBytes = 0
		}
		if sp, err = openSpool(cfg.SpoolDir, cfg.SpoolMaxBytes); err != nil {
			return nil, err
		}
		if sp.badPos != "" {
			cfg.Logger.Warn("influx: spool cursor unreadable; delivering the whole spool again", "problem", sp.badPos, "dir", cfg.SpoolDir)
		}
	}
	token := ""
	if cfg.Username != "" {
		token = cfg.Username + ":" + cfg.Password
	}
	// Every request has a bound of its own (its context): the client's is
	// a backstop, as long as the longest write may take.
	clientTimeout := uint(20)
	if !cfg.ReadOnly {
		clientTimeout = max(clientTimeout, uint(math.Ceil((4*cfg.WriteTimeout + time.Second).Seconds())))
	}
	client := influxdb2.NewClientWithOptions(cfg.URL, token, influxdb2.DefaultOptions().SetHTTPRequestTimeout(clientTimeout))
	bucket := cfg.Database + "/" + cfg.RP
	s := &Influx{cfg: cfg, spoolWrites: writeWatch{refusal: fileRefusal}, client: client, write: redactedWrite{client.WriteAPIBlocking("", bucket), cfg.URL}, query: redactedQuery{client.QueryAPI(""), cfg.URL},
		spool: sp, log: cfg.Logger, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		dirty: map[heatKey]bool{}, rebuildPending: cfg.rebuildOn(), writeLines: cfg.BatchLines}
	s.flushed = sync.NewCond(&s.mu)
	if cfg.ReadOnly {
		close(s.done)
		return s, nil
	}
	cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.createDatabase(cctx); err != nil {
		s.log.Warn("influx: cannot create database yet; writes are spooled", "err", err)
	}
	go s.send()
	return s, nil
}

// redactedWrite and redactedQuery hide, in the URL net/http's errors
// quote, influx.url as redact.URL shows it (its password, a proxy's
// token in its path: it reached the log on every failed write), and keep
// the client's own path and query (redactURL).
type redactedWrite struct {
	api.WriteAPIBlocking
	base string // influx.url
}

func (w redactedWrite) WriteRecord(ctx context.Context, line ...string) error {
	return redactURL(w.WriteAPIBlocking.WriteRecord(ctx, line...), w.base)
}

type redactedQuery struct {
	api.QueryAPI
	base string // influx.url
}

func (q redactedQuery) Query(ctx context.Context, query string) (*api.QueryTableResult, error) {
	r, err := q.QueryAPI.Query(ctx, query)
	return r, redactURL(err, q.base)
}

// redactURL hides the URL each *url.Error in err quotes, a request to
// base (influx.url), with redact.URLErrorsBeneath: base as redact.URL
// shows it, the client's path ("/api/v2/write", "/query") and its query
// keys bucket, org and precision whole, any other query value hidden.
// Everything hidden read "http://influx:8086/api/xxxxx?bucket=xxxxx&
// org=&precision=xxxxx", which hid no secret and did not say which
// request or bucket failed.
func redactURL(err error, base string) error {
	return redact.URLErrorsBeneath(err, base, "bucket", "org", "precision")
}

// createDatabase makes sure the database exists: it asks SHOW DATABASES,
// which any user may (and which lists the databases the user has rights
// on), and issues CREATE DATABASE only when the database is not there.
// Only an admin may create a database, so a fusion user that is not one
// works with a database an admin made (docs/deploy.md), and is told to
// have one made when there is none.
func (s *Influx) createDatabase(ctx context.Context) error {
	res, err := s.influxQL(ctx, "SHOW DATABASES")
	if err != nil {
		return err
	}
	for _, sr := range res[0].Series {
		for _, v := range sr.Values {
			if len(v) > 0 && v[0] == s.cfg.Database {
				return nil
			}
		}
	}
	if _, err := s.influxQL(ctx, createDatabaseQL(s.cfg)); err != nil {
		if strings.Contains(err.Error(), "requires admin privilege") {
			return fmt.Errorf("database %q does not exist and user %q may not create it: create it as an InfluxDB admin (docs/deploy.md): %w", s.cfg.Database, s.cfg.Username, err)
		}
		return err
	}
	return nil
}

// createDatabaseQL is the InfluxQL statement creating cfg's database:
// with cfg.DatabaseDuration its default retention policy is cfg.RP, of
// that duration (whole hours, at least InfluxDB's least, 1h) or INF.
func createDatabaseQL(cfg InfluxConfig) string {
	q := "CREATE DATABASE " + strconv.Quote(cfg.Database)
	switch d := cfg.DatabaseDuration; {
	case d > 0:
		q += fmt.Sprintf(" WITH DURATION %dh NAME %s", max(int64(math.Ceil(d.Hours())), 1), qlIdent(cfg.RP))
	case d < 0:
		q += " WITH DURATION INF NAME " + qlIdent(cfg.RP)
	}
	return q
}

// State returns how many write batches wait in the spool, and the error of
// the last request to InfluxDB when it failed (nil once one succeeds), for
// fusion's health: an *InfluxCheckError naming the setting at fault (its
// Summary for /healthz).
func (s *Influx) State() (spooled int64, err error) {
	if s.spool == nil {
		return 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.spool.Len(), s.lastErr
}

// SpoolProblem reports whether the spool has refused every write for at
// least grace at now (the disk of influx.spool_dir full, read-only): a
// *WriteError (What "InfluxDB spool", Path the spool's folder) with the
// cause and the latest error; nil while the latest write succeeded, and
// without a spool. Fusion's writes of detections, locations and health
// then fail (kept in memory a while, then dropped) though InfluxDB
// answers. It clears itself at the next write that succeeds.
func (s *Influx) SpoolProblem(now time.Time, grace time.Duration) error {
	if s.spool == nil {
		return nil
	}
	return s.spoolWrites.problem(now, grace, "InfluxDB spool", s.cfg.SpoolDir)
}

// SpoolWriteFailures returns how many writes the spool refused since the
// store opened.
func (s *Influx) SpoolWriteFailures() int64 { return s.spoolWrites.count() }

// Refused returns how many batches InfluxDB refused points of (HTTP 400),
// which are not sent again.
func (s *Influx) Refused() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

// Dropped returns how many write batches, and bytes of line protocol,
// were dropped from the spool since the store opened to keep it within
// SpoolMaxBytes (InfluxDB down or too slow for too long).
func (s *Influx) Dropped() (batches, bytes int64) {
	if s.spool == nil {
		return 0, 0
	}
	return s.spool.Dropped()
}

// Pending returns how many write batches wait in the spool.
func (s *Influx) Pending() int64 {
	if s.spool == nil {
		return 0
	}
	return s.spool.Len()
}

func (s *Influx) enqueue(lines []string) error {
	if len(lines) == 0 {
		return nil
	}
	if s.spool == nil {
		return fmt.Errorf("influx: %w", ErrReadOnly)
	}
	start := time.Now()
	err := s.spool.Append([]byte(strings.Join(lines, "\n")))
	s.spoolWrites.wrote(start, err)
	if err != nil {
		return fmt.Errorf("influx spool: %w", err)
	}
	s.warnDropped(time.Now())
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

// warnDropped logs, when the spool dropped writes since it last said so,
// how many it has dropped: once a minute at most.
func (s *Influx) warnDropped(now time.Time) {
	recs, bytes := s.spool.Dropped()
	s.mu.Lock()
	warn := false
	if recs > s.dropWarned {
		warn, _ = s.dropLog.Failed(errSpoolDropped, now)
	}
	lastErr := ""
	if warn {
		s.dropWarned = recs
		if s.lastErr != nil {
			lastErr = s.lastErr.Error()
		}
	}
	s.mu.Unlock()
	if warn {
		s.log.Warn("influx: spool full; the oldest writes are dropped (influx.spool_max_bytes)",
			"dropped_batches", recs, "dropped_bytes", bytes, "spool_max_bytes", s.cfg.SpoolMaxBytes, "last_error", lastErr)
	}
}

// errSpoolDropped is the one message of dropLog.
var errSpoolDropped = errors.New("spool full")

// send delivers spooled batches in order until Close and, when the spool is
// empty, brings the heat roll-up up to date for the hours that have ended.
func (s *Influx) send() {
	defer close(s.done)
	backoff := 100 * time.Millisecond
	dbReady, scanned := false, false
	var failures retrylog.Log
	var spoolFailures retrylog.Log // the spool's own reads and commits
	// recovered logs the end of a run of failures, once: the log's last
	// word on InfluxDB was the failure, for as long as it then worked
	recovered := func(r *retrylog.Log, msg string) {
		if n, since := r.Recovered(); n > 0 {
			s.log.Info(msg, "failed", n, "failing_for", time.Since(since).Round(time.Second), "pending", s.spool.Len())
		}
	}
	for {
		peekStart := time.Now()
		recs, off, err := s.spool.Peek(64, 4<<20)
		if err != nil {
			s.spoolWrites.wrote(peekStart, err)
			err = &spoolError{err: err}
		}
		if err == nil && !dbReady {
			cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if err = s.createDatabase(cctx); err == nil {
				dbReady = true
			}
			cancel()
		}
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			var idle bool
			var wake time.Time
			switch {
			case s.cfg.rebuildOn() && !s.rebuild.checked:
				// What to rebuild, before this process delivers anything:
				// a late point would move the first heat_quarter point.
				err = s.rebuildHeatStep(ctx)
			case len(recs) > 0:
				// Each request has its own time (deliver), and a
				// delivery may take several: Close cancels it.
				cancel()
				ctx, cancel = context.WithCancel(context.Background())
				go func() {
					select {
					case <-s.stop:
						cancel()
					case <-ctx.Done():
					}
				}()
				err = s.deliver(ctx, recs, off)
			case !scanned && !s.cfg.noRollup && !s.cfg.noTarget:
				if err = s.scanHeat(ctx); err == nil {
					scanned = true
				}
			default:
				site, from, to, next := s.nextHeatRun(s.cfg.now())
				switch {
				case from < to:
					err = s.rollHeat(ctx, site, from, to)
				case s.cfg.rebuildOn() && !s.rebuild.over:
					// Rebuild the roll-up of old data a step at a time,
					// after deliveries and their roll-ups (influxrebuild.go).
					// A step may take longer than a delivery; Close cancels it.
					cancel()
					ctx, cancel = context.WithTimeout(context.Background(), rebuildStepTimeout)
					go func() {
						select {
						case <-s.stop:
							cancel()
						case <-ctx.Done():
						}
					}()
					err = s.rebuildHeatStep(ctx)
					s.mu.Lock()
					s.flushed.Broadcast() // a Flush waiting for a roll-up need not wait for the rebuild
					s.mu.Unlock()
				default:
					idle, wake = true, next
				}
			}
			cancel()
			if idle {
				recovered(&failures, "influx: requests succeed again")
				recovered(&spoolFailures, "influx spool: succeeds again")
				s.mu.Lock()
				s.lastErr = nil
				s.flushed.Broadcast()
				s.mu.Unlock()
				var timer <-chan time.Time
				if !wake.IsZero() {
					timer = time.After(wake.Sub(s.cfg.now()))
				}
				select {
				case <-s.stop:
					return
				case <-s.wake:
				case <-timer:
				}
				continue
			}
		}
		if err == nil {
			backoff = 100 * time.Millisecond
			recovered(&failures, "influx: requests succeed again")
			recovered(&spoolFailures, "influx spool: succeeds again")
			s.mu.Lock()
			s.lastErr = nil
			s.mu.Unlock()
			continue
		}
		var se *spoolError
		if errors.As(err, &se) {
			// influx.spool_dir's disk, not InfluxDB: SpoolProblem says so
			// (fusion's influx_spool_error). InfluxDB answered when the
			// batch was delivered before its commit failed; a read of the
			// spool says nothing of it. It read "not reachable (influx.url)".
			if se.delivered {
				recovered(&failures, "influx: requests succeed again")
				s.mu.Lock()
				s.lastErr = nil
				s.mu.Unlock()
			}
			if log, skipped := spoolFailures.Failed(err, time.Now()); log {
				s.log.Warn("influx spool: failed; will retry", "err", err, "dir", s.cfg.SpoolDir, "pending", s.spool.Len(), "retry_in", backoff, "failures_not_logged", skipped)
			}
		} else {
			s.mu.Lock()
			s.lastErr = requestFault(err)
			s.mu.Unlock()
			if log, skipped := failures.Failed(err, time.Now()); log {
				s.log.Warn("influx: request failed; will retry", "err", err, "pending", s.spool.Len(), "retry_in", backoff, "failures_not_logged", skipped)
			}
		}
		select {
		case <-s.stop:
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// deliver writes spooled records, in requests of at most s.writeLines
// lines each given s.writeTime to be answered, commits them and marks the
// hours their detections touched for the heat roll-up. A request that
// times out halves s.writeLines and doubles the next one's time, and the
// records are sent again, whole, by the next call: InfluxDB stores the
// points a request already delivered again in place.
func (s *Influx) deliver(ctx context.Context, recs [][]byte, off int64) error {
	var marked []heatKey
	payload := make([]string, 0, len(recs))
	for _, r := range recs {
		keys, body, err := splitHeatMarks(r)
		if err != nil {
			s.log.Error("influx: heat roll-up cannot follow a spooled batch", "err", err)
		}
		marked = append(marked, keys...)
		if len(body) > 0 {
			// one point a line: line protocol has no newline in a
			// value (the client escapes it in tags; fields are IDs and JSON)
			payload = append(payload, strings.Split(string(body), "\n")...)
		}
	}
	for i := 0; i < len(payload); {
		lines := payload[i:min(i+s.writeLines, len(payload))]
		i += len(lines)
		if err := s.writeRequest(ctx, lines); err != nil {
			var he *influxhttp.Error
			if !errors.As(err, &he) || he.StatusCode != http.StatusBadRequest {
				return err // unreachable, refusing the user, overloaded, slow: retried
			}
			// InfluxDB refused points of the batch for what they are (a
			// point older than the retention policy, from a sensor whose
			// clock came up at a wrong date; a line it cannot parse).
			// Sending the batch again would be refused again, and every
			// later batch would wait behind it for ever. InfluxDB 1.8
			// writes the other points of a batch ("partial write").
			s.mu.Lock()
			s.refused++
			s.mu.Unlock()
			s.log.Error("influx: points refused, the batch is not sent again", "records", len(recs), "lines", len(lines), "err", err)
		}
	}
	s.writeTimeouts = 0
	s.writeLines = min(s.writeLines*2, s.cfg.BatchLines)
	// Mark before the commit: Flush must never see an empty spool with the
	// delivered hours not yet marked. (A failed commit redelivers: harmless.)
	s.markHeat(marked)
	start := time.Now()
	err := s.spool.Commit(off, len(recs))
	s.spoolWrites.wrote(start, err)
	if err != nil {
		return &spoolError{err: err, delivered: true}
	}
	return nil
}

// spoolError is a failure of the spool's own file (influx.spool_dir: a
// full disk, a read error), not of a request to InfluxDB; delivered: it
// came after InfluxDB took the batch (its commit).
type spoolError struct {
	err       error
	delivered bool
}

func (e *spoolError) Error() string { return "influx spool: " + e.err.Error() }

// Unwrap returns the spool's error.
func (e *spoolError) Unwrap() error { return e.err }

// writeRequest sends lines in one write request, given s.writeTime to be
// answered; a timeout is ErrWriteTimeout, and cuts s.writeLines to half
// the lines sent and doubles the next request's time.
func (s *Influx) writeRequest(ctx context.Context, lines []string) error {
	limit := s.writeTime()
	wctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	err := s.write.WriteRecord(wctx, lines...)
	if err == nil || ctx.Err() != nil || wctx.Err() == nil {
		return err
	}
	s.writeTimeouts++
	s.writeLines = max(len(lines)/2, min(minWriteLines, s.cfg.BatchLines))
	return fmt.Errorf("%w: %d lines, no answer within %v (influx.write_timeout %v); sent again, %d lines a request, with %v to answer: %v",
		ErrWriteTimeout, len(lines), limit, s.cfg.WriteTimeout, s.writeLines, s.writeTime(), err)
}

// writeTime is the time the next write request is given: WriteTimeout,
// doubled for each request in a row that timed out, up to four times it.
func (s *Influx) writeTime() time.Duration {
	return s.cfg.WriteTimeout << min(s.writeTimeouts, 2)
}

// Flush blocks until every spooled write has reached InfluxDB, and the heat
// roll-up of every delivered hour that has ended is up to date, or ctx ends.
func (s *Influx) Flush(ctx context.Context) error {
	if s.spool == nil {
		return nil
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
	stop := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.flushed.Broadcast()
		s.mu.Unlock()
	})
	defer stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.spool.Len() > 0 || s.heatDueLocked(s.cfg.now()) > 0 {
		if ctx.Err() != nil {
			return fmt.Errorf("influx flush (%d batches pending, %d hours to roll up, last error %v): %w",
				s.spool.Len(), s.heatDueLocked(s.cfg.now()), s.lastErr, ctx.Err())
		}
		s.flushed.Wait()
	}
	return nil
}

// Close stops the sender; undelivered writes stay in the spool for next time.
func (s *Influx) Close() error {
	close(s.stop)
	<-s.done
	s.client.Close()
	if s.spool == nil {
		return nil
	}
	return s.spool.Close()
}

func point(measurement string, tags map[string]string, fields map[string]any, ns int64) string {
	for k, v := range tags {
		if v == "" {
			tags[k] = "_"
		}
	}
	return write.PointToLineProtocol(write.NewPoint(measurement, tags, fields, time.Unix(0, ns)), time.Nanosecond)
}

func authTag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// WriteDetections spools recs for InfluxDB.
// Each batch carries marks of the hours it touches for the heat roll-up.
func (s *Influx) WriteDetections(_ context.Context, recs []DetectionRecord) error {
	if len(recs) == 0 {
		return nil
	}
	ls := heatMarks(recs)
	for _, r := range recs {
		l, err := detectionLine(r)
		if err != nil {
			return err
		}
		ls = append(ls, l)
	}
	return s.enqueue(ls)
}

// detectionLine is r's detection point in line protocol.
func detectionLine(r DetectionRecord) (string, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return "", fmt.Errorf("%w: detection %q: %v", ErrInvalidRecord, r.ID, err)
	}
	fields := map[string]any{"n": int64(1), "id": r.ID, "power_dbm": r.PowerDBm, "snr_db": r.SNRDB, "body": string(body)}
	if r.Lead {
		fields["lead"] = int64(1) // the heatmap counts its emission by it: count(lead)
	}
	return strings.TrimSuffix(point("detection",
		map[string]string{"site": r.Site, "sensor": r.Sensor, "band": r.Band, "class": r.Class, "link": r.Link, "room": r.Room, "auth": authTag(r.Authorised),
			"center_khz": strconv.FormatInt(int64(math.Round(r.CenterHz/1e3)), 10)},
		fields, r.TimeNS), "\n"), nil
}

// WriteLocations spools recs for InfluxDB.
func (s *Influx) WriteLocations(_ context.Context, recs []LocationRecord) error {
	ls := make([]string, 0, len(recs))
	for _, r := range recs {
		body, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("%w: location of track %q: %v", ErrInvalidRecord, r.Track, err)
		}
		ls = append(ls, strings.TrimSuffix(point("location",
			map[string]string{"site": r.Site, "class": r.Class, "room": r.Room, "auth": authTag(r.Authorised)},
			map[string]any{"track": r.Track, "x_m": r.XM, "y_m": r.YM, "room_prob": r.RoomProb, "body": string(body)}, r.TimeNS), "\n"))
	}
	return s.enqueue(ls)
}

// WriteHealth spools recs for InfluxDB.
func (s *Influx) WriteHealth(_ context.Context, recs []event.Health) error {
	ls := make([]string, 0, len(recs))
	for _, r := range recs {
		body, err := json.Marshal(r)
		if err != nil {
			return err
		}
		ls = append(ls, strings.TrimSuffix(point("sensor_health",
			map[string]string{"site": r.Site, "sensor": r.Sensor, "state": r.State},
			map[string]any{"outbox_depth": r.OutboxDepth, "dropped_samples": r.DroppedSamples, "body": string(body)}, r.TimeNS), "\n"))
	}
	return s.enqueue(ls)
}

// WriteSpectrum spools recs for InfluxDB.
func (s *Influx) WriteSpectrum(_ context.Context, recs []event.Spectrum) error {
	ls := make([]string, 0, len(recs))
	for _, r := range recs {
		body, err := json.Marshal(r)
		if err != nil {
			return err
		}
		ls = append(ls, strings.TrimSuffix(point("spectrum",
			map[string]string{"site": r.Site, "sensor": r.Sensor},
			map[string]any{"center_hz": r.CenterHz, "body": string(body)}, r.TimeNS), "\n"))
	}
	return s.enqueue(ls)
}

func (s *Influx) bucket() string { return s.cfg.Database + "/" + s.cfg.RP }

func fluxTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// bodies runs a Flux query over one measurement's body field in [from, to),
// newest first, and decodes each body into T.
func bodies[T any](ctx context.Context, s *Influx, measurement, filter string, from, to time.Time, limit int, desc bool) ([]T, error) {
	q := fmt.Sprintf(`from(bucket: %q)
  |> range(start: %s, stop: %s)
  |> filter(fn: (r) => r._measurement == %q and r._field == "body"%s and r._time < %s)
  |> group()
  |> sort(columns: ["_time"], desc: %v)
  |> limit(n: %d)`, s.bucket(), fluxTime(from), fluxTime(to), measurement, filter, fluxTime(to), desc, clampLimit(limit))
	res, err := s.query.Query(ctx, q)
	if err != nil {
		return nil, s.noDatabase(fmt.Errorf("influx %s query: %w", measurement, err))
	}
	defer res.Close()
	var out []T
	for res.Next() {
		body, _ := res.Record().Value().(string)
		var v T
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			return nil, fmt.Errorf("influx %s: decode body: %w", measurement, err)
		}
		out = append(out, v)
	}
	if res.Err() != nil {
		return nil, fmt.Errorf("influx %s query: %w", measurement, res.Err())
	}
	return out, nil
}

// Detections returns detections in [from, to), newest first, at most limit.
func (s *Influx) Detections(ctx context.Context, site string, from, to time.Time, limit int) ([]DetectionRecord, error) {
	out, err := bodies[DetectionRecord](ctx, s, "detection", fmt.Sprintf(" and r.site == %q", site), from, to, limit, true)
	NewestFirst(out)
	return out, err
}

// DetectionsByID returns the detections of site in [from, to) whose IDs
// are in ids (at most MaxIDs of them), newest first. The ID is a field, not
// a tag, so the query matches it in each body, and the bodies are checked
// again here. An ID two sensors used gives both their detections.
func (s *Influx) DetectionsByID(ctx context.Context, site string, from, to time.Time, ids []string) ([]DetectionRecord, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > MaxIDs {
		return nil, fmt.Errorf("detections by ID: %d IDs, at most %d", len(ids), MaxIDs)
	}
	want := make(map[string]bool, len(ids))
	alt := make([]string, 0, len(ids))
	for _, id := range ids {
		if !event.ValidID(id) {
			return nil, fmt.Errorf("detections by ID: %q is not a valid ID", id)
		}
		want[id] = true
		alt = append(alt, regexp.QuoteMeta(id))
	}
	// event IDs are [A-Za-z0-9_-] (event.ValidID): no slash to escape in the Flux regex
	filter := fmt.Sprintf(` and r.site == %q and r._value =~ /"id":"(%s)"/`, site, strings.Join(alt, "|"))
	all, err := bodies[DetectionRecord](ctx, s, "detection", filter, from, to, 0, true)
	out := all[:0]
	for _, r := range all {
		if want[r.ID] {
			out = append(out, r)
		}
	}
	NewestFirst(out)
	return out, err
}

// Locations returns locations in [from, to), newest first, at most limit.
func (s *Influx) Locations(ctx context.Context, site string, from, to time.Time, limit int) ([]LocationRecord, error) {
	return bodies[LocationRecord](ctx, s, "location", fmt.Sprintf(" and r.site == %q", site), from, to, limit, true)
}

// HealthSeries returns one sensor's health reports in [from, to), oldest first.
func (s *Influx) HealthSeries(ctx context.Context, site, sensor string, from, to time.Time) ([]event.Health, error) {
	return bodies[event.Health](ctx, s, "sensor_health", fmt.Sprintf(" and r.site == %q and r.sensor == %q", site, sensor), from, to, 100000, false)
}

var _ FixIndex = (*Influx)(nil)

// LocationHeads returns the heads of the fixes Locations returns, each
// with its Record: InfluxDB's fixes are read whole (their track and link
// are no tags to read alone), so it costs what Locations does.
func (s *Influx) LocationHeads(ctx context.Context, site string, from, to time.Time, limit int) ([]FixHead, error) {
	return WholeFixes{s}.LocationHeads(ctx, site, from, to, limit)
}

// LocationsOf returns the Records LocationHeads attached to heads.
func (s *Influx) LocationsOf(ctx context.Context, site string, heads []FixHead) ([]LocationRecord, error) {
	return WholeFixes{s}.LocationsOf(ctx, site, heads)
}
