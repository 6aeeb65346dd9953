package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/internal/english"
)

// MaxBulkAck is the most alerts one POST /api/v1/alerts/ack may name: a
// wing-wide event raises 30 to 70, and the Alerts page lists at most
// ListAlertsLimit.
const MaxBulkAck = 200

// maxAlertID bounds an alert ID a request may name, in bytes, as
// event.Ack does.
const maxAlertID = 128

// The results of one alert of a bulk acknowledgement.
const (
	// BulkAcked: it was open (pending or firing) and nobody had
	// acknowledged it; it is acknowledged now.
	BulkAcked = "acked"
	// BulkAlreadyAcked: someone had acknowledged it; that acknowledgement
	// stands.
	BulkAlreadyAcked = "already_acked"
	// BulkResolved: it is resolved and nobody had acknowledged it; it is
	// left as it is (nothing to silence).
	BulkResolved = "resolved"
	// BulkNotFound: no alert has this ID.
	BulkNotFound = "not_found"
	// BulkFailed: the store failed; Error says how.
	BulkFailed = "failed"
)

type bulkAckReq struct {
	IDs  []string `json:"ids"`
	Note string   `json:"note"`
}

// bulkAckResult is what became of one alert of a bulk acknowledgement.
type bulkAckResult struct {
	ID     string       `json:"id"`
	Result string       `json:"result"`          // BulkAcked, BulkAlreadyAcked, ...
	Alert  *event.Alert `json:"alert,omitempty"` // as it now stands; none when not found
	Error  string       `json:"error,omitempty"` // why, of BulkFailed
}

// bulkAckResp answers POST /api/v1/alerts/ack: each id named, once, in
// the order named.
type bulkAckResp struct {
	Results []bulkAckResult `json:"results"`
	Acked   int             `json:"acked"` // how many are BulkAcked
}

// ackAlerts acknowledges the open alerts named in the body that nobody
// had acknowledged, with one note, each exactly as POST
// /alerts/:id/ack does (acknowledge: stored, audited as one alert.ack row
// per alert, on the live feed and announced to fusion), and reports what
// became of each. A request naming no alert, more than MaxBulkAck, an
// empty or overlong ID, or a note the single acknowledgement refuses is
// refused as a whole, and so is one with no note (blank once trimmed)
// that would acknowledge a critical alert (needsAckNote: 400 naming
// them, nothing acknowledged); an ID named twice is taken once.
func (s *server) ackAlerts(c echo.Context) error {
	var req bulkAckReq
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	req.Note = trimNote(req.Note)
	switch {
	case len(req.IDs) == 0:
		return httpError(http.StatusBadRequest, "ids: name at least one alert")
	case len(req.IDs) > MaxBulkAck:
		return httpError(http.StatusBadRequest, "ids: %d alerts, at most %d in one request", len(req.IDs), MaxBulkAck)
	}
	for i, id := range req.IDs {
		switch {
		case id == "":
			return httpError(http.StatusBadRequest, "ids[%d]: empty", i)
		case len(id) > maxAlertID:
			return httpError(http.StatusBadRequest, "ids[%d]: longer than %d bytes", i, maxAlertID)
		}
	}
	if err := checkNote(req.Note); err != nil {
		return err
	}
	ctx := c.Request().Context()
	// Each alert read once, before any is acknowledged: a critical one
	// this would acknowledge, with no note, refuses the whole request.
	var ids []string
	read := map[string]event.Alert{}
	readErr := map[string]error{}
	var noteless []string
	for _, id := range req.IDs {
		if slices.Contains(ids, id) {
			continue
		}
		ids = append(ids, id)
		a, err := s.d.Alerts.Alert(ctx, id)
		read[id], readErr[id] = a, err
		if err == nil && a.AckNS == 0 && a.State != event.AlertResolved && needsAckNote(a, req.Note) {
			noteless = append(noteless, id)
		}
	}
	if len(noteless) > 0 {
		return httpError(http.StatusBadRequest, "note: %s critical: say what was done about %s (searched, found, false alarm) to acknowledge %s; nothing acknowledged",
			listIDs(noteless), english.Plural(len(noteless), "it", "them"), english.Plural(len(noteless), "it", "them"))
	}
	resp := bulkAckResp{Results: []bulkAckResult{}}
	for _, id := range ids {
		r := bulkAckResult{ID: id}
		a, err := read[id], readErr[id]
		switch {
		case err == nil && a.AckNS != 0:
			r.Result = BulkAlreadyAcked
		case err == nil && a.State == event.AlertResolved:
			r.Result = BulkResolved
		case err == nil:
			a, err = s.acknowledge(c, id, req.Note, true)
			if err == nil {
				r.Result = BulkAcked
				resp.Acked++
			}
		}
		switch {
		case errors.Is(err, store.ErrAlreadyAcked): // acknowledged since it was read: that stands
			r.Result, r.Alert = BulkAlreadyAcked, &a
		case errors.Is(err, store.ErrNotFound):
			r.Result = BulkNotFound
		case err != nil:
			s.log.Warn("bulk acknowledgement: alert not acknowledged", "alert", id, "err", err)
			r.Result, r.Error = BulkFailed, "internal error (in the dashboard's log): try it again"
		default:
			r.Alert = &a
		}
		resp.Results = append(resp.Results, r)
	}
	return c.JSON(http.StatusOK, resp)
}

// AuditedAcker is an Acker that also writes the acknowledgement's audit
// row, so that no acknowledgement is stored without it, and that, asked
// for an alert nobody has acknowledged (unacked), leaves one someone has
// acknowledged as it stands, returning it with store.ErrAlreadyAcked. New
// makes Deps.Acker one (auditedAcker).
type AuditedAcker interface {
	Acker
	// AckAudited acknowledges alert alertID for user with note, writing
	// e, when not nil, to the audit log: both or neither.
	AckAudited(ctx context.Context, alertID, user, note string, unacked bool, e *store.AuditEntry) (event.Alert, error)
}

// errAckNotAudited marks an acknowledgement refused because its audit
// row could not be stored with it (txAcker) or before it (serialAcker):
// nothing was acknowledged. POST /alerts/{id}/ack answers it 503, as the
// other audited changes do (notStored).
var errAckNotAudited = errors.New("nothing acknowledged")

// ackWither is a store that acknowledges with its audit row in one
// transaction (*store.SQLite).
type ackWither interface {
	AckWith(ctx context.Context, id, user, note string, at time.Time, opt store.AckOptions) (event.Alert, error)
}

// auditedAcker returns d's Acker as an AuditedAcker. Without an Acker of
// its own, when the alert store acknowledges in a transaction (AckWith)
// and is the audit log too (a deployment's SQLite), the acknowledgement,
// the unacknowledged check and the audit row are one transaction
// (txAcker). Otherwise (an Acker of its own, another alert store)
// serialAcker takes one acknowledgement at a time, checks the store and
// writes the audit row before acknowledging: a row whose acknowledgement
// then fails is possible, an acknowledgement without its row is not.
func auditedAcker(d Deps) AuditedAcker {
	if a, ok := d.Acker.(AuditedAcker); ok {
		return a
	}
	if w, ok := d.Alerts.(ackWither); ok && d.Acker == nil && (d.Auditor == nil || same(d.Auditor, d.Alerts)) {
		return txAcker{w: w, now: d.Now, audits: d.Auditor != nil}
	}
	inner := d.Acker
	if inner == nil {
		inner = ackAdapter{d.Alerts, d.Now}
	}
	return &serialAcker{inner: inner, alerts: d.Alerts, auditor: d.Auditor}
}

// same reports whether a and b are the same value (the same store), without
// the panic == gives for values of a type that cannot be compared.
func same(a, b any) bool {
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	return ta == tb && ta != nil && ta.Comparable() && a == b
}

// txAcker acknowledges through the store's AckWith: the check that nobody
// has acknowledged the alert, the acknowledgement and its audit row in one
// transaction.
type txAcker struct {
	w      ackWither
	now    func() time.Time
	audits bool // the store is the audit log (Deps.Auditor)
}

// Ack acknowledges as store.SQLite.Ack does.
func (t txAcker) Ack(ctx context.Context, id, user, note string) (event.Alert, error) {
	return t.w.AckWith(ctx, id, user, note, t.now(), store.AckOptions{})
}

// AckAudited implements AuditedAcker.
func (t txAcker) AckAudited(ctx context.Context, id, user, note string, unacked bool, e *store.AuditEntry) (event.Alert, error) {
	opt := store.AckOptions{Unacked: unacked}
	if t.audits {
		opt.Audit = e
	}
	a, err := t.w.AckWith(ctx, id, user, note, t.now(), opt)
	if err != nil && opt.Audit != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrAlreadyAcked) {
		// one transaction with its row, rolled back
		return a, fmt.Errorf("%w: %w", errAckNotAudited, err)
	}
	return a, err
}

// serialAcker makes an Acker that does not write the audit log (an
// engine's) an AuditedAcker: one acknowledgement at a time (mu), so
// none lands between its check and its write from this dashboard; the
// alert read from alerts first (not found, or acknowledged when unacked);
// the audit row written next, and a failure to write it acknowledges
// nothing.
type serialAcker struct {
	inner   Acker
	alerts  store.AlertStore
	auditor store.Auditor // nil: nothing is audited
	mu      sync.Mutex
}

// Ack acknowledges through the inner Acker.
func (s *serialAcker) Ack(ctx context.Context, id, user, note string) (event.Alert, error) {
	return s.inner.Ack(ctx, id, user, note)
}

// AckAudited implements AuditedAcker.
func (s *serialAcker) AckAudited(ctx context.Context, id, user, note string, unacked bool, e *store.AuditEntry) (event.Alert, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.alerts.Alert(ctx, id)
	if err != nil {
		return event.Alert{}, err
	}
	if unacked && a.AckNS != 0 {
		return a, fmt.Errorf("alert %q by %s: %w", id, a.AckBy, store.ErrAlreadyAcked)
	}
	if e != nil && s.auditor != nil {
		if err := s.auditor.Audit(ctx, *e); err != nil {
			return event.Alert{}, fmt.Errorf("%w: %w", errAckNotAudited, err)
		}
	}
	return s.inner.Ack(ctx, id, user, note)
}

// maxListedIDs is how many alert IDs a refusal names before "and N more".
const maxListedIDs = 10

// listIDs names ids for a refusal: "alert a1", "alerts a1, a2", at most
// maxListedIDs of them and how many more.
func listIDs(ids []string) string {
	out := "alert "
	if len(ids) > 1 {
		out = "alerts "
	}
	if len(ids) <= maxListedIDs {
		return out + strings.Join(ids, ", ") + english.Plural(len(ids), " is", " are")
	}
	return fmt.Sprintf("%s%s and %d more are", out, strings.Join(ids[:maxListedIDs], ", "), len(ids)-maxListedIDs)
}
