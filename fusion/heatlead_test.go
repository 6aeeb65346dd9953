package fusion

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

// TestOneLeadPerEmission: fusion stores every sensor's detection of an
// emission, and marks one of them, the group's first, as its lead: the one
// the heatmap counts. Its time is the emission's location's, and its
// track the location's, so a store written before the mark existed can
// find it from the location.
func TestOneLeadPerEmission(t *testing.T) {
	s := wing(t)
	ts := &storetest.Recorder{}
	e, err := New(Config{ListenWindow: -1}, Deps{Site: s, TimeSeries: ts})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t0 := time.Date(2026, 12, 3, 21, 0, 0, 0, time.UTC)
	p := site.Point{X: 12, Y: 9}
	const emissions = 3
	for k := range emissions {
		at := t0.Add(time.Duration(k) * 10 * time.Second)
		for i, sn := range s.Sensors {
			pw, err := e.Locator().PredictDBm(sn.ID, sn.Floor, p, 10-e.Locator().RefLossDB(1.75e9))
			if err != nil {
				t.Fatal(err)
			}
			d := testDet(fmt.Sprintf("e%d-%d", k, i), sn.ID, at.Add(time.Duration(i)*time.Millisecond), pw)
			d.Site = s.ID
			if err := e.HandleDetection(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.Tick(ctx, at.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if len(ts.Locs) != emissions || len(ts.Dets) != emissions*len(s.Sensors) {
		t.Fatalf("%d locations, %d detections; want %d and %d", len(ts.Locs), len(ts.Dets), emissions, emissions*len(s.Sensors))
	}
	leads := 0
	for _, d := range ts.Dets {
		if !d.Lead {
			continue
		}
		leads++
		found := false
		for _, l := range ts.Locs {
			found = found || l.TimeNS == d.TimeNS && l.Track == d.Track
		}
		if !found {
			t.Errorf("lead %s at %d of %s: no location at its time of its track", d.ID, d.TimeNS, d.Track)
		}
	}
	if leads != emissions {
		t.Errorf("%d lead detections, want one an emission: %d", leads, emissions)
	}
}

// TestNoLeadUnlocated: an emission heard by too few sensors to be located
// (LocateMinSensors 2, one sensor heard it) has no lead (it has no room to count in): fresh data agrees with what
// the stores' upgrades mark, a lead per stored location.
func TestNoLeadUnlocated(t *testing.T) {
	s := wing(t)
	ts := &storetest.Recorder{}
	e, err := New(Config{ListenWindow: -1, LocateMinSensors: 2}, Deps{Site: s, TimeSeries: ts})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t0 := time.Date(2026, 12, 3, 21, 0, 0, 0, time.UTC)
	d := testDet("alone", s.Sensors[0].ID, t0, -60)
	d.Site = s.ID
	if err := e.HandleDetection(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := e.Tick(ctx, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if len(ts.Dets) != 1 || len(ts.Locs) != 0 {
		t.Fatalf("%d detections, %d locations; want 1 and 0", len(ts.Dets), len(ts.Locs))
	}
	if ts.Dets[0].Lead {
		t.Error("an emission never located is a lead: the heat map would count it in no room")
	}
}
