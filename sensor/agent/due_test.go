package agent

import (
	"testing"
	"time"
)

func TestDue(t *testing.T) {
	last := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		now  time.Time
		want bool
	}{
		{"interval not passed", last.Add(500 * time.Millisecond), false},
		{"interval passed", last.Add(time.Second), true},
		{"clock jumped back", last.Add(-time.Hour), true},
		{"never done", last, false},
	} {
		if got := due(tc.now, last, time.Second); got != tc.want {
			t.Errorf("%s: due = %v, want %v", tc.name, got, tc.want)
		}
	}
	if !due(last, time.Time{}, time.Second) {
		t.Error("first time not due")
	}
}
