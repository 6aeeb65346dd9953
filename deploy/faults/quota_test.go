//go:build integration

package faults

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
)

// TestOutboxQuota injects a full outbox disk: the outbox quota is 8 KiB (two
// 4 KiB segments, about 20 detections) and the broker is down while the agent
// makes ten times that. It asserts that the health alarm is raised (state
// degraded, reason "outbox over quota") while it lasts, that once the broker
// is back the alarm clears when the queue has drained, the newest detections
// are processed by fusion exactly once, the oldest are dropped and counted as
// one run, and the count (in Health and in the health report fusion stores)
// equals the shortfall between what was made and what fusion processed.
func TestOutboxQuota(t *testing.T) {
	m := startMosquitto(t)
	l := newLedger(nil)
	f := newFusion(t, m.url(), l)
	f.start()
	m.stop(syscall.SIGTERM) // the broker is down from the start
	cfg := sensorConfig(m.url(), t.TempDir())
	cfg.Outbox.SegmentBytes, cfg.Outbox.QuotaBytes = 4096, 8192
	ag := startAgent(t, cfg, newPacedSource(wallClock{}, 2*time.Millisecond), 1, nil)
	ag.waitDetections(t, 200)
	made := ag.settle(t)
	h := ag.a.Health()
	dropped := h.OutboxDropped
	if h.State != event.StateDegraded || !strings.Contains(strings.Join(h.Reasons, ";"), "outbox over quota") {
		t.Errorf("health while over quota: state %q, reasons %q; want degraded, outbox over quota", h.State, h.Reasons)
	}
	if dropped == 0 || h.OutboxDepth+dropped != made {
		t.Fatalf("outbox: depth %d + dropped %d, want > 0 dropped summing to %d made", h.OutboxDepth, dropped, made)
	}

	m.start()
	// Paused, the backlog (under the quota) drains once the agent reconnects.
	if !waitUntil(20*time.Second, func() bool { return ag.a.Health().OutboxDepth == 0 }) {
		t.Fatalf("outbox did not drain after the broker came back: %+v", ag.a.Health())
	}
	if h := ag.a.Health(); h.State != event.StateOK {
		t.Errorf("health after the queue drained: %q %q, want ok", h.State, h.Reasons)
	}
	dropped = ag.a.Health().OutboxDropped // less the in-flight record, if it was delivered after all
	ag.src.pace.Store(int64(20 * time.Millisecond))
	ag.src.pause.Store(false) // detections and health reports keep coming
	if !waitUntil(20*time.Second, func() bool {
		for _, r := range l.healthReports() {
			if r.OutboxDropped == dropped && r.State == event.StateOK {
				return true
			}
		}
		return false
	}) {
		t.Errorf("fusion got no health report with %d dropped after the queue drained", dropped)
	}
	made = ag.drain(t, l, dropped)
	if got := ag.a.Health().OutboxDropped; got != dropped {
		t.Errorf("dropped grew from %d to %d with the broker up", dropped, got)
	}
	if short := made - int64(l.unique()); short != dropped {
		t.Errorf("shortfall %d (made %d, processed %d), dropped count %d", short, made, l.unique(), dropped)
	}
	// What was lost is one run of the oldest: from seq 1, or from seq 2 when
	// seq 1 was being published as the quota dropped it and got through.
	counts := l.snapshot()
	lo := int64(1)
	if counts[detIDString(ag.a.BootID(), 1)] > 0 {
		lo = 2
	}
	want := append(seqRange(1, lo-1), seqRange(lo+dropped, made)...)
	checkExactlyOnce(t, counts, ag.a.BootID(), want)
	t.Logf("made %d, dropped oldest %d (seqs %d..%d), delivered %d", made, dropped, lo, lo+dropped-1, l.unique())
}
