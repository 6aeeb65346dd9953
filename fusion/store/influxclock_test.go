package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/influxtest"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

// testClock is a wall clock a test places: it stands still until Set.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// TestInfluxHeatRollupWhenQuarterEnds follows a quarter hour of detections
// delivered before it ends (counted raw, not rolled up) through its end
// (the sender rolls it up: one heat_quarter point with the counts, the
// heatmap unchanged) to a late detection and a redelivered one (each
// counted once). The store's clock is placed, so the test does not depend
// on where the wall clock is; the sender's timers are real and short.
func TestInfluxHeatRollupWhenQuarterEnds(t *testing.T) {
	srv := influxtest.Start(t)
	const site = "hmp-clock"
	q := time.Date(2027, 1, 13, 10, 0, 0, 0, time.UTC) // the quarter hour followed
	p := q.Add(-store.HeatBucket)                      // the one before, ended
	end := q.Add(store.HeatBucket)
	for i, tt := range []struct {
		name string
		// clock at delivery, and past the quarter's end
		before, after time.Time
		// the sender wakes at the quarter's end by itself (its timer),
		// rather than by a Flush after the clock moved
		ownWake bool
	}{
		{name: "woken by Flush after the clock moved", before: q.Add(7 * time.Minute), after: end.Add(30 * time.Second)},
		// the sender's timer is 2 s; the clock stands still until moved,
		// so the quarter has not ended however slow the machine is
		{name: "wakes itself at the quarter's end", before: end.Add(-2 * time.Second), after: end, ownWake: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			clock := &testClock{t: tt.before}
			s, err := store.OpenInfluxClock(store.InfluxConfig{URL: srv.URL, Database: fmt.Sprintf("clock%d", i), SpoolDir: filepath.Join(t.TempDir(), "spool")}, clock.Now)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			first := storetest.Detection(site, "d1", q.Add(time.Minute), "B2-14", false)
			if err := s.WriteDetections(ctx, []store.DetectionRecord{
				storetest.Detection(site, "d0", p.Add(3*time.Minute), "B2-14", false),
				first,
				storetest.Detection(site, "d2", q.Add(5*time.Minute), "B2-14", false),
				storetest.Detection(site, "d3", q.Add(6*time.Minute), "A1-01", true),
			}); err != nil {
				t.Fatal(err)
			}
			flush(t, s)

			// Delivered, not rolled up: the quarter before (ended) is.
			qs := quarters(t, s, site, p, end)
			if len(qs) != 2 || !qs[0].Start.Equal(p) || !qs[0].Clean() || qs[0].Unauth != "B2-14=1" {
				t.Fatalf("heat_quarter points %+v, want the ended quarter %v rolled up (B2-14=1) and %v marked written", qs, p, q)
			}
			if qs[1].HasRolled || !qs[1].HasWritten || qs[1].Unauth != "" || qs[1].Auth != "" {
				t.Fatalf("quarter %v before its end: %+v, want written only (no roll-up, no counts)", q, qs[1])
			}
			want := []store.HeatCell{{Room: "B2-14", Start: p, Count: 1}, {Room: "A1-01", Start: q, Count: 1}, {Room: "B2-14", Start: q, Count: 2}}
			store.SortHeat(want)
			heat := heatmap(t, s, site, p, end)
			if !reflect.DeepEqual(heat, want) {
				t.Fatalf("heatmap before the quarter ends = %+v, want %+v (counted raw)", heat, want)
			}

			// The quarter ends.
			clock.Set(tt.after)
			if tt.ownWake {
				waitClean(t, s, site, q)
			} else {
				flush(t, s)
			}
			wantRolled(t, s, site, q, "B2-14=2", "A1-01=1", "B2-14=2")
			if got := heatmap(t, s, site, p, end); !reflect.DeepEqual(got, want) {
				t.Errorf("heatmap after the roll-up = %+v, want it unchanged, %+v", got, want)
			}

			// A late detection, and one delivered again, in the rolled-up quarter.
			if err := s.WriteDetections(ctx, []store.DetectionRecord{storetest.Detection(site, "d4", q.Add(10*time.Minute), "B2-14", false), first}); err != nil {
				t.Fatal(err)
			}
			flush(t, s)
			wantRolled(t, s, site, q, "B2-14=3", "A1-01=1", "B2-14=3")
			want[len(want)-1].Count = 3
			if got := heatmap(t, s, site, p, end); !reflect.DeepEqual(got, want) {
				t.Errorf("heatmap after a late and a redelivered detection = %+v, want %+v (each counted once)", got, want)
			}
		})
	}
}

func flush(t *testing.T, s *store.Influx) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

func quarters(t *testing.T, s *store.Influx, site string, from, to time.Time) []store.HeatQuarter {
	t.Helper()
	qs, err := store.HeatQuarters(context.Background(), s, site, from, to)
	if err != nil {
		t.Fatal(err)
	}
	return qs
}

func heatmap(t *testing.T, s *store.Influx, site string, from, to time.Time) []store.HeatCell {
	t.Helper()
	cells, err := s.Heatmap(context.Background(), site, from, to, store.HeatAll)
	if err != nil {
		t.Fatal(err)
	}
	return cells
}

// waitClean waits, 30 s at most, for the roll-up of site's quarter hour q.
func waitClean(t *testing.T, s *store.Influx, site string, q time.Time) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		qs := quarters(t, s, site, q, q.Add(store.HeatBucket))
		if len(qs) == 1 && qs[0].Clean() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("quarter %v not rolled up within 30 s of its end: %+v", q, qs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// wantRolled checks that site's quarter hour q is one heat_quarter point,
// rolled up with the counts given.
func wantRolled(t *testing.T, s *store.Influx, site string, q time.Time, unauth, auth, target string) {
	t.Helper()
	qs := quarters(t, s, site, q, q.Add(store.HeatBucket))
	if len(qs) != 1 || !qs[0].Clean() || qs[0].Unauth != unauth || qs[0].Auth != auth || qs[0].Target != target {
		t.Fatalf("quarter %v: heat_quarter points %+v, want one rolled up with unauth %q, auth %q, target %q", q, qs, unauth, auth, target)
	}
}
