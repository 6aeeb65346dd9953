package benchcpu

import (
	"testing"
	"time"
)

// TestProcessCountsWork: busy work shows as CPU time, sleeping hardly does.
// Busy work is measured in CPU time, not wall time, so a loaded machine only
// makes the test take longer.
func TestProcessCountsWork(t *testing.T) {
	start := Process()
	x := 1.0
	for deadline := time.Now().Add(20 * time.Second); Process()-start < 20*time.Millisecond; {
		if time.Now().After(deadline) {
			t.Fatalf("20 s of busy work counted %v of CPU time (x %v)", Process()-start, x)
		}
		for range 100_000 {
			x = x*1.0000001 + 1e-9
		}
	}
	start = Process()
	time.Sleep(50 * time.Millisecond)
	if idle := Process() - start; idle > 25*time.Millisecond {
		t.Errorf("50 ms asleep counted %v of CPU time", idle)
	}
}
