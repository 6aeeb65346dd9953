package dashboard

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// txMaintenance is a maintenance store that writes a window's change and
// its audit row, and a new window with the acknowledgements it makes and
// their rows, in one transaction on the audit log's database
// (*store.SQLite, through store.AuditInTx).
type txMaintenance interface {
	SetMaintenanceWith(ctx context.Context, m store.Maintenance, opt store.MaintenanceOptions) ([]event.Alert, error)
	EndMaintenanceAudited(ctx context.Context, site, sensor string, at time.Time, e store.AuditEntry) error
}

// txIncidents is an alert store that closes and reopens an incident with
// its audit row, and a closure with the acknowledgements it makes and
// their rows, in one transaction (*store.SQLite).
type txIncidents interface {
	CloseIncidentWith(ctx context.Context, id, user, outcome, note string, at time.Time, opt store.IncidentOptions) (store.Incident, []event.Alert, error)
	ReopenIncidentWith(ctx context.Context, id, user, note string, at time.Time, opt store.IncidentOptions) (store.Incident, error)
}

var (
	_ txMaintenance = (*store.SQLite)(nil)
	_ txIncidents   = (*store.SQLite)(nil)
)

// auditRow is the audit row of an action of the session's user, from the
// client's address, for a store to write with the change it records; nil
// when the dashboard has no audit log.
func (s *server) auditRow(c echo.Context, action, object, before, after string) *store.AuditEntry {
	if s.d.Auditor == nil {
		return nil
	}
	return &store.AuditEntry{TimeNS: s.now().UnixNano(), User: session(c).User, Action: action, Object: object, Before: before, After: after, Addr: c.RealIP()}
}

// auditsIn reports whether st, the store a change is made in, is the
// audit log (Deps.Auditor) or there is none: then the change and its row
// can be one transaction.
func (s *server) auditsIn(st any) bool {
	return s.d.Auditor == nil || same(s.d.Auditor, st)
}

// notStored is the answer to a change that its store, the audit log, did
// not store with its audit row e (one transaction, rolled back): 503
// naming it, nothing changed. As auditFirst's refusal, for the same
// cause: the database held by another writer past detachedWriteTimeout.
func notStored(e *store.AuditEntry, err error) error {
	what := "the change"
	if e != nil {
		what = e.Action + " " + e.Object
	}
	return httpError(http.StatusServiceUnavailable, "%s refused: it and its audit row could not be stored (%v); nothing changed, try again in a moment", what, err)
}

// ackedAlert puts an acknowledgement the store has made (with its row) on
// this dashboard's live feed and announces it to fusion, as acknowledge
// does after its own.
func (s *server) ackedAlert(c echo.Context, a event.Alert) {
	s.d.Hub.PublishAlert(a)
	s.announceAck(c.Request().Context(), a)
}
