package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"text/tabwriter"
	"time"

	"github.com/rfwarden/rfwarden/fusion/loadtest"
)

const loadtestUsage = `usage: rfwarden loadtest [--sensors 10] [--rate 2] [--duration 30s] [--broker URL] [--json]

Drive simulated sensors (QoS 1 detections of the standard wing) against a
real MQTT broker and the real fusion engine with a SQLite store, then report
throughput, loss, duplicates, latency, CPU and memory. By default the broker
is an embedded mochi-mqtt on 127.0.0.1; --broker must be a loopback URL
(e.g. tcp://127.0.0.1:1883 for a local mosquitto).
`

// cmdLoadtest runs `rfwarden loadtest`.
func cmdLoadtest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, loadtestUsage); printDefaults(fs) }
	sensors := fs.Int("sensors", 10, fmt.Sprintf("simulated sensors (1..%d)", loadtest.MaxSensors))
	rate := fs.Float64("rate", 2, fmt.Sprintf("detections per second per sensor (0, %v]", loadtest.MaxRateHz))
	duration := fs.Duration("duration", 30*time.Second, fmt.Sprintf("publishing time (0, %v]", loadtest.MaxDuration))
	broker := fs.String("broker", os.Getenv("RFW_LOADTEST_BROKER"), "loopback MQTT broker `URL`; empty = embedded mochi-mqtt (env RFW_LOADTEST_BROKER)")
	db := fs.String("db", "", "SQLite `file` for fusion's store; empty = a temporary file")
	drain := fs.Duration("drain", 10*time.Second, fmt.Sprintf("after publishing, wait at most this long for fusion to store everything (0, %v]", loadtest.MaxDrain))
	gridStep := fs.Float64("grid-step-m", 0, "locator grid step in metres, 0.05..10; 0 = the engine default")
	locateEvery := fs.Duration("locate-every", 0, "re-locate a track at most this often (fusion's locate_every); 0 = every group")
	seed := fs.Uint64("seed", 1, "workload seed")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	quiet := fs.Bool("q", false, "no progress lines on stderr")
	verbose := fs.Bool("v", false, "log fusion at debug level on stderr")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to `file`")
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
	if g := *gridStep; g != 0 && !(g >= loadtest.MinGridStepM && g <= loadtest.MaxGridStepM) { // NaN too
		return fmt.Errorf("loadtest: --grid-step-m %v m is outside %v..%v m, as fusion.yaml's model.grid_step_m (0: the engine's default, 0.5 m)", g, loadtest.MinGridStepM, loadtest.MaxGridStepM)
	}
	// loadtest.Config takes a zero as its default: --duration 0s ran
	// 10 s (not even the flag's 30 s), --sensors 0 ten sensors. Zero is
	// refused as the other values outside the ranges are.
	switch {
	case *sensors == 0:
		return fmt.Errorf("%w: sensors: 0 not in 1..%d", loadtest.ErrConfig, loadtest.MaxSensors)
	case *rate == 0:
		return fmt.Errorf("%w: rate: 0 detections/s not in (0, %v]", loadtest.ErrConfig, loadtest.MaxRateHz)
	case *duration == 0:
		return fmt.Errorf("%w: duration: 0s not in (0, %v]", loadtest.ErrConfig, loadtest.MaxDuration)
	case *drain == 0:
		return fmt.Errorf("%w: drain: 0s not in (0, %v]", loadtest.ErrConfig, loadtest.MaxDrain)
	}
	cfg := loadtest.Config{Sensors: *sensors, RateHz: *rate, Duration: *duration, BrokerURL: *broker, DBPath: *db,
		Drain: *drain, GridStepM: *gridStep, LocateEvery: *locateEvery, Seed: *seed, Progress: stderr}
	if *quiet {
		cfg.Progress = nil
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if err := cfg.Validate(); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile %s: %w", *cpuProfile, err)
		}
		defer pprof.StopCPUProfile()
	}
	res, err := loadtest.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else if err := writeLoadtestTable(stdout, res); err != nil {
		return err
	}
	if !res.Clean() {
		return fmt.Errorf("loadtest: not clean: lost %d, stored duplicates %d, dead letters %d, publish errors %d, stored %d of %d published",
			res.Lost, res.StoredDupes, res.DeadLetters, res.PublishErrors, res.Stored, res.Published)
	}
	return nil
}

func writeLoadtestTable(w io.Writer, r loadtest.Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, format string, args ...any) { fmt.Fprintf(tw, "%s\t"+format+"\n", append([]any{k}, args...)...) }
	row("broker", "%s", r.Broker)
	row("sensors x rate", "%d x %g/s = %g/s offered for %gs%s", r.Sensors, r.RateHz, r.OfferedPerS, r.DurationS, map[bool]string{true: " (interrupted)"}[r.Interrupted])
	row("published / acked", "%d / %d of %d planned (%.1f/s), %d errors", r.Published, r.Acked, r.Planned, r.PublishedPerS, r.PublishErrors)
	row("delivered to fusion", "%d (+%d redelivered)", r.Delivered, r.Redelivered)
	row("accepted by engine", "%d (duplicates %d, waits on a full queue %d, dead letters %d)", r.Accepted, r.EngineDupes, r.QueueFull, r.DeadLetters)
	row("groups / locations", "%d / %d", r.Groups, r.Locations)
	row("stored in SQLite", "%d (%.1f/s), rows %d, duplicates %d, lost %d, write errors %d", r.Stored, r.StoredPerS, r.RowsInDB, r.StoredDupes, r.Lost, r.StoreErrors)
	lat := func(l loadtest.Latency) string {
		return fmt.Sprintf("p50 %.1f  p95 %.1f  p99 %.1f  max %.1f ms (n=%d)", l.P50MS, l.P95MS, l.P99MS, l.MaxMS, l.Count)
	}
	row("latency publish->fusion", "%s", lat(r.Deliver))
	row("latency publish->stored", "%s", lat(r.Store))
	row("alerts on MQTT", "%d of %d raised (%d firing), %d messages, %d untimed, %d undecodable", r.Alerts, r.AlertsRaised, r.AlertsFiring, r.AlertMessages, r.AlertsUntimed, r.AlertBad)
	row("latency detection->alert", "%s", lat(r.Alert))
	row("cpu", "%.2f s user + %.2f s sys over %.1f s = %.2f cores, %.0f µs per detection", r.CPUUserS, r.CPUSysS, r.WallS, r.CPUCores, r.CPUPerDetUS)
	row("memory", "peak RSS %.0f MB, peak Go heap %.0f MB", r.PeakRSSMB, r.PeakHeapMB)
	row("clean", "%v", r.Clean())
	return tw.Flush()
}
