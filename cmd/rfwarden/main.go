package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"

	"github.com/rfwarden/rfwarden/internal/redact"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// command is one subcommand: it parses its own flags from args.
type command struct {
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
	summary string
}

// commands lists every subcommand. Add one line per subcommand.
func commands() map[string]command {
	return map[string]command{
		"version":   {cmdVersion, "print the version"},
		"dashboard": {cmdDashboard, "serve the web dashboard (--db, --site, --listen, --tls-cert/--tls-key, --mqtt)"},
		"sensor":    {cmdSensor, "run one sensor node (--config node.yaml)"},
		"sim":       {cmdSim, "write simulated IQ of one sensor to SigMF, or print the wing's site YAML"},
		"fusion":    {cmdFusion, "run fusion: associate, locate, authorise, alert (--config fusion.yaml)"},
		"calibrate": {cmdCalibrate, "fit path-loss exponent and sensor offsets from a walk test (--site, --walk)"},
		"demo":      {cmdDemo, "run the whole system on a simulated wing: broker, sensors, fusion, dashboard (--speed, --record)"},
		"loadtest":  {cmdLoadtest, "drive simulated sensors against a real broker and fusion; report throughput, latency, CPU, memory"},
		"node":      {cmdNode, "node provisioning and checks: keygen, bundle, verify, install, check"},
		"scan":      {cmdScan, "scan IQ recordings for emissions (table, --json, or --annotate OUT.sigmf-meta)"},
		"eval":      {cmdEval, "measure detection and classification: precision/recall, confusion, false alarms, Pd vs SNR"},
		"backup":    {cmdBackup, "copy the SQLite state online into a checked, dated file and keep the newest (--db, --keep)"},
		"restore":   {cmdRestore, "put a checked backup in place of the SQLite state, keeping the current one (--db, --site, --force)"},
		"erase":     {cmdErase, "erase one closed case: its incident or alert, detections, outbox rows and snippets, audited (--db, --incident/--alert, --dry-run)"},
		"users":     {cmdUsers, "dashboard accounts from the shell: list, reset-password, enable, disable, role, delete (--db)"},
	}
}

// stopSignals are the signals that stop a service cleanly (its stop line
// names the signal, see stopCause): SIGTERM (systemctl stop), SIGINT
// (Ctrl-C) and SIGHUP (`kill -HUP`, `systemctl kill -s HUP`, or the hangup
// of the terminal it ran from), which by default killed the process with
// no stop line, losing the detections not yet in the outbox, and which
// systemd's Restart=on-failure takes for a clean exit.
func stopSignals() []os.Signal { return []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals()...)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "rfwarden:", err)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	c, ok := cmds[args[0]]
	if !ok {
		usage(stderr, cmds)
		return fmt.Errorf("unknown command %q", args[0])
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: rfwarden COMMAND [flags]\n\ncommands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
}

const versionUsage = "usage: rfwarden version\n\nPrint the version (set at build time; a plain go build from a git checkout prints dev and its commit).\n"

func cmdVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		if len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fmt.Fprint(stderr, versionUsage)
			return nil
		}
		usage := func() { fmt.Fprint(stderr, versionUsage) }
		if strings.HasPrefix(args[0], "-") {
			return usageErr(stderr, usage, "version: flag provided but not defined: %s (version takes no flags)", args[0])
		}
		return usageErr(stderr, usage, "version: takes no arguments, got %q", strings.Join(args, " "))
	}
	info, _ := debug.ReadBuildInfo()
	_, err := fmt.Fprintln(stdout, "rfwarden", versionOf(version, info))
	return err
}

// versionOf is the version to print: the one set at build time (-X
// main.version, docs/deploy.md §1), else, for a plain go build from a git
// checkout, "dev" with the commit Go recorded (vcs.revision, its time,
// and "modified" for uncommitted changes), so two such builds can be told
// apart on a host (an explorer's upgrade found both its builds "dev",
// 2026-12-08). info may be nil.
func versionOf(set string, info *debug.BuildInfo) string {
	if set != "dev" || info == nil {
		return set
	}
	var rev, at string
	modified := false
	for _, kv := range info.Settings {
		switch kv.Key {
		case "vcs.revision":
			rev = kv.Value
		case "vcs.time":
			at = kv.Value
		case "vcs.modified":
			modified = kv.Value == "true"
		}
	}
	if rev == "" {
		return set
	}
	out := set + " (commit " + rev[:min(12, len(rev))]
	if at != "" {
		out += " of " + at
	}
	if modified {
		out += ", with uncommitted changes"
	}
	return out + ")"
}

// printDefaults is fs.PrintDefaults with each default's password hidden
// (redact.URL): a default read from the environment, RFW_INFLUX_URL or
// RFW_MQTT, may be a URL holding one, and --help, or a mistyped flag,
// prints it to a terminal or to the service's log. Secrets kept only in
// the environment (RFW_*_PASSWORD, RFW_METRICS_TOKEN) are never flag
// defaults.
func printDefaults(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) { f.DefValue = redact.URL(f.DefValue) })
	fs.PrintDefaults()
}
