package alert

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// BenchmarkObserveLocationManyAlerts: one location fix of a track with an
// open alert while the engine holds n other alerts (tracks in the same
// cell; resolved ones are kept ResolveAfter plus an hour). openAlert
// walked every alert on every fix: a flood of ~14k one-off tracks left
// fusion 50 times slower (docs/performance.md).
func BenchmarkObserveLocationManyAlerts(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("alerts=%d", n), func(b *testing.B) {
			e, err := New(DefaultConfig(), wingB(b), nil, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			t0 := time.Unix(1_800_000_000, 0)
			loc := Location{Class: event.ClassLTE, Link: event.LinkUplink, Room: "B2-14", Prob: 0.8, At: t0, Evidence: []string{"d1"}}
			for i := range n {
				loc.Track = "flood-" + strconv.Itoa(i)
				if err := e.ObserveLocation(ctx, loc); err != nil {
					b.Fatal(err)
				}
			}
			if got := len(e.alerts); got < n {
				b.Fatalf("%d alerts held, want at least %d", got, n)
			}
			loc.Track = "phone"
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				loc.At = t0.Add(time.Duration(i) * time.Millisecond)
				if err := e.ObserveLocation(ctx, loc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func wingB(tb testing.TB) *site.Site {
	tb.Helper()
	s, err := site.LoadFile("../../testdata/sites/wing.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// openAlertScan is openAlert as it was: a walk over every alert.
func (e *Engine) openAlertScan(rule, track string) *alertState {
	prefix := rule + "/" + track + "/"
	var open *alertState
	for k, a := range e.alerts {
		if strings.HasPrefix(k, prefix) && a.state != StateResolved {
			if open == nil || a.lastSeen.After(open.lastSeen) {
				open = a
			}
		}
	}
	return open
}

// TestOpenAlertIndexInStep: through random fixes of a few tracks wandering
// over cells, the landing and the yard (alerts opened, moved with their
// track, withdrawn, resolved, replaced and forgotten), openAlert's index
// gives what a walk over every alert gives, and holds only held alerts.
func TestOpenAlertIndexInStep(t *testing.T) {
	e, err := New(DefaultConfig(), wingB(t), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 7))
	rooms := []string{"B2-01", "B2-02", "B2-03", "B2-09", "B2-landing"}
	now := time.Unix(1_800_000_000, 0)
	tracks := []string{"t1", "t2", "t3"}
	for step := range 4000 {
		now = now.Add(time.Duration(rng.IntN(4000)) * time.Millisecond)
		if rng.IntN(50) == 0 {
			now = now.Add(time.Duration(rng.IntN(3)) * time.Hour) // resolve, forget
		}
		probs := map[string]float64{}
		for _, r := range rooms {
			probs[r] = rng.Float64()
		}
		room, p := "", 0.0
		for r, v := range probs {
			if v > p || v == p && r < room {
				room, p = r, v
			}
		}
		loc := Location{Track: tracks[rng.IntN(len(tracks))], Class: event.ClassLTE, Link: event.LinkUplink, Room: room,
			Prob: p, RoomProbs: probs, At: now, Evidence: []string{"d" + strconv.Itoa(step)}}
		if err := e.ObserveLocation(ctx, loc); err != nil {
			t.Fatal(err)
		}
		if err := e.Tick(ctx, now); err != nil {
			t.Fatal(err)
		}
		for _, r := range e.cfg.Rules {
			for _, tr := range tracks {
				if got, want := e.openAlert(r.Name, tr), e.openAlertScan(r.Name, tr); got != want && (got == nil || want == nil || !got.lastSeen.Equal(want.lastSeen)) {
					t.Fatalf("step %d: openAlert(%s, %s) = %+v, a walk over every alert %+v", step, r.Name, tr, got, want)
				}
			}
		}
		n := 0
		for k, l := range e.byTrack {
			for _, a := range l {
				n++
				if e.alerts[a.rule.Name+"/"+a.key] != a || trackKey(a) != k {
					t.Fatalf("step %d: index %s holds an alert not held under its key", step, k)
				}
			}
		}
		held := 0
		for _, a := range e.alerts {
			if trackKey(a) != "" {
				held++
			}
		}
		if n != held {
			t.Fatalf("step %d: index holds %d alerts, the engine %d", step, n, held)
		}
	}
}

// BenchmarkObserveLocationLive: one location fix of a track whose alert
// is live (pending, then firing), as fusion sees a handset heard by
// several sensors: ten fixes a second, each with a detection the alert
// has not seen (it keeps the first MaxAlertEvidence) and a probability
// that swings between 45% and 85% every 7 fixes, and a Tick every
// second. With a SQLite store, as fusion runs, the figure includes what
// the engine writes to it, shared out over the fixes, and the alert
// writes per 1000 fixes are reported.
func BenchmarkObserveLocationLive(b *testing.B) {
	for _, withStore := range []bool{false, true} {
		b.Run(fmt.Sprintf("sqlite=%v", withStore), func(b *testing.B) {
			var st store.AlertStore
			var counted *countingStore
			if withStore {
				db, err := store.OpenSQLite(filepath.Join(b.TempDir(), "alerts.db"))
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { db.Close() })
				counted = &countingStore{SQLite: db}
				st = counted
			}
			e, err := New(DefaultConfig(), wingB(b), st, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			t0 := time.Unix(1_800_000_000, 0)
			for _, sn := range e.site.Sensors { // no sensor alerts
				if err := e.ObserveStatus(ctx, sn.ID, event.StatusOnline, t0); err != nil {
					b.Fatal(err)
				}
			}
			loc := Location{Track: "phone", Class: event.ClassLTE, Link: event.LinkUplink, Room: "B2-14"}
			swing := [2]map[string]float64{{"B2-14": 0.45, "B2-13": 0.35}, {"B2-14": 0.85, "B2-13": 0.1}}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				loc.At = t0.Add(time.Duration(i) * 100 * time.Millisecond)
				loc.RoomProbs = swing[i/7%2]
				loc.Prob = loc.RoomProbs["B2-14"]
				loc.Evidence = []string{"d" + strconv.Itoa(i)}
				if err := e.ObserveLocation(ctx, loc); err != nil {
					b.Fatal(err)
				}
				if i%10 == 9 {
					if err := e.Tick(ctx, loc.At); err != nil {
						b.Fatal(err)
					}
				}
			}
			if counted != nil {
				b.ReportMetric(1000*float64(counted.alertWrites)/float64(b.N), "writes/kfix")
			}
		})
	}
}
