package fusion_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// storedLocs records the locations written to it.
type storedLocs struct {
	fusion.TimeSeries
	locs []store.LocationRecord
}

func (s *storedLocs) WriteLocations(_ context.Context, recs []store.LocationRecord) error {
	s.locs = append(s.locs, recs...)
	return nil
}

// TestLiveLocations: every location written is published on the site's
// location topic as an event.Location and stored; one that does not encode,
// or that the broker refuses, is still stored.
func TestLiveLocations(t *testing.T) {
	ok := store.LocationRecord{Site: "hmp1", Track: "t1", Class: event.ClassLTE, Link: event.LinkUplink, TimeNS: 5, Floor: "L2",
		Room: "L2-S02", RoomProb: 0.9, RoomProbs: map[string]float64{"L2-S02": 0.9}, XM: 3, YM: 4, SemiMajorM: 2, SemiMinorM: 1,
		Sensors: []string{"s1", "s2"}}
	bad := ok
	bad.Track, bad.Class = "t2", "" // not a valid class: not published
	for _, brokerErr := range []error{nil, errors.New("not connected")} {
		ts := &storedLocs{}
		pub := &recPublisher{err: brokerErr}
		live := fusion.LiveLocations{TimeSeries: ts, Client: pub}
		if err := live.WriteLocations(context.Background(), []store.LocationRecord{ok, bad}); err != nil {
			t.Fatal(err)
		}
		if len(ts.locs) != 2 {
			t.Errorf("broker error %v: %d locations stored, want 2", brokerErr, len(ts.locs))
		}
		if len(pub.sent) != 1 || pub.sent[0].topic != "rfw/v1/hmp1/location" {
			t.Fatalf("broker error %v: published %v, want t1 on rfw/v1/hmp1/location", brokerErr, pub.sent)
		}
		got, err := event.DecodeLocation(pub.sent[0].payload)
		want := fusion.LocationEvent(ok)
		if err != nil || got != want || got.Room != "L2-S02" || got.SemiMajorM != 2 {
			t.Errorf("published %+v, %v; want %+v", got, err, want)
		}
	}
}
