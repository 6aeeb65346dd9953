package retrylog

import "time"

// Every is how often a failure that keeps coming with the same error is
// logged.
const Every = time.Minute

// Log decides which of a run of failures are logged: the first of
// the run, one whose error differs from the last logged, and then one
// every minute (Every), saying how many were not; and, through
// Recovered, the end of the run. A retry every 5 s for a day's outage is
// otherwise 17,280 lines. InfluxDB's sender (store.Influx), fusion's
// engine (a failing store, every tick) and the embedded broker's drop
// report (embroker) use it. The zero value is ready;
// not safe for concurrent use (its one user owns it).
type Log struct {
	last    string
	at      time.Time
	skipped int
	first   time.Time // when the run began; zero: no run
	run     int       // failures in the run
}

// Failed records a failure with err at now, and reports whether to log
// it, with how many failures since the last logged one were not.
func (r *Log) Failed(err error, now time.Time) (log bool, skipped int) {
	return r.FailedAs(err.Error(), now)
}

// FailedAs is Failed for an error told apart from others by key rather
// than by its whole text (which may carry a count or an ID that changes
// at each failure).
func (r *Log) FailedAs(key string, now time.Time) (log bool, skipped int) {
	if r.first.IsZero() {
		r.first = now
	}
	r.run++
	if r.at.IsZero() || key != r.last || now.Sub(r.at) >= Every || now.Before(r.at) {
		skipped = r.skipped
		r.last, r.at, r.skipped = key, now, 0
		return true, skipped
	}
	r.skipped++
	return false, 0
}

// Recovered records a success and starts over. It returns how many
// failures the run it ends had, and when the run began: 0 when there was
// none, so the caller logs the recovery once.
func (r *Log) Recovered() (failures int, since time.Time) {
	failures, since = r.run, r.first
	*r = Log{}
	return failures, since
}
