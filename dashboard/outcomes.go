package dashboard

import (
	"context"
	"fmt"
	"time"
)

// SearchOutcome is the last handheld search outcome recorded for a room
// (POST /search/outcome): what the search list shows beside the room. A
// later outcome for the room supersedes it: a misclick is corrected by
// recording the right one.
type SearchOutcome struct {
	Found  bool   `json:"found"`
	User   string `json:"user"`
	TimeNS int64  `json:"time_ns"`
	Note   string `json:"note,omitempty"`
}

// lastOutcomes returns each room's latest search outcome recorded at or
// after since (by time, then by the order recorded).
func (u *Users) lastOutcomes(ctx context.Context, since time.Time) (map[string]SearchOutcome, error) {
	rows, err := u.db.QueryContext(ctx, `SELECT room, found, user, time_ns, note FROM (
		SELECT room, found, user, time_ns, note, ROW_NUMBER() OVER (PARTITION BY room ORDER BY time_ns DESC, id DESC) AS n
		FROM dashboard_search_outcomes WHERE time_ns >= ?) WHERE n = 1`, since.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("last search outcomes: %w", err)
	}
	defer rows.Close()
	out := map[string]SearchOutcome{}
	for rows.Next() {
		var room string
		var o SearchOutcome
		if err := rows.Scan(&room, &o.Found, &o.User, &o.TimeNS, &o.Note); err != nil {
			return nil, fmt.Errorf("last search outcomes: %w", err)
		}
		out[room] = o
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("last search outcomes: %w", err)
	}
	return out, nil
}
