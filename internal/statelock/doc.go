// Package statelock takes exclusive advisory locks on the state of a
// long-running rfwarden process (fusion's seen file and InfluxDB spool, a
// sensor's outbox), so that a second process started by mistake with the
// same configuration stops before it touches that state, the broker or its
// listen address. The lock is flock(2) on a small file beside the state,
// which holds the holder's PID; the kernel drops it when the holder exits,
// however it exits, so a crash leaves nothing to clean up.
package statelock
