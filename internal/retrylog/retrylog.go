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

// Keyed is a Log for each key of a bounded set (a reason, a reason and a
// sensor), so that one key's run does not silence another's: fusion's
// dead letters, the dashboard's bad live-feed messages and refused
// evidence each log the first of every key, then at most once a minute
// with how many were not. The caller bounds the keys. The zero value is
// ready; not safe for concurrent use.
type Keyed struct {
	runs map[string]*Log
}

// FailedAs records a failure of key at now in key's own Log
// (Log.FailedAs), and reports whether to log it, with how many of key's
// failures since its last logged one were not.
func (k *Keyed) FailedAs(key string, now time.Time) (log bool, skipped int) {
	if k.runs == nil {
		k.runs = map[string]*Log{}
	}
	r := k.runs[key]
	if r == nil {
		r = new(Log)
		k.runs[key] = r
	}
	return r.FailedAs(key, now)
}
