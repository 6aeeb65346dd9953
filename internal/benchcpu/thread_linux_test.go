package benchcpu

import (
	"runtime"
	"testing"
)

// TestThreadCountsOwnWork: this thread's busy work shows as its CPU time,
// its sleep hardly does.
func TestThreadCountsOwnWork(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if now := Thread(); now <= 0 {
		t.Fatalf("thread CPU clock reads %v", now)
	}
	countsWork(t, "thread CPU time", Thread)
}
