package agent

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/internal/realiq"
	"github.com/rfwarden/rfwarden/sensor/config"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/publish/brokertest"
	"github.com/rfwarden/rfwarden/sensor/replay"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// realIQ returns the shared real-recordings dir beside the module root, or skips.
func realIQ(t *testing.T) string {
	return realiq.Dir(t)
}

// TestReplayRealRecording replays a real HackRF capture of an LTE band-3
// downlink (1850.25-1854.75 MHz) through the real pipeline and the agent to an
// in-process broker; the detections arrive valid and include the LTE carrier.
func TestReplayRealRecording(t *testing.T) {
	dir := realIQ(t)
	rec, err := sigmf.Open(filepath.Join(dir, "lte-fdd-gsm1800-1852M-hackrf.sigmf-meta"))
	if err != nil {
		t.Fatal(err)
	}
	b := brokertest.Start(t, "rfw/#")
	markFusion(t, b)
	cfg := testConfig(t)
	cfg.MQTT.URL = b.URL()
	cfg.Source.SampleRateHz = rec.SampleRateHz()
	cfg.Bands = []config.Band{{Name: "gsm1800", LowHz: 1805e6, HighHz: 1880e6, Dwell: 10 * time.Millisecond,
		Kind: config.KindSweep, MaxRevisit: 2 * time.Second}}
	src := replay.New(rec, replay.Options{Device: "hackrf", Start: simStart})
	defer src.Close()
	a, err := New(cfg, Deps{Source: src, Pipeline: pipeline.New(pipeline.Config{})})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.Run(ctx); err != nil {
		t.Fatal(err)
	}
	made := a.Stats().Detections
	if made == 0 {
		t.Fatal("no detections from the recording")
	}
	topic := event.SensorTopic("site1", "s1", event.KindDetection)
	if !b.WaitFor(5*time.Second, func(ms []brokertest.Message) bool { return int64(len(detections(t, ms, topic))) == made }) {
		t.Fatalf("received %d of %d detections", len(detections(t, b.Messages(), topic)), made)
	}
	// The README documents GSM-1800 bursts at 1856.6, 1857.2 and 1858.8 MHz.
	gsm := 0
	for _, d := range detections(t, b.Messages(), topic) {
		t.Logf("%.3f MHz bw %.2f MHz snr %.1f dur %v", d.CenterHz/1e6, d.BandwidthHz/1e6, d.SNRDB, time.Duration(d.DurationNS))
		if d.Band != "gsm1800" || d.SampleStart+d.SampleCount > rec.NumSamples() || d.Time().Before(simStart) {
			t.Errorf("detection out of the recording: %+v", d)
		}
		if d.CenterHz < 1852.5e6-9.6e6 || d.CenterHz > 1852.5e6+9.6e6 {
			t.Errorf("detection at %.3f MHz outside the capture", d.CenterHz/1e6)
		}
		for _, f := range []float64{1856.6e6, 1857.2e6, 1858.8e6} {
			if d.CenterHz > f-0.2e6 && d.CenterHz < f+0.2e6 {
				gsm++
			}
		}
	}
	if gsm == 0 {
		t.Errorf("none of %d detections is a documented GSM-1800 burst", made)
	}
	t.Logf("%d detections, %d on documented GSM bursts", made, gsm)
}
