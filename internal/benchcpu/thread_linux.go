package benchcpu

import (
	"time"

	"golang.org/x/sys/unix"
)

// Thread returns the CPU time the calling OS thread has used so far, to the
// ns (CLOCK_THREAD_CPUTIME_ID; getrusage RUSAGE_THREAD reports the same but
// moves in ms steps, too coarse to time one classification), or 0 when the
// clock cannot be read. With the goroutine locked to its thread
// (runtime.LockOSThread) it times a section by CPU, so other processes on a
// shared machine do not inflate it.
func Thread() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
