package store

import "time"

// retryLogEvery is how often the sender logs a request that keeps failing
// with the same error.
const retryLogEvery = time.Minute

// retryLog decides which of the sender's failed requests are logged: the
// first of a run of failures, one whose error differs from the last
// logged, and then one every retryLogEvery, saying how many were not. A
// retry every 5 s for a day's outage is otherwise 17,280 lines. The zero
// value is ready; not safe for concurrent use (the sender owns it).
type retryLog struct {
	last    string
	at      time.Time
	skipped int
}

// failed records a request that failed with err at now, and reports
// whether to log it, with how many failures since the last logged one
// were not.
func (r *retryLog) failed(err error, now time.Time) (log bool, skipped int) {
	msg := err.Error()
	if r.at.IsZero() || msg != r.last || now.Sub(r.at) >= retryLogEvery || now.Before(r.at) {
		skipped = r.skipped
		r.last, r.at, r.skipped = msg, now, 0
		return true, skipped
	}
	r.skipped++
	return false, 0
}

// reset starts over after a request succeeded.
func (r *retryLog) reset() { *r = retryLog{} }
