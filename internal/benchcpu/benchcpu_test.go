package benchcpu

import (
	"testing"
	"time"
)

// TestProcessCountsWork: busy work shows as CPU time, sleeping hardly does.
// Busy work is measured in CPU time, not wall time, so a loaded machine only
// makes the test take longer.
func TestProcessCountsWork(t *testing.T) {
	countsWork(t, "CPU time", Process)
}

// countsWork checks that clock counts 20 ms of busy work (within 20 s of
// wall time) and at most 25 ms of a 50 ms sleep.
func countsWork(t *testing.T, what string, clock func() time.Duration) {
	t.Helper()
	start := clock()
	x := 1.0
	for deadline := time.Now().Add(20 * time.Second); clock()-start < 20*time.Millisecond; {
		if time.Now().After(deadline) {
			t.Fatalf("20 s of busy work counted %v of %s (x %v)", clock()-start, what, x)
		}
		for range 100_000 {
			x = x*1.0000001 + 1e-9
		}
	}
	start = clock()
	time.Sleep(50 * time.Millisecond)
	if idle := clock() - start; idle > 25*time.Millisecond {
		t.Errorf("50 ms asleep counted %v of %s", idle, what)
	}
}
