package dashboard

import (
	"archive/zip"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/internal/typedtext"
	"github.com/rfwarden/rfwarden/sensor/eval"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// healthz answers "ok", or 503 and a line "degraded: <what>: <why>" for
// each thing wrong, in this order: the database has refused every write
// for store.WriteGrace, the evidence folder every snippet's write for as
// long, the live feed is configured but not connected to the broker,
// fusion is offline, deaf or unheard by its status topic (with a live feed:
// Hub.FusionStates; no alert can be raised then), InfluxDB is
// configured but its latest check (Probe, in the
// background: never on this request) found it not answering, the state
// disk's free space is low, fusion says it runs in another time zone
// (FusionState.ZoneDiffers). The first line is what /healthz said before
// it said them all (2026-12-06): the first of them only. The reasons
// name no user, host, port or password: /healthz needs no login.
func (s *server) healthz(c echo.Context) error {
	var b strings.Builder
	degraded := func(what, why string) { b.WriteString("degraded: " + what + ": " + why + "\n") }
	if db := s.d.Database; db != nil {
		if err := db.WriteProblem(time.Now(), store.WriteGrace); err != nil {
			degraded("database", databaseFault(err))
		}
	}
	if ev := s.d.Evidence; ev != nil {
		if err := ev.WriteProblem(time.Now(), store.WriteGrace); err != nil {
			degraded("evidence", writeFault("RFW_SNIPPET_DIR (--snippet-dir)", err)+": the sensors' snippets are refused")
		}
	}
	if f := s.d.Feed; f != nil && !f.IsConnected() {
		degraded("live feed", f.Reason())
	}
	if s.d.Feed != nil {
		states := s.d.Hub.FusionStates()
		for _, f := range states {
			if f.State != FusionOnline {
				degraded("fusion", s.fusionFault(f))
			}
		}
		for _, f := range states { // after every site's fusion line, as the order says
			if f.ZoneDiffers {
				degraded("time zone", s.zoneFault(f))
			}
		}
	}
	if in := s.d.Influx; in != nil && !in.IsConnected() {
		degraded("influxdb", in.Reason())
	}
	if d := s.d.StateDisk; d != nil {
		if why, low := d.Low(); low {
			degraded("state disk", why)
		}
	}
	if b.Len() > 0 {
		return c.String(http.StatusServiceUnavailable, b.String())
	}
	return c.String(http.StatusOK, "ok\n")
}

// fusionFault says what fusion's state f means for /healthz: offline
// since when and why, deaf since when and why, or no word since the feed
// subscribed; each means no alert (or none from what it does not hear)
// can be raised. The site is named on a dashboard of every site.
func (s *server) fusionFault(f FusionState) string {
	at := s.healthTime(f.SinceNS)
	site := s.fusionSite(f)
	switch {
	case f.State == FusionOffline && f.Reason == event.FusionStopped:
		return site + "offline since " + at + " (stopped): no new alert can be raised"
	case f.State == FusionOffline:
		return site + "offline since " + at + " (its last will: the broker lost its connection): no new alert can be raised"
	case f.State == FusionDeaf && strings.HasPrefix(f.Problem, "subscription refused"):
		return site + "connected and deaf since " + at + " (" + f.Problem + "): no new alert can be raised from what it does not hear; the broker's ACL must let fusion's user read its topics (deploy/mosquitto/rfwarden.acl)"
	case f.State == FusionDeaf:
		// its silence, whose problem says what to check
		return site + "connected and deaf since " + at + " (" + f.Problem + "): no new alert can be raised from what it does not hear"
	}
	topic := event.FusionStatusTopic(cmp.Or(f.Site, "+"))
	return fmt.Sprintf("no word from fusion since the dashboard connected at %s (its status arrives at once, and none in %v): fusion not running, older than the dashboard, the broker's ACL withholds %s from the dashboard (deploy/mosquitto/rfwarden.acl), or the broker lost it restarting; no alert can be raised while fusion is down",
		at, FusionWordWait, topic)
}

// fusionSite names f's site before a /healthz reason on a dashboard of
// every site ("site hmp-north: "); "" on a dashboard of one.
func (s *server) fusionSite(f FusionState) string {
	if s.d.Site == nil && f.Site != "" {
		return "site " + f.Site + ": "
	}
	return ""
}

// zoneFault says for /healthz that fusion runs in another time zone than
// the dashboard (FusionState.ZoneDiffers), and what it costs.
func (s *server) zoneFault(f FusionState) string {
	site := s.fusionSite(f)
	mine := cmp.Or(s.zoneName, "UTC"+s.now().In(s.d.Location).Format("-07:00"))
	return site + "fusion runs in " + f.TimeZone + ", this dashboard in " + mine + ": fusion matches the registry's weekly hours in its zone, the pages show them and every time in the dashboard's; set both hosts' zone to the prison's (docs/deploy.md, Site time)"
}

// healthTime is a time for /healthz, in the site's zone: its hours,
// minutes and seconds, and its date when it is not within the last 20
// hours.
func (s *server) healthTime(ns int64) string {
	t := time.Unix(0, ns).In(s.d.Location)
	if s.now().Sub(t).Abs() > 20*time.Hour {
		return t.Format("2006-01-02 15:04:05 MST")
	}
	return t.Format("15:04:05 MST")
}

// databaseFault says why the database refuses writes (a
// *store.WriteError) and the setting it is: "RFW_DB (--db) refuses
// writes: the disk is full (3 failed writes in 40s)".
func databaseFault(err error) string { return writeFault("RFW_DB (--db)", err) }

// writeFault says why what setting names refuses writes (a
// *store.WriteError), without its path: "<setting> refuses writes:
// <cause> (<n> failed writes in <for>)".
func writeFault(setting string, err error) string {
	var we *store.WriteError
	if !errors.As(err, &we) {
		return setting + " refuses writes"
	}
	return fmt.Sprintf("%s refuses writes: %s (%d failed writes in %v)", setting, we.Cause, we.Failures, we.For.Round(time.Second))
}

func (s *server) index(c echo.Context) error {
	b, err := fsReadFile(s.assets, "index.html")
	if err != nil {
		return err
	}
	return c.HTMLBlob(http.StatusOK, b)
}

func (s *server) static(c echo.Context) error {
	name := c.Param("*")
	if !filepathIsPlain(name) {
		return httpError(http.StatusNotFound, "no such asset")
	}
	b, err := fsReadFile(s.assets, name)
	if err != nil {
		return httpError(http.StatusNotFound, "no such asset")
	}
	ct := mime.TypeByExtension(filepath.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	return c.Blob(http.StatusOK, ct, b)
}

func filepathIsPlain(name string) bool {
	return name != "" && filepath.IsLocal(name) && !strings.Contains(name, "\\") && filepath.Clean(name) == name
}

type loginReq struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

func (s *server) login(c echo.Context) error {
	// A cross-site HTML form cannot send application/json, so requiring it
	// blocks login CSRF (no session, hence no token, exists yet).
	if ct := c.Request().Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return httpError(http.StatusUnsupportedMediaType, "login needs Content-Type application/json")
	}
	var req loginReq
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	sess, err := s.d.Users.Login(c.Request().Context(), c.RealIP(), req.User, req.Password)
	name := req.User
	if checkUserName(name) != nil {
		name = fmt.Sprintf("(not a user name, %d bytes)", len(name)) // the audit keeps no junk of any size
	}
	setRetryAfter(c, err)
	switch {
	case errors.Is(err, ErrRateLimited):
		s.loginRefused(c, "login", name, "limited") // someone guessing: the audit shows it
		return httpError(http.StatusTooManyRequests, "%v", err)
	case errors.Is(err, ErrBusy):
		s.loginRefused(c, "login", name, "busy")
		return httpError(http.StatusServiceUnavailable, "%v", err)
	case errors.Is(err, ErrDisabled):
		// Answered as a wrong password, whatever the password: a 403 to
		// the right one only told a guesser it was right.
		s.auditAs(c, req.User, "login.disabled", "user/"+req.User)
		return httpError(http.StatusUnauthorized, "%v", ErrBadCredentials)
	case errors.Is(err, ErrBadCredentials):
		s.auditAs(c, name, "login.failed", "user/"+name)
		return httpError(http.StatusUnauthorized, "%v", ErrBadCredentials)
	case err != nil:
		return err
	}
	// MaxAge, not Expires: the lifetime is relative, so a browser whose clock
	// disagrees with the server's (a control-room PC off NTP) keeps the session.
	c.SetCookie(&http.Cookie{Name: s.sessionCookie(), Value: sess.Token, Path: "/", HttpOnly: true, Secure: s.d.Secure,
		SameSite: http.SameSiteStrictMode, MaxAge: int(sess.ExpiresAt.Sub(sess.IssuedAt).Seconds())})
	s.retirePlainCookie(c)
	s.auditAs(c, sess.User, "login", "user/"+sess.User)
	return c.JSON(http.StatusOK, s.meOf(sess))
}

// clearSessionCookie tells the browser to drop its session cookie.
func (s *server) clearSessionCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: s.sessionCookie(), Value: "", Path: "/", HttpOnly: true, Secure: s.d.Secure, SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

// retirePlainCookie ends, on a dashboard under TLS, the session of a
// plain-named session cookie (SessionCookie) the request still carries,
// and tells the browser to drop it: one set before the dashboard named
// its cookie SecureSessionCookie (2026-12-06), which it no longer reads,
// but whose session stayed valid in the store, and whose cookie the
// browser sent with every request, until it expired. Called at login and
// logout, where a browser that upgraded meets it.
func (s *server) retirePlainCookie(c echo.Context) {
	if !s.d.Secure {
		return
	}
	ck, err := c.Cookie(SessionCookie)
	if err != nil {
		return
	}
	if ck.Value != "" {
		if err := s.d.Users.Logout(ck.Value); err != nil {
			s.log.Warn("dashboard: could not end the session of an old plain-named session cookie; it ends when it expires", "err", err)
		}
	}
	c.SetCookie(&http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

// setRetryAfter sets the Retry-After header of an answer to a login
// refused by a limit (a LimitError), in whole seconds.
func setRetryAfter(c echo.Context, err error) {
	var le *LimitError
	if errors.As(err, &le) {
		c.Response().Header().Set("Retry-After", strconv.FormatInt(int64(max(time.Second, le.RetryAfter+time.Second-1)/time.Second), 10))
	}
}

// loginRefused counts a login or password change (kind "login",
// "user.password") refused by the login limiter (reason limited or busy)
// and audits it as <kind>.<reason>: the first ones of a flood one by one,
// the rest in a summary row (refusalAudit).
func (s *server) loginRefused(c echo.Context, kind, user, reason string) {
	s.loginRefusals.WithLabelValues(reason).Inc()
	s.refusals.record(c.Request().Context(), store.AuditEntry{TimeNS: s.now().UnixNano(), User: user, Action: kind + "." + reason, Object: "user/" + user, Addr: c.RealIP()})
}

// auditAs records an action of user, who has no session (yet): a login,
// a failed one. The row keeps the client's address, and is written though
// the client has gone (detach).
func (s *server) auditAs(c echo.Context, user, action, object string) {
	if s.d.Auditor == nil {
		return
	}
	ctx, cancel := detach(c.Request().Context())
	defer cancel()
	if err := s.d.Auditor.Audit(ctx, store.AuditEntry{TimeNS: s.now().UnixNano(), User: user, Action: action, Object: object, Addr: c.RealIP()}); err != nil {
		s.log.Error("audit failed", "action", action, "err", err)
	}
}

func (s *server) logout(c echo.Context) error {
	if err := s.d.Users.Logout(session(c).Token); err != nil {
		s.log.Error("logout failed", "user", session(c).User, "err", err)
		return httpError(http.StatusServiceUnavailable, "could not log out: the session store is unavailable; try again")
	}
	s.clearSessionCookie(c)
	s.retirePlainCookie(c)
	_ = s.audit(c, "logout", "user/"+session(c).User, "", "")
	return c.NoContent(http.StatusNoContent)
}

type meResp struct {
	User string `json:"user"`
	Role string `json:"role"`
	CSRF string `json:"csrf"`
	Site string `json:"site,omitempty"`
	// MustChange: choose your own password (POST /me/password) before
	// anything else; an administrator set this one.
	MustChange bool `json:"must_change,omitempty"`
	// The site's zone (Deps.Location), in which the UI shows times, as
	// the CSV exports do.
	siteZone
	// NowNS is the server's clock (Deps.Now, the demo's simulated one):
	// the page ages the floor plan's markers on it, not the browser's.
	NowNS int64 `json:"now_ns"`
}

func (s *server) me(c echo.Context) error {
	if err := checkQuery(c); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.meOf(session(c)))
}

// meOf is what /me and the login answer of sess: the login's lacked the
// site and the server's clock (now_ns 0; TestLoginAnswersAsMe).
func (s *server) meOf(sess Session) meResp {
	r := meResp{User: sess.User, Role: sess.Role, CSRF: sess.CSRF, MustChange: sess.MustChange, siteZone: s.zone(), NowNS: s.now().UnixNano()}
	if s.d.Site != nil {
		r.Site = s.d.Site.ID
	}
	return r
}

func (s *server) openapi(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", openapiYAML)
}

// MaxFeedsPerSession is how many live feeds (GET /events) one session may
// have open at once: a dashboard tab holds one, and each is a connection,
// a goroutine and a hub buffer for as long as it lasts. MaxFeedsPerUser
// bounds those of all of one user's sessions (logging in again opens a
// new session).
const (
	MaxFeedsPerSession = 8
	MaxFeedsPerUser    = 32
)

// slots counts what is open or under way per key (a session's live
// feeds, a user's uploads) against each key's limit.
type slots struct {
	mu sync.Mutex
	n  map[string]int // one with none has no key
}

// slotLimit is one count reserve checks: key's may reach max, counted
// per scope (the log's word: "session", "user", "all"); busy says why
// another is refused when it has.
type slotLimit struct {
	key   string
	max   int
	scope string
	busy  string
}

// reserve counts one more under every limit's key, or none and returns
// the first limit reached; release frees what it counted.
func (f *slots) reserve(limits ...slotLimit) (release func(), reached slotLimit) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range limits {
		if f.n[l.key] >= l.max {
			return nil, l
		}
	}
	for _, l := range limits {
		f.n[l.key]++
	}
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, l := range limits {
			if f.n[l.key]--; f.n[l.key] <= 0 {
				delete(f.n, l.key)
			}
		}
	}, slotLimit{}
}

// takeFeed reserves one of the session token's MaxFeedsPerSession live
// feeds and of its user's MaxFeedsPerUser; release frees them. It
// returns the limit reached when it cannot.
func (f *slots) takeFeed(token, user string) (release func(), limit string) {
	release, reached := f.reserve(
		slotLimit{"s" + token, MaxFeedsPerSession, "session", fmt.Sprintf("this session already has %d live feeds open, the most it may: close another dashboard tab or window", MaxFeedsPerSession)},
		slotLimit{"u" + user, MaxFeedsPerUser, "user", fmt.Sprintf("user %q already has %d live feeds open in all, the most one user may: close dashboards logged in elsewhere", user, MaxFeedsPerUser)})
	return release, reached.busy
}

// events streams the live feed as Server-Sent Events. Query: kinds
// (comma-separated), sensor (for spectrum frames). The stream ends when its
// session does (logged out, expired, or the account disabled or changed).
// A session has at most MaxFeedsPerSession at once, a user
// MaxFeedsPerUser (429 beyond). Unless kinds leaves it out, the stream
// opens with the state of the dashboard's own feed from the broker (event:
// feed, a FeedState), sends it again whenever it changes and, with the
// server's clock, every 15 s as the keep-alive: an open stream alone does
// not make the page live.
func (s *server) events(c echo.Context) error {
	if err := checkQuery(c, "kinds", "sensor"); err != nil {
		return err
	}
	sub := Subscription{Sensor: c.QueryParam("sensor")}
	if sub.Sensor != "" && !event.ValidID(sub.Sensor) {
		return httpError(http.StatusBadRequest, "sensor %q is not a valid ID", trimForErr(sub.Sensor))
	}
	if k := c.QueryParam("kinds"); k != "" {
		sub.Kinds = map[string]bool{}
		for _, x := range strings.Split(k, ",") {
			if !feedKinds[x] {
				return httpError(http.StatusBadRequest, "kinds %q: use a comma-separated list of alert, location, health, status, spectrum, feed", trimForErr(x))
			}
			sub.Kinds[x] = true
		}
	}
	sess := session(c)
	token := sess.Token
	release, limit := s.feeds.takeFeed(token, sess.User)
	if release == nil {
		return httpError(http.StatusTooManyRequests, "%s", limit)
	}
	defer release()
	msgs, cancel := s.d.Hub.Subscribe(sub)
	defer cancel()
	w := c.Response()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// Each write waits at most FeedWriteTimeout for the client: the server
	// sets no WriteTimeout (a feed lasts), and until 2026-12-07 a client
	// that stopped reading without closing held its feed's slot and
	// goroutine until it went, also after the hub dropped it
	// (TestSSEStalledClientFreed).
	rc := http.NewResponseController(w)
	defer rc.SetWriteDeadline(time.Time{}) // the connection may serve another request
	send := func(text string) error {
		if err := rc.SetWriteDeadline(time.Now().Add(s.d.FeedWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
		if _, err := io.WriteString(w, text); err != nil {
			return err
		}
		return rc.Flush()
	}
	wantsFeed := sub.wants(Message{Kind: MsgFeed})
	// sent is the feed state this stream said last. Reading the state
	// (sendFeed) publishes a change it finds to every stream, this one
	// included, which has said it already: that copy is not news, and a
	// first stream after the feed connected said "connected" twice
	// (TestSSEFeedState).
	var sent FeedState
	feedEvent := func() string {
		sent = s.feed.State()
		b, _ := json.Marshal(sent)
		return fmt.Sprintf("event: %s\ndata: %s\n\n", MsgFeed, b)
	}
	// retry: a browser tries again 2 s after the stream drops (Chromium's
	// own wait is about 3 s), well inside the 5 s the page waits before
	// it says the dashboard is unreachable (TestSSERetrySet).
	first := ": rfwarden live feed\nretry: 2000\n\n"
	if wantsFeed {
		defer s.feed.watch()()
		first += feedEvent()
	}
	if send(first) != nil {
		return nil // the client went, or does not read
	}
	keep := time.NewTicker(15 * time.Second)
	defer keep.Stop()
	ctx := c.Request().Context()
	for {
		var text string
		select {
		case <-ctx.Done():
			return nil
		case <-keep.C:
			if _, live := s.d.Users.Session(token); !live {
				return nil
			}
			text = ": keep-alive\n\n"
			if wantsFeed {
				text = feedEvent() // the server's clock, for the page's markers
			}
		case m, ok := <-msgs:
			if _, live := s.d.Users.Session(token); !live {
				return nil
			}
			if !ok {
				send("event: dropped\ndata: {}\n\n")
				return nil
			}
			if m.Kind == MsgFeed {
				var st FeedState
				if json.Unmarshal(m.Data, &st) == nil && sameFeedState(st, sent) {
					continue
				}
				sent = st
			}
			text = fmt.Sprintf("event: %s\ndata: %s\n\n", m.Kind, m.Data)
		}
		if send(text) != nil {
			return nil
		}
	}
}

// sameFeedState reports whether a and b are one state of the feed: the
// same state, since the same time, for the same reason (whenever they
// were sent).
func sameFeedState(a, b FeedState) bool {
	return a.State == b.State && a.SinceNS == b.SinceNS && a.Reason == b.Reason && slices.Equal(a.Fusion, b.Fusion)
}

// feedKinds are the live feed's message kinds, kinds= of GET /events.
var feedKinds = map[string]bool{MsgAlert: true, MsgLocation: true, MsgHealth: true, MsgStatus: true, MsgSpectrum: true, MsgFeed: true}

func (s *server) siteID() string {
	if s.d.Site != nil {
		return s.d.Site.ID
	}
	return ""
}

// ListAlertsLimit is how many alerts GET /api/v1/alerts lists, open ones
// first: more when more are open.
const ListAlertsLimit = 200

// listAlerts lists the site's alerts matching the query (zone, rule,
// severity, state: pending, firing, open (both) or resolved, unacked=1):
// every open (pending or firing) alert, whatever its age, then the others
// (resolved) updated in the window (window=hour|shift|day|week; none: any
// time) up to ListAlertsLimit rows in all, in triage order (alertTriage;
// sort=updated: newest updated first). A firing alert's updated_ns moves
// only on a state change, an acknowledgement, a reminder or while its
// evidence and probability change (alert.RefreshEvery), so a list of the
// window's newest 200 missed an alert still firing on a busy site, or
// acknowledged before the window.
func (s *server) listAlerts(c echo.Context) error {
	if err := checkQuery(c, "zone", "rule", "severity", "state", "unacked", "window", "sort"); err != nil {
		return err
	}
	order := alertTriage
	switch v := c.QueryParam("sort"); v {
	case "", "triage":
	case "updated":
		order = newestUpdated
	default:
		return httpError(http.StatusBadRequest, "sort %q: use triage (open and unacknowledged first, by severity, newest active first) or updated (newest updated first)", trimForErr(v))
	}
	switch v := c.QueryParam("severity"); v {
	case "", event.SeverityInfo, event.SeverityWarning, event.SeverityCritical:
	default:
		return httpError(http.StatusBadRequest, "severity %q: use info, warning or critical", trimForErr(v))
	}
	switch v := c.QueryParam("unacked"); v {
	case "", "0", "1":
	default:
		return httpError(http.StatusBadRequest, "unacked %q: use 1 (only alerts nobody acknowledged) or 0", trimForErr(v))
	}
	if z := c.QueryParam("zone"); z != "" && s.d.Site != nil {
		// a zone misspelt listed no alert, read as all clear there
		if zones := s.d.Site.Zones(); !slices.Contains(zones, z) {
			return httpError(http.StatusBadRequest, "zone %q is not a zone of the site model: use one of %s", trimForErr(z), strings.Join(zones, ", "))
		}
	}
	ctx := c.Request().Context()
	base := store.AlertFilter{Site: s.siteID(), Zone: c.QueryParam("zone"), Rule: c.QueryParam("rule"),
		Severity: c.QueryParam("severity"), Unacked: c.QueryParam("unacked") == "1"}
	var since time.Time
	if w := c.QueryParam("window"); w != "" {
		d, err := parseWindow(w)
		if err != nil {
			return err
		}
		since = s.now().Add(-d)
	}
	states := []string{event.AlertPending, event.AlertFiring, event.AlertResolved}
	switch st := c.QueryParam("state"); {
	case st == "":
	case st == "open":
		states = states[:2]
	case slices.Contains(states, st):
		states = []string{st}
	default:
		return httpError(http.StatusBadRequest, "state %q: use pending, firing, open (pending or firing) or resolved", trimForErr(st))
	}
	as := []event.Alert{}
	for _, st := range states {
		f := base
		f.State = st
		if st != event.AlertPending && st != event.AlertFiring {
			if len(as) >= ListAlertsLimit {
				break
			}
			f.Since, f.Limit = since, ListAlertsLimit-len(as)
		}
		got, err := s.d.Alerts.Alerts(ctx, f)
		if err != nil {
			return fmt.Errorf("list %s alerts: %w", st, err)
		}
		as = append(as, got...)
	}
	slices.SortStableFunc(as, order)
	return c.JSON(http.StatusOK, as)
}

// alertTriage orders alerts as the control room deals with them (the
// Alerts page sorts its rows alike, app.js alertOrder): the open (pending
// or firing) alerts nobody acknowledged, then the acknowledged open ones,
// each critical before warning before info and, within a severity, newest
// active first; then the resolved ones, newest active first; ties by ID.
// An alert keeps its place while its evidence, probability or reminders
// change (updated_ns moves, active_ns does not): the list sorted by
// updated_ns showed active_ns, out of order, and moved rows as they were
// clicked.
func alertTriage(a, b event.Alert) int {
	c := cmp.Compare(triageGroup(a), triageGroup(b))
	if c == 0 && triageGroup(a) < 2 {
		c = cmp.Compare(severityRank(b.Severity), severityRank(a.Severity))
	}
	return cmp.Or(c, cmp.Compare(b.ActiveNS, a.ActiveNS), strings.Compare(a.ID, b.ID))
}

// triageGroup is 0 for an open alert nobody acknowledged, 1 for an
// acknowledged open one, 2 for a resolved one.
func triageGroup(a event.Alert) int {
	switch {
	case a.State == event.AlertResolved:
		return 2
	case a.AckNS != 0:
		return 1
	}
	return 0
}

// severityRank is 3 for critical, 2 for warning, 1 for info, 0 else.
func severityRank(sev string) int {
	return 1 + slices.Index([]string{event.SeverityInfo, event.SeverityWarning, event.SeverityCritical}, sev)
}

// newestUpdated orders alerts newest updated first, ties by ID (sort=updated).
func newestUpdated(a, b event.Alert) int {
	return cmp.Or(cmp.Compare(b.UpdatedNS, a.UpdatedNS), strings.Compare(a.ID, b.ID))
}

// alertsCSVHeader names the columns of the alerts export.
var alertsCSVHeader = []string{"id", "active", "updated", "severity", "rule", "state", "summary", "room", "zone", "sensor",
	"class", "probability", "incident", "escalations", "ack_by", "ack_time", "ack_note"}

// exportAlerts downloads the alerts updated in the window (hour, shift,
// day, week, or month: 30 days; default week) as CSV, newest first, times
// in the site's zone; at most MaxExportRows of them. Cells that a spreadsheet would read as a formula
// (starting =, +, -, @, tab or CR) are prefixed with an apostrophe: notes
// are typed by users.
func (s *server) exportAlerts(c echo.Context) error {
	w, since, until, err := s.exportWindow(c)
	if err != nil {
		return err
	}
	f := store.AlertFilter{Site: s.siteID(), Since: since, Until: until, Limit: MaxExportRows + 1}
	if err := s.exportFits(c, "alerts", w, func(n exportCounter, ctx context.Context) (int, error) { return n.CountAlerts(ctx, f) }); err != nil {
		return err
	}
	as, err := s.d.Alerts.Alerts(c.Request().Context(), f)
	if err != nil {
		return fmt.Errorf("export alerts: %w", err)
	}
	if len(as) > MaxExportRows {
		return exportTooLarge("alerts", w)
	}
	rows := make([][]string, 0, len(as))
	for _, a := range as {
		rows = append(rows, []string{a.ID, s.csvTime(a.ActiveNS), s.csvTime(a.UpdatedNS), a.Severity, a.Rule, a.State, a.Summary, a.Room, a.Zone, a.Sensor,
			a.Class, strconv.FormatFloat(a.Probability, 'f', 2, 64), a.Incident, strconv.Itoa(a.Escalations), a.AckBy, s.csvTime(a.AckNS), a.AckNote})
	}
	return s.sendCSV(c, "alerts", w, alertsCSVHeader, rows)
}

// incidentsCSVHeader names the columns of the incidents export.
var incidentsCSVHeader = []string{"id", "opened", "updated", "kind", "summary", "state", "rooms", "alerts", "detections",
	"closed", "closed_by", "outcome", "note", "reopened", "reopened_by", "history"}

// exportIncidents downloads the incidents updated in the window (as
// exportAlerts) as CSV, newest first, with how each case ended: the
// monthly report of finds, searches with nothing found and false alarms.
func (s *server) exportIncidents(c echo.Context) error {
	w, since, until, err := s.exportWindow(c)
	if err != nil {
		return err
	}
	f := store.IncidentFilter{Site: s.siteID(), Since: since, Until: until, Limit: MaxExportRows + 1}
	if err := s.exportFits(c, "incidents", w, func(n exportCounter, ctx context.Context) (int, error) { return n.CountIncidents(ctx, f) }); err != nil {
		return err
	}
	incs, err := s.d.Alerts.Incidents(c.Request().Context(), f)
	if err != nil {
		return fmt.Errorf("export incidents: %w", err)
	}
	if len(incs) > MaxExportRows {
		return exportTooLarge("incidents", w)
	}
	rows := make([][]string, 0, len(incs))
	for _, i := range incs {
		rows = append(rows, []string{i.ID, s.csvTime(i.OpenedNS), s.csvTime(i.UpdatedNS), i.Kind, i.Summary, i.State, strings.Join(i.Rooms, " "),
			strconv.Itoa(len(i.Alerts)), strconv.Itoa(len(i.Detections)), s.csvTime(i.ClosedNS), i.ClosedBy, i.Outcome, i.Note, s.csvTime(i.ReopenedNS), i.ReopenedBy, s.csvHistory(i.History)})
	}
	return s.sendCSV(c, "incidents", w, incidentsCSVHeader, rows)
}

// csvHistory is an incident's closures and reopenings (store.Incident
// History) in one CSV cell, oldest first, one a line: "TIME closed by
// USER: OUTCOME: NOTE", "TIME reopened by USER: NOTE" (the note left out
// when there is none).
func (s *server) csvHistory(h []store.IncidentChange) string {
	lines := make([]string, 0, len(h))
	for _, c := range h {
		l := s.csvTime(c.AtNS) + " " + c.Action + " by " + c.By
		for _, v := range []string{c.Outcome, c.Note} {
			if v != "" {
				l += ": " + v
			}
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

// MaxExportRows is the most rows one CSV export (alerts, incidents) holds.
// A window with more is refused (422, exportTooLarge) rather than cut
// short: a report missing rows without a word is worse than none.
const MaxExportRows = 20000

// exportCounter is an alert store that counts the alerts and incidents
// of a filter without reading them (store.SQLite): an export counts its
// window's rows first and refuses a window over MaxExportRows so, where
// reading 20,001 whole alerts to find it too large took 2.4 s and grew
// the dashboard by 134 MB. With a store that cannot count, the export
// reads one row over the most and refuses on that.
type exportCounter interface {
	CountAlerts(ctx context.Context, f store.AlertFilter) (int, error)
	CountIncidents(ctx context.Context, f store.IncidentFilter) (int, error)
}

var _ exportCounter = (*store.SQLite)(nil)

// exportFits refuses (exportTooLarge) an export of kind over window w
// whose rows, as count counts them, are more than MaxExportRows, when
// the store counts (exportCounter); else, and with a store that cannot
// count, it returns nil.
func (s *server) exportFits(c echo.Context, kind, w string, count func(exportCounter, context.Context) (int, error)) error {
	n, ok := s.d.Alerts.(exportCounter)
	if !ok {
		return nil
	}
	rows, err := count(n, c.Request().Context())
	if err != nil {
		return fmt.Errorf("export %s: %w", kind, err)
	}
	if rows > MaxExportRows {
		return exportTooLarge(kind, w)
	}
	return nil
}

// exportTooLarge refuses an export whose window holds more than
// MaxExportRows rows of kind.
func exportTooLarge(kind, window string) error {
	return httpError(http.StatusUnprocessableEntity, "the %s window holds more than %d %s, the most one export holds: export a shorter window, or from and to dates",
		window, MaxExportRows, kind)
}

// exportWindow reads an export's window and returns its name, start and
// end (zero: now). Either window names one that ends now (hour, shift,
// day, week, or month: 30 days; default week), or from and to give dates
// (YYYY-MM-DD, in the site's zone) of its first and last day, to
// defaulting to today: from=2026-11-01&to=2026-11-30 is November, for a
// report after the month, however much came since.
func (s *server) exportWindow(c echo.Context) (string, time.Time, time.Time, error) {
	if err := checkQuery(c, "window", "from", "to"); err != nil {
		return "", time.Time{}, time.Time{}, err
	}
	w, from, to := c.QueryParam("window"), c.QueryParam("from"), c.QueryParam("to")
	if from != "" || to != "" {
		if w != "" {
			return "", time.Time{}, time.Time{}, httpError(http.StatusBadRequest, "give a window or from and to dates, not both")
		}
		return s.exportDates(from, to)
	}
	var d time.Duration
	switch w {
	case "":
		w, d = "week", 7*24*time.Hour
	case "month":
		d = 30 * 24 * time.Hour
	default:
		var err error
		if d, err = parseWindow(w); err != nil {
			return "", time.Time{}, time.Time{}, httpError(http.StatusBadRequest, "window %q: use hour, shift, day, week or month", trimForErr(w))
		}
	}
	return w, s.now().Add(-d), time.Time{}, nil
}

// exportDates reads an export's from and to dates (exportWindow): the
// window runs from the start of from's day to the end of to's, in the
// site's zone.
func (s *server) exportDates(from, to string) (string, time.Time, time.Time, error) {
	day := func(name, v string) (time.Time, error) {
		t, err := time.ParseInLocation(time.DateOnly, v, s.d.Location)
		if err != nil {
			return t, httpError(http.StatusBadRequest, "%s %q: give a date as YYYY-MM-DD", name, trimForErr(v))
		}
		return t, nil
	}
	if from == "" {
		return "", time.Time{}, time.Time{}, httpError(http.StatusBadRequest, "to %q without from: give the window's first day as from=YYYY-MM-DD", trimForErr(to))
	}
	since, err := day("from", from)
	if err != nil {
		return "", time.Time{}, time.Time{}, err
	}
	last := s.now().In(s.d.Location)
	if to != "" {
		if last, err = day("to", to); err != nil {
			return "", time.Time{}, time.Time{}, err
		}
	}
	if last.Before(since) {
		if to == "" {
			// to defaulted to today: name what the user gave
			return "", time.Time{}, time.Time{}, httpError(http.StatusBadRequest, "from %s is after today, %s: give a from date up to today, or a to date too",
				since.Format(time.DateOnly), last.Format(time.DateOnly))
		}
		return "", time.Time{}, time.Time{}, httpError(http.StatusBadRequest, "to %s is before from %s", last.Format(time.DateOnly), since.Format(time.DateOnly))
	}
	y, m, d := last.Date()
	until := time.Date(y, m, d+1, 0, 0, 0, 0, s.d.Location)
	if since.Before(storeTimeMin) || until.After(storeTimeMax) {
		// the store's times are int64 nanoseconds: a window past them
		// wrapped round and the export held nothing (TestExportDatesBounded)
		return "", time.Time{}, time.Time{}, httpError(http.StatusBadRequest, "from %s to %s: outside %s to %s, the days an export can name",
			since.Format(time.DateOnly), last.Format(time.DateOnly), storeTimeMin.Add(24*time.Hour).In(s.d.Location).Format(time.DateOnly),
			storeTimeMax.Add(-24*time.Hour).In(s.d.Location).Format(time.DateOnly))
	}
	return since.Format(time.DateOnly) + ".." + last.Format(time.DateOnly), since, until, nil
}

// csvTime formats a time in the site's zone for an export ("" for none).
func (s *server) csvTime(ns int64) string {
	if ns == 0 {
		return ""
	}
	return time.Unix(0, ns).In(s.d.Location).Format(time.RFC3339)
}

// exportFileDays names an export's days in its file name: for from and
// to dates (exportDates' window, first..last) the day, or first_last for
// several; for a named window, which ends now, today in the site's zone.
func (s *server) exportFileDays(window string) string {
	if first, last, ok := strings.Cut(window, ".."); ok {
		if first == last {
			return first
		}
		return first + "_" + last
	}
	return s.now().In(s.d.Location).Format(time.DateOnly)
}

// sendCSV answers an export of kind (alerts, incidents) as a CSV download
// named after the site and the export's days (exportFileDays), and audits
// it. Cells that a spreadsheet would read as a formula are made text
// (registry.TextCell).
func (s *server) sendCSV(c echo.Context, kind, window string, header []string, rows [][]string) error {
	b, err := csvBytes(header, rows)
	if err != nil {
		return fmt.Errorf("export %s: %w", kind, err)
	}
	if err := s.auditFirst(c, kind+".export", kind, "", fmt.Sprintf("window %s, %d %s", window, len(rows), kind)); err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s-%s.csv"`, kind, cmp.Or(s.siteID(), "site"), s.exportFileDays(window)))
	return c.Blob(http.StatusOK, "text/csv", b)
}

// csvBytes writes header and rows as CSV, each row's cells made safe
// for a spreadsheet (registry.TextCell: a leading = + - @ is not a
// formula) in place.
func csvBytes(header []string, rows [][]string) ([]byte, error) {
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	cw.Write(header)
	for _, row := range rows {
		for i, v := range row {
			row[i] = registry.TextCell(v)
		}
		cw.Write(row)
	}
	cw.Flush()
	return b.Bytes(), cw.Error()
}

type alertDetail struct {
	Alert      event.Alert             `json:"alert"`
	Detections []store.DetectionRecord `json:"detections"`
	Sensors    []string                `json:"sensors"`
	// SnippetsGone names the evidence's snippets not in SnippetDir: not
	// sent by the sensor (yet), or rotated out there before the alert asked
	// to keep them. Empty without a SnippetDir.
	SnippetsGone []string `json:"snippets_gone"`
	// RuleKind is the kind of the rule that raised the alert: the alert's
	// own (event.Alert.RuleKind, "drone", "unauthorised_uplink", …). Of an
	// alert stored before fusion said it, "drone" for one a drone rule
	// raised, whatever its class (a drone rule may watch any: its summary
	// follows its fixes, docs/alerts.md), as dropAck judges it: from its
	// drone_drop incident's drone_alerts, else by its class (DroneID,
	// video link, remote control, analog FPV); empty for any other.
	RuleKind string `json:"rule_kind,omitempty"`
}

func (s *server) getAlert(c echo.Context) error {
	if err := checkQuery(c); err != nil {
		return err
	}
	ctx := c.Request().Context()
	a, err := s.d.Alerts.Alert(ctx, c.Param("id"))
	if err != nil {
		return fmt.Errorf("alert %q: %w", c.Param("id"), err)
	}
	d := alertDetail{Alert: a, Detections: []store.DetectionRecord{}, Sensors: []string{}, SnippetsGone: []string{}}
	d.RuleKind = a.RuleKind
	if d.RuleKind == "" && s.droneRuleAlert(ctx, a) {
		d.RuleKind = "drone"
	}
	if len(a.Evidence) > 0 {
		from := time.Unix(0, a.ActiveNS).Add(-10 * time.Minute)
		to := time.Unix(0, a.UpdatedNS).Add(10 * time.Minute)
		recs, err := s.evidence(ctx, a.Site, from, to, a.Evidence, 5000)
		if err != nil {
			return fmt.Errorf("evidence for alert %q: %w", a.ID, err)
		}
		seen := map[string]bool{}
		for _, r := range recs {
			d.Detections = append(d.Detections, r)
			if !seen[r.Sensor] {
				seen[r.Sensor] = true
				d.Sensors = append(d.Sensors, r.Sensor)
			}
			if r.Snippet != "" && s.d.SnippetDir != "" && !s.snippetOnHand(r.Snippet) {
				d.SnippetsGone = append(d.SnippetsGone, r.Snippet)
			}
		}
		sort.Strings(d.Sensors)
	}
	s.auditView(c, "view.alert", "alert/"+a.ID, "")
	return c.JSON(http.StatusOK, d)
}

// droneRuleAlert reports whether alert a was raised by a drone rule, as
// dropAck judges it: by its own rule_kind, else listed in its drone_drop
// incident's drone_alerts, or, with no such incident (none yet, no
// drone_drop rule, or one stored before fusion listed them), by its
// class. An incident that cannot be read is logged, and a is judged by
// its class.
func (s *server) droneRuleAlert(ctx context.Context, a event.Alert) bool {
	var inc store.Incident
	if a.Incident != "" {
		i, err := s.d.Alerts.Incident(ctx, a.Incident)
		switch {
		case err == nil && i.Kind == "drone_drop":
			inc = i
		case err != nil && !errors.Is(err, store.ErrNotFound):
			s.log.Warn("alert's incident not read; its rule kind judged by its class", "alert", a.ID, "incident", a.Incident, "err", err)
		}
	}
	return dropAck(inc, a)
}

// snippetOnHand reports whether the snippet a detection names is in
// SnippetDir (its metadata; a name that is not a local path is not).
func (s *server) snippetOnHand(name string) bool {
	p, err := safeJoin(s.d.SnippetDir, name+sigmf.MetaExt)
	if err != nil {
		return false
	}
	_, err = os.Stat(p)
	return err == nil
}

// idFinder is a TimeSeries that looks detections up by ID (store.SQLite
// and store.Influx do).
type idFinder interface {
	DetectionsByID(ctx context.Context, site string, from, to time.Time, ids []string) ([]store.DetectionRecord, error)
}

// evidence returns the detections of site in [from, to) named by ids,
// newest first. The store finds by ID those it can (IDs of the characters
// event.ValidID allows, which its ID queries take; at most store.MaxIDs);
// the rest (a detection ID may hold any printable character) are looked
// for among the newest limit detections of the window, which a busy window
// can leave them out of.
func (s *server) evidence(ctx context.Context, site string, from, to time.Time, ids []string, limit int) ([]store.DetectionRecord, error) {
	var simple, other []string
	for _, id := range ids {
		if event.ValidID(id) {
			simple = append(simple, id)
		} else {
			other = append(other, id)
		}
	}
	f, ok := s.d.TimeSeries.(idFinder)
	if !ok || len(simple) > store.MaxIDs {
		simple, other = nil, ids
	}
	var out []store.DetectionRecord
	if len(simple) > 0 {
		recs, err := f.DetectionsByID(ctx, site, from, to, simple)
		if err != nil {
			return nil, err
		}
		out = recs
	}
	if len(other) == 0 {
		return out, nil
	}
	recs, err := s.d.TimeSeries.Detections(ctx, site, from, to, limit)
	if err != nil {
		return nil, err
	}
	want := make(map[string]bool, len(other))
	for _, id := range other {
		want[id] = true
	}
	for _, r := range recs {
		if want[r.ID] {
			out = append(out, r)
		}
	}
	if len(simple) > 0 { // two lists, each newest first
		store.NewestFirst(out)
	}
	return out, nil
}

type ackReq struct {
	Note string `json:"note"`
}

// ackAlert is POST /alerts/{id}/ack. An acknowledgement whose audit row
// cannot be stored is refused, 503 naming the row, nothing acknowledged
// (errAckNotAudited), as the other audited changes are (notStored).
func (s *server) ackAlert(c echo.Context) error {
	var req ackReq
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	req.Note = trimNote(req.Note)
	if err := checkNote(req.Note); err != nil {
		return err
	}
	id := c.Param("id")
	if cur, err := s.d.Alerts.Alert(c.Request().Context(), id); err == nil && needsAckNote(cur, req.Note) {
		return httpError(http.StatusBadRequest, "note: alert %s is critical: say what was done about it (searched, found, false alarm) to acknowledge it", id)
	}
	a, err := s.acknowledge(c, id, req.Note, false)
	if errors.Is(err, errAckNotAudited) {
		return notStored(&store.AuditEntry{Action: "alert.ack", Object: "alert/" + id}, err)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

// needsAckNote reports whether acknowledging a with note is refused for
// want of a note: a critical alert's acknowledgement says what was done
// about it (a note that shows something: typedtext.Blank), as a search's
// outcome and a maintenance window's reason do; a warning's may have
// none. An acknowledgement stops the alert's reminders and moves it below
// the open ones: a critical alert so silenced with one click recorded who
// and when but nothing of the phone or drone. A note of a NUL, a bell or
// a zero-width space is none (TestNotesShowSomething): it passed as one.
func needsAckNote(a event.Alert, note string) bool {
	return a.Severity == event.SeverityCritical && typedtext.Blank(note)
}

// trimNote returns a note as it is stored: its line breaks "\n" and
// without the spaces and line breaks round it (typedtext.Normal), its
// inner text kept. A note of only those is none. Every note typed (an
// acknowledgement's, single or bulk; an incident's closure and reopening;
// a search's outcome; a maintenance window's reason) is trimmed before
// it is checked, stored or audited (TestNotesTrimmed).
func trimNote(note string) string {
	return typedtext.Normal(note)
}

// checkNote refuses a note (of an acknowledgement or a closure) longer
// than an acknowledgement may carry, or not UTF-8.
func checkNote(note string) error {
	return checkText("note", note, event.MaxAckNote)
}

// checkText refuses (400, naming field) typed text that is not UTF-8, is
// longer than most characters (Unicode code points, not bytes: 1500 "é"
// are 1500 characters; UTF-8 bounds its bytes to 4*most), or holds a
// control character other than a line break or tab, or a bidirectional
// override (typedtext.Check): stored, audited and shown to other users,
// an escape sequence or an override made the note read as what it was
// not (TestNotesShowSomething).
func checkText(field, text string, most int) error {
	if err := typedtext.Check(text, most, true); err != nil {
		return httpError(http.StatusBadRequest, "%s: %v", field, err)
	}
	return nil
}

// MaxSearchNote bounds the note of a search's outcome, in characters.
const MaxSearchNote = 2000

// MaxMaintenanceReason bounds the reason of a maintenance window, in
// characters.
const MaxMaintenanceReason = 200

// acknowledge acknowledges an alert as the session's user: stored (or in
// the demo's engine) with its alert.ack audit row, both or neither
// (AuditedAcker), on this dashboard's live feed at once, and announced to
// fusion for the other dashboards and the outputs. With unacked (a bulk
// acknowledgement, an incident's closure, a maintenance window) an alert
// someone has acknowledged is left as it stands and returned with an
// error wrapping store.ErrAlreadyAcked; without (POST
// /alerts/{id}/ack), a second acknowledgement replaces the first. It is
// written though the client has gone (detach).
func (s *server) acknowledge(c echo.Context, id, note string, unacked bool) (event.Alert, error) {
	ctx, cancel := detach(c.Request().Context())
	defer cancel()
	user := session(c).User
	e := s.auditRow(c, "alert.ack", "alert/"+id, "", note)
	a, err := s.d.Acker.(AuditedAcker).AckAudited(ctx, id, user, note, unacked, e)
	if errors.Is(err, store.ErrAlreadyAcked) {
		return a, err
	}
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Error("acknowledgement not stored", "alert", id, "by", user, "err", err)
		}
		return a, fmt.Errorf("acknowledge alert %q: %w", id, err)
	}
	s.ackedAlert(c, a)
	return a, nil
}

// announceAck tells fusion of a's acknowledgement, when the dashboard has
// an AckAnnouncer. A failure is logged and counted only: the
// acknowledgement is stored, the announcer may hold it for the broker's
// return, and fusion adopts it from the store at the alert's next
// reminder or change.
func (s *server) announceAck(ctx context.Context, a event.Alert) {
	if s.d.AckAnnouncer == nil {
		return
	}
	n := event.Ack{Schema: event.SchemaVersion, Site: a.Site, Alert: a.ID, By: a.AckBy, Note: a.AckNote, AckNS: a.AckNS}
	if err := s.d.AckAnnouncer.AnnounceAck(ctx, n); err != nil {
		s.acks.WithLabelValues("failed").Inc()
		s.log.Warn("acknowledgement stored but not announced to fusion yet; fusion publishes it with the alert's next reminder or change",
			"alert", a.ID, "by", a.AckBy, "err", err)
		return
	}
	s.acks.WithLabelValues("sent").Inc()
}

// siteResp is the site model as GET /site sends it, with what the floor
// plan needs to know of fusion's placing.
type siteResp struct {
	*site.Site
	// PlaceMinProb is Deps.PlaceMinProb: a fix whose most likely room has
	// less is drawn without outlining or naming a room.
	PlaceMinProb float64 `json:"place_min_prob"`
	// PlaceMaxTie and PlaceTieTolerance are store.MaxPlacedTie and
	// store.TieTolerance: a fix whose most likely room ties (within the
	// tolerance, a share of it) with more rooms than PlaceMaxTie is drawn
	// as vague too (store.Places: the rule fusion counts the heatmap and
	// names alerts' rooms by).
	PlaceMaxTie       int     `json:"place_max_tie"`
	PlaceTieTolerance float64 `json:"place_tie_tolerance"`
	// PlaceWeakProb and PlaceMargin are store.WeakPlaceProb and
	// store.PlaceMargin: a fix whose most likely room is under
	// PlaceWeakProb is drawn as vague unless that room is PlaceMargin
	// times as likely as the next not tied with it (store.Counts: the
	// rule fusion counts the heatmap by).
	PlaceWeakProb float64 `json:"place_weak_prob"`
	PlaceMargin   float64 `json:"place_margin"`
	// TrackMinutes is TrackWindow in minutes: the floor plan draws a track
	// this long after its last fix.
	TrackMinutes int `json:"track_minutes"`
}

func (s *server) getSite(c echo.Context) error {
	if err := checkQuery(c); err != nil {
		return err
	}
	if s.d.Site == nil {
		return httpError(http.StatusServiceUnavailable, "no site model loaded")
	}
	return c.JSON(http.StatusOK, siteResp{Site: s.d.Site, PlaceMinProb: s.d.PlaceMinProb, PlaceMaxTie: store.MaxPlacedTie,
		PlaceTieTolerance: store.TieTolerance, PlaceWeakProb: store.WeakPlaceProb, PlaceMargin: store.PlaceMargin,
		TrackMinutes: int(TrackWindow / time.Minute)})
}

func (s *server) floorSVG(c echo.Context) error {
	if err := checkQuery(c); err != nil {
		return err
	}
	b, err := FloorSVG(s.d.Site, c.Param("floor"))
	if err != nil {
		return httpError(http.StatusNotFound, "%v", err)
	}
	return c.Blob(http.StatusOK, "image/svg+xml", b)
}

// RoomHeat is one room's count on the heatmap: located transmissions
// (each emission fusion located there once, however many sensors heard
// it; store.DetectionRecord.Lead).
type RoomHeat struct {
	Room   string `json:"room"`
	Floor  string `json:"floor"`
	Zone   string `json:"zone"`
	Count  int64  `json:"count"`
	Status string `json:"status"` // zone status: ok or unknown
}

func (s *server) zoneStatus(zone string) string {
	if s.d.Zones == nil || zone == "" {
		return "ok"
	}
	return s.d.Zones.ZoneStatus(zone)
}

// heatKinds are the heatmap's show= values.
var heatKinds = map[string]store.HeatKind{
	store.HeatTargets.String():      store.HeatTargets,
	store.HeatUnauthorised.String(): store.HeatUnauthorised,
}

// heatmap answers per-room counts of located transmissions (each emission
// once) over a window, optionally only those in one hour of the day in
// site local time (pattern of life: the store counts per quarter hour, so
// the local hour is exact in half- and quarter-hour zones), of the unauthorised transmissions
// fusion may alert on (show=targets, the default: phones off the downlink,
// drones) or of every unauthorised one (show=unauthorised: downlinks,
// Wi-Fi and unnamed energy too).
func (s *server) heatmap(c echo.Context) error {
	if err := checkQuery(c, "window", "hour", "show"); err != nil {
		return err
	}
	if s.d.Site == nil {
		return httpError(http.StatusServiceUnavailable, "no site model loaded")
	}
	d, err := parseWindow(c.QueryParam("window"))
	if err != nil {
		return err
	}
	hour := -1
	if h := c.QueryParam("hour"); h != "" && h != "all" {
		hour, err = strconv.Atoi(h)
		if err != nil || hour < 0 || hour > 23 {
			return httpError(http.StatusBadRequest, "hour %q: use 0..23 or all", trimForErr(h))
		}
	}
	kind := store.HeatTargets
	if v := c.QueryParam("show"); v != "" {
		var ok bool
		if kind, ok = heatKinds[v]; !ok {
			return httpError(http.StatusBadRequest, "show %q: use targets or unauthorised", trimForErr(v))
		}
	}
	to := s.now()
	cells, err := s.d.TimeSeries.Heatmap(c.Request().Context(), s.d.Site.ID, to.Add(-d), to, kind)
	if err != nil {
		return fmt.Errorf("heatmap: %w", err)
	}
	counts := map[string]int64{}
	for _, cell := range cells {
		if hour >= 0 && cell.Start.In(s.d.Location).Hour() != hour {
			continue
		}
		counts[cell.Room] += cell.Count
	}
	out := make([]RoomHeat, 0, len(s.d.Site.Rooms))
	for _, r := range s.d.Site.Rooms {
		out = append(out, RoomHeat{Room: r.ID, Floor: r.Floor, Zone: r.Zone, Count: counts[r.ID], Status: s.zoneStatus(r.Zone)})
	}
	details := "window " + cmp.Or(c.QueryParam("window"), "hour")
	if h := c.QueryParam("hour"); h != "" && h != "all" {
		details += ", hour " + h
	}
	if v := c.QueryParam("show"); v != "" {
		details += ", show " + v
	}
	s.auditView(c, "view.heatmap", "site/"+s.d.Site.ID, details)
	return c.JSON(http.StatusOK, out)
}

// locations lists the fixes of the last minutes (default 10, at most a
// week), newest first: of every track heard in the window its newest
// LocationTrail fixes, the MaxLocationTracks tracks most recently heard,
// walking at most MaxLocationScan stored fixes (LocationsAnswer says when
// a bound cut it). Fixes of authorised devices (staff radios, the
// registry's Wi-Fi) are left out as the fixes are walked, before any
// bound: the map never draws them, and they tracked staff for every
// viewer; so are all the fixes of a track whose newest is authorised (it
// turned so mid-way). An analyst or admin may ask for them with
// authorised=1, audited first (refused, 503, unaudited).
func (s *server) locations(c echo.Context) error {
	if err := checkQuery(c, "minutes", "authorised"); err != nil {
		return err
	}
	d := 10 * time.Minute
	if m := c.QueryParam("minutes"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 1 || n > 7*24*60 {
			return httpError(http.StatusBadRequest, "minutes %q: use 1..10080", trimForErr(m))
		}
		d = time.Duration(n) * time.Minute
	}
	withAuthorised := false
	switch a := c.QueryParam("authorised"); a {
	case "", "0":
	case "1":
		if !RoleAtLeast(session(c).Role, RoleAnalyst) {
			return httpError(http.StatusForbidden, "authorised=1 (staff devices' fixes) needs role %s or higher", RoleAnalyst)
		}
		withAuthorised = true
	default:
		return httpError(http.StatusBadRequest, "authorised %q: use 1 (with authorised devices' fixes) or 0", trimForErr(a))
	}
	details := fmt.Sprintf("last %d min", int(d/time.Minute))
	if withAuthorised {
		if err := s.auditFirst(c, "view.locations", "site/"+s.siteID(), "", details+", with authorised devices"); err != nil {
			return err
		}
	} else {
		s.auditView(c, "view.locations", "site/"+s.siteID(), details)
	}
	maxTracks := cmp.Or(s.d.maxLocationTracks, MaxLocationTracks)
	type trackSeen struct {
		fixes  int
		hidden bool // its newest fix is authorised: it turned so mid-way, off the map whole
	}
	seen := map[string]*trackSeen{}
	shown := 0
	out := LocationsAnswer{Fixes: []Location{}, TrailFixes: LocationTrail, MaxTracks: maxTracks}
	to := s.now()
	// newest first: the first fix met of a track is its newest
	// on heads: the fixes left out are never read whole
	cut, err := s.walkLocations(c.Request().Context(), to.Add(-d), to, func(h store.FixHead) (keep, more bool) {
		t := seen[h.Track]
		if t == nil {
			t = &trackSeen{hidden: h.Authorised && !withAuthorised}
			if !t.hidden {
				if shown == maxTracks {
					return false, false
				}
				shown++
			}
			seen[h.Track] = t
		}
		if t.hidden || (h.Authorised && !withAuthorised) || t.fixes == LocationTrail {
			return false, true
		}
		t.fixes++
		return true, true
	}, func(l store.LocationRecord) { out.Fixes = append(out.Fixes, LocationOf(l)) })
	if err != nil {
		return fmt.Errorf("locations: %w", err)
	}
	out.Truncated, out.CompleteFromNS = cut != 0, cut
	return c.JSON(http.StatusOK, out)
}

// TrackWindow is how long after its last fix a located emitter counts
// as where it is: the floor plan draws it that long (the page reads
// /locations over it, GET /site's track_minutes, and takes the marker off
// after it on the server's clock), and the search list weighs the
// emitters located within it.
const TrackWindow = 30 * time.Minute

// Location is a located emitter as the dashboard sends it: the stored
// record, and whether fusion may alert on it (Target: unauthorised and
// event.Alertable, a phone off the downlink or a drone). The floor plan
// draws only targets unless asked for every unauthorised emitter.
type Location struct {
	store.LocationRecord
	Target bool `json:"target"`
}

// LocationOf returns l with Target set.
func LocationOf(l store.LocationRecord) Location {
	return Location{LocationRecord: l, Target: !l.Authorised && event.Alertable(l.Class, l.Link)}
}

// SearchRoom is one row of the ranked room search list.
type SearchRoom struct {
	Room  string `json:"room"`
	Name  string `json:"name"`
	Floor string `json:"floor"`
	Zone  string `json:"zone"`
	// Score is Emitters + Located, the rank.
	Score float64 `json:"score"`
	// Emitters is the part of the phones and drones located in the last
	// 30 minutes (TrackWindow): each its probability of being here.
	Emitters float64 `json:"emitters"`
	// Located is the part of the transmissions of the last hour:
	// SearchRecentWeight for each of Recent, at most SearchRecentMax.
	Located float64 `json:"located"`
	Recent  int64   `json:"recent"` // unauthorised phone and drone transmissions located in the last hour (the heatmap's count)
	Status  string  `json:"status"`
	// Outcome is the room's last search outcome, while it is kept
	// (Deps.SearchKeep); nil when none.
	Outcome *SearchOutcome `json:"outcome,omitempty"`
}

// SearchRecentWeight is what each unauthorised phone or drone transmission
// located in a room in the last hour adds to the room's search score
// (SearchRoom.Located), up to SearchRecentMax: a little, beside the 1 an
// emitter located in the last 30 minutes weighs at most.
const SearchRecentWeight = 0.05

// SearchRecentMax is the most a room's transmissions of the last hour add
// to its search score (ten of them, at SearchRecentWeight): half of one
// emitter, so a bursty phone's hundreds of transmissions (a GSM phone's
// 300 an hour added 15 until 2026-12-07) cannot rank its room above the
// room of a phone located now, nor keep a drone's perimeter near the top
// for the hour after it left. Rooms whose scores tie are ranked by their
// transmissions.
const SearchRecentMax = 0.5

// SearchAnswer is GET /search's answer.
type SearchAnswer struct {
	Rooms []SearchRoom `json:"rooms"` // best first
	// Truncated: the window held more than MaxLocationScan stored fixes;
	// the scores weigh the emitters located after CompleteFromNS only.
	Truncated      bool  `json:"truncated"`
	CompleteFromNS int64 `json:"complete_from_ns,omitempty"`
	// RecentWeight and RecentMax are SearchRecentWeight and
	// SearchRecentMax, so that the page says how Located is made
	// without a copy of either.
	RecentWeight float64 `json:"recent_weight"`
	RecentMax    float64 `json:"recent_max"`
}

// searchList ranks rooms for a handheld search. Each unauthorised emitter
// located in the last 30 minutes (TrackWindow; walking at most
// MaxLocationScan stored fixes, SearchAnswer says when that cut it) that
// fusion's rules may alert on (a phone or a drone, event.Alertable) adds
// its room probabilities averaged over its fixes, so one emitter weighs 1
// however often it was located (a hopping RC link is located many times a
// minute, a phone a few); each unauthorised transmission of the same
// kinds located in the last hour (the heatmap's count: each once, however
// many sensors heard it) adds SearchRecentWeight, up to SearchRecentMax;
// rooms that tie are ranked by those transmissions. The "outside" catch-all is
// not a place to search, and is left out. Each room listed carries its
// last search outcome while it is kept.
func (s *server) searchList(c echo.Context) error {
	if err := checkQuery(c); err != nil {
		return err
	}
	if s.d.Site == nil {
		return httpError(http.StatusServiceUnavailable, "no site model loaded")
	}
	ctx := c.Request().Context()
	now := s.now()
	emitters, cut, err := s.search.get(ctx, now, s.walkSearch)
	if err != nil {
		return fmt.Errorf("search list: %w", err)
	}
	cells, err := s.d.TimeSeries.Heatmap(ctx, s.d.Site.ID, now.Add(-time.Hour), now, store.HeatTargets)
	if err != nil {
		return fmt.Errorf("search list: %w", err)
	}
	recent := map[string]int64{}
	for _, cell := range cells {
		recent[cell.Room] += cell.Count
	}
	var since time.Time // zero: every outcome stored
	if s.d.SearchKeep > 0 {
		since = now.Add(-s.d.SearchKeep)
	}
	outcomes, err := s.d.Users.lastOutcomes(ctx, since)
	if err != nil {
		return fmt.Errorf("search list: %w", err)
	}
	out := SearchAnswer{Rooms: []SearchRoom{}, Truncated: cut != 0, CompleteFromNS: cut,
		RecentWeight: SearchRecentWeight, RecentMax: SearchRecentMax}
	for _, r := range s.d.Site.Rooms {
		located := min(SearchRecentWeight*float64(recent[r.ID]), SearchRecentMax)
		sc := emitters[r.ID] + located
		if sc <= 0 || r.Kind == site.KindOutside {
			continue
		}
		row := SearchRoom{Room: r.ID, Name: r.Name, Floor: r.Floor, Zone: r.Zone, Score: sc, Emitters: emitters[r.ID], Located: located,
			Recent: recent[r.ID], Status: s.zoneStatus(r.Zone)}
		if o, ok := outcomes[r.ID]; ok {
			row.Outcome = &o
		}
		out.Rooms = append(out.Rooms, row)
	}
	sort.SliceStable(out.Rooms, func(i, j int) bool {
		a, b := out.Rooms[i], out.Rooms[j]
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		return a.Recent > b.Recent
	})
	s.auditView(c, "view.search", "site/"+s.d.Site.ID, "")
	return c.JSON(http.StatusOK, out)
}

// walkSearch returns each room's weight from the unauthorised emitters
// located in the TrackWindow before now that fusion's rules may alert on
// (a phone or a drone, event.Alertable): each emitter adds its room
// probabilities averaged over its fixes, so one weighs 1 however often it
// was located. cut is walkLocations': 0, or the time before which the
// scan bound left fixes unread.
func (s *server) walkSearch(ctx context.Context, now time.Time) (map[string]float64, int64, error) {
	type track struct {
		fixes int
		probs map[string]float64
	}
	tracks := map[string]*track{}
	i := 0
	// on heads: the authorised and the unalertable are never read whole
	cut, err := s.walkLocations(ctx, now.Add(-TrackWindow), now, func(h store.FixHead) (keep, more bool) {
		return !h.Authorised && event.Alertable(h.Class, h.Link), true
	}, func(l store.LocationRecord) {
		i++
		key := l.Track
		if key == "" {
			key = fmt.Sprint("\x00", i) // a fix of no track is an emitter of its own
		}
		t := tracks[key]
		if t == nil {
			t = &track{probs: map[string]float64{}}
			tracks[key] = t
		}
		t.fixes++
		if len(l.RoomProbs) == 0 && l.Room != "" {
			t.probs[l.Room] += l.RoomProb
		}
		for r, p := range l.RoomProbs {
			t.probs[r] += p
		}
	})
	if err != nil {
		return nil, 0, err
	}
	score := map[string]float64{}
	for _, t := range tracks {
		for r, p := range t.probs {
			score[r] += p / float64(t.fixes)
		}
	}
	return score, cut, nil
}

// SearchReuse is how long GET /search reuses its walk of the stored fixes
// (walkSearch, up to MaxLocationScan of them): every officer's search list
// asks every few seconds, and requests arriving while one walks wait for
// it rather than walk too. Outcomes, the hour's counts and zone states are
// read afresh each time.
const SearchReuse = 5 * time.Second

// searchScores is the walk GET /search shares between its requests
// (SearchReuse).
type searchScores struct {
	mu    sync.Mutex
	at    time.Time // the clock when last walked; zero: never
	rooms map[string]float64
	cut   int64
}

// get returns the walk's answer of the last SearchReuse before now, or
// walks afresh with walk and keeps its answer. The map is shared: callers
// must not change it.
func (c *searchScores) get(ctx context.Context, now time.Time, walk func(context.Context, time.Time) (map[string]float64, int64, error)) (map[string]float64, int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && !now.Before(c.at) && now.Sub(c.at) < SearchReuse {
		return c.rooms, c.cut, nil
	}
	sc, cut, err := walk(ctx, now)
	if err != nil {
		return nil, 0, err
	}
	c.at, c.rooms, c.cut = now, sc, cut
	return sc, cut, nil
}

// outcomeReq is a search's outcome. Found is required: a request
// without it (a client's bug, a form half filled) was stored as "searched,
// nothing found", over the room's last outcome.
type outcomeReq struct {
	Room  string `json:"room"`
	Found *bool  `json:"found"`
	Note  string `json:"note"`
}

func (s *server) searchOutcome(c echo.Context) error {
	var req outcomeReq
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	req.Note = trimNote(req.Note)
	if s.d.Site == nil {
		return httpError(http.StatusServiceUnavailable, "no site model loaded")
	}
	known, outside := false, false
	for _, r := range s.d.Site.Rooms {
		if r.ID == req.Room {
			known, outside = true, r.Kind == site.KindOutside
		}
	}
	switch {
	case outside:
		// the catch-all beyond the walls: nobody searches it, and the
		// search list leaves it out
		return httpError(http.StatusBadRequest, "room %q is the site's outside catch-all, not a place searched: record the outcome of the room or area searched", trimForErr(req.Room))
	case req.Room == "":
		return httpError(http.StatusBadRequest, "room: missing: the room searched")
	case !known:
		return httpError(http.StatusBadRequest, "room %q is not in the site model", trimForErr(req.Room))
	case req.Found == nil:
		return httpError(http.StatusBadRequest, "found: missing: true (something was found) or false (searched, nothing found)")
	}
	if err := checkText("note", req.Note, MaxSearchNote); err != nil {
		return err
	}
	at, user, found := s.now(), session(c).User, *req.Found
	result := "not_found"
	if found {
		result = "found"
	}
	// Stored with its search.outcome row: in one transaction when the
	// audit log is in the accounts' database (a deployment's, the
	// demo's), else the row first. It was stored, then audited, and a
	// failed row answered 500 with the outcome kept: a retry stored it twice.
	e := s.auditRow(c, "search.outcome", "room/"+req.Room, "", result+": "+req.Note)
	inTx := e != nil && s.d.Users.auditTx != nil
	if e != nil && !inTx {
		if err := s.auditFirst(c, e.Action, e.Object, e.Before, e.After); err != nil {
			return err
		}
	}
	row := store.AuditEntry{}
	if inTx {
		row = *e
	}
	ctx, cancel := detach(c.Request().Context())
	defer cancel()
	if _, err := s.d.Users.recordOutcomeAudited(ctx, at, user, req.Room, found, req.Note, row); err != nil {
		if inTx {
			s.log.Error("search outcome not stored with its audit row", "room", req.Room, "err", err)
			return notStored(e, err)
		}
		return err
	}
	return c.JSON(http.StatusCreated, struct {
		Room string `json:"room"`
		SearchOutcome
	}{req.Room, SearchOutcome{Found: found, User: user, TimeNS: at.UnixNano(), Note: req.Note}})
}

func (s *server) snippet(c echo.Context) error {
	name, err := pathParam(c, "name")
	if err != nil {
		return err
	}
	p, err := safeJoin(s.d.SnippetDir, name)
	if err != nil {
		return err
	}
	if st, err := os.Stat(p); err == nil && !st.IsDir() {
		if slices.Contains(SensorMarkerExts, filepath.Ext(p)) {
			// a sensor's marker beside a snippet (NAME.keep, NAME.sent):
			// not evidence, and it was served and audited as a snippet
			return httpError(http.StatusNotFound, "snippet %q not found: a snippet is NAME%s, NAME%s, or NAME for both as one archive", trimForErr(name), sigmf.MetaExt, sigmf.DataExt)
		}
		if err := s.auditFirst(c, "view.snippet", "snippet/"+name, "", ""); err != nil {
			return err
		}
		return c.Attachment(p, filepath.Base(p))
	}
	// A detection names its snippet without extension (event.Detection's
	// Snippet): send the pair as one SigMF archive, NAME.sigmf.
	meta, data := p+".sigmf-meta", p+".sigmf-data"
	if !isFile(meta) || !isFile(data) {
		hint := ""
		if !strings.HasPrefix(filepath.Base(p), "snippet-") && isFile(filepath.Join(filepath.Dir(p), "snippet-"+filepath.Base(p)+sigmf.MetaExt)) {
			// a detection's ID, as an alert's evidence lists it
			hint = fmt.Sprintf(": its snippet is snippet-%s", trimForErr(name))
		}
		return httpError(http.StatusNotFound, "snippet %q not found%s", trimForErr(name), hint)
	}
	if _, err := sigmf.ReadMeta(meta); err != nil {
		return httpError(http.StatusUnprocessableEntity, "snippet %q: %v", trimForErr(name), err)
	}
	if err := s.auditFirst(c, "view.snippet", "snippet/"+name, "", "archive"); err != nil {
		return err
	}
	base := filepath.Base(p)
	c.Response().Header().Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": base + sigmf.ArchiveExt}))
	c.Response().Header().Set(echo.HeaderContentType, "application/x-tar")
	c.Response().WriteHeader(http.StatusOK)
	if err := sigmf.WriteArchiveTo(c.Response(), base, meta, data); err != nil {
		// the status is sent; the client sees a cut tar
		s.log.Error("snippet archive", "snippet", name, "err", err)
	}
	return nil
}

// pathParam returns the route's parameter decoded once. echo matches the
// raw path when the request has one (URL.RawPath: escaped unlike Go would
// escape it), and then hands its parameters undecoded; otherwise they
// come from the decoded path. Decoding them again in every case read
// %252e%252e%252f as ../.
func pathParam(c echo.Context, name string) (string, error) {
	v := c.Param(name)
	if c.Request().URL.RawPath == "" {
		return v, nil
	}
	d, err := url.PathUnescape(v)
	if err != nil {
		return "", httpError(http.StatusBadRequest, "bad %s %q: %v", name, trimForErr(v), err)
	}
	return d, nil
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// StatusUnheard is the status of a sensor of the site model that the live
// feed has not heard (no retained status, no health report): never
// started, or its broker account or network is broken.
const StatusUnheard = "unheard"

// sensors lists every sensor heard on the live feed and, with a site
// model, the site's sensors not heard, as StatusUnheard: the control room
// must see a sensor that never came up, not just the ones that did.
func (s *server) sensors(c echo.Context) error {
	if err := checkQuery(c); err != nil {
		return err
	}
	out := s.d.Hub.Sensors()
	if s.d.Site != nil {
		heard := map[string]bool{}
		for _, st := range out {
			if st.Site == s.d.Site.ID {
				heard[st.Sensor] = true
			}
		}
		for _, sn := range s.d.Site.Sensors {
			if !heard[sn.ID] {
				out = append(out, SensorState{Site: s.d.Site.ID, Sensor: sn.ID, Status: StatusUnheard})
			}
		}
		slices.SortFunc(out, func(a, b SensorState) int {
			return cmp.Or(cmp.Compare(a.Site, b.Site), cmp.Compare(a.Sensor, b.Sensor))
		})
	}
	if s.d.Maintenance != nil {
		ms, err := s.d.Maintenance.Maintenance(c.Request().Context(), s.siteID(), s.now())
		if err != nil {
			return fmt.Errorf("sensors' maintenance: %w", err)
		}
		for i := range out {
			for _, m := range ms {
				if out[i].Site == m.Site && out[i].Sensor == m.Sensor {
					out[i].Maintenance = &m
				}
			}
		}
	}
	return c.JSON(http.StatusOK, out)
}

// MaxMaintenance is the longest maintenance window that can be set: a week.
const MaxMaintenance = 7 * 24 * time.Hour

type maintenanceReq struct {
	Minutes int    `json:"minutes"`
	Reason  string `json:"reason"`
}

// maintenanceSensor returns the sensor ID of the request's path, refusing
// an invalid one, one not in the site model, and a dashboard without a
// maintenance store.
func (s *server) maintenanceSensor(c echo.Context) (string, error) {
	id := c.Param("id")
	switch {
	case s.d.Maintenance == nil:
		return "", httpError(http.StatusServiceUnavailable, "sensors' maintenance not configured")
	case !event.ValidID(id):
		return "", httpError(http.StatusBadRequest, "sensor %q is not a valid ID", trimForErr(id))
	case s.d.Site == nil:
		return "", httpError(http.StatusServiceUnavailable, "no site model loaded")
	}
	if _, ok := s.d.Site.Sensor(id); !ok {
		return "", httpError(http.StatusNotFound, "sensor %q is not in the site model", trimForErr(id))
	}
	return id, nil
}

// startMaintenance takes a sensor out of service for the minutes asked:
// fusion raises no sensor alert for it meanwhile (an engineer opening its
// case, switching it off). Its open alerts nobody acknowledged are
// acknowledged with the window's reason. Admin only: a window silences a
// tamper alarm too; stored with its sensor.maintenance row and its
// acknowledgements with theirs, or refused (setMaintenance).
func (s *server) startMaintenance(c echo.Context) error {
	id, err := s.maintenanceSensor(c)
	if err != nil {
		return err
	}
	var req maintenanceReq
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	reason := trimNote(req.Reason)
	if req.Minutes < 1 || req.Minutes > int(MaxMaintenance/time.Minute) { // before multiplying: a huge count wrapped round
		return httpError(http.StatusBadRequest, "minutes: %d is not between 1 and %d", req.Minutes, int(MaxMaintenance/time.Minute))
	}
	if err := checkText("reason", reason, MaxMaintenanceReason); err != nil {
		return err
	}
	if typedtext.Blank(reason) {
		return httpError(http.StatusBadRequest, "reason: say what is done to the sensor")
	}
	now := s.now()
	m := store.Maintenance{Site: s.d.Site.ID, Sensor: id, FromNS: now.UnixNano(), UntilNS: now.Add(time.Duration(req.Minutes) * time.Minute).UnixNano(),
		By: session(c).User, Reason: reason}
	// the end names its zone ("01:30 GMT"): on the night the clocks go back,
	// an hour from 01:30 BST is 01:30 GMT (TestTUIMaintenanceNoteNamesZone)
	until := time.Unix(0, m.UntilNS).In(s.d.Location).Format("2006-01-02 15:04 MST")
	if err := s.setMaintenance(c, m, s.auditRow(c, "sensor.maintenance", "sensor/"+id, "", "until "+until+": "+m.Reason), "maintenance until "+until+": "+m.Reason); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

// maintenanceAck reports whether a window on sensor acknowledges alert
// a: one of the sensor's own alerts (offline, not heard, health, clock),
// not a location's (a phone heard by it is still a phone).
func maintenanceAck(sensor string, a event.Alert) bool {
	return a.Sensor == sensor && a.Room == ""
}

// endMaintenance ends a sensor's maintenance window now: fusion judges
// the sensor again within seconds. Audited as setMaintenance audits a
// window: with the audit log's store in one transaction, else its row
// first; refused (503, the window running on) when the row cannot be
// written.
func (s *server) endMaintenance(c echo.Context) error {
	id, err := s.maintenanceSensor(c)
	if err != nil {
		return err
	}
	e := s.auditRow(c, "sensor.maintenance.end", "sensor/"+id, "", "")
	ctx, cancel := detach(c.Request().Context())
	defer cancel()
	tm, inTx := s.d.Maintenance.(txMaintenance)
	inTx = inTx && e != nil && s.auditsIn(s.d.Maintenance)
	switch {
	case inTx:
		err = tm.EndMaintenanceAudited(ctx, s.d.Site.ID, id, s.now(), *e)
	case e != nil:
		// another store: its row first (auditFirst), so no window ends
		// unaudited; one that is not running is refused without a row
		ms, err := s.d.Maintenance.Maintenance(ctx, s.d.Site.ID, s.now())
		if err == nil && !slices.ContainsFunc(ms, func(m store.Maintenance) bool { return m.Sensor == id }) {
			return httpError(http.StatusNotFound, "sensor %q is not in maintenance", trimForErr(id))
		}
		if err := s.auditFirst(c, e.Action, e.Object, e.Before, e.After); err != nil {
			return err
		}
		fallthrough
	default:
		err = s.d.Maintenance.EndMaintenance(ctx, s.d.Site.ID, id, s.now())
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return httpError(http.StatusNotFound, "sensor %q is not in maintenance", trimForErr(id))
	case err != nil && inTx:
		s.log.Error("maintenance window not ended: it and its audit row not stored", "sensor", id, "err", err)
		return notStored(e, err)
	case err != nil:
		return fmt.Errorf("end maintenance of %q: %w", id, err)
	}
	return c.NoContent(http.StatusNoContent)
}

// setMaintenance stores window m with its audit row e (nil: no audit
// log) and acknowledges with note the sensor's open alerts nobody has
// (maintenanceAck). When the maintenance store is the audit log and the
// alert store (a deployment's and the demo's SQLite, txMaintenance) the
// window, its row, the acknowledgements and their alert.ack rows are one
// transaction: refused as a whole, 503 naming what failed, nothing
// changed (a window m would replace stays, no alert acknowledged). With
// other stores the row is written first (auditFirst), the window after,
// so a window is never stored without its row, and the acknowledgements
// follow one by one, each with its own row (one that fails is logged).
func (s *server) setMaintenance(c echo.Context, m store.Maintenance, e *store.AuditEntry, note string) error {
	ctx, cancel := detach(c.Request().Context())
	defer cancel()
	tm, inTx := s.d.Maintenance.(txMaintenance)
	inTx = inTx && s.auditsIn(s.d.Maintenance)
	_, acker := s.d.Acker.(txAcker)
	acksInTx := inTx && acker && same(s.d.Maintenance, s.d.Alerts)
	switch {
	case inTx:
		opt := store.MaintenanceOptions{Audit: e}
		if acksInTx {
			opt.AckNote = note
			opt.Ack = func(a event.Alert) (bool, *store.AuditEntry) {
				if !maintenanceAck(m.Sensor, a) {
					return false, nil
				}
				return true, s.auditRow(c, "alert.ack", "alert/"+a.ID, "", note)
			}
		}
		acked, err := tm.SetMaintenanceWith(ctx, m, opt)
		if err != nil {
			s.log.Error("maintenance window not set: it, its audit row and its acknowledgements not stored", "sensor", m.Sensor, "err", err)
			return notStored(cmp.Or(e, &store.AuditEntry{Action: "sensor.maintenance", Object: "sensor/" + m.Sensor}), err)
		}
		for _, a := range acked {
			s.ackedAlert(c, a)
		}
		if !acksInTx {
			s.ackMaintenanceAlerts(c, m, note)
		}
		return nil
	case e != nil:
		if err := s.auditFirst(c, e.Action, e.Object, e.Before, e.After); err != nil {
			return err
		}
	}
	if err := s.d.Maintenance.SetMaintenance(ctx, m); err != nil {
		return fmt.Errorf("set maintenance of %q: %w", m.Sensor, err)
	}
	s.ackMaintenanceAlerts(c, m, note)
	return nil
}

// ackMaintenanceAlerts acknowledges with note the open alerts of window
// m's sensor that nobody has (maintenanceAck), one by one through the
// Acker, each with its own alert.ack row: for stores that cannot make
// them in the window's transaction. One that fails is logged: the window
// stands.
func (s *server) ackMaintenanceAlerts(c echo.Context, m store.Maintenance, note string) {
	for _, state := range []string{event.AlertPending, event.AlertFiring} {
		alerts, err := s.d.Alerts.Alerts(c.Request().Context(), store.AlertFilter{Site: m.Site, State: state, Unacked: true})
		if err != nil {
			s.log.Warn("maintenance set, but the sensor's alerts not read", "sensor", m.Sensor, "err", err)
		}
		for _, a := range alerts {
			if !maintenanceAck(m.Sensor, a) || a.AckNS != 0 {
				continue
			}
			if _, err := s.acknowledge(c, a.ID, note, true); err != nil && !errors.Is(err, store.ErrAlreadyAcked) {
				s.log.Warn("maintenance set, but one of the sensor's alerts not acknowledged", "sensor", m.Sensor, "alert", a.ID, "err", err)
			}
		}
	}
}

func (s *server) sensorHealth(c echo.Context) error {
	if err := checkQuery(c, "window"); err != nil {
		return err
	}
	if !event.ValidID(c.Param("id")) {
		return httpError(http.StatusBadRequest, "sensor %q is not a valid ID", trimForErr(c.Param("id")))
	}
	if s.d.Site != nil {
		// as the maintenance routes answer: a typo's health was 200 []
		if _, ok := s.d.Site.Sensor(c.Param("id")); !ok {
			return httpError(http.StatusNotFound, "sensor %q is not in the site model", c.Param("id"))
		}
	}
	d, err := parseWindow(c.QueryParam("window"))
	if err != nil {
		return err
	}
	to := s.now()
	hs, err := s.d.TimeSeries.HealthSeries(c.Request().Context(), s.siteID(), c.Param("id"), to.Add(-d), to)
	if err != nil {
		return fmt.Errorf("health of sensor %q: %w", c.Param("id"), err)
	}
	if hs == nil {
		hs = []event.Health{}
	}
	return c.JSON(http.StatusOK, hs)
}

func (s *server) reg() (Registry, error) {
	if s.d.Registry == nil {
		return nil, httpError(http.StatusServiceUnavailable, "registry not configured")
	}
	return s.d.Registry, nil
}

// regEntry is the registry and the entry ID of a /registry/:id request.
func (s *server) regEntry(c echo.Context) (Registry, int64, error) {
	r, err := s.reg()
	if err != nil {
		return nil, 0, err
	}
	id, err := regID(c)
	return r, id, err
}

func regID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, httpError(http.StatusBadRequest, "registry id %q: not a positive integer", trimForErr(c.Param("id")))
	}
	return id, nil
}

// registryList, registryGet and registryHistory are audited as view.registry
// (on registry, registry/ID, and registry/ID with "history"), once per
// user, session and thing read in viewAuditPeriod (auditView): the
// registry says whose radio is whose and which cell has a tablet.
func (s *server) registryList(c echo.Context) error {
	if err := checkQuery(c); err != nil {
		return err
	}
	r, err := s.reg()
	if err != nil {
		return err
	}
	es, err := r.List(c.Request().Context())
	if err != nil {
		return fmt.Errorf("list registry: %w", err)
	}
	if es == nil {
		es = []registry.Entry{}
	}
	s.auditView(c, "view.registry", "registry", "")
	return c.JSON(http.StatusOK, es)
}

func (s *server) registryGet(c echo.Context) error {
	if err := checkQuery(c); err != nil {
		return err
	}
	r, id, err := s.regEntry(c)
	if err != nil {
		return err
	}
	e, err := r.Get(c.Request().Context(), id)
	if err != nil {
		return fmt.Errorf("registry entry %d: %w", id, err)
	}
	s.auditView(c, "view.registry", "registry/"+strconv.FormatInt(id, 10), "")
	return c.JSON(http.StatusOK, e)
}

// registryHistory answers the entry's changes (registry.*), newest first;
// to a non-admin without their client addresses.
func (s *server) registryHistory(c echo.Context) error {
	if err := checkQuery(c); err != nil {
		return err
	}
	r, id, err := s.regEntry(c)
	if err != nil {
		return err
	}
	h, err := r.History(c.Request().Context(), id)
	if err != nil {
		return fmt.Errorf("history of registry entry %d: %w", id, err)
	}
	if h == nil {
		h = []store.AuditEntry{}
	}
	if !RoleAtLeast(session(c).Role, RoleAdmin) {
		// the client address of each change is the audit log's, which
		// only admins read (docs/data-protection.md, Roles)
		h = slices.Clone(h)
		for i := range h {
			h[i].Addr = ""
		}
	}
	s.auditView(c, "view.registry", "registry/"+strconv.FormatInt(id, 10), "history")
	return c.JSON(http.StatusOK, h)
}

func (s *server) registryAdd(c echo.Context) error {
	r, err := s.reg()
	if err != nil {
		return err
	}
	var e registry.Entry
	if err := decodeJSON(c, &e); err != nil {
		return err
	}
	e.ID = 0
	if e.ValidFrom.IsZero() {
		// The system's clock, which fusion matches on (the demo's is
		// simulated), not the browser's nor the registry's wall clock.
		e.ValidFrom = s.now().UTC()
	}
	got, err := r.Add(c.Request().Context(), e, session(c).User)
	if errors.Is(err, registry.ErrConflict) {
		// a live entry's device (the same name, kind, signature and
		// places), as the CSV import refuses it: update that one
		return httpError(http.StatusConflict, "add registry entry: %v", err)
	}
	if errors.Is(err, registry.ErrInvalid) {
		return httpError(http.StatusBadRequest, "add registry entry: %v", err)
	}
	if err != nil {
		// the database's failure, not the entry's: 500, logged (it was a
		// 400 blaming the form)
		return fmt.Errorf("add registry entry: %w", err)
	}
	return c.JSON(http.StatusCreated, got)
}

func (s *server) registryUpdate(c echo.Context) error {
	r, id, err := s.regEntry(c)
	if err != nil {
		return err
	}
	var e registry.Entry
	if err := decodeJSON(c, &e); err != nil {
		return err
	}
	e.ID = id
	got, err := r.Update(c.Request().Context(), e, session(c).User)
	if errors.Is(err, store.ErrNotFound) {
		return err
	}
	if errors.Is(err, registry.ErrConflict) {
		// another admin changed it (an expiry, say) since this form read
		// it, or it would be a live entry's device again (the same name,
		// kind, signature and places), as a POST of it would
		return httpError(http.StatusConflict, "update registry entry %d: %v", id, err)
	}
	if errors.Is(err, registry.ErrInvalid) {
		return httpError(http.StatusBadRequest, "update registry entry %d: %v", id, err)
	}
	if err != nil {
		return fmt.Errorf("update registry entry %d: %w", id, err)
	}
	return c.JSON(http.StatusOK, got)
}

func (s *server) registryExpire(c echo.Context) error {
	r, id, err := s.regEntry(c)
	if err != nil {
		return err
	}
	// Now on the system's clock, the registry's too: an entry not yet
	// started is cancelled (it ends at its start).
	got, err := r.Expire(c.Request().Context(), id, session(c).User, s.now())
	if errors.Is(err, registry.ErrInvalid) {
		// already expired, does not decode, has a problem: say why
		return httpError(http.StatusBadRequest, "expire registry entry %d: %v", id, err)
	}
	if err != nil {
		return fmt.Errorf("expire registry entry %d: %w", id, err)
	}
	return c.JSON(http.StatusOK, got)
}

// registryDelete deletes an entry that authorises nothing, now or later
// (expired, cancelled, or broken: registry.Delete), audited as
// registry.delete on registry/ID. One still in force is refused with
// 409, saying to expire it first.
func (s *server) registryDelete(c echo.Context) error {
	r, id, err := s.regEntry(c)
	if err != nil {
		return err
	}
	err = r.Delete(c.Request().Context(), id, session(c).User)
	if errors.Is(err, registry.ErrInForce) {
		return httpError(http.StatusConflict, "%v", err)
	}
	if err != nil {
		return fmt.Errorf("delete registry entry %d: %w", id, err)
	}
	return c.JSON(http.StatusOK, map[string]any{"id": id, "deleted": true})
}

func (s *server) registryImport(c echo.Context) error {
	r, err := s.reg()
	if err != nil {
		return err
	}
	if err := checkQuery(c, "force"); err != nil {
		return err
	}
	// force=1: a row without a revision may undo an expiry (clear or move
	// later a valid_until); without it such a row refuses the import.
	var opts registry.ImportOptions
	switch f := c.QueryParam("force"); f {
	case "", "0":
	case "1":
		opts.Force = true
	default:
		return httpError(http.StatusBadRequest, "query parameter force is %q: want 1 (or 0)", trimForErr(f))
	}
	body := http.MaxBytesReader(c.Response(), c.Request().Body, 4<<20)
	res, err := r.ImportCSV(c.Request().Context(), body, session(c).User, opts)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return httpError(http.StatusRequestEntityTooLarge, "CSV larger than 4 MiB")
		}
		if errors.Is(err, registry.ErrConflict) {
			// the file is older than an entry's change, would undo an
			// expiry, or adds a device the register has: nothing imported
			return httpError(http.StatusConflict, "import CSV: %v", err)
		}
		return httpError(http.StatusBadRequest, "import CSV: %v", err)
	}
	return c.JSON(http.StatusOK, res)
}

func (s *server) registryExport(c echo.Context) error {
	if err := checkQuery(c); err != nil {
		return err
	}
	r, err := s.reg()
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := r.ExportCSV(c.Request().Context(), &b); err != nil {
		return fmt.Errorf("export registry: %w", err)
	}
	if err := s.auditFirst(c, "registry.export", "registry", "", ""); err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="registry.csv"`)
	return c.Blob(http.StatusOK, "text/csv", b.Bytes())
}

// listIncidents lists the incidents updated in the window (default a
// week), newest first, at most 200; with state=open every open incident,
// however old (a case nobody has closed), with state=closed the closed ones
// of the window.
func (s *server) listIncidents(c echo.Context) error {
	if err := checkQuery(c, "window", "state"); err != nil {
		return err
	}
	state := c.QueryParam("state")
	if state != "" && state != store.IncidentOpen && state != store.IncidentClosed {
		return httpError(http.StatusBadRequest, "state %q: use open or closed", trimForErr(state))
	}
	d, err := parseWindow(c.QueryParam("window"))
	if c.QueryParam("window") == "" {
		d, err = 7*24*time.Hour, nil
	}
	if err != nil {
		return err
	}
	since := s.now().Add(-d)
	if state == store.IncidentOpen && c.QueryParam("window") == "" {
		since = time.Time{}
	}
	// the store keeps the state's incidents (the open ones by an index
	// of them alone): read here from every incident kept, 7,300 in a
	// year took 0.46 s
	incs, err := s.d.Alerts.Incidents(c.Request().Context(), store.IncidentFilter{Site: s.siteID(), State: state, Since: since, Limit: 200})
	if err != nil {
		return fmt.Errorf("list incidents: %w", err)
	}
	if incs == nil {
		incs = []store.Incident{} // [], not null
	}
	return c.JSON(http.StatusOK, incs)
}

type closeReq struct {
	Outcome string `json:"outcome"`
	Note    string `json:"note"`
}

// closeIncident closes an open incident with an outcome and a note, and
// acknowledges its alerts nobody had; of a drone-drop incident, its drone
// alerts only (dropAck). Fusion keeps the closure, unless a new alert
// joins the case afterwards: then it is open again.
//
// The closure is stored with its incident.close row or refused (503,
// left open). Where the alert store is the audit log and acknowledges
// itself (a deployment's SQLite: txIncidents, txAcker) the closure, its
// row, the acknowledgements and their alert.ack rows are one
// transaction (the demo's too: it acknowledges in its store and then
// tells fusion's engine, AckAnnouncer). With an Acker of its own, which
// no transaction of the store can hold, the closure and its row are one
// transaction, and the acknowledgements follow, each with its row
// (acknowledge); one that fails is logged and the case stays closed.
func (s *server) closeIncident(c echo.Context) error {
	var req closeReq
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	req.Note = trimNote(req.Note)
	if !slices.Contains(store.IncidentOutcomes, req.Outcome) {
		return httpError(http.StatusBadRequest, "outcome: %q is not one of %s", trimForErr(req.Outcome), strings.Join(store.IncidentOutcomes, ", "))
	}
	if err := checkNote(req.Note); err != nil {
		return err
	}
	id := c.Param("id")
	user := session(c).User
	e := s.auditRow(c, "incident.close", "incident/"+id, "", req.Outcome+": "+req.Note)
	// The case is dealt with: its alerts nobody acknowledged are
	// acknowledged with the closure, so their reminders stop.
	note := "incident closed: " + req.Outcome
	if req.Note != "" {
		note += ": " + req.Note
	}
	if r := []rune(note); len(r) > event.MaxAckNote {
		note = string(r[:event.MaxAckNote])
	}
	ctx, cancel := detach(c.Request().Context())
	defer cancel()
	ti, inTx := s.d.Alerts.(txIncidents)
	inTx = inTx && s.auditsIn(s.d.Alerts)
	var inc store.Incident
	var err error
	if inTx {
		opt := store.IncidentOptions{Audit: e}
		_, acksInTx := s.d.Acker.(txAcker)
		if acksInTx {
			opt.AckNote = note
			opt.Ack = func(inc store.Incident, a event.Alert) (bool, *store.AuditEntry) {
				if inc.Kind == "drone_drop" && !dropAck(inc, a) {
					return false, nil
				}
				return true, s.auditRow(c, "alert.ack", "alert/"+a.ID, "", note)
			}
		}
		var acked []event.Alert
		inc, acked, err = ti.CloseIncidentWith(ctx, id, user, req.Outcome, req.Note, s.now(), opt)
		if err == nil {
			for _, a := range acked {
				s.ackedAlert(c, a)
			}
			if !acksInTx {
				s.ackIncidentAlerts(c, inc, note)
			}
			return c.JSON(http.StatusOK, inc)
		}
	} else {
		if err := s.auditBefore(ctx, c, id, store.IncidentOpen, e); err != nil {
			return err
		}
		inc, err = s.d.Alerts.CloseIncident(ctx, id, user, req.Outcome, req.Note, s.now())
	}
	switch {
	case errors.Is(err, store.ErrClosed):
		return httpError(http.StatusConflict, "incident %q is already closed", trimForErr(id))
	case errors.Is(err, store.ErrNotFound):
		return httpError(http.StatusNotFound, "incident %q not found", trimForErr(id))
	case err != nil && inTx:
		s.log.Error("incident not closed: it and its audit rows not stored", "incident", id, "err", err)
		return notStored(e, err)
	case err != nil:
		return fmt.Errorf("close incident %q: %w", id, err)
	}
	s.ackIncidentAlerts(c, inc, note)
	return c.JSON(http.StatusOK, inc)
}

// auditBefore writes the audit row e of a change to incident id in a
// store that cannot write it in the change's transaction: first
// (auditFirst), once the incident is found in state want (open to be
// closed, closed to be reopened), so that no change is stored without
// its row and a request refused as not found or in conflict leaves none.
func (s *server) auditBefore(ctx context.Context, c echo.Context, id, want string, e *store.AuditEntry) error {
	if e == nil {
		return nil
	}
	inc, err := s.d.Alerts.Incident(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return httpError(http.StatusNotFound, "incident %q not found", trimForErr(id))
	case err != nil:
		return fmt.Errorf("incident %q: %w", id, err)
	case inc.State != want && want == store.IncidentOpen:
		return httpError(http.StatusConflict, "incident %q is already closed", trimForErr(id))
	case inc.State != want:
		return httpError(http.StatusConflict, "incident %q is not closed", trimForErr(id))
	}
	return s.auditFirst(c, e.Action, e.Object, e.Before, e.After)
}

// ackIncidentAlerts acknowledges with note the alerts of closed incident
// inc that nobody has (of a drone drop, its drone alerts: dropAck), one
// by one through the Acker, each with its own alert.ack row: the demo's
// engine, and an alert store that is not the audit log.
func (s *server) ackIncidentAlerts(c echo.Context, inc store.Incident, note string) {
	for _, aid := range inc.Alerts {
		a, err := s.d.Alerts.Alert(c.Request().Context(), aid)
		if err != nil || a.AckNS != 0 {
			continue // gone from the store, or acknowledged already
		}
		if inc.Kind == "drone_drop" && !dropAck(inc, a) {
			continue
		}
		if _, err := s.acknowledge(c, aid, note, true); err != nil && !errors.Is(err, store.ErrAlreadyAcked) {
			s.log.Warn("incident closed, but one of its alerts not acknowledged", "incident", inc.ID, "alert", aid, "err", err)
		}
	}
}

// dropAck reports whether closing drone-drop incident inc acknowledges
// its alert a: a drone's, one its drone rules raised (inc.DroneAlerts,
// whatever its class: a drone rule may watch any), not a phone's. A phone
// that came on near the drone is in a cell of its own, searched on its
// own: the drop case's outcome ("not_found" in the yard) silenced 18
// phone alerts in 12 cells until 2026-12-05. An incident stored before
// fusion listed its drone alerts is judged by a's class: DroneID, video
// link, remote control, analog FPV. An alert that says its rule's kind
// (event.Alert.RuleKind, since 2026-12-07) is judged by it: a drone
// rule's Wi-Fi video link in such an old incident is the drone's.
func dropAck(inc store.Incident, a event.Alert) bool {
	if a.RuleKind != "" {
		return a.RuleKind == "drone"
	}
	if inc.DroneAlerts != nil {
		return slices.Contains(inc.DroneAlerts, a.ID)
	}
	return event.DroneClass(a.Class)
}

type reopenReq struct {
	Note string `json:"note"`
}

// reopenIncident opens a closed incident again (closed in error, or to be
// closed with another outcome), keeping its closure for the record; the
// note, saying why, is kept in the incident's history (store.Incident
// History) and goes to the audit log, with the reopening (one
// transaction with the audit log's store, else its row first) or the
// reopening is refused (503, the case left closed).
func (s *server) reopenIncident(c echo.Context) error {
	var req reopenReq
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	req.Note = trimNote(req.Note)
	if err := checkNote(req.Note); err != nil {
		return err
	}
	if typedtext.Blank(req.Note) {
		return httpError(http.StatusBadRequest, "note: say why the case is reopened")
	}
	id := c.Param("id")
	ctx, cancel := detach(c.Request().Context())
	defer cancel()
	before := ""
	if cur, err := s.d.Alerts.Incident(ctx, id); err == nil {
		before = "closed: " + cur.Outcome
	}
	e := s.auditRow(c, "incident.reopen", "incident/"+id, before, req.Note)
	ti, inTx := s.d.Alerts.(txIncidents)
	inTx = inTx && s.auditsIn(s.d.Alerts)
	var inc store.Incident
	var err error
	if inTx {
		inc, err = ti.ReopenIncidentWith(ctx, id, session(c).User, req.Note, s.now(), store.IncidentOptions{Audit: e})
	} else {
		if err := s.auditBefore(ctx, c, id, store.IncidentClosed, e); err != nil {
			return err
		}
		inc, err = s.d.Alerts.ReopenIncident(ctx, id, session(c).User, req.Note, s.now())
	}
	switch {
	case errors.Is(err, store.ErrOpen):
		return httpError(http.StatusConflict, "incident %q is not closed", trimForErr(id))
	case errors.Is(err, store.ErrNotFound):
		return httpError(http.StatusNotFound, "incident %q not found", trimForErr(id))
	case err != nil && inTx:
		s.log.Error("incident not reopened: it and its audit row not stored", "incident", id, "err", err)
		return notStored(e, err)
	case err != nil:
		return fmt.Errorf("reopen incident %q: %w", id, err)
	}
	return c.JSON(http.StatusOK, inc)
}

// TimelineItem is one event on an incident timeline.
type TimelineItem struct {
	TimeNS  int64  `json:"time_ns"`
	Kind    string `json:"kind"` // alert or detection
	ID      string `json:"id"`
	Summary string `json:"summary"`
}

type incidentDetail struct {
	Incident   store.Incident          `json:"incident"`
	Alerts     []event.Alert           `json:"alerts"`
	Detections []store.DetectionRecord `json:"detections"`
	Timeline   []TimelineItem          `json:"timeline"`
}

// detectionName names d as its classifier did (its Label, as the alert
// it raised does: "LTE/NR uplink (LTE B3 UL, 15 kHz SCS)"), or by its
// class and link when it has no label (a sensor before labels).
func detectionName(d event.Detection) string {
	if d.Label != "" {
		return d.Label
	}
	return d.Class + " " + d.Link
}

func (s *server) incidentDetail(c echo.Context) (incidentDetail, error) {
	ctx := c.Request().Context()
	inc, err := s.d.Alerts.Incident(ctx, c.Param("id"))
	if err != nil {
		return incidentDetail{}, fmt.Errorf("incident %q: %w", c.Param("id"), err)
	}
	d := incidentDetail{Incident: inc, Alerts: []event.Alert{}, Detections: []store.DetectionRecord{}, Timeline: []TimelineItem{}}
	for _, id := range inc.Alerts {
		a, err := s.d.Alerts.Alert(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return d, fmt.Errorf("alert %q of incident %q: %w", id, inc.ID, err)
		}
		d.Alerts = append(d.Alerts, a)
		d.Timeline = append(d.Timeline, TimelineItem{TimeNS: a.ActiveNS, Kind: "alert", ID: a.ID, Summary: a.Severity + ": " + a.Summary})
	}
	if len(inc.Detections) > 0 {
		upd := inc.UpdatedNS
		if upd < inc.OpenedNS {
			upd = inc.OpenedNS
		}
		recs, err := s.evidence(ctx, inc.Site, time.Unix(0, inc.OpenedNS).Add(-time.Hour), time.Unix(0, upd).Add(time.Hour), inc.Detections, 10000)
		if err != nil {
			return d, fmt.Errorf("detections of incident %q: %w", inc.ID, err)
		}
		for _, r := range recs {
			d.Detections = append(d.Detections, r)
			room := r.Room
			if room == "" {
				room = "no room" // not located, or too vaguely (fusion.Config.PlaceMinProb)
			}
			d.Timeline = append(d.Timeline, TimelineItem{TimeNS: r.TimeNS, Kind: "detection", ID: r.ID,
				Summary: fmt.Sprintf("%s %.3f MHz %.0f dBm at %s (%s)", detectionName(r.Detection), r.CenterHz/1e6, r.PowerDBm, r.Sensor, room)})
		}
	}
	sort.SliceStable(d.Timeline, func(i, j int) bool { return d.Timeline[i].TimeNS < d.Timeline[j].TimeNS })
	return d, nil
}

func (s *server) getIncident(c echo.Context) error {
	if err := checkQuery(c); err != nil {
		return err
	}
	d, err := s.incidentDetail(c)
	if err != nil {
		return err
	}
	_ = s.audit(c, "view.incident", "incident/"+d.Incident.ID, "", "")
	return c.JSON(http.StatusOK, d)
}

// incidentBundle writes a zip with incident.json (the incident's detail,
// each time also as RFC 3339 in the site's zone: bundleJSON), the
// snippets its detections reference (when present in SnippetDir) and
// MANIFEST.sha256 listing the SHA-256 of every other file; entries are
// dated at the incident's last update, snippets at their detection's time. The zip is streamed as it is
// made: an incident can reference hundreds of snippets of up to 64 MiB each,
// and its IQ is stored, not deflated (noise does not compress). A failure
// once the response has begun (a snippet unreadable half-way) leaves the
// zip without its central directory, which no reader accepts, is logged;
// one before the first bytes went out is an error answer (500). The
// export is audited before it begins (incident.export, naming its files:
// refused, 503, when that row cannot be written), then with its manifest
// once sent (incident.export.manifest), or as cut short
// (incident.export.cut, with the error).
func (s *server) incidentBundle(c echo.Context) error {
	if err := checkQuery(c); err != nil {
		return err
	}
	d, err := s.incidentDetail(c)
	if err != nil {
		return err
	}
	// Entries are dated: the incident's at its last update, a snippet's at
	// its detection (a zip without dates reads 1980-00-00).
	loc := s.d.Location
	incAt := time.Unix(0, max(d.Incident.UpdatedNS, d.Incident.OpenedNS)).In(loc)
	js, err := bundleJSON(d, loc, s.zoneName, incAt)
	if err != nil {
		return err
	}
	type part struct {
		name, path string
		at         time.Time
	}
	var parts []part
	seen := map[string]bool{}
	for _, r := range d.Detections {
		if r.Snippet == "" || s.d.SnippetDir == "" || seen[r.Snippet] {
			continue
		}
		seen[r.Snippet] = true
		for _, ext := range []string{"", ".sigmf-meta", ".sigmf-data"} {
			p, err := safeJoin(s.d.SnippetDir, r.Snippet+ext)
			if err != nil {
				break
			}
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				parts = append(parts, part{"snippets/" + filepath.ToSlash(filepath.Clean(r.Snippet+ext)), p, time.Unix(0, r.TimeNS).In(loc)})
			}
		}
	}

	// The export is audited before its first byte goes out, naming what
	// it holds; the manifest follows in a row of its own once it is sent.
	files := []string{"incident.json"}
	for _, p := range parts {
		files = append(files, p.name)
	}
	object := "incident/" + d.Incident.ID
	if err := s.auditFirst(c, "incident.export", object, "", strings.Join(files, "\n")); err != nil {
		return err
	}

	resp := c.Response()
	resp.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="incident-%s.zip"`, sanitizeName(d.Incident.ID)))
	resp.Header().Set(echo.HeaderContentType, "application/zip")
	zw := zip.NewWriter(resp) // the status goes with its first bytes
	var manifest strings.Builder
	add := func(name string, r io.Reader, at time.Time) error {
		method := zip.Deflate
		if strings.HasSuffix(name, ".sigmf-data") {
			method = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: at})
		if err != nil {
			return err
		}
		h := sha256.New()
		if _, err := io.Copy(io.MultiWriter(w, h), r); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Fprintf(&manifest, "%s  %s\n", hex.EncodeToString(h.Sum(nil)), name)
		return nil
	}
	addFile := func(p part) error {
		f, err := os.Open(p.path)
		if err != nil {
			return err
		}
		defer f.Close()
		return add(p.name, f, p.at)
	}
	err = add("incident.json", bytes.NewReader(js), incAt)
	for _, p := range parts {
		if err != nil {
			break
		}
		err = addFile(p)
	}
	if err == nil {
		var w io.Writer
		if w, err = zw.CreateHeader(&zip.FileHeader{Name: "MANIFEST.sha256", Method: zip.Deflate, Modified: incAt}); err == nil {
			_, err = io.WriteString(w, manifest.String())
		}
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		_ = s.audit(c, "incident.export.cut", object, "", err.Error())
	}
	if err != nil && !resp.Committed {
		resp.Header().Del("Content-Disposition")
		return fmt.Errorf("bundle incident %q: %w", d.Incident.ID, err)
	}
	if err != nil {
		// The status is sent: the client's zip stays without its
		// central directory.
		s.log.Warn("incident bundle cut short", "incident", d.Incident.ID, "err", err)
		return nil
	}
	_ = s.audit(c, "incident.export.manifest", object, "", manifest.String())
	return nil
}

func sanitizeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// snippetPrefix marks a replay path in SnippetDir (the evidence snippets)
// rather than in ReplayDir.
const snippetPrefix = "snippet:"

// maxListedSnippets caps the evidence snippets replayList offers, newest
// first (a busy site saves thousands).
const maxListedSnippets = 200

// replayList answers the recordings of ReplayDir (relative paths), then the
// newest evidence snippets of SnippetDir as "snippet:NAME.sigmf-meta":
// only paths the Replayer's Check takes, so every one is a path replayRun
// takes.
func (s *server) replayList(c echo.Context) error {
	if err := checkQuery(c, "not_offered"); err != nil {
		return err
	}
	if v := c.QueryParam("not_offered"); v != "" && v != "1" {
		return httpError(http.StatusBadRequest, "not_offered=%q: use not_offered=1 to have the files left out named too, or leave it out", trimForErr(v))
	}
	if s.d.Replayer == nil {
		return httpError(http.StatusServiceUnavailable, "replay not configured")
	}
	if s.d.ReplayDir == "" && s.d.SnippetDir == "" {
		return httpError(http.StatusServiceUnavailable, "no replay folder configured")
	}
	out, left := []string{}, []notOffered{}
	if s.d.ReplayDir != "" {
		rec, l, err := s.recordings()
		if err != nil {
			return err
		}
		out, left = append(out, rec...), l
	}
	if s.d.SnippetDir != "" {
		snips, err := newestMetas(s.d.SnippetDir, maxListedSnippets)
		if err != nil {
			return fmt.Errorf("list snippets: %w", err)
		}
		for _, n := range snips {
			if s.replayable(filepath.Join(s.d.SnippetDir, n)) == "" {
				out = append(out, snippetPrefix+n)
			}
		}
	}
	if c.QueryParam("not_offered") == "1" {
		return c.JSON(http.StatusOK, map[string]any{"recordings": out, "not_offered": left})
	}
	return c.JSON(http.StatusOK, out)
}

// replayable returns "" when the Replayer takes the recording at p, else
// why not; what it refuses (a link out of the folder) is not offered, and
// logged once (the list is asked for at every visit of the Replay page).
func (s *server) replayable(p string) string {
	if err := s.d.Replayer.Check(p); err != nil {
		s.logNotOffered(p, err.Error())
		return strings.ReplaceAll(err.Error(), filepath.Clean(s.d.ReplayDir)+string(filepath.Separator), "")
	}
	s.refused.Delete(p)
	return ""
}

// logNotOffered logs that the recording at p is not offered, and why,
// once for each reason.
func (s *server) logNotOffered(p, why string) {
	if old, seen := s.refused.Swap(p, why); !seen || old != why {
		s.log.Warn("replay: recording not offered", "path", p, "err", why)
	}
}

// newestMetas returns the names of at most n .sigmf-meta files directly in
// dir, newest first; none when dir does not exist.
func newestMetas(dir string, n int) ([]string, error) {
	des, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	type file struct {
		name string
		mod  time.Time
	}
	var fs []file
	for _, de := range des {
		if de.IsDir() || !strings.HasSuffix(de.Name(), ".sigmf-meta") {
			continue
		}
		if info, err := de.Info(); err == nil {
			fs = append(fs, file{de.Name(), info.ModTime()})
		}
	}
	sort.Slice(fs, func(i, j int) bool {
		if !fs[i].mod.Equal(fs[j].mod) {
			return fs[i].mod.After(fs[j].mod)
		}
		return fs[i].name > fs[j].name
	})
	out := make([]string, 0, min(n, len(fs)))
	for _, f := range fs[:min(n, len(fs))] {
		out = append(out, f.name)
	}
	return out, nil
}

// notOffered is a file of the replay folder the list leaves out, and why.
type notOffered struct {
	Path string `json:"path"` // relative to the replay folder
	Why  string `json:"why"`
}

// recordings lists the recordings under ReplayDir that the Replayer
// takes (.sigmf-meta files and .sigmf archives), relative to it; an
// archive of several recordings is listed once per recording, as scan
// and eval name them ("day.sigmf:day-0/day-0"), each of which runs. It
// also returns what it left out and why: a SigMF name in other case
// (REC.SIGMF-META, from a FAT card: rename it, as scan says), or a file
// the Replayer refuses (a link out of the folder); each is logged once.
// Hidden files and folders (uploads on their way in) are skipped
// silently; symlinked folders within it are not followed, but ReplayDir
// itself may be a link.
func (s *server) recordings() ([]string, []notOffered, error) {
	root, err := filepath.EvalSymlinks(s.d.ReplayDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("list recordings: %w", err)
	}
	var out []string
	left := []notOffered{}
	offer := func(rel string) {
		if why := s.replayable(filepath.Join(s.d.ReplayDir, rel)); why != "" { // the path replayRun makes of rel
			left = append(left, notOffered{filepath.ToSlash(rel), why})
			return
		}
		out = append(out, filepath.ToSlash(rel))
	}
	err = filepath.WalkDir(root, func(p string, de os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != root && strings.HasPrefix(de.Name(), ".") {
			if de.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if de.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		lower := strings.ToLower(p)
		switch {
		case strings.HasSuffix(p, sigmf.MetaExt):
			offer(rel)
		case strings.HasSuffix(p, sigmf.ArchiveExt):
			bases, err := sigmf.ArchiveRecordings(p)
			if err != nil || len(bases) < 2 {
				offer(rel) // one recording; or running it says what is wrong
				return nil
			}
			for _, b := range bases {
				offer(rel + ":" + b)
			}
		case strings.HasSuffix(lower, sigmf.MetaExt), strings.HasSuffix(lower, sigmf.ArchiveExt):
			why := eval.UpperCaseExtension(de.Name())
			s.logNotOffered(filepath.Join(s.d.ReplayDir, rel), why)
			left = append(left, notOffered{filepath.ToSlash(rel), why})
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list recordings: %w", err)
	}
	return out, left, nil
}

type replayReq struct {
	Path        string  `json:"path"`
	ThresholdDB float64 `json:"threshold_db"` // least SNR reported, dB
	PFA         float64 `json:"pfa"`          // detector false-alarm probability; 0: default
	MaxSeconds  float64 `json:"max_seconds"`  // analyse at most this long; 0: the server's cap
	StartS      float64 `json:"start_s"`      // analyse from here, seconds on the detections' clock; 0: the start
	CenterHz    float64 `json:"center_hz"`    // the tuning to draw the spectrogram of; 0: the first
	RunID       string  `json:"run_id"`       // the page's name for the run: GET /replay/progress?run= answers how far it is; "": not kept
}

// Replay spectrogram size sent to the browser.
const replayRows, replayCols = 400, 512

func (s *server) replayRun(c echo.Context) error {
	if s.d.Replayer == nil {
		return httpError(http.StatusServiceUnavailable, "replay not configured")
	}
	var req replayReq
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.ThresholdDB < 0 || req.ThresholdDB > 60 {
		return httpError(http.StatusBadRequest, "threshold_db %v: use 0..60 (least SNR in dB)", req.ThresholdDB)
	}
	if req.PFA != 0 && (req.PFA < 1e-15 || req.PFA > 1e-2) {
		return httpError(http.StatusBadRequest, "pfa %v: use 0 (default 1e-9) or 1e-15..1e-2", req.PFA)
	}
	if req.MaxSeconds < 0 || req.MaxSeconds > 3600 {
		return httpError(http.StatusBadRequest, "max_seconds %v: use 0 (server limit) or up to 3600", req.MaxSeconds)
	}
	if req.StartS < 0 || req.StartS > 1e9 {
		return httpError(http.StatusBadRequest, "start_s %v: use 0 (the recording's start) or seconds into it", req.StartS)
	}
	if req.CenterHz < 0 || req.CenterHz > sigmf.MaxFrequencyHz {
		return httpError(http.StatusBadRequest, "center_hz %v: use 0 (the first tuning) or one of the run's tunings", req.CenterHz)
	}
	if err := checkRunID(req.RunID); err != nil {
		return err
	}
	dir, rel := s.d.ReplayDir, req.Path
	if r, ok := strings.CutPrefix(req.Path, snippetPrefix); ok {
		dir, rel = s.d.SnippetDir, r
	}
	// one recording of an archive of several: "day.sigmf:day-0/day-0"
	member := ""
	if archive, base, ok := eval.ArchiveMember(rel); ok {
		rel, member = archive, ":"+base
	}
	p, err := safeJoin(dir, rel)
	if err != nil {
		return err
	}
	if !strings.HasSuffix(p, sigmf.MetaExt) && !strings.HasSuffix(p, sigmf.ArchiveExt) {
		return httpError(http.StatusBadRequest, "path %q: choose a .sigmf-meta file or a .sigmf archive", trimForErr(req.Path))
	}
	if _, err := os.Stat(p); err != nil {
		return httpError(http.StatusNotFound, "recording %q not found", trimForErr(req.Path))
	}
	p += member
	progress, done, err := s.runs.start(session(c).Token, req.RunID) // before the row: a run refused here is not audited as run
	if err != nil {
		return err
	}
	defer done()
	if err := s.auditFirst(c, "replay.run", "recording/"+req.Path, "", replayRunDetail(req, p)); err != nil {
		return err
	}
	res, err := s.d.Replayer.Replay(c.Request().Context(), p, ReplayOptions{ThresholdDB: req.ThresholdDB, PFA: req.PFA,
		MaxSeconds: req.MaxSeconds, StartS: req.StartS, CenterHz: req.CenterHz, MaxRows: replayRows, MaxCols: replayCols, Progress: progress})
	switch {
	case errors.Is(err, ErrReplayInput):
		return httpError(http.StatusBadRequest, "replay %q: %v", trimForErr(req.Path), err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return httpError(http.StatusServiceUnavailable, "replay %q: %v", trimForErr(req.Path), err)
	case err != nil: // messages name files; show them relative to the replay folder
		msg := strings.ReplaceAll(err.Error(), filepath.Clean(dir)+string(filepath.Separator), "")
		return httpError(http.StatusUnprocessableEntity, "replay %q: %s", trimForErr(req.Path), msg)
	}
	res.AnnotatedReady = res.AnnotatedMeta != ""
	if res.Detections == nil {
		res.Detections = []ReplayDetection{}
	}
	if res.Notes == nil {
		res.Notes = []string{}
	}
	if res.SensorLabels == nil {
		res.SensorLabels = []SensorLabel{}
	}
	// A run without a download ("" when its file could not be written)
	// forgets the session's earlier one: Download serves this run or none.
	s.d.Users.setAnnotated(session(c).Token, res.AnnotatedMeta)
	return c.JSON(http.StatusOK, res)
}

// replayAnnotated downloads the annotated SigMF meta of this session's
// last replay run.
func (s *server) replayAnnotated(c echo.Context) error {
	p, ok := s.d.Users.annotated(session(c).Token)
	if !ok {
		return httpError(http.StatusNotFound, "run a replay first")
	}
	s.auditView(c, "replay.annotated", "recording/"+filepath.Base(p), "")
	return c.Attachment(p, filepath.Base(p))
}

// auditPageRows is the most rows GET /audit answers at once (limit), and
// its default.
const auditPageRows = 500

// auditExportRows is the most rows an audit export holds: one with more
// is refused, not cut short.
const auditExportRows = 100000

// auditQuery reads the audit log's filters from the query: user, action
// (a prefix), object, from and to (RFC 3339 times, or YYYY-MM-DD dates
// in the site's zone, to's day included), before (an ID: the rows older)
// and, when paged, limit (1..auditPageRows). It also returns the filters
// given, as the audit row of the read names them.
func (s *server) auditQuery(c echo.Context, paged bool) (store.AuditFilter, string, error) {
	allowed := []string{"user", "action", "object", "from", "to", "before"}
	if paged {
		allowed = append(allowed, "limit")
	}
	if err := checkQuery(c, allowed...); err != nil {
		return store.AuditFilter{}, "", err
	}
	f := store.AuditFilter{User: c.QueryParam("user"), Prefix: c.QueryParam("action"), Object: c.QueryParam("object"), Limit: auditPageRows}
	var err error
	if f.Since, err = s.auditTime("from", c.QueryParam("from"), false); err != nil {
		return f, "", err
	}
	if f.Until, err = s.auditTime("to", c.QueryParam("to"), true); err != nil {
		return f, "", err
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		if f.Until.Equal(f.Since) && len(c.QueryParam("to")) > len(time.DateOnly) { // a date to is its day's end: the day before from's
			return f, "", httpError(http.StatusBadRequest, "to %s is the time from %s is: the window holds no time", c.QueryParam("to"), c.QueryParam("from"))
		}
		return f, "", httpError(http.StatusBadRequest, "to %s is before from %s", c.QueryParam("to"), c.QueryParam("from"))
	}
	if v := c.QueryParam("before"); v != "" {
		if f.BeforeID, err = strconv.ParseInt(v, 10, 64); err != nil || f.BeforeID < 1 {
			return f, "", httpError(http.StatusBadRequest, "before %q: give the id of a row (the last of the page before)", trimForErr(v))
		}
	}
	if v := c.QueryParam("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > auditPageRows {
			return f, "", httpError(http.StatusBadRequest, "limit %q: use 1..%d (page on with before)", trimForErr(v), auditPageRows)
		}
	}
	// the filters given, in a stable order, for the audit row
	var given []string
	for _, k := range allowed {
		if v := c.QueryParam(k); v != "" {
			given = append(given, k+"="+v)
		}
	}
	return f, strings.Join(given, "&"), nil
}

// storeTimeMin and storeTimeMax bound the times an audit query or an
// export can name: a row's time is nanoseconds since 1970 in an int64
// (the whole seconds within 1677-09-21T00:12:43Z..2262-04-11T23:47:16Z);
// a time outside matched no row, silently, or wrapped round (an export
// to 9999-12-31 held nothing).
var (
	storeTimeMin = time.Unix(0, math.MinInt64).Truncate(time.Second).Add(time.Second).UTC()
	storeTimeMax = time.Unix(0, math.MaxInt64).Truncate(time.Second).UTC()
)

// auditTime parses the audit query's from or to: an RFC 3339 time, or a
// date (YYYY-MM-DD) in the site's zone, which for to means its end. A
// time outside storeTimeMin..storeTimeMax is refused, naming the range.
func (s *server) auditTime(name, v string, end bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		d, derr := time.ParseInLocation(time.DateOnly, v, s.d.Location)
		if derr != nil {
			if lt, lerr := time.ParseInLocation("2006-01-02T15:04:05.999999999", v, s.d.Location); lerr == nil {
				// a time without its offset: which zone it means is
				// the one thing missing, so say that, with the time
				// in the site's zone as staff mostly mean it (Z is UTC)
				return time.Time{}, httpError(http.StatusBadRequest, "%s %q: a time needs its offset from UTC: in the site's zone %s (Z is UTC); or give a date (YYYY-MM-DD, the site's zone)", name, trimForErr(v), lt.Format(time.RFC3339Nano))
			}
			return time.Time{}, httpError(http.StatusBadRequest, "%s %q: use a date (YYYY-MM-DD, the site's zone) or an RFC 3339 time", name, trimForErr(v))
		}
		if end {
			d = d.AddDate(0, 0, 1)
		}
		t = d
	}
	if t.Before(storeTimeMin) || t.After(storeTimeMax) {
		return time.Time{}, httpError(http.StatusBadRequest, "%s %q: outside %s to %s, the times the audit log can hold",
			name, trimForErr(v), storeTimeMin.Format(time.RFC3339), storeTimeMax.Format(time.RFC3339))
	}
	return t, nil
}

// auditLog answers a page of the audit log, newest first; while the page
// is full, X-RFW-Next-Before names the before of the next. The read is
// audited (audit.read, with its filters; auditView).
func (s *server) auditLog(c echo.Context) error {
	f, given, err := s.auditQuery(c, true)
	if err != nil {
		return err
	}
	if s.d.Auditor == nil {
		return httpError(http.StatusServiceUnavailable, "audit log not configured")
	}
	es, err := s.d.Auditor.AuditLog(c.Request().Context(), f)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	if es == nil {
		es = []store.AuditEntry{}
	}
	if len(es) == f.Limit {
		c.Response().Header().Set("X-RFW-Next-Before", strconv.FormatInt(es[len(es)-1].ID, 10))
	}
	s.auditView(c, "audit.read", "audit", given)
	return c.JSON(http.StatusOK, es)
}

// auditExport downloads the audit log's rows matching the filters (as
// GET /audit's, without paging) as CSV, newest first, times in the site's
// zone; audited first (audit.export, with the filters and the count).
func (s *server) auditExport(c echo.Context) error {
	f, given, err := s.auditQuery(c, false)
	if err != nil {
		return err
	}
	if s.d.Auditor == nil {
		return httpError(http.StatusServiceUnavailable, "audit log not configured")
	}
	f.Limit = auditExportRows + 1
	es, err := s.d.Auditor.AuditLog(c.Request().Context(), f)
	if err != nil {
		return fmt.Errorf("export audit log: %w", err)
	}
	if len(es) > auditExportRows {
		return httpError(http.StatusUnprocessableEntity, "more than %d audit rows match: narrow from and to", auditExportRows)
	}
	rows := make([][]string, len(es))
	for i, e := range es {
		rows[i] = []string{strconv.FormatInt(e.ID, 10), s.csvTime(e.TimeNS), e.User, e.Action, e.Object, e.Before, e.After, e.Addr}
	}
	b, err := csvBytes([]string{"id", "time", "user", "action", "object", "before", "after", "addr"}, rows)
	if err != nil {
		return fmt.Errorf("export audit log: %w", err)
	}
	if err := s.auditFirst(c, "audit.export", "audit", "", fmt.Sprintf("%s; %d rows", cmp.Or(given, "everything"), len(es))); err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="audit-%s-%s.csv"`, cmp.Or(s.siteID(), "site"), s.now().In(s.d.Location).Format(time.DateOnly)))
	return c.Blob(http.StatusOK, "text/csv", b)
}

type userReq struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	Role     string `json:"role"`
}

func (s *server) createUser(c echo.Context) error {
	var req userReq
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	// the admin knows this password: the user chooses their own at login
	// (in the same statement: a failure in between left an account
	// created, with the admin's password for good, and not audited)
	if err := s.d.Users.create(c.Request().Context(), req.Name, req.Password, req.Role, true); err != nil {
		if errors.Is(err, ErrUserExists) {
			return httpError(http.StatusConflict, "%v", err)
		}
		return httpError(http.StatusBadRequest, "%v", err)
	}
	return c.JSON(http.StatusCreated, s.auditMade(c, map[string]any{"name": req.Name, "role": req.Role}, "user.create", "user/"+req.Name, "", req.Role))
}

// auditMade audits an account change that was made, and returns the
// answer to it: reply, with a warning when the audit row could not be
// written (logged). A change made is answered as made, its reset password
// handed back: it answered 500, and the admin never saw the password.
func (s *server) auditMade(c echo.Context, reply map[string]any, action, object, before, after string) map[string]any {
	if err := s.audit(c, action, object, before, after); err != nil {
		reply["warning"] = "the change was made, but its audit row could not be written (see the dashboard's log)"
	}
	return reply
}

func (s *server) listUsers(c echo.Context) error {
	if err := checkQuery(c); err != nil {
		return err
	}
	users, err := s.d.Users.List(c.Request().Context())
	if err != nil {
		return err
	}
	s.auditView(c, "users.list", "users", "")
	return c.JSON(http.StatusOK, users)
}

// userParam is the :name of a /users/:name route, checked like a new name.
func userParam(c echo.Context) (string, error) {
	name := c.Param("name")
	if err := checkUserName(name); err != nil {
		return "", httpError(http.StatusBadRequest, "%v", err)
	}
	return name, nil
}

// accountError maps the errors of the account changes to HTTP statuses.
func accountError(err error) error {
	switch {
	case errors.Is(err, ErrNoUser):
		return httpError(http.StatusNotFound, "%v", err)
	case errors.Is(err, ErrLastAdmin):
		return httpError(http.StatusConflict, "%v", err)
	case errors.Is(err, ErrRateLimited):
		return httpError(http.StatusTooManyRequests, "%v", err)
	case errors.Is(err, ErrBusy):
		return httpError(http.StatusServiceUnavailable, "%v", err)
	case errors.Is(err, ErrBadCredentials):
		return httpError(http.StatusForbidden, "current password is wrong")
	case errors.Is(err, ErrPassword):
		return httpError(http.StatusBadRequest, "%v", err)
	}
	return err
}

type roleReq struct {
	Role string `json:"role"`
}

// setUserRole changes another account's role; its sessions end.
func (s *server) setUserRole(c echo.Context) error {
	name, err := userParam(c)
	if err != nil {
		return err
	}
	var req roleReq
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := checkRole(req.Role); err != nil {
		return httpError(http.StatusBadRequest, "%v", err)
	}
	if name == session(c).User {
		return httpError(http.StatusConflict, "you cannot change your own role; another admin can")
	}
	old, err := s.d.Users.SetRole(c.Request().Context(), name, req.Role)
	if err != nil {
		return accountError(err)
	}
	reply := map[string]any{"name": name, "role": req.Role}
	if old != req.Role {
		reply = s.auditMade(c, reply, "user.role", "user/"+name, old, req.Role)
	}
	return c.JSON(http.StatusOK, reply)
}

// disableUser and enableUser switch an account off (ending its sessions)
// and on again.
func (s *server) disableUser(c echo.Context) error { return s.setDisabled(c, true) }
func (s *server) enableUser(c echo.Context) error  { return s.setDisabled(c, false) }

func (s *server) setDisabled(c echo.Context, disabled bool) error {
	name, err := userParam(c)
	if err != nil {
		return err
	}
	if disabled && name == session(c).User {
		return httpError(http.StatusConflict, "you cannot disable your own account; another admin can")
	}
	if err := s.d.Users.SetDisabled(c.Request().Context(), name, disabled); err != nil {
		return accountError(err)
	}
	action := "user.enable"
	if disabled {
		action = "user.disable"
	}
	return c.JSON(http.StatusOK, s.auditMade(c, map[string]any{"name": name, "disabled": disabled}, action, "user/"+name, "", ""))
}

// deleteUser deletes another account and ends its sessions; its audit
// rows stay (they name it) until audit_days. Your own account, or the
// last enabled admin, is refused (409).
func (s *server) deleteUser(c echo.Context) error {
	name, err := userParam(c)
	if err != nil {
		return err
	}
	if name == session(c).User {
		return httpError(http.StatusConflict, "you cannot delete your own account; another admin can")
	}
	// the row goes in the deletion's transaction when the audit log is in
	// the accounts' database: an account deleted unaudited came back with
	// rfwarden restore
	row := store.AuditEntry{TimeNS: s.now().UnixNano(), User: session(c).User, Action: "user.delete", Object: "user/" + name, Addr: c.RealIP()}
	audited, err := s.d.Users.DeleteAudited(c.Request().Context(), name, row)
	if err != nil {
		if errors.Is(err, ErrNoUser) || errors.Is(err, ErrLastAdmin) || errors.Is(err, ErrBusy) {
			return accountError(err)
		}
		return notStored(&row, err) // the deletion and its row are one transaction: neither is stored
	}
	reply := map[string]any{"name": name, "deleted": true}
	if audited {
		return c.JSON(http.StatusOK, reply)
	}
	return c.JSON(http.StatusOK, s.auditMade(c, reply, "user.delete", "user/"+name, "", ""))
}

// resetPassword gives another account a new random password, shown once
// to the admin to hand over; its sessions end.
func (s *server) resetPassword(c echo.Context) error {
	name, err := userParam(c)
	if err != nil {
		return err
	}
	password, err := s.d.Users.ResetPassword(c.Request().Context(), name)
	if err != nil {
		return accountError(err)
	}
	return c.JSON(http.StatusOK, s.auditMade(c, map[string]any{"name": name, "password": password}, "user.password.reset", "user/"+name, "", ""))
}

type passwordReq struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

// changePassword sets the logged-in user's own password. Every session of
// the account ends, this one too: the browser logs in again.
func (s *server) changePassword(c echo.Context) error {
	var req passwordReq
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	user := session(c).User
	err := s.d.Users.ChangePassword(c.Request().Context(), c.RealIP(), user, req.Current, req.New)
	switch {
	case errors.Is(err, ErrRateLimited): // the login limiter's: audited and counted as refused logins are
		s.loginRefused(c, "user.password", user, "limited")
	case errors.Is(err, ErrBusy):
		s.loginRefused(c, "user.password", user, "busy")
	case errors.Is(err, ErrBadCredentials):
		s.auditAs(c, user, "user.password.failed", "user/"+user)
	}
	if err != nil {
		setRetryAfter(c, err)
		return accountError(err)
	}
	s.clearSessionCookie(c) // its sessions have ended
	return c.JSON(http.StatusOK, s.auditMade(c, map[string]any{"status": "password changed; log in again"}, "user.password.change", "user/"+user, "", ""))
}
