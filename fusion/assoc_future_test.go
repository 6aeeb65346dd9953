package fusion

import (
	"testing"
	"time"
)

// TestAssocFlushesFutureGroups: a group stamped more than the window after
// now (a sensor clock ahead of fusion's) closes at once instead of waiting
// for fusion's clock to get there; one within the window stays open.
func TestAssocFlushesFutureGroups(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		name   string
		ahead  time.Duration
		closed int
	}{
		{"an hour ahead", time.Hour, 1},
		{"a window ahead", 500 * time.Millisecond, 1},
		{"just ahead", 100 * time.Millisecond, 0},
		{"a window behind", -500 * time.Millisecond, 1},
		{"just behind", -100 * time.Millisecond, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := associator{window: 500 * time.Millisecond, tolHz: 200e3}
			d := testDet("f1", "s1", now.Add(tc.ahead), -60)
			a.add(d, d.Time())
			if got := len(a.flush(now)); got != tc.closed {
				t.Errorf("flush closed %d groups, want %d", got, tc.closed)
			}
		})
	}
}
