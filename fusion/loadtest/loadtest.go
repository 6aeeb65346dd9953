package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rfwarden/rfwarden/internal/mqttlink"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/locate"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// Bounds on a run.
const (
	MaxSensors  = 1000
	MaxRateHz   = 1000.0 // per sensor
	MaxDuration = 10 * time.Minute
	MaxMessages = 2_000_000 // sensors x rate x duration
	MaxDrain    = 5 * time.Minute
)

// Config describes one load test. Zero fields take the defaults noted.
type Config struct {
	Sensors       int           // simulated sensors, 1..MaxSensors; default 10
	RateHz        float64       // detections per second per sensor; default 2
	Duration      time.Duration // publishing time; default 10s
	BrokerURL     string        // "" = embedded mochi-mqtt broker on 127.0.0.1; else a loopback tcp:// URL
	DBPath        string        // SQLite file; "" = a file in a temporary directory removed afterwards
	Drain         time.Duration // after publishing, wait at most this for fusion to store everything; default 10s
	GridStepM     float64       // locator grid step: 0 (the engine's default) or MinGridStepM..MaxGridStepM
	LocateEvery   time.Duration // fusion.Config.LocateEvery; 0 = every group (as deploy/config/fusion.yaml)
	Seed          uint64        // workload seed
	Progress      io.Writer     // progress lines; nil = none
	ProgressEvery time.Duration // default 2s
	Logger        *slog.Logger  // engine log; nil = discard
}

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("loadtest config")

func (c Config) withDefaults() Config {
	if c.Sensors == 0 {
		c.Sensors = 10
	}
	if c.RateHz == 0 {
		c.RateHz = 2
	}
	if c.Duration == 0 {
		c.Duration = 10 * time.Second
	}
	if c.Drain == 0 {
		c.Drain = 10 * time.Second
	}
	if c.ProgressEvery == 0 {
		c.ProgressEvery = 2 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// MinGridStepM and MaxGridStepM bound Config.GridStepM as fusion.yaml's
// model.grid_step_m is bounded (fusion's, the same constants): a finer
// grid is too large to build, and a coarser one (+Inf was taken) locates
// every emitter at one point of a floor.
const (
	MinGridStepM = fusion.MinGridStepM
	MaxGridStepM = fusion.MaxGridStepM
)

// Validate reports the first problem with c after defaults, naming the field.
func (c Config) Validate() error {
	c = c.withDefaults()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Sensors < 1 || c.Sensors > MaxSensors:
		return bad("sensors: %d not in 1..%d", c.Sensors, MaxSensors)
	case math.IsNaN(c.RateHz) || c.RateHz <= 0 || c.RateHz > MaxRateHz:
		return bad("rate: %v detections/s not in (0, %v]", c.RateHz, MaxRateHz)
	case c.Duration < 0 || c.Duration > MaxDuration:
		return bad("duration: %v not in (0, %v]", c.Duration, MaxDuration)
	case c.Drain < 0 || c.Drain > MaxDrain:
		return bad("drain: %v not in (0, %v]", c.Drain, MaxDrain)
	case c.GridStepM != 0 && !(c.GridStepM >= MinGridStepM && c.GridStepM <= MaxGridStepM): // NaN too
		return bad("grid step: %v m is outside %v..%v m (0: the engine default), as fusion.yaml's model.grid_step_m", c.GridStepM, MinGridStepM, MaxGridStepM)
	case c.LocateEvery < 0:
		return bad("locate every: %v must not be negative", c.LocateEvery)
	case c.ProgressEvery < 100*time.Millisecond:
		return bad("progress interval: %v is below 100ms", c.ProgressEvery)
	}
	if n := planned(c); n > MaxMessages {
		return bad("sensors x rate x duration = %d messages exceeds %d", n, MaxMessages)
	}
	if c.BrokerURL != "" {
		if err := checkLoopbackURL(c.BrokerURL); err != nil {
			return fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	return nil
}

// slots bounds the number of detections one sensor publishes.
func slots(c Config) int { return int(math.Ceil(c.Duration.Seconds() * c.RateHz)) }

func planned(c Config) int64 { return int64(c.Sensors) * int64(slots(c)) }

// Result is what one run measured. Counts are of detections.
type Result struct {
	Broker        string  `json:"broker"`
	Sensors       int     `json:"sensors"`
	RateHz        float64 `json:"rate_per_sensor_hz"`
	DurationS     float64 `json:"duration_s"`
	OfferedPerS   float64 `json:"offered_per_s"`
	Interrupted   bool    `json:"interrupted"`
	Planned       int64   `json:"planned"`
	Published     int64   `json:"published"`
	Acked         int64   `json:"acked"`
	PublishErrors int64   `json:"publish_errors"`
	Delivered     int64   `json:"delivered"`            // unique IDs at fusion's MQTT client
	Redelivered   int64   `json:"redelivered"`          // extra copies the broker sent (QoS 1 allows it)
	Accepted      int64   `json:"accepted"`             // engine: rfw_fusion_detections_total
	EngineDupes   int64   `json:"engine_duplicates"`    // engine: dropped as already seen
	QueueFull     int64   `json:"queue_full"`           // engine: waits on a full ingest queue (back-pressure, not loss)
	DeadLetters   int64   `json:"dead_letters"`         // engine: rejected messages
	Groups        int64   `json:"groups"`               // associated emissions
	Locations     int64   `json:"locations"`            // localisations
	Stored        int64   `json:"stored"`               // unique IDs committed to SQLite
	StoredDupes   int64   `json:"stored_duplicates"`    // IDs written twice
	Lost          int64   `json:"lost"`                 // acknowledged but never stored
	RowsInDB      int64   `json:"rows_in_db"`           // detection rows of this run, counted in SQLite afterwards
	StoreErrors   int64   `json:"store_errors"`         // failed detection batch writes
	PublishedPerS float64 `json:"published_per_s"`      // acked / publishing time
	StoredPerS    float64 `json:"stored_per_s"`         // stored / (last store - first publish)
	Deliver       Latency `json:"deliver_latency"`      // publish -> fusion's MQTT client
	Store         Latency `json:"store_latency"`        // publish -> committed to SQLite
	AlertsRaised  int64   `json:"alerts_raised"`        // alerts fusion stored in SQLite during the run
	Alerts        int64   `json:"alerts"`               // distinct alerts seen on the alert topic
	AlertMessages int64   `json:"alert_messages"`       // messages on the alert topic (state changes)
	AlertsFiring  int64   `json:"alerts_firing"`        // firing messages (after the rule's for duration)
	AlertsUntimed int64   `json:"alerts_untimed"`       // alerts whose evidence this run did not publish
	AlertBad      int64   `json:"alert_bad_messages"`   // undecodable alert messages
	Alert         Latency `json:"alert_latency"`        // first evidence publish -> alert's first message on MQTT
	CPUUserS      float64 `json:"cpu_user_s"`           // whole process, publishing and drain
	CPUSysS       float64 `json:"cpu_sys_s"`            //
	CPUCores      float64 `json:"cpu_cores"`            // (user+sys) / wall time of the same span
	CPUPerDetUS   float64 `json:"cpu_per_detection_us"` // (user+sys) / stored
	PeakRSSMB     float64 `json:"peak_rss_mb"`          // process high-water mark
	PeakHeapMB    float64 `json:"peak_heap_mb"`         // sampled Go heap objects
	WallS         float64 `json:"wall_s"`               // publishing + drain
}

// Clean reports whether every acknowledged detection was stored exactly
// once and nothing was dropped or rejected.
func (r Result) Clean() bool {
	return r.Lost == 0 && r.StoredDupes == 0 && r.DeadLetters == 0 &&
		r.PublishErrors == 0 && r.Stored == r.Published && r.RowsInDB == r.Stored
}

// Run performs one load test. It returns the result measured so far when
// ctx is cancelled during publishing (Interrupted set), after a drain.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	cfg = cfg.withDefaults()
	wl, err := newWorkload(cfg.Sensors, cfg.Seed)
	if err != nil {
		return Result{}, err
	}
	res := Result{Sensors: cfg.Sensors, RateHz: cfg.RateHz, DurationS: cfg.Duration.Seconds(),
		OfferedPerS: float64(cfg.Sensors) * cfg.RateHz, Planned: plannedCount(cfg, len(wl.heard))}

	brokerURL := cfg.BrokerURL
	if brokerURL == "" {
		b, err := startEmbeddedBroker()
		if err != nil {
			return Result{}, err
		}
		defer b.Close()
		brokerURL = b.url
		res.Broker = "embedded mochi-mqtt " + b.url
	} else {
		res.Broker = brokerURL
	}

	dbPath := cfg.DBPath
	if dbPath == "" {
		dir, err := os.MkdirTemp("", "rfw-loadtest-")
		if err != nil {
			return Result{}, fmt.Errorf("temporary directory: %w", err)
		}
		defer os.RemoveAll(dir)
		dbPath = filepath.Join(dir, "fusion.db")
	}
	db, err := store.OpenSQLite(dbPath)
	if err != nil {
		return Result{}, err
	}
	defer db.Close()

	nonce := strconv.FormatInt(time.Now().UnixNano()%1e12, 36)
	tr := newTracker(nonce, cfg.Sensors, slots(cfg))
	alerts := newAlertLog(tr)

	// As `rfwarden fusion`: acknowledge a message once fusion has handled
	// it (a detection once in the intake journal too), and publish alerts
	// on MQTT through a queue.
	fc, err := connect(brokerURL, "rfw-lt-"+nonce+"-fusion", true)
	if err != nil {
		return Result{}, fmt.Errorf("fusion client: %w", err)
	}
	defer fc.Disconnect(250)
	alertPub := fusion.NewAsyncPublisher(fusion.MQTTPublisher{Client: fc}, 4096, cfg.Logger)
	closePub := sync.OnceFunc(func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		alertPub.Close(cctx)
	})
	defer closePub()
	// What staff would see: a separate client on the alert topic.
	ac, err := connect(brokerURL, "rfw-lt-"+nonce+"-alerts", false)
	if err != nil {
		return Result{}, fmt.Errorf("alert client: %w", err)
	}
	defer ac.Disconnect(100)
	atok := ac.Subscribe(event.AlertTopic(wl.site.ID), 1, func(_ mqtt.Client, m mqtt.Message) { alerts.message(m.Payload(), time.Now()) })
	if !atok.WaitTimeout(15*time.Second) || atok.Error() != nil {
		return Result{}, fmt.Errorf("alert client: subscribe %s: %v", event.AlertTopic(wl.site.ID), atok.Error())
	}

	reg := prometheus.NewRegistry()
	eng, err := fusion.New(fusion.Config{Model: locate.Model{GridStepM: cfg.GridStepM}, LocateEvery: cfg.LocateEvery},
		fusion.Deps{Site: wl.site, TimeSeries: recordingStore{TimeSeries: db, t: tr}, AlertStore: db,
			Publisher: alertPub, Logger: cfg.Logger, Registerer: reg, Journal: db})
	if err != nil {
		return Result{}, err
	}
	sub := newTapSubscriber(fusion.PahoSubscriber{Client: fc}, func(_ string, p []byte) { tr.deliveredMsg(p, time.Now()) })
	engCtx, cancelEngine := context.WithCancel(context.WithoutCancel(ctx))
	engDone := make(chan error, 1)
	go func() { // exits when engCtx is cancelled (stopEngine, after the drain or on an early return)
		engDone <- eng.Run(engCtx, sub)
	}()
	var engErr error
	stopEngine := sync.OnceFunc(func() { // the engine flushes to db before db closes
		cancelEngine()
		engErr = <-engDone
	})
	defer stopEngine()
	select {
	case <-sub.subscribed:
	case err := <-engDone:
		engDone <- err
		return Result{}, fmt.Errorf("fusion: %w", err)
	case <-time.After(15 * time.Second):
		return Result{}, errors.New("fusion: subscribe timeout")
	}

	clients, err := connectSensors(ctx, brokerURL, nonce, wl)
	defer func() {
		for _, c := range clients {
			if c != nil {
				c.Disconnect(100)
			}
		}
	}()
	if err != nil {
		return Result{}, err
	}

	// Publishing.
	u0, s0, _ := usage()
	pubStart := time.Now().Add(100 * time.Millisecond)
	end := pubStart.Add(cfg.Duration)
	pubCtx, stopPub := context.WithCancel(ctx)
	defer stopPub()
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() { // exits after its last slot or when pubCtx is done
			defer wg.Done()
			publishSensor(pubCtx, cfg, wl, tr, i, c, pubStart, end)
		}()
	}
	pubDone := make(chan struct{})
	go func() { wg.Wait(); close(pubDone) }()
	var peakHeap atomic.Uint64
	progress := func(phase string) {
		h := heapBytes()
		if h > peakHeap.Load() {
			peakHeap.Store(h)
		}
		if cfg.Progress != nil {
			el := time.Since(pubStart).Seconds()
			fmt.Fprintf(cfg.Progress, "loadtest %-7s %5.1fs/%.0fs published %d (%.0f/s) delivered %d accepted %d stored %d alerts %d queue-full waits %d heap %.0f MB\n",
				phase, el, cfg.Duration.Seconds(), tr.acked.Load(), float64(tr.acked.Load())/math.Max(el, 1e-3),
				tr.delivered.Load(), int64(counter(reg, "rfw_fusion_detections_total")), tr.stored.Load(), alerts.count(),
				int64(counter(reg, "rfw_fusion_ingest_queue_full_total")), float64(h)/1e6)
		}
	}
	tick := time.NewTicker(cfg.ProgressEvery)
	defer tick.Stop()
wait:
	for {
		select {
		case <-pubDone:
			// The publishers also stop when ctx ends (pubCtx is its
			// child): both cases may be ready at once, and select picks
			// either.
			res.Interrupted = ctx.Err() != nil
			break wait
		case <-ctx.Done():
			res.Interrupted = true
			stopPub()
			<-pubDone
			break wait
		case <-tick.C:
			progress("publish")
		}
	}
	pubEnd := time.Now()

	// Drain: wait until every acknowledged detection is stored, or Drain.
	drainEnd := time.Now().Add(cfg.Drain)
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for tr.stored.Load() < tr.acked.Load() && time.Now().Before(drainEnd) {
		select {
		case <-poll.C:
		case <-tick.C:
			progress("drain")
		}
	}
	stopEngine()
	if engErr != nil {
		cfg.Logger.Warn("fusion run", "err", engErr)
	}
	wall := time.Since(pubStart)
	u1, s1, rss := usage()
	progress("done")
	// Alerts still queued go out; wait until the alert topic is quiet.
	closePub()
	for quietEnd := time.Now().Add(2 * time.Second); time.Now().Before(quietEnd) && !alerts.quietFor(200*time.Millisecond, time.Now()); {
		<-poll.C
	}

	res.Published, res.Acked, res.PublishErrors = tr.published.Load(), tr.acked.Load(), tr.pubErrors.Load()
	res.Delivered, res.Redelivered = tr.delivered.Load(), tr.deliverDups.Load()
	res.Stored, res.StoredDupes, res.StoreErrors = tr.stored.Load(), tr.storeDups.Load(), tr.storeErrors.Load()
	res.Lost = tr.lost()
	res.Accepted = int64(counter(reg, "rfw_fusion_detections_total"))
	res.EngineDupes = int64(counter(reg, "rfw_fusion_duplicates_total"))
	res.QueueFull = int64(counter(reg, "rfw_fusion_ingest_queue_full_total"))
	res.DeadLetters = int64(counter(reg, "rfw_fusion_dead_letter_total"))
	res.Groups = int64(counter(reg, "rfw_fusion_groups_total"))
	res.Locations = int64(counter(reg, "rfw_fusion_locations_total"))
	if pubS := pubEnd.Sub(pubStart).Seconds(); pubS > 0 {
		res.PublishedPerS = float64(res.Acked) / pubS
	}
	if last := tr.lastStoreNS.Load(); last > pubStart.UnixNano() {
		res.StoredPerS = float64(res.Stored) / (float64(last-pubStart.UnixNano()) / 1e9)
	}
	res.Deliver = summarise(tr.latencies(tr.deliverNS))
	res.Store = summarise(tr.latencies(tr.storeNS))
	res.Alerts, res.AlertMessages, res.AlertsFiring, res.AlertsUntimed, res.AlertBad, res.Alert = alerts.summary()
	res.CPUUserS, res.CPUSysS = u1-u0, s1-s0
	res.WallS = wall.Seconds()
	res.CPUCores = (res.CPUUserS + res.CPUSysS) / res.WallS
	if res.Stored > 0 {
		res.CPUPerDetUS = (res.CPUUserS + res.CPUSysS) / float64(res.Stored) * 1e6
	}
	res.PeakRSSMB = float64(rss) / 1e6
	res.PeakHeapMB = float64(peakHeap.Load()) / 1e6
	row := db.DB().QueryRowContext(context.WithoutCancel(ctx), "SELECT count(*) FROM detection WHERE id LIKE ?", tr.prefix+"%")
	if err := row.Scan(&res.RowsInDB); err != nil {
		return res, fmt.Errorf("count stored detections in %s: %w", dbPath, err)
	}
	row = db.DB().QueryRowContext(context.WithoutCancel(ctx), "SELECT count(*) FROM alert WHERE site = ? AND updated_ns >= ?", wl.site.ID, pubStart.UnixNano())
	if err := row.Scan(&res.AlertsRaised); err != nil {
		return res, fmt.Errorf("count alerts in %s: %w", dbPath, err)
	}
	return res, nil
}

// lost counts detections acknowledged by the broker but never stored.
func (t *tracker) lost() int64 {
	var n int64
	for x := range t.acks {
		if t.acks[x].Load() && t.stores[x].Load() == 0 {
			n++
		}
	}
	return n
}

func connect(brokerURL, clientID string, manualAck bool) (mqtt.Client, error) {
	opts := mqttlink.NewClientOptions().AddBroker(brokerURL).SetClientID(clientID).
		SetCleanSession(true).SetAutoReconnect(true).SetOrderMatters(false).
		SetConnectTimeout(10 * time.Second).SetMaxReconnectInterval(time.Second).
		SetAutoAckDisabled(manualAck)
	c := mqtt.NewClient(opts)
	tok := c.Connect()
	if !tok.WaitTimeout(15 * time.Second) {
		return nil, fmt.Errorf("connect %s as %s: timeout", brokerURL, clientID)
	}
	if err := tok.Error(); err != nil {
		return nil, fmt.Errorf("connect %s as %s: %w", brokerURL, clientID, err)
	}
	return c, nil
}

// connectSensors connects one client per sensor, eight at a time, and
// announces each sensor online. The returned slice holds every client
// connected so far, also on error.
func connectSensors(ctx context.Context, brokerURL, nonce string, wl *workload) ([]mqtt.Client, error) {
	clients := make([]mqtt.Client, len(wl.sensors))
	errs := make([]error, len(wl.sensors))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, id := range wl.sensors {
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() { // exits after one connect attempt and status publish
			defer wg.Done()
			defer func() { <-sem }()
			c, err := connect(brokerURL, "rfw-lt-"+nonce+"-"+id, false)
			if err != nil {
				errs[i] = fmt.Errorf("sensor %s: %w", id, err)
				return
			}
			clients[i] = c
			tok := c.Publish(event.SensorTopic(wl.site.ID, id, event.KindStatus), 1, false, event.StatusOnline)
			if tok.WaitTimeout(10*time.Second) && tok.Error() != nil {
				errs[i] = fmt.Errorf("sensor %s: publish status: %w", id, tok.Error())
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return clients, err
	}
	return clients, ctx.Err()
}

// publishSensor publishes sensor i's detections on schedule: slot j at
// start + phase + j/rate, where the phase spreads copies of the wing over
// the period. A late slot is published at once (open loop); each publish
// waits for its QoS 1 acknowledgement.
func publishSensor(ctx context.Context, cfg Config, wl *workload, tr *tracker, i int, c mqtt.Client, start, end time.Time) {
	period, phase := schedule(cfg, len(wl.heard), i)
	topic := event.SensorTopic(wl.site.ID, wl.sensors[i], event.KindDetection)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for j := range tr.slots {
		at := start.Add(phase + time.Duration(j)*period)
		if !at.Before(end) {
			return
		}
		if d := time.Until(at); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			return
		}
		now := time.Now()
		b, err := event.Encode(wl.detection(i, j, now, period, tr.id(i, j)))
		if err != nil {
			tr.pubErrors.Add(1)
			continue
		}
		tr.publishing(i, j, time.Now())
		tok := c.Publish(topic, 1, false, b)
		if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			tr.pubErrors.Add(1)
			continue
		}
		tr.acks[i*tr.slots+j].Store(true)
		tr.acked.Add(1)
	}
}

// schedule returns the publishing period and sensor i's phase: copies of a
// wing of perCopy sensors are spread over the period by the golden ratio,
// and the sensors of one copy are 1 ms apart.
func schedule(cfg Config, perCopy, i int) (period, phase time.Duration) {
	period = time.Duration(float64(time.Second) / cfg.RateHz)
	frac := math.Mod(float64(i/perCopy)*0.6180339887, 1)
	return period, time.Duration(frac*float64(period)) + time.Duration(i%perCopy)*time.Millisecond
}

// plannedCount is the number of slots whose time falls within the duration.
func plannedCount(cfg Config, perCopy int) int64 {
	var n int64
	for i := range cfg.Sensors {
		period, phase := schedule(cfg, perCopy, i)
		for j := range slots(cfg) {
			if phase+time.Duration(j)*period < cfg.Duration {
				n++
			}
		}
	}
	return n
}

// counter sums every series of the named counter in reg.
func counter(reg *prometheus.Registry, name string) float64 {
	mfs, err := reg.Gather()
	if err != nil {
		return math.NaN()
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}
