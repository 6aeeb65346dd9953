package main

import "context"

// stopCause says why a service's context ended, for the line it prints
// when it stops cleanly: "terminated signal received", "interrupt signal
// received" or "hangup signal received" when main's signal.NotifyContext
// ended it (SIGTERM from systemctl stop, SIGINT from Ctrl-C, SIGHUP; see
// stopSignals), else the context's error.
func stopCause(ctx context.Context) string {
	if err := context.Cause(ctx); err != nil {
		return err.Error()
	}
	return "stopped"
}
