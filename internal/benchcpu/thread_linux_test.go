package benchcpu

import (
	"runtime"
	"testing"
	"time"
)

// TestThreadCountsOwnWork: this thread's busy work shows as its CPU time,
// its sleep hardly does.
func TestThreadCountsOwnWork(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := Thread()
	if start <= 0 {
		t.Fatalf("thread CPU clock reads %v", start)
	}
	x := 1.0
	for deadline := time.Now().Add(20 * time.Second); Thread()-start < 20*time.Millisecond; {
		if time.Now().After(deadline) {
			t.Fatalf("20 s of busy work counted %v of thread CPU time (x %v)", Thread()-start, x)
		}
		for range 100_000 {
			x = x*1.0000001 + 1e-9
		}
	}
	start = Thread()
	time.Sleep(50 * time.Millisecond)
	if idle := Thread() - start; idle > 25*time.Millisecond {
		t.Errorf("50 ms asleep counted %v of thread CPU time", idle)
	}
}
