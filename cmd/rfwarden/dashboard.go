package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rfwarden/rfwarden/dashboard"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/internal/listenaddr"
	"github.com/rfwarden/rfwarden/internal/mqttlink"
	"github.com/rfwarden/rfwarden/internal/redact"
	"github.com/rfwarden/rfwarden/sensor/publish"
)

const dashboardUsage = `usage: rfwarden dashboard [flags]

Serve the web dashboard (alerts, floor plan and heatmap, sensors, registry,
incidents, replay, accounts) over fusion's SQLite database (--db), reading
detections, locations and health from InfluxDB instead with --influx. With
--mqtt it shows the live feed; with --snippet-dir it keeps the sensors'
evidence; with --replay-dir analysts replay SigMF recordings. On first run
it creates the user "admin" and prints its password once.

The database must exist: fusion creates it when it first starts, so on a
new installation start fusion first. --create-db makes an empty one, for
a dashboard without fusion (an analysts' replay workstation).

A flag may be set in the environment instead: RFW_ and its name in
capitals, - as _ (RFW_DB, RFW_MQTT_CLIENT_ID; --influx is RFW_INFLUX_URL),
except --create-db, --replay-max, --replay-timeout and -v. Secrets come from the
environment only, to stay out of the process list: RFW_MQTT_PASSWORD,
RFW_INFLUX_PASSWORD, and RFW_METRICS_TOKEN, which puts /metrics behind a
bearer token.

A request is answered only when its Host header is an IP address,
localhost, this machine's name or a name in RFW_ALLOWED_HOSTS
(--allowed-hosts; *.domain allows every name under domain); any other is refused 421, so a web page cannot reach
the dashboard through a name of its own (DNS rebinding).
`

// dashboardMaxHeaderBytes bounds a request's headers (the page sends
// about 1 KiB, its session cookie among them): net/http's default of
// 1 MiB let each client that has not logged in hold that much for the
// 10 s its headers may take.
const dashboardMaxHeaderBytes = 64 << 10

// cmdDashboard serves the web dashboard over fusion's SQLite store, and its
// InfluxDB with --influx. On first run it creates the "admin" user and
// prints its random password once, when everything else has loaded and it
// is about to serve.
//
// RFW_METRICS_TOKEN (environment only, like RFW_MQTT_PASSWORD, so it stays
// out of the process list) puts /metrics behind a bearer token.
func cmdDashboard(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("dashboard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, dashboardUsage); printDefaults(fs) }
	listen := fs.String("listen", dashboardEnv("RFW_LISTEN", "127.0.0.1:8080"), "address to serve on")
	dbPath := fs.String("db", dashboardEnv("RFW_DB", "rfwarden.db"), "SQLite database of fusion (alerts, registry, users); it must exist (fusion creates it) unless --create-db")
	createDB := fs.Bool("create-db", false, "create --db when it does not exist: a dashboard without fusion, such as an analysts' replay workstation (command line only)")
	sitePath := fs.String("site", dashboardEnv("RFW_SITE", ""), "site model YAML (floors, rooms, sensors)")
	certFile := fs.String("tls-cert", dashboardEnv("RFW_TLS_CERT", ""), "TLS certificate (PEM); serve HTTPS when set with --tls-key")
	keyFile := fs.String("tls-key", dashboardEnv("RFW_TLS_KEY", ""), "TLS private key (PEM)")
	mqttURL := fs.String("mqtt", dashboardEnv("RFW_MQTT", ""), "MQTT broker URL for the live feed, e.g. tcp://127.0.0.1:1883 or ssl://broker:8883")
	mqttUser := fs.String("mqtt-user", dashboardEnv("RFW_MQTT_USER", ""), "MQTT username (the \"user dashboard\" of the broker ACL); password from RFW_MQTT_PASSWORD")
	mqttCA := fs.String("mqtt-ca", dashboardEnv("RFW_MQTT_CA", ""), "CA certificate (PEM) of the broker's TLS listener; empty: system roots")
	replayDir := fs.String("replay-dir", dashboardEnv("RFW_REPLAY_DIR", ""), "folder of SigMF recordings offered for replay (NAME.sigmf-meta pairs and .sigmf archives, in subfolders too; links only within it); analysts' uploads go to its uploads/")
	snippetDir := fs.String("snippet-dir", dashboardEnv("RFW_SNIPPET_DIR", ""), "folder of SigMF snippets: the sensors' evidence (an alert's kept snippets) arrives here over MQTT")
	mqttID := fs.String("mqtt-client-id", dashboardEnv("RFW_MQTT_CLIENT_ID", "rfwarden-dashboard"), "MQTT client ID; with --snippet-dir its session persists, so evidence sent while the dashboard is down waits at the broker")
	influxURL := fs.String("influx", dashboardEnv("RFW_INFLUX_URL", ""), "InfluxDB URL (fusion.yaml's influx.url): read detections, locations and health there, not in --db; password from RFW_INFLUX_PASSWORD")
	influxDB := fs.String("influx-db", dashboardEnv("RFW_INFLUX_DB", "rfwarden"), "InfluxDB database (fusion.yaml's influx.database)")
	influxRP := fs.String("influx-rp", dashboardEnv("RFW_INFLUX_RP", "autogen"), "InfluxDB retention policy (fusion.yaml's influx.retention_policy)")
	influxUser := fs.String("influx-user", dashboardEnv("RFW_INFLUX_USER", ""), "InfluxDB username (fusion.yaml's influx.username)")
	replayMax := fs.Duration("replay-max", dashboard.DefaultReplayMaxDur, "longest stretch of a recording one replay analyses")
	replayTimeout := fs.Duration("replay-timeout", dashboard.DefaultReplayRunTimeout, "longest one replay run may take once it has the replay slot (runs go one at a time)")
	evidenceDays := fs.String("evidence-days", dashboardEnv("RFW_EVIDENCE_DAYS", "90"), "days an evidence snippet is kept in --snippet-dir unless an open case needs it (0: for ever)")
	evidenceMax := fs.String("evidence-max-bytes", dashboardEnv("RFW_EVIDENCE_MAX_BYTES", "20GiB"), "most bytes of snippets in --snippet-dir: the oldest no open case needs are deleted first, new evidence refused only when open cases fill it (0: no quota; KiB, MiB, GiB, TiB)")
	uploadDays := fs.String("upload-days", dashboardEnv("RFW_UPLOAD_DAYS", "30"), "days an analyst's replay upload (--replay-dir's uploads/) is kept (0: for ever)")
	searchDays := fs.String("search-days", dashboardEnv("RFW_SEARCH_DAYS", "365"), "days a handheld search outcome is kept, as fusion.yaml's alert_days keeps alerts (0: for ever)")
	allowedHosts := fs.String("allowed-hosts", dashboardEnv("RFW_ALLOWED_HOSTS", ""), "host names the dashboard answers to, comma-separated, besides IP addresses, localhost and this machine's name (a request by another name is refused 421, against DNS rebinding); \"*.domain\" every name under domain; \"*\" allows any, behind a reverse proxy that checks the Host")
	minFree := fs.String("min-free-bytes", dashboardEnv("RFW_MIN_FREE_BYTES", minFreeDefault), "/healthz is degraded while the disk of --db has less free (0: no check; KiB, MiB, GiB, TiB)")
	verbose := fs.Bool("v", false, "log requests and errors")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if err := checkDashboardEnv(os.Environ()); err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	// Checked before anything is loaded: ":99999" or "http://0.0.0.0:8080"
	// failed only at the listen, after the TLS pair and database checks.
	if err := listenaddr.Check(*listen, listenaddr.DashboardPort); err != nil {
		return fmt.Errorf("dashboard: RFW_LISTEN (--listen): %w", err)
	}
	hosts, err := dashboard.ParseAllowedHosts(*allowedHosts)
	if err != nil {
		return fmt.Errorf("dashboard: RFW_ALLOWED_HOSTS (--allowed-hosts): %w", err)
	}
	if *influxURL != "" {
		if err := fusion.CheckInfluxURL(*influxURL); err != nil {
			return fmt.Errorf("dashboard: RFW_INFLUX_URL (--influx): %w", err)
		}
	}
	if *mqttURL != "" && *snippetDir != "" && *mqttID == "" {
		// the evidence session persists (clean session off), which MQTT
		// refuses under an empty client ID: the feed retried for ever
		return errors.New("dashboard: RFW_MQTT_CLIENT_ID (--mqtt-client-id) is empty: with RFW_SNIPPET_DIR (--snippet-dir) the broker keeps the dashboard's session under it, and refuses one without an ID; give a stable ID (default rfwarden-dashboard)")
	}
	if (*certFile == "") != (*keyFile == "") {
		return errors.New("dashboard: give both --tls-cert and --tls-key, or neither")
	}
	if *replayMax <= 0 || *replayTimeout <= 0 {
		return fmt.Errorf("dashboard: --replay-max %v and --replay-timeout %v must be positive", *replayMax, *replayTimeout)
	}
	keep, err := parseRetention(*evidenceDays, *evidenceMax, *uploadDays, *searchDays, *minFree)
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	// checked with the settings, before the database is opened and its
	// retention started (dashboard.New checks it again, for other callers)
	if tok := os.Getenv("RFW_METRICS_TOKEN"); tok != "" {
		if err := dashboard.ValidateMetricsToken(tok); err != nil {
			return fmt.Errorf("RFW_METRICS_TOKEN: %w", err)
		}
	}
	if *mqttURL != "" {
		if err := checkDashboardMQTT(*mqttURL, *mqttCA); err != nil {
			return err
		}
	}
	// The certificate and key are loaded before anything is made (the
	// database, admin's one-time password) or printed: ServeTLS read
	// them only after the "dashboard on https://" banner.
	var tlsCfg *tls.Config
	if *certFile != "" {
		pair, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			return fmt.Errorf("dashboard: RFW_TLS_CERT (--tls-cert) %q with RFW_TLS_KEY (--tls-key) %q: %w", *certFile, *keyFile, err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{pair}}
	}
	if *snippetDir != "" {
		if err := checkSnippetDir(*snippetDir, *mqttURL != "", stdout); err != nil {
			return fmt.Errorf("dashboard: %w", err)
		}
	}
	// The database fusion made, checked once the settings are (it makes
	// nothing): a mistyped RFW_DB made a new empty database, with a new
	// admin and its new password, and staff saw an empty dashboard.
	if _, err := existingDB(*dbPath); err != nil && !(*createDB && errors.Is(err, iofs.ErrNotExist)) {
		if errors.Is(err, iofs.ErrNotExist) {
			return fmt.Errorf("dashboard: %w; or give --create-db to make an empty one (a dashboard without fusion)", err)
		}
		return fmt.Errorf("dashboard: %w", err)
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	// The stop line, as the start line ("dashboard on"), goes to stdout
	// (the journal): once every deferred close below has run, and only
	// after a clean stop.
	stopped := false
	defer func() {
		if stopped && err == nil {
			fmt.Fprintf(stdout, "dashboard: stopped (%s): HTTP server shut down, database %s closed\n", stopCause(ctx), *dbPath)
		}
	}()

	// The port first, as fusion and the sensor do: a second dashboard
	// started by mistake fails here, before it opens the database, starts
	// retention or connects to the broker under the running one's
	// persistent client ID (taking its session).
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("dashboard: listen on %s: %w", *listen, err)
	}
	defer ln.Close() // Serve closes it too; this is for the returns before it

	db, err := store.OpenSQLiteLog(*dbPath, log)
	if err != nil {
		return err
	}
	defer db.Close()
	// Where fusion keeps the time series: InfluxDB when it is configured
	// there (fusion then writes none of it to SQLite), else the SQLite file.
	var series store.TimeSeries = db
	var influx *dashboard.Probe // InfluxDB for /healthz; nil without it
	if *influxURL != "" {
		in, err := store.OpenInflux(store.InfluxConfig{URL: *influxURL, Database: *influxDB, RP: *influxRP,
			Username: *influxUser, Password: os.Getenv("RFW_INFLUX_PASSWORD"), ReadOnly: true, Logger: log})
		if err != nil {
			return fmt.Errorf("dashboard: --influx: %w", err)
		}
		defer in.Close()
		warned, err := dashboardInflux.check(ctx, in, log)
		if err != nil {
			return err
		}
		series = in
		// /healthz is degraded while InfluxDB does not answer, from the
		// check above and then checked again in the background (started
		// with retention, below), never on /healthz's request.
		influx = dashboardInflux.probe(in, warned, log)
	}
	// the audit log is in db: a deletion and its row go together; each
	// write's outcome goes to db's write health, for /healthz
	users, err := dashboard.NewUsers(ctx, db.DB(), dashboard.UsersOptions{AuditTx: db.AuditTx, RecordWrite: db.RecordWrite})
	if err != nil {
		return err
	}
	var st *site.Site
	if *sitePath != "" {
		if st, err = site.LoadFile(*sitePath); err != nil {
			return err
		}
	}
	reg, err := registry.Open(ctx, db.DB(), db, registry.Options{Location: time.Local, Logger: log, Site: st})
	if err != nil {
		return err
	}
	hub := dashboard.NewHub(0)
	hub.SetLogger(log) // before the feed subscribes: it logs bad messages
	metrics := newServiceRegistry()
	defer followRegistry(ctx, reg, metrics, "rfwarden_dashboard", log)()
	var replayer dashboard.Replayer
	if *replayDir != "" {
		pr, err := dashboard.NewPipelineReplayer(dashboard.ReplayerConfig{Dir: *replayDir, SnippetDir: *snippetDir, MaxDuration: *replayMax, RunTimeout: *replayTimeout, Logger: log})
		if err != nil {
			return fmt.Errorf("dashboard: %w", err)
		}
		defer pr.Close()
		replayer = pr
	}
	retention := keep.retention(db, users, st, *snippetDir, *replayDir, log)
	metrics.MustRegister(retention.Collectors()...)
	disk, uploadDisk := dashboardDisks(*dbPath, *replayDir, keep.minFreeBytes, metrics)
	// A full disk or a read-only file fails the dashboard's writes (logins,
	// acknowledgements, the audit log, the registry): /healthz and the
	// metrics follow their outcome, as fusion's do.
	metrics.MustRegister(databaseWriteCollectors("rfwarden_dashboard", "the dashboard", db)...)
	rctx, stopRetention := context.WithCancel(ctx)
	var rwg sync.WaitGroup
	defer rwg.Wait()
	defer stopRetention()
	rwg.Go(func() { retention.Run(rctx, time.Hour) })
	// The dashboard writes rarely (a login, an acknowledgement): while the
	// database refuses writes, a write of its own every store.ProbeEvery
	// finds when it takes them again, so /healthz is ok again by itself.
	rwg.Go(func() { db.WatchWrites(rctx, store.ProbeEvery) })
	var influxLink dashboard.Link // a nil *Probe would be a non-nil Link
	if influx != nil {
		metrics.MustRegister(influx.Collectors()...)
		rwg.Go(func() { influx.Run(rctx) })
		influxLink = influx
	}
	var announcer dashboard.AckAnnouncer
	var feed dashboard.Link               // the live feed's connection, for /healthz; nil without one
	var zones dashboard.ZoneStatus        // without the live feed the sensors' state is not known here: zones show no status
	var evidence dashboard.EvidenceWrites // the evidence folder's writes, for /healthz; nil without evidence
	if *mqttURL != "" {
		fo := feedOptions{URL: *mqttURL, Username: *mqttUser, Password: os.Getenv("RFW_MQTT_PASSWORD"), CAFile: *mqttCA,
			EvidenceDir: *snippetDir, ClientID: *mqttID}
		if st != nil {
			fo.Site = st.ID
		}
		if *snippetDir != "" {
			fo.Evidence = dashboard.NewEvidenceSaver(*snippetDir, st) // with a site model, its sensors' evidence only
			fo.Evidence.SetQuota(retention)
			metrics.MustRegister(fo.Evidence.Collectors()...)
			// /healthz is degraded while the folder refuses snippets, and
			// ok again by itself once it takes them (a probe every 5 s)
			evidence = fo.Evidence
			rwg.Go(func() { fo.Evidence.WatchWrites(rctx, store.ProbeEvery) })
		}
		acks := newAckAnnouncer(time.Second, db, log)
		fo.OnConnect = acks.connected
		client, link, err := subscribeFeed(fo, hub, log)
		if err != nil {
			return err
		}
		defer client.Disconnect(250)
		feed = link
		metrics.MustRegister(feedCollectors(link, hub)...)
		acks.setClient(client)
		announcer = acks
		if held, err := db.HeldAcks(ctx, maxHeldAcks); err != nil {
			log.Warn("held acknowledgements not read; announced to fusion at the next try", "err", err)
		} else if len(held) > 0 {
			log.Warn("acknowledgements stored but not announced to fusion before the last stop; announcing them when the broker link is up",
				"held", len(held), "oldest_alert", held[0].Alert)
		}
		rwg.Go(func() { acks.run(rctx, heldAckRetry) })
		if st != nil {
			zones = dashboard.SensorZones{Site: st, Hub: hub}
		}
	}
	metricsToken := os.Getenv("RFW_METRICS_TOKEN")
	e, err := dashboard.New(dashboard.Deps{Users: users, Site: st, Hub: hub, TimeSeries: series, Alerts: db, Auditor: db, Registry: reg,
		Replayer: replayer, ReplayDir: *replayDir, UploadDisk: uploadDisk, SnippetDir: *snippetDir, Metrics: metrics, MetricsToken: metricsToken, AckAnnouncer: announcer, Zones: zones, Maintenance: db,
		Feed: feed, Influx: influxLink, StateDisk: disk, Database: db, Evidence: evidence, Logger: log, Secure: *certFile != "", AllowedHosts: hosts, Location: time.Local, SearchKeep: time.Duration(max(keep.searchDays, 0)) * 24 * time.Hour})
	if errors.Is(err, dashboard.ErrMetricsToken) {
		return fmt.Errorf("RFW_METRICS_TOKEN: %w", err)
	}
	if err != nil {
		return err
	}

	// admin is made last, once everything else has loaded: a start that
	// fails on the configuration would have printed the one-time password
	// into its failure's log, and the next start would not print it.
	pw, created, err := users.EnsureAdmin(ctx, dashboard.AdminOptions{Auditor: db})
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(stdout, "created user admin with password %s (shown once; its first login must choose another)\n", pw)
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && metricsToken == "" && !tcp.IP.IsLoopback() {
		log.Warn("dashboard: /metrics is open to anyone who reaches this address; set RFW_METRICS_TOKEN", "listen", ln.Addr().String())
	}
	// Bodies have their own deadlines (dashboard.Deps.BodyTimeout and
	// BodyIdle); ReadTimeout is a backstop the dashboard moves on for an
	// upload that keeps coming. No WriteTimeout: the live feed streams.
	// Headers beyond dashboardMaxHeaderBytes are answered 431.
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute,
		MaxHeaderBytes: dashboardMaxHeaderBytes, TLSConfig: tlsCfg}
	scheme := "http"
	if tlsCfg != nil {
		scheme = "https"
	}
	fmt.Fprintf(stdout, "dashboard on %s://%s\n", scheme, ln.Addr())
	errc := make(chan error, 1)
	go func() {
		if tlsCfg != nil {
			errc <- srv.ServeTLS(ln, "", "") // tlsCfg holds the key pair
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("dashboard: %w", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		// Live-feed (SSE) streams never go idle; cut them after the grace period.
		if cerr := srv.Close(); cerr != nil || !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("dashboard: shut down: %w", err)
		}
	}
	stopped = true
	return nil
}

// checkDashboardMQTT reports why the live feed's broker URL (RFW_MQTT)
// is not dialled as meant, as the sensor's mqtt.url and fusion's broker
// are checked: a URL without a scheme was dialled as plain TCP, even to
// the broker's TLS port, sending RFW_MQTT_PASSWORD in clear. And as the
// sensor's mqtt.ca_file: a CA (RFW_MQTT_CA) for a URL that is not
// encrypted (tcp://) means TLS was meant, but paho dials in clear and
// never reads the CA.
func checkDashboardMQTT(url, caFile string) error {
	sch, err := mqttlink.CheckURL(url)
	if err == nil {
		err = mqttlink.CheckTLSFile(sch, "RFW_MQTT_CA (--mqtt-ca)", caFile)
	}
	if err != nil {
		return fmt.Errorf("dashboard: RFW_MQTT (--mqtt): %w", err)
	}
	return nil
}

// dashboardMQTTKeys are the settings the live feed's reason in /healthz
// points to.
var dashboardMQTTKeys = mqttlink.Keys{URL: "RFW_MQTT (--mqtt)", Credentials: "RFW_MQTT_USER or RFW_MQTT_PASSWORD (--mqtt-user)",
	CA: "RFW_MQTT_CA (--mqtt-ca)", ClientID: "RFW_MQTT_CLIENT_ID (--mqtt-client-id)"}

// feedOptions say how the dashboard reaches the broker for its live feed.
type feedOptions struct {
	URL                string
	Username, Password string
	CAFile             string // TLS CA for ssl:// brokers; empty: system roots
	// EvidenceDir receives the sensors' evidence snippets
	// (event.EvidenceFilter, QoS 1) when set; the session then persists
	// under ClientID, so evidence sent while the dashboard is down waits at
	// the broker.
	EvidenceDir string
	ClientID    string
	Site        string // the site shown; "" subscribes to every site
	// Evidence saves the evidence into EvidenceDir; nil: a saver with no
	// site model.
	Evidence *dashboard.EvidenceSaver
	// OnConnect, when set, is called with the client each time it has
	// connected and subscribed (mqttAckAnnouncer.connected), on paho's
	// connection goroutine: it must not block.
	OnConnect func(mqtt.Client)
}

// subscribeFeed connects and feeds alerts, locations, health, status and
// spectrum messages of fo.Site to the hub (QoS 0), and with fo.EvidenceDir
// saves the site's sensors' evidence snippets there (QoS 1). Feed handlers never block (Hub
// publishing is non-blocking); saving a snippet writes a few MB.
//
// The client retries for ever in the background; the link it returns
// logs each failed attempt's error (the broker's "not Authorized", a
// certificate) at warning level and says why the feed is not connected,
// for /healthz and /metrics.
func subscribeFeed(fo feedOptions, hub *dashboard.Hub, log *slog.Logger) (mqtt.Client, *feedLink, error) {
	url := fo.URL
	filters := map[string]byte{}
	for _, t := range dashboard.FeedTopicsFor(fo.Site) {
		filters[t] = 0
	}
	id := "rfwarden-dashboard-" + fmt.Sprint(os.Getpid())
	if fo.EvidenceDir != "" {
		if fo.Evidence == nil {
			fo.Evidence = dashboard.NewEvidenceSaver(fo.EvidenceDir, nil)
		}
		fo.Evidence.SetLogger(log)
		id = fo.ClientID
		evidence := event.EvidenceFilter
		if fo.Site != "" {
			evidence = event.EvidenceTopic(fo.Site, "+")
		}
		filters[evidence] = 1
	}
	opts := mqttlink.NewClientOptions().AddBroker(url).SetClientID(id).
		SetCleanSession(fo.EvidenceDir == "").
		SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(5 * time.Second). // paho's default: 30 s between first attempts
		SetMaxReconnectInterval(5 * time.Second)  // paho's default back-off reaches 10 minutes
	if fo.Username != "" {
		opts.SetUsername(fo.Username).SetPassword(fo.Password)
	}
	if err := setBrokerCA(opts, fo.CAFile); err != nil {
		return nil, nil, fmt.Errorf("dashboard: MQTT TLS: %w", err)
	}
	handle := func(_ mqtt.Client, m mqtt.Message) {
		if _, _, err := event.ParseEvidenceTopic(m.Topic()); err == nil && fo.EvidenceDir != "" {
			// a refusal is logged by the saver, rate-limited (SetLogger)
			if name, err := fo.Evidence.Save(m.Topic(), m.Payload()); err == nil {
				log.Info("dashboard: evidence saved", "snippet", name, "bytes", len(m.Payload()))
			}
			return
		}
		// A bad message is counted and logged by the Hub, rate-limited
		// (a hostile publisher filled the journal).
		_ = hub.HandleMQTT(m.Topic(), m.Payload())
	}
	link := &feedLink{Link: mqttlink.New(mqttlink.Options{Name: "dashboard feed", Broker: url, Logger: log, Keys: dashboardMQTTKeys, Username: fo.Username})}
	opts.SetOnConnectHandler(func(c mqtt.Client) {
		gen := link.subscribing()
		// fusion's retained status comes with the subscription, or the
		// dashboard says it has had no word (dashboard.FusionWordWait)
		hub.FeedSubscribing()
		subscribe := func() mqtt.Token { return c.SubscribeMultiple(filters, handle) }
		tok := subscribe()
		go func() {
			err := mqttlink.AwaitGranted(tok, subscribe, time.Minute, log, "live feed")
			if err != nil && mqttlink.LeftToReconnect(c, err) {
				return // the connection went first: the next one subscribes again
			}
			if link.subscribed(gen, err) && err != nil {
				log.Error("dashboard feed: the broker did not grant the live feed's subscription; alerts, sensors' state and evidence do not arrive live",
					"broker", redact.URL(url), "err", err)
			}
		}()
		if fo.OnConnect != nil {
			fo.OnConnect(c)
		}
	})
	opts.SetDefaultPublishHandler(handle) // evidence the session kept, arriving before the subscription is made again
	link.Watch(opts)
	c := mqtt.NewClient(opts)
	tok := c.Connect()
	// Wait a moment for the first connection, so the feed is subscribed
	// before the first page loads, but no longer than the first failed
	// attempt: the link has logged its error, and the client keeps
	// trying in the background.
	wait := time.NewTimer(10 * time.Second)
	defer wait.Stop()
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for {
		select {
		case <-tok.Done():
			if err := tok.Error(); err != nil { // not with ConnectRetry; only a Disconnect ends the retries
				return nil, nil, fmt.Errorf("dashboard: connect to MQTT %s: %w", redact.URL(url), err)
			}
			return c, link, nil
		case <-poll.C:
			if link.Err() == nil {
				continue
			}
		case <-wait.C:
		}
		log.Warn("dashboard feed: not connected to the MQTT broker yet; retrying in the background (live feed, acknowledgements' announcements and evidence wait)",
			"broker", redact.URL(url), "err", link.Err())
		return c, link, nil
	}
}

// feedLink is the live feed's state for /healthz, /metrics and the
// page's banner: its connection (mqttlink.Link), and whether the broker
// granted the feed's subscriptions on the latest connection. A feed
// connected whose subscription the broker refused (its ACL) or never
// answered is not connected for them, the reason naming the filters:
// before, the dashboard said its live feed was up and nothing arrived
// (TestCmdDashboardFeedRefused).
type feedLink struct {
	*mqttlink.Link

	mu  sync.Mutex
	gen int   // connections made
	err error // the latest connection's subscription not granted; nil: granted or not answered yet
}

// subscribing starts a connection's subscription, returning its number.
func (f *feedLink) subscribing() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gen++
	f.err = nil
	return f.gen
}

// subscribed records the outcome of connection gen's subscription and
// reports whether it is the latest connection's.
func (f *feedLink) subscribed(gen int, err error) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if gen != f.gen {
		return false
	}
	f.err = err
	return true
}

func (f *feedLink) subscribeErr() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// IsConnected implements dashboard.Link: connected, and the subscription
// not refused.
func (f *feedLink) IsConnected() bool { return f.Link.IsConnected() && f.subscribeErr() == nil }

// Collectors adds to the connection's metrics (mqttlink.Link.Collectors)
// prefix_mqtt_subscription_refused: 1 while the broker has not granted
// the latest connection's subscription, which leaves the feed connected
// and silent.
func (f *feedLink) Collectors(prefix string) []prometheus.Collector {
	return append(f.Link.Collectors(prefix), prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: prefix + "_mqtt_subscription_refused",
		Help: "1 while the MQTT broker has not granted the live feed's subscription (its ACL), else 0."}, func() float64 {
		if f.subscribeErr() != nil {
			return 1
		}
		return 0
	}))
}

// feedCollectors are the live feed's metrics on the dashboard's /metrics,
// the same in `rfwarden dashboard` and `rfwarden demo`: its connection
// (rfwarden_dashboard_mqtt_*, feedLink.Collectors) and what it hears
// (rfwarden_dashboard_fusion_online, rfwarden_dashboard_feed_bad_messages_total:
// dashboard.Hub.FeedCollectors). Until 2026-12-07 the demo registered
// none of them (TestDemoFusionOnline).
func feedCollectors(link *feedLink, hub *dashboard.Hub) []prometheus.Collector {
	return append(link.Collectors("rfwarden_dashboard"), hub.FeedCollectors("rfwarden_dashboard")...)
}

// SubscriptionRefused implements dashboard.SubscribingLink: connected,
// and the broker has not granted the latest connection's subscription.
func (f *feedLink) SubscriptionRefused() bool {
	return f.subscribeErr() != nil && f.Link.IsConnected()
}

var _ dashboard.SubscribingLink = (*feedLink)(nil)

// Reason implements dashboard.Link.
func (f *feedLink) Reason() string {
	if err := f.subscribeErr(); err != nil && f.Link.IsConnected() {
		return "connected to the MQTT broker, but its subscription was not granted: " + err.Error()
	}
	return f.Link.Reason()
}

// mqttAckAnnouncer announces acknowledgements to fusion on the site's ack
// topic (QoS 1) through the live feed's client, waiting at most wait for
// the broker to take the message. While the client is not connected it
// refuses at once: the acknowledging request (or a closure acknowledging
// several alerts) does not wait for a broker that is away. An
// acknowledgement is held in the database (held, store.SQLite.HoldAck)
// while it is announced, and stays held when the broker did not take it,
// the latest per alert and at most maxHeldAcks, and is
// announced, oldest first, when the client connects, every
// heldAckRetry while it stays connected and some are held, and when
// the dashboard starts again (run): so the outputs and the other
// dashboards learn of it then, not only at the alert's next reminder or
// change, though the dashboard was stopped before the broker came back
// (TestAckAnnouncerHoldsUntilConnected, TestCmdAckHeldAcrossRestart).
type mqttAckAnnouncer struct {
	wait time.Duration
	log  *slog.Logger
	held ackHolder // nil: an announcement that fails is not held
	kick chan struct{}

	mu      sync.Mutex
	client  mqtt.Client
	sending map[string]int64 // alert -> the acknowledgement's time AnnounceAck is announcing now: announceHeld leaves it
}

// ackHolder keeps the acknowledgements not yet announced to fusion
// (store.SQLite's HoldAck, HeldAcks and AnnouncedAck).
type ackHolder interface {
	HoldAck(ctx context.Context, n event.Ack, most int) (bool, error)
	HeldAcks(ctx context.Context, limit int) ([]event.Ack, error)
	AnnouncedAck(ctx context.Context, alert string, ackNS int64) error
}

// maxHeldAcks bounds the acknowledgements mqttAckAnnouncer holds for the
// broker's return: more than a control room makes in a shift.
const maxHeldAcks = 1000

// heldAckRetry is how often mqttAckAnnouncer.run announces held
// acknowledgements while the client is connected: one held after the
// connection's round (its publish timed out, or failed as the link came
// back) waits no longer.
const heldAckRetry = 15 * time.Second

// holdAckTimeout bounds the write holding an acknowledgement: the
// store's busy timeout, and a little more.
const holdAckTimeout = 15 * time.Second

// newAckAnnouncer returns an announcer waiting at most wait for the
// broker, holding in held (nil: nowhere) what it could not announce.
func newAckAnnouncer(wait time.Duration, held ackHolder, log *slog.Logger) *mqttAckAnnouncer {
	return &mqttAckAnnouncer{wait: wait, log: log, held: held, kick: make(chan struct{}, 1), sending: map[string]int64{}}
}

func (m *mqttAckAnnouncer) setClient(c mqtt.Client) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.client = c
}

// connected is the feed's OnConnect: it has c when the client connects
// before subscribeFeed returns it, and starts run's round.
func (m *mqttAckAnnouncer) connected(c mqtt.Client) {
	m.mu.Lock()
	if m.client == nil {
		m.client = c
	}
	m.mu.Unlock()
	m.nudge()
}

// nudge starts run's next round now.
func (m *mqttAckAnnouncer) nudge() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// AnnounceAck announces n. With a holder it is held first, and dropped
// from the held ones once the broker took it: a dashboard stopped while
// the announcement was under way (up to wait) announces it when it starts
// again. Before 2026-12-07 it was held only after the announcement
// failed, and such a stop lost it (TestAckHeldBeforeSent).
func (m *mqttAckAnnouncer) AnnounceAck(ctx context.Context, n event.Ack) error {
	if m.held == nil {
		return m.publish(n)
	}
	// written though the acknowledging request has gone, as the
	// acknowledgement was
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), holdAckTimeout)
	defer cancel()
	defer m.announcing(n)()
	ok, herr := m.held.HoldAck(hctx, n, maxHeldAcks)
	err := m.publish(n)
	if err == nil {
		if ok && herr == nil {
			if aerr := m.held.AnnouncedAck(hctx, n.Alert, n.AckNS); aerr != nil {
				m.log.Warn("acknowledgement announced to fusion but still marked held; announced again at the next try", "alert", n.Alert, "err", aerr)
			}
		}
		return nil
	}
	switch {
	case herr != nil:
		return fmt.Errorf("%w; not held either: %w", err, herr)
	case !ok:
		return fmt.Errorf("%w; not held either: %d acknowledgements already wait for the broker", err, maxHeldAcks)
	}
	if m.isConnected() {
		m.nudge() // the link is back (or the broker was slow): the connection's round may have run before this was held
	}
	return fmt.Errorf("%w; held, and announced when the broker link is back", err)
}

// announcing marks n as being announced by AnnounceAck, so that
// announceHeld does not send it a second time meanwhile, and returns
// the function that unmarks it.
func (m *mqttAckAnnouncer) announcing(n event.Ack) func() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sending[n.Alert] = max(m.sending[n.Alert], n.AckNS)
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		delete(m.sending, n.Alert)
	}
}

// beingSent reports whether AnnounceAck is announcing n or a later
// acknowledgement of its alert.
func (m *mqttAckAnnouncer) beingSent(n event.Ack) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	ns, ok := m.sending[n.Alert]
	return ok && ns >= n.AckNS
}

// run announces the held acknowledgements (announceHeld) at once, when
// nudged (the client connected, or one was held while it is) and every
// every, until ctx ends.
func (m *mqttAckAnnouncer) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		m.announceHeld(ctx)
		select {
		case <-ctx.Done():
			return
		case <-m.kick:
		case <-t.C:
		}
	}
}

// announceHeld announces the held acknowledgements, oldest first, each
// dropped once the broker takes it; it stops at the first the broker
// does not take, leaving it and the rest held for the next round.
func (m *mqttAckAnnouncer) announceHeld(ctx context.Context) {
	if m.held == nil || !m.isConnected() {
		return
	}
	held, err := m.held.HeldAcks(ctx, maxHeldAcks)
	if err != nil {
		if ctx.Err() == nil {
			m.log.Warn("held acknowledgements not read; announced to fusion at the next try", "err", err)
		}
		return
	}
	for i, n := range held {
		if m.beingSent(n) {
			continue // AnnounceAck announces it, and drops it once the broker took it
		}
		if err := m.publish(n); err != nil {
			m.log.Warn("held acknowledgements still not announced to fusion; held for the next try", "held", len(held)-i, "alert", n.Alert, "by", n.By, "err", err)
			return
		}
		if err := m.held.AnnouncedAck(ctx, n.Alert, n.AckNS); err != nil {
			m.log.Warn("acknowledgement announced to fusion but still marked held; announced again at the next try", "alert", n.Alert, "err", err)
			continue
		}
		m.log.Info("held acknowledgement announced to fusion", "alert", n.Alert, "by", n.By)
	}
}

// isConnected reports whether the client has a connection.
func (m *mqttAckAnnouncer) isConnected() bool {
	m.mu.Lock()
	c := m.client
	m.mu.Unlock()
	return c != nil && c.IsConnectionOpen()
}

// publish sends n on its site's ack topic, refusing at once without a
// connection.
func (m *mqttAckAnnouncer) publish(n event.Ack) error {
	b, err := event.Encode(n)
	if err != nil {
		return err
	}
	topic := event.AckTopic(n.Site)
	m.mu.Lock()
	c := m.client
	m.mu.Unlock()
	if c == nil || !c.IsConnectionOpen() {
		return fmt.Errorf("publish %s: not connected to the broker", topic)
	}
	tok := c.Publish(topic, 1, false, b)
	if !tok.WaitTimeout(m.wait) {
		return fmt.Errorf("publish %s: the broker did not take it within %v", topic, m.wait)
	}
	if err := tok.Error(); err != nil {
		return fmt.Errorf("publish %s: %w", topic, err)
	}
	return nil
}

// dashboardEnv returns the environment variable key, or def when unset.
// dashboardEnvNames are the environment variables the dashboard reads:
// its flags' and its secrets.
var dashboardEnvNames = []string{"RFW_LISTEN", "RFW_DB", "RFW_SITE", "RFW_TLS_CERT", "RFW_TLS_KEY", "RFW_MQTT",
	"RFW_MQTT_USER", "RFW_MQTT_CA", "RFW_REPLAY_DIR", "RFW_SNIPPET_DIR", "RFW_MQTT_CLIENT_ID", "RFW_INFLUX_URL",
	"RFW_INFLUX_DB", "RFW_INFLUX_RP", "RFW_INFLUX_USER", "RFW_EVIDENCE_DAYS", "RFW_EVIDENCE_MAX_BYTES",
	"RFW_UPLOAD_DAYS", "RFW_SEARCH_DAYS", "RFW_MIN_FREE_BYTES", "RFW_ALLOWED_HOSTS",
	"RFW_MQTT_PASSWORD", "RFW_INFLUX_PASSWORD", "RFW_METRICS_TOKEN"}

// dashboardFlagOnly are the variables of the dashboard's flags that have
// no environment variable (dashboardUsage).
var dashboardFlagOnly = map[string]string{"RFW_CREATE_DB": "--create-db", "RFW_REPLAY_MAX": "--replay-max",
	"RFW_REPLAY_TIMEOUT": "--replay-timeout", "RFW_V": "-v"}

// checkDashboardEnv refuses, in env (os.Environ's form), a variable the
// dashboard would ignore though it was meant for it: one of a flag that
// is command-line only (RFW_REPLAY_MAX), or a misspelling of one of its
// variables, one letter off or in other case (RFW_LISTN, rfw_listen):
// dashboard.env's RFW_LISTN=0.0.0.0:443 served on 127.0.0.1:8080 without
// a word. Other RFW_ variables (another command's) are left alone.
func checkDashboardEnv(env []string) error {
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		up := strings.ToUpper(name)
		if !strings.HasPrefix(up, "RFW_") || slices.Contains(dashboardEnvNames, name) {
			continue
		}
		if flag, ok := dashboardFlagOnly[up]; ok {
			return fmt.Errorf("%s is set, but the dashboard does not read it: %s is a command-line flag only", name, flag)
		}
		for _, known := range dashboardEnvNames {
			if up == known || editDistance1(up, known) {
				return fmt.Errorf("%s is set, but the dashboard does not read it: did you mean %s? (names are upper case)", name, known)
			}
		}
	}
	return nil
}

// editDistance1 reports whether a and b differ by one letter changed,
// added or removed.
func editDistance1(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(b)-len(a) > 1 {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	if len(a) == len(b) {
		return i < len(a) && a[i+1:] == b[i+1:]
	}
	return a[i:] == b[i+1:]
}

// minFreeDefault is RFW_MIN_FREE_BYTES' default (--min-free-bytes), the
// dashboard's and the demo's.
const minFreeDefault = "2GiB"

// dashboardDisks are the dashboard's watches on free space, for
// `rfwarden dashboard` and the demo alike: state, its Deps.StateDisk, on
// the disk of its database dbPath (/healthz degraded under minFreeBytes,
// and rfwarden_dashboard_state_disk_free_bytes, registered on metrics);
// uploads, its Deps.UploadDisk, on replayDir's (uploads keep minFreeBytes
// free there), nil without one. The demo's dashboard had neither until
// 2026-12-07: its /healthz said ok with its folder full.
func dashboardDisks(dbPath, replayDir string, minFreeBytes int64, metrics prometheus.Registerer) (state, uploads *dashboard.FreeSpace) {
	state = &dashboard.FreeSpace{Path: filepath.Dir(dbPath), MinFreeBytes: minFreeBytes}
	metrics.MustRegister(state.Collectors()...)
	if replayDir != "" {
		uploads = &dashboard.FreeSpace{Path: replayDir, MinFreeBytes: minFreeBytes}
	}
	return state, uploads
}

func dashboardEnv(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

// dashboardKeep is the dashboard's retention settings, parsed.
type dashboardKeep struct {
	evidenceDays, uploadDays, searchDays int
	evidenceMaxBytes, minFreeBytes       int64
}

// parseRetention parses the retention flags (days, and bytes with an
// optional KiB, MiB, GiB or TiB), naming the variable and flag at fault.
func parseRetention(evidenceDays, evidenceMax, uploadDays, searchDays, minFree string) (dashboardKeep, error) {
	var k dashboardKeep
	var errs []error
	for _, d := range []struct {
		name, v string
		dst     *int
	}{
		{"RFW_EVIDENCE_DAYS (--evidence-days)", evidenceDays, &k.evidenceDays},
		{"RFW_UPLOAD_DAYS (--upload-days)", uploadDays, &k.uploadDays},
		{"RFW_SEARCH_DAYS (--search-days)", searchDays, &k.searchDays},
	} {
		n, err := strconv.Atoi(strings.TrimSpace(d.v))
		if err != nil || n < 0 || n > 36500 {
			errs = append(errs, fmt.Errorf("%s %q is not a number of days in 0..36500 (0: keep for ever)", d.name, d.v))
		}
		*d.dst = n
	}
	for _, b := range []struct {
		name, v string
		dst     *int64
	}{
		{"RFW_EVIDENCE_MAX_BYTES (--evidence-max-bytes)", evidenceMax, &k.evidenceMaxBytes},
		{"RFW_MIN_FREE_BYTES (--min-free-bytes)", minFree, &k.minFreeBytes},
	} {
		n, err := parseBytes(b.v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", b.name, err))
		}
		*b.dst = n
	}
	return k, errors.Join(errs...)
}

// parseBytes parses a byte count: digits and an optional unit, KiB, MiB,
// GiB or TiB (powers of 1024).
func parseBytes(v string) (int64, error) {
	s := strings.TrimSpace(v)
	mul := int64(1)
	for i, unit := range []string{"KiB", "MiB", "GiB", "TiB"} {
		if t, ok := strings.CutSuffix(s, unit); ok {
			s, mul = strings.TrimSpace(t), int64(1)<<(10*(i+1))
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mul {
		return 0, fmt.Errorf("%q is not a byte count (digits and an optional KiB, MiB, GiB or TiB)", v)
	}
	return n * mul, nil
}

// retention returns the dashboard's retention over snippetDir's evidence
// (an open case's, of st's site or of every site without a site model,
// kept), replayDir's uploads and users' search outcomes.
func (k dashboardKeep) retention(db *store.SQLite, users *dashboard.Users, st *site.Site, snippetDir, replayDir string, log *slog.Logger) *dashboard.Retention {
	siteID := ""
	if st != nil {
		siteID = st.ID
	}
	r := &dashboard.Retention{EvidenceDir: snippetDir, EvidenceDays: k.evidenceDays, EvidenceMaxBytes: k.evidenceMaxBytes,
		UploadDays: k.uploadDays, SearchDays: k.searchDays, Users: users, Logger: log,
		Protected: dashboard.CachedProtector(db.CaseChanges,
			func(ctx context.Context) (map[string]bool, error) { return db.ProtectedDetections(ctx, siteID) })}
	if replayDir != "" {
		r.UploadDir = filepath.Join(replayDir, "uploads")
	}
	return r
}

// checkSnippetDir checks the evidence folder (RFW_SNIPPET_DIR) at start,
// before anything is made, and makes it (0750) when its parent folder is
// there, as fusion makes its spool folder and the sensor its snippets
// folder: the sample dashboard.env names /var/lib/rfwarden/snippets,
// which systemd's StateDirectory does not make. A folder whose parent is
// missing (a mistyped path), a path that is not a folder, and, when the
// dashboard receives evidence (receive: with RFW_MQTT), a folder it
// cannot create files in are refused naming the setting. The dashboard
// neither made nor checked it: every snippet was refused, logged and
// acknowledged away at the broker, while /healthz said ok.
func checkSnippetDir(dir string, receive bool, stdout io.Writer) error {
	const setting = "RFW_SNIPPET_DIR (--snippet-dir)"
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, iofs.ErrNotExist):
		parent := filepath.Dir(filepath.Clean(dir))
		if pi, err := os.Stat(parent); err != nil || !pi.IsDir() {
			return fmt.Errorf("%s %s: neither it nor its folder %s exists: correct %s, or create the folder for the user the dashboard runs as", setting, dir, parent, setting)
		}
		if err := os.Mkdir(dir, 0o750); err != nil && !errors.Is(err, iofs.ErrExist) {
			return fmt.Errorf("%s %s does not exist, and cannot be made: %w", setting, dir, err)
		}
		fmt.Fprintf(stdout, "dashboard: made the evidence folder %s (%s)\n", dir, setting)
	case err != nil:
		return fmt.Errorf("%s: %w", setting, err)
	case !fi.IsDir():
		return fmt.Errorf("%s %s is not a folder: correct %s", setting, dir, setting)
	}
	if !receive {
		return nil
	}
	probe, err := os.MkdirTemp(dir, ".rfwarden-probe-")
	if err != nil {
		return fmt.Errorf("%s %s: the sensors' evidence cannot be saved in it: %w", setting, dir, err)
	}
	return os.Remove(probe)
}

// setBrokerCA has o verify the broker's certificate with the CA in the PEM
// file caFile (the sensor's TLS code, publish.TLSConfig), for fusion's
// ca_file and the dashboard's RFW_MQTT_CA; "" leaves o with the system's
// trust store.
func setBrokerCA(o *mqtt.ClientOptions, caFile string) error {
	if caFile == "" {
		return nil
	}
	cfg, err := publish.TLSConfig(caFile, "", "")
	if err != nil {
		return err
	}
	o.SetTLSConfig(cfg)
	return nil
}
