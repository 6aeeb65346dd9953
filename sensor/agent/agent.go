package agent

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/internal/mqttlink"
	"github.com/rfwarden/rfwarden/internal/probeserver"
	"github.com/rfwarden/rfwarden/internal/statelock"
	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/config"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/publish"
	"github.com/rfwarden/rfwarden/sensor/scan"
)

// Pipeline turns Blocks into detections; *pipeline.Pipeline implements it.
type Pipeline interface {
	Process(b sensor.Block, dst []pipeline.Result) ([]pipeline.Result, error)
	Flush(dst []pipeline.Result) []pipeline.Result
}

var _ Pipeline = (*pipeline.Pipeline)(nil)

// Clock tells the time; tests pass a simulated clock.
type Clock interface{ Now() time.Time }

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now().UTC() }

// Deps are the agent's collaborators.
type Deps struct {
	Source        sensor.Source   // required; if it is a sensor.Tuner the scan plan drives it
	Pipeline      Pipeline        // required
	ClientFactory publish.Factory // nil: publish.NewPaho
	Password      string          // MQTT password (read from mqtt.password_file by the caller; the client reads the file again when the broker refuses it)
	Clock         Clock           // nil: wall clock
	Logger        *slog.Logger    // nil: discard
	Registry      prometheus.Registerer
	Gatherer      prometheus.Gatherer // for /metrics; nil: no /metrics
	// HTTPLimits bound what one client may hold of the /healthz and
	// /metrics server on http_addr; zero: probeserver.Defaults.
	HTTPLimits probeserver.Limits
	Version    string
	// RevisitSlack lets a band's revisit run up to max_revisit × (1 +
	// RevisitSlack) before it counts as missed (logged, counted, health
	// degraded); 0, for a node: the plan is held to its bound. A negative
	// value turns the check off: the demo's simulated sensors share two
	// cores with their own rendering and skip ahead when they fall
	// behind, so they cannot keep a node's plan, and the demo reports its
	// throughput itself.
	RevisitSlack float64
	// Started, when not nil, is called once by Run when it holds the
	// outbox and has started the MQTT client, before the first block is
	// read: the service's start line is printed there, so a start that
	// fails (the outbox locked, a bad TLS file) prints none.
	Started func()
}

// Stats are the agent's counters.
type Stats struct {
	Blocks     int64
	Samples    int64
	Detections int64 // accepted durably into the outbox
	Snippets   int64
	Dropped    int64 // samples the source reported lost
	Overloads  int64 // clipped samples
	SourceErrs int64
	AGCChanges int64 // gain changes made by the AGC
	ClockSteps int64 // re-anchorings of the source's sample clock to the host clock (Block.ClockStep)
	// LostAtStop counts the detections still held in memory, the outbox's
	// disk refusing them, when Run stopped: lost, logged, and counted in
	// health's outbox_dropped (and its metrics) too.
	LostAtStop int64
}

// Agent runs one sensor node.
type Agent struct {
	cfg   config.Config
	deps  Deps
	log   *slog.Logger
	clock Clock
	boot  string
	sched *scan.Scheduler
	tuner sensor.Tuner
	snip  *snippets
	met   *metrics
	agc   *AGC // nil: AGC off or the source cannot change gain

	evidenceRetry time.Duration // 0: the const evidenceRetry
	gateGraceTest time.Duration // 0: the const gateGrace
	// retryWait waits d before the source is tried again after an error,
	// or until ctx ends; nil sleeps (tests record the waits instead).
	retryWait func(ctx context.Context, d time.Duration)
	// wall tells the time of stalls and of the log's rate limit: when
	// blocks arrive, not the time they were captured (Clock), which a
	// replayed or simulated source sets; nil is time.Now.
	wall func() time.Time
	// srcLog rate-limits the warnings that repeat (limitLog); only the
	// loop uses it.
	srcLog map[string]*logged

	// pubMu guards lastHlth and lastState: the loop and the stall
	// watchdog both publish health; and it orders the updates of
	// rfwarden_sensor_state (health's and the MQTT link's, updateState).
	pubMu     sync.Mutex
	lastHlth  time.Time
	lastState string
	httpAddr  string // the address http_addr bound, under mu

	mu     sync.Mutex  // guards the fields below, read by health and /healthz
	linkUp func() bool // the MQTT client's IsConnected while Run runs, for /healthz
	// linkWhy is the MQTT client's ConnectErrorer while Run runs (nil when
	// the client is not one): why it is not connected, for /healthz, and
	// its failed attempts for /metrics, on top of connFailures, those of
	// the clients of earlier runs.
	linkWhy      publish.ConnectErrorer
	connFailures int64
	// gate holds the detections until fusion's session marker arrives on
	// the current connection (fusiongate.go); nil outside Run.
	gate   *publish.Gate
	tamper *Tamper
	stats  Stats
	outbox *publish.Outbox
	disk   diskState // the enqueuer's writes to the outbox
	// droppedBefore is what the outboxes of earlier runs dropped, and
	// droppedMax the most rfwarden_outbox_dropped_total has reported (an
	// outbox takes back a record it dropped while it was in flight and
	// delivered after all; a counter does not go back).
	droppedBefore, droppedMax int64
	// srcErr is the source's latest error since its last block (the cause
	// given for a stall), "" while blocks arrive.
	srcErr string
	// srcEnded is set when a finite source (a file's recording) ended:
	// no block comes any more, and none is expected, while the sender
	// drains the outbox (not a stall).
	srcEnded bool
	revisit  revisits // the scan plan's revisits against max_revisit

	seq      int64
	meter    BlockMeter // per-block statistics for the tamper detector and the AGC
	results  []pipeline.Result
	lastSpec time.Time
	live     chan liveMsg
	curBand  string
	// tuneBand names the band of each tuning (RF centre) blocks came in
	// on: a retune flushes the old tuning's emissions while the new
	// tuning's block is handled, and they belong to the old band.
	tuneBand map[float64]string
	// prev is the last block handled, without its samples: a retune's
	// flush is emitted against it (see handle).
	prev    sensor.Block
	pending chan []byte // encoded detections on their way into the outbox
	// refs keeps the pipeline's reference floors in their file (nil: off)
	refs *refFloors
}

type liveMsg struct {
	topic   string
	qos     byte
	payload []byte
}

// New validates cfg and deps and returns an agent; nothing touches the
// network or disk until Run.
func New(cfg config.Config, deps Deps) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Source == nil || deps.Pipeline == nil {
		return nil, errors.New("agent: source and pipeline are required")
	}
	if deps.ClientFactory == nil {
		deps.ClientFactory = publish.NewPaho
	}
	a := &Agent{cfg: cfg, deps: deps, log: deps.Logger, clock: deps.Clock, tamper: NewTamper(cfg.Tamper),
		live: make(chan liveMsg, 8), lastState: event.StateOK, revisit: newRevisits(cfg.Bands, deps.RevisitSlack)}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.clock == nil {
		a.clock = wallClock{}
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("agent: boot ID: %w", err)
	}
	a.boot = hex.EncodeToString(b[:])
	if t, ok := deps.Source.(sensor.Tuner); ok {
		s, err := scan.New(cfg.ScanBands(), cfg.Source.SampleRateHz, scan.Options{})
		if err != nil {
			return nil, fmt.Errorf("agent: %w", err)
		}
		a.sched, a.tuner = s, t
	}
	if gs, ok := deps.Source.(sensor.GainSetter); ok && cfg.AGC.Enabled {
		a.agc = NewAGC(cfg.AGC, gs)
	}
	if cfg.Snippets.Dir != "" && cfg.Snippets.MaxCount > 0 {
		a.snip = &snippets{dir: cfg.Snippets.Dir, sensor: cfg.Sensor, site: cfg.Site, maxCount: cfg.Snippets.MaxCount, maxBytes: cfg.Snippets.MaxBytes, dur: cfg.Snippets.Dur, every: cfg.Snippets.Every,
			local: !cfg.Snippets.Upload}
	}
	if deps.Registry != nil {
		m, err := newMetrics(deps.Registry, a.snip)
		if err != nil {
			return nil, fmt.Errorf("agent: metrics: %w", err)
		}
		a.met = m
		if err := registerLoss(deps.Registry, a.lossCounts); err != nil {
			return nil, fmt.Errorf("agent: metrics: %w", err)
		}
		for _, b := range cfg.Bands {
			m.revisitMax.WithLabelValues(b.Name).Set(b.MaxRevisit.Seconds())
			// the counters' series at 0 from the start, so that an
			// increase() rule sees their first count
			m.revisitMissed.WithLabelValues(b.Name)
			if a.agc != nil {
				m.agcChanges.WithLabelValues(b.Name, "down")
				m.agcChanges.WithLabelValues(b.Name, "up")
			}
		}
		if err := deps.Registry.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rfwarden_mqtt_connect_failures_total",
			Help: "Failed attempts to connect to the MQTT broker (the log has each distinct error)."},
			func() float64 { return float64(a.mqttFailures()) })); err != nil {
			return nil, fmt.Errorf("agent: metrics: %w", err)
		}
	}
	return a, nil
}

// lossCounts returns the counts of data lost and of receiver faults since
// start, for their metrics.
func (a *Agent) lossCounts() lossCounts {
	a.mu.Lock()
	defer a.mu.Unlock()
	dropped := a.droppedBefore + a.disk.dropped
	if a.outbox != nil {
		dropped += a.outbox.Stats().Dropped
	}
	a.droppedMax = max(a.droppedMax, dropped)
	return lossCounts{outboxDropped: a.droppedMax, droppedSamples: a.stats.Dropped,
		sourceErrors: a.stats.SourceErrs, overloads: a.stats.Overloads}
}

// setMQTTConnected sets rfwarden_mqtt_connected, from the MQTT client's
// OnConnect (up) and ConnectionLost handlers.
func (a *Agent) setMQTTConnected(up bool) {
	if a.met == nil {
		return
	}
	if up {
		a.met.mqttConnected.Set(1)
		return
	}
	a.met.mqttConnected.Set(0)
}

// linkChanged is the MQTT client's Link handler, called from paho's
// OnConnect (up) and ConnectionLost handlers, each on a goroutine of its
// own once the connection's state has changed: it sets
// rfwarden_mqtt_connected, and rfwarden_sensor_state to what /healthz
// answers now (updateState), so that the gauge follows a broker's loss
// and recovery at once, not at the next health.interval.
func (a *Agent) linkChanged(up bool) {
	a.setMQTTConnected(up)
	a.updateState()
}

// updateState sets rfwarden_sensor_state to the state /healthz answers
// now. It reads the link's state (withLink) rather than trusting the
// handler's argument, under pubMu: paho runs its handlers on goroutines
// of their own, in no set order, and each runs after its change, so the
// last to take pubMu sets the gauge from the link's latest state.
func (a *Agent) updateState() {
	if a.met == nil {
		return
	}
	a.pubMu.Lock()
	defer a.pubMu.Unlock()
	a.setStateLocked(a.withLink(a.Health()).State)
}

// setStateLocked sets rfwarden_sensor_state to 1 for state and 0 for the
// others; the caller holds pubMu and a.met is not nil.
func (a *Agent) setStateLocked(state string) {
	for _, s := range event.States {
		v := 0.0
		if s == state {
			v = 1
		}
		a.met.state.WithLabelValues(s).Set(v)
	}
}

// mqttFailures counts the failed attempts to connect to the broker, of
// every run.
func (a *Agent) mqttFailures() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := a.connFailures
	if a.linkWhy != nil {
		n += a.linkWhy.ConnectFailures()
	}
	return n
}

// command takes one message of the sensor's cmd topic (fusion's
// event.Command). One that does not decode, or is for another site or
// sensor, is logged and counted, never acted on. It runs on the MQTT
// client's goroutine.
func (a *Agent) command(payload []byte) {
	c, err := event.DecodeCommand(payload)
	if err == nil && (c.Site != a.cfg.Site || c.Sensor != a.cfg.Sensor) {
		err = fmt.Errorf("command for sensor %s/%s reached %s/%s", c.Site, c.Sensor, a.cfg.Site, a.cfg.Sensor)
	}
	if err != nil {
		a.log.Warn("command refused", "topic", a.topic(event.KindCmd), "bytes", len(payload), "err", err)
		a.countCommand("invalid", "refused")
		return
	}
	switch c.Cmd {
	case event.CmdSession:
		a.sessionMarker(c)
		a.countCommand(c.Cmd, "ok")
	case event.CmdKeep:
		if a.snip == nil {
			a.log.Info("keep: this sensor saves no snippets", "alert", c.Alert)
			a.countCommand(c.Cmd, "no_snippets")
			return
		}
		have, newly := a.snip.keep(c.Detections)
		a.log.Info("snippets kept as alert evidence", "alert", c.Alert, "detections", len(c.Detections), "with_snippet", have, "newly_kept", newly)
		a.countCommand(c.Cmd, "ok")
	}
}

// evidenceRetry is how often the uploader looks again for kept snippets
// it could not send (not connected, or not written yet); tests shorten it
// through Agent.evidenceRetry.
const evidenceRetry = 30 * time.Second

// uploadEvidence sends the kept snippets not sent yet (an alert's
// evidence) on the sensor's evidence topic (event.EvidenceTopic), QoS 1,
// one at a time, each as a SigMF archive, and marks each sent once the
// broker has it. It looks when keep marks new ones, and every
// evidenceRetry.
func (a *Agent) uploadEvidence(ctx context.Context, c publish.Client) {
	t := time.NewTicker(cmp.Or(a.evidenceRetry, evidenceRetry))
	defer t.Stop()
	topic := event.EvidenceTopic(a.cfg.Site, a.cfg.Sensor)
	for {
		for _, name := range a.snip.unsent() {
			if ctx.Err() != nil || !c.IsConnected() {
				break
			}
			b, err := a.snip.archive(name)
			if err != nil { // still queued for writing, or removed by hand
				a.log.Debug("evidence upload: not readable yet", "snippet", name, "err", err)
				continue
			}
			pctx, cancel := context.WithTimeout(ctx, max(a.cfg.MQTT.AckTimeout, 30*time.Second))
			err = c.Publish(pctx, topic, publish.QoS1, false, b)
			cancel()
			if err != nil {
				a.log.Warn("evidence upload", "snippet", name, "bytes", len(b), "err", err)
				break
			}
			a.snip.markSent(name)
			a.log.Info("evidence uploaded", "snippet", name, "bytes", len(b))
		}
		select {
		case <-ctx.Done():
			return
		case <-a.snip.kept:
		case <-t.C:
		}
	}
}

func (a *Agent) countCommand(cmd, result string) {
	if a.met != nil {
		a.met.commands.WithLabelValues(cmd, result).Inc()
	}
}

// BootID returns the random part of this run's detection IDs.
func (a *Agent) BootID() string { return a.boot }

// Stats returns a snapshot of the counters.
func (a *Agent) Stats() Stats {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stats
}

// Run runs the agent until ctx ends or a finite source is exhausted (then it
// waits for the outbox to drain, at most the MQTT ack timeout), and closes the
// outbox, which keeps every unacknowledged record on disk for the next run.
func (a *Agent) Run(ctx context.Context) error {
	// Before the outbox or the broker: a second sensor started by mistake
	// with this config would share the outbox and, under the same client
	// ID, take the running sensor's MQTT session.
	lock, err := statelock.Acquire(statelock.For(a.cfg.Outbox.Dir))
	if errors.Is(err, statelock.ErrHeld) {
		return fmt.Errorf("outbox.dir: %w: another sensor runs with this outbox; stop it first (systemctl stop rfwarden-sensor)", err)
	}
	if err != nil {
		return fmt.Errorf("outbox.dir: %w", err)
	}
	defer lock.Release()
	a.refs = a.newRefFloors()
	if a.refs != nil {
		if err := a.refs.load(a); err != nil {
			return err
		}
		a.refs.save = make(chan []pipeline.RefFloor, 1)
	}
	if a.cfg.HTTPAddr != "" {
		srv, err := a.serveHTTP()
		if err != nil {
			return err
		}
		defer srv.Close()
	}
	ob, err := publish.Open(a.cfg.Outbox.Dir, publish.OutboxOptions{QuotaBytes: a.cfg.Outbox.QuotaBytes,
		SegmentBytes: a.cfg.Outbox.SegmentBytes, Logger: a.log,
		// Persisting the cursor on every acknowledgement cost two fsyncs per
		// detection (CPU and SD-card wear); after a crash, fusion drops the
		// at most 250 ms of re-delivered detections by event ID.
		CursorEvery: 250 * time.Millisecond})
	if err != nil {
		return err
	}
	a.mu.Lock()
	if a.outbox != nil {
		a.droppedBefore += a.outbox.Stats().Dropped
	}
	a.outbox = ob
	a.mu.Unlock()
	defer ob.Close()
	a.pending = make(chan []byte, 1024)
	enqDone := make(chan struct{})
	go func() { defer close(enqDone); a.enqueuer(ob, defaultHold()) }()
	defer func() { close(a.pending); <-enqDone }() // every detection handed over reaches the outbox, unless the disk refuses it
	if a.snip != nil {
		if err := a.snip.init(); err != nil {
			return err
		}
		a.snip.kept = make(chan struct{}, 1) // before the client connects: keep signals it
		defer a.snip.start(a.log)()          // the queued snippets are written before Run returns
	}
	// Detections wait for fusion's session marker on each connection
	// (fusiongate.go): the gate closes at every connection attempt and
	// opens when the marker arrives on the cmd topic.
	gate := publish.NewGate()
	a.mu.Lock()
	a.gate = gate
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.gate = nil
		a.mu.Unlock()
	}()
	opts := publish.Options{BrokerURL: a.cfg.MQTT.URL, ClientID: a.cfg.Sensor, Username: a.cfg.MQTT.Username,
		Password: a.deps.Password, PasswordFile: a.cfg.MQTT.PasswordFile, StatusTopic: a.topic(event.KindStatus), KeepAliveDur: a.cfg.MQTT.KeepAliveDur, Logger: a.log,
		Subscribe:  []publish.Subscription{{Topic: a.topic(event.KindCmd), QoS: publish.QoS1, Handle: a.command, Refused: a.subscribeRefused}},
		Connecting: gate.Close, Link: a.linkChanged, Keys: sensorMQTTKeys}
	if a.cfg.MQTT.CAFile != "" || a.cfg.MQTT.CertFile != "" {
		if opts.TLS, err = publish.TLSConfig(a.cfg.MQTT.CAFile, a.cfg.MQTT.CertFile, a.cfg.MQTT.KeyFile); err != nil {
			return err
		}
	}
	client, err := a.deps.ClientFactory(opts)
	if err != nil {
		return fmt.Errorf("mqtt client: %w", err)
	}
	defer a.setMQTTConnected(false) // after the Disconnect, which calls no handler
	defer client.Disconnect()
	a.mu.Lock()
	a.linkUp = client.IsConnected
	a.linkWhy, _ = client.(publish.ConnectErrorer)
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.linkUp = nil
		if a.linkWhy != nil {
			a.connFailures += a.linkWhy.ConnectFailures()
			a.linkWhy = nil
		}
		a.mu.Unlock()
	}()

	bg, stopBG := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { stopBG(); wg.Wait() }()
	wg.Go(func() {
		// Connect keeps retrying in the background; the sender waits meanwhile.
		if err := client.Connect(bg); err != nil && bg.Err() == nil {
			a.log.Warn("mqtt connect", "err", err)
		}
	})
	sender := &publish.Sender{Outbox: ob, Client: client, Topic: a.topic(event.KindDetection),
		AckTimeout: a.cfg.MQTT.AckTimeout, Window: a.cfg.MQTT.MaxInflight, Logger: a.log, Gate: gate}
	wg.Go(func() {
		// The sender stops only on an outbox error (a cursor it cannot
		// write): say so, and start it again, or delivery would end here.
		for {
			err := sender.Run(bg)
			if err == nil || bg.Err() != nil {
				return
			}
			a.log.Error("detection sender stopped: starting it again in 1 s", "err", err)
			select {
			case <-bg.Done():
				return
			case <-time.After(time.Second):
			}
		}
	})
	wg.Go(func() { a.livePublisher(bg, client) })
	if a.refs != nil {
		wg.Go(func() { a.refs.run(a, bg.Done()) })
	}
	wg.Go(func() { a.watchGate(bg) })
	a.mu.Lock()
	a.tamper.Expect(a.now())
	a.srcErr, a.srcEnded = "", false
	a.mu.Unlock()
	wg.Go(func() { a.watchStall(bg) })
	if a.snip != nil && a.cfg.Snippets.Upload {
		wg.Go(func() { a.uploadEvidence(bg, client) })
	}
	if a.deps.Started != nil {
		a.deps.Started()
	}
	err = a.loop(ctx)
	// The emissions still open (a phone transmitting without a gap, one
	// within the merge gap of its end) are detections too: close them
	// before the outbox does, whether the source ended, failed or the
	// agent was stopped.
	if a.prev.SampleRateHz > 0 {
		a.closeTuning(a.prev)
	}
	if a.refs != nil { // at a clean stop, or a source's end
		a.refs.write(a, a.refs.keeper.RefFloors())
	}
	if errors.Is(err, io.EOF) {
		a.mu.Lock()
		a.srcEnded = true // while the outbox drains, till Run returns
		a.mu.Unlock()
		defer func() {
			a.mu.Lock()
			a.srcEnded = false
			a.mu.Unlock()
		}()
		close(a.pending)
		<-enqDone
		a.pending = make(chan []byte) // for the deferred close
		// A finite source ended: give the sender a bounded time to drain.
		deadline := time.Now().Add(a.cfg.MQTT.AckTimeout)
		for ob.Stats().Depth > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
			time.Sleep(10 * time.Millisecond)
		}
		a.publishHealth(true)
		return nil
	}
	if ctx.Err() != nil {
		return nil
	}
	return err
}

func (a *Agent) topic(kind string) string { return event.SensorTopic(a.cfg.Site, a.cfg.Sensor, kind) }

// Retries of a source that fails: the first retryMin after the error,
// each later one twice as long after the one before, at most retryMax; a
// block starts again at retryMin.
const (
	retryMin = 100 * time.Millisecond
	retryMax = 10 * time.Second
)

// nextRetry returns the wait before the next try after one of d (0: none
// yet).
func nextRetry(d time.Duration) time.Duration {
	if d <= 0 {
		return retryMin
	}
	return min(2*d, retryMax)
}

// loop reads blocks until ctx ends or a finite source ends (io.EOF). A
// source that fails, in Next or in a retune, is tried again with back-off
// (nextRetry) for as long as the agent runs: the stall watchdog reports it.
func (a *Agent) loop(ctx context.Context) error {
	var stepEnd time.Time
	var stepLeft, retry time.Duration
	for ctx.Err() == nil {
		if a.sched != nil && stepLeft <= 0 {
			now := a.clock.Now()
			if !stepEnd.IsZero() && now.Before(stepEnd) {
				now = stepEnd
			}
			st := a.sched.Next(now)
			if err := a.tuner.Tune(st.CenterHz, st.SampleRateHz); err != nil {
				err = fmt.Errorf("tune %.0f Hz: %w", st.CenterHz, err)
				if !errors.Is(err, sensor.ErrPreviousStream) {
					retry = a.sourceFailed(ctx, err, retry)
					continue
				}
				// The new tuning holds: count and log the old stream's
				// failure, and dwell on the step (it was skipped).
				a.noteSourceError(err, true, false)
			}
			if a.agc != nil {
				if err := a.agc.Retuned(st.CenterHz, st.SampleRateHz); err != nil {
					a.warnSource(err)
				}
			}
			a.curBand, stepLeft, stepEnd = st.Band, st.Dwell, now.Add(st.Dwell)
			a.visited(st, now)
			if a.met != nil {
				for band, d := range a.sched.Revisit() {
					a.met.revisit.WithLabelValues(band).Set(d.Seconds())
				}
			}
		}
		nctx, cancel := context.WithTimeout(ctx, a.cfg.Tamper.StallDur)
		b, err := a.deps.Source.Next(nctx)
		timedOut := errors.Is(nctx.Err(), context.DeadlineExceeded) // Next's own timeout, not a timeout inside the source
		cancel()
		switch {
		case err == nil:
		case ctx.Err() != nil || errors.Is(err, io.EOF):
			return err
		case timedOut && errors.Is(err, context.DeadlineExceeded):
			// No block within tamper.stall: a stall, which the watchdog
			// would find too. Ask again at once.
			a.noteSourceError(err, false, true)
			continue
		default:
			retry = a.sourceFailed(ctx, err, retry)
			continue
		}
		retry = 0
		stepLeft -= b.Duration()
		if err := a.handle(b); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// sourceFailed counts and logs a source error, checks for a stall and
// waits before the next try; it returns the wait (retry was the last one).
func (a *Agent) sourceFailed(ctx context.Context, err error, retry time.Duration) time.Duration {
	a.noteSourceError(err, true, true)
	retry = nextRetry(retry)
	if a.retryWait != nil {
		a.retryWait(ctx, retry)
		return retry
	}
	t := time.NewTimer(retry)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
	return retry
}

// noteSourceError makes err the source's latest error (health's stalled
// reason) and logs it, rate-limited. counted adds it to the source errors;
// lost says the time since the last block was lost to the source: no
// revisit is missed over it (a stall, not a late plan), and the watchdog
// is asked at once.
func (a *Agent) noteSourceError(err error, counted, lost bool) {
	a.mu.Lock()
	if counted {
		a.stats.SourceErrs++
	}
	a.srcErr = err.Error()
	if lost {
		a.revisit.forget()
	}
	a.mu.Unlock()
	a.warnSource(err)
	if lost {
		a.checkStall()
	}
}

// now is the time of the stall watchdog and of the log's rate limit.
func (a *Agent) now() time.Time {
	if a.wall != nil {
		return a.wall()
	}
	return time.Now()
}

// stallTick is how often the watchdog looks for a stall: a quarter of
// tamper.stall, between 10 ms and 1 s.
func stallTick(stall time.Duration) time.Duration {
	return min(max(stall/4, 10*time.Millisecond), time.Second)
}

// watchStall runs until ctx ends: it marks the sensor stalled when no
// block has arrived for tamper.stall, however the loop is held up (a
// source that fails every call, or one that hangs in Next or in a
// retune), and publishes health when it is due, blocks or none.
func (a *Agent) watchStall(ctx context.Context) {
	t := time.NewTicker(stallTick(a.cfg.Tamper.StallDur))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.checkStall()
			a.publishHealth(false)
		}
	}
}

// checkStall marks the sensor stalled when no block arrived for
// tamper.stall, with the source's latest error as the cause, and then
// publishes health at once.
func (a *Agent) checkStall() {
	a.mu.Lock()
	stalled := !a.srcEnded && a.tamper.CheckStall(a.now(), a.srcErr)
	a.mu.Unlock()
	if stalled {
		a.publishHealth(true)
	}
}

// logEvery is how often at most a warning that repeats (an error of the
// source, a band's revisit missed) is logged again.
const logEvery = time.Minute

// logged is when a warning was last logged, and how many times it has
// happened since.
type logged struct {
	at      time.Time
	repeats int
}

// limitLog rate-limits the warnings of key: it reports whether to log one
// now (when key is new, or logEvery has passed since it was last logged),
// and then how many times it happened since it was logged, and over how
// long. Only the loop calls it.
func (a *Agent) limitLog(key string) (repeats int, over time.Duration, ok bool) {
	now := a.now()
	l := a.srcLog[key]
	if l != nil && now.Sub(l.at) < logEvery {
		l.repeats++
		return 0, 0, false
	}
	if l == nil {
		if a.srcLog == nil || len(a.srcLog) >= 64 {
			a.srcLog = map[string]*logged{}
		}
		l = &logged{}
		a.srcLog[key] = l
	}
	repeats, over = l.repeats, now.Sub(l.at)
	l.at, l.repeats = now, 0
	return repeats, over, true
}

// warnLimited logs msg with args at warning level under limitLog's rate
// limit for key, with the count of repeats when there were some.
func (a *Agent) warnLimited(key, msg string, args ...any) {
	n, over, ok := a.limitLog(key)
	if !ok {
		return
	}
	if n > 0 {
		args = append(args, "repeated", n, "over", roundDur(over))
	}
	a.log.Warn(msg, args...)
}

// warnSource logs an error of the source at warning level when it is new,
// then at most once per logEvery while it repeats, with the count of
// repeats since the last line: a receiver that fails ten times a second
// logged ten lines a second. Errors that differ only in their numbers (a
// frequency, a byte count) count as the same. Only the loop calls it.
func (a *Agent) warnSource(err error) {
	a.warnLimited("source "+errKey(err.Error()), "source", "err", err)
}

// errKey is msg with every run of digits replaced by one '#'.
func errKey(msg string) string {
	b := make([]byte, 0, len(msg))
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c < '0' || c > '9' {
			b = append(b, c)
		} else if i == 0 || msg[i-1] < '0' || msg[i-1] > '9' {
			b = append(b, '#')
		}
	}
	return string(b)
}

// visited records that the loop tuned to the scan step st at now, and
// counts, logs (rate-limited) and reports in health a revisit of its tuning
// later than its band's max_revisit.
func (a *Agent) visited(st scan.Step, now time.Time) {
	a.mu.Lock()
	gap, bound, missed := a.revisit.visit(st.Band, st.CenterHz, now)
	a.mu.Unlock()
	if missed == 0 {
		return
	}
	if a.met != nil {
		a.met.revisitMissed.WithLabelValues(st.Band).Inc()
	}
	a.warnLimited("revisit "+st.Band, "scan revisit missed", "band", st.Band, "center_hz", st.CenterHz,
		"revisit", gap.Round(time.Millisecond), "max_revisit", bound, "missed_total", missed)
}

// A band is late (health degraded) from its revisitLate-th revisit later
// than its max_revisit, each within revisitClear of the one before, until
// revisitClear passes without one: one late revisit (a pause of the
// process) is counted and logged only, and a band that misses now and
// then does not turn health back and forth.
const (
	revisitLate  = 2
	revisitClear = time.Minute
)

// revisits measures the scan plan's revisits (start to start, on the
// agent's Clock) against each band's max_revisit. It is not safe for
// concurrent use.
type revisits struct {
	bound map[string]time.Duration // max_revisit per band
	last  map[revisitCell]time.Time
	bands map[string]*bandRevisit
}

type revisitCell struct {
	band     string
	centerHz float64
}

// bandRevisit is a band's revisits later than its max_revisit.
type bandRevisit struct {
	missed   int64         // since start
	streak   int           // each within revisitClear of the one before
	lastMiss time.Time     // of the streak
	worst    time.Duration // longest revisit of the streak
}

// newRevisits measures revisits against each band's max_revisit, with
// slack (Deps.RevisitSlack) on top; none when slack is negative.
func newRevisits(bands []config.Band, slack float64) revisits {
	r := revisits{bound: map[string]time.Duration{}, last: map[revisitCell]time.Time{}, bands: map[string]*bandRevisit{}}
	if slack < 0 {
		return r // no bound: no revisit is missed
	}
	for _, b := range bands {
		r.bound[b.Name] = time.Duration(float64(b.MaxRevisit) * (1 + slack))
	}
	return r
}

// visit records a visit of band's tuning at centerHz at now. When it comes
// later than the band's max_revisit after the one before, it returns the
// revisit, the bound and the band's missed revisits since start, else
// missed 0.
func (r *revisits) visit(band string, centerHz float64, now time.Time) (gap, bound time.Duration, missed int64) {
	k := revisitCell{band, centerHz}
	last, ok := r.last[k]
	r.last[k] = now
	bound = r.bound[band]
	if gap = now.Sub(last); !ok || bound <= 0 || gap <= bound {
		return gap, bound, 0
	}
	b := r.bands[band]
	if b == nil {
		b = &bandRevisit{}
		r.bands[band] = b
	}
	if now.Sub(b.lastMiss) > revisitClear {
		b.streak, b.worst = 0, 0
	}
	b.missed++
	b.streak++
	b.lastMiss, b.worst = now, max(b.worst, gap)
	return gap, bound, b.missed
}

// forget drops the visits so far: the next visit of each tuning measures
// no revisit (after the source failed or stalled, which health reports
// itself).
func (r *revisits) forget() { clear(r.last) }

// late returns a reason for each band late at now (see revisitLate), in
// the order of the scan plan.
func (r *revisits) late(now time.Time, bands []config.Band) []string {
	var reasons []string
	for _, cb := range bands {
		b := r.bands[cb.Name]
		if b == nil || b.streak < revisitLate || now.Sub(b.lastMiss) > revisitClear {
			continue
		}
		reasons = append(reasons, fmt.Sprintf("band %s: revisit %v over max_revisit %v (%d late revisits)",
			cb.Name, b.worst.Round(10*time.Millisecond), cb.MaxRevisit, b.streak))
	}
	return reasons
}

// bandOf names the band a block belongs to: the scheduled band, else the
// configured band containing its centre, else its centre in MHz.
func (a *Agent) bandOf(centerHz float64) string {
	if a.curBand != "" {
		return a.curBand
	}
	for _, b := range a.cfg.Bands {
		if centerHz >= b.LowHz && centerHz <= b.HighHz {
			return b.Name
		}
	}
	return fmt.Sprintf("%.0fMHz", centerHz/1e6)
}

// closeTuning flushes the emissions the pipeline still holds for the
// tuning p (the last block of which it saw) and emits them.
func (a *Agent) closeTuning(p sensor.Block) {
	a.results = a.deps.Pipeline.Flush(a.results[:0])
	for i := range a.results {
		a.emit(&a.results[i], p, a.tuneBand[p.CenterHz])
	}
}

func (a *Agent) handle(b sensor.Block) error {
	// A new tuning closes the old one's emissions. Flush them before the
	// pipeline sees the new block, while its ring still holds their
	// samples: a phone that transmits without a gap is closed only by the
	// retune, and its snippet is cut from that ring.
	if p := a.prev; p.SampleRateHz > 0 && (b.Retuned || b.CenterHz != p.CenterHz || b.SampleRateHz != p.SampleRateHz) {
		a.closeTuning(p)
	}
	a.prev = b
	a.prev.Samples = nil
	band := a.bandOf(b.CenterHz)
	if a.tuneBand[b.CenterHz] != band {
		if a.tuneBand == nil || len(a.tuneBand) >= 1024 {
			a.tuneBand = map[float64]string{}
		}
		a.tuneBand[b.CenterHz] = band
	}
	st := a.meter.Measure(b.Samples)
	st.FloorDBFS -= b.GainDB // dBm at the antenna, uncalibrated
	st.SpectralDBFS -= b.GainDB
	a.mu.Lock()
	if a.agc != nil && a.agc.Lowered(b) {
		// A strong signal made the AGC take gain away: the floor is under
		// the quantiser, not a cut antenna (a staff radio beside the demo's
		// s3 took its TETRA tuning to 2 dB, and with one other band's floor
		// down the node reported itself tampered). A jammer's rise still
		// shows.
		st.FloorHidden = true
	}
	st.AGCCuring = a.agc != nil && a.agc.Curing(b)
	a.tamper.Observe(band, a.now(), st)
	a.srcErr = ""
	a.stats.Blocks++
	a.stats.Samples += int64(len(b.Samples))
	a.stats.Dropped += b.Dropped
	a.stats.Overloads += st.Clipped
	if b.ClockStep != 0 {
		a.stats.ClockSteps++
	}
	var agcDir int
	var agcErr error
	if a.agc != nil {
		agcDir, agcErr = a.agc.Observe(b, band, st)
		a.stats.AGCChanges = a.agc.Changes()
	}
	a.mu.Unlock()
	if a.met != nil {
		a.met.samples.Add(float64(len(b.Samples)))
	}
	if b.ClockStep != 0 {
		// Rare (a step of the host clock, or a crystal's error reaching the
		// source's bound): each is logged once, as it happens.
		a.log.Warn("source clock re-anchored to the host clock", "step", b.ClockStep, "center_hz", b.CenterHz)
		if a.met != nil {
			a.met.clockSteps.Inc()
		}
	}
	if a.agc != nil {
		if agcErr != nil {
			a.warnSource(agcErr)
		}
		if agcDir != 0 {
			a.log.Debug("agc", "band", band, "center_hz", b.CenterHz, "from_db", b.GainDB, "step", agcDir)
			if a.met != nil {
				dir := "up"
				if agcDir < 0 {
					dir = "down"
				}
				a.met.agcChanges.WithLabelValues(band, dir).Inc()
			}
		}
		// The pipeline sees every block at the tuning's reference gain, so
		// calibrated powers do not jump when the AGC changes the gain.
		b = a.agc.Normalise(b)
	}

	var err error
	a.results, err = a.deps.Pipeline.Process(b, a.results[:0])
	if err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	for i := range a.results {
		a.emit(&a.results[i], b, band)
	}
	a.publishHealth(false)
	now := a.clock.Now()
	if a.refs != nil {
		a.refs.tick(now)
	}
	if a.cfg.SpectrumDur > 0 && due(now, a.lastSpec, a.cfg.SpectrumDur) {
		a.lastSpec = now
		a.publishSpectrum(b)
	}
	return nil
}

// DetectionID returns the event ID of a detection: sensor, boot ID (random
// per run, so IDs survive restarts unique), first sample and a counter.
func DetectionID(sensorID, boot string, sampleStart, seq int64) string {
	return fmt.Sprintf("%s-%s-%d-%d", sensorID, boot, sampleStart, seq)
}

// emit queues the detection of r for the outbox. A detection that does
// not validate is dropped before it takes a sequence number: the SEQ of
// the IDs counts the detections queued for the outbox and nothing else,
// so fusion takes a gap in a boot's SEQs for detections it never received
// (docs/events.md, "Detections fusion never received").
func (a *Agent) emit(r *pipeline.Result, b sensor.Block, band string) {
	// A result of an earlier tuning (flushed by this block's retune) is
	// named after that tuning's band, and b holds none of its samples: no
	// snippet (it would be another band's IQ annotated with this emission).
	earlier := r.TuneCenterHz != b.CenterHz
	if earlier {
		if tb, ok := a.tuneBand[r.TuneCenterHz]; ok {
			band = tb
		}
	}
	d := ToDetection(r, a.cfg.Site, a.cfg.Sensor, band)
	d.ID = DetectionID(a.cfg.Sensor, a.boot, r.Em.StartSample, a.seq+1)
	payload, err := event.Encode(d)
	if err != nil {
		a.log.Warn("dropping invalid detection", "err", err)
		return
	}
	a.seq++
	if a.snip != nil && !earlier && Triggers(d.Class, d.Link) {
		ring, _ := a.deps.Pipeline.(iqRing)
		ref, err := a.snip.save(b, r, d.ID, ring)
		if err != nil {
			a.log.Warn("snippet", "err", err)
		} else if ref != "" {
			d.Snippet = ref
			a.mu.Lock()
			a.stats.Snippets++
			a.mu.Unlock()
			if p, err := event.Encode(d); err == nil {
				payload = p
			} else { // sent without it rather than not at all (its SEQ is taken)
				a.log.Warn("snippet: detection does not encode with it", "snippet", ref, "err", err)
			}
		}
	}
	a.pending <- payload // blocks only while the disk is 1024 detections behind, not while it refuses writes
	if a.sched != nil && d.Class != event.ClassUnknown {
		a.sched.Seen(band, d.Time())
	}
	if a.met != nil {
		a.met.detections.WithLabelValues(d.Class).Inc()
	}
}

// ToDetection converts a pipeline result to a detection (without ID).
// Band falls back to band when the classifier named none; bad labels become
// "unknown".
func ToDetection(r *pipeline.Result, site, sensorID, band string) event.Detection {
	d := event.Detection{
		Schema: event.SchemaVersion, Site: site, Sensor: sensorID,
		TimeNS: r.Time.UnixNano(), DurationNS: int64(r.Duration),
		CenterHz: r.CenterHz, BandwidthHz: r.BandwidthHz,
		PowerDBm: r.PowerDBm, PeakDBm: r.PeakDBm, SNRDB: clamp(r.Em.SNRDB, -400, 400),
		DutyCycle: clamp(r.Em.DutyCycle, 0, 1), BurstCount: len(r.Em.Bursts),
		Band: r.Label.Band, Link: r.Label.Link, Class: r.Label.Class,
		Confidence:  clamp(r.Label.Confidence, 0, 1),
		SampleStart: max(r.Em.StartSample, 0), SampleCount: max(r.Em.SampleCount, 0),
	}
	if r.Em.PeriodSamples > 0 && r.SampleRateHz > 0 {
		d.PeriodNS = int64(float64(r.Em.PeriodSamples) / r.SampleRateHz * 1e9)
	}
	if d.Band == "" {
		d.Band = band
	}
	if len(d.Band) > 64 {
		d.Band = d.Band[:64]
	}
	if r.Label.Text != "" && r.Label.Text != pipeline.Unknown.Text {
		d.Label = event.ClipLabel(r.Label.Text)
	}
	if !slices.Contains(event.Classes, d.Class) {
		d.Class = event.ClassUnknown
	}
	if !slices.Contains(event.Links, d.Link) {
		d.Link = event.LinkUnknown
	}
	if d.TimeNS <= 0 {
		d.TimeNS = 1
	}
	return d
}

func clamp(v, lo, hi float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return math.Min(math.Max(v, lo), hi)
}

// Triggers reports whether a detection of class on link saves an IQ
// snippet: whatever fusion's default rules may alert on as a phone or a
// drone (event.Alertable).
func Triggers(class, link string) bool { return event.Alertable(class, link) }

// Health returns the current health report.
func (a *Agent) Health() event.Health {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.healthLocked()
}

func (a *Agent) healthLocked() event.Health {
	state, reasons := a.tamper.State()
	h := event.Health{Schema: event.SchemaVersion, Site: a.cfg.Site, Sensor: a.cfg.Sensor,
		TimeNS: a.clock.Now().UnixNano(), State: state, Reasons: reasons,
		NoiseFloorDBm: a.tamper.Floors(), DroppedSamples: a.stats.Dropped,
		OverloadCount: a.stats.Overloads, USBErrors: a.stats.SourceErrs, Version: a.deps.Version}
	if h.Version == "" {
		h.Version = "dev"
	}
	h.OutboxDropped = a.disk.dropped
	if a.srcEnded {
		if h.State == event.StateOK {
			h.State = event.StateDegraded
		}
		h.Reasons = append(h.Reasons, "the recording ended: no more samples; sending the detections left in the outbox (mqtt.ack_timeout at most), then the sensor stops")
	}
	if d := a.disk; d.err != nil {
		if h.State == event.StateOK {
			h.State = event.StateDegraded
		}
		h.Reasons = append(h.Reasons, fmt.Sprintf("outbox cannot write to disk for %s: %d detections held in memory, %d dropped (%v)",
			time.Since(d.since).Round(time.Second), d.held, d.dropped, d.err))
	}
	if a.outbox != nil {
		os := a.outbox.Stats()
		h.OutboxDepth = os.Depth
		h.OutboxDropped += os.Dropped
		if os.OverQuota {
			if h.State == event.StateOK {
				h.State = event.StateDegraded
			}
			h.Reasons = append(h.Reasons, fmt.Sprintf("outbox over quota: %d detections dropped", os.Dropped))
		}
		if os.Lost > 0 || os.Corrupt > 0 {
			if h.State == event.StateOK {
				h.State = event.StateDegraded
			}
			h.Reasons = append(h.Reasons, fmt.Sprintf("outbox: corrupt records on disk, %d bytes skipped, at least %d detections lost (check the disk)", os.Corrupt, os.Lost))
		}
	}
	if waiting, since := a.gateWaitLocked(time.Now()); waiting {
		if h.State == event.StateOK {
			h.State = event.StateDegraded
		}
		h.Reasons = append(h.Reasons, a.gateReason(since, h.OutboxDepth))
	}
	if late := a.revisit.late(time.Unix(0, h.TimeNS), a.cfg.Bands); len(late) > 0 {
		if h.State == event.StateOK {
			h.State = event.StateDegraded
		}
		h.Reasons = append(h.Reasons, late...)
	}
	if a.agc != nil {
		h.GainDB, h.AGCChanges = a.agc.Gains(), a.agc.Changes()
	}
	if len(a.cfg.Bands) > 0 {
		h.ScanBandsHz = make(map[string][2]float64, len(a.cfg.Bands))
		for _, b := range a.cfg.Bands {
			h.ScanBandsHz[b.Name] = [2]float64{b.LowHz, b.HighHz}
		}
	}
	if a.sched != nil {
		h.RevisitS = map[string]float64{}
		for band, d := range a.sched.Revisit() {
			h.RevisitS[band] = d.Seconds()
		}
	}
	for k, v := range h.NoiseFloorDBm {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			delete(h.NoiseFloorDBm, k)
		}
	}
	// as decoders take them: a reason may carry an error's text, with
	// its newlines and a long path
	if len(h.Reasons) > 0 {
		clipped := make([]string, len(h.Reasons)) // not the tamper state's
		for i, r := range h.Reasons {
			clipped[i] = event.ClipText(r, event.MaxReasonLen)
		}
		h.Reasons = clipped
	}
	h.Version = event.ClipText(h.Version, event.MaxVersionLen)
	return h
}

// due reports whether a periodic action last done at last is due again at
// now. A wall clock that went back (last is in the future) makes it due at
// once, so heartbeats do not stop until the clock has caught up again.
func due(now, last time.Time, every time.Duration) bool {
	d := now.Sub(last)
	return d >= every || d < 0
}

// publishHealth hands the health report to the live publisher without
// blocking; force publishes even when the interval has not passed. It is
// safe for concurrent use.
func (a *Agent) publishHealth(force bool) {
	a.pubMu.Lock()
	defer a.pubMu.Unlock()
	now := a.clock.Now()
	if !force && !due(now, a.lastHlth, a.cfg.Health.IntervalDur) {
		return
	}
	a.lastHlth = now
	h := a.Health()
	if h.State != a.lastState {
		// a recovery too: the state it ends was logged at warning, and a
		// journal at the default level would show the node degraded forever
		a.log.Warn("health state changed", "from", a.lastState, "to", h.State, "reasons", h.Reasons)
		a.lastState = h.State
	}
	if a.met != nil {
		a.met.outboxDepth.Set(float64(h.OutboxDepth))
		for band, g := range h.GainDB {
			a.met.gain.WithLabelValues(band).Set(g)
		}
		a.setStateLocked(a.withLink(h).State) // what /healthz says
	}
	p, err := event.Encode(h)
	if err != nil {
		a.log.Warn("invalid health", "err", err)
		return
	}
	a.offer(liveMsg{topic: a.topic(event.KindHealth), qos: publish.QoS1, payload: p})
}

// offer queues a live message, dropping it when the publisher is behind.
func (a *Agent) offer(m liveMsg) {
	select {
	case a.live <- m:
	default:
	}
}

func (a *Agent) livePublisher(ctx context.Context, c publish.Client) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-a.live:
			if !c.IsConnected() {
				continue
			}
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			if err := c.Publish(pctx, m.topic, m.qos, false, m.payload); err != nil {
				a.log.Debug("live publish", "topic", m.topic, "err", err)
			}
			cancel()
		}
	}
}

func (a *Agent) serveHTTP() (*http.Server, error) {
	l, err := net.Listen("tcp", a.cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("http_addr: %w", err)
	}
	probeserver.WarnIfOpen(a.log, "sensor", l)
	a.mu.Lock()
	a.httpAddr = l.Addr().String()
	a.mu.Unlock()
	return a.serveOn(l), nil
}

// HTTPAddr returns the address /healthz and /metrics are served on once
// Run has bound http_addr (its port chosen when http_addr's is 0), and ""
// before that or when http_addr is empty.
func (a *Agent) HTTPAddr() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.httpAddr
}

// serveOn serves /healthz and /metrics on l until the server is closed.
func (a *Agent) serveOn(l net.Listener) *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", a.healthz)
	if a.deps.Gatherer != nil {
		mux.Handle("/metrics", metricsHandler(a.deps.Gatherer))
	}
	srv := probeserver.New(mux, a.deps.HTTPLimits)
	l = probeserver.LimitListener(l, a.deps.HTTPLimits.MaxConns)
	go func() { _ = srv.Serve(l) }()
	return srv
}

// sensorMQTTKeys are node.yaml's settings /healthz's reason, and the
// log's hint (mqttlink.Hint), point to when the node cannot connect to
// its broker.
var sensorMQTTKeys = mqttlink.Keys{URL: "mqtt.url", Credentials: "mqtt.username or mqtt.password_file", CA: "mqtt.ca_file", ClientID: "sensor", Cert: "mqtt.cert_file"}

// withLink returns h as the node's own monitoring sees it (/healthz and
// rfwarden_sensor_state): degraded, with the reason, while Run runs and the
// MQTT link is down. The reports sent over MQTT go when the link is up, so
// they cannot carry this.
func (a *Agent) withLink(h event.Health) event.Health {
	a.mu.Lock()
	up, why := a.linkUp, a.linkWhy
	a.mu.Unlock()
	if up == nil || up() {
		return h
	}
	if h.State == event.StateOK {
		h.State = event.StateDegraded
	}
	reason := "not connected to the MQTT broker"
	if why != nil {
		if err := why.ConnectError(); err != nil {
			// the broker's answer (not Authorized) or the network's,
			// in words naming no host or port: the log has the error
			reason += ": " + mqttlink.Summary(err, sensorMQTTKeys)
		}
	}
	// a copy: h.Reasons may share its array with the report published
	h.Reasons = append(slices.Clip(h.Reasons), event.ClipText(fmt.Sprintf("%s; %d detections wait in the outbox", reason, h.OutboxDepth), event.MaxReasonLen))
	return h
}

func (a *Agent) healthz(w http.ResponseWriter, _ *http.Request) {
	h := a.withLink(a.Health())
	p, err := event.Encode(h)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if h.State != event.StateOK {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_, _ = w.Write(p)
}
