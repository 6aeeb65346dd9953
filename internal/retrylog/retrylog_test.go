package retrylog

import (
	"errors"
	"testing"
	"time"
)

// TestLog: the sender's failed requests are logged the first time,
// when the error changes, and then once a minute with how many were not;
// a success starts over. Fusion logged the same error every 5 s for ever.
func TestLog(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	down := errors.New("dial tcp 127.0.0.1:8086: connection refused")
	auth := errors.New("401 Unauthorized")
	type step struct {
		at          time.Duration
		err         error // nil: a success
		wantLog     bool
		wantSkipped int
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{name: "same error", steps: []step{
			{at: 0, err: down, wantLog: true},
			{at: 5 * time.Second, err: down},
			{at: 10 * time.Second, err: down},
			{at: 59 * time.Second, err: down},
			{at: 60 * time.Second, err: down, wantLog: true, wantSkipped: 3},
			{at: 65 * time.Second, err: down},
		}},
		{name: "error changes", steps: []step{
			{at: 0, err: down, wantLog: true},
			{at: 5 * time.Second, err: down},
			{at: 10 * time.Second, err: auth, wantLog: true, wantSkipped: 1},
			{at: 15 * time.Second, err: auth},
		}},
		{name: "success starts over", steps: []step{
			{at: 0, err: down, wantLog: true},
			{at: 5 * time.Second, err: down},
			{at: 6 * time.Second},
			{at: 7 * time.Second, err: down, wantLog: true},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r Log
			for i, s := range tc.steps {
				now := t0.Add(s.at)
				if s.err == nil {
					r.Recovered()
					continue
				}
				gotLog, gotSkipped := r.Failed(s.err, now)
				if gotLog != s.wantLog || gotSkipped != s.wantSkipped {
					t.Errorf("step %d (%v, %v): log %v skipped %d, want %v %d", i, s.at, s.err, gotLog, gotSkipped, s.wantLog, s.wantSkipped)
				}
			}
		})
	}
}

// TestLogRecovered: Recovered says how many failures the run it ends
// had and since when, once: fusion's engine logs the end of a store's
// outage with it.
func TestLogRecovered(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	full := errors.New("database or disk is full (13)")
	tests := []struct {
		name      string
		failures  []time.Duration // when each failure happened, from t0
		wantN     int
		wantSince time.Time
	}{
		{name: "no failure", wantN: 0},
		{name: "one", failures: []time.Duration{0}, wantN: 1, wantSince: t0},
		{name: "a run past a minute", failures: []time.Duration{time.Second, 30 * time.Second, 61 * time.Second, 62 * time.Second}, wantN: 4, wantSince: t0.Add(time.Second)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r Log
			for _, at := range tc.failures {
				r.Failed(full, t0.Add(at))
			}
			n, since := r.Recovered()
			if n != tc.wantN || !since.Equal(tc.wantSince) {
				t.Errorf("Recovered() = %d, %v; want %d, %v", n, since, tc.wantN, tc.wantSince)
			}
			if n, since := r.Recovered(); n != 0 || !since.IsZero() {
				t.Errorf("second Recovered() = %d, %v; want 0 and no time", n, since)
			}
			// the next failure is logged at once
			if log, _ := r.Failed(full, t0.Add(63*time.Second)); !log {
				t.Error("first failure after Recovered not logged")
			}
		})
	}
}

// TestKeyed: each key has its own run: a second key's first failure is
// logged though the first key's run is silent, and each key's skipped
// count is its own.
func TestKeyed(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	var k Keyed
	for _, st := range []struct {
		key     string
		at      time.Duration
		log     bool
		skipped int
	}{
		{"a", 0, true, 0},
		{"a", time.Second, false, 0},
		{"b", 2 * time.Second, true, 0},
		{"a", 3 * time.Second, false, 0},
		{"b", 4 * time.Second, false, 0},
		{"a", Every, true, 2},
		{"b", Every + 2*time.Second, true, 1},
	} {
		if log, skipped := k.FailedAs(st.key, t0.Add(st.at)); log != st.log || skipped != st.skipped {
			t.Errorf("%s at %v: log %v skipped %d, want %v %d", st.key, st.at, log, skipped, st.log, st.skipped)
		}
	}
}
