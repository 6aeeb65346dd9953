package sim

import (
	"strings"
	"testing"
	"time"
)

// TestSessionsFarFromStart: a window ~8000 years after the wing's start
// (sim --start 9999-12-31T23:59:59.999Z) spun for hours: from.Sub(w.Start)
// saturated at time.Duration's ~292 years and sessions walked every cycle
// from there to the window. Each view of such a window returns at once,
// with no sessions of the cycle schedules; a window within the clock is
// as before.
func TestSessionsFarFromStart(t *testing.T) {
	w := StandardWing(1)
	for _, from := range []time.Time{
		time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC),
		time.Date(2330, 1, 1, 0, 0, 0, 0, time.UTC),
		w.Start.Add(maxCycleSpan - time.Hour),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			w.GroundTruth(from, from.Add(10*time.Millisecond))
			w.Active(from)
			w.Detections(from, from.Add(2*time.Second))
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("the sessions of [%s, +10ms) still being computed after 10 s", from.Format(time.RFC3339Nano))
		}
	}
	// within the clock, the cycles are as they were: a drone flies on the first night
	if _, ok := w.FirstSession("drone-id", time.Minute, 24*time.Hour); !ok {
		t.Error("no drone session on the first day")
	}
}

func TestCheckTime(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want string // "" = accepted
	}{
		{DefaultStart(), ""},
		{MinTime(), ""},
		{MaxTime().Add(-time.Nanosecond), ""},
		{MaxTime(), "outside the simulated clock, 1970-01-01T00:00:00Z up to 2200-01-01T00:00:00Z"},
		{MinTime().Add(-time.Nanosecond), "outside"},
		{time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC), "9999-12-31T23:59:59.999Z is outside"},
	} {
		err := CheckTime(tc.t)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckTime(%s) = %v, want nil", tc.t, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("CheckTime(%s) = %v, want %q", tc.t, err, tc.want)
		}
	}
	w := StandardWing(1)
	if _, err := w.NewSource("s1", SourceOptions{Start: time.Date(2330, 1, 1, 0, 0, 0, 0, time.UTC)}); err == nil || !strings.Contains(err.Error(), "outside the simulated clock") {
		t.Errorf("NewSource with a 2330 start: %v, want refused", err)
	}
}
