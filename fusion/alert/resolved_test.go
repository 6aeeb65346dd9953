package alert

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
)

// TestResolvedAlertsHoldNoFixes: a flood of one-off tracks, as `rfwarden
// loadtest` makes (each of the wing's phones a new handset every second),
// each located a few times over cells and the landing. Their alerts
// resolve, and resolved alerts are held ResolveAfter plus an hour
// (acknowledgements, a resolution the store refused): held so long, an
// alert must not keep its track's move window, the room probabilities of
// every fix of its last MoveWindow, which only an open alert reads. Then
// the hour passes and every alert, index entry and incident is forgotten.
func TestResolvedAlertsHoldNoFixes(t *testing.T) {
	e, err := New(DefaultConfig(), wingB(t), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t0 := time.Unix(1_800_000_000, 0)
	for _, sn := range e.site.Sensors { // no sensor alerts
		if err := e.ObserveStatus(ctx, sn.ID, event.StatusOnline, t0); err != nil {
			t.Fatal(err)
		}
	}
	const tracks, fixesPerTrack = 300, 6
	rooms := []string{"B2-01", "B2-02", "B2-03", "B2-landing"}
	now := t0
	for i := range tracks {
		for j := range fixesPerTrack {
			now = t0.Add(time.Duration(i)*time.Second + time.Duration(j)*150*time.Millisecond)
			top := rooms[(i+j/3)%len(rooms)] // moves once
			probs := map[string]float64{top: 0.7}
			for _, r := range rooms {
				if r != top {
					probs[r] = 0.1
				}
			}
			loc := Location{Track: "flood-" + strconv.Itoa(i), Class: event.ClassLTE, Link: event.LinkUplink,
				Room: top, Prob: 0.7, RoomProbs: probs, At: now, Evidence: []string{strconv.Itoa(i) + "-" + strconv.Itoa(j)}}
			if err := e.ObserveLocation(ctx, loc); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.Tick(ctx, now); err != nil {
			t.Fatal(err)
		}
	}
	resolveAfter := time.Duration(e.cfg.Rules[0].ResolveAfter)
	for _, r := range e.cfg.Rules {
		resolveAfter = max(resolveAfter, time.Duration(r.ResolveAfter))
	}
	for end := now.Add(resolveAfter + time.Second); now.Before(end); {
		now = now.Add(time.Second)
		if err := e.Tick(ctx, now); err != nil {
			t.Fatal(err)
		}
	}
	if len(e.alerts) < tracks {
		t.Fatalf("%d alerts held, want at least one per track (%d)", len(e.alerts), tracks)
	}
	fixes := 0
	for k, a := range e.alerts {
		if a.state != StateResolved {
			t.Fatalf("alert %s is %v %v after the last fix, want resolved", k, a.state, now.Sub(a.lastSeen))
		}
		fixes += len(a.recent)
	}
	if fixes != 0 {
		t.Errorf("%d resolved alerts hold %d fixes of their tracks' move windows, want none", len(e.alerts), fixes)
	}

	now = now.Add(time.Hour)
	if err := e.Tick(ctx, now); err != nil {
		t.Fatal(err)
	}
	if len(e.alerts) != 0 || len(e.byTrack) != 0 || len(e.incidents) != 0 {
		t.Errorf("an hour after they resolved: %d alerts, %d track index entries, %d incidents held, want none",
			len(e.alerts), len(e.byTrack), len(e.incidents))
	}
}

// BenchmarkResolvedAlertBytes reports the heap a resolved alert holds for
// the hour it is kept: one-off tracks as in TestResolvedAlertsHoldNoFixes,
// each located six times with a room probability map of its own per fix
// (as fusion's locator gives), all resolved, then the heap in use after a
// collection, less that before the fixes, per alert held.
func BenchmarkResolvedAlertBytes(b *testing.B) {
	const tracks, fixesPerTrack = 2000, 6
	rooms := []string{"B2-01", "B2-02", "B2-03", "B2-04", "B2-05", "B2-06", "B2-07", "B2-08", "B2-09", "B2-landing"}
	heapBytes := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	var perAlert float64
	for b.Loop() {
		ctx := context.Background()
		t0 := time.Unix(1_800_000_000, 0)
		h0 := heapBytes()
		e, err := New(DefaultConfig(), wingB(b), nil, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		now := t0
		for i := range tracks {
			for j := range fixesPerTrack {
				now = t0.Add(time.Duration(i)*time.Second + time.Duration(j)*150*time.Millisecond)
				probs := make(map[string]float64, len(rooms))
				for k, r := range rooms {
					probs[r] = 0.02 * float64(k+1)
				}
				top := rooms[i%4]
				probs[top] = 0.7
				loc := Location{Track: "flood-" + strconv.Itoa(i), Class: event.ClassLTE, Link: event.LinkUplink,
					Room: top, Prob: 0.7, RoomProbs: probs, At: now, Evidence: []string{strconv.Itoa(i) + "-" + strconv.Itoa(j)}}
				if err := e.ObserveLocation(ctx, loc); err != nil {
					b.Fatal(err)
				}
			}
		}
		if err := e.Tick(ctx, now.Add(time.Hour)); err != nil { // all resolve, none is forgotten yet
			b.Fatal(err)
		}
		perAlert = float64(heapBytes()-h0) / float64(len(e.alerts))
		runtime.KeepAlive(e)
	}
	b.ReportMetric(perAlert, "B/resolved-alert")
}
