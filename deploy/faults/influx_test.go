//go:build integration

package faults

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/influxtest"
)

// TestInfluxOutage injects an InfluxDB outage under the whole chain: the
// agent (two detections per block, from the same instant, as two phones
// transmitting together) publishes through mosquitto to fusion, whose time
// series store is the real InfluxDB 1.8 backend; influxd is killed (SIGKILL)
// mid-stream for 2 minutes (issue 6; RFW_FAULT_INFLUX_OUTAGE, a Go duration,
// shortens it for a quick local run) and restarted on the same data
// directory. The agent goes on detecting for the first 10 s of the outage,
// then pauses, which bounds the work while the store keeps retrying. It asserts
// that writes during the outage were spooled (Pending > 0), that after the
// restart and a Flush InfluxDB holds every detection the agent made exactly
// once (none lost, none duplicated or overwritten by another), and that
// ordered by capture time the stored detections come in the sensor's order.
func TestInfluxOutage(t *testing.T) {
	start := time.Now()
	srv := influxtest.Start(t)
	t.Logf("influxd started in %v", time.Since(start).Round(time.Millisecond))
	ix, err := store.OpenInflux(store.InfluxConfig{URL: srv.URL, Database: "faults", SpoolDir: filepath.Join(t.TempDir(), "spool")})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	m := startMosquitto(t)
	l := newLedger(ix)
	f := newFusion(t, m.url(), l)
	f.start()
	from := time.Now().Add(-time.Minute)
	ag := startAgent(t, sensorConfig(m.url(), t.TempDir()), newPacedSource(wallClock{}, 10*time.Millisecond), 2, nil)
	ag.waitDetections(t, 100)
	outage := 2 * time.Minute
	if v := os.Getenv("RFW_FAULT_INFLUX_OUTAGE"); v != "" {
		if outage, err = time.ParseDuration(v); err != nil {
			t.Fatalf("RFW_FAULT_INFLUX_OUTAGE: %v", err)
		}
	}
	srv.Stop()
	down := time.Now()
	time.Sleep(min(outage, 10*time.Second))
	ag.src.pause.Store(true) // bound the work for the rest of the outage and while influxd starts again
	time.Sleep(outage - time.Since(down))
	spooled := ix.Pending()
	if spooled == 0 {
		t.Error("nothing spooled while InfluxDB was down")
	}
	t.Logf("InfluxDB down for %v", time.Since(down).Round(time.Second))
	start = time.Now()
	srv.Restart()
	t.Logf("influxd restarted in %v", time.Since(start).Round(time.Millisecond))
	ag.src.pause.Store(false)
	time.Sleep(500 * time.Millisecond)
	start = time.Now()
	made := ag.drain(t, l, 0)
	f.stop() // flushes fusion's buffers into the store
	t.Logf("fusion caught up in %v", time.Since(start).Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start = time.Now()
	if err := ix.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("spool flushed in %v", time.Since(start).Round(time.Millisecond))
	recs, err := ix.Detections(ctx, siteID, from, time.Now().Add(time.Minute), 100000)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, r := range recs {
		counts[r.ID]++
	}
	checkExactlyOnce(t, counts, ag.a.BootID(), seqRange(1, made))
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].TimeNS < recs[j].TimeNS })
	for i := 1; i < len(recs); i++ {
		a, b := parseID(t, recs[i-1].ID), parseID(t, recs[i].ID)
		if b.start < a.start {
			t.Errorf("stored out of the sensor's order: %s before %s", recs[i-1].ID, recs[i].ID)
			break
		}
	}
	t.Logf("made %d, spooled %d batches during the outage, InfluxDB holds %d", made, spooled, len(recs))
}
