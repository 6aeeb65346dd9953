// Package retrylog decides which failures of a run of the same failure
// are logged: the first, a changed one, then one a minute with a count,
// and the recovery once. Services that retry for as long as an outage
// lasts (InfluxDB's sender, fusion's store, the embedded broker's drops)
// log through it instead of once per attempt.
package retrylog
