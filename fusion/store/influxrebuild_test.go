package store_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/influxtest"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// heatUpgradeData returns emissionsAndFixes(60) (emissions heard by 2 to
// 5 sensors, every fifth never located), the detections as the upgrade
// can know them (the lead of each located emission: the one its location
// names), and a SQLite store given the same data written the old way and
// then upgraded (migrateHeatEmissions), as the reference.
func heatUpgradeData(t *testing.T) (recs []store.DetectionRecord, locs []store.LocationRecord, want []store.DetectionRecord, ref *store.SQLite) {
	t.Helper()
	ctx := context.Background()
	recs, locs = emissionsAndFixes(60)
	for _, r := range recs {
		r.Lead = r.Lead && r.Room != ""
		want = append(want, r)
	}
	path := filepath.Join(t.TempDir(), "ref.db")
	s, err := store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(s.WriteDetections(ctx, recs), s.WriteLocations(ctx, locs)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := oldHeatTable(ctx, path, false); err != nil {
		t.Fatal(err)
	}
	if ref, err = store.OpenSQLite(path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ref.Close() })
	return recs, locs, want, ref
}

// writeOldInflux writes recs and locs into db as a version before
// 2026-12-05 did: detection points without a lead field, heat_hour
// marks, and no heat_quarter.
func writeOldInflux(t *testing.T, srv *influxtest.Server, db string, recs []store.DetectionRecord, locs []store.LocationRecord) {
	t.Helper()
	ctx := context.Background()
	old, err := store.OpenInfluxOld(store.InfluxConfig{URL: srv.URL, Database: db, SpoolDir: filepath.Join(t.TempDir(), "spool")})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if err := errors.Join(store.WriteOldDetections(ctx, old, recs), old.WriteLocations(ctx, locs)); err != nil {
		t.Fatal(err)
	}
	if err := old.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := old.Heatmap(ctx, "site1", storetest.Base, storetest.Base.Add(8*time.Hour), store.HeatAll)
	if err != nil || len(got) != 0 {
		t.Fatalf("the old data's heatmap before the upgrade = %v, %v; want none (no lead fields)", got, err)
	}
}

// openRebuilt opens a store with open and waits for its rebuild of the
// heat roll-up; it returns the store, closed by the returned func (or at
// the test's end), and the chunks rebuilt.
func openRebuilt(t *testing.T, open func() (*store.Influx, error)) (*store.Influx, func(), int) {
	t.Helper()
	s, err := open()
	if err != nil {
		t.Fatal(err)
	}
	closer := sync.OnceFunc(func() { s.Close() })
	t.Cleanup(closer)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n, err := store.WaitHeatRebuilt(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	return s, closer, n
}

// compareHeat asserts that s's heatmap of every kind over several windows
// (whole quarter hours, and windows whose edges cut quarter hours, which
// are counted from the lead fields) equals the SQLite reference's and
// storetest.WantHeat of want.
func compareHeat(t *testing.T, step string, s *store.Influx, ref *store.SQLite, want []store.DetectionRecord) {
	t.Helper()
	ctx := context.Background()
	from, to := storetest.Base, storetest.Base.Add(10*time.Hour)
	for _, w := range [][2]time.Time{{from, to}, {from.Add(20 * time.Minute), to.Add(-50 * time.Minute)}, {from.Add(7 * time.Minute), from.Add(3*time.Hour + time.Minute)}} {
		for _, kind := range []store.HeatKind{store.HeatTargets, store.HeatUnauthorised, store.HeatAll} {
			got, err := s.Heatmap(ctx, "site1", w[0], w[1], kind)
			if err != nil {
				t.Fatal(err)
			}
			sq, err := ref.Heatmap(ctx, "site1", w[0], w[1], kind)
			if err != nil {
				t.Fatal(err)
			}
			wh := storetest.WantHeat(want, "site1", w[0], w[1], kind)
			if len(wh) == 0 {
				t.Fatal("test data has no emission in the window")
			}
			if !reflect.DeepEqual(got, sq) || !reflect.DeepEqual(got, wh) {
				t.Errorf("%s: heatmap of %v over [%s, %s) = %v\nSQLite after its upgrade %v\nWantHeat %v",
					step, kind, w[0].Format("15:04"), w[1].Format("15:04"), got, sq, wh)
			}
		}
	}
	if behind, err := store.HeatBehind(ctx, s, "site1", from, to); err != nil || len(behind) > 0 {
		t.Errorf("%s: heat roll-up behind for quarter hours %v (%v)", step, behind, err)
	}
}

// TestInfluxHeatEmissionUpgrade: an InfluxDB store written before the
// heatmap counted emissions (detection points without lead fields,
// heat_hour, no heat_quarter) is rebuilt when the store opens: each
// stored location marks the detection point at its time, of its track,
// as its emission's lead, and the roll-up is counted for those quarter
// hours, so the heatmap shows the past as SQLite's upgrade does. A second
// open rebuilds nothing and counts nothing twice; new writes count as
// usual.
func TestInfluxHeatEmissionUpgrade(t *testing.T) {
	ctx := context.Background()
	srv := influxtest.Start(t)
	recs, locs, want, ref := heatUpgradeData(t)
	writeOldInflux(t, srv, "old", recs, locs)
	var logs syncbuf.Buffer
	cfg := store.InfluxConfig{URL: srv.URL, Database: "old", SpoolDir: filepath.Join(t.TempDir(), "spool"), Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	s, closeS, n := openRebuilt(t, func() (*store.Influx, error) { return store.OpenInflux(cfg) })
	if n == 0 {
		t.Error("the upgrade rebuilt no chunk")
	}
	compareHeat(t, "after the upgrade", s, ref, want)
	closeS()
	for _, w := range []string{"rebuilding the heat roll-up", "done_pct=100", "heat roll-up rebuilt"} {
		if !strings.Contains(logs.String(), w) {
			t.Errorf("the rebuild's log has no %q:\n%s", w, logs.String())
		}
	}
	cfg.Logger = nil

	s, _, n = openRebuilt(t, func() (*store.Influx, error) { return store.OpenInflux(cfg) })
	if n != 0 {
		t.Errorf("the second open rebuilt %d chunks, want none", n)
	}
	compareHeat(t, "opened again", s, ref, want)

	more := storetest.Emission("site1", "new", storetest.Base.Add(3*time.Hour+time.Minute), "R1", false, "s1", "s2", "s3")
	if err := errors.Join(s.WriteDetections(ctx, more), ref.WriteDetections(ctx, more)); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	compareHeat(t, "a new emission", s, ref, append(want, more...))
}

// TestInfluxHeatEmissionUpgradeInterrupted: a rebuild that stops midway
// (as if fusion crashed or was stopped: after marking a chunk's leads,
// after marking its quarter hours written, after rolling them up) is
// resumed by the next open and ends with the same counts as one that ran
// through, none counted twice.
func TestInfluxHeatEmissionUpgradeInterrupted(t *testing.T) {
	srv := influxtest.Start(t)
	recs, locs, want, ref := heatUpgradeData(t)
	for _, crash := range []int{1, 2, 3, 5, 10} {
		t.Run(fmt.Sprint("crash after step ", crash), func(t *testing.T) {
			db := fmt.Sprintf("crash%d", crash)
			writeOldInflux(t, srv, db, recs, locs)
			cfg := store.InfluxConfig{URL: srv.URL, Database: db, SpoolDir: filepath.Join(t.TempDir(), "spool")}
			s, closeS, _ := openRebuilt(t, func() (*store.Influx, error) { return store.OpenInfluxRebuildCrash(cfg, time.Hour, crash) })
			from, to := storetest.Base, storetest.Base.Add(10*time.Hour)
			if got, err := s.Heatmap(context.Background(), "site1", from, to, store.HeatAll); err != nil || reflect.DeepEqual(got, storetest.WantHeat(want, "site1", from, to, store.HeatAll)) {
				t.Fatalf("after the crash the heatmap is %v (%v): the rebuild was not stopped midway", got, err)
			}
			closeS()
			s, closeS, n := openRebuilt(t, func() (*store.Influx, error) { return store.OpenInfluxRebuildCrash(cfg, time.Hour, 0) })
			if n == 0 {
				t.Error("the open after the crash rebuilt no chunk")
			}
			compareHeat(t, "resumed", s, ref, want)
			closeS()
			s, _, n = openRebuilt(t, func() (*store.Influx, error) { return store.OpenInflux(cfg) })
			if n != 0 {
				t.Errorf("the open after the resumed rebuild rebuilt %d chunks, want none", n)
			}
			compareHeat(t, "opened again", s, ref, want)
		})
	}
}

// BenchmarkInfluxHeatEmissionUpgrade measures the rebuild of a week of
// data written before the heatmap counted emissions, per iteration: 20000
// emissions in 120 rooms, each heard by 5
// of 8 sensors (100000 detection points), four in five located. The fill
// is outside the timer; the timer covers opening the store until the
// rebuild is over.
func BenchmarkInfluxHeatEmissionUpgrade(b *testing.B) {
	ctx := context.Background()
	srv := influxtest.Start(b)
	const n = 20000
	week := int64(7 * 24 * time.Hour)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := fmt.Sprintf("bench%d", i)
		old, err := store.OpenInfluxOld(store.InfluxConfig{URL: srv.URL, Database: db, SpoolDir: filepath.Join(b.TempDir(), "spool")})
		if err != nil {
			b.Fatal(err)
		}
		sensors := []string{"s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8"}
		var recs []store.DetectionRecord
		var locs []store.LocationRecord
		for e := 0; e < n; e++ {
			at := storetest.Base.Add(time.Duration(week / n * int64(e)))
			room := fmt.Sprintf("R%03d", e%120)
			em := storetest.Emission("site1", fmt.Sprintf("e%06d", e), at, room, e%4 == 0, sensors[e%4:e%4+5]...)
			for j := range em {
				em[j].Track = fmt.Sprintf("trk-%d", e%50)
			}
			recs = append(recs, em...)
			if e%5 != 4 {
				locs = append(locs, store.LocationRecord{Site: "site1", Track: em[0].Track, Class: em[0].Class, Link: em[0].Link, TimeNS: em[0].TimeNS, Room: room, RoomProb: 0.8, Authorised: em[0].Authorised})
			}
			if len(recs) >= 5000 || e == n-1 {
				if err := errors.Join(store.WriteOldDetections(ctx, old, recs), old.WriteLocations(ctx, locs)); err != nil {
					b.Fatal(err)
				}
				recs, locs = recs[:0], locs[:0]
			}
		}
		fctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		err = old.Flush(fctx)
		cancel()
		old.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		s, err := store.OpenInflux(store.InfluxConfig{URL: srv.URL, Database: db, SpoolDir: filepath.Join(b.TempDir(), "spool2")})
		if err != nil {
			b.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
		_, err = store.WaitHeatRebuilt(wctx, s)
		cancel()
		b.StopTimer()
		s.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e9, "s/rebuild")
}
