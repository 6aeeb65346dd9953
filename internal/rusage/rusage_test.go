package rusage

import (
	"errors"
	"runtime"
	"testing"
	"time"
)

// TestSelfCountsWork: busy work shows as CPU time and the peak RSS covers
// memory the process touched. Measured in CPU time, so a loaded machine
// only makes the test slower.
func TestSelfCountsWork(t *testing.T) {
	u0, err := Self()
	if errors.Is(err, ErrUnsupported) {
		t.Skipf("%s: %v", runtime.GOOS, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	x := 1.0
	u := u0
	for deadline := time.Now().Add(20 * time.Second); u.CPU()-u0.CPU() < 20*time.Millisecond; {
		if time.Now().After(deadline) {
			t.Fatalf("20 s of busy work counted %v of CPU (x %v)", u.CPU()-u0.CPU(), x)
		}
		for range 100_000 {
			x = x*1.0000001 + 1e-9
		}
		if u, err = Self(); err != nil {
			t.Fatal(err)
		}
	}
	if u.User < u0.User || u.System < u0.System {
		t.Errorf("usage went back: %+v then %+v", u0, u)
	}
	big := make([]byte, 64<<20)
	for i := range big {
		big[i] = byte(i)
	}
	if u, err = Self(); err != nil {
		t.Fatal(err)
	}
	if u.MaxRSSBytes < int64(len(big)) {
		t.Errorf("peak RSS %d bytes after touching %d", u.MaxRSSBytes, len(big))
	}
	runtime.KeepAlive(big)
}
