package fusion

import (
	"testing"
	"time"
)

// TestClockWatch: the estimate is the least-delayed of a sensor's last
// reports, the alert's offset is taken from the median of the sensors',
// so a backlog that delays every report alike (or fusion's own clock
// being off) moves no sensor's relative offset.
func TestClockWatch(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	ms := time.Millisecond
	var w clockWatch
	report := func(sensor string, i int, offset, delay time.Duration) time.Duration {
		sent := t0.Add(time.Duration(i)*10*time.Second + offset) // by the sensor's clock
		return w.observe(sensor, sent, t0.Add(time.Duration(i)*10*time.Second+delay))
	}
	// s1 is 300 ms ahead; its reports wait 5..400 ms on the way.
	for i, delay := range []time.Duration{400 * ms, 5 * ms, 90 * ms} {
		if got := report("s1", i, 300*ms, delay); got != 300*ms-5*ms && i >= 1 {
			t.Errorf("report %d: estimate %v, want %v (the least delayed)", i, got, 295*ms)
		}
	}
	if _, ok := w.relative("s1", t0.Add(30*time.Second)); ok {
		t.Error("one sensor alone has a relative offset")
	}
	// s2..s4 keep good time, reports 5 ms on the way.
	for _, s := range []string{"s2", "s3", "s4"} {
		report(s, 2, 0, 5*ms)
	}
	now := t0.Add(30 * time.Second)
	if rel, ok := w.relative("s1", now); !ok || rel != 300*ms {
		t.Errorf("s1 relative %v %v, want 300ms", rel, ok)
	}
	if rel, ok := w.relative("s2", now); !ok || rel != 0 {
		t.Errorf("s2 relative %v %v, want 0", rel, ok)
	}
	// Six reports later s1's first, late one has left the window: with
	// every report of every sensor 3 s late (fusion's queue), none moves.
	for i := 3; i < 3+clockSamples; i++ {
		for _, s := range []string{"s1", "s2", "s3", "s4"} {
			off := time.Duration(0)
			if s == "s1" {
				off = 300 * ms
			}
			report(s, i, off, 3*time.Second)
		}
	}
	now = t0.Add(time.Duration(3+clockSamples) * 10 * time.Second)
	if got := w.sensors["s1"].estimate(); got != 300*ms-3*time.Second {
		t.Errorf("s1 estimate %v after the backlog, want %v", got, 300*ms-3*time.Second)
	}
	if rel, _ := w.relative("s1", now); rel != 300*ms {
		t.Errorf("s1 relative %v during a backlog, want 300ms", rel)
	}
	if rel, _ := w.relative("s3", now); rel != 0 {
		t.Errorf("s3 relative %v during a backlog, want 0", rel)
	}
	// A sensor not heard for clockFresh has no say in the median; one that
	// went offline is forgotten.
	w.forget("s2")
	w.forget("s3")
	if _, ok := w.relative("s1", now.Add(clockFresh+time.Second)); ok {
		t.Error("stale s4 still counts in the median")
	}
	if rel, ok := w.relative("s1", now); !ok || rel != 150*ms {
		t.Errorf("s1 against s4 alone: %v %v, want 150ms (the median of two is their mean)", rel, ok)
	}
}
