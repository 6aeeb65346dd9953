package dashboard

import (
	"bytes"
	"context"
	"embed"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/internal/jsondup"
	"github.com/rfwarden/rfwarden/internal/zonename"
)

//go:embed web
var webFS embed.FS

//go:embed openapi.yaml
var openapiYAML []byte

// SessionCookie is the name of the session cookie over plain HTTP.
const SessionCookie = "rfw_session"

// SecureSessionCookie is the name of the session cookie under TLS
// (Deps.Secure). A browser takes a cookie of the __Host- prefix only
// when it is Secure, from the host itself, with Path=/ and no Domain, so
// another host of the site's domain cannot set or overwrite it.
const SecureSessionCookie = "__Host-" + SessionCookie

// sessionCookie is the session cookie's name on this dashboard: the one
// its logins set, its logouts clear and its requests are read by.
func (s *server) sessionCookie() string {
	if s.d.Secure {
		return SecureSessionCookie
	}
	return SessionCookie
}

// CSRFHeader carries the session's CSRF token on state-changing requests.
const CSRFHeader = "X-CSRF-Token"

const maxJSONBody = 1 << 20

type server struct {
	d        Deps
	log      *slog.Logger
	now      func() time.Time
	requests *prometheus.CounterVec
	acks     *prometheus.CounterVec // acknowledgements announced to fusion, by result
	// loginRefusals counts logins refused by a limit, by reason (limited,
	// busy); refusals audits them.
	loginRefusals *prometheus.CounterVec
	refusals      *refusalAudit
	assets        fs.FS
	feeds         slots        // open live feeds by session and user (takeFeed)
	feed          *feedWatch   // the state of d.Feed, for GET /events
	refused       sync.Map     // replay paths not offered (path: reason), logged once
	uploadMu      sync.Mutex   // one replay upload moves in at a time: its taken-name check and renames
	uploads       slots        // replay uploads under way, by user and in all (takeUpload)
	views         viewAudits   // when each user's reads were last audited (auditView)
	zoneName      string       // IANA name of d.Location, "" when it has none (zoneName)
	search        searchScores // GET /search's walk of the stored fixes, shared for SearchReuse
	runs          replayRuns   // the progress of the replay runs under way (GET /replay/progress)
	hosts         hostCheck    // the Host headers answered (checkHost)
	hostRefusals  *hostRefusals
}

type ackAdapter struct {
	a   store.AlertStore
	now func() time.Time
}

func (a ackAdapter) Ack(ctx context.Context, id, user, note string) (event.Alert, error) {
	return a.a.Ack(ctx, id, user, note, a.now())
}

// New builds the dashboard's echo server from its dependencies.
func New(d Deps) (*echo.Echo, error) {
	if d.Users == nil || d.Alerts == nil || d.TimeSeries == nil {
		return nil, errors.New("dashboard: Users, Alerts and TimeSeries are required")
	}
	if d.Hub == nil {
		d.Hub = NewHub(0)
	}
	if d.Site != nil {
		d.Hub.SetSite(d.Site) // the live feed keeps the site's sensors only
	}
	if d.Location == nil {
		d.Location = time.UTC
	}
	zoneName := zonename.Name(d.Location)
	d.Hub.SetZone(d.Location, zoneName) // fusion's zone is compared with it
	if d.PlaceMinProb == 0 {
		d.PlaceMinProb = store.DefaultPlaceMinProb
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	d.Acker = auditedAcker(d)
	if d.MaxUpload <= 0 {
		d.MaxUpload = 256 << 20
	}
	if d.BodyIdle <= 0 {
		d.BodyIdle = 15 * time.Second
	}
	if d.BodyTimeout <= 0 {
		d.BodyTimeout = 30 * time.Second
	}
	if d.FeedWriteTimeout <= 0 {
		d.FeedWriteTimeout = 30 * time.Second
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	d.Hub.SetLogger(d.Logger)
	if d.Metrics == nil {
		d.Metrics = prometheus.NewRegistry()
	}
	if err := ValidateMetricsToken(d.MetricsToken); err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	if d.hostname == nil {
		d.hostname = os.Hostname
	}
	hostname, err := d.hostname()
	if err != nil {
		d.Logger.Warn("dashboard: the machine's name is unknown, so its Host check allows only IP addresses, localhost and "+AllowedHostsSetting, "err", err)
		hostname = ""
	}
	hosts, err := newHostCheck(d.AllowedHosts, hostname)
	if err != nil {
		return nil, fmt.Errorf("dashboard: %s: %w", AllowedHostsSetting, err)
	}
	sub, err := fs.Sub(webFS, "web")
	if err != nil {
		return nil, fmt.Errorf("dashboard assets: %w", err)
	}
	s := &server{d: d, log: d.Logger, now: d.Now, assets: sub, feeds: slots{n: map[string]int{}}, uploads: slots{n: map[string]int{}},
		zoneName: zoneName, feed: newFeedWatch(d.Feed, d.Now, d.Hub), hosts: hosts}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rfwarden_dashboard_requests_total", Help: "HTTP requests by route and status code.",
	}, []string{"route", "code"})
	hubClients := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "rfwarden_dashboard_sse_clients", Help: "Connected live-feed clients.",
	}, func() float64 { return float64(d.Hub.Clients()) })
	hubDropped := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "rfwarden_dashboard_sse_dropped_total", Help: "Live-feed clients dropped for being too slow.",
	}, func() float64 { return float64(d.Hub.Dropped()) })
	hubIgnored := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "rfwarden_dashboard_sensor_messages_ignored_total",
		Help: "Sensor status and health messages ignored: their sensor is not in the site model, or, without one, MaxHubSensors are kept.",
	}, func() float64 { return float64(d.Hub.IgnoredSensorMessages()) })
	s.acks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rfwarden_dashboard_ack_announcements_total", Help: "Acknowledgements announced to fusion (AckAnnouncer), by result: sent or failed.",
	}, []string{"result"})
	s.loginRefusals = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rfwarden_dashboard_login_refused_total",
		Help: "Logins and password changes refused by a limit without checking the password, by reason: limited (too many failures of the address, or of the address and user), busy (no password check free).",
	}, []string{"reason"})
	unaudited := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "rfwarden_dashboard_login_refused_unaudited_total",
		Help: "Refused logins and password changes not audited one by one (beyond the first 10 a minute); a login.refused.summary row counts them.",
	})
	hostRefused := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "rfwarden_dashboard_host_refused_total",
		Help: "Requests refused (421) because their Host header is not one the dashboard answers to (RFW_ALLOWED_HOSTS).",
	})
	s.hostRefusals = &hostRefusals{log: d.Logger, now: d.Now, counter: hostRefused}
	s.refusals = &refusalAudit{auditor: d.Auditor, log: d.Logger, now: d.Now, unaudited: unaudited,
		afterFunc: func(d time.Duration, f func()) { time.AfterFunc(d, f) }}
	for _, c := range []prometheus.Collector{s.requests, s.acks, s.loginRefusals, unaudited, hostRefused, hubClients, hubDropped, hubIgnored} {
		if err := d.Metrics.Register(c); err != nil {
			return nil, fmt.Errorf("register dashboard metrics: %w", err)
		}
	}

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.errorHandler
	// The client's address is the connection's: the dashboard is served
	// directly (TLS on :443, docs/deploy.md), so X-Forwarded-For and
	// X-Real-IP are whatever the client wrote, and the login's per-address
	// limit keyed by them was no limit.
	e.IPExtractor = echo.ExtractIPDirect()
	e.Use(s.securityHeaders, s.count, s.checkHost, s.recoverPanic, s.bodyDeadline, auditAddr)
	s.routes(e)
	return e, nil
}

// httpError is an API error with a clear message.
func httpError(code int, format string, args ...any) error {
	return echo.NewHTTPError(code, fmt.Sprintf(format, args...))
}

// errorStatus is the status code and message the client gets for a
// handler's error (errorHandler), and what the request metric counts it
// as: an echo.HTTPError's own, store.ErrNotFound 404 naming what was not
// found (notFoundText), a read InfluxDB
// failed (store.InfluxFault) 503 with influxFault's words, any other 500
// (internal says so).
func (s *server) errorStatus(err error) (code int, msg string, internal bool) {
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		return he.Code, fmt.Sprint(he.Message), false
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, notFoundText(err), false
	}
	if ce := store.InfluxFault(err); ce != nil {
		return http.StatusServiceUnavailable, s.influxFault(ce), false
	}
	return http.StatusInternalServerError, "internal error", true
}

// notFoundText says what err, wrapping store.ErrNotFound, did not find, by
// the innermost wrapping's words, the store's own (`alert "a1": not
// found`, `registry entry 4: not found`), without the handler's context
// around them; "not found" when none names it. A 404 said "not found"
// alone, and the client could not tell which ID of its request it was.
func notFoundText(err error) string {
	what := ""
	for e := err; e != nil && e != store.ErrNotFound; e = errors.Unwrap(e) {
		if inner, ok := strings.CutSuffix(e.Error(), ": "+store.ErrNotFound.Error()); ok {
			what = inner
		}
	}
	if what == "" {
		return "not found"
	}
	// The ID is the client's: a 40 KB one was quoted whole until
	// 2026-12-07 (TestErrorsQuoteShort).
	return clip(what, 200) + ": not found"
}

// influxFault says why InfluxDB failed a read, as /healthz says it: what
// is wrong and the setting to fix ("InfluxDB does not answer: not
// reachable: connection refused (RFW_INFLUX_URL (--influx))"), through
// the InfluxDB probe's Public when the dashboard has one, never the
// user, host or InfluxDB's message, which the probe logs. The heatmap
// and the floor plan's locations answered 500 "internal error", which
// the page showed as it was.
func (s *server) influxFault(ce *store.InfluxCheckError) string {
	why := ce.Summary()
	if p, ok := s.d.Influx.(*Probe); ok && p.Public != nil {
		why = p.Public(ce)
	}
	if ce.Setting == store.InfluxSettingURL && !strings.HasPrefix(ce.Summary(), "answers HTTP") {
		return "InfluxDB, where the time series are read, does not answer: " + why
	}
	return "InfluxDB, where the time series are read, fails: " + why
}

func (s *server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, msg, internal := s.errorStatus(err)
	if internal {
		s.log.Error("dashboard request failed", "path", c.Path(), "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(code)
		return
	}
	_ = c.JSON(code, map[string]string{"error": msg})
}

func (s *server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		if s.d.Secure {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		return next(c)
	}
}

// count counts each request in rfwarden_dashboard_requests_total by route
// and status code, and logs it at info level (rfwarden dashboard -v) but
// for one refused 401 for want of a session (requireSession: no session
// cookie, or its session ended), logged at debug level: every browser
// asks /api/v1/me before its user logs in, and every open page is refused
// once its session expires, which wrote a line each time and buried the
// lines an admin looks for. A failed login (POST /api/v1/login: 401, 429,
// 503) is still logged at info, as is a refused metrics token; the
// metric counts every request.
func (s *server) count(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		code := c.Response().Status
		if err != nil && !c.Response().Committed {
			// The error handler answers after this returns: count
			// what it will send.
			code, _, _ = s.errorStatus(err)
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		s.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
		level := slog.LevelInfo
		if code == http.StatusUnauthorized && c.Get(noSessionKey) != nil {
			level = slog.LevelDebug
		}
		s.log.LogAttrs(c.Request().Context(), level, "dashboard request",
			slog.String("method", c.Request().Method), slog.String("route", route), slog.String("path", c.Request().URL.Path),
			slog.Int("code", code), slog.Duration("took", time.Since(start).Round(time.Microsecond)), slog.String("addr", c.RealIP()))
		return err
	}
}

func (s *server) requireSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ck, err := c.Cookie(s.sessionCookie())
		if err != nil {
			c.Set(noSessionKey, true)
			return httpError(http.StatusUnauthorized, "log in first")
		}
		sess, ok := s.d.Users.Session(ck.Value)
		if !ok {
			c.Set(noSessionKey, true)
			return httpError(http.StatusUnauthorized, "session expired, log in again")
		}
		if sess.MustChange && !mustChangeAllows[c.Path()] {
			return httpError(http.StatusForbidden, "choose your own password first (POST /api/v1/me/password): an administrator set this one")
		}
		c.Set("session", sess)
		return next(c)
	}
}

// noSessionKey marks a request requireSession refused for want of a
// session, for count's log.
const noSessionKey = "no_session"

// mustChangeAllows are the routes a session whose password an
// administrator set may use before choosing its own.
var mustChangeAllows = map[string]bool{"/api/v1/me": true, "/api/v1/me/password": true, "/api/v1/logout": true}

func (s *server) checkCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if !session(c).CheckCSRF(c.Request().Header.Get(CSRFHeader)) {
			return httpError(http.StatusForbidden, "missing or wrong CSRF token (%s header)", CSRFHeader)
		}
		return next(c)
	}
}

func (s *server) role(min string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !RoleAtLeast(session(c).Role, min) {
				return httpError(http.StatusForbidden, "needs role %s or higher", min)
			}
			return next(c)
		}
	}
}

func session(c echo.Context) Session {
	s, _ := c.Get("session").(Session)
	return s
}

// detachedWriteTimeout bounds a write that outlives its request (detach).
// A variable for the tests only.
var detachedWriteTimeout = 5 * time.Second

// detach returns a context for a write that must not be cancelled with
// the request of ctx (its values kept), bounded by detachedWriteTimeout:
// an audit row, or the session of a login whose password was checked. A
// client that hangs up (a guessing script half-closing its socket while
// bcrypt runs) cancelled the request's context, and with it the audit
// row of its failed login, or the session of a right password.
func detach(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), detachedWriteTimeout)
}

// audit records who did or viewed what; failures are logged, not fatal,
// except where the caller checks the error (auditFirst, for evidence,
// exports and replay runs: refused without their row). The row keeps the client's
// address, and is written though the client has gone (detach).
func (s *server) audit(c echo.Context, action, object, before, after string) error {
	if s.d.Auditor == nil {
		return nil
	}
	ctx, cancel := detach(c.Request().Context())
	defer cancel()
	err := s.d.Auditor.Audit(ctx, store.AuditEntry{
		TimeNS: s.now().UnixNano(), User: session(c).User, Action: action, Object: object, Before: before, After: after, Addr: c.RealIP(),
	})
	if err != nil {
		s.log.Error("audit failed", "action", action, "object", object, "err", err)
	}
	return err
}

// auditFirst writes the audit row of evidence (an IQ snippet, an
// incident bundle), an export or a replay run before any of it is
// served: when the row cannot be written (the database held by another
// writer past detachedWriteTimeout) the request is refused, 503 naming
// the reason, so nothing leaves unaudited. Such rows were written after
// the download, and their failure only logged.
func (s *server) auditFirst(c echo.Context, action, object, before, after string) error {
	if err := s.audit(c, action, object, before, after); err != nil {
		return httpError(http.StatusServiceUnavailable, "%s %s refused: its audit row could not be written (%v); try again in a moment", action, object, err)
	}
	return nil
}

// viewAuditPeriod is how long one user's reads of one thing (the same
// action, object and details, from one address in one session) are
// audited once (auditView): the page
// reads an open live alert again every 15 s and the heat map every
// minute, and each read wrote a row.
const viewAuditPeriod = 10 * time.Minute

// viewAudits remembers when each read was last audited, by user, client
// address, session (its token's hash), action, object and details.
type viewAudits struct {
	mu      sync.Mutex
	last    map[string]time.Time
	sweepAt int // len(last) at which the entries older than viewAuditPeriod are dropped
}

// auditView audits a read of personal data (view.*, audit.read,
// users.list, replay.annotated), once per user, client address (as the
// audit row records it), session, action, object and details in
// viewAuditPeriod: the page's automatic refreshes add no row, but a
// user's first read always does (the server decides, not the client, so
// a read cannot be hidden as a refresh), so does a read from another
// address or in another session (a stolen session used beside its
// owner's leaves its own rows), and so does a read once the period has
// passed since the last row. A row that could not be written is logged
// (audit) and tried again at the next read.
func (s *server) auditView(c echo.Context, action, object, after string) {
	sess := session(c)
	key := strings.Join([]string{sess.User, c.RealIP(), tokenHash(sess.Token), action, object, after}, "\x00")
	now := s.now()
	v := &s.views
	v.mu.Lock()
	last, seen := v.last[key]
	v.mu.Unlock()
	if seen && !now.Before(last) && now.Sub(last) < viewAuditPeriod {
		return
	}
	if s.audit(c, action, object, "", after) != nil {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.last == nil {
		v.last = map[string]time.Time{}
	}
	if len(v.last) >= v.sweepAt {
		for k, t := range v.last {
			if now.Sub(t) >= viewAuditPeriod || now.Before(t) {
				delete(v.last, k)
			}
		}
		v.sweepAt = max(4096, 2*len(v.last))
	}
	v.last[key] = now
}

// refusalAuditBurst is how many logins refused by a limit are audited one
// by one in a refusalAuditPeriod.
const refusalAuditBurst = 10

// refusalAuditPeriod is the period of refusalAuditBurst.
const refusalAuditPeriod = time.Minute

// refusalAudit writes the audit rows of logins and password changes
// refused by a limit (login.limited, login.busy, user.password.limited,
// user.password.busy): the first refusalAuditBurst of a period one by
// one, the others counted (the unaudited metric) and summed up in one
// row, login.refused.summary, when the period ends. A period begins
// with the first refusal after the last one ended. A flood of refused
// logins wrote a row each, contending with fusion for the database.
//
// It logs, at warning level (the dashboard's default), the first refusal
// of a period (its action, user name and address) and, when the period
// ends with more, how many of each action it had: someone guessing
// passwords showed in the journal only with -v, as one info line a
// request among all the others.
type refusalAudit struct {
	auditor   store.Auditor // nil: nothing is audited, refusals are still counted
	log       *slog.Logger
	now       func() time.Time
	afterFunc func(time.Duration, func()) // time.AfterFunc; tests call the function themselves
	unaudited prometheus.Counter

	mu      sync.Mutex
	open    bool           // a period runs; its end is scheduled
	from    time.Time      // when it began
	written int            // rows written one by one in it
	skipped map[string]int // refusals not written in it, by action
	counts  map[string]int // refusals in it, by action
}

// record audits the refusal e, or counts it for the period's summary.
func (r *refusalAudit) record(ctx context.Context, e store.AuditEntry) {
	r.mu.Lock()
	first := !r.open
	if first {
		r.open, r.from, r.written, r.skipped, r.counts = true, r.now(), 0, map[string]int{}, map[string]int{}
		r.afterFunc(refusalAuditPeriod, r.flush)
	}
	r.counts[e.Action]++
	if first && r.log != nil {
		r.log.Warn("dashboard: login refused by the failed-login limit: someone may be guessing passwords; the audit log has each refusal, and the next minute's are summed up here",
			"action", e.Action, "user", e.User, "addr", e.Addr)
	}
	if r.written >= refusalAuditBurst {
		r.skipped[e.Action]++
		r.mu.Unlock()
		r.unaudited.Inc()
		return
	}
	r.written++
	r.mu.Unlock()
	// Not the request's context: a client that hangs up at once (a
	// guessing script) must not cancel the row that records it.
	wctx, cancel := detach(ctx)
	defer cancel()
	r.write(wctx, e)
}

// flush ends the period, writing its summary row if refusals were left
// out of the audit.
func (r *refusalAudit) flush() {
	r.mu.Lock()
	from, skipped, counts := r.from, r.skipped, r.counts
	r.open, r.skipped, r.counts = false, nil, nil
	r.mu.Unlock()
	if n := sumCounts(counts); n > 1 && r.log != nil {
		r.log.Warn("dashboard: logins refused by the failed-login limit", "refused", countsText(counts), "since", from.UTC().Format(time.RFC3339))
	}
	if len(skipped) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r.write(ctx, store.AuditEntry{TimeNS: r.now().UnixNano(), Action: "login.refused.summary", Object: "login",
		After: fmt.Sprintf("%s not audited one by one since %s", countsText(skipped), from.UTC().Format(time.RFC3339))})
}

// countsText says counts, by action, as "2 login.busy, 5 login.limited".
func countsText(counts map[string]int) string {
	actions := slices.Sorted(maps.Keys(counts))
	parts := make([]string, len(actions))
	for i, a := range actions {
		parts[i] = fmt.Sprintf("%d %s", counts[a], a)
	}
	return strings.Join(parts, ", ")
}

func sumCounts(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

func (r *refusalAudit) write(ctx context.Context, e store.AuditEntry) {
	if r.auditor == nil {
		return
	}
	if err := r.auditor.Audit(ctx, e); err != nil {
		r.log.Error("audit failed", "action", e.Action, "err", err)
	}
}

// bodyChunkBytes is how much of a streamed body (streamedBodies) must
// arrive to move its read deadline on by Deps.BodyIdle.
const bodyChunkBytes = 64 << 10

// streamedBodies are the routes whose bodies may be larger than
// maxJSONBody (a recording upload, up to Deps.MaxUpload; a registry CSV,
// up to 4 MiB): they have no deadline in all, only a least rate.
var streamedBodies = map[string]bool{"/api/v1/replay/upload": true, "/api/v1/registry/import": true}

// bodyDeadline bounds how long a request's body may take to arrive: a
// client that sends a request's headers and then withholds its body, or
// trickles it, held a connection and a goroutine for ever (no login
// needed): each read of any size moved the deadline on. Now a body must
// arrive within Deps.BodyTimeout in all, and never stop for
// Deps.BodyIdle; a streamed body (streamedBodies) has no deadline in all
// but must bring bodyChunkBytes each BodyIdle. A body cut so is answered
// 408. At the body's end the deadline is lifted, so a long handler after
// it is not cut.
func (s *server) bodyDeadline(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			return next(c)
		}
		streamed := streamedBodies[c.Path()]
		if !streamed && r.ContentLength > maxJSONBody {
			// refused by its length, before any of it is read
			_ = r.Body.Close()
			return httpError(http.StatusRequestEntityTooLarge, "request body larger than %d bytes (it declares %d)", maxJSONBody, r.ContentLength)
		}
		now := time.Now()
		b := &deadlineBody{ReadCloser: r.Body, rc: http.NewResponseController(c.Response().Writer), idle: s.d.BodyIdle, chunk: 1,
			end: now.Add(s.d.BodyTimeout)}
		if streamed {
			b.chunk, b.end = bodyChunkBytes, time.Time{}
		}
		if b.rc.SetReadDeadline(b.next(now)) != nil {
			return next(c) // not a network connection (a test's recorder)
		}
		r.Body = b
		err := next(c)
		if b.timedOut && !c.Response().Committed {
			return httpError(http.StatusRequestTimeout, "request body too slow: it must arrive within %v (an upload: %d KiB every %v) and never pause for %v",
				s.d.BodyTimeout, bodyChunkBytes>>10, s.d.BodyIdle, s.d.BodyIdle)
		}
		if err != nil && !b.eof {
			// A refusal before the body was read (too large, no session,
			// a CSRF token missing) is answered at once, the connection
			// closed after it: net/http reads up to 256 KiB of an unread
			// body before it answers, and waited BodyIdle (15 s) on a
			// client that declared a body it did not send.
			_ = b.Close()
		}
		return err
	}
}

// deadlineBody moves the read deadline of a request body on to BodyIdle
// after each chunk bytes received, but not past end (zero: no end).
type deadlineBody struct {
	io.ReadCloser
	rc       *http.ResponseController
	idle     time.Duration
	chunk    int64     // bytes that move the deadline on
	end      time.Time // the latest deadline; zero: none
	got      int64     // bytes received since the deadline last moved
	timedOut bool      // a read hit the deadline
	eof      bool      // the body was read to its end
}

// next is the deadline for a body whose last chunk arrived at now.
func (b *deadlineBody) next(now time.Time) time.Time {
	d := now.Add(b.idle)
	if !b.end.IsZero() && d.After(b.end) {
		d = b.end
	}
	return d
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.got += int64(n)
	switch {
	case err == io.EOF:
		b.eof = true
		_ = b.rc.SetReadDeadline(time.Time{})
	case errors.Is(err, os.ErrDeadlineExceeded):
		b.timedOut = true
	case err == nil && b.got >= b.chunk:
		b.got = 0
		_ = b.rc.SetReadDeadline(b.next(time.Now()))
	}
	return n, err
}

// decodeJSON reads a size-limited JSON body strictly into v; a body over
// the limit is 413, one that is not UTF-8 (RFC 8259 §8.1) 400: the JSON
// decoder would take it, each bad byte of a string turned into U+FFFD.
// Unknown fields, anything after the value and a key given twice in one
// object are 400 too.
func decodeJSON(c echo.Context, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, maxJSONBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return httpError(http.StatusRequestEntityTooLarge, "request body larger than %d bytes", maxJSONBody)
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return httpError(http.StatusRequestTimeout, "request body too slow or stopped coming")
		}
		return httpError(http.StatusBadRequest, "read request body: %v", err)
	}
	if !utf8.Valid(body) {
		return httpError(http.StatusBadRequest, "request body is not UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return httpError(http.StatusBadRequest, "malformed JSON: empty body")
		}
		return httpError(http.StatusBadRequest, "malformed JSON: %s", jsonProblem(err))
	}
	// More is false at a '}' or ']' after the value too: until 2026-12-07
	// `{"note":"x"}}` was taken. A key given twice was taken too, its last
	// value stored, where every payload over MQTT is refused for it
	// (TestJSONErrorsInJSONTerms).
	if len(bytes.TrimSpace(body[dec.InputOffset():])) > 0 {
		return httpError(http.StatusBadRequest, "malformed JSON: trailing data after object")
	}
	if err := jsondup.CheckDecoded(body); err != nil {
		return httpError(http.StatusBadRequest, "malformed JSON: %v", err)
	}
	return nil
}

// jsonProblem says what is wrong with a request body the JSON decoder
// refused, in the body's words, not Go's: a value of the wrong type names
// its field and what belongs there ("name: a number where a string
// belongs"), where the decoder's own message named the handler's Go
// struct and type ("Go struct field userReq.name of type string",
// TestJSONErrorsInJSONTerms).
func jsonProblem(err error) string {
	var typ *json.UnmarshalTypeError
	if !errors.As(err, &typ) {
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	want := jsonKind(typ.Type)
	if typ.Field == "" {
		return fmt.Sprintf("the body is %s, want %s", article(typ.Value), want)
	}
	return fmt.Sprintf("%s: %s where %s belongs", typ.Field, article(typ.Value), want)
}

// jsonKind names what JSON value decodes into a Go type t.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another value"
	}
	if reflect.PointerTo(t).Implements(reflect.TypeFor[encoding.TextUnmarshaler]()) {
		return "a string" // a time, say
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number, 0 or more"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "another value"
}

// article puts "a" or "an" before the decoder's name of a JSON value
// ("number", "array", "string", "bool", "object", "number -1"); a bool
// reads "true or false".
func article(v string) string {
	switch {
	case v == "bool":
		return "true or false"
	case v != "" && strings.ContainsRune("aeiou", rune(v[0])):
		return "an " + v
	}
	return "a " + v
}

// safeJoin joins a user-supplied relative name under dir and rejects
// anything that would leave dir (.., absolute paths, empty names).
func safeJoin(dir, name string) (string, error) {
	if dir == "" {
		return "", httpError(http.StatusServiceUnavailable, "no folder configured")
	}
	if name == "" {
		return "", httpError(http.StatusBadRequest, "file name missing: give the recording's name, as the replay list shows it")
	}
	if strings.ContainsRune(name, 0) || filepath.IsAbs(name) || strings.HasPrefix(name, "/") || strings.Contains(name, "\\") {
		return "", httpError(http.StatusBadRequest, "bad file name %q", trimForErr(name))
	}
	clean := filepath.Clean(name)
	if !filepath.IsLocal(clean) {
		return "", httpError(http.StatusBadRequest, "path %q leaves the folder", trimForErr(name))
	}
	return filepath.Join(dir, clean), nil
}

// checkQuery refuses (400, naming it) a malformed query, a query
// parameter not among allowed, or one given more than once: a filter an
// endpoint does not know was ignored, so GET /alerts?since=abc answered
// as if it had been applied.
func checkQuery(c echo.Context, allowed ...string) error {
	q, err := url.ParseQuery(c.Request().URL.RawQuery)
	if err != nil {
		return httpError(http.StatusBadRequest, "malformed query: %v", err)
	}
	for _, k := range slices.Sorted(maps.Keys(q)) {
		switch {
		case !slices.Contains(allowed, k) && len(allowed) == 0:
			return httpError(http.StatusBadRequest, "unknown query parameter %q: this endpoint takes none", trimForErr(k))
		case !slices.Contains(allowed, k):
			return httpError(http.StatusBadRequest, "unknown query parameter %q: this endpoint takes %s", trimForErr(k), strings.Join(allowed, ", "))
		case len(q[k]) > 1:
			return httpError(http.StatusBadRequest, "query parameter %q given %d times: give it once", trimForErr(k), len(q[k]))
		}
	}
	return nil
}

// parseWindow maps a window name to a duration.
func parseWindow(w string) (time.Duration, error) {
	switch w {
	case "", "hour":
		return time.Hour, nil
	case "shift":
		return 8 * time.Hour, nil
	case "day":
		return 24 * time.Hour, nil
	case "week":
		return 7 * 24 * time.Hour, nil
	}
	return 0, httpError(http.StatusBadRequest, "window %q: use hour, shift, day or week", trimForErr(w))
}

func fsReadFile(fsys fs.FS, name string) ([]byte, error) { return fs.ReadFile(fsys, name) }

// auditAddr puts the client address in the request's context, so that an
// audit row written by another package for this request (the registry's)
// records it too (store.WithAuditAddr).
func auditAddr(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		c.SetRequest(r.WithContext(store.WithAuditAddr(r.Context(), c.RealIP())))
		return next(c)
	}
}
