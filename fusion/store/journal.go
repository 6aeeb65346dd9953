package store

import (
	"context"
	"database/sql"
	"fmt"
)

// JournalEntry is one message in fusion's intake journal: a detection
// message fusion has taken in and acknowledged to the broker, kept until
// the detection is in the time series (fusion.Journal).
type JournalEntry struct {
	Seq        int64 // fusion's, increasing in the order it took the messages in
	Topic      string
	Payload    []byte
	ReceivedNS int64 // when the message reached fusion (Unix ns)
}

// AppendJournal stores entries in one transaction: on disk (one fsync,
// synchronous=FULL) when it returns nil, none of them when it fails. An
// entry whose Seq is stored already is an error.
func (s *SQLite) AppendJournal(ctx context.Context, entries []JournalEntry) error {
	if len(entries) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		ins, err := tx.PrepareContext(ctx, `INSERT INTO intake_journal(seq, topic, payload, received_ns) VALUES(?,?,?,?)`)
		if err != nil {
			return fmt.Errorf("journal: %w", err)
		}
		defer ins.Close()
		for _, e := range entries {
			if _, err := ins.ExecContext(ctx, e.Seq, e.Topic, e.Payload, e.ReceivedNS); err != nil {
				return fmt.Errorf("journal message %d: %w", e.Seq, err)
			}
		}
		return nil
	})
}

// ReleaseJournal deletes the entries whose Seq is below before (their
// detections are in the time series) and returns how many it deleted.
func (s *SQLite) ReleaseJournal(ctx context.Context, before int64) (int64, error) {
	res, err := s.exec(ctx, `DELETE FROM intake_journal WHERE seq < ?`, before)
	if err != nil {
		return 0, fmt.Errorf("release journal: %w", err)
	}
	return res.RowsAffected()
}

// Journal returns every entry in the journal, by Seq.
func (s *SQLite) Journal(ctx context.Context) ([]JournalEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, topic, payload, received_ns FROM intake_journal ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	defer rows.Close()
	var out []JournalEntry
	for rows.Next() {
		var e JournalEntry
		if err := rows.Scan(&e.Seq, &e.Topic, &e.Payload, &e.ReceivedNS); err != nil {
			return nil, fmt.Errorf("read journal: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	return out, nil
}
