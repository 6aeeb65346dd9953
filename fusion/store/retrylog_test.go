package store

import (
	"errors"
	"testing"
	"time"
)

// TestRetryLog: the sender's failed requests are logged the first time,
// when the error changes, and then once a minute with how many were not;
// a success starts over. Fusion logged the same error every 5 s for ever.
func TestRetryLog(t *testing.T) {
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
			var r retryLog
			for i, s := range tc.steps {
				now := t0.Add(s.at)
				if s.err == nil {
					r.reset()
					continue
				}
				gotLog, gotSkipped := r.failed(s.err, now)
				if gotLog != s.wantLog || gotSkipped != s.wantSkipped {
					t.Errorf("step %d (%v, %v): log %v skipped %d, want %v %d", i, s.at, s.err, gotLog, gotSkipped, s.wantLog, s.wantSkipped)
				}
			}
		})
	}
}
