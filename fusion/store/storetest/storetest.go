// Package storetest is the conformance suite every store.TimeSeries backend
// must pass, so the dashboard sees the same answers from InfluxDB and SQLite.
package storetest

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// Base is the start of the test data: a Monday at 00:00 UTC.
var Base = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

// Detection returns a valid detection record for tests.
func Detection(site, id string, at time.Time, room string, authorised bool) store.DetectionRecord {
	return store.DetectionRecord{
		Detection: event.Detection{
			Schema: event.SchemaVersion, ID: id, Site: site, Sensor: "s1", TimeNS: at.UnixNano(),
			DurationNS: int64(time.Millisecond), CenterHz: 1.95e9, BandwidthHz: 5e6, PowerDBm: -60, SNRDB: 20,
			Band: "n1", Link: event.LinkUplink, Class: event.ClassNR, Confidence: 0.9, SampleStart: 10, SampleCount: 100,
		},
		Room: room, RoomProb: 0.8, Track: "t-" + room, Authorised: authorised,
	}
}

// TimeSeries runs the conformance suite against a fresh backend from open.
func TimeSeries(t *testing.T, open func(t *testing.T) store.TimeSeries) {
	ctx := context.Background()
	t.Run("detections and heatmap", func(t *testing.T) {
		ts := open(t)
		var recs []store.DetectionRecord
		// Room A: 3 unauthorised at 01:10, 01:20, 02:30; one authorised at 01:40.
		// Room B: 1 unauthorised at 05:59:59.999. Other site: 1 in room A.
		recs = append(recs,
			Detection("site1", "d1", Base.Add(70*time.Minute), "A", false),
			Detection("site1", "d2", Base.Add(80*time.Minute), "A", false),
			Detection("site1", "d3", Base.Add(150*time.Minute), "A", false),
			Detection("site1", "d4", Base.Add(100*time.Minute), "A", true),
			Detection("site1", "d5", Base.Add(6*time.Hour-time.Millisecond), "B", false),
			Detection("site2", "d6", Base.Add(70*time.Minute), "A", false),
		)
		if err := ts.WriteDetections(ctx, recs); err != nil {
			t.Fatal(err)
		}
		// Redelivery of d1 must not double count.
		if err := ts.WriteDetections(ctx, recs[:1]); err != nil {
			t.Fatal(err)
		}
		if err := ts.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := ts.Heatmap(ctx, "site1", Base, Base.Add(24*time.Hour), true)
		if err != nil {
			t.Fatal(err)
		}
		want := []store.HeatCell{
			{Room: "A", HourStart: Base.Add(time.Hour), Count: 2},
			{Room: "A", HourStart: Base.Add(2 * time.Hour), Count: 1},
			{Room: "B", HourStart: Base.Add(5 * time.Hour), Count: 1},
		}
		if !heatEqual(got, want) {
			t.Errorf("unauthorised heatmap = %v, want %v", got, want)
		}
		got, err = ts.Heatmap(ctx, "site1", Base, Base.Add(24*time.Hour), false)
		if err != nil {
			t.Fatal(err)
		}
		want[0].Count = 3
		if !heatEqual(got, want) {
			t.Errorf("all heatmap = %v, want %v", got, want)
		}
		// A window that cuts hours: [01:15, 02:45) holds d2, d4 (auth), d3.
		got, err = ts.Heatmap(ctx, "site1", Base.Add(75*time.Minute), Base.Add(165*time.Minute), true)
		if err != nil {
			t.Fatal(err)
		}
		want = []store.HeatCell{
			{Room: "A", HourStart: Base.Add(time.Hour), Count: 1},
			{Room: "A", HourStart: Base.Add(2 * time.Hour), Count: 1},
		}
		if !heatEqual(got, want) {
			t.Errorf("partial-hour heatmap = %v, want %v", got, want)
		}
		dets, err := ts.Detections(ctx, "site1", Base, Base.Add(2*time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		ids := idsOf(dets)
		if want := []string{"d4", "d2", "d1"}; !reflect.DeepEqual(ids, want) {
			t.Errorf("detections = %v, want %v (newest first)", ids, want)
		}
		if d := dets[0]; d.Room != "A" || !d.Authorised || d.Class != event.ClassNR || d.CenterHz != 1.95e9 || d.TimeNS != recs[3].TimeNS {
			t.Errorf("stored record = %+v, want fields of %+v", d, recs[3])
		}
		dets, err = ts.Detections(ctx, "site1", Base, Base.Add(24*time.Hour), 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(dets) != 2 {
			t.Errorf("limit 2: got %d", len(dets))
		}
	})
	t.Run("locations", func(t *testing.T) {
		ts := open(t)
		locs := []store.LocationRecord{
			{Site: "site1", Track: "t1", Class: event.ClassLTE, Link: event.LinkUplink, TimeNS: Base.Add(time.Minute).UnixNano(),
				Floor: "f1", Room: "B2-14", RoomProb: 0.82, XM: 3, YM: 4, SemiMajorM: 2, SemiMinorM: 1, AngleRad: 0.5},
			{Site: "site1", Track: "t1", Class: event.ClassLTE, Link: event.LinkUplink, TimeNS: Base.Add(2 * time.Minute).UnixNano(),
				Floor: "f1", Room: "B2-15", RoomProb: 0.6, XM: 5, YM: 4, SemiMajorM: 2, SemiMinorM: 1},
		}
		if err := ts.WriteLocations(ctx, locs); err != nil {
			t.Fatal(err)
		}
		if err := ts.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := ts.Locations(ctx, "site1", Base, Base.Add(time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Room != "B2-15" || got[1].Room != "B2-14" || got[1].RoomProb != 0.82 || got[1].XM != 3 {
			t.Errorf("locations = %+v", got)
		}
	})
	t.Run("health series", func(t *testing.T) {
		ts := open(t)
		var hs []event.Health
		for i := 0; i < 5; i++ {
			hs = append(hs, event.Health{Schema: 1, Site: "site1", Sensor: "s1", TimeNS: Base.Add(time.Duration(i) * 10 * time.Second).UnixNano(),
				State: event.StateOK, NoiseFloorDBm: map[string]float64{"n1": -100 + float64(i)}, OutboxDepth: int64(i), Version: "v"})
		}
		hs = append(hs, event.Health{Schema: 1, Site: "site1", Sensor: "s2", TimeNS: Base.UnixNano(), State: event.StateJammed, Version: "v"})
		if err := ts.WriteHealth(ctx, hs); err != nil {
			t.Fatal(err)
		}
		if err := ts.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := ts.HealthSeries(ctx, "site1", "s1", Base.Add(10*time.Second), Base.Add(40*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			for _, h := range got {
				t.Logf("got %+v", h)
			}
			t.Fatalf("health series: got %d reports, want 3", len(got))
		}
		for i, h := range got {
			if h.OutboxDepth != int64(i+1) || h.NoiseFloorDBm["n1"] != -99+float64(i) || h.State != event.StateOK {
				t.Errorf("report %d = %+v", i, h)
			}
		}
	})
	t.Run("spectrum accepted", func(t *testing.T) {
		ts := open(t)
		sp := event.Spectrum{Schema: 1, Site: "site1", Sensor: "s1", TimeNS: Base.UnixNano(), CenterHz: 1e9, SampleRateHz: 2e7, PowerDBm: []float32{-100, -90}}
		if err := ts.WriteSpectrum(ctx, []event.Spectrum{sp}); err != nil {
			t.Fatal(err)
		}
	})
}

func idsOf(recs []store.DetectionRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

func heatEqual(a, b []store.HeatCell) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Room != b[i].Room || !a[i].HourStart.Equal(b[i].HourStart) || a[i].Count != b[i].Count {
			return false
		}
	}
	return true
}

// Fill writes n detections spread over the week from Base across rooms, in
// batches, for benchmarks.
func Fill(ctx context.Context, ts store.TimeSeries, site string, n, rooms int) error {
	const batch = 5000
	week := 7 * 24 * time.Hour
	recs := make([]store.DetectionRecord, 0, batch)
	for i := 0; i < n; i++ {
		at := Base.Add(time.Duration(int64(week) / int64(n) * int64(i)))
		recs = append(recs, Detection(site, fmt.Sprintf("f%09d", i), at, fmt.Sprintf("R%03d", i%rooms), i%5 == 0))
		if len(recs) == batch || i == n-1 {
			if err := ts.WriteDetections(ctx, recs); err != nil {
				return err
			}
			recs = recs[:0]
		}
	}
	return ts.Flush(ctx)
}
