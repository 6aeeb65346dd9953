package fusion_test

import (
	"context"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/mqttlink"

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
// and then waits for max to be raised.
type countedSource struct {
	max atomic.Int64 // raised by the test for more
	n   int
	buf []complex64
}

func (s *countedSource) Next(ctx context.Context) (sensor.Block, error) {
	for int64(s.n) >= s.max.Load() {
		select {
		case <-ctx.Done():
			return sensor.Block{}, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
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
// production MQTT client, making a detection per block of src.
func startSensor(t *testing.T, url string, src *countedSource, logs *syncbuf.Buffer) *agent.Agent {
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
	a, err := agent.New(c, agent.Deps{Source: src, Pipeline: onePerBlock{},
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
func startFusion(t *testing.T, url string, logs *syncbuf.Buffer) (received func() map[string]bool, stop func()) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(logs, nil)).With("svc", "fusion")
	marker := fusion.SessionMarker{Site: "hmp", Sensors: []string{"s1"}, ClientID: "fusion-sensorfirst", Log: log}
	resub := &fusion.Resubscriber{Log: log, Subscribed: marker.Subscribed}
	opts := mqttlink.NewClientOptions().AddBroker(url).SetClientID("fusion-sensorfirst").SetCleanSession(false).
		SetAutoReconnect(true).SetMaxReconnectInterval(200 * time.Millisecond).SetConnectTimeout(2 * time.Second)
	opts.SetOnConnectHandler(resub.OnConnect)
	opts.SetDefaultPublishHandler(resub.Default)
	c := mqtt.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("fusion connect: %v", tok.Error())
	}
	stop = sync.OnceFunc(func() { c.Disconnect(50) })
	t.Cleanup(stop)
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
	}, stop
}

// waitDetections waits until a has made n detections in all.
func waitDetections(t *testing.T, a *agent.Agent, n int64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); a.Stats().Detections < n && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
	}
	if got := a.Stats().Detections; got < n {
		t.Fatalf("sensor made %d detections, want %d", got, n)
	}
}

// waitReceived waits until received holds n detections, at most 10 s, and
// returns what it holds.
func waitReceived(received func() map[string]bool, n int) map[string]bool {
	var got map[string]bool
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got = received(); len(got) >= n {
			break
		}
	}
	return got
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
	src := &countedSource{}
	src.max.Store(n)
	a := startSensor(t, b.URL(), src, &logs)
	waitDetections(t, a, n)
	time.Sleep(300 * time.Millisecond) // the sender's chance to publish (and, unfixed, lose) them
	stillOut := a.Health().OutboxDepth
	received, _ := startFusion(t, b.URL(), &logs)
	got := waitReceived(received, n)
	if stillOut != n {
		t.Errorf("outbox held %d detections before fusion started, want all %d (waiting for fusion's session marker)", stillOut, n)
	}
	if len(got) != n {
		t.Fatalf("fusion received %d of the %d detections the sensor made before fusion first subscribed (outbox depth before fusion started: %d)",
			len(got), n, stillOut)
	}
}

// TestSensorWaitsAfterBrokerLostState: given fusion and a sensor running,
// when fusion stops and the broker restarts without its state (fusion's
// session and the retained marker gone, as mosquitto without persistence
// or the embedded broker), expect the sensor to hold what it makes after
// the restart in its outbox, and fusion, started again, to receive all of
// it.
func TestSensorWaitsAfterBrokerLostState(t *testing.T) {
	const n1, n2 = 10, 15
	b := brokertest.Start(t, "none")
	var logs syncbuf.Buffer
	defer func() {
		if t.Failed() {
			t.Log(logs.String())
		}
	}()
	received, stop := startFusion(t, b.URL(), &logs)
	src := &countedSource{}
	src.max.Store(n1)
	a := startSensor(t, b.URL(), src, &logs)
	waitDetections(t, a, n1)
	if got := waitReceived(received, n1); len(got) != n1 {
		t.Fatalf("fusion received %d of %d detections with both running", len(got), n1)
	}
	stop()
	b.Stop()
	if err := b.Restart(); err != nil {
		t.Fatal(err)
	}
	src.max.Store(n1 + n2)
	waitDetections(t, a, n1+n2)
	time.Sleep(time.Second) // the sensor reconnects (its retry is 500 ms) and would publish
	if d := a.Health().OutboxDepth; d != n2 {
		t.Errorf("outbox holds %d detections after the broker lost its state, want the %d made since", d, n2)
	}
	received, _ = startFusion(t, b.URL(), &logs)
	if got := waitReceived(received, n2); len(got) != n2 {
		t.Fatalf("fusion received %d of the %d detections made while the restarted broker had no session for it", len(got), n2)
	}
}
