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
	"github.com/rfwarden/rfwarden/internal/mqttlink"
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
while it is away). --check validates the config, and that this binary and
host can open its source (a recording's metadata and data file too),
that the MQTT files it names can be read and
its outbox folder written (as the user it runs as), notes the drone bands
its scan plan leaves out, and exits. The config is annotated in
deploy/config/sensor.yaml and documented in docs/deploy.md.

flags:
`

// cmdSensor runs one sensor node: rfwarden sensor --config node.yaml.
func cmdSensor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sensor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, sensorUsage); fs.PrintDefaults() }
	cfgPath := fs.String("config", os.Getenv("RFW_SENSOR_CONFIG"), "node YAML config `file` (env RFW_SENSOR_CONFIG)")
	verbose := fs.Bool("v", false, "log at debug level")
	check := fs.Bool("check", false, "validate the config, and that the source can be opened here, note the drone bands it leaves out, and exit")
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
		return fmt.Errorf("sensor: --config is required")
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	if *check {
		if err := checkSource(cfg); err != nil {
			return fmt.Errorf("sensor config %q: %w", *cfgPath, err)
		}
		if err := checkSensorFiles(cfg); err != nil {
			return fmt.Errorf("sensor config %q: %w", *cfgPath, err)
		}
		if _, err := fmt.Fprintf(stdout, "%s: ok (site %s, sensor %s, %d bands)\n", *cfgPath, cfg.Site, cfg.Sensor, len(cfg.Bands)); err != nil {
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
	src, err := openSource(cfg)
	if err != nil {
		return err
	}
	defer src.Close()
	reg := newServiceRegistry()
	a, err := agent.New(cfg, agent.Deps{
		Source:   src,
		Pipeline: pipeline.New(pipeline.Config{Classifier: pipeline.DefaultClassifier(), LabelReuse: cfg.LabelReuse}),
		Password: password,
		Logger:   log,
		Registry: reg,
		Gatherer: reg,
		Version:  version,
		Started:  func() { fmt.Fprintln(stdout, sensorStartLine(cfg)) },
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
	fmt.Fprintf(stdout, "sensor: stopped (%s): outbox %s closed, %d detections in it for the next start\n",
		why, cfg.Outbox.Dir, a.Health().OutboxDepth)
	return nil
}

// sensorStartLine is the line the sensor prints to stdout (the journal)
// once it runs, as fusion and the dashboard print theirs: the log is
// quiet (warnings) by default, and an installer should see a clean start.
func sensorStartLine(cfg config.Config) string {
	line := fmt.Sprintf("sensor: site %s, sensor %s, %d bands, source %s, broker %s, outbox %s",
		cfg.Site, cfg.Sensor, len(cfg.Bands), cfg.Source.Kind, mqttlink.Redact(cfg.MQTT.URL), cfg.Outbox.Dir)
	if cfg.HTTPAddr != "" {
		line += ", health and metrics on " + cfg.HTTPAddr
	}
	return line
}

// openSource opens the sample source the config names.
func openSource(cfg config.Config) (sensor.Source, error) {
	switch cfg.Source.Kind {
	case config.SourceFile:
		rec, err := sigmf.Open(cfg.Source.Path)
		if err != nil {
			return nil, fmt.Errorf("source: %w", err)
		}
		return replay.New(rec, replay.Options{Realtime: true, Start: time.Now().UTC()}), nil
	case config.SourceSim:
		w := sim.StandardWing(uint64(cfg.Source.Seed))
		if err := checkSimSensor(w, cfg.Sensor); err != nil {
			return nil, err
		}
		s, err := w.NewSource(cfg.Sensor, sim.SourceOptions{SampleRateHz: cfg.Source.SampleRateHz, Start: time.Now().UTC(),
			GainTable: cfg.GainDB})
		if err != nil {
			return nil, fmt.Errorf("source: %w", err)
		}
		return &pacedSource{Source: s, tuner: s, gain: s}, nil
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

// checkSource reports what config.Validate cannot know about the source,
// without opening a receiver: for the sim kind, whether the sensor is one
// of the simulated wing's; for hackrf, whether this binary has the
// libhackrf binding (the error openSource would give); for
// hackrf_transfer, whether the program is on PATH (the source would fail
// at its first read); for file, whether source.path opens as a SigMF
// recording (its metadata read and checked against its data file's size,
// as openSource opens it; no sample is read). --check is the unit's
// ExecStartPre: what it passes should not fail at start.
func checkSource(cfg config.Config) error {
	switch cfg.Source.Kind {
	case config.SourceFile:
		rec, err := sigmf.Open(cfg.Source.Path)
		if err != nil {
			return fmt.Errorf("source kind %q: source.path %q: %w", cfg.Source.Kind, cfg.Source.Path, err)
		}
		if err := rec.Close(); err != nil {
			return fmt.Errorf("source kind %q: close recording %q: %w", cfg.Source.Kind, cfg.Source.Path, err)
		}
	case config.SourceSim:
		return checkSimSensor(sim.StandardWing(uint64(cfg.Source.Seed)), cfg.Sensor)
	case config.SourceHackRF:
		if !hackrfsrc.Built {
			return fmt.Errorf("source kind %q: %w", cfg.Source.Kind, hackrfsrc.ErrNotBuilt)
		}
	case config.SourceHackRFTransfer:
		if _, err := exec.LookPath("hackrf_transfer"); err != nil {
			return fmt.Errorf("source kind %q: %w (install Debian's hackrf package)", cfg.Source.Kind, err)
		}
	}
	return nil
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

// checkSimSensor reports a sensor ID that is not one of w's: with the sim
// source, the node's sensor: picks the simulated sensor it hears as.
func checkSimSensor(w *sim.Wing, id string) error {
	ss := w.Sensors()
	ids := make([]string, len(ss))
	for i, s := range ss {
		if s.ID == id {
			return nil
		}
		ids[i] = s.ID
	}
	return fmt.Errorf("source.kind sim: sensor %q is not one of the simulated wing's: %s", id, strings.Join(ids, ", "))
}

// pacedSource delivers a simulated source's blocks in real time.
type pacedSource struct {
	sensor.Source
	tuner sensor.Tuner
	gain  sensor.GainSetter
	start time.Time
	dur   time.Duration
}

func (p *pacedSource) Tune(centerHz, sampleRateHz float64) error {
	return p.tuner.Tune(centerHz, sampleRateHz)
}

// SetGainDB lets the agent's AGC change the simulated receiver's gain.
func (p *pacedSource) SetGainDB(totalDB float64) error { return p.gain.SetGainDB(totalDB) }

func (p *pacedSource) Next(ctx context.Context) (sensor.Block, error) {
	if p.start.IsZero() {
		p.start = time.Now()
	}
	if wait := time.Until(p.start.Add(p.dur)); wait > 0 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return sensor.Block{}, ctx.Err()
		}
	}
	b, err := p.Source.Next(ctx)
	if err != nil && !errors.Is(err, io.EOF) {
		return b, err
	}
	p.dur += b.Duration()
	return b, err
}
