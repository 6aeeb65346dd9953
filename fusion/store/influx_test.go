package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

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

func TestInfluxTimeSeriesConformance(t *testing.T) {
	srv := influxtest.Start(t)
	n := 0
	storetest.TimeSeries(t, func(t *testing.T) store.TimeSeries {
		n++
		return openInflux(t, srv, fmt.Sprintf("conf%d", n))
	})
}

// TestInfluxOutage stops InfluxDB while detections are written, restarts it,
// and checks that every point arrives exactly once.
func TestInfluxOutage(t *testing.T) {
	ctx := context.Background()
	srv := influxtest.Start(t)
	s := openInflux(t, srv, "outage")
	write := func(from, to int) {
		for i := from; i < to; i++ {
			rec := storetest.Detection("site1", fmt.Sprintf("o%04d", i), storetest.Base.Add(time.Duration(i)*time.Second), "A", false)
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
	for i := 0; i < 50; i++ {
		rec := storetest.Detection("site1", fmt.Sprintf("r%04d", i), storetest.Base.Add(time.Duration(i)*time.Second), "A", false)
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
}

// BenchmarkInfluxHeatmapWeek measures the heatmap query for one week over
// one million stored detections.
func BenchmarkInfluxHeatmapWeek(b *testing.B) {
	ctx := context.Background()
	srv := influxtest.Start(b)
	s := openInflux(b, srv, "bench")
	if err := storetest.Fill(ctx, s, "site1", 1_000_000, 120); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cells, err := s.Heatmap(ctx, "site1", storetest.Base.Add(17*time.Minute), storetest.Base.Add(7*24*time.Hour), true)
		if err != nil || len(cells) == 0 {
			b.Fatal(err, len(cells))
		}
	}
}
