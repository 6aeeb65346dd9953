package storetest

import (
	"context"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/internal/rusage"
)

// Base is the start of the test data: a Monday at 00:00 UTC.
var Base = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

// Detection returns a valid detection record for tests: the lead (and
// only) detection of its emission.
func Detection(site, id string, at time.Time, room string, authorised bool) store.DetectionRecord {
	return store.DetectionRecord{
		Detection: event.Detection{
			Schema: event.SchemaVersion, ID: id, Site: site, Sensor: "s1", TimeNS: at.UnixNano(),
			DurationNS: int64(time.Millisecond), CenterHz: 1.95e9, BandwidthHz: 5e6, PowerDBm: -60, SNRDB: 20,
			Band: "n1", Link: event.LinkUplink, Class: event.ClassNR, Confidence: 0.9, SampleStart: 10, SampleCount: 100,
		},
		Room: room, RoomProb: 0.8, Track: "t-" + room, Authorised: authorised, Lead: true,
	}
}

// Emission returns the detections of one emission heard by each of
// sensors (its first the lead, all at its time), IDs id-sensor.
func Emission(site, id string, at time.Time, room string, authorised bool, sensors ...string) []store.DetectionRecord {
	var out []store.DetectionRecord
	for i, sn := range sensors {
		r := Detection(site, id+"-"+sn, at.Add(time.Duration(i)*time.Microsecond), room, authorised)
		r.Sensor, r.Lead = sn, i == 0
		out = append(out, r)
	}
	return out
}

// Heard returns r heard as class on link.
func Heard(r store.DetectionRecord, class, link string) store.DetectionRecord {
	r.Class, r.Link = class, link
	return r
}

// TimeSeries runs the conformance suite against a fresh backend from open.
func TimeSeries(t *testing.T, open func(t *testing.T) store.TimeSeries) {
	ctx := context.Background()
	t.Run("detections and heatmap", func(t *testing.T) {
		ts := open(t)
		var recs []store.DetectionRecord
		// Room A: 3 unauthorised at 01:10, 01:20, 02:30; one authorised at
		// 01:40; the mast's LTE downlink at 02:40. Room B: 1 unauthorised at
		// 05:59:59.999; Wi-Fi at 05:30. Other site: 1 in room A.
		recs = append(recs,
			Detection("site1", "d1", Base.Add(70*time.Minute), "A", false),
			Detection("site1", "d2", Base.Add(80*time.Minute), "A", false),
			Detection("site1", "d3", Base.Add(150*time.Minute), "A", false),
			Detection("site1", "d4", Base.Add(100*time.Minute), "A", true),
			Detection("site1", "d5", Base.Add(6*time.Hour-time.Millisecond), "B", false),
			Detection("site2", "d6", Base.Add(70*time.Minute), "A", false),
			Heard(Detection("site1", "d7", Base.Add(160*time.Minute), "A", false), event.ClassLTE, event.LinkDownlink),
			Heard(Detection("site1", "d8", Base.Add(330*time.Minute), "B", false), event.ClassWiFi, event.LinkUnknown),
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
		day := Base.Add(24 * time.Hour)
		for _, c := range []struct {
			kind     store.HeatKind
			from, to time.Time
			a1, a2   int64 // room A at 01:00, 02:00
			b5       int64 // room B at 05:00
		}{
			{store.HeatTargets, Base, day, 2, 1, 1},
			{store.HeatUnauthorised, Base, day, 2, 2, 2},
			{store.HeatAll, Base, day, 3, 2, 2},
			// A window that cuts hours: [01:15, 02:45) holds d2, d4 (auth), d3, d7.
			{store.HeatTargets, Base.Add(75 * time.Minute), Base.Add(165 * time.Minute), 1, 1, 0},
			{store.HeatUnauthorised, Base.Add(75 * time.Minute), Base.Add(165 * time.Minute), 1, 2, 0},
		} {
			got, err := ts.Heatmap(ctx, "site1", c.from, c.to, c.kind)
			if err != nil {
				t.Fatal(err)
			}
			if want := WantHeat(recs, "site1", c.from, c.to, c.kind); !heatEqual(got, want) {
				t.Errorf("heatmap of %v over [%s, %s) = %v, want %v", c.kind, c.from.Format("15:04"), c.to.Format("15:04"), got, want)
			}
			perHour := map[string]int64{}
			for _, cell := range got {
				perHour[cell.Room+cell.Start.Truncate(time.Hour).Format("15")] += cell.Count
			}
			if want := map[string]int64{"A01": c.a1, "A02": c.a2, "B05": c.b5}; !maps.Equal(perHour, nonZero(want)) {
				t.Errorf("heatmap of %v over [%s, %s) per room and hour = %v, want %v", c.kind, c.from.Format("15:04"), c.to.Format("15:04"), perHour, nonZero(want))
			}
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
	t.Run("heatmap edges and late writes", func(t *testing.T) { heatEdgesAndLate(t, open(t)) })
	t.Run("heatmap counts each emission once", func(t *testing.T) { heatEmissions(t, open(t)) })
	t.Run("detections by ID", func(t *testing.T) { detectionsByID(t, open(t)) })
	t.Run("one ID from two sensors", func(t *testing.T) { oneIDTwoSensors(t, open(t)) })
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
	t.Run("fix heads", func(t *testing.T) { fixHeads(t, open(t)) })
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

// heatEdgesAndLate writes detections out of order, then late ones into hours
// already complete (and redeliveries), and after each step checks windows
// with whole hours, partial hours at either edge and none, against WantHeat.
func heatEdgesAndLate(t *testing.T, ts store.TimeSeries) {
	ctx := context.Background()
	at := func(h, m int, d time.Duration) time.Time {
		return Base.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + d)
	}
	var recs []store.DetectionRecord
	add := func(id string, t time.Time, room string, authorised bool) {
		recs = append(recs, Detection("site1", id, t, room, authorised))
	}
	add("e1", at(0, 0, 0), "A", false) // on an hour's first instant
	add("e2", at(0, 59, 59*time.Second+999_999_999*time.Nanosecond), "A", false)
	add("e3", at(1, 0, time.Nanosecond), "B", false)
	add("e4", at(1, 15, 0), "B", true)
	add("e5", at(1, 45, 0), "", false) // not located
	add("e6", at(2, 30, 0), "A", false)
	add("e6d", at(2, 40, 0), "A", false) // the mast's downlink: no target
	recs[len(recs)-1] = Heard(recs[len(recs)-1], event.ClassGSM, event.LinkDownlink)
	add("e7", at(3, 0, 0), "A", false)
	add("e8", at(3, 59, 0), "B", true)
	add("e9", at(5, 59, 59*time.Second), "B", false)
	add("e9w", at(0, 59, 0), "B", false) // Wi-Fi at an edge: no target
	recs[len(recs)-1] = Heard(recs[len(recs)-1], event.ClassWiFi, event.LinkUnknown)
	add("e10", at(30, 0, 0), "A", false) // next day
	recs = append(recs, Detection("site2", "x1", at(1, 20, 0), "A", false))
	slices.Reverse(recs) // newest first: out of order
	windows := []struct {
		name     string
		from, to time.Time
	}{
		{"day", at(0, 0, 0), at(24, 0, 0)},
		{"two days", at(0, 0, 0), at(48, 0, 0)},
		{"whole hours", at(1, 0, 0), at(3, 0, 0)},
		{"both edges partial", at(0, 30, 0), at(3, 30, 0)},
		{"start partial", at(1, 0, time.Nanosecond), at(4, 0, 0)},
		{"end partial", at(0, 0, 0), at(3, 0, time.Nanosecond)},
		{"inside one hour", at(1, 10, 0), at(1, 50, 0)},
		{"quarter-hour edges", at(1, 15, 0), at(2, 45, 0)},
		{"half-hour zone's hour", at(0, 30, 0), at(1, 30, 0)},
		{"inside one quarter", at(1, 1, 0), at(1, 14, 0)},
		{"across one boundary", at(0, 59, 59*time.Second), at(1, 0, time.Second)},
		{"empty", at(1, 0, 0), at(1, 0, 0)},
	}
	check := func(step string, written []store.DetectionRecord) {
		t.Helper()
		if err := ts.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		for _, w := range windows {
			for _, kind := range []store.HeatKind{store.HeatTargets, store.HeatUnauthorised, store.HeatAll} {
				got, err := ts.Heatmap(ctx, "site1", w.from, w.to, kind)
				if err != nil {
					t.Fatal(err)
				}
				if want := WantHeat(written, "site1", w.from, w.to, kind); !heatEqual(got, want) {
					t.Errorf("%s: window %s (%v): heatmap = %v, want %v", step, w.name, kind, got, want)
				}
			}
		}
	}
	if err := ts.WriteDetections(ctx, recs); err != nil {
		t.Fatal(err)
	}
	check("out of order", recs)
	// Late: hours 0-3 are complete and were counted; more arrive for them,
	// one at a time and older first, with redeliveries of e1 and e6.
	late := []store.DetectionRecord{
		Detection("site1", "l1", at(2, 5, 0), "A", false),
		Detection("site1", "l2", at(0, 10, 0), "C", false),
		recs[len(recs)-1-0], // e1 again
		Detection("site1", "l3", at(3, 20, 0), "B", true),
		Heard(Detection("site1", "l4", at(1, 30, 0), "B", false), event.ClassUnknown, event.LinkDownlink),
		recs[len(recs)-1-5], // e6 again
	}
	for _, r := range late {
		if err := ts.WriteDetections(ctx, []store.DetectionRecord{r}); err != nil {
			t.Fatal(err)
		}
	}
	check("late", append(slices.Clone(recs), late...))
}

// heatEmissions writes emissions each heard by several sensors (their
// detections a few microseconds apart, one the lead), in different
// quarter hours of one clock hour: the heatmap counts each emission once,
// in the quarter hour of its lead, whichever sensors heard it and however
// many; a redelivered lead does not count twice.
func heatEmissions(t *testing.T, ts store.TimeSeries) {
	ctx := context.Background()
	at := func(m int) time.Time { return Base.Add(5*time.Hour + time.Duration(m)*time.Minute) }
	var recs []store.DetectionRecord
	// one GSM phone in L2-N07 for a minute: 3 emissions heard by 5, 4 and 2
	// sensors; the first and second in 05:15-05:30, the third at 05:30
	recs = append(recs, Emission("site1", "g1", at(20), "L2-N07", false, "s2", "s4", "s3", "s7", "s6")...)
	recs = append(recs, Emission("site1", "g2", at(29), "L2-N07", false, "s2", "s4", "s3", "s7")...)
	recs = append(recs, Emission("site1", "g3", at(30), "L2-N07", false, "s6", "s2")...)
	// an authorised handset in the next room, heard by 3
	recs = append(recs, Emission("site1", "ok1", at(40), "L2-N08", true, "s2", "s3", "s4")...)
	// an emission too vague to place: no room
	recs = append(recs, Emission("site1", "v1", at(50), "", false, "s9", "s1")...)
	if err := ts.WriteDetections(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if err := ts.WriteDetections(ctx, recs[:1]); err != nil { // g1's lead again
		t.Fatal(err)
	}
	if err := ts.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	q := func(m int) time.Time { return at(m).Truncate(store.HeatBucket) }
	for _, c := range []struct {
		name     string
		kind     store.HeatKind
		from, to time.Time
		want     []store.HeatCell
	}{
		{"targets, the day", store.HeatTargets, Base, Base.Add(24 * time.Hour), []store.HeatCell{
			{Room: "L2-N07", Start: q(20), Count: 2}, {Room: "L2-N07", Start: q(30), Count: 1}, {Room: "", Start: q(50), Count: 1}}},
		{"all, the day", store.HeatAll, Base, Base.Add(24 * time.Hour), []store.HeatCell{
			{Room: "L2-N07", Start: q(20), Count: 2}, {Room: "L2-N07", Start: q(30), Count: 1}, {Room: "", Start: q(50), Count: 1},
			{Room: "L2-N08", Start: q(30), Count: 1}}},
		{"all, a partial hour", store.HeatAll, at(25), at(45), []store.HeatCell{
			{Room: "L2-N07", Start: q(20), Count: 1}, {Room: "L2-N07", Start: q(30), Count: 1}, {Room: "L2-N08", Start: q(30), Count: 1}}},
	} {
		got, err := ts.Heatmap(ctx, "site1", c.from, c.to, c.kind)
		if err != nil {
			t.Fatal(err)
		}
		store.SortHeat(c.want)
		if !heatEqual(got, c.want) {
			t.Errorf("%s: heatmap = %v, want %v", c.name, got, c.want)
		}
		if want := WantHeat(recs, "site1", c.from, c.to, c.kind); !heatEqual(got, want) {
			t.Errorf("%s: heatmap = %v, WantHeat %v", c.name, got, want)
		}
	}
}

// nonZero returns m without its zero counts.
func nonZero(m map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

// WantHeat counts recs the way every TimeSeries.Heatmap must: per room and
// store.HeatBucket (UTC) in [from, to), each emission once (its lead
// detection: sensor and ID once), sorted by SortHeat.
func WantHeat(recs []store.DetectionRecord, site string, from, to time.Time, kind store.HeatKind) []store.HeatCell {
	seen := map[[2]string]bool{}
	counts := map[store.HeatCell]int64{}
	for _, r := range recs {
		t := time.Unix(0, r.TimeNS).UTC()
		key := [2]string{r.Sensor, r.ID}
		if seen[key] || r.Site != site || t.Before(from) || !t.Before(to) || !kind.Counts(r) {
			continue
		}
		seen[key] = true
		counts[store.HeatCell{Room: r.Room, Start: t.Truncate(store.HeatBucket)}]++
	}
	var out []store.HeatCell
	for c, n := range counts {
		c.Count = n
		out = append(out, c)
	}
	store.SortHeat(out)
	return out
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
		if a[i].Room != b[i].Room || !a[i].Start.Equal(b[i].Start) || a[i].Count != b[i].Count {
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

// HeatmapWeek is the dashboard's benchmark: it fills ts with a million
// detections over a week (Fill, 120 rooms), then asks b.N times for the
// week's unauthorised heatmap, as the dashboard does. Beside the mean (ns/op)
// it reports the 50th and 95th percentile latencies (p50-ms, p95-ms), the
// benchmark process's CPU time per query (cpu-ms/op) and, when serverCPU is
// not nil, the database server's (server-cpu-ms/op).
func HeatmapWeek(b *testing.B, ts store.TimeSeries, serverCPU func() time.Duration) {
	ctx := context.Background()
	start := time.Now()
	if err := Fill(ctx, ts, "site1", 1_000_000, 120); err != nil {
		b.Fatal(err)
	}
	b.Logf("filled 1,000,000 detections in %v", time.Since(start).Round(time.Millisecond))
	if serverCPU == nil {
		serverCPU = func() time.Duration { return 0 }
	}
	lat := make([]time.Duration, 0, b.N)
	cpu0, srv0 := processCPU(), serverCPU()
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		cells, err := ts.Heatmap(ctx, "site1", Base.Add(17*time.Minute), Base.Add(7*24*time.Hour), store.HeatTargets)
		lat = append(lat, time.Since(t0))
		if err != nil || len(cells) == 0 {
			b.Fatal(err, len(cells))
		}
	}
	b.StopTimer()
	b.ReportMetric(Percentile(lat, 50).Seconds()*1e3, "p50-ms")
	b.ReportMetric(Percentile(lat, 95).Seconds()*1e3, "p95-ms")
	b.ReportMetric((processCPU()-cpu0).Seconds()*1e3/float64(b.N), "cpu-ms/op")
	if srv := serverCPU() - srv0; srv > 0 {
		b.ReportMetric(srv.Seconds()*1e3/float64(b.N), "server-cpu-ms/op")
	}
}

// processCPU returns the user plus system CPU time of this process.
func processCPU() time.Duration {
	u, err := rusage.Self()
	if err != nil {
		return 0
	}
	return u.CPU()
}

// Percentile returns the p-th percentile (nearest rank) of ds, 0 for none.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}

// IDFinder is what the dashboard asks of a backend to find an alert's
// evidence: store.SQLite and store.Influx implement it.
type IDFinder interface {
	DetectionsByID(ctx context.Context, site string, from, to time.Time, ids []string) ([]store.DetectionRecord, error)
}

// detectionsByID: the evidence is found by ID among 300 newer detections
// (a window query capped below them misses it), newest first, only of the
// site and window asked.
func detectionsByID(t *testing.T, ts store.TimeSeries) {
	ctx := context.Background()
	f, ok := ts.(IDFinder)
	if !ok {
		t.Fatalf("%T has no DetectionsByID", ts)
	}
	recs := []store.DetectionRecord{
		Detection("site1", "ev-1", Base.Add(time.Minute), "A", false),
		Detection("site1", "ev-2", Base.Add(2*time.Minute), "A", false),
		Detection("site2", "ev-3", Base.Add(2*time.Minute), "A", false),
	}
	for i := range 300 {
		recs = append(recs, Detection("site1", fmt.Sprintf("other-%03d", i), Base.Add(3*time.Minute+time.Duration(i)*time.Second), "B", false))
	}
	if err := ts.WriteDetections(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if err := ts.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	ids := func(rs []store.DetectionRecord) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	got, err := f.DetectionsByID(ctx, "site1", Base, Base.Add(time.Hour), []string{"ev-1", "ev-2", "ev-3", "nope"})
	if err != nil || !slices.Equal(ids(got), []string{"ev-2", "ev-1"}) {
		t.Errorf("DetectionsByID = %v, %v; want [ev-2 ev-1] (site1 only, newest first)", ids(got), err)
	}
	if len(got) > 0 && got[0].Room != "A" || len(got) > 0 && got[0].CenterHz != 1.95e9 {
		t.Errorf("DetectionsByID returned %+v: the record is not whole", got[0])
	}
	got, err = f.DetectionsByID(ctx, "site1", Base.Add(90*time.Second), Base.Add(time.Hour), []string{"ev-1", "ev-2"})
	if err != nil || !slices.Equal(ids(got), []string{"ev-2"}) {
		t.Errorf("DetectionsByID from 00:01:30 = %v, %v; want [ev-2]", ids(got), err)
	}
	if got, err := f.DetectionsByID(ctx, "site1", Base, Base.Add(time.Hour), nil); err != nil || len(got) != 0 {
		t.Errorf("no IDs: %v, %v; want nothing", ids(got), err)
	}
}

// oneIDTwoSensors: a detection is identified by its sensor and its ID, not
// by its ID alone. Two sensors whose IDs collide (a counter reset by a
// reflash, a cloned node) both have their detection stored and counted;
// only the same sensor's ID again is a redelivery. Both are evidence for
// the ID (the alert names IDs only).
func oneIDTwoSensors(t *testing.T, ts store.TimeSeries) {
	ctx := context.Background()
	at := Base.Add(10 * time.Minute)
	a := Detection("site1", "s1-boot-7", at, "A", false)
	b := Detection("site1", "s1-boot-7", at, "B", false)
	b.Sensor, b.CenterHz = "s2", 1.96e9
	if err := ts.WriteDetections(ctx, []store.DetectionRecord{a}); err != nil {
		t.Fatal(err)
	}
	// the other sensor's detection, then each again (redelivery)
	for _, recs := range [][]store.DetectionRecord{{b}, {a, b}} {
		if err := ts.WriteDetections(ctx, recs); err != nil {
			t.Fatal(err)
		}
	}
	if err := ts.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	dets, err := ts.Detections(ctx, "site1", Base, Base.Add(time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	keysOf := func(recs []store.DetectionRecord) []string {
		var out []string
		for _, r := range recs {
			out = append(out, r.Sensor+"/"+r.ID+"/"+r.Room)
		}
		return out
	}
	want := []string{"s1/s1-boot-7/A", "s2/s1-boot-7/B"}
	if got := keysOf(dets); !slices.Equal(got, want) {
		t.Errorf("detections = %v, want %v (each sensor's once, by sensor at one time)", got, want)
	}
	from, to := Base, Base.Add(2*time.Hour)
	for _, kind := range []store.HeatKind{store.HeatAll, store.HeatTargets} {
		got, err := ts.Heatmap(ctx, "site1", from, to, kind)
		if wantHeat := WantHeat([]store.DetectionRecord{a, b, a, b}, "site1", from, to, kind); err != nil || !heatEqual(got, wantHeat) {
			t.Errorf("heatmap of %v = %v, %v; want %v", kind, got, err, wantHeat)
		}
	}
	if f, ok := ts.(IDFinder); ok {
		got, err := f.DetectionsByID(ctx, "site1", Base, Base.Add(time.Hour), []string{"s1-boot-7"})
		if err != nil || !slices.Equal(keysOf(got), want) {
			t.Errorf("DetectionsByID = %v, %v; want %v", keysOf(got), err, want)
		}
	}
}

// fixHeads checks the backend's FixIndex against Locations: the heads of
// a window's fixes (authorised or not, of several classes and links, of a
// track or none, several at one instant, another site's left out) in
// Locations' order, with its fields, under a limit too; and LocationsOf
// any subset of them gives those fixes whole, in the heads' order.
func fixHeads(t *testing.T, ts store.TimeSeries) {
	ctx := context.Background()
	fi, ok := ts.(store.FixIndex)
	if !ok {
		t.Fatalf("%T does not implement store.FixIndex", ts)
	}
	var locs []store.LocationRecord
	classes := [][2]string{{event.ClassLTE, event.LinkUplink}, {event.ClassLTE, event.LinkDownlink}, {event.ClassDroneID, event.LinkUnknown}, {event.ClassWiFi, event.LinkUnknown}}
	for i := range 24 {
		cl := classes[i%len(classes)]
		// two a second
		at := Base.Add(time.Duration(i/2) * time.Second).UnixNano()
		l := store.LocationRecord{Site: "site1", Track: fmt.Sprintf("t%d", i%5), Class: cl[0], Link: cl[1], TimeNS: at,
			Floor: "f1", Room: fmt.Sprintf("R%d", i%3), RoomProb: 0.5, RoomProbs: map[string]float64{fmt.Sprintf("R%d", i%3): 0.5, "R9": 0.25},
			XM: float64(i), YM: 1, Sensors: []string{"s1"}, Authorised: i%3 == 0}
		if i%7 == 0 {
			l.Track = ""
		}
		locs = append(locs, l)
	}
	other := locs[0]
	other.Site = "site2"
	if err := ts.WriteLocations(ctx, append(locs, other)); err != nil {
		t.Fatal(err)
	}
	if err := ts.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int{100, 7} {
		want, err := ts.Locations(ctx, "site1", Base, Base.Add(time.Hour), limit)
		if err != nil {
			t.Fatal(err)
		}
		heads, err := fi.LocationHeads(ctx, "site1", Base, Base.Add(time.Hour), limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(heads) != len(want) || len(want) != min(limit, len(locs)) {
			t.Fatalf("limit %d: %d heads, %d fixes, want %d", limit, len(heads), len(want), min(limit, len(locs)))
		}
		for i, h := range heads {
			w := want[i]
			if h.TimeNS != w.TimeNS || h.Track != w.Track || h.Class != w.Class || h.Link != w.Link || h.Authorised != w.Authorised {
				t.Errorf("limit %d: head %d = %+v, want the fields of %+v", limit, i, h, w)
			}
		}
		for _, pick := range []func(i int) bool{
			func(int) bool { return true },
			func(i int) bool { return !heads[i].Authorised },
			func(i int) bool { return i%4 == 1 },
		} {
			var sub []store.FixHead
			var wantSub []store.LocationRecord
			for i := range heads {
				if pick(i) {
					sub, wantSub = append(sub, heads[i]), append(wantSub, want[i])
				}
			}
			got, err := fi.LocationsOf(ctx, "site1", sub)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, wantSub) {
				t.Errorf("limit %d: LocationsOf %d heads:\n got %+v\nwant %+v", limit, len(sub), got, wantSub)
			}
		}
	}
}
