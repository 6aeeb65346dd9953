package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Kinds of PhoneRepeat.
const (
	RepeatBurst = "burst" // a phone alert that resolved without firing
	RepeatCase  = "case"  // a phone alert that fired, and the incident it joined
)

// PhoneRepeat is what the alert engine remembers of one alert of an
// unauthorised-uplink rule for the rule's repeat_window (docs/alerts.md,
// "A phone used in short bursts fires"): a burst, an alert that resolved
// without firing (its room, track, when it became active and its
// evidence), which counts towards firing the next alert of its room or
// track at once; or a case, an alert that fired, and the incident it
// joined then (at: when it fired), which the next alert of its room or
// track to fire on bursts joins.
type PhoneRepeat struct {
	Site     string   `json:"site"`
	Rule     string   `json:"rule"`
	Kind     string   `json:"kind"` // RepeatBurst, RepeatCase
	AlertID  string   `json:"alert_id"`
	Track    string   `json:"track,omitempty"`
	Room     string   `json:"room,omitempty"`
	AtNS     int64    `json:"at_ns"`
	Incident string   `json:"incident,omitempty"` // a case's
	Evidence []string `json:"evidence,omitempty"` // a burst's detection IDs
}

// RepeatStore is an AlertStore that keeps the alert engine's PhoneRepeat
// records (SQLite), so that a fusion restart (a deploy, a crash) does not
// forget the bursts a phone was heard in: the count went on from zero,
// and a phone used in bursts around a restart alerted later or never.
type RepeatStore interface {
	// AddPhoneRepeat stores r, replacing a record of the same site,
	// rule, kind and alert.
	AddPhoneRepeat(ctx context.Context, r PhoneRepeat) error
	// PhoneRepeats returns site's records at or after since, oldest
	// first.
	PhoneRepeats(ctx context.Context, site string, since time.Time) ([]PhoneRepeat, error)
	// SpendPhoneBursts deletes the bursts of site's rule whose alert IDs
	// are ids: an alert fired on them, and they count no more.
	SpendPhoneBursts(ctx context.Context, site, rule string, ids []string) error
}

// AddPhoneRepeat implements RepeatStore.
func (s *SQLite) AddPhoneRepeat(ctx context.Context, r PhoneRepeat) error {
	if r.Kind != RepeatBurst && r.Kind != RepeatCase {
		return fmt.Errorf("store %s of alert %s: kind %q: want %s or %s", r.Kind, r.AlertID, r.Kind, RepeatBurst, RepeatCase)
	}
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("store %s of alert %s: %w", r.Kind, r.AlertID, err)
	}
	if _, err := s.exec(ctx, `INSERT INTO phone_repeat(site, rule, kind, alert_id, at_ns, body) VALUES(?,?,?,?,?,?)
		ON CONFLICT(site, rule, kind, alert_id) DO UPDATE SET at_ns=excluded.at_ns, body=excluded.body`,
		r.Site, r.Rule, r.Kind, r.AlertID, r.AtNS, body); err != nil {
		return fmt.Errorf("store %s of alert %s: %w", r.Kind, r.AlertID, err)
	}
	return nil
}

// PhoneRepeats implements RepeatStore.
func (s *SQLite) PhoneRepeats(ctx context.Context, site string, since time.Time) ([]PhoneRepeat, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT body FROM phone_repeat WHERE site = ? AND at_ns >= ? ORDER BY at_ns, alert_id`,
		site, since.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("phone bursts and cases of %s: %w", site, err)
	}
	out, err := scanJSON[PhoneRepeat](rows)
	if err != nil {
		return nil, fmt.Errorf("phone bursts and cases of %s: %w", site, err)
	}
	return out, nil
}

// SpendPhoneBursts implements RepeatStore.
func (s *SQLite) SpendPhoneBursts(ctx context.Context, site, rule string, ids []string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `DELETE FROM phone_repeat WHERE site = ? AND rule = ? AND kind = ? AND alert_id = ?`,
				site, rule, RepeatBurst, id); err != nil {
				return fmt.Errorf("spend burst %s of rule %s: %w", id, rule, err)
			}
		}
		return nil
	})
}

// PrunePhoneRepeats deletes site's PhoneRepeat records older than before
// (fusion's retention, with before an hour ago: no repeat_window is
// longer, alert.MaxRepeatWindow), and returns how many it deleted.
func (s *SQLite) PrunePhoneRepeats(ctx context.Context, site string, before time.Time) (int64, error) {
	res, err := s.exec(ctx, `DELETE FROM phone_repeat WHERE site = ? AND at_ns < ?`, site, before.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("prune phone bursts and cases of %s: %w", site, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
