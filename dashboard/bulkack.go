package dashboard

import (
	"errors"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
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
// refused as a whole; an ID named twice is taken once.
func (s *server) ackAlerts(c echo.Context) error {
	var req bulkAckReq
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
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
	resp := bulkAckResp{Results: []bulkAckResult{}}
	var done []string
	for _, id := range req.IDs {
		if slices.Contains(done, id) {
			continue
		}
		done = append(done, id)
		r := bulkAckResult{ID: id}
		a, err := s.d.Alerts.Alert(ctx, id)
		switch {
		case err == nil && a.AckNS != 0:
			r.Result = BulkAlreadyAcked
		case err == nil && a.State == event.AlertResolved:
			r.Result = BulkResolved
		case err == nil:
			a, err = s.acknowledge(c, id, req.Note)
			if err == nil {
				r.Result = BulkAcked
				resp.Acked++
			}
		}
		switch {
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
