package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/rfwarden/rfwarden/event"
)

// HoldAck keeps n, an acknowledgement stored but not yet announced to
// fusion (the dashboard's announcement over MQTT failed), until
// AnnouncedAck: the latest per alert, so a dashboard stopped before its
// broker link came back announces it when it starts again (HeldAcks). A
// later acknowledgement of the alert replaces an earlier one; an earlier
// one leaves a later one held. It reports false, and holds nothing, when
// most alerts' acknowledgements are held already and n's alert has none
// of them.
func (s *SQLite) HoldAck(ctx context.Context, n event.Ack, most int) (bool, error) {
	body, err := event.Encode(n)
	if err != nil {
		return false, fmt.Errorf("hold acknowledgement of alert %q: %w", n.Alert, err)
	}
	// one statement: the bound is checked where the row is written
	res, err := s.exec(ctx, `INSERT INTO ack_held (alert_id, site, ack_ns, body)
		SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM ack_held WHERE alert_id = ?) OR (SELECT COUNT(*) FROM ack_held) < ?
		ON CONFLICT (alert_id) DO UPDATE SET site = excluded.site, ack_ns = excluded.ack_ns, body = excluded.body
		WHERE excluded.ack_ns >= ack_held.ack_ns`,
		n.Alert, n.Site, n.AckNS, string(body), n.Alert, most)
	if err != nil {
		return false, fmt.Errorf("hold acknowledgement of alert %q: %w", n.Alert, err)
	}
	if k, err := res.RowsAffected(); err == nil && k > 0 {
		return true, nil
	}
	// nothing written: a later acknowledgement of the alert is held, or
	// most are held already
	var ns int64
	err = s.db.QueryRowContext(ctx, `SELECT ack_ns FROM ack_held WHERE alert_id = ?`, n.Alert).Scan(&ns)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("hold acknowledgement of alert %q: %w", n.Alert, err)
	}
	return true, nil
}

// HeldAcks returns at most limit of the acknowledgements HoldAck holds,
// the oldest (by acknowledgement time) first.
func (s *SQLite) HeldAcks(ctx context.Context, limit int) ([]event.Ack, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT body FROM ack_held ORDER BY ack_ns, alert_id LIMIT ?`, clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("held acknowledgements: %w", err)
	}
	acks, err := scanJSON[event.Ack](rows)
	if err != nil {
		return nil, fmt.Errorf("held acknowledgements: %w", err)
	}
	return acks, nil
}

// AnnouncedAck drops the held acknowledgement of alert made at ackNS, or
// an earlier one, once fusion has been told of it (the broker took its
// announcement); a later one stays held.
func (s *SQLite) AnnouncedAck(ctx context.Context, alert string, ackNS int64) error {
	if _, err := s.exec(ctx, `DELETE FROM ack_held WHERE alert_id = ? AND ack_ns <= ?`, alert, ackNS); err != nil {
		return fmt.Errorf("acknowledgement of alert %q announced: %w", alert, err)
	}
	return nil
}
