package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/internal/mqttlink"
	"github.com/rfwarden/rfwarden/internal/probeserver"
	"github.com/rfwarden/rfwarden/internal/redact"
	"github.com/rfwarden/rfwarden/internal/statelock"
	"github.com/rfwarden/rfwarden/internal/zonename"
)

const fusionUsage = `usage: rfwarden fusion --config fusion.yaml [--check] [-v] [--sensor-silence 2m]

Run fusion: subscribe to every sensor's detections, health and status,
associate, locate, check the registry and raise alerts. It keeps trying to
connect to the broker until it can (its /healthz is degraded meanwhile,
with the broker's error). --check loads and validates the config, the
site file, the alert rules, the location model and the seen file, and
that the state folders exist, without connecting to the broker or opening
the database (a running fusion's config can be checked beside it), prints
what it found and a note for each warning fusion would log at its start,
and exits. The config is documented in docs/deploy.md, the site file in
docs/site.md.
`

// cmdFusion runs `rfwarden fusion`: alerts, incidents, the registry and the
// audit log live in SQLite (shared with the dashboard); detections,
// locations and health go to InfluxDB when it is configured, else to SQLite
// (the dashboard reads them from the same place).
func cmdFusion(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("fusion", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, fusionUsage); printDefaults(fs) }
	cfgPath := fs.String("config", os.Getenv("RFW_FUSION_CONFIG"), "fusion YAML `file` (env RFW_FUSION_CONFIG)")
	verbose := fs.Bool("v", false, "log at debug level")
	check := fs.Bool("check", false, "validate the config, the site, the alert rules and the state folders, without the broker or the database, print notes, and exit")
	silence := fs.Duration("sensor-silence", defaultSensorSilence,
		"warn, and report degraded health, when connected to the broker with no message from any sensor for this `long` (a broker ACL that withholds them); 0: never")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if *cfgPath == "" {
		// the usage alone, exit 1, did not say what was missing
		fs.Usage()
		return fmt.Errorf("fusion: --config is required (or RFW_FUSION_CONFIG): the fusion YAML, e.g. /etc/rfwarden/fusion.yaml from deploy/config/fusion.yaml")
	}
	if *silence < 0 {
		// taken as 0 (never) without a word
		return fmt.Errorf("fusion: --sensor-silence %v is negative: give how long without a sensor message is reported (default %v), or 0 for never", *silence, defaultSensorSilence)
	}
	f, err := os.Open(*cfgPath)
	if err != nil {
		return fmt.Errorf("open fusion config: %w", err)
	}
	fc, err := fusion.LoadFileConfig(f, filepath.Dir(*cfgPath))
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", *cfgPath, err)
	}
	s, err := site.LoadFile(fc.Site)
	if err != nil {
		return err
	}
	if err := fc.CheckSubscription(s); err != nil {
		return fmt.Errorf("%s: %w", *cfgPath, err)
	}
	if err := fc.CheckSecrets(); err != nil {
		return fmt.Errorf("%s: %w", *cfgPath, err)
	}
	cfg, err := fc.EngineConfig()
	if err != nil {
		return err
	}
	if fc.HistoryDays > 0 && cfg.MaxAge == 0 {
		// A detection older than the history kept would be pruned within
		// the hour: refused at ingest instead (a clock never set).
		cfg.MaxAge = time.Duration(fc.HistoryDays) * 24 * time.Hour
	}
	if *check {
		return checkFusion(stdout, *cfgPath, fc, s, cfg)
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	for _, w := range fc.SecretWarnings() {
		log.Warn(w)
	}
	for _, n := range siteNotes(fc.Site, s) {
		log.Warn("site model: " + n)
	}

	// The stop line, as the start line, goes to stdout (the journal):
	// once every deferred close below has run, and only after a start and
	// a clean stop.
	started := false
	spooled := int64(-1) // InfluxDB write batches left in the spool; -1: no InfluxDB
	defer func() {
		if !started || err != nil {
			return
		}
		line := fmt.Sprintf("fusion: stopped (%s): database %s closed", stopCause(ctx), fc.DB)
		if spooled >= 0 {
			line += fmt.Sprintf(", InfluxDB spool %s closed, %d write batches in it for the next start", fc.Influx.SpoolDir, spooled)
		}
		fmt.Fprintln(stdout, line)
	}()

	// Before the broker or any state: a second fusion started by mistake
	// with this config would take the running one's MQTT session (the same
	// client_id) and share its seen file and spool.
	if err := checkStateFolders(fc); err != nil {
		return fmt.Errorf("%s: %w", *cfgPath, err)
	}
	unlock, err := lockFusionState(fc, s.ID)
	if err != nil {
		return err
	}
	defer unlock()
	var httpL net.Listener
	if fc.HTTPAddr != "" {
		if httpL, err = net.Listen("tcp", fc.HTTPAddr); err != nil {
			return fmt.Errorf("fusion: http_addr: %w", err)
		}
		defer httpL.Close() // closed already once served
	}

	// The client keeps trying in the background (the broker may start
	// after fusion, or restart): until it connects /healthz is degraded
	// with the broker's error, and subscriptions wait for the connection.
	conn, err := connectFusion(fc.Broker, fc.ClientID, fc.Username, os.Getenv("RFW_MQTT_PASSWORD"), fc.CAFile, s.ID, sensorIDs(s), log)
	if err != nil {
		return err
	}
	defer conn.close(10*time.Second, 1000)
	quiet := &sensorSilence{connectedAt: conn.link.ConnectedAt, log: log}
	if len(s.Sensors) > 0 {
		quiet.after = *silence
	}
	// Deaf is a refused subscription, or the silence a stale ACL makes
	// behind mosquitto, which grants the subscription and withholds the
	// messages: fusion's status says either as its problem, so every
	// dashboard says fusion hears nothing, not only fusion's /healthz.
	conn.live.SetProblem(func() string { return cmp.Or(conn.resub.Refused(), quiet.reason()) })
	quiet.changed = func() { conn.live.Online(conn.client) }
	db, err := store.OpenSQLiteLog(fc.DB, log)
	if err != nil {
		return err
	}
	defer db.Close()
	reg, err := registry.Open(ctx, db.DB(), db, registry.Options{Location: time.Local, Logger: log, Site: s})
	if err != nil {
		return err
	}
	reg.LogDroneGaps(ctx, log) // class-less entries in drone bands: one line, with what to do
	var ts fusion.TimeSeries = db
	var influx *store.Influx
	if fc.Influx.URL != "" {
		// A database fusion creates keeps history_days (-1: for ever); an
		// existing one keeps what its admin set (a policy of no duration is
		// warned of).
		dbDur := time.Duration(fc.HistoryDays) * 24 * time.Hour
		if fc.HistoryDays < 0 {
			dbDur = -1
		}
		in, err := store.OpenInflux(store.InfluxConfig{URL: fc.Influx.URL, Database: fc.Influx.Database, RP: fc.Influx.RP, DatabaseDuration: dbDur,
			Username: fc.Influx.Username, Password: os.Getenv("RFW_INFLUX_PASSWORD"), SpoolDir: fc.Influx.SpoolDir,
			SpoolMaxBytes: fc.Influx.SpoolMaxBytes, WriteTimeout: fc.Influx.WriteTimeout, Logger: log})
		if err != nil {
			return err
		}
		defer func() {
			// Give the spool a moment to drain; what is left is sent next start.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := in.Flush(ctx); err != nil {
				log.Warn("influx: writes left in the spool for next start", "err", err)
			}
			spooled = in.Pending()
			if err := in.Close(); err != nil {
				log.Warn("influx: close", "err", err)
			}
		}()
		// A typo in the retention policy, a wrong password or a database
		// fusion may not create would have every write spooled for ever:
		// fusion exits naming the key; only an InfluxDB that does not
		// answer is waited for.
		if err := fusionInflux.run(ctx, in, log); err != nil {
			return err
		}
		// The time series go to InfluxDB alone (DESIGN §6): its retention
		// policy bounds them, and SQLite, which has none, keeps only the
		// state. The dashboard reads them there (--influx).
		ts = in
		influx = in
	}
	// every location also goes to the dashboards' floor plans, live
	ts = fusion.LiveLocations{TimeSeries: ts, Client: conn.client, Log: log}
	metrics := newServiceRegistry()
	metrics.MustRegister(conn.link.Collectors("rfw_fusion")...)
	metrics.MustRegister(conn.queueCollectors()...)
	metrics.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rfw_fusion_mqtt_subscription_refused",
		Help: "1 while the MQTT broker has not granted a subscription fusion made again after connecting (its ACL), else 0: connected, and deaf on that filter."},
		func() float64 {
			if conn.resub.Refused() != "" {
				return 1
			}
			return 0
		}))
	// A full disk or a read-only file fails every write while the
	// connection still answers a ping: /healthz and the metrics follow
	// the writes' outcome.
	dbWrites := func() error { return db.WriteProblem(time.Now(), store.WriteGrace) }
	metrics.MustRegister(databaseWriteCollectors("rfw_fusion", "fusion", db)...)
	var influxState func() (int64, error) // for /healthz; nil without InfluxDB
	var influxDropped func() int64
	var spoolWrites func() error
	if influx != nil {
		influxState = influx.State
		spoolWrites = func() error { return influx.SpoolProblem(time.Now(), store.WriteGrace) }
		influxDropped = func() int64 { n, _ := influx.Dropped(); return n }
		metrics.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rfw_fusion_influx_spooled_batches",
			Help: "Write batches waiting in fusion's spool for InfluxDB."}, func() float64 { return float64(influx.Pending()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rfw_fusion_influx_retention_seconds",
				Help: "Duration of the InfluxDB retention policy fusion writes to, as found at its start: 0 keeps everything for ever; -1 not known (InfluxDB did not answer then)."},
				func() float64 {
					if p, ok := influx.Policy(); ok {
						return p.Duration.Seconds()
					}
					return -1
				}),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rfw_fusion_influx_refused_batches_total",
				Help: "Write batches InfluxDB refused points of (HTTP 400: older than the retention policy, unparsable); not sent again."},
				func() float64 { return float64(influx.Refused()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rfw_fusion_influx_dropped_batches_total",
				Help: "Write batches dropped from fusion's spool, oldest first, to keep it within influx.spool_max_bytes (InfluxDB down or too slow for too long)."},
				func() float64 { n, _ := influx.Dropped(); return float64(n) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rfw_fusion_influx_spool_ok",
				Help: "1 while fusion's InfluxDB spool takes its writes; 0 while its disk has refused every write for " + store.WriteGrace.String() + " (full, read-only; /healthz says why)."},
				func() float64 {
					if spoolWrites() != nil {
						return 0
					}
					return 1
				}),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rfw_fusion_influx_spool_write_failures_total",
				Help: "Writes to fusion's InfluxDB spool its disk refused (full, read-only, permission denied)."},
				func() float64 { return float64(influx.SpoolWriteFailures()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rfw_fusion_influx_dropped_bytes_total",
				Help: "Bytes of line protocol dropped from fusion's spool to keep it within influx.spool_max_bytes."},
				func() float64 { _, n := influx.Dropped(); return float64(n) }))
	}
	// The webhook and syslog deliver from durable outboxes in db: a slow
	// or absent receiver neither stalls fusion nor loses an alert, and
	// what is queued at a stop is sent after the next start.
	notifiers, err := fc.Notifiers(ctx, db.DB(), s.ID, log)
	if err != nil {
		return err
	}
	pub := fusion.MultiPublisher{conn.pub}
	for _, n := range notifiers {
		pub = append(pub, n)
		metrics.MustRegister(n.Collectors()...)
	}
	defer runNotifiers(notifiers, 5*time.Second, log)()
	defer followRegistry(ctx, reg, metrics, "rfw_fusion", log)()
	eng, err := fusion.New(cfg, fusion.Deps{Site: s, Authorizer: reg, TimeSeries: ts, AlertStore: db, Maintenance: db, Publisher: pub, Keeper: conn.keep, Logger: log, Registerer: metrics,
		Journal: db}) // detections acknowledged are kept across a kill -9 (docs/events.md)
	if err != nil {
		return err
	}
	// A broker restart sends every sensor's will: held while fusion's own
	// connection is away and for fusion.BrokerGrace after.
	eng.SetBrokerState(func() (bool, time.Time) { t := conn.link.ConnectedAt(); return !t.IsZero(), t }) // zero while not connected
	if httpL != nil {
		hctx, stopHTTP := context.WithCancel(ctx)
		probe := fusionProbe{site: s.ID, connected: conn.client.IsConnectionOpen, brokerErr: conn.link.Summary,
			sensorSilence: quiet.reason, ping: db.DB().PingContext, writes: dbWrites, active: eng.Alerts().Active, influx: influxState, notifiers: notifiers,
			influxDropped: influxDropped, spool: spoolWrites}
		probe.backlog = eng.Backlog
		probe.lost = eng.DetectionsLost
		probe.refused = conn.resub.Refused
		probeserver.WarnIfOpen(log, "fusion", httpL)
		httpDone := serveFusionHTTP(hctx, httpL, probe, metrics, log, probeserver.Limits{})
		defer func() { stopHTTP(); <-httpDone }()
	}
	series := "SQLite"
	switch {
	case fc.Influx.URL != "":
		series = "InfluxDB " + redact.URL(fc.Influx.URL)
	case fc.HistoryDays > 0:
		series = fmt.Sprintf("SQLite, %d days kept", fc.HistoryDays)
	}
	retention := newFusionRetention(db, s.ID, fc, log)
	metrics.MustRegister(retention.Collectors()...)
	pctx, stopPrune := context.WithCancel(ctx)
	var pwg sync.WaitGroup
	defer pwg.Wait()
	defer stopPrune()
	pwg.Go(func() { retention.run(pctx, time.Hour) })
	fmt.Fprintf(stdout, "fusion: site %s, %d sensors, %d rooms, broker %s, state %s, time series in %s\n",
		s.ID, len(s.Sensors), len(s.Rooms), redact.URL(fc.Broker), fc.DB, series)
	started = true
	qctx, stopQuiet := context.WithCancel(ctx)
	var qwg sync.WaitGroup
	defer qwg.Wait()
	defer stopQuiet()
	qwg.Go(func() { quiet.watch(qctx) })
	return eng.Run(ctx, heardSubscriber{PahoSubscriber: conn.subscriber(), silence: quiet})
}

// databaseWriteCollectors returns the metrics of db's write health, for
// the service who (fusion, the dashboard): prefix_database_ok (1 while
// the database takes its writes, 0 while it has refused every write for
// store.WriteGrace, as /healthz says) and
// prefix_database_write_failures_total.
func databaseWriteCollectors(prefix, who string, db *store.SQLite) []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: prefix + "_database_ok",
			Help: "1 while the SQLite database takes " + who + "'s writes; 0 while it has refused every write for " + store.WriteGrace.String() + " (disk full, read-only, locked; /healthz says why)."},
			func() float64 {
				if db.WriteProblem(time.Now(), store.WriteGrace) != nil {
					return 0
				}
				return 1
			}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: prefix + "_database_write_failures_total",
			Help: "Writes the SQLite database refused (disk full, read-only, locked past the busy timeout, I/O error)."},
			func() float64 { return float64(db.WriteFailures()) }),
	}
}

// runNotifiers starts delivering each notifier's outbox. The function it
// returns stops them, after giving them up to drain to send what is
// queued (the rest stays in the outbox for the next start), and closes
// their connections; call it after the engine has stopped and before the
// database closes.
func runNotifiers(ns []*fusion.Notifier, drain time.Duration, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, n := range ns {
		wg.Go(func() { n.Run(ctx) })
	}
	return func() {
		dctx, dcancel := context.WithTimeout(context.Background(), drain)
		defer dcancel()
		for _, n := range ns {
			if err := n.Drain(dctx); err != nil {
				log.Warn("fusion: notifications left in the outbox for the next start", "err", err)
			}
		}
		cancel()
		wg.Wait()
		for _, n := range ns {
			n.Close()
		}
	}
}

// checkStateFolders refuses a db, seen_file or influx.spool_dir whose
// folder does not exist, naming the setting, its line in fusion.yaml and
// the folder: fusion
// creates the files (and the spool folder), but a missing folder is a
// mistyped path or a state folder not made yet, and its lock (statelock)
// created the folder, so fusion started on a new empty database there.
func checkStateFolders(fc fusion.FileConfig) error {
	for _, p := range []struct{ key, path string }{
		{"db", fc.DB}, {"seen_file", fc.SeenFile}, {"influx.spool_dir", fc.Influx.SpoolDir},
	} {
		if p.path == "" || (p.key == "influx.spool_dir" && fc.Influx.URL == "") {
			continue
		}
		dir := filepath.Dir(filepath.Clean(p.path))
		fi, err := os.Stat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return fc.KeyError(p.key, fmt.Sprintf("%s: its folder %s does not exist: correct %s, or create the folder for the user fusion runs as", p.path, dir, p.key))
		case err != nil:
			return fc.KeyError(p.key, fmt.Sprintf("%s: its folder: %v", p.path, err))
		case !fi.IsDir():
			return fc.KeyError(p.key, fmt.Sprintf("%s: %s is not a folder: correct %s", p.path, dir, p.key))
		}
	}
	return nil
}

// lockFusionState takes the locks of fusion's own state (statelock): its
// seen file, its InfluxDB spool, and, always, its site's share of the
// SQLite database (one fusion per site and database: a second would raise
// every alert again). A lock another process holds is an error naming the
// lock file and, when known, the holder's PID.
func lockFusionState(fc fusion.FileConfig, siteID string) (release func() error, err error) {
	paths := []string{statelock.For(fc.DB + ".fusion-" + siteID)}
	if fc.SeenFile != "" {
		paths = append([]string{statelock.For(fc.SeenFile)}, paths...)
	}
	if fc.Influx.URL != "" {
		paths = append(paths, statelock.For(fc.Influx.SpoolDir))
	}
	release, err = statelock.AcquireAll(paths...)
	if errors.Is(err, statelock.ErrHeld) {
		return nil, fmt.Errorf("fusion: %w: another fusion runs with this state; stop it first (systemctl stop rfwarden-fusion)", err)
	}
	if err != nil {
		return nil, fmt.Errorf("fusion: %w", err)
	}
	return release, nil
}

// fusionMQTT is fusion's MQTT side: the client, the Resubscriber Run's
// subscriber needs, an asynchronous alert publisher and an asynchronous
// keeper of the evidence alerts gain between publications (neither may
// stall the engine).
type fusionMQTT struct {
	client mqtt.Client
	resub  *fusion.Resubscriber
	pub    *fusion.AsyncPublisher
	keep   *fusion.AsyncKeeper  // fusion.Deps.Keeper
	link   *mqttlink.Link       // the connection's errors, for the log, /healthz and /metrics
	live   *fusion.Liveness     // fusion's status topic: online (deaf or not), offline at close
	marker fusion.SessionMarker // clears the markers of sensors no longer in the site model
	// connecting ends with the first connection (connectFusion does not
	// wait for it)
	connecting mqtt.Token
}

// connectFusion starts fusion's MQTT client connecting, and returns
// without waiting: the client tries again every 5 s until it connects
// (paho's ConnectRetry) and reconnects when the connection is lost; its
// link logs each failed attempt (the same error once a minute) and says
// why it is not connected, for /healthz. A persistent session under a
// stable client ID, messages acknowledged only once fusion has handled them,
// and a Resubscriber (paho does not subscribe again by itself, and
// mosquitto forgets a shared subscription, which fusion.yaml's
// subscription: may name, when it restarts) that publishes fusion's
// session marker for siteID's sensors after each subscription the broker
// acknowledges. Its publisher sends each alert state change, and asks the
// sensors (IDs) that heard the alert's evidence to keep those snippets;
// its keeper asks them to keep the evidence a live alert gains between
// its state changes. caFile is the broker's CA (fusion.yaml's ca_file);
// "" trusts the system's store.
func connectFusion(broker, clientID, username, password, caFile, siteID string, sensors []string, log *slog.Logger) (*fusionMQTT, error) {
	if err := checkBrokerURL(broker); err != nil {
		return nil, err // no retry mends it
	}
	opts := mqttlink.NewClientOptions().AddBroker(broker).SetClientID(clientID).
		SetCleanSession(false).SetAutoReconnect(true).SetOrderMatters(false).SetConnectTimeout(10 * time.Second).
		// a broker not there yet (the central host booting, a broker
		// restart, a refused password fixed later) is tried again, not
		// fatal: paho's default is to give up after the first attempt
		SetConnectRetry(true).SetConnectRetryInterval(5 * time.Second).
		// paho's reconnect back-off grows to 10 minutes by default: after a
		// long broker outage alerts would wait that long
		SetMaxReconnectInterval(5 * time.Second).
		SetAutoAckDisabled(true) // fusion acknowledges a message once it has handled it
	if username != "" {
		opts.SetUsername(username).SetPassword(password)
	}
	if err := setBrokerCA(opts, caFile); err != nil {
		return nil, fmt.Errorf("fusion: ca_file: %w", err)
	}
	// Once the broker has acknowledged a subscription, fusion's session
	// marker goes on the cmd topic of each sensor it covers: sensors hold
	// their detections until it arrives (fusion.SessionMarker); the
	// retained markers of sensors no longer in the site model are cleared
	// (SessionMarker.ClearStale, fusionMQTT.subscriber).
	marker := fusion.SessionMarker{Site: siteID, Sensors: sensors, ClientID: clientID, Log: log}
	resub := &fusion.Resubscriber{Log: log, Subscribed: marker.Subscribed}
	// logs each lost connection (a second client with this ID ends it) and
	// failed attempt, with the broker's reason
	link := mqttlink.New(mqttlink.Options{Name: "fusion", Broker: broker, Logger: log, Keys: fusionMQTTKeys, Username: username})
	link.Watch(opts)
	// Fusion's liveness, for the dashboards: online at every connection,
	// offline as its last will and at a clean stop (close). Before, a
	// fusion down left every dashboard saying ok. Online says too which
	// subscription the broker refused, each time that changes: until
	// 2026-12-07 a fusion deaf to its sensors said online, and every
	// dashboard ok.
	live := &fusion.Liveness{Site: siteID, Log: log, Problem: resub.Refused, TimeZone: zonename.Name(time.Local)}
	resub.Changed = live.Online
	if err := live.SetWill(opts); err != nil {
		return nil, err
	}
	opts.SetOnConnectHandler(func(c mqtt.Client) {
		live.Online(c)
		resub.OnConnect(c)
	})
	opts.SetDefaultPublishHandler(resub.Default) // queued messages arriving before Run subscribes
	client := mqtt.NewClient(opts)
	connecting := client.Connect() // with ConnectRetry it ends only with a connection (or Disconnect)
	keep := fusion.KeepPublisher{Client: client, Sensors: sensors}
	return &fusionMQTT{client: client, resub: resub, link: link, connecting: connecting, live: live, marker: marker,
		pub:  fusion.NewAsyncPublisher(fusion.MultiPublisher{fusion.MQTTPublisher{Client: client}, keep}, mqttQueue, log),
		keep: fusion.NewAsyncKeeper(keep, mqttQueue, log)}, nil
}

// mqttQueue is how many alert changes fusion's alert publisher holds in
// memory while the broker is away or slow (fusion.AsyncPublisher
// coalesces an alert's into at most four: pending, firing, acknowledged,
// resolved), and how many alerts' keep requests its keeper holds; past
// it a change is dropped, logged and counted.
const mqttQueue = 4096

// queueCollectors are the metrics of m's alert publisher's and keeper's
// queues, by queue: what waits in each, and what each dropped.
func (m *fusionMQTT) queueCollectors() []prometheus.Collector {
	var cs []prometheus.Collector
	for _, q := range []struct {
		name    string
		queued  func() int
		dropped func() uint64
	}{{"alerts", m.pub.Queued, m.pub.Dropped}, {"keep", m.keep.Queued, m.keep.Dropped}} {
		labels := prometheus.Labels{"queue": q.name}
		cs = append(cs,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rfw_fusion_mqtt_queued", ConstLabels: labels,
				Help: "Alert state changes (queue alerts) and alerts' keep requests (queue keep) waiting in memory for the broker, an alert's changes in one state (its keep requests) coalesced into its latest."},
				func() float64 { return float64(q.queued()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rfw_fusion_mqtt_queue_dropped_total", ConstLabels: labels,
				Help: "Alert changes (queue alerts) and keep requests (queue keep) dropped because the queue held " + strconv.Itoa(mqttQueue) + " others: the broker away or slow for long with that many alerts changing."},
				func() float64 { return float64(q.dropped()) }))
	}
	return cs
}

// fusionMQTTKeys are fusion.yaml's settings /healthz's broker_error
// points to.
var fusionMQTTKeys = mqttlink.Keys{URL: "broker", Credentials: "username or RFW_MQTT_PASSWORD", CA: "ca_file", ClientID: "client_id"}

// checkBrokerURL refuses a broker URL paho can never connect to, or
// would connect to other than meant (mqttlink.CheckURL): a URL without a
// scheme, which paho dials as plain TCP even to a TLS port, sending the
// password in clear; a scheme it does not know; no host; a TCP or TLS
// URL without a port. It is the sensor's mqtt.url check.
func checkBrokerURL(broker string) error {
	if _, err := mqttlink.CheckURL(broker); err != nil {
		return fmt.Errorf("fusion: broker: %w", err)
	}
	return nil
}

// sensorIDs lists the IDs of s's sensors.
func sensorIDs(s *site.Site) []string {
	ids := make([]string, len(s.Sensors))
	for i, x := range s.Sensors {
		ids[i] = x.ID
	}
	return ids
}

// subscriber is what Engine.Run subscribes through.
func (m *fusionMQTT) subscriber() fusion.PahoSubscriber {
	return fusion.PahoSubscriber{Client: m.client, Resubscribe: m.resub, Retained: m.marker.ClearStale}
}

// close sends the queued alerts and keep commands (for at most drain),
// announces fusion offline, stopped (fusion.Liveness.Stopped: a clean
// disconnect discards the last will, and the dashboards would have
// heard fusion online for ever) and disconnects (waiting quiesce for work
// in flight). Not connected (still trying), it does not wait for a broker
// that is away: the alerts are in the database already, and the broker
// sent fusion's last will when it lost the connection.
func (m *fusionMQTT) close(drain time.Duration, quiesce uint) {
	if !m.client.IsConnectionOpen() {
		drain, quiesce = min(drain, 500*time.Millisecond), 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	m.pub.Close(ctx)
	m.keep.Close(ctx)
	if err := m.live.Stopped(m.client); err != nil {
		m.live.Log.Warn("mqtt: fusion's offline status not published: a dashboard may say fusion is online until its next start", "err", err)
	}
	m.client.Disconnect(quiesce)
}
