package fusion_test

import (
	"context"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/agent"
	"github.com/rfwarden/rfwarden/sensor/config"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/publish/brokertest"
)

// countedSource yields max blocks of silence, 10 ms each at 2 Msps, paced,
// and then blocks until ctx ends.
type countedSource struct {
	max, n int
	buf    []complex64
}

func (s *countedSource) Next(ctx context.Context) (sensor.Block, error) {
	if s.n >= s.max {
		<-ctx.Done()
		return sensor.Block{}, ctx.Err()
	}
	select {
	case <-time.After(2 * time.Millisecond):
	case <-ctx.Done():
		return sensor.Block{}, ctx.Err()
	}
	if s.buf == nil {
		s.buf = make([]complex64, 20000)
	}
	first := int64(s.n) * int64(len(s.buf))
	s.n++
	return sensor.Block{Samples: s.buf, CenterHz: 905e6, SampleRateHz: 2e6, GainDB: 30, FirstSample: first,
		Time: time.Now().UTC(), Device: "counted"}, nil
}

func (s *countedSource) Close() error { return nil }

// onePerBlock reports one LTE uplink per block.
type onePerBlock struct{}

func (onePerBlock) Process(b sensor.Block, dst []pipeline.Result) ([]pipeline.Result, error) {
	return append(dst, pipeline.Result{
		Em:       dsp.Emission{StartSample: b.FirstSample, SampleCount: 5000, SNRDB: 12, DutyCycle: 0.5},
		Label:    pipeline.Label{Class: event.ClassLTE, Link: event.LinkUplink, Band: "B8", Confidence: 0.8, Text: "lte uplink"},
		CenterHz: b.CenterHz + 1e6, FreqLowHz: b.CenterHz + 0.5e6, FreqHighHz: b.CenterHz + 1.5e6,
		BandwidthHz: 1e6, PowerDBm: -70, PeakDBm: -65, Time: b.Time, Duration: 2500 * time.Microsecond,
		SampleRateHz: b.SampleRateHz, TuneCenterHz: b.CenterHz,
	}), nil
}

func (onePerBlock) Flush(dst []pipeline.Result) []pipeline.Result { return dst }

// startSensor runs sensor s1 of site hmp against broker url with the
// production MQTT client, making n detections.
func startSensor(t *testing.T, url string, n int, logs *syncbuf.Buffer) *agent.Agent {
	t.Helper()
	c := config.Default()
	c.Site, c.Sensor = "hmp", "s1"
	c.MQTT.URL = url
	c.MQTT.AckTimeout = 2 * time.Second
	c.Outbox.Dir = t.TempDir()
	c.Source.SampleRateHz = 2e6
	c.Bands = []config.Band{{Name: "B8", LowHz: 880e6, HighHz: 915e6, Dwell: 10 * time.Millisecond,
		Kind: config.KindSweep, MaxRevisit: 2 * time.Second}}
	c.SpectrumDur = 0
	c.Tamper.StallDur = time.Minute // the source pauses after its n blocks
	a, err := agent.New(c, agent.Deps{Source: &countedSource{max: n}, Pipeline: onePerBlock{},
		Logger: slog.New(slog.NewTextHandler(logs, nil)).With("svc", "sensor")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("sensor Run: %v", err)
		}
	})
	return a
}

// startFusion connects as cmd/rfwarden's connectFusion does (persistent
// session, a Resubscriber publishing the session marker of sensor s1) and
// subscribes to the site's sensor topics,
// returning the detection IDs received.
func startFusion(t *testing.T, url string, logs *syncbuf.Buffer) func() map[string]bool {
	t.Helper()
	log := slog.New(slog.NewTextHandler(logs, nil)).With("svc", "fusion")
	marker := fusion.SessionMarker{Site: "hmp", Sensors: []string{"s1"}, ClientID: "fusion-sensorfirst", Log: log}
	resub := &fusion.Resubscriber{Log: log, Subscribed: marker.Subscribed}
	opts := mqtt.NewClientOptions().AddBroker(url).SetClientID("fusion-sensorfirst").SetCleanSession(false).
		SetAutoReconnect(true).SetMaxReconnectInterval(200 * time.Millisecond).SetConnectTimeout(2 * time.Second)
	opts.SetOnConnectHandler(resub.OnConnect)
	opts.SetDefaultPublishHandler(resub.Default)
	c := mqtt.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("fusion connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(50) })
	var mu sync.Mutex
	got := map[string]bool{}
	sub := fusion.PahoSubscriber{Client: c, Resubscribe: resub}
	if err := sub.Subscribe(fusion.SiteTopic("hmp"), 1, func(topic string, p []byte) {
		if d, err := event.DecodeDetection(p); err == nil {
			mu.Lock()
			got[d.ID] = true
			mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("fusion subscribe: %v", err)
	}
	return func() map[string]bool {
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(got)
	}
}

// TestSensorBeforeFusionFirstSubscription: given a new broker on which
// fusion has never subscribed, when a sensor makes detections and fusion
// then starts, expect fusion to receive every one of them (the broker
// accepted and dropped them: nobody subscribed). The sensor keeps them in
// its outbox until fusion's session marker arrives.
func TestSensorBeforeFusionFirstSubscription(t *testing.T) {
	const n = 20
	b := brokertest.Start(t, "none")
	var logs syncbuf.Buffer
	defer func() {
		if t.Failed() {
			t.Log(logs.String())
		}
	}()
	a := startSensor(t, b.URL(), n, &logs)
	for deadline := time.Now().Add(10 * time.Second); a.Stats().Detections < n && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
	}
	if got := a.Stats().Detections; got < n {
		t.Fatalf("sensor made %d detections, want %d", got, n)
	}
	var stillOut atomic.Int64
	time.Sleep(300 * time.Millisecond) // the sender's chance to publish (and, unfixed, lose) them
	stillOut.Store(a.Health().OutboxDepth)
	received := startFusion(t, b.URL(), &logs)
	var got map[string]bool
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got = received(); len(got) >= n {
			break
		}
	}
	if stillOut.Load() != n {
		t.Errorf("outbox held %d detections before fusion started, want all %d (waiting for fusion's session marker)", stillOut.Load(), n)
	}
	if len(got) != n {
		t.Fatalf("fusion received %d of the %d detections the sensor made before fusion first subscribed (outbox depth before fusion started: %d)",
			len(got), n, stillOut.Load())
	}
}
