package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/influxtest"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

func openInflux(t testing.TB, srv *influxtest.Server, db string) *store.Influx {
	t.Helper()
	s, err := store.OpenInflux(store.InfluxConfig{URL: srv.URL, Database: db, SpoolDir: filepath.Join(t.TempDir(), "spool")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestInfluxTimeSeriesConformance runs the suite against the store as it
// runs (whole hours from the heat roll-up) and against one that never rolls
// up (every hour counted from the detection points): both must answer alike.
func TestInfluxTimeSeriesConformance(t *testing.T) {
	srv := influxtest.Start(t)
	n := 0
	t.Run("rolled up", func(t *testing.T) {
		storetest.TimeSeries(t, func(t *testing.T) store.TimeSeries {
			n++
			return openInflux(t, srv, fmt.Sprintf("conf%d", n))
		})
	})
	t.Run("raw", func(t *testing.T) {
		storetest.TimeSeries(t, func(t *testing.T) store.TimeSeries {
			n++
			s, err := store.OpenInfluxUnrolled(store.InfluxConfig{URL: srv.URL, Database: fmt.Sprintf("conf%d", n), SpoolDir: filepath.Join(t.TempDir(), "spool")})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		})
	})
}

// checkHeat asserts that the heatmap of site1 over [from, to) equals
// storetest.WantHeat of recs (of every kind) and that no hour's
// roll-up there is behind its writes.
func checkHeat(t *testing.T, s *store.Influx, recs []store.DetectionRecord, from, to time.Time) {
	t.Helper()
	checkKinds(t, s, recs, from, to)
	behind, err := store.HeatBehind(context.Background(), s, "site1", from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(behind) > 0 {
		t.Errorf("heat roll-up behind its writes for hours %v", behind)
	}
}

// checkKinds asserts that the heatmap of site1 over [from, to) of every kind
// equals storetest.WantHeat of recs.
func checkKinds(t *testing.T, s *store.Influx, recs []store.DetectionRecord, from, to time.Time) {
	t.Helper()
	ctx := context.Background()
	for _, kind := range []store.HeatKind{store.HeatTargets, store.HeatUnauthorised, store.HeatAll} {
		got, err := s.Heatmap(ctx, "site1", from, to, kind)
		if err != nil {
			t.Fatal(err)
		}
		want := storetest.WantHeat(recs, "site1", from, to, kind)
		if len(want) == 0 {
			t.Fatal("test data has no detection in the window")
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("heatmap (%v) = %v, want %v", kind, got, want)
		}
	}
}

// TestInfluxHeatRollupAfterCrash writes detections with a store that never
// rolls up (as if it crashed between delivering them and rolling up their
// hours), then opens a normal store on the same database: it finds the hours
// left behind, rolls them up, and late detections into those hours are
// rolled up again after delivery.
func TestInfluxHeatRollupAfterCrash(t *testing.T) {
	ctx := context.Background()
	srv := influxtest.Start(t)
	crashed, err := store.OpenInfluxUnrolled(store.InfluxConfig{URL: srv.URL, Database: "crash", SpoolDir: filepath.Join(t.TempDir(), "spool")})
	if err != nil {
		t.Fatal(err)
	}
	recs := mixedDetections(60)
	from, to := storetest.Base, storetest.Base.Add(8*time.Hour)
	writeBehind(t, crashed, recs, from, to)
	crashed.Close()
	s, recs := reopen(t, srv, "crash", recs)
	checkHeat(t, s, recs, from.Add(10*time.Minute), to.Add(2*time.Hour))
	late := storetest.Detection("site1", "late", storetest.Base.Add(2*time.Hour+time.Second), "R1", false)
	recs = append(recs, late)
	if err := s.WriteDetections(ctx, []store.DetectionRecord{late, recs[3]}); err != nil { // with a redelivery
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	checkHeat(t, s, recs, from, to)
}

// TestInfluxHeatRollupUpgrade: hours rolled up before the target counts
// existed are counted from the points for a heatmap of targets, and the
// next version recounts them when it starts.
func TestInfluxHeatRollupUpgrade(t *testing.T) {
	srv := influxtest.Start(t)
	old, err := store.OpenInfluxWithoutTarget(store.InfluxConfig{URL: srv.URL, Database: "upgrade", SpoolDir: filepath.Join(t.TempDir(), "spool")})
	if err != nil {
		t.Fatal(err)
	}
	recs := mixedDetections(60)
	from, to := storetest.Base, storetest.Base.Add(8*time.Hour)
	writeBehind(t, old, recs, from, to)
	checkKinds(t, old, recs, from, to)
	old.Close()
	s, recs := reopen(t, srv, "upgrade", recs)
	checkHeat(t, s, recs, from, to.Add(2*time.Hour))
}

// writeBehind writes recs with s and checks that the 28 quarter hours of
// [from, to) they touch (7 hours) are left behind (s does not roll up as a
// store of this version does).
func writeBehind(t *testing.T, s *store.Influx, recs []store.DetectionRecord, from, to time.Time) {
	t.Helper()
	ctx := context.Background()
	if err := s.WriteDetections(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if behind, err := store.HeatBehind(ctx, s, "site1", from, to); err != nil || len(behind) != 28 {
		t.Fatalf("%d quarter hours behind (err %v), want 28", len(behind), err)
	}
}

// reopen opens a store of this version on db and writes one more
// detection with it: its Flush returns once the sender is idle, which is
// after the scan for hours left behind and their roll-up. It returns the
// store and recs with the new detection.
func reopen(t *testing.T, srv *influxtest.Server, db string, recs []store.DetectionRecord) (*store.Influx, []store.DetectionRecord) {
	t.Helper()
	s := openInflux(t, srv, db)
	more := storetest.Detection("site1", "m1", storetest.Base.Add(9*time.Hour), "R0", false)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := s.WriteDetections(ctx, []store.DetectionRecord{more}); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return s, append(recs, more)
}

// mixedDetections returns n detections of site1, one every 7 minutes from
// storetest.Base over three rooms, every fourth authorised, and every third
// heard as something fusion does not alert on (LTE downlink or Wi-Fi).
func mixedDetections(n int) []store.DetectionRecord {
	var recs []store.DetectionRecord
	for i := range n {
		r := storetest.Detection("site1", fmt.Sprintf("c%03d", i), storetest.Base.Add(time.Duration(i)*7*time.Minute),
			fmt.Sprintf("R%d", i%3), i%4 == 0)
		switch i % 6 {
		case 2:
			r = storetest.Heard(r, event.ClassLTE, event.LinkDownlink)
		case 5:
			r = storetest.Heard(r, event.ClassWiFi, event.LinkUnknown)
		}
		recs = append(recs, r)
	}
	return recs
}

// TestInfluxOutage stops InfluxDB while detections are written (into an
// hour already rolled up), restarts it, and checks that every point arrives
// exactly once and that the heatmap's roll-up has caught up with them.
func TestInfluxOutage(t *testing.T) {
	ctx := context.Background()
	srv := influxtest.Start(t)
	s := openInflux(t, srv, "outage")
	var recs []store.DetectionRecord
	write := func(from, to int) {
		for i := from; i < to; i++ {
			rec := storetest.Detection("site1", fmt.Sprintf("o%04d", i), storetest.Base.Add(time.Duration(i)*time.Second), "A", i%3 == 0)
			recs = append(recs, rec)
			if err := s.WriteDetections(ctx, []store.DetectionRecord{rec}); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(0, 100)
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Stop() // injected: InfluxDB down
	write(100, 300)
	if s.Pending() == 0 {
		t.Fatal("nothing spooled while InfluxDB was down")
	}
	srv.Restart()
	fctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := s.Flush(fctx); err != nil {
		t.Fatal(err)
	}
	got, err := s.Detections(ctx, "site1", storetest.Base, storetest.Base.Add(time.Hour), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 300 {
		t.Fatalf("after outage: %d detections stored, want 300", len(got))
	}
	seen := map[string]bool{}
	for _, d := range got {
		if seen[d.ID] {
			t.Fatalf("duplicate %s", d.ID)
		}
		seen[d.ID] = true
	}
	checkHeat(t, s, recs, storetest.Base, storetest.Base.Add(2*time.Hour))
}

// TestInfluxSpoolSurvivesRestart closes the store while InfluxDB is down and
// reopens it on the same spool: the queued points are delivered.
func TestInfluxSpoolSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	srv := influxtest.Start(t)
	spoolDir := filepath.Join(t.TempDir(), "spool")
	srv.Stop()
	s, err := store.OpenInflux(store.InfluxConfig{URL: srv.URL, Database: "restart", SpoolDir: spoolDir})
	if err != nil {
		t.Fatal(err)
	}
	var recs []store.DetectionRecord
	for i := 0; i < 50; i++ {
		rec := storetest.Detection("site1", fmt.Sprintf("r%04d", i), storetest.Base.Add(time.Duration(i)*time.Second), "A", false)
		recs = append(recs, rec)
		if err := s.WriteDetections(ctx, []store.DetectionRecord{rec}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	srv.Restart()
	s2, err := store.OpenInflux(store.InfluxConfig{URL: srv.URL, Database: "restart", SpoolDir: spoolDir})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	fctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := s2.Flush(fctx); err != nil {
		t.Fatal(err)
	}
	got, err := s2.Detections(ctx, "site1", storetest.Base, storetest.Base.Add(time.Hour), 1000)
	if err != nil || len(got) != 50 {
		t.Fatalf("after reopen: %d detections, err %v; want 50", len(got), err)
	}
	checkHeat(t, s2, recs, storetest.Base, storetest.Base.Add(2*time.Hour))
}

// BenchmarkInfluxHeatmapWeek measures the heatmap query for one week over
// one million stored detections.
func BenchmarkInfluxHeatmapWeek(b *testing.B) {
	srv := influxtest.Start(b)
	storetest.HeatmapWeek(b, openInflux(b, srv, "bench"), srv.CPUTime)
}

// TestInfluxReadOnly: the dashboard opens InfluxDB read-only. It answers
// what fusion's writing store wrote, alike, and refuses writes; opened
// before fusion has created the database, its queries say so by name.
func TestInfluxReadOnly(t *testing.T) {
	srv := influxtest.Start(t)
	ctx := context.Background()
	r, err := store.OpenInflux(store.InfluxConfig{URL: srv.URL, Database: "ro", ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	week := storetest.Base.Add(7 * 24 * time.Hour)
	_, errD := r.Detections(ctx, "site1", storetest.Base, week, 10)
	_, errH := r.Heatmap(ctx, "site1", storetest.Base, week, store.HeatAll)
	for _, err := range []error{errD, errH} {
		if !errors.Is(err, store.ErrNoDatabase) || !strings.Contains(err.Error(), `"ro"`) {
			t.Errorf("before the database exists: error %v, want ErrNoDatabase naming \"ro\"", err)
		}
	}

	w := openInflux(t, srv, "ro")
	if err := storetest.Fill(ctx, w, "site1", 3000, 12); err != nil {
		t.Fatal(err)
	}
	loc := store.LocationRecord{Site: "site1", Track: "t1", Class: "lte", Room: "R001", RoomProb: 0.7, TimeNS: storetest.Base.Add(time.Hour).UnixNano()}
	h := event.Health{Schema: event.SchemaVersion, Site: "site1", Sensor: "s1", TimeNS: storetest.Base.Add(time.Hour).UnixNano(), State: event.StateOK, Version: "v"}
	if err := errors.Join(w.WriteLocations(ctx, []store.LocationRecord{loc}), w.WriteHealth(ctx, []event.Health{h}), w.Flush(ctx)); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []store.HeatKind{store.HeatTargets, store.HeatUnauthorised, store.HeatAll} {
		want, err := w.Heatmap(ctx, "site1", storetest.Base, week, kind)
		if err != nil || len(want) == 0 {
			t.Fatalf("writer's heatmap: %v, %v", want, err)
		}
		if got, err := r.Heatmap(ctx, "site1", storetest.Base, week, kind); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("read-only heatmap (%v) = %v, %v; want the writer's %v", kind, got, err, want)
		}
	}
	if got, err := r.Detections(ctx, "site1", storetest.Base, week, 5000); err != nil || len(got) != 3000 {
		t.Errorf("read-only detections: %d, %v; want 3000", len(got), err)
	}
	if got, err := r.Locations(ctx, "site1", storetest.Base, week, 10); err != nil || len(got) != 1 || got[0].Track != "t1" {
		t.Errorf("read-only locations: %+v, %v", got, err)
	}
	if got, err := r.HealthSeries(ctx, "site1", "s1", storetest.Base, week); err != nil || len(got) != 1 || got[0].TimeNS != h.TimeNS {
		t.Errorf("read-only health: %+v, %v", got, err)
	}
	if err := r.WriteDetections(ctx, []store.DetectionRecord{storetest.Detection("site1", "x", storetest.Base, "R001", false)}); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("read-only write: %v, want ErrReadOnly", err)
	}
	if err := r.Flush(ctx); err != nil {
		t.Errorf("read-only flush: %v", err)
	}
}

// TestInfluxUserNotAdmin: with authentication on, fusion's user has rights
// on its database only (docs/deploy.md), which an admin created. Only an
// admin may CREATE DATABASE, and fusion issued it before every delivery:
// the 403 kept every write in the spool for ever. It now asks SHOW
// DATABASES first, and delivers.
func TestInfluxUserNotAdmin(t *testing.T) {
	srv := influxtest.StartAuth(t)
	srv.Exec("", "", `CREATE USER "admin" WITH PASSWORD 'admin-pw' WITH ALL PRIVILEGES`)
	for _, q := range []string{`CREATE DATABASE "site"`, `CREATE USER "rfwarden" WITH PASSWORD 'fusion-pw'`, `GRANT ALL ON "site" TO "rfwarden"`} {
		srv.Exec("admin", "admin-pw", q)
	}
	s, err := store.OpenInflux(store.InfluxConfig{URL: srv.URL, Database: "site", Username: "rfwarden", Password: "fusion-pw",
		SpoolDir: filepath.Join(t.TempDir(), "spool")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	recs := mixedDetections(10)
	if err := s.WriteDetections(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatalf("flush: %v (%d batches still spooled)", err, s.Pending())
	}
	got, err := s.Detections(ctx, "site1", storetest.Base.Add(-time.Hour), storetest.Base.Add(48*time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(recs) {
		t.Errorf("read back %d detections, want %d", len(got), len(recs))
	}
}

// TestInfluxPointOutsideRetention: InfluxDB refuses a point older than the
// retention policy (a sensor whose clock came up at a wrong date) with a
// 400 "partial write" and writes the batch's other points. Sending that
// batch again forever held every later batch in the spool; it is counted
// as refused and the spool moves on.
func TestInfluxPointOutsideRetention(t *testing.T) {
	srv := influxtest.Start(t)
	srv.Exec("", "", `CREATE DATABASE "ret" WITH DURATION 1h REPLICATION 1 NAME "h1"`)
	s, err := store.OpenInflux(store.InfluxConfig{URL: srv.URL, Database: "ret", RP: "h1", SpoolDir: filepath.Join(t.TempDir(), "spool")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	now := time.Now().Add(-time.Minute).Truncate(time.Second)
	for _, batch := range [][]store.DetectionRecord{
		{storetest.Detection("site1", "before", now, "R1", false)},
		{storetest.Detection("site1", "old-clock", now.Add(-10*24*time.Hour), "R1", false), storetest.Detection("site1", "beside", now.Add(time.Second), "R1", false)},
		{storetest.Detection("site1", "after", now.Add(2*time.Second), "R1", false)},
	} {
		if err := s.WriteDetections(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatalf("flush: %v (%d batches still spooled)", err, s.Pending())
	}
	got, err := s.Detections(ctx, "site1", now.Add(-time.Minute), now.Add(time.Minute), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || s.Refused() < 1 {
		t.Errorf("read back %d detections with %d batches refused, want 3 (before, beside, after) and at least 1", len(got), s.Refused())
	}
}
