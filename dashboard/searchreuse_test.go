package dashboard

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// countingTS counts the store reads of the located fixes.
type countingTS struct {
	*fakeTS
	reads atomic.Int64
}

func (c *countingTS) Locations(ctx context.Context, site string, from, to time.Time, limit int) ([]store.LocationRecord, error) {
	c.reads.Add(1)
	return c.fakeTS.Locations(ctx, site, from, to, limit)
}

// TestSearchSharesItsWalk: every officer's search list asks GET /search
// every few seconds, and one walk of the stored fixes may read
// MaxLocationScan of them (200,000 cost 5 s and 480 MB a request): the
// requests of SearchReuse share one walk, those arriving at once wait for
// it, and a request after SearchReuse walks afresh and sees new fixes.
func TestSearchSharesItsWalk(t *testing.T) {
	ev := newEnv(t)
	ts := &countingTS{fakeTS: ev.ts}
	ev.deps.TimeSeries = ts
	var nowNS atomic.Int64
	nowNS.Store(testNow.UnixNano())
	ev.deps.Now = func() time.Time { return time.Unix(0, nowNS.Load()) }
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	c := login(t, e, RoleOfficer, "officer-password")
	score := func() map[string]float64 {
		t.Helper()
		rec := do(e, "GET", "/api/v1/search", "", "", &c, false)
		var got SearchAnswer
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != 200 {
			t.Fatalf("search: %d %v %s", rec.Code, err, trunc(rec.Body.String()))
		}
		out := map[string]float64{}
		for _, r := range got.Rooms {
			out[r.Room] = r.Score
		}
		return out
	}
	first := score()
	walks := ts.reads.Load()
	if walks == 0 {
		t.Fatal("the first request read no fixes")
	}
	var wg sync.WaitGroup
	for range 8 { // officers' pages at once
		wg.Go(func() {
			rec := do(e, "GET", "/api/v1/search", "", "", &c, false)
			if rec.Code != 200 {
				t.Errorf("search: %d", rec.Code)
			}
		})
	}
	wg.Wait()
	if got := ts.reads.Load(); got != walks {
		t.Errorf("8 requests within %v read the fixes %d more times, want 0 (one shared walk)", SearchReuse, got-walks)
	}
	// a new phone located in b-102, then the clock past SearchReuse
	ts.mu.Lock()
	ts.locs = append([]store.LocationRecord{{Site: "hmp1", Track: "t9", Class: event.ClassLTE, Link: event.LinkUplink,
		TimeNS: testNow.Add(time.Second).UnixNano(), Floor: "g", Room: "b-102", RoomProb: 0.9}}, ts.locs...)
	ts.mu.Unlock()
	nowNS.Store(testNow.Add(2 * time.Second).UnixNano())
	if got := score(); got["b-102"] != 0 {
		t.Errorf("within %v: b-102 scored %v, want the shared walk's answer (0)", SearchReuse, got["b-102"])
	}
	nowNS.Store(testNow.Add(SearchReuse + time.Second).UnixNano())
	later := score()
	if ts.reads.Load() == walks {
		t.Errorf("after %v the fixes were not read again", SearchReuse)
	}
	if later["b-102"] <= first["b-102"] {
		t.Errorf("after %v: b-102 scored %v (before %v), want the new phone counted", SearchReuse, later["b-102"], first["b-102"])
	}
}
