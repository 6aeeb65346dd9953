//go:build integration

package faults

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/mqttlink"
	"github.com/rfwarden/rfwarden/internal/syncbuf"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/alert"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/agent"
	"github.com/rfwarden/rfwarden/sensor/config"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
)

// Every test runs one site ("hmp-test", a copy of the fusion test wing) and
// sensor s1.
const (
	siteID   = "hmp-test"
	sensorID = "s1"
	sitePath = "testdata/site.yaml"
)

// waitUntil polls cond every 10 ms until it holds or d passes.
func waitUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// waitProgress waits until cond holds, as long as progress keeps changing:
// it gives up when progress has stood still for stall, or after limit in
// all. A loaded machine may drain a backlog slowly; a stuck one stops.
func waitProgress(stall, limit time.Duration, progress func() int, cond func() bool) bool {
	start := time.Now()
	last, moved := progress(), start
	for !cond() {
		now := time.Now()
		if p := progress(); p != last {
			last, moved = p, now
		}
		if now.Sub(moved) > stall || now.Sub(start) > limit {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pick port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// ---------------------------------------------------------------- mosquitto

// mosquitto is Debian's broker on a free 127.0.0.1 port with on-disk
// persistence (saved every 50 changes and on a clean stop), so a restart keeps persistent
// sessions, their subscriptions and their queued QoS 1 messages.
type mosquitto struct {
	t      testing.TB
	bin    string
	conf   string
	dir    string // persistence
	addr   string
	free   bool // addr was picked free and not listened on yet: another may be picked
	cmd    *exec.Cmd
	exited chan struct{}
	stderr *syncbuf.Buffer // read while mosquitto writes it
}

func mosquittoBin(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/mosquitto"); err == nil {
		return "/usr/sbin/mosquitto"
	}
	t.Skip("mosquitto not installed: run scripts/install-deps.sh")
	return ""
}

// autosaveChanges is mosquitto's autosave_interval with autosave_on_changes:
// the in-memory state is saved after this many changes. A crash loses what
// changed since the last save, including QoS 1 messages it had acknowledged.
const autosaveChanges = 50

// newMosquitto writes the config; addr "" picks a free port. It does not start.
func newMosquitto(t testing.TB, addr string) *mosquitto {
	t.Helper()
	m := &mosquitto{t: t, bin: mosquittoBin(t), dir: t.TempDir(), addr: addr}
	if addr == "" {
		m.addr, m.free = freeAddr(t), true
	}
	m.conf = filepath.Join(m.dir, "mosquitto.conf")
	m.writeConf()
	t.Cleanup(func() { m.stop(syscall.SIGKILL) })
	return m
}

// writeConf writes the config for m.addr. Mosquitto logs its start
// ("running", once it listens) at level information, which start waits for.
func (m *mosquitto) writeConf() {
	m.t.Helper()
	_, port, _ := net.SplitHostPort(m.addr)
	user := ""
	if os.Getuid() == 0 {
		user = "user root\n" // else mosquitto drops to the mosquitto user and cannot write dir
	}
	conf := fmt.Sprintf(`%slistener %s 127.0.0.1
allow_anonymous true
persistence true
persistence_location %s/
autosave_interval %d
autosave_on_changes true
max_queued_messages 100000
log_dest stderr
%s`, user, port, m.dir, autosaveChanges, diagMosquittoLog(m.t))
	if err := os.WriteFile(m.conf, []byte(conf), 0o600); err != nil {
		m.t.Fatal(err)
	}
}

func startMosquitto(t testing.TB) *mosquitto {
	m := newMosquitto(t, "")
	m.start()
	return m
}

func (m *mosquitto) url() string { return "tcp://" + m.addr }

// start runs mosquitto and waits until it listens: it has logged that it
// runs and accepts connections. A port picked free (freeAddr) may have been
// taken by another process before mosquitto binds it: then another is
// picked. A port listened on before is tried again until the deadline (it
// may linger after a kill).
func (m *mosquitto) start() {
	m.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m.stderr = &syncbuf.Buffer{}
		cmd := exec.Command(m.bin, "-c", m.conf)
		cmd.Stderr = m.stderr
		if err := cmd.Start(); err != nil {
			m.t.Fatalf("start mosquitto: %v", err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		for {
			if strings.Contains(m.stderr.String(), " running") {
				if c, err := net.DialTimeout("tcp", m.addr, time.Second); err == nil {
					c.Close()
					m.cmd, m.exited, m.free = cmd, exited, false
					return
				}
			}
			select {
			case <-exited:
			case <-time.After(20 * time.Millisecond):
				if time.Now().Before(deadline) {
					continue
				}
				cmd.Process.Kill()
				<-exited
			}
			break
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("mosquitto did not listen on %s: %s", m.addr, m.stderr.String())
		}
		if m.free && strings.Contains(m.stderr.String(), "in use") {
			m.addr = freeAddr(m.t)
			m.writeConf()
			continue
		}
		time.Sleep(100 * time.Millisecond) // the port may linger after a kill
	}
}

// stop sends sig (SIGTERM: a clean shutdown that saves the persistence
// file; SIGKILL: a crash) and waits for the process to exit.
func (m *mosquitto) stop(sig syscall.Signal) {
	if m.cmd == nil {
		return
	}
	m.cmd.Process.Signal(sig)
	select {
	case <-m.exited:
	case <-time.After(10 * time.Second):
		m.cmd.Process.Kill()
		<-m.exited
	}
	m.cmd = nil
}

// ---------------------------------------------------------------- fusion

// ledger is fusion's TimeSeries: it counts every detection ID and keeps every
// health report it is given, then passes them to the real store (if any).
type ledger struct {
	inner fusion.TimeSeries

	mu      sync.Mutex
	counts  map[string]int
	order   []string             // first-write order
	written map[string]time.Time // wall time of the first write
	recv    map[string]time.Time // wall time fusion first received it
	health  []event.Health
}

// received notes the arrival of a detection message at fusion's client.
func (l *ledger) received(payload []byte) {
	d, err := event.DecodeDetection(payload)
	if err != nil {
		return // not a detection
	}
	l.mu.Lock()
	if _, ok := l.recv[d.ID]; !ok {
		l.recv[d.ID] = time.Now()
	}
	l.mu.Unlock()
}

func newLedger(inner fusion.TimeSeries) *ledger {
	return &ledger{inner: inner, counts: map[string]int{}, written: map[string]time.Time{}, recv: map[string]time.Time{}}
}

func (l *ledger) WriteDetections(ctx context.Context, recs []store.DetectionRecord) error {
	l.mu.Lock()
	now := time.Now()
	for _, r := range recs {
		if l.counts[r.ID] == 0 {
			l.order = append(l.order, r.ID)
			l.written[r.ID] = now
		}
		l.counts[r.ID]++
	}
	l.mu.Unlock()
	if l.inner == nil {
		return nil
	}
	return l.inner.WriteDetections(ctx, recs)
}

func (l *ledger) WriteLocations(ctx context.Context, recs []store.LocationRecord) error {
	if l.inner == nil {
		return nil
	}
	return l.inner.WriteLocations(ctx, recs)
}

func (l *ledger) WriteHealth(ctx context.Context, recs []event.Health) error {
	l.mu.Lock()
	l.health = append(l.health, recs...)
	l.mu.Unlock()
	if l.inner == nil {
		return nil
	}
	return l.inner.WriteHealth(ctx, recs)
}

// receivedCount returns how many distinct detection IDs fusion received.
func (l *ledger) receivedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recv)
}

// unique returns how many distinct IDs were written.
func (l *ledger) unique() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.counts)
}

// snapshot returns a copy of the counts.
func (l *ledger) snapshot() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]int, len(l.counts))
	for k, v := range l.counts {
		out[k] = v
	}
	return out
}

func (l *ledger) healthReports() []event.Health {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]event.Health(nil), l.health...)
}

// fusionNode is the fusion engine as cmd/rfwarden/fusion.go runs it: a paho
// client with a stable client ID and a persistent session, Engine.Run over
// PahoSubscriber, a seen-ID file. It can be stopped and started again.
type fusionNode struct {
	t        testing.TB
	url      string
	clientID string
	seenFile string
	site     *site.Site
	l        *ledger
	clock    func() time.Time
	shared   bool // subscribe in a shared group (sharedTopic), as Config.Subscription may
	// pub, when not nil, takes fusion's alerts; and fusion holds the
	// sensors' offline statuses while its connection is away, as
	// `rfwarden fusion` does (Engine.SetBrokerState)
	pub alert.Publisher

	client mqtt.Client
	eng    *fusion.Engine
	reg    *prometheus.Registry
	cancel context.CancelFunc
	done   chan error
	dups   float64 // duplicates dropped by previous runs
}

func newFusion(t testing.TB, url string, l *ledger) *fusionNode {
	t.Helper()
	s, err := site.LoadFile(sitePath)
	if err != nil {
		t.Fatal(err)
	}
	f := &fusionNode{t: t, url: url, clientID: "fusion-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		seenFile: filepath.Join(t.TempDir(), "seen"), site: s, l: l}
	t.Cleanup(func() {
		if f.cancel != nil {
			f.stop()
		}
	})
	return f
}

// start connects (retrying until the broker answers) and runs the engine.
func (f *fusionNode) start() {
	f.t.Helper()
	f.reg = prometheus.NewRegistry()
	eng, err := fusion.New(fusion.Config{SeenFile: f.seenFile, TickEvery: 50 * time.Millisecond},
		fusion.Deps{Site: f.site, TimeSeries: f.l, Clock: f.clock, Registerer: f.reg, Publisher: f.pub})
	if err != nil {
		f.t.Fatal(err)
	}
	opts := mqttlink.NewClientOptions().AddBroker(f.url).SetClientID(f.clientID).
		SetCleanSession(false).SetAutoReconnect(true).SetOrderMatters(false).
		SetConnectRetry(true).SetConnectRetryInterval(100 * time.Millisecond).
		SetMaxReconnectInterval(500 * time.Millisecond).SetKeepAlive(2 * time.Second).
		SetConnectTimeout(5 * time.Second).SetAutoAckDisabled(true)
	if f.pub != nil {
		link := mqttlink.New(mqttlink.Options{Name: "fusion", Broker: f.url})
		link.Watch(opts)
		eng.SetBrokerState(func() (bool, time.Time) { t := link.ConnectedAt(); return !t.IsZero(), t })
	}
	// as connectFusion: fusion's session marker once subscribed, which
	// the agent waits for before it publishes detections
	marker := fusion.SessionMarker{Site: f.site.ID, Sensors: sensorIDsOf(f.site), ClientID: f.clientID}
	resub := &fusion.Resubscriber{Subscribed: marker.Subscribed}
	opts.SetOnConnectHandler(resub.OnConnect)
	opts.SetDefaultPublishHandler(resub.Default)
	client := mqtt.NewClient(opts)
	tok := client.Connect()
	if !tok.WaitTimeout(20*time.Second) || tok.Error() != nil {
		f.t.Fatalf("fusion connect %s: %v", f.url, tok.Error())
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.client, f.eng, f.cancel, f.done = client, eng, cancel, make(chan error, 1)
	sub := harnessSubscriber{p: fusion.PahoSubscriber{Client: client, Resubscribe: resub}, shared: f.shared, l: f.l, subscribed: new(atomic.Int32)}
	go func() { f.done <- eng.Run(ctx, sub) }()
	// Run subscribes first (its topics and its acknowledgements), each
	// waiting for the broker's SUBACK: wait until both are in place. A
	// fixed 100 ms after connecting was a guess.
	if !waitUntil(20*time.Second, func() bool { return sub.subscribed.Load() == 2 || len(f.done) > 0 }) || len(f.done) > 0 {
		f.t.Fatalf("fusion did not subscribe (%d of 2 subscriptions)", sub.subscribed.Load())
	}
}

// sensorIDsOf lists the IDs of s's sensors.
func sensorIDsOf(s *site.Site) []string {
	ids := make([]string, len(s.Sensors))
	for i, x := range s.Sensors {
		ids[i] = x.ID
	}
	return ids
}

// sharedTopic is fusion's filter in the shared group "fusion-faults", as
// a fusion.yaml subscription: $share/... may make it. Mosquitto 2.0 does
// not restore a shared subscription of a persistent session from its
// persistence file after a restart (it restores fusion's default, plain
// one), so what arrives before fusion subscribes again has no subscriber.
func sharedTopic(topic string) string { return "$share/fusion-faults/" + topic }

// harnessSubscriber is fusion.PahoSubscriber with sharedTopic of fusion's
// subscription when shared is set, noting when each detection arrives.
type harnessSubscriber struct {
	p          fusion.PahoSubscriber
	shared     bool
	l          *ledger
	subscribed *atomic.Int32 // subscriptions the broker acknowledged
}

func (s harnessSubscriber) topic(topic string) string {
	if s.shared {
		return sharedTopic(topic)
	}
	return topic
}

func (s harnessSubscriber) Subscribe(topic string, qos byte, h func(string, []byte)) error {
	return s.count(s.p.Subscribe(s.topic(topic), qos, func(tp string, p []byte) { s.l.received(p); h(tp, p) }))
}

func (s harnessSubscriber) SubscribeAck(topic string, qos byte, h func(string, []byte, func())) error {
	return s.count(s.p.SubscribeAck(s.topic(topic), qos, func(tp string, p []byte, ack func()) { s.l.received(p); h(tp, p, ack) }))
}

// count counts a subscription made: PahoSubscriber returns once the
// broker has acknowledged it (or, not connected, left it to the next
// connection, which start does not expect: the client has just connected).
func (s harnessSubscriber) count(err error) error {
	if err == nil {
		s.subscribed.Add(1)
	}
	return err
}

// stop ends the engine as a SIGTERM of `rfwarden fusion` does: cancel Run
// (which flushes and saves the seen IDs), then disconnect.
func (f *fusionNode) stop() {
	f.t.Helper()
	if n, u := f.l.receivedCount(), f.l.unique(); diagDir != "" && n-u > 10 {
		f.t.Logf("fusion stops with %d received, %d processed", n, u)
		diagDump(f.t, "stop")
	}
	f.cancel()
	if err := <-f.done; err != nil {
		f.t.Errorf("fusion Run: %v", err)
	}
	f.client.Disconnect(250)
	f.dups += f.duplicatesThisRun()
	f.cancel = nil
}

// duplicatesThisRun reads rfw_fusion_duplicates_total of the current engine.
func (f *fusionNode) duplicatesThisRun() float64 {
	mfs, err := f.reg.Gather()
	if err != nil {
		return 0
	}
	for _, mf := range mfs {
		if mf.GetName() == "rfw_fusion_duplicates_total" && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return 0
}

// deadLetters reads rfw_fusion_dead_letter_total{reason} of the current
// engine.
func (f *fusionNode) deadLetters(reason string) float64 {
	mfs, err := f.reg.Gather()
	if err != nil {
		return 0
	}
	for _, mf := range mfs {
		if mf.GetName() != "rfw_fusion_dead_letter_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "reason" && lp.GetValue() == reason {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

func (f *fusionNode) duplicates() float64 {
	if f.cancel != nil {
		return f.dups + f.duplicatesThisRun()
	}
	return f.dups
}

// ---------------------------------------------------------------- sensor

// pacedSource yields blocks of a fixed low-level noise pattern, one every
// pace, time-stamped by clock (the sensor's wall clock, as a real receiver
// stamps its captures), until stop is set.
type pacedSource struct {
	clock agent.Clock
	pace  atomic.Int64 // nanoseconds between blocks
	n     int
	i     int64
	buf   []complex64
	stop  atomic.Bool // Next returns io.EOF
	pause atomic.Bool // Next waits (no blocks, no detections)
	// idle is set while Next waits, paused, after its pace: the agent
	// asked for the block after the last one it got, so it has handled
	// that one (its detections are on their way to the outbox).
	idle atomic.Bool
}

func newPacedSource(clock agent.Clock, pace time.Duration) *pacedSource {
	s := &pacedSource{clock: clock, n: 2000}
	s.pace.Store(int64(pace))
	s.buf = make([]complex64, s.n)
	for k := range s.buf { // a deterministic pattern with a steady noise floor
		v := float32(0.01 * float64(((k*7919)%13)-6) / 6)
		s.buf[k] = complex(v, -v)
	}
	return s
}

func (s *pacedSource) Next(ctx context.Context) (sensor.Block, error) {
	if s.stop.Load() {
		return sensor.Block{}, io.EOF
	}
	for first := true; first || s.pause.Load(); first = false {
		if s.stop.Load() {
			return sensor.Block{}, io.EOF
		}
		s.idle.Store(!first)
		select {
		case <-time.After(time.Duration(s.pace.Load())):
		case <-ctx.Done():
			return sensor.Block{}, ctx.Err()
		}
	}
	s.idle.Store(false)
	first := s.i * int64(s.n)
	s.i++
	return sensor.Block{Samples: s.buf, CenterHz: 1.75e9, SampleRateHz: 2e6, GainDB: 30,
		FirstSample: first, Time: s.clock.Now(), Device: "faults"}, nil
}

func (s *pacedSource) Close() error { return nil }

// fixedPipeline reports perBlock LTE uplink detections per block, all with
// the block's capture time and start sample and different frequencies (two
// phones transmitting from the same instant).
type fixedPipeline struct{ perBlock int }

func (p fixedPipeline) Process(b sensor.Block, dst []pipeline.Result) ([]pipeline.Result, error) {
	for j := range p.perBlock {
		f := b.CenterHz + float64(j)*5e6 - 10e6
		dst = append(dst, pipeline.Result{
			Em:       dsp.Emission{StartSample: b.FirstSample, SampleCount: int64(len(b.Samples)), SNRDB: 15, DutyCycle: 1},
			Label:    pipeline.Label{Class: event.ClassLTE, Link: event.LinkUplink, Band: "B3", Confidence: 0.9, Text: "lte uplink"},
			CenterHz: f, FreqLowHz: f - 2.5e6, FreqHighHz: f + 2.5e6, BandwidthHz: 5e6,
			PowerDBm: -60, PeakDBm: -55, Time: b.Time, Duration: b.Duration(),
			SampleRateHz: b.SampleRateHz, TuneCenterHz: b.CenterHz,
		})
	}
	return dst, nil
}

func (fixedPipeline) Flush(dst []pipeline.Result) []pipeline.Result { return dst }

// sensorConfig is s1's node config for a broker at url, outbox in dir.
func sensorConfig(url, outboxDir string) config.Config {
	c := config.Default()
	c.Site, c.Sensor = siteID, sensorID
	c.MQTT.URL = url
	c.MQTT.KeepAliveDur = time.Second
	c.MQTT.AckTimeout = time.Second
	c.Outbox.Dir = outboxDir
	c.Outbox.SegmentBytes = 64 << 10
	c.Outbox.QuotaBytes = 16 << 20
	c.Source.SampleRateHz = 2e6
	c.Bands = []config.Band{{Name: "B3", LowHz: 1.7e9, HighHz: 1.8e9, Dwell: 10 * time.Millisecond,
		Kind: config.KindSweep, MaxRevisit: 2 * time.Second}}
	c.Health.IntervalDur = time.Second
	c.Tamper.StallDur = time.Minute // a paused source is not a stalled receiver
	c.SpectrumDur = 0
	return c
}

// runningAgent is an agent started in a goroutine.
type runningAgent struct {
	a      *agent.Agent
	src    *pacedSource
	cancel context.CancelFunc
	done   chan error
}

func startAgent(t testing.TB, cfg config.Config, src *pacedSource, perBlock int, clock agent.Clock) *runningAgent {
	t.Helper()
	a, err := agent.New(cfg, agent.Deps{Source: src, Pipeline: fixedPipeline{perBlock: perBlock}, Clock: clock, Version: "faults"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &runningAgent{a: a, src: src, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- a.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

// finish ends the source; Run drains the outbox (bounded by the ack
// timeout) and returns.
func (r *runningAgent) finish(t testing.TB) {
	t.Helper()
	r.src.stop.Store(true)
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		if err != nil {
			t.Fatalf("agent Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("agent did not finish")
	}
}

// drain pauses the source and waits until l holds every detection the agent
// enqueued but lost (dropped by the quota), then ends the agent; it returns
// the number enqueued.
func (r *runningAgent) drain(t testing.TB, l *ledger, lost int64) int64 {
	t.Helper()
	made := r.settle(t)
	if !waitProgress(20*time.Second, 3*time.Minute, l.unique, func() bool { return int64(l.unique()) >= made-lost }) {
		t.Errorf("fusion processed %d of %d detections (%d lost), nothing new for 20 s; outbox depth %d; fusion's handler received %d",
			l.unique(), made, lost, r.a.Health().OutboxDepth, l.receivedCount())
		diagDump(t, "drain")
	}
	r.finish(t)
	if n := r.a.Stats().Detections; n != made {
		t.Fatalf("agent enqueued %d detections after the pause, had %d", n, made)
	}
	time.Sleep(200 * time.Millisecond) // let late redeliveries arrive
	return made
}

// settle pauses the source and returns the number of detections the
// agent enqueued once the last block's are in the outbox: the agent has
// handled that block once it asks for the next (idle), and its enqueuer
// writes them to disk after that, counting them (Stats) only after the
// outbox has taken them (Health's depth and dropped). A fixed 50 ms sleep
// was too short under -race on a loaded machine, in drain ("agent
// enqueued 525 detections after the pause, had 523") and in
// TestOutboxQuota ("depth 20 + dropped 209, want > 0 dropped summing to
// 202 made"), and a 200 ms one in TestClockJump's phase boundaries.
func (r *runningAgent) settle(t testing.TB) int64 {
	t.Helper()
	r.src.pause.Store(true)
	if !waitUntil(30*time.Second, r.src.idle.Load) {
		t.Fatal("the agent did not ask for a block after the source paused")
	}
	made := r.a.Stats().Detections
	for steady := time.Now(); time.Since(steady) < time.Second; {
		time.Sleep(50 * time.Millisecond)
		if n := r.a.Stats().Detections; n != made {
			made, steady = n, time.Now()
		}
	}
	return made
}

// waitDetections waits until the agent has enqueued at least n detections.
func (r *runningAgent) waitDetections(t testing.TB, n int64) {
	t.Helper()
	if !waitUntil(30*time.Second, func() bool { return r.a.Stats().Detections >= n }) {
		t.Fatalf("agent enqueued only %d detections, want %d", r.a.Stats().Detections, n)
	}
}

// ---------------------------------------------------------------- IDs

// detID is a parsed agent detection ID: sensor-boot-sampleStart-seq.
type detID struct {
	sensor, boot string
	start, seq   int64
}

func parseID(t testing.TB, id string) detID {
	t.Helper()
	p := strings.Split(id, "-")
	if len(p) != 4 {
		t.Fatalf("detection ID %q is not sensor-boot-start-seq", id)
	}
	start, err1 := strconv.ParseInt(p[2], 10, 64)
	seq, err2 := strconv.ParseInt(p[3], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("detection ID %q: bad numbers", id)
	}
	return detID{p[0], p[1], start, seq}
}

// checkExactlyOnce asserts that the ledger holds, for boot, exactly the
// sequence numbers in want (each written once) and nothing from other boots
// outside allowBoots. It returns the sorted sequence numbers seen for boot.
func checkExactlyOnce(t testing.TB, counts map[string]int, boot string, want []int64) {
	t.Helper()
	got := map[int64]int{}
	for id, n := range counts {
		d := parseID(t, id)
		if d.boot != boot {
			continue
		}
		got[d.seq] += n
	}
	var missing []int64
	for _, s := range want {
		switch n := got[s]; {
		case n == 0:
			missing = append(missing, s)
		case n > 1:
			t.Errorf("boot %s seq %d processed %d times", boot, s, n)
		}
		delete(got, s)
	}
	if len(missing) > 0 {
		t.Errorf("boot %s: %d of %d detections lost, first %v", boot, len(missing), len(want), missing[:min(len(missing), 10)])
	}
	if len(got) > 0 {
		extra := make([]int64, 0, len(got))
		for s := range got {
			extra = append(extra, s)
		}
		sort.Slice(extra, func(i, j int) bool { return extra[i] < extra[j] })
		t.Errorf("boot %s: %d unexpected detections, first %v", boot, len(extra), extra[:min(len(extra), 10)])
	}
}

// seqRange returns lo..hi inclusive.
func seqRange(lo, hi int64) []int64 {
	out := make([]int64, 0, max(hi-lo+1, 0))
	for s := lo; s <= hi; s++ {
		out = append(out, s)
	}
	return out
}

// wallClock is the real UTC clock.
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now().UTC() }

// detIDString is the ID of the agent's seq-th detection of a run with boot
// ID boot and one detection per 2000-sample block.
func detIDString(boot string, seq int64) string {
	return agent.DetectionID(sensorID, boot, (seq-1)*2000, seq)
}
