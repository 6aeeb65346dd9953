package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/rfwarden/rfwarden/dsp/bandplan"
	"github.com/rfwarden/rfwarden/firmware/hackrf"
	"github.com/rfwarden/rfwarden/internal/english"
	"github.com/rfwarden/rfwarden/internal/redact"
	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/agent"
	"github.com/rfwarden/rfwarden/sensor/config"
	"github.com/rfwarden/rfwarden/sensor/hackrfsrc"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/publish"
	"github.com/rfwarden/rfwarden/sensor/replay"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
	"github.com/rfwarden/rfwarden/sensor/sim"
)

const sensorUsage = `usage: rfwarden sensor --config node.yaml [--check] [-v]

Run one sensor node: scan the config's bands with its receiver (a HackRF
through libhackrf or hackrf_transfer, a SigMF recording, or the
simulator), detect and classify emissions, and publish detections, health,
status and spectrum to the MQTT broker (a durable outbox holds detections
while it is away). --check validates the config and its source: a
recording's metadata and data file; for hackrf only that this binary has
libhackrf, for hackrf_transfer only that the tool is on PATH (neither
opens the board: rfwarden node check does); that the MQTT files it names
can be read,
its outbox folder written (as the user it runs as), notes an http_addr
it cannot listen on now, the drone bands its scan plan leaves out, and a
recording tuned outside its bands or too old for fusion, and exits. The config is annotated in
deploy/config/sensor.yaml and documented in docs/deploy.md.

flags:
`

// cmdSensor runs one sensor node: rfwarden sensor --config node.yaml.
func cmdSensor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sensor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, sensorUsage); printDefaults(fs) }
	cfgPath := fs.String("config", os.Getenv("RFW_SENSOR_CONFIG"), "node YAML config `file` (env RFW_SENSOR_CONFIG)")
	verbose := fs.Bool("v", false, "log at debug level")
	check := fs.Bool("check", false, "validate the config and its source (not the HackRF board: rfwarden node check), note the drone bands it leaves out, and exit")
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
		fs.Usage()
		return fmt.Errorf("sensor: --config is required (or RFW_SENSOR_CONFIG): the node YAML, e.g. /etc/rfwarden/node.yaml as a bundle installs it (rfwarden node install), from deploy/config/sensor.yaml")
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	if *check {
		notes, err := checkSource(cfg, time.Now())
		if err != nil {
			return fmt.Errorf("sensor config %q: %w", *cfgPath, err)
		}
		fileNotes, err := checkSensorFiles(cfg, time.Now())
		if err != nil {
			return fmt.Errorf("sensor config %q: %w", *cfgPath, err)
		}
		notes = append(notes, fileNotes...)
		if n := checkHTTPAddr("sensor", cfg.HTTPAddr); n != "" {
			notes = append(notes, n)
		}
		summary := fmt.Sprintf("site %s, sensor %s, %d %s", cfg.Site, cfg.Sensor, len(cfg.Bands), english.Plural(len(cfg.Bands), "band", "bands"))
		if err := printCheck(stdout, *cfgPath, summary, notes); err != nil {
			return err
		}
		return printDroneCoverage(stdout, *cfgPath, cfg)
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	var password string
	if cfg.MQTT.PasswordFile != "" {
		if password, err = publish.ReadPasswordFile(cfg.MQTT.PasswordFile); err != nil {
			return err
		}
	}
	src, err := openSource(cfg, log)
	if err != nil {
		return err
	}
	defer src.Close()
	reg := newServiceRegistry()
	var a *agent.Agent
	a, err = agent.New(cfg, agent.Deps{
		Source: src,
		Pipeline: pipeline.New(pipeline.Config{Classifier: pipeline.DefaultClassifier(), LabelReuse: cfg.LabelReuse,
			RefFloorOverDB: max(0, cfg.RefFloor.OverDB), RefFloorRiseDBPerHour: cfg.RefFloor.RiseDBPerHour, Logger: log}),
		Password: password,
		Logger:   log,
		Registry: reg,
		Gatherer: reg,
		Version:  version,
		Started:  func() { fmt.Fprintln(stdout, sensorStartLine(cfg, a.HTTPAddr())) },
	})
	if err != nil {
		return err
	}
	if err := a.Run(ctx); err != nil {
		return err
	}
	// Run has closed the outbox: what it holds is sent after the next start.
	why := "the recording ended"
	if ctx.Err() != nil {
		why = stopCause(ctx)
	}
	fmt.Fprintln(stdout, sensorStopLine(why, cfg.Outbox.Dir, a.Health().OutboxDepth, a.Stats().LostAtStop))
	return nil
}

// sensorStopLine is the line the sensor prints to stdout once stopped
// cleanly, for why: the detections left in the outbox at dir for the next
// start, and those lost, the disk still refusing them at the stop.
func sensorStopLine(why, dir string, depth, lost int64) string {
	line := fmt.Sprintf("sensor: stopped (%s): outbox %s closed, %d detections in it for the next start", why, dir, depth)
	if lost > 0 {
		line += fmt.Sprintf(", %d detections lost: its disk refused them (free space on it; the log has the error)", lost)
	}
	return line
}

// sensorStartLine is the line the sensor prints to stdout (the journal)
// once it runs, as fusion and the dashboard print theirs: the log is
// quiet (warnings) by default, and an installer should see a clean start.
// httpAddr is the address http_addr bound (its port chosen when 0), ""
// for none.
func sensorStartLine(cfg config.Config, httpAddr string) string {
	line := fmt.Sprintf("sensor: site %s, sensor %s, %d %s, source %s, broker %s, outbox %s",
		cfg.Site, cfg.Sensor, len(cfg.Bands), english.Plural(len(cfg.Bands), "band", "bands"), cfg.Source.Kind, redact.URL(cfg.MQTT.URL), cfg.Outbox.Dir)
	if httpAddr != "" {
		line += ", health and metrics on " + httpAddr
	}
	return line
}

// openSource opens the sample source the config names; log (nil: none)
// takes what a paced source (sim, file) reports.
func openSource(cfg config.Config, log *slog.Logger) (sensor.Source, error) {
	switch cfg.Source.Kind {
	case config.SourceFile:
		rec, err := openSourceRecording(cfg.Source)
		if err != nil {
			return nil, fmt.Errorf("source: %w", err)
		}
		return newFileSource(rec, time.Now().UTC(), log), nil
	case config.SourceSim:
		return newSimSource(cfg, time.Now().UTC(), log)
	case config.SourceHackRFTransfer:
		return hackrfsrc.New(hackrf.Runner{Serial: cfg.Source.Serial}, hackrfsrc.OptionsFromConfig(cfg)), nil
	case config.SourceHackRF:
		s, err := hackrfsrc.OpenDevice(cfg.Source.Serial, hackrfsrc.OptionsFromConfig(cfg))
		if err != nil {
			return nil, fmt.Errorf("source kind %q: %w", cfg.Source.Kind, err)
		}
		return s, nil
	default:
		return nil, fmt.Errorf("source: kind %q is not one of hackrf, hackrf_transfer, file, sim", cfg.Source.Kind)
	}
}

// openSourceRecording opens the recording of a file source, src.Path,
// as scan opens one: metadata whose samples are elsewhere (`rfwarden scan
// --annotate` with OUT away from them) is read over the samples its
// rfw:dataset names, within src.DatasetRoot (source.dataset_root; empty:
// the metadata's own folder).
func openSourceRecording(src config.Source) (*sigmf.Recording, error) {
	return sigmf.OpenWith(src.Path, sigmf.Overrides{FollowRFWDataset: true, DatasetRoot: src.DatasetRoot, DatasetRootSetting: "source.dataset_root"})
}

// newSimSource opens the simulated wing's sensor cfg.Sensor, its clock
// at start, paced to the wall clock.
func newSimSource(cfg config.Config, start time.Time, log *slog.Logger) (pacedSim, error) {
	w, err := simWing(cfg)
	if err != nil {
		return pacedSim{}, err
	}
	s, err := w.NewSource(cfg.Sensor, sim.SourceOptions{SampleRateHz: cfg.Source.SampleRateHz, Start: start,
		GainTable: cfg.GainDB})
	if err != nil {
		return pacedSim{}, fmt.Errorf("source: %w", err)
	}
	return pacedSim{pacedSource: &pacedSource{Source: s, clock: simSkip{s}, log: log, kind: "sim",
		hint: "this host cannot simulate source.sample_rate_hz in real time: lower it or give the node more CPU"},
		tuner: s, gain: s}, nil
}

// checkSource reports what config.Validate cannot know about the source,
// without opening a receiver: for the sim kind, whether the sensor is one
// of the simulated wing's (source.site_file's, when set, read and
// simulated); for hackrf, whether this binary has the
// libhackrf binding (the error openSource would give); for
// hackrf_transfer, whether the program is on PATH (the source would fail
// at its first read); for file, whether source.path opens as a SigMF
// recording (its metadata read and checked against its data file's size,
// its rfw:dataset followed, as openSource opens it; no sample is read), and notes, at now, on a
// recording that runs but not as its config means (recordingNotes).
// --check is the unit's ExecStartPre: what it passes should not fail at
// start.
func checkSource(cfg config.Config, now time.Time) (notes []string, err error) {
	switch cfg.Source.Kind {
	case config.SourceFile:
		rec, err := openSourceRecording(cfg.Source)
		if err != nil {
			return nil, fmt.Errorf("source kind %q: source.path %q: %w", cfg.Source.Kind, cfg.Source.Path, err)
		}
		notes = recordingNotes(rec, cfg, now)
		if err := rec.Close(); err != nil {
			return nil, fmt.Errorf("source kind %q: close recording %q: %w", cfg.Source.Kind, cfg.Source.Path, err)
		}
	case config.SourceSim:
		_, err := simWing(cfg)
		return nil, err
	case config.SourceHackRF:
		if !hackrfsrc.Built {
			return nil, fmt.Errorf("source kind %q: %w", cfg.Source.Kind, hackrfsrc.ErrNotBuilt)
		}
	case config.SourceHackRFTransfer:
		if _, err := exec.LookPath("hackrf_transfer"); err != nil {
			return nil, fmt.Errorf("source kind %q: %w (install Debian's hackrf package)", cfg.Source.Kind, err)
		}
	}
	return notes, nil
}

// printDroneCoverage prints, for a source that tunes, the drone bands
// the config's scan plan leaves out or cannot hear DroneID in
// (config.DroneCoverage over the default band plan): a note, not an
// error, since a node may leave a band to another. Nothing when it
// covers them all.
func printDroneCoverage(w io.Writer, path string, cfg config.Config) error {
	if cfg.Source.Kind == config.SourceFile {
		return nil // a recording's bands are what it holds
	}
	notes := config.DroneCoverage(cfg, bandplan.Default())
	if len(notes) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: note: drone bands the scan plan leaves out or hears DroneID poorly in (docs/deploy.md, Drone bands):\n", path)
	for _, n := range notes {
		fmt.Fprintf(&b, "  %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// simWing returns the wing a sim source simulates, with cfg.Sensor one
// of its sensors: the site of source.site_file (sim.FromSite), whose ID
// must be the node's site:, else the demo wing (sim.StandardWing).
func simWing(cfg config.Config) (*sim.Wing, error) {
	seed := uint64(cfg.Source.Seed)
	if cfg.Source.SiteFile == "" {
		w := sim.StandardWing(seed)
		if err := checkSimSensor(w, cfg.Sensor, "the simulated wing's"); err != nil {
			return nil, fmt.Errorf("source.kind sim: %w", err)
		}
		return w, nil
	}
	w, err := readSimSite(cfg.Source.SiteFile, seed)
	if err != nil {
		return nil, fmt.Errorf("source.kind sim: source.site_file: %w", err)
	}
	if w.SiteID != cfg.Site {
		return nil, fmt.Errorf("source.kind sim: site %q is not the id of source.site_file %s, %q: fusion hears only its site file's id; make site: %s", cfg.Site, cfg.Source.SiteFile, w.SiteID, w.SiteID)
	}
	if err := checkSimSensor(w, cfg.Sensor, "source.site_file "+cfg.Source.SiteFile+"'s sensors"); err != nil {
		return nil, fmt.Errorf("source.kind sim: %w", err)
	}
	return w, nil
}

// readSimSite reads the site file at path and makes its simulated wing.
func readSimSite(path string, seed uint64) (*sim.Wing, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, sim.MaxSiteBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	w, err := sim.FromSite(data, sim.Config{Seed: seed})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}

// checkSimSensor reports a sensor ID that is not one of w's: with the sim
// source, the node's sensor: picks the simulated sensor it hears as;
// whose names the wing's sensors in the message.
func checkSimSensor(w *sim.Wing, id, whose string) error {
	for _, s := range w.Sensors() {
		if s.ID == id {
			return nil
		}
	}
	return fmt.Errorf("sensor %q is not one of %s: %s", id, whose, w.SensorIDs())
}

// paceMaxLag is how far a paced source (a simulated wing or a
// recording) may fall behind the wall clock before pacedSource skips it
// ahead: the sensor-clock bound fusion warns beyond (docs/alerts.md), well
// inside its 500 ms association window.
const paceMaxLag = 250 * time.Millisecond

// paceSkipLogEvery is the least time between two log lines about a paced
// source skipping ahead.
const paceSkipLogEvery = time.Minute

// skipper is a paced source's clock, which pacedSource starts at the
// first block and moves ahead when the source falls behind. StartAt
// stamps the next sample t, skipping none: the clock was fixed when the
// source was opened, and what a node does before its first block (open
// the outbox, start the HTTP server) would otherwise leave every block
// that much behind. Skip passes over the samples of the next d without
// rendering or reading them, as a receiver that is not read in time
// loses them.
type skipper interface {
	StartAt(t time.Time)
	Skip(d time.Duration)
}

// simSkip is a simulated source as a skipper: its clock jumps, its sample
// indices stay contiguous (sim.Source.SkipTo).
type simSkip struct{ *sim.Source }

func (s simSkip) StartAt(t time.Time)  { s.SkipTo(t) }
func (s simSkip) Skip(d time.Duration) { s.SkipTo(s.Time().Add(d)) }

// pacedSource delivers the blocks of a source that would run as fast as
// the host can (a simulated wing, a recording) in real time, as a
// receiver does. A node that cannot render or read and process them that
// fast (20 Msps on a loaded host) falls behind the wall clock; once it is
// more than paceMaxLag behind, the source skips ahead to the wall clock,
// as a real receiver that is not read in time overruns: the samples
// skipped are counted in the next block's Dropped (health's
// dropped_samples and rfwarden_dropped_samples_total), and it is logged at
// most once a minute. Before, it only ever waited, and a slow node's
// detections fell minutes behind the clock with nothing reporting it.
type pacedSource struct {
	sensor.Source
	clock skipper      // nil: never skips
	log   *slog.Logger // nil: discard
	kind  string       // of source, for the log: "sim", "file"
	hint  string       // the log's advice
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error // nil: a timer
	start time.Time
	dur   time.Duration
	// the skips since the last log line, and when that was
	skips   int
	skipped int64
	logged  time.Time
}

// pacedSim is a paced simulated source, which tunes and takes the AGC's
// gain as a HackRF does. A recording does neither: the agent must not
// take its pacedSource for a Tuner.
type pacedSim struct {
	*pacedSource
	tuner sensor.Tuner
	gain  sensor.GainSetter
}

func (p pacedSim) Tune(centerHz, sampleRateHz float64) error {
	return p.tuner.Tune(centerHz, sampleRateHz)
}

// SetGainDB lets the agent's AGC change the simulated receiver's gain.
func (p pacedSim) SetGainDB(totalDB float64) error { return p.gain.SetGainDB(totalDB) }

// newFileSource plays rec as a live receiver would hear it, paced to the
// wall clock (skipping ahead when behind): samples of captures without a
// core:datetime are stamped from start.
func newFileSource(rec *sigmf.Recording, start time.Time, log *slog.Logger) *pacedSource {
	r := replay.New(rec, replay.Options{Start: start})
	return &pacedSource{Source: r, clock: r, log: log, kind: "file",
		hint: "this host cannot process the recording's sample rate in real time: give the node more CPU, or analyse the recording with rfwarden scan, which reads every sample"}
}

func (p *pacedSource) Next(ctx context.Context) (sensor.Block, error) {
	now := time.Now()
	if p.now != nil {
		now = p.now()
	}
	if p.start.IsZero() {
		// The clock starts at the first block, not when it was opened.
		p.start = now
		if p.clock != nil {
			p.clock.StartAt(now)
		}
	}
	due := p.start.Add(p.dur)
	if wait := due.Sub(now); wait > 0 {
		sleep := p.sleep
		if sleep == nil {
			sleep = sleepCtx
		}
		if err := sleep(ctx, wait); err != nil {
			return sensor.Block{}, err
		}
	}
	lag := now.Sub(due)
	if lag <= paceMaxLag || p.clock == nil {
		lag = 0
	} else {
		p.clock.Skip(lag)
		p.dur += lag
	}
	b, err := p.Source.Next(ctx)
	if err != nil && !errors.Is(err, io.EOF) {
		return b, err
	}
	if lag > 0 && err == nil {
		n := int64(lag.Seconds() * b.SampleRateHz)
		b.Dropped += n
		p.noteSkip(now, lag, n)
	}
	p.dur += b.Duration()
	return b, err
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// noteSkip logs a skip ahead, at most once every paceSkipLogEvery, with
// the skips since the last line.
func (p *pacedSource) noteSkip(now time.Time, lag time.Duration, n int64) {
	p.skips++
	p.skipped += n
	if !p.logged.IsZero() && now.Sub(p.logged) < paceSkipLogEvery {
		return
	}
	if p.log != nil {
		p.log.Warn(p.kind+" source behind the wall clock: skipped ahead, the samples counted as dropped",
			"behind", lag.Round(time.Millisecond), "skips", p.skips, "dropped_samples", p.skipped, "hint", p.hint)
	}
	p.logged, p.skips, p.skipped = now, 0, 0
}
