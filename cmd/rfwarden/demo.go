package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rfwarden/rfwarden/dashboard"
	"github.com/rfwarden/rfwarden/deploy"
	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/dsp/classify"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/alert"
	"github.com/rfwarden/rfwarden/fusion/locate"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/internal/atomicfile"
	"github.com/rfwarden/rfwarden/internal/embroker"
	"github.com/rfwarden/rfwarden/internal/listenaddr"
	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/agent"
	"github.com/rfwarden/rfwarden/sensor/config"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/replay"
	"github.com/rfwarden/rfwarden/sensor/scan"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
	"github.com/rfwarden/rfwarden/sensor/sim"
)

const demoUsage = `usage: rfwarden demo [flags]

Run the whole system on one machine: an embedded MQTT broker, a simulated
prison wing whose sensor agents run the real DSP pipeline on simulated IQ,
fusion with SQLite, and the dashboard on 127.0.0.1. The login is printed at
start. Stop with Ctrl-C: the last line says where the state is kept (or
that the temporary folder is removed) and where --record's recordings are.
`

// demoOptions are the flags of `rfwarden demo`.
type demoOptions struct {
	listen       string
	allowedHosts []string // --allowed-hosts, as dashboard.ParseAllowedHosts gives it
	speed        float64
	seed         uint64
	dir          string
	newAdmin     bool // --new-admin-password
	record       string
	recordMaxMB  int64
	// minFreeBytes is --min-free-bytes (RFW_MIN_FREE_BYTES), as rfwarden
	// dashboard's: its /healthz is degraded while the disk of dir has less
	// free (0: no check).
	minFreeBytes int64
	duration     time.Duration
	start        string
	rateHz       float64
	offline      string
	offlineAfter time.Duration
	statusEvery  time.Duration
	verbose      bool
	cpuProfile   string
	memProfile   string // --memprofile: a heap profile, written at the stop and on SIGUSR1
	// beforeBanner, when not nil, is called once the start-up is done
	// (fusion connected, the sensors and the dashboard up), before the
	// rows stored at the start and the banner: a test cancels its
	// context there.
	beforeBanner func()
	// fusionConfig, when not nil, changes the config of the demo's
	// fusion before it starts: a test holds its alerts back until fusion
	// stops.
	fusionConfig func(*fusion.Config)
	// clockEvery is the wall-clock interval of the clock's saves while
	// the demo runs; 0: demoClockEvery (a test's is shorter).
	clockEvery time.Duration
}

// demoInfo is what a started demo tells its caller (the banner, and tests).
type demoInfo struct {
	URL      string // dashboard base URL
	User     string
	Password string
	Broker   string // MQTT broker URL
	// BrokerLogins are the broker's usernames and their passwords
	// (demoBrokerLogins).
	BrokerLogins map[string]string
	Site         string
	Start        time.Time // simulated time the demo started at
	Clock        func() time.Time
	Wing         *sim.Wing
	DB           *store.SQLite
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseDemoFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return fmt.Errorf("demo: --cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("demo: --cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	return runDemo(ctx, o, stdout, stderr, nil)
}

// parseDemoFlags parses the demo's command line into its options and
// refuses a flag no run can use, naming it: a --listen no socket takes
// (listenaddr.Check: it failed at the listen, as "dashboard: listen on
// :99999", without the flag's name) and a --status-every that is not
// positive (time.NewTicker panicked once the demo was up, its broker,
// fusion and sensors running). flag.ErrHelp for -h.
func parseDemoFlags(args []string, stderr io.Writer) (demoOptions, error) {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, demoUsage); printDefaults(fs) }
	var o demoOptions
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8080", "dashboard address")
	allowedHosts := fs.String("allowed-hosts", "", "host names the dashboard answers to, comma-separated, besides IP addresses, localhost and this machine's name (as rfwarden dashboard's)")
	fs.Float64Var(&o.speed, "speed", 1, "simulated seconds per wall-clock second (1 = real time)")
	fs.Uint64Var(&o.seed, "seed", 1, "scenario seed: the same seed plays the same night")
	fs.StringVar(&o.dir, "dir", "", "state folder (SQLite, outboxes, snippets); default a temporary folder removed at exit. A folder used before is continued: its registry entries are kept, its clock goes on after its data")
	fs.BoolVar(&o.newAdmin, "new-admin-password", false, "on a --dir used before, give its admin account a new password, printed on the banner (its old one was printed once and is kept nowhere)")
	fs.StringVar(&o.record, "record", "", "save what each sensor heard as SigMF into `DIR` (for rfwarden scan and dashboard replay)")
	fs.Int64Var(&o.recordMaxMB, "record-max-mb", 2048, "stop recording after this many MiB in all (the demo says when it does)")
	fs.DurationVar(&o.duration, "duration", 0, "stop after this much simulated time from the start (0: run until interrupted)")
	fs.StringVar(&o.start, "start", "", "simulated start time, RFC 3339, 1970-01-01T00:00:00Z up to 2200-01-01T00:00:00Z, after any data in --dir (default: 30 s before the scenario's first drone flight; on a --dir holding data, the second after its newest time)")
	fs.Float64Var(&o.rateHz, "rate", 10e6, fmt.Sprintf("simulated receiver sample rate, samples/s (2e6..20e6; under %.3ge6 the drone is heard by its remote control alone, and its drop incident takes in no phone)", demoStoryMinRateHz/1e6))
	fs.StringVar(&o.offline, "offline-sensor", "s4", "sensor of the wing (s1..s9) that loses power during the demo (\"\" for none)")
	fs.DurationVar(&o.offlineAfter, "offline-after", 3*time.Minute, "simulated time after start at which that sensor goes offline")
	fs.DurationVar(&o.statusEvery, "status-every", 10*time.Second, "wall-clock interval of the progress line")
	minFree := fs.String("min-free-bytes", dashboardEnv("RFW_MIN_FREE_BYTES", minFreeDefault), "the dashboard's /healthz is degraded while the disk of --dir has less free, as rfwarden dashboard's (0: no check; KiB, MiB, GiB, TiB)")
	fs.BoolVar(&o.verbose, "v", false, "log at info level")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole demo to `FILE` (for docs/performance.md)")
	fs.StringVar(&o.memProfile, "memprofile", "", "write a heap profile to `FILE` when the demo stops (before it shuts down) and on each SIGUSR1 (for docs/performance.md)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, errUsage
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return o, errUsage
	}
	if err := listenaddr.Check(o.listen, listenaddr.DashboardPort); err != nil {
		return o, fmt.Errorf("demo: --listen: %w", err)
	}
	hosts, err := dashboard.ParseAllowedHosts(*allowedHosts)
	if err != nil {
		return o, fmt.Errorf("demo: --allowed-hosts: %w", err)
	}
	o.allowedHosts = hosts
	if o.minFreeBytes, err = parseBytes(*minFree); err != nil {
		return o, fmt.Errorf("demo: RFW_MIN_FREE_BYTES (--min-free-bytes): %w", err)
	}
	if o.statusEvery <= 0 {
		return o, fmt.Errorf("demo: --status-every %v: give the wall-clock time between progress lines, above 0 (default 10s)", o.statusEvery)
	}
	return o, nil
}

// writeDemoMemProfile writes a heap profile to path (--memprofile; ""
// does nothing) while the demo still runs: at its stop, before the
// sensors, fusion and the broker shut down and free what they hold, so
// the profile shows what a running demo holds (docs/performance.md, "What
// a demo behind holds"). A collection first makes the in-use figures
// current.
func writeDemoMemProfile(path string) error {
	if path == "" {
		return nil
	}
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("demo: --memprofile: %w", err)
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("demo: --memprofile %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("demo: --memprofile %s: %w", path, err)
	}
	return nil
}

// simClock is the demo's shared simulated clock. It reads start until run
// is called, then runs speed times faster than the wall clock, and never
// passes end (when not zero): the demo calls run once everything is up, as
// it prints its banner, and stops at end (--duration). It used to run from
// before the broker, fusion, the sensors and the dashboard started, and
// the --duration timer only from the banner, so a run covered its
// --duration plus the start-up time times --speed (minutes at --speed
// 100), all of it stored and the next run on the --dir continuing after.
type simClock struct {
	start   time.Time
	end     time.Time // zero: none
	speed   float64
	wall    atomic.Pointer[time.Time] // monotonic reading at run; nil before
	once    sync.Once
	running chan struct{} // closed by run
}

// newSimClock returns a clock held at start until run, at speed
// simulated seconds per wall-clock second, never passing end (zero:
// none).
func newSimClock(start, end time.Time, speed float64) *simClock {
	return &simClock{start: start, end: end, speed: speed, running: make(chan struct{})}
}

// run starts the clock; later calls do nothing.
func (c *simClock) run() {
	c.once.Do(func() {
		now := time.Now()
		c.wall.Store(&now)
		close(c.running)
	})
}

// waitRun waits until the clock runs or ctx ends.
func (c *simClock) waitRun(ctx context.Context) error {
	select {
	case <-c.running:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *simClock) Now() time.Time {
	w := c.wall.Load()
	if w == nil {
		return c.start
	}
	t := c.start.Add(time.Duration(float64(time.Since(*w)) * c.speed))
	if !c.end.IsZero() && t.After(c.end) {
		return c.end
	}
	return t
}

func (o *demoOptions) validate() error {
	switch {
	case !(o.speed > 0 && o.speed <= 1000):
		return fmt.Errorf("demo: --speed %v outside (0, 1000]", o.speed)
	case !(o.rateHz >= 2e6 && o.rateHz <= 20e6):
		return fmt.Errorf("demo: --rate %v outside 2e6..20e6", o.rateHz)
	case o.duration < 0 || o.offlineAfter < 0:
		return errors.New("demo: --duration and --offline-after must not be negative")
	case o.recordMaxMB < 0:
		return errors.New("demo: --record-max-mb must not be negative")
	}
	return nil
}

// demoStart picks the simulated start: the flag, or 30 s before the first
// drone flight so that a newcomer sees the drop within two minutes. stored
// is the newest time the state folder holds (demoStoredUntil), zero for a
// fresh one: without the flag the demo continues at the whole second after
// it, and a flag at or before it is refused. A second demo on one --dir
// used to start at the seed's start again and replay its minutes over the
// first's: alerts resolved before they began, the heatmap counted twice,
// two runs' audit rows on the same times.
func demoStart(o demoOptions, w *sim.Wing, stored time.Time) (time.Time, error) {
	if o.start != "" {
		t, err := time.Parse(time.RFC3339, o.start)
		if err != nil {
			return time.Time{}, fmt.Errorf("demo: --start: %w", err)
		}
		if err := sim.CheckTime(t); err != nil {
			// a start ~8000 years on spun the simulator for hours
			return time.Time{}, fmt.Errorf("demo: --start %s is outside the simulated clock: give one from %s up to, not including, %s",
				o.start, sim.MinTime().Format(time.RFC3339), sim.MaxTime().Format(time.RFC3339))
		}
		if !stored.IsZero() && !t.After(stored) {
			return time.Time{}, fmt.Errorf("demo: --start %s is not after %s, the newest time stored in --dir: the run would replay over that data; "+
				"leave --start out to continue after it, or use another --dir", t.UTC().Format(time.RFC3339Nano), stored.UTC().Format(time.RFC3339Nano))
		}
		return t.UTC(), nil
	}
	if !stored.IsZero() {
		return stored.UTC().Truncate(time.Second).Add(time.Second), nil
	}
	for _, e := range w.GroundTruth(w.Start, w.Start.Add(24*time.Hour)) {
		if e.Kind == sim.KindDrone {
			if t := e.Start.Add(-30 * time.Second); t.After(w.Start) {
				return t, nil
			}
			return w.Start, nil
		}
	}
	return w.Start, nil
}

// runDemo runs the demo until ctx ends or the simulated duration elapses.
// ready, when not nil, is called once everything is up.
func runDemo(ctx context.Context, o demoOptions, stdout, stderr io.Writer, ready func(demoInfo)) (err error) {
	if err := o.validate(); err != nil {
		return err
	}
	wing := sim.StandardWing(o.seed)
	if err := checkOfflineSensor(o.offline, wing); err != nil {
		return err
	}
	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	wallStart := time.Now()

	// What is cheap and may fail comes before anything is written to the
	// state folder: a run that did not start leaves nothing there that the
	// next run would continue after (README.md). The dashboard's port
	// first: a port taken used to fail the demo after its registry entries
	// and their audit rows were stored, and the same --start was then
	// refused as "not after" them.
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		// the port taken (another demo, a dashboard) is the usual cause:
		// say how to move it
		return fmt.Errorf("demo: dashboard: listen on %s: %w: give another address with --listen (e.g. --listen 127.0.0.1:18081)", o.listen, err)
	}
	defer ln.Close() // Serve closes it too; this is for a return before Serve
	if o.record != "" {
		if err := os.MkdirAll(o.record, 0o750); err != nil {
			return fmt.Errorf("demo: --record: %w", err)
		}
	}
	if _, err := demoBinHz(o.rateHz); err != nil { // the registry entries' width (authoriseDemoDevices)
		return err
	}

	dir := o.dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "rfwarden-demo-"); err != nil {
			return fmt.Errorf("demo: state folder: %w", err)
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("demo: state folder: %w", err)
	}

	st, err := site.Load(strings.NewReader(string(wing.SiteYAML())))
	if err != nil {
		return fmt.Errorf("demo: simulated site: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	metrics := newServiceRegistry() // the dashboard's /metrics, fusion's under fusion_

	// The broker: its drops (fusion 8192 messages behind) are logged and
	// counted (rfw_embroker_dropped_messages_total).
	// Each client logs in as production's do (fusion, dashboard, each
	// sensor under its ID) and may use only the topics
	// deploy/mosquitto/rfwarden.acl gives it: another local user cannot
	// publish a fake alert or status on the demo's broker.
	logins, err := demoBrokerLogins(wing, dir)
	if err != nil {
		return err
	}
	broker, brokerURL, err := startDemoBroker(log.With("svc", "broker"), metrics, logins)
	if err != nil {
		return err
	}
	defer broker.Close()

	// State: SQLite for alerts, incidents, audit, registry, users and history.
	dbPath := filepath.Join(dir, "rfwarden.db")
	db, err := store.OpenSQLiteLog(dbPath, log) // schema upgrades of an older folder logged, as fusion's
	if err != nil {
		return err
	}
	defer db.Close()
	// A --dir used before: the clock continues after what it holds.
	stored, err := demoStoredUntil(ctx, db.DB(), dir)
	if err != nil {
		return err
	}
	start, err := demoStart(o, wing, stored)
	if err != nil {
		return err
	}
	// Held at start until everything is up (the banner), and never past
	// start + --duration: what the demo stores before its banner carries
	// the start, and nothing it stores is later than its end.
	var end time.Time
	if o.duration > 0 {
		end = start.Add(o.duration)
	}
	clock := newSimClock(start, end, o.speed)
	// Deferred here, it runs once the sensors, fusion and the dashboard
	// have stopped (their defers come later), before the database closes;
	// only for a run that started (printed its banner): one that failed to
	// start (its port taken) or was interrupted at once stored nothing to
	// continue after, and its clock would refuse the same --start again.
	started := false
	clockSaver := &demoClockSaver{dir: dir, log: log}
	defer func() {
		if !started {
			return
		}
		if serr := clockSaver.save(clock.Now()); serr != nil && err == nil {
			err = serr
		}
	}()
	// The registry's clock is the simulated one, as fusion's and the
	// dashboard's: entries added without valid_from take effect at once,
	// and its audit entries sort with the rest.
	reg, err := registry.Open(ctx, db.DB(), db, registry.Options{Location: time.UTC, Logger: log, Now: clock.Now, Site: st})
	if err != nil {
		return err
	}

	hub := dashboard.NewHub(0)
	hub.SetClock(clock.Now) // the dashboard's (demoStateDeps' Now)

	// Fusion.
	fconn, err := connectFusion(brokerURL, "rfwarden-fusion", "fusion", logins["fusion"], "", st.ID, sensorIDs(st), log)
	if err != nil {
		return err
	}
	defer fconn.close(5*time.Second, 250)
	// connected before the sensors start, so fusion subscribes at once
	if !fconn.connecting.WaitTimeout(10 * time.Second) {
		return fmt.Errorf("demo: fusion cannot connect to the embedded broker: %v", fconn.link.Err())
	}
	story := &demoStory{out: stdout, clock: clock.Now}
	// Every location goes over the broker to the dashboard's floor plan, as
	// between the services of a deployment.
	live := fusion.LiveLocations{TimeSeries: db, Client: fconn.client, Log: log.With("svc", "fusion")}
	// Sensors scan: each visits a band every 2-3 s, at different moments, so
	// the hits of one emission by several sensors spread over a revisit time.
	// Fusion runs on its defaults there: each 500 ms group borrows the other
	// sensors' powers of the same channel from the last 3 s (BorrowWindow).
	// The demo used to widen the association window to 3 s instead, which
	// held every fix and alert back by the window; with borrowing most of
	// the B20 handset's fixes are in its own cell, not across the landing.
	// Each sensor's health report carries its scan plan, which tells fusion
	// which sensors were listening where, so a sensor that scanned a band
	// and heard nothing counts against the places near it.
	fcfg := fusion.Config{Model: demoModel(), Alerts: demoAlerts(o.speed)}
	if o.fusionConfig != nil {
		o.fusionConfig(&fcfg)
	}
	eng, err := fusion.New(fcfg, fusion.Deps{Site: st, Authorizer: reg, TimeSeries: live,
		AlertStore: db, Maintenance: db, Publisher: fusion.MultiPublisher{fconn.pub, story}, Keeper: fconn.keep, Clock: clock.Now,
		Logger: log.With("svc", "fusion"), Registerer: prometheus.WrapRegistererWithPrefix("fusion_", metrics), TrackPrefix: demoTrackPrefix(wallStart),
		Journal: db}) // as rfwarden fusion: what it acknowledged outlives a kill -9 (a --dir used again replays it)
	if err != nil {
		return err
	}
	// pipe holds fusion and the sensors, the goroutines that print the
	// story (alerts, a sensor losing power, a recording capped): the run's
	// end stops and waits for them before its closing line, so that line
	// is the last (stopPipe). It was printed first, and fusion went on
	// for the shutdown's second or so: an alert firing at the run's end
	// was printed after "simulated 20s done" (TestDemoClosingLineIsLast).
	var wg, pipe sync.WaitGroup
	defer wg.Wait()
	defer pipe.Wait()
	defer cancel()
	stopPipe := func() {
		cancel()
		pipe.Wait()
	}
	fusionDone := make(chan error, 1)
	pipe.Go(func() { fusionDone <- eng.Run(ctx, fconn.subscriber()) })
	// Fusion's retention, as a deployment's with fusion.yaml's defaults, on
	// the simulated clock: a demo continued on --dir kept every row for
	// ever (soak test 2026-12-06: 1.3 MB of SQLite a simulated hour).
	retention, retentionEvery := demoRetention(db, st.ID, clock.Now, o.speed, log.With("svc", "fusion"))
	prometheus.WrapRegistererWithPrefix("fusion_", metrics).MustRegister(retention.Collectors()...)
	wg.Go(func() { retention.run(ctx, retentionEvery) })

	// Dashboard, on the port taken above: a port taken failed the demo
	// before its admin account was made (a first run's password printed
	// nowhere).
	users, err := dashboard.NewUsers(ctx, db.DB(), demoUsersOptions(clock.Now, o.speed))
	if err != nil {
		return err
	}
	if err := demoAccountsOnClock(ctx, db.DB(), start); err != nil {
		return err
	}
	snippets := filepath.Join(dir, "snippets")
	// Replay offers the evidence snippets, and what --record keeps; without
	// it, uploads go to a folder of the demo's own.
	replayDir := o.record
	if replayDir == "" {
		replayDir = filepath.Join(dir, "recordings")
		if err := os.MkdirAll(replayDir, 0o750); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	replayer, err := dashboard.NewPipelineReplayer(dashboard.ReplayerConfig{Dir: replayDir, SnippetDir: snippets, Logger: log.With("svc", "replay")})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer replayer.Close()
	// the dashboard's live feed, whose state the page shows ("live")
	feed, feedState, err := subscribeFeed(feedOptions{URL: brokerURL, Username: "dashboard", Password: logins["dashboard"], Site: st.ID}, hub, log)
	if err != nil {
		return err
	}
	defer feed.Disconnect(250)
	metrics.MustRegister(feedCollectors(feedState, hub)...) // as the dashboard's
	deps := demoStateDeps(db, eng, clock.Now)
	deps.Users, deps.Site, deps.Hub, deps.Feed, deps.Registry = users, st, hub, feedState, reg
	deps.Replayer, deps.ReplayDir, deps.SnippetDir = replayer, replayDir, snippets
	deps.Metrics, deps.Logger = metrics, log.With("svc", "dashboard")
	stateDisk, uploadDisk := dashboardDisks(dbPath, replayDir, o.minFreeBytes, metrics)
	deps.StateDisk, deps.UploadDisk = demoStateDisk{stateDisk, clockSaver}, uploadDisk
	deps.AllowedHosts = o.allowedHosts
	e, err := dashboard.New(deps)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute,
		MaxHeaderBytes: dashboardMaxHeaderBytes} // as the dashboard's
	httpDone := make(chan error, 1)
	wg.Go(func() { httpDone <- srv.Serve(ln) })
	defer func() {
		c, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if srv.Shutdown(c) != nil {
			srv.Close() // live-feed streams never go idle
		}
	}()

	// Sensors.
	var recorded atomic.Int64
	var recordCapped atomic.Bool
	var agents []*agent.Agent
	for _, s := range wing.Sensors() {
		a, src, err := newDemoAgent(o, wing, s.ID, st.ID, brokerURL, logins[s.ID], dir, clock, &recorded, log)
		if err != nil {
			return err
		}
		src.recordCapped, src.story = &recordCapped, story.printf
		actx, acancel := context.WithCancel(ctx)
		if s.ID == o.offline && o.offline != "" {
			src.unplugAt, src.unplug = start.Add(o.offlineAfter), acancel
		}
		agents = append(agents, a)
		pipe.Go(func() {
			defer acancel()
			defer src.closeRecording()
			err := a.Run(actx)
			switch {
			case src.unplugged.Load():
				story.printf("sensor %s lost power (simulated): fusion hears its 'offline' status", s.ID)
			case err != nil && ctx.Err() == nil:
				log.Error("sensor agent stopped", "sensor", s.ID, "err", err)
			}
		})
	}

	if o.beforeBanner != nil {
		o.beforeBanner()
	}
	// A Ctrl-C during the start-up: the run did not start, so no banner,
	// no clock saved and no time stored (README.md). Until 2026-12-06 one
	// that landed after the registry entries were written (after fusion
	// connected) printed the banner, then stopped and saved a clock at
	// about the start; and the registry entries' audit rows and the admin
	// account (its password printed nowhere) stayed, the next run
	// continuing after them.
	if ctx.Err() != nil {
		fmt.Fprintf(stdout, "rfwarden demo: interrupted before it started; no clock saved, no time stored\n")
		return nil
	}
	// The rows the demo stores before it runs (they carry the clock, held
	// at start), last of the start-up and right before the banner: the
	// authorised devices' registry entries and the admin account. They
	// are not interrupted (a Ctrl-C during them stops the run once its
	// banner is printed), so a run either stores none of them or prints its banner, with the
	// admin's password.
	wctx := context.WithoutCancel(ctx)
	if err := authoriseDemoDevices(wctx, reg, wing, start, o.rateHz); err != nil {
		return err
	}
	// The demo's state is thrown away: its admin keeps the printed
	// password (audited as such), where a dashboard's must change it.
	password, created, err := users.EnsureAdmin(wctx, dashboard.AdminOptions{Auditor: db, KeepPassword: true})
	if err != nil {
		return fmt.Errorf("demo: create user: %w", err)
	}
	if !created && o.newAdmin {
		if password, err = demoNewAdminPassword(wctx, users, db, clock.Now()); err != nil {
			return err
		}
	}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, `rfwarden demo: simulated wing %q with %d sensors, seed %d, speed %gx
  dashboard  %s   (%s)
  broker     %s   (logins in %s)
  state      %s
  sim clock  starts %s%s
Watch the Alerts page: an illicit phone in a cell, then a drone at the perimeter
and a new phone inside%s%s.
%s`, st.ID, len(agents), o.seed, o.speed, url, demoLoginNote(password, created), brokerURL, filepath.Join(dir, demoBrokerLoginsFile), dir, start.Format(time.RFC3339), demoContinueNote(stored, dir),
		demoDropPromise(o.rateHz), demoOfflineNote(o, start), demoNarrowRateNote(o.rateHz))
	clock.run() // the banner's start is the clock's
	started = true
	if ready != nil {
		ready(demoInfo{URL: url, User: "admin", Password: password, Broker: brokerURL, BrokerLogins: logins, Site: st.ID, Start: start,
			Clock: clock.Now, Wing: wing, DB: db})
	}

	// The run stops when the clock reads its end, start + --duration (the
	// wall-clock timer, rounded down, may fire a hair before).
	var stop <-chan time.Time
	if o.duration > 0 {
		stop = time.After(time.Duration(float64(o.duration) / o.speed))
	}
	tick := time.NewTicker(o.statusEvery)
	defer tick.Stop()
	// The clock is saved as it runs too: a demo killed, or whose last
	// save fails, continues after its latest save. A save that fails (a
	// full disk) does not stop the demo (demoClockSaver).
	clockTick := time.NewTicker(cmp.Or(o.clockEvery, demoClockEvery))
	defer clockTick.Stop()
	var usr1 chan os.Signal // nil without --memprofile: never ready
	if o.memProfile != "" {
		usr1 = make(chan os.Signal, 1)
		signal.Notify(usr1, syscall.SIGUSR1)
		defer signal.Stop(usr1)
	}
	for {
		select {
		case <-ctx.Done():
			// until 2026-12-05 it stopped without a word
			perr := writeDemoMemProfile(o.memProfile) // of the demo still running
			stopPipe()
			story.printf("stopped (interrupted); %s", demoKeptNote(o, dir))
			return perr
		case <-stop:
			if clock.Now().Before(end) {
				stop = time.After(time.Millisecond)
				continue
			}
			perr := writeDemoMemProfile(o.memProfile)
			stopPipe()
			story.printf("simulated %v done; %s", o.duration, demoKeptNote(o, dir))
			return perr
		case <-clockTick.C:
			_ = clockSaver.save(clock.Now()) // logged and on /healthz
		case <-usr1:
			if err := writeDemoMemProfile(o.memProfile); err != nil {
				log.Warn("demo: heap profile on SIGUSR1", "err", err)
			}
		case err := <-fusionDone:
			if ctx.Err() != nil {
				// stopped for the interrupt, which the next turn
				// handles; until 2026-12-07 a fusion that stopped
				// first (the loop busy, saving the clock) made the
				// demo fail with "fusion stopped: <nil>"
				fusionDone = nil
				continue
			}
			return fmt.Errorf("demo: fusion stopped: %w", err)
		case err := <-httpDone:
			return fmt.Errorf("demo: dashboard stopped: %w", err)
		case <-tick.C:
			var det, samples int64
			for _, a := range agents {
				s := a.Stats()
				det += s.Detections
				samples += s.Samples
			}
			firing, _ := db.Alerts(ctx, store.AlertFilter{Site: st.ID, State: event.AlertFiring})
			iqS := float64(samples) / o.rateHz
			story.printf("%d sensors analysed %.1f s of IQ (%.0f%% of their simulated time), %d detections, %d alerts firing",
				len(agents), iqS, 100*keptUp(iqS, len(agents), clock.Now().Sub(start)), det, len(firing))
		}
	}
}

// keptUp returns the share of n sensors' simulated time, elapsed each,
// whose IQ they analysed (iqS seconds in all): a sensor is always tuned to
// some band, and one that falls behind the shared clock skips what it
// could not analyse (demoSource). On two cores it is about a quarter in
// real time and a twentieth at --speed 4.
func keptUp(iqS float64, n int, elapsed time.Duration) float64 {
	if n <= 0 || elapsed <= 0 {
		return 0
	}
	return min(1, iqS/(float64(n)*elapsed.Seconds()))
}

// checkOfflineSensor refuses an --offline-sensor that names no sensor of
// the wing w ("" is none). A typo used to run the demo with every sensor
// on, while its banner said the sensor named would go offline.
func checkOfflineSensor(name string, w *sim.Wing) error {
	if name == "" {
		return nil
	}
	var ids []string
	for _, s := range w.Sensors() {
		if s.ID == name {
			return nil
		}
		ids = append(ids, s.ID)
	}
	return fmt.Errorf("demo: --offline-sensor %q: no such sensor in the simulated wing (its sensors: %s; \"\" for none)", name, strings.Join(ids, ", "))
}

// demoOfflineNote is what the banner says of --offline-sensor: when the
// sensor goes offline, in the story's simulated time; nothing for none
// (--offline-sensor "", which printed "and sensor  going offline") or
// when --duration ends the run first.
func demoOfflineNote(o demoOptions, start time.Time) string {
	if o.offline == "" || (o.duration > 0 && o.offlineAfter >= o.duration) {
		return ""
	}
	return ", and sensor " + o.offline + " going offline at " + start.Add(o.offlineAfter).Format("15:04:05")
}

// demoStoryMinRateHz is the least --rate at which the demo's story plays
// its drone drop: a tuning spans scan.UsableFraction of the rate, and the
// drone's DroneID bursts (9 MHz wide) are named from
// classify.DroneIDMinWidthHz of them (its video link, 9 MHz too, from 8
// Msps). Under it the drone is heard by its remote control alone, which
// places it nowhere, and the drone-drop incident takes in no phone: at
// --rate 2e6 the GSM handset that comes on after the drone opened a case
// of its own (TestDemoDroneNamedAtStoryRate, TestDemoNarrowRateBanner).
const demoStoryMinRateHz = classify.DroneIDMinWidthHz / scan.UsableFraction

// demoDropPromise is what the banner promises of the drone and the phone
// after it: one drone-drop incident, at a rate its story plays at.
func demoDropPromise(rateHz float64) string {
	if rateHz < demoStoryMinRateHz {
		return ""
	}
	return " (one drone-drop incident)"
}

// demoNarrowRateNote is the banner's line on a --rate too narrow for the
// drone's story (demoStoryMinRateHz), "" at one wide enough.
func demoNarrowRateNote(rateHz float64) string {
	if rateHz >= demoStoryMinRateHz {
		return ""
	}
	return fmt.Sprintf("At --rate %.3ge6 a tuning spans %.3g MHz, and the drone's DroneID (9 MHz) is named from %.3g MHz:\n"+
		"the drone is heard by its remote control alone and placed nowhere, so its drone-drop\n"+
		"incident takes in no phone; the phone after it opens a case of its own. --rate %.3ge6 or more\n"+
		"(default 10e6) plays the drop.\n",
		rateHz/1e6, scan.UsableFraction*rateHz/1e6, classify.DroneIDMinWidthHz/1e6, demoStoryMinRateHz/1e6)
}

// demoRetention is fusion's retention of the demo's database: the days
// fusion.yaml keeps by default (demoRetentionDays), counted on the
// simulated clock now, run once a simulated hour (every 30 s of wall time
// at --speed 120). The dashboard's evidence retention does not run: the
// snippet folder is bounded by the sensors' own quotas (9 x 32 MiB,
// demoSensorConfig), and the dashboard ages a snippet by its file's
// wall-clock time, which the simulated clock does not share.
func demoRetention(db *store.SQLite, siteID string, now func() time.Time, speed float64, log *slog.Logger) (*fusionRetention, time.Duration) {
	r := newFusionRetention(db, siteID, demoRetentionDays(), log)
	r.now = now
	return r, time.Duration(float64(time.Hour) / speed)
}

// demoRetentionDays are fusion.yaml's default days (fusion.LoadFileConfig;
// TestDemoRetentionAsShipped compares them): history 90, alerts 365,
// audit 2190, audit of views 365.
func demoRetentionDays() fusion.FileConfig {
	return fusion.FileConfig{HistoryDays: 90, AlertDays: 365, AuditDays: 2190, AuditViewDays: 365}
}

// startDemoBroker starts an embedded MQTT broker on a free loopback port
// that lets in only logins, each to the topics production's ACL
// (deploy.MosquittoACL) gives it, warning in log of the messages it drops
// and counting them in metrics.
func startDemoBroker(log *slog.Logger, metrics prometheus.Registerer, logins map[string]string) (*mochi.Server, string, error) {
	acl, err := embroker.ParseACL(deploy.MosquittoACL)
	if err != nil {
		return nil, "", fmt.Errorf("demo: broker: deploy/mosquitto/rfwarden.acl: %w", err)
	}
	srv, addr, err := embroker.StartWith("127.0.0.1:0", embroker.Options{Logger: log, Registerer: metrics, Logins: logins, ACL: acl})
	if err != nil {
		return nil, "", fmt.Errorf("demo: broker: %w", err)
	}
	return srv, "tcp://" + addr, nil
}

// demoBrokerLoginsFile is the file in the demo's state folder that lists
// the broker's usernames and passwords, for a tool attached to the
// broker (docs/simulator.md).
const demoBrokerLoginsFile = "broker-logins"

// demoBrokerLogins gives fusion, the dashboard and each of the wing's
// sensors (username: its ID, as the ACL's %u patterns want) a password of
// its own, new at each run (crypto/rand, 128 bits), and writes them to
// demoBrokerLoginsFile in dir, one "username password" a line, readable
// by the owner only (0600).
func demoBrokerLogins(w *sim.Wing, dir string) (map[string]string, error) {
	logins := map[string]string{"fusion": rand.Text(), "dashboard": rand.Text()}
	for _, s := range w.Sensors() {
		logins[s.ID] = rand.Text()
	}
	var b strings.Builder
	b.WriteString("# rfwarden demo: the embedded broker's logins for this run (username password)\n")
	for _, u := range slices.Sorted(maps.Keys(logins)) {
		fmt.Fprintf(&b, "%s %s\n", u, logins[u])
	}
	if err := atomicfile.Write(filepath.Join(dir, demoBrokerLoginsFile), []byte(b.String()), 0o600); err != nil {
		return nil, fmt.Errorf("demo: broker logins: %w", err)
	}
	return logins, nil
}

// demoBands is the scan plan every demo sensor runs at rateHz. As after a
// site survey, it dwells on the uplink carriers of the operators serving the
// area (paired with the downlinks the survey heard) rather than sweeping
// whole bands: two shared cores render and analyse the IQ of every sensor,
// and a short plan keeps each band's revisit near the fusion association
// window. Drones get the busy part of the 2.4 GHz ISM band and the 5.8 GHz
// video channel; the authorised devices' channels are watched too, so the
// registry has work.
//
// Each tuning dwells 20 ms where the plan allows it. Below 2.5 Msps a
// tuning covers less than 2 MHz, so a 6 MHz band takes 4 tunings and a
// 24 MHz sweep up to 15 (54 in all at 2 Msps), and the scheduler's bound
// (twice the dwells of a cycle plus the longest within every band's
// max_revisit, scan.New) would exceed the 2 s bands': the dwell then
// shrinks to fit, 18 ms at 2 Msps.
func demoBands(rateHz float64) []config.Band {
	const ms = time.Millisecond
	band := func(name string, centerHz, spanHz float64, prio int, kind string, revisit time.Duration) config.Band {
		return config.Band{Name: name, LowHz: centerHz - spanHz/2, HighHz: centerHz + spanHz/2, Priority: prio,
			Dwell: 20 * ms, Kind: kind, MaxRevisit: revisit}
	}
	bands := []config.Band{
		band("gsm900-ul", 902e6, 6e6, 3, config.KindDwell, 2*time.Second),
		band("lte-b20-ul", 847e6, 6e6, 3, config.KindDwell, 2*time.Second),
		band("lte-b3-ul", 1747.5e6, 6e6, 3, config.KindDwell, 2*time.Second),
		band("nr-n78", 3550e6, 6e6, 3, config.KindDwell, 2*time.Second),
		band("ism2400", 2436e6, 24e6, 2, config.KindSweep, 3*time.Second),
		band("srd5800", 5760e6, 6e6, 2, config.KindDwell, 3*time.Second),
		band("tetra", 391.25e6, 6e6, 0, config.KindSweep, 6*time.Second),
		band("wifi5", 5190e6, 24e6, 0, config.KindSweep, 6*time.Second),
	}
	tunings, revisit := 0, bands[0].MaxRevisit
	for _, b := range bands {
		tunings += int(math.Ceil((b.HighHz - b.LowHz) / (scan.UsableFraction * rateHz)))
		revisit = min(revisit, b.MaxRevisit)
	}
	// all dwells equal: 2 × (tunings + 1) × dwell ≤ revisit
	if fit := (revisit / time.Duration(2*(tunings+1))).Truncate(ms); fit < bands[0].Dwell {
		for i := range bands {
			bands[i].Dwell = fit
		}
	}
	return bands
}

// demoSensorConfig is the configuration of the demo's sensor id.
func demoSensorConfig(o demoOptions, id, siteID, brokerURL, dir string) config.Config {
	cfg := config.Default()
	cfg.Site, cfg.Sensor = siteID, id
	cfg.MQTT.URL, cfg.MQTT.Username = brokerURL, id // its password: agent.Deps
	cfg.Outbox.Dir = filepath.Join(dir, "outbox", id)
	cfg.Snippets.Dir = filepath.Join(dir, "snippets")
	// 10 ms (800 kB at 10 Msps) and 32 MiB a sensor: nine sensors keep
	// under 300 MB of evidence on the demo's disk
	cfg.Snippets.Dur, cfg.Snippets.MaxBytes = 10*time.Millisecond, 32<<20
	cfg.Snippets.Upload = false // the dashboard reads this folder itself
	cfg.Source = config.Source{Kind: config.SourceSim, SampleRateHz: o.rateHz, Seed: int64(o.seed)}
	cfg.Bands = demoBands(o.rateHz)
	cfg.Gains = nil
	// A node whose receiver gives no samples for tamper.stall (5 s) is
	// stalled, and fusion raises a sensor-health alert. The demo's nine
	// simulated receivers share two cores with everything else: a compile
	// beside the demo held five of them 8 s, and five alerts fired for
	// healthy sensors. A minute still shows a demo sensor that truly stops.
	cfg.Tamper.StallDur = time.Minute
	return cfg
}

// newDemoAgent builds one sensor agent over the simulator.
func newDemoAgent(o demoOptions, w *sim.Wing, id, siteID, brokerURL, password, dir string, clock *simClock,
	recorded *atomic.Int64, log *slog.Logger) (*agent.Agent, *demoSource, error) {
	// The simulator's automatic gain puts the thermal floor near one LSB of
	// the 8-bit ADC. Less gain (tried: 12 dB) leaves the floor below the
	// quantiser, which the detector reads as a collapsed floor and a storm of
	// false detections; more clips handsets a few metres away. The agent's
	// AGC lowers the gain of a tuning that clips (demoSource.SetGainDB).
	s, err := w.NewSource(id, sim.SourceOptions{SampleRateHz: o.rateHz, Start: clock.start, GainDB: sim.AutoGainDB(o.rateHz) - demoGainBackoffDB,
		Seed: o.seed + uint64(len(id))*7919, BlockSamples: demoBlockSamples})
	if err != nil {
		return nil, nil, fmt.Errorf("demo: sensor %s: %w", id, err)
	}
	src := &demoSource{src: s, clock: clock, rateHz: o.rateHz, log: log}
	if o.record != "" {
		src.record = filepath.Join(o.record, id)
		src.recordBudget = recorded
		src.recordMax = o.recordMaxMB << 20
		if err := os.MkdirAll(o.record, 0o750); err != nil {
			return nil, nil, fmt.Errorf("demo: --record: %w", err)
		}
	}
	cfg := demoSensorConfig(o, id, siteID, brokerURL, dir)
	if err := cfg.Validate(); err != nil {
		return nil, nil, fmt.Errorf("demo: sensor %s config: %w", id, err)
	}
	a, err := agent.New(cfg, agent.Deps{
		Source:   src,
		Pipeline: demoPipeline(),
		Password: password,
		Clock:    clock,
		Logger:   log.With("svc", "sensor", "sensor", id),
		Registry: prometheus.NewRegistry(),
		Version:  version,
		// Nine sensors rendering and analysing their IQ on two shared
		// cores revisit their 2 s bands in 2.1-6.3 s, skipping ahead
		// when they fall behind (demoSource): a node's health would
		// rightly say degraded, but here it would hatch every zone
		// "unknown" and fill the console. The demo reports the share of
		// simulated time its sensors analysed instead.
		RevisitSlack: -1,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("demo: sensor %s: %w", id, err)
	}
	return a, src, nil
}

// demoPipelineConfig is the DSP pipeline configuration of a demo sensor.
func demoPipelineConfig() pipeline.Config {
	return pipeline.Config{Calibrator: simCalibrator{}, Classifier: pipeline.DefaultClassifier(), LabelReuse: pipeline.DefaultLabelReuse}
}

// demoPipeline returns the DSP pipeline of a demo sensor.
func demoPipeline() *pipeline.Pipeline { return pipeline.New(demoPipelineConfig()) }

// demoBinHz returns the width of one frequency bin of the demo sensors'
// detector at rateHz: rateHz over the NFFT it picks (the power of two
// nearest rateHz/75 kHz, 64 to 1024: 78.125 kHz at 10 and 20 Msps,
// 31.25 kHz at 2 Msps).
func demoBinHz(rateHz float64) (float64, error) {
	c := demoPipelineConfig().Detector
	c.SampleRateHz = rateHz
	d, err := dsp.NewDetector(c)
	if err != nil {
		return 0, fmt.Errorf("demo: detector at %g samples/s: %w", rateHz, err)
	}
	return rateHz / float64(d.Config().NFFT), nil
}

// demoUsersOptions are the options of the demo's dashboard accounts: the
// simulated clock, which stamps the admin's creation and its user.create
// audit row among the other simulated times (they carried the wall clock,
// months away), with the session lifetime and the failed-login window
// kept in wall-clock time (their defaults times speed), as demoAlerts
// keeps the clock rule's tolerance: at --speed 1000 a 12 h session would
// end after 43 s.
func demoUsersOptions(now func() time.Time, speed float64) dashboard.UsersOptions {
	k := max(1, speed)
	return dashboard.UsersOptions{Now: now, SessionTTL: time.Duration(float64(12*time.Hour) * k), FailWindow: time.Duration(float64(15*time.Minute) * k)}
}

// demoLoginNote is the banner's login: the admin password EnsureAdmin
// made, or, when the state folder already has an admin (a second demo on
// the same --dir), the new password --new-admin-password gave it, or
// else that its password is unchanged and how to be given a new one,
// since the old one is kept nowhere to print.
func demoLoginNote(password string, created bool) string {
	switch {
	case created:
		return "log in as admin / " + password + " (the demo's own account: no password change asked)"
	case password != "":
		return "log in as admin / " + password + " (a new password for the folder's admin, --new-admin-password: change asked at first login)"
	}
	return "log in as admin: existing account; password unchanged — run the demo with --new-admin-password to be given a new one"
}

// demoNewAdminPassword gives the state folder's admin a new password
// (--new-admin-password) on the demo's clock, audited as `rfwarden users
// reset-password` audits it, and returns it. `rfwarden users` would stamp
// the reset and its audit row with the wall clock, months from the
// scenario's times (demoAccountsOnClock moves such a reset to before the
// demo's start).
func demoNewAdminPassword(ctx context.Context, users *dashboard.Users, db *store.SQLite, now time.Time) (string, error) {
	pw, err := users.ResetPassword(ctx, "admin")
	if err != nil {
		return "", fmt.Errorf("demo: --new-admin-password: %w", err)
	}
	if err := db.Audit(ctx, store.AuditEntry{TimeNS: now.UnixNano(), User: "demo", Action: "user.password.reset", Object: "user/admin"}); err != nil {
		return "", fmt.Errorf("demo: --new-admin-password: audit: %w", err)
	}
	return pw, nil
}

// demoContinueNote is what the banner adds to the simulated start when the
// state folder dir held data until stored: that the clock continues after
// it (demoStart). Empty for a fresh folder.
func demoContinueNote(stored time.Time, dir string) string {
	if stored.IsZero() {
		return ""
	}
	return ", continuing after " + stored.UTC().Format(time.RFC3339Nano) + " stored in " + dir
}

// demoTrackPrefix names the demo's fusion run in its track IDs
// (fusion.Deps.TrackPrefix) by the wall clock at start, base-36 Unix
// milliseconds as fusion's own default. That default reads fusion's clock,
// here the simulated one, which starts at the same time in every run of a
// seed: a second demo on the same --dir reused the first's track IDs, and
// the dashboard drew two emitters as one.
func demoTrackPrefix(wall time.Time) string { return strconv.FormatInt(wall.UnixMilli(), 36) }

// simCalibrator converts dBFS to dBm at the simulated antenna.
type simCalibrator struct{}

func (simCalibrator) DBm(dBFS, _, gainDB float64) float64 {
	return dBFS + sim.FullScaleDBm(gainDB)
}

var errUnplugged = errors.New("sensor unplugged (simulated)")

// demoSource keeps a simulated sensor on the shared clock. A sensor that
// renders faster than the clock waits; one that falls behind (two shared
// cores, many sensors) skips ahead at its next retune, as a scanning receiver
// misses what it was not tuned to. It can also record what it hears.
type demoSource struct {
	src       *sim.Source
	clock     *simClock
	rateHz    float64
	centerHz  float64
	unplugAt  time.Time
	unplug    func()
	unplugged atomic.Bool

	record       string // base path, "" for none
	recordBudget *atomic.Int64
	recordMax    int64
	w            *sigmf.Writer
	recordGainDB float64 // of the capture being recorded
	recordDone   bool
	// recordCapped is shared by the sensors of one demo: set by the first
	// whose recording stopped at --record-max-mb, which says so (nil: each
	// says so for itself).
	recordCapped *atomic.Bool
	// story, when not nil, prints a line of the demo's story (stdout).
	story func(format string, args ...any)
	log   *slog.Logger
}

// demoGainBackoffDB is how far below the simulator's automatic gain the demo
// nodes run (see newDemoAgent).
const demoGainBackoffDB = 0

// demoHandsetHeightM is the height above its floor the demo's locator
// assumes for an emitter: a phone in a hand or on a bunk.
const demoHandsetHeightM = 1

// demoClockJitter is the sensor-clock rule's tolerance in the demo, in
// wall-clock time: how much later one simulated sensor's health reports
// may reach fusion than the others' (demoAlerts).
const demoClockJitter = time.Second

// demoAlerts returns the default rules with the sensor-clock rule's
// tolerance demoClockJitter of wall-clock time. The demo's sensors share
// one simulated clock, so the offsets fusion measures are only how late
// their health reports get through the demo's busy process (nine DSP
// pipelines, the broker, fusion and the dashboard on two cores), and
// --speed multiplies that in simulated time: at 4x, 60-110 ms late read as
// 250-430 ms. In real time reports reached a subscriber 76-808 ms after
// they were stamped, the sensors' least delays 300 ms apart, and the rule
// went pending on healthy sensors for the default 250 ms ("sensor s8 clock
// 311ms behind the other sensors'", resolved at the next report).
//
// Its drone-drop rule's radius_m is demoDropRadiusM: the demo's drone
// drops over the wall.
func demoAlerts(speed float64) *alert.Config {
	c := alert.DefaultConfig()
	for i, r := range c.Rules {
		switch r.Kind {
		case alert.KindSensorClock:
			c.Rules[i].MaxOffset = alert.Duration(float64(max(time.Duration(r.MaxOffset), demoClockJitter)) * max(1, speed))
		case alert.KindDroneDrop:
			c.Rules[i].RadiusM = demoDropRadiusM
		}
	}
	return &c
}

// demoDropRadiusM is the radius_m of the demo's drone-drop rule, in
// metres from where fusion places the drone to a phone's room. The demo's
// drone hovers over the perimeter strip at (24, -21), 15 m up, and drops
// over the wall: its package lands in the yard and is carried into the
// wing. Only the yard sensor s5 hears it, and a fix of one sensor is
// placed at its top room's centre: the strip's, (24, -25). From there the
// yard-side cells are 25 m off and L2-N07, where the demo's GSM handset
// comes on three minutes after the drone, 33 m. The default radius,
// alert.DefaultDropRadiusM (10 m), takes in the cells at a window a drone
// hovers by, and from the perimeter strip no cell: until 2026-12-06 the
// banner's "one drone-drop incident" never came, the GSM handset opening
// an illicit_phone case of its own; 30 m, measured from the hover point
// fusion never sees, still left it out (TestDemoDropJoinsPhone, "heard by
// s5 alone"). 35 m takes in every yard-side cell and the middle of the
// north sides of both landings (N04 to N09), as a site whose drones drop
// over the wall sets its radius to reach its cells from where its fusion
// places them (docs/alerts.md, Incidents).
const demoDropRadiusM = 35.0

// demoModel is the path-loss model of the demo's fusion: the simulated
// wing's own constants, as a commissioned site's fusion.yaml holds them
// (sensor_height_m from the installation, emitter_height_m a handset's,
// the exponent, shadowing and floor loss from `rfwarden calibrate` and a
// walk across floors; docs/localisation.md). With the model's defaults
// (antennas at floor level, 15 dB floors) the LTE B20 handset in L1-S03 was
// placed in L1-N03, across the landing.
func demoModel() locate.Model {
	return locate.Model{Exponent: sim.PathLossExponent, ShadowingDB: sim.ShadowSigmaDB, FloorLossDB: sim.FloorLossDB,
		SensorHeightM: sim.SensorHeightM, EmitterHeightM: demoHandsetHeightM}
}

// demoBlockSamples is the length of a demo sensor's blocks (the
// simulator's default).
const demoBlockSamples = 1 << 16

// demoBlockDur is how long a block of demoBlockSamples lasts at rateHz.
func demoBlockDur(rateHz float64) time.Duration {
	return time.Duration(float64(demoBlockSamples) / rateHz * float64(time.Second))
}

// maxLag is how far a sensor may fall behind the shared clock within one
// tuning before it retunes in place to catch up.
const maxLag = 500 * time.Millisecond

func (d *demoSource) Tune(centerHz, sampleRateHz float64) error {
	d.src.SkipTo(d.clock.Now())
	d.centerHz, d.rateHz = centerHz, sampleRateHz
	return d.src.Tune(centerHz, sampleRateHz)
}

func (d *demoSource) Next(ctx context.Context) (sensor.Block, error) {
	// the clock is held at its start until the demo is up
	if err := d.clock.waitRun(ctx); err != nil {
		return sensor.Block{}, err
	}
	if end := d.clock.end; !end.IsZero() && d.src.Time().Add(demoBlockDur(d.rateHz)).After(end) {
		// The clock stops at the end of --duration: a block reaching past
		// it is not heard, so nothing the sensor reports is later.
		<-ctx.Done()
		return sensor.Block{}, ctx.Err()
	}
	now := d.clock.Now()
	if !d.unplugAt.IsZero() && !now.Before(d.unplugAt) {
		d.unplugged.Store(true)
		d.unplug() // the agent stops, as a node does when its power goes
		return sensor.Block{}, errUnplugged
	}
	if ahead := d.src.Time().Sub(now); ahead > 0 {
		t := time.NewTimer(time.Duration(float64(ahead) / d.clock.speed))
		select {
		case <-ctx.Done():
			t.Stop()
			return sensor.Block{}, ctx.Err()
		case <-t.C:
		}
	} else if -ahead > maxLag && d.centerHz != 0 {
		gain := d.src.GainDB() // the AGC's, which a tune resets
		if err := d.Tune(d.centerHz, d.rateHz); err != nil {
			return sensor.Block{}, err
		}
		if err := d.src.SetGainDB(gain); err != nil {
			return sensor.Block{}, err
		}
	}
	b, err := d.src.Next(ctx)
	if err == nil && d.record != "" && !d.recordDone {
		d.recordBlock(b)
	}
	return b, err
}

// SetGainDB lets the agent's AGC change the simulated receiver's gain (a
// handset a few metres from a node clips the 8-bit ADC at the automatic
// gain).
func (d *demoSource) SetGainDB(totalDB float64) error { return d.src.SetGainDB(totalDB) }

func (d *demoSource) Close() error { return d.src.Close() }

// recordBlock appends b to the sensor's SigMF recording (ci8, as a HackRF
// delivers), one capture segment per tuning and per receive gain within a
// tuning (replay.GainKey on each), until the shared budget is spent.
func (d *demoSource) recordBlock(b sensor.Block) {
	n := int64(2 * len(b.Samples))
	if d.recordBudget.Add(n) > d.recordMax {
		d.recordDone = true
		d.noteRecordCap()
		return
	}
	var err error
	if d.w == nil {
		d.w, err = sigmf.NewWriter(d.record, "ci8", b.SampleRateHz, b.CenterHz, b.Time)
		if err == nil {
			d.w.SetGlobal("rfwarden demo: what sensor "+filepath.Base(d.record)+" heard (simulated wing)", "rfwarden demo", "sim", "CC0-1.0")
			d.w.SetCaptureExtra(replay.GainKey, b.GainDB)
		}
	} else if b.Retuned || b.GainDB != d.recordGainDB {
		// a capture per tuning, and per gain within one: the AGC changes a
		// tuning's gain, and each capture says its own
		d.w.Retune(b.CenterHz, b.Time)
		d.w.SetCaptureExtra(replay.GainKey, b.GainDB)
	}
	d.recordGainDB = b.GainDB
	if err == nil {
		err = d.w.Write(b.Samples)
	}
	if err != nil {
		d.recordDone = true
		d.log.Warn("demo: recording stopped", "path", d.record, "err", err)
	}
}

// noteRecordCap says, once for the sensors sharing the budget, that the
// recordings stopped at --record-max-mb: a warning on the log and a line
// of the story. Until 2026-12-05 they stopped without a word, and a scan
// of a recording covering the first minutes of a long demo did not say
// why.
func (d *demoSource) noteRecordCap() {
	if d.recordCapped != nil && d.recordCapped.Swap(true) {
		return
	}
	dir := filepath.Dir(d.record)
	d.log.Warn("demo: recording stopped: the recordings reached --record-max-mb", "max_mib", d.recordMax>>20, "dir", dir)
	if d.story != nil {
		d.story("recording stopped: the sensors' recordings in %s reached --record-max-mb %d MiB; the demo goes on unrecorded", dir, d.recordMax>>20)
	}
}

func (d *demoSource) closeRecording() {
	if d.w != nil {
		if err := d.w.Close(); err != nil {
			d.log.Warn("demo: close recording", "path", d.record, "err", err)
		}
	}
}

// demoResolutionBins is how many of the sensors' detector bins (demoBinHz)
// a demo registry entry allows either side of its emitter's channel. The
// detector reports an emission's 99% occupied bandwidth measured on a
// Hann-windowed FFT of rate/NFFT bins, so a carrier narrower than a bin,
// as the staff radios' 16 kHz TETRA carriers, reads about three bins wide
// (229 kHz at the demo's 10 Msps, 92-106 kHz at 2 Msps), its centre off by
// up to half a bin (35 kHz seen in a demo). An entry spanning the channel
// alone (390.0125 MHz ± 16 kHz) matched none of them: the registry wants
// the reported band, centre ± half the reported bandwidth less a tenth of
// it, inside the entry (registry.Signature). That takes 1.2 bins plus the
// centre's error either side; 2.5 also takes a carrier read five bins wide.
const demoResolutionBins = 2.5

// demoSignature is the registry signature of the demo's authorised emitter
// em as the demo's sensors report it, binHz the width of their detector's
// frequency bins: its channel, ± its bandwidth, and at least
// demoResolutionBins bins beyond the channel's edges.
func demoSignature(em sim.Emitter, binHz float64) registry.Signature {
	half := max(em.BandwidthHz, em.BandwidthHz/2+demoResolutionBins*binHz)
	return registry.Signature{Class: em.Class, FreqMinHz: em.CenterHz - half, FreqMaxHz: em.CenterHz + half}
}

// authoriseDemoDevices registers the wing's authorised emitters (in-cell
// tablets in their hours, Wi-Fi access points, staff radios), as a site's
// security team would, so that they never alert. rateHz is the sensors'
// sample rate, which sets how precisely they measure a narrow carrier
// (demoSignature). An emitter the registry has an entry of its name for
// already (a demo started again on the same --dir) is left to that entry,
// expired or edited as it may be since: every restart used to add the six
// entries again, and the copy of an access point's entry that the
// security manager had expired authorised it again. One the registry had
// and an admin deleted (registry.DeletedNames) is not added again: until
// 2026-12-07 a restart brought it back, audited "demo registry.add".
func authoriseDemoDevices(ctx context.Context, reg *registry.Registry, w *sim.Wing, from time.Time, rateHz float64) error {
	binHz, err := demoBinHz(rateHz)
	if err != nil {
		return err
	}
	stored, err := reg.List(ctx)
	if err != nil {
		return fmt.Errorf("demo: registry: %w", err)
	}
	deleted, err := reg.DeletedNames(ctx)
	if err != nil {
		return fmt.Errorf("demo: registry: %w", err)
	}
	for _, em := range w.Emitters() {
		if !em.Authorised || deleted[em.ID] || slices.ContainsFunc(stored, func(e registry.Entry) bool { return e.Name == em.ID }) {
			continue
		}
		kind, ok := map[string]string{sim.KindTablet: "in_cell_tablet", sim.KindAccessPoint: "wifi_ap", sim.KindStaffRadio: "staff_radio"}[em.Kind]
		if !ok {
			return fmt.Errorf("demo: authorised emitter %s of kind %q has no registry kind", em.ID, em.Kind)
		}
		rooms := []string{em.Room}
		if em.Kind == sim.KindStaffRadio {
			// Anywhere on site: officers carry their radios through the
			// wing, and a radio's detections are mostly heard by too few
			// sensors to be located; an entry limited to a room
			// authorises no detection that is not located in it.
			rooms = nil
		}
		e := registry.Entry{Name: em.ID, Kind: kind, Rooms: rooms, ValidFrom: from.Add(-24 * time.Hour),
			Signature: demoSignature(em, binHz), Notes: "demo: authorised " + em.Kind}
		if sc := em.Schedule; !sc.Always && sc.DailyOffH > sc.DailyOnH {
			for d := time.Sunday; d <= time.Saturday; d++ {
				e.Schedule = append(e.Schedule, registry.Window{Weekday: d, StartMin: 60 * sc.DailyOnH, EndMin: 60 * sc.DailyOffH})
			}
		}
		if _, err := reg.Add(ctx, e, "demo"); err != nil {
			return fmt.Errorf("demo: authorise %s: %w", em.ID, err)
		}
	}
	return nil
}

// demoStateDeps are the demo dashboard's Deps on its state: the demo's
// one SQLite store (time series, alerts, audit log, maintenance windows)
// and fusion's engine (zones, acknowledgements); the clock is the
// simulated one. The dashboard acknowledges as a deployment's does: in
// the store, with its alert.ack row, in the transaction of the change
// that makes it (an incident's closure, a maintenance window), all or
// nothing; and then tells the engine (demoAckAnnouncer), which takes the
// acknowledgement from the store and publishes the alert with it. Until
// 2026-12-06 the demo acknowledged through the engine, which a store
// transaction cannot hold, one alert at a time after the change.
func demoStateDeps(db *store.SQLite, eng *fusion.Engine, now func() time.Time) dashboard.Deps {
	return dashboard.Deps{TimeSeries: db, Alerts: db, Auditor: db, Maintenance: db, AckAnnouncer: demoAckAnnouncer{eng}, Zones: zoneStatus{eng.Alerts()}, Now: now}
}

// demoAckAnnouncer hands the dashboard's announcement of an
// acknowledgement to fusion's engine in the process, as fusion takes one
// from the broker (fusion.Engine.Handle on event.AckTopic): at once, so
// the engine's alert carries it when the request is answered.
type demoAckAnnouncer struct {
	eng *fusion.Engine
}

func (a demoAckAnnouncer) AnnounceAck(ctx context.Context, n event.Ack) error {
	b, err := event.Encode(n)
	if err != nil {
		return fmt.Errorf("announce acknowledgement of %s: %w", n.Alert, err)
	}
	return a.eng.Handle(ctx, fusion.Message{Topic: event.AckTopic(n.Site), Payload: b})
}

// zoneStatus maps the alert engine's zone states onto the dashboard's: a
// zone is "unknown" while its coverage is degraded, else "ok".
type zoneStatus struct {
	z interface{ ZoneStatus(string) string }
}

func (z zoneStatus) ZoneStatus(zone string) string {
	if z.z.ZoneStatus(zone) == "unknown" {
		return "unknown"
	}
	return "ok"
}

// demoKeptNote says, as the demo stops, what it leaves: the state folder
// kept (--dir) or removed (a temporary one), and the recordings (--record).
func demoKeptNote(o demoOptions, dir string) string {
	note := "state kept in " + dir + " (start again with --dir " + dir + " to continue)"
	if o.dir == "" {
		note = "its state, in the temporary folder " + dir + ", is removed (--dir DIR keeps it)"
	}
	if o.record != "" {
		note += "; what the sensors heard is in " + filepath.Join(o.record, "*"+sigmf.MetaExt) + " (rfwarden scan)"
	}
	return note
}

// demoStory prints alert changes and progress on stdout, stamped with the
// simulated time.
type demoStory struct {
	mu    sync.Mutex
	out   io.Writer
	clock func() time.Time
	shown map[string]storyLine // what was last printed of each open alert, by ID
}

// storyLine is what the story printed of an alert: a publication that
// changes none of it prints nothing.
type storyLine struct {
	state, room, summary string
	escalations          int
	ackNS                int64
}

func (s *demoStory) printf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.out, "[%s] %s\n", s.clock().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// note records line as what is printed of a and returns what was printed
// of it before (known false for a new one). A resolved alert is forgotten.
func (s *demoStory) note(a event.Alert, line storyLine) (was storyLine, known bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	was, known = s.shown[a.ID]
	if a.State == event.AlertResolved {
		delete(s.shown, a.ID)
		return was, known
	}
	if s.shown == nil {
		s.shown = map[string]storyLine{}
	}
	s.shown[a.ID] = line
	return was, known
}

// PublishAlert prints what changed of a: a new state, a reminder, an
// acknowledgement, or a move of an open alert to another room (fusion
// follows a track, and a drone's visit, from room to room: the same
// alert, not a second one). A publication that changed nothing printed
// (a drone alert's room announced back where it was last printed) prints
// nothing: a long demo printed "alert firing" for one drone every 10 s.
func (s *demoStory) PublishAlert(_ context.Context, a event.Alert) error {
	now := storyLine{state: a.State, room: a.Room, summary: a.Summary, escalations: a.Escalations, ackNS: a.AckNS}
	was, known := s.note(a, now)
	switch {
	case known && was == now:
		return nil
	case known && was.room != a.Room && was.state == a.State && a.State != event.AlertResolved:
		from := "was in " + was.room
		if was.room == "" {
			from = "position was unknown" // fusion named no room until now
		}
		s.printf("alert %-8s %-8s %s (%s)", "moved", a.Severity, a.Summary, from)
		return nil
	}
	state := a.State
	switch {
	case a.Escalations > 0 && a.State == event.AlertFiring && a.AckNS == 0:
		state = "unacked" // fusion's reminder: firing, nobody has acknowledged it
	case a.AckNS != 0 && a.AckNS >= a.UpdatedNS:
		// published again because someone acknowledged it (the demo has one
		// clock, so the acknowledgement is the latest thing that happened)
		s.printf("alert %-8s %-8s %s (by %s)", "acked", a.Severity, a.Summary, a.AckBy)
		return nil
	}
	s.printf("alert %-8s %-8s %s", state, a.Severity, a.Summary)
	return nil
}

// demoStoredTimes are the columns of a demo's database that hold times
// of what its services write on the simulated clock, by table: fusion's
// data and alerts, incidents, maintenance and search outcomes. Not the
// audit log nor the dashboard's accounts and sessions: `rfwarden users`,
// `rfwarden restore` and `rfwarden erase` stamp theirs with the wall
// clock, and a folder restored (or touched by `rfwarden users`) months
// after its data made the demo continue after the wall clock, its data
// then deleted as older than history_days and its sensors' outboxes
// refused as hours behind (demoAccountsOnClock keeps a wall-clock
// revocation from refusing the demo's logins).
var demoStoredTimes = []struct{ table, columns string }{
	{"detection", "time_ns"},
	{"location", "time_ns"},
	{"health", "time_ns"},
	{"spectrum", "time_ns"},
	{"alert", "updated_ns, ack_ns"},
	{"incident", "updated_ns"},
	{"sensor_maintenance", "from_ns"},
	{"phone_repeat", "at_ns"},
	{"ack_held", "ack_ns"},
	{"intake_journal", "received_ns"},
	{"dashboard_search_outcomes", "time_ns"},
}

// demoWallTimes are the tables of a demo's database whose times are left
// out of demoStoredTimes: console tools stamp their rows with the wall
// clock (the audit rows of `rfwarden restore`, `users` and `erase`; the
// accounts `rfwarden users` makes or resets; a plain dashboard's logins).
var demoWallTimes = []string{"audit", "dashboard_users", "dashboard_sessions"}

// demoAccountsOnClock lets the demo's logins through after an account's
// revocation stamped with the wall clock (`rfwarden users reset-password`,
// months after the demo's data): the demo's clock starts at start, before
// it, and a session issued before revoked_ns is refused. The sessions that
// revocation refused are deleted, and a revoked_ns at or after start is
// moved to just before it.
func demoAccountsOnClock(ctx context.Context, db *sql.DB, start time.Time) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("demo: accounts revoked after the clock's start: %w", err)
	}
	defer tx.Rollback()
	before := start.UnixNano() - 1
	if _, err := tx.ExecContext(ctx, `DELETE FROM dashboard_sessions WHERE issued_ns <=
		(SELECT revoked_ns FROM dashboard_users AS u WHERE u.name = dashboard_sessions.user AND u.revoked_ns > ?)`, before); err != nil {
		return fmt.Errorf("demo: delete the sessions revoked after the clock's start: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE dashboard_users SET revoked_ns = ? WHERE revoked_ns > ?`, before, before); err != nil {
		return fmt.Errorf("demo: move the revocations after the clock's start before it: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("demo: accounts revoked after the clock's start: %w", err)
	}
	return nil
}

// demoStoredUntil returns the newest time stored in a demo's state
// folder dir: in its database (demoStoredTimes), or the clock at its last
// stop (demoClockFile); zero when it holds none.
func demoStoredUntil(ctx context.Context, db *sql.DB, dir string) (time.Time, error) {
	saved, err := savedDemoClock(dir)
	if err != nil {
		return time.Time{}, err
	}
	var newest int64
	if !saved.IsZero() {
		newest = saved.UnixNano()
	}
	for _, t := range demoStoredTimes {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, t.table).Scan(&n); err != nil {
			return time.Time{}, fmt.Errorf("demo: stored data: %w", err)
		}
		if n == 0 {
			continue // a table the first run had not made yet
		}
		for _, col := range strings.Split(t.columns, ", ") {
			var has int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?`, t.table, col).Scan(&has); err != nil {
				return time.Time{}, fmt.Errorf("demo: stored data: %s: %w", t.table, err)
			}
			if has == 0 {
				continue // a column an older schema lacks (the dashboard adds it when it opens the table)
			}
			var ns sql.NullInt64
			if err := db.QueryRowContext(ctx, `SELECT MAX(`+col+`) FROM `+t.table).Scan(&ns); err != nil {
				return time.Time{}, fmt.Errorf("demo: stored data: newest %s.%s: %w", t.table, col, err)
			}
			newest = max(newest, ns.Int64)
		}
	}
	if newest <= 0 {
		return time.Time{}, nil
	}
	return time.Unix(0, newest).UTC(), nil
}

// demoClockFile, in the state folder, holds the demo's simulated time when
// it last stopped (RFC 3339): the sensors' outboxes there may hold
// detections later than anything in the database, which they deliver at
// the next start.
const demoClockFile = "demo-clock"

// demoClockEvery is the wall-clock interval of the clock's saves while
// the demo runs (demoClockSaver), besides the one at its stop.
const demoClockEvery = 10 * time.Second

// saveDemoClock writes t to dir's demoClockFile, replacing it whole
// (atomicfile): a save that fails (a full disk) leaves the time saved
// before. Until 2026-12-07 it was rewritten in place, and a full disk
// left it empty, which the next start refused.
func saveDemoClock(dir string, t time.Time) error {
	p := filepath.Join(dir, demoClockFile)
	if err := atomicfile.Write(p, []byte(t.UTC().Format(time.RFC3339Nano)+"\n"), 0o640); err != nil {
		return fmt.Errorf("demo: save the clock: %w", err)
	}
	return nil
}

// demoClockSaver saves the demo's clock (saveDemoClock) as it runs and at
// its stop. A save that fails does not stop the demo: it is logged as a
// warning once, at the first failure of a run of them (not at every
// save), the demo's /healthz says so (Problem, through demoStateDisk)
// until a save succeeds, which is logged once. A save at the stop that
// fails still ends the demo with its error. Until 2026-12-07 the clock
// was saved at the stop only. Safe for concurrent use.
type demoClockSaver struct {
	dir string
	log *slog.Logger

	mu      sync.Mutex
	err     error     // the latest save's error; nil once one succeeds
	since   time.Time // the first failure of the run
	failed  int       // failures in the run
	savedAt time.Time // the latest save that succeeded, wall clock
}

// save saves t, logging the first failure of a run and the success that
// ends it, and returns the save's error.
func (c *demoClockSaver) save(t time.Time) error {
	err := saveDemoClock(c.dir, t)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err != nil && c.err == nil:
		c.since = time.Now()
		c.log.Warn("demo: cannot save the simulated clock; the demo goes on, tries again every save, and says so on /healthz until it can (a demo stopped meanwhile continues after its latest saved clock or its database's data)",
			"path", filepath.Join(c.dir, demoClockFile), "err", err)
	case err == nil && c.err != nil:
		// at the warning's level, the demo's least without --verbose:
		// whoever saw the warning sees it end
		c.log.Warn("demo: the simulated clock is saved again", "path", filepath.Join(c.dir, demoClockFile), "failed_saves", c.failed, "failing_for", time.Since(c.since).Round(time.Second))
		c.failed = 0
	}
	if err != nil {
		c.failed++
	} else {
		c.savedAt = time.Now()
	}
	c.err = err
	return err
}

// Problem says why the latest save failed, and since when; "" once a
// save succeeds.
func (c *demoClockSaver) Problem() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		return ""
	}
	last := "none saved in this run"
	if !c.savedAt.IsZero() {
		last = "the latest saved " + time.Since(c.savedAt).Round(time.Second).String() + " ago"
	}
	return fmt.Sprintf("the demo cannot save its simulated clock (%d failed saves; %s): %v; it goes on, and saves it again once it can", c.failed, last, c.err)
}

// demoStateDisk is the demo's state disk for its dashboard's /healthz:
// the free space of its folder's disk (dashboardDisks), and whether the
// clock can be saved there (demoClockSaver), each reason on its own.
type demoStateDisk struct {
	free  dashboard.DiskSpace
	clock *demoClockSaver
}

// Low reports the free space's reason and the clock's, "; " between.
func (d demoStateDisk) Low() (string, bool) {
	var why []string
	if r, low := d.free.Low(); low {
		why = append(why, r)
	}
	if r := d.clock.Problem(); r != "" {
		why = append(why, r)
	}
	return strings.Join(why, "; "), len(why) > 0
}

// savedDemoClock reads dir's demoClockFile, zero when there is none.
func savedDemoClock(dir string) (time.Time, error) {
	p := filepath.Join(dir, demoClockFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("demo: %w", err)
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
	if err != nil {
		return time.Time{}, fmt.Errorf("demo: %s: the simulated time of the last stop: %w (remove the file to continue after the database's data only)", p, err)
	}
	if t.Year() < 1970 || t.Year() >= 2200 {
		return time.Time{}, fmt.Errorf("demo: %s: the simulated time of the last stop, %s, is outside 1970-2199 (remove the file to continue after the database's data only)", p, t.UTC().Format(time.RFC3339))
	}
	return t.UTC(), nil
}
