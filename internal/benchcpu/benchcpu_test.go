package benchcpu

import (
	"testing"
	"time"
)

// TestProcessCountsWork: busy work shows as CPU time, sleeping does not.
func TestProcessCountsWork(t *testing.T) {
	start := Process()
	x := 1.0
	for deadline := time.Now().Add(50 * time.Millisecond); time.Now().Before(deadline); {
		for range 1000 {
			x = x*1.0000001 + 1e-9
		}
	}
	busy := Process() - start
	if busy < 20*time.Millisecond {
		t.Errorf("50 ms of busy work counted %v of CPU time (x %v)", busy, x)
	}
	start = Process()
	time.Sleep(50 * time.Millisecond)
	if idle := Process() - start; idle > 25*time.Millisecond {
		t.Errorf("50 ms asleep counted %v of CPU time", idle)
	}
}
