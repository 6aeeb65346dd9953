package agent

import (
	"context"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/config"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/publish"
	"github.com/rfwarden/rfwarden/sensor/publish/brokertest"
)

var simStart = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// simClock is a Clock set by synthSource to the time of the latest block.
type simClock struct{ ns atomic.Int64 }

func (c *simClock) Now() time.Time { return time.Unix(0, c.ns.Load()).UTC() }

// synthSource yields blocks of seeded complex Gaussian noise whose RMS
// amplitude is set by level (linear, per block index), at 2 Msps, 10 ms blocks.
type synthSource struct {
	clock  *simClock
	rate   float64
	n      int // samples per block
	blocks int // 0: endless
	pace   time.Duration
	level  func(i int) float64
	stall  int         // after this many blocks Next blocks until ctx ends (0: never)
	eof    atomic.Bool // set to end an endless source
	rng    *rand.Rand
	buf    []complex64
	i      int
	center float64
	// stalled, when not nil, is closed as Next first blocks for the stall:
	// every block before it has been handled, and none comes after.
	stalled     chan struct{}
	stalledOnce sync.Once
}

func newSynth(clock *simClock, blocks int) *synthSource {
	return &synthSource{clock: clock, rate: 2e6, n: 20000, blocks: blocks, rng: rand.New(rand.NewPCG(7, 9)),
		level: func(int) float64 { return 0.01 }, center: 905e6}
}

func (s *synthSource) Next(ctx context.Context) (sensor.Block, error) {
	if s.blocks > 0 && s.i >= s.blocks || s.eof.Load() {
		return sensor.Block{}, io.EOF
	}
	if s.stall > 0 && s.i >= s.stall {
		if s.stalled != nil {
			s.stalledOnce.Do(func() { close(s.stalled) })
		}
		<-ctx.Done()
		return sensor.Block{}, ctx.Err()
	}
	if s.pace > 0 {
		select {
		case <-time.After(s.pace):
		case <-ctx.Done():
			return sensor.Block{}, ctx.Err()
		}
	}
	if err := ctx.Err(); err != nil {
		return sensor.Block{}, err
	}
	if s.buf == nil {
		s.buf = make([]complex64, s.n)
	}
	a := s.level(s.i) / math.Sqrt2
	for k := range s.buf {
		re, im := s.rng.NormFloat64()*a, s.rng.NormFloat64()*a
		s.buf[k] = complex(float32(max(min(re, 1), -1)), float32(max(min(im, 1), -1)))
	}
	first := int64(s.i) * int64(s.n)
	t := simStart.Add(time.Duration(float64(first) / s.rate * float64(time.Second)))
	if s.clock != nil {
		s.clock.ns.Store(t.UnixNano())
	}
	s.i++
	return sensor.Block{Samples: s.buf, CenterHz: s.center, SampleRateHz: s.rate, GainDB: 30,
		FirstSample: first, Time: t, Device: "synth"}, nil
}

func (s *synthSource) Close() error { return nil }

// everyPipeline reports one LTE uplink detection per every-th block, whose
// StartSample is the block's first sample.
type everyPipeline struct{ every int }

func (p *everyPipeline) Process(b sensor.Block, dst []pipeline.Result) ([]pipeline.Result, error) {
	if p.every <= 0 || (b.FirstSample/int64(len(b.Samples)))%int64(p.every) != 0 {
		return dst, nil
	}
	return append(dst, pipeline.Result{
		Em:       dsp.Emission{StartSample: b.FirstSample, SampleCount: 5000, SNRDB: 12, DutyCycle: 0.5},
		Label:    pipeline.Label{Class: event.ClassLTE, Link: event.LinkUplink, Band: "B8", Confidence: 0.8, Text: "lte uplink"},
		CenterHz: b.CenterHz + 1e6, FreqLowHz: b.CenterHz + 0.5e6, FreqHighHz: b.CenterHz + 1.5e6,
		BandwidthHz: 1e6, PowerDBm: -70, PeakDBm: -65, Time: b.Time, Duration: 2500 * time.Microsecond,
		SampleRateHz: b.SampleRateHz, TuneCenterHz: b.CenterHz,
	}), nil
}

func (p *everyPipeline) Flush(dst []pipeline.Result) []pipeline.Result { return dst }

// recClient is a fake publish.Client recording what it is given. Connect
// hands fusion's session marker to the cmd subscription (deliverMarker),
// unless noMarker.
type recClient struct {
	mu        sync.Mutex
	connected bool
	noMarker  bool
	msgs      []recMsg
	subs      []publish.Subscription // the factory's Options.Subscribe
}

type recMsg struct {
	topic   string
	payload []byte
}

func (c *recClient) Connect(context.Context) error {
	c.mu.Lock()
	subs, no := c.subs, c.noMarker
	c.mu.Unlock()
	if !no {
		deliverMarker(subs)
	}
	return nil
}

// deliverMarker hands fusion's session marker to the cmd subscription of
// subs, as the broker does on a subscription when fusion's session is
// there.
func deliverMarker(subs []publish.Subscription) {
	for _, s := range subs {
		site, sensor, kind, err := event.ParseSensorTopic(s.Topic)
		if err != nil || kind != event.KindCmd {
			continue
		}
		b, err := event.Encode(event.Command{Schema: event.SchemaVersion, Site: site, Sensor: sensor, TimeNS: 1,
			Cmd: event.CmdSession, Fusion: "fusion-test"})
		if err != nil {
			panic(err)
		}
		s.Handle(b)
	}
}
func (c *recClient) IsConnected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connected
}
func (c *recClient) Disconnect() {}
func (c *recClient) Publish(_ context.Context, topic string, _ byte, _ bool, p []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.connected {
		return publish.ErrNotConnected
	}
	c.msgs = append(c.msgs, recMsg{topic, append([]byte(nil), p...)})
	return nil
}

// detections decodes the detections c was given, in order.
func (c *recClient) detections(t testing.TB) []event.Detection {
	t.Helper()
	var out []event.Detection
	for _, m := range c.snapshot() {
		if !strings.HasSuffix(m.topic, "/detection") {
			continue
		}
		d, err := event.DecodeDetection(m.payload)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

func (c *recClient) snapshot() []recMsg {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]recMsg(nil), c.msgs...)
}

func (c *recClient) factory() publish.Factory {
	return func(o publish.Options) (publish.Client, error) {
		c.mu.Lock()
		c.subs = o.Subscribe
		c.mu.Unlock()
		return c, nil
	}
}

func testConfig(t testing.TB) config.Config {
	c := config.Default()
	c.Site, c.Sensor = "site1", "s1"
	c.Outbox.Dir = t.TempDir()
	c.Bands = []config.Band{{Name: "gsm900", LowHz: 880e6, HighHz: 960e6, Dwell: 10 * time.Millisecond,
		Kind: config.KindSweep, MaxRevisit: 2 * time.Second}}
	c.Source.SampleRateHz = 2e6
	c.MQTT.AckTimeout = 2 * time.Second
	c.SpectrumDur = 0
	return c
}

// countClient is a connected fake publish.Client that keeps nothing but a
// count, for benchmarks and soaks (recClient would grow with every message).
type countClient struct {
	published atomic.Int64
	subs      []publish.Subscription
}

func (c *countClient) Connect(context.Context) error { deliverMarker(c.subs); return nil }
func (c *countClient) IsConnected() bool             { return true }
func (c *countClient) Disconnect()                   {}
func (c *countClient) Publish(context.Context, string, byte, bool, []byte) error {
	c.published.Add(1)
	return nil
}

func (c *countClient) factory() publish.Factory {
	return func(o publish.Options) (publish.Client, error) { c.subs = o.Subscribe; return c, nil }
}

// markFusion publishes fusion's session marker for testConfig's sensor on
// b: the recorder stands for fusion.
func markFusion(t testing.TB, b *brokertest.Broker) {
	t.Helper()
	if err := b.MarkFusionSession("site1", "s1"); err != nil {
		t.Fatal(err)
	}
}
