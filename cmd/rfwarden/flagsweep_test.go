package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/firmware/nodecheck"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// TestSubcommandFlagsSweep: subcommand flags that were taken and could
// not work are refused before the command does anything, naming the
// flag: sim's --gain a HackRF cannot set (written as the recording's
// calibration: 41 dB where a HackRF sets 40, -5, NaN), scan's and eval's
// --pfa the detector does not take (eval took 0.5 to 1, and the
// detector refused it later without naming the flag) and scan's infinite
// --rate, fusion's negative
// --sensor-silence (taken as never), node check's --noise-center-hz
// outside what a HackRF tunes (reported as the board's noise test
// failing), calibrate's NaN or negative heights, loadtest's
// --grid-step-m outside 0.05..10 m (+Inf ran a whole load test), erase's
// --influx and --influx-db the dashboard would refuse, backup's
// --snippets that does not exist and restore's --snippets of a backup
// folder holding none (both failed after the database was copied or
// replaced). What a user may give
// passes those checks: the command then stops at its missing input
// (okAt), or, for sim, writes its 1 ms recording.
func TestSubcommandFlagsSweep(t *testing.T) {
	dir := t.TempDir()
	// node check's, refusing to reach the board: a flag it took would
	// have run its checks on a HackRF
	var sub *testing.T
	node := func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return nodeCheck(ctx, args, stdout, stderr, func(string) nodecheck.Deps {
			sub.Fatalf("node check %q reached the board", args)
			return nodecheck.Deps{}
		})
	}
	missing := filepath.Join(dir, "missing")
	// backups, one folder with the snippets/ backup --snippets makes and one without
	for _, d := range []string{filepath.Join(dir, "bs", "snippets"), filepath.Join(dir, "bn")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(dir, "bs", "x.db"), "not a database\n")
	writeFile(t, filepath.Join(dir, "bn", "x.db"), "not a database\n")
	for _, tc := range []struct {
		name string
		cmd  func(context.Context, []string, io.Writer, io.Writer) error
		args []string
		want string // in the error
		okAt string // "": the error is about the flag; else the flags passed and the command stopped here
	}{
		{name: "sim gain", cmd: cmdSim, args: []string{"--out", filepath.Join(dir, "g40"), "--gain", "40", "--rate", "2e6", "--duration", "1ms"}},
		{name: "sim auto gain", cmd: cmdSim, args: []string{"--out", filepath.Join(dir, "g0"), "--rate", "2e6", "--duration", "1ms"}},
		{name: "sim odd gain", cmd: cmdSim, args: []string{"--out", filepath.Join(dir, "g41"), "--gain", "41"}, want: "sim: --gain 41 dB is not on a HackRF's 2 dB steps"},
		{name: "sim gain over", cmd: cmdSim, args: []string{"--out", filepath.Join(dir, "g200"), "--gain", "200"}, want: "sim: --gain 200 dB not in 0..102 dB"},
		{name: "sim gain negative", cmd: cmdSim, args: []string{"--out", filepath.Join(dir, "gneg"), "--gain", "-5"}, want: "sim: --gain -5 dB not in 0..102 dB"},
		{name: "sim gain nan", cmd: cmdSim, args: []string{"--out", filepath.Join(dir, "gnan"), "--gain", "NaN"}, want: "sim: --gain NaN dB"},
		{name: "fusion silence off", cmd: cmdFusion, args: []string{"--config", missing, "--sensor-silence", "0"}, okAt: "open fusion config"},
		{name: "fusion silence negative", cmd: cmdFusion, args: []string{"--config", missing, "--sensor-silence", "-1m"}, want: "fusion: --sensor-silence -1m0s is negative"},
		{name: "node centre below", cmd: node, args: []string{"--serial", "x", "--noise-center-hz", "100000"}, want: "node check: --noise-center-hz 100000 is outside 1e+06..6e+09 Hz"},
		{name: "node centre above", cmd: node, args: []string{"--serial", "x", "--noise-center-hz", "7000000000"}, want: "--noise-center-hz 7000000000 is outside"},
		{name: "calibrate heights", cmd: cmdCalibrate, args: []string{"--site", missing, "--walk", missing, "--sensor-height", "2.5", "--tx-height", "1"}, okAt: "open site"},
		{name: "calibrate nan height", cmd: cmdCalibrate, args: []string{"--site", missing, "--walk", missing, "--sensor-height", "NaN"}, want: "calibrate: --sensor-height NaN m is outside 0..100 m"},
		{name: "calibrate negative height", cmd: cmdCalibrate, args: []string{"--site", missing, "--walk", missing, "--tx-height", "-1"}, want: "calibrate: --tx-height -1 m is outside 0..100 m"},
		{name: "eval pfa", cmd: cmdEval, args: []string{"--pfa", "1e-6", "--cases", "0", "--noise-cases", "0"}, okAt: "eval: nothing to do"},
		{name: "eval pfa over half", cmd: cmdEval, args: []string{"--pfa", "0.7", "--cases", "0", "--noise-cases", "0"}, want: "eval: --pfa 0.7 is not in (0, 0.5)"},
		{name: "eval pfa nan", cmd: cmdEval, args: []string{"--pfa", "NaN"}, want: "eval: --pfa NaN is not in (0, 0.5)"},
		{name: "scan pfa", cmd: cmdScan, args: []string{"--pfa", "1e-6", missing}, okAt: "missing"},
		{name: "scan pfa over half", cmd: cmdScan, args: []string{"--pfa", "0.7", missing}, want: "scan: --pfa 0.7 is not in (0, 0.5)"},
		// loadtest's, stopped at a broker off this machine, checked after the flags
		{name: "loadtest grid step", cmd: cmdLoadtest, args: []string{"-q", "--grid-step-m", "0.5", "--broker", "tcp://192.0.2.1:1883"}, okAt: "host must be a loopback address"},
		{name: "loadtest grid step default", cmd: cmdLoadtest, args: []string{"-q", "--grid-step-m", "0", "--broker", "tcp://192.0.2.1:1883"}, okAt: "host must be a loopback address"},
		{name: "loadtest grid step inf", cmd: cmdLoadtest, args: []string{"-q", "--grid-step-m", "+Inf"}, want: "--grid-step-m +Inf m is outside 0.05..10 m"},
		{name: "loadtest grid step nan", cmd: cmdLoadtest, args: []string{"-q", "--grid-step-m", "NaN"}, want: "--grid-step-m NaN m is outside 0.05..10 m"},
		{name: "loadtest grid step huge", cmd: cmdLoadtest, args: []string{"-q", "--grid-step-m", "1000"}, want: "--grid-step-m 1000 m is outside 0.05..10 m"},
		{name: "loadtest grid step tiny", cmd: cmdLoadtest, args: []string{"-q", "--grid-step-m", "0.001"}, want: "--grid-step-m 0.001 m is outside 0.05..10 m"},
		// erase's InfluxDB, checked as the dashboard's RFW_INFLUX_URL; stopped at a missing database
		{name: "erase influx", cmd: cmdErase, args: []string{"--db", missing, "--alert", "a1", "--no-snippets", "--dry-run", "--influx", "http://127.0.0.1:8086"}, okAt: "does not exist"},
		{name: "erase influx port", cmd: cmdErase, args: []string{"--db", missing, "--alert", "a1", "--no-snippets", "--dry-run", "--influx", "http://127.0.0.1:99999"}, want: "erase: RFW_INFLUX_URL (--influx): "},
		{name: "erase influx no host", cmd: cmdErase, args: []string{"--db", missing, "--alert", "a1", "--no-snippets", "--dry-run", "--influx", "http://"}, want: "erase: RFW_INFLUX_URL (--influx): "},
		{name: "erase influx no database", cmd: cmdErase, args: []string{"--db", missing, "--alert", "a1", "--no-snippets", "--dry-run", "--influx", "http://127.0.0.1:8086", "--influx-db", ""}, want: "erase: RFW_INFLUX_DB (--influx-db) is empty"},
		// backup's snippet folder named on the command line, before any copy
		{name: "backup snippets", cmd: cmdBackup, args: []string{"--db", missing, "--snippets", dir, filepath.Join(dir, "b1")}, okAt: "does not exist"},
		{name: "backup snippets missing", cmd: cmdBackup, args: []string{"--db", missing, "--snippets", missing, filepath.Join(dir, "b2")}, want: "backup: --snippets " + missing + " does not exist"},
		// restore's --snippets, checked before the database is replaced
		{name: "restore snippets", cmd: cmdRestore, args: []string{"--db", missing, "--snippets", filepath.Join(dir, "snip"), filepath.Join(dir, "bs", "x.db")}, okAt: "restore: backup "},
		{name: "restore snippets none in backup", cmd: cmdRestore, args: []string{"--db", missing, "--snippets", filepath.Join(dir, "snip"), filepath.Join(dir, "bn", "x.db")}, want: "restore: --snippets " + filepath.Join(dir, "snip") + ": the backup's folder has no snippets/"},
		{name: "scan rate inf", cmd: cmdScan, args: []string{"--rate", "+Inf", missing}, want: "scan: --rate +Inf must be finite"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sub = t
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var out, errOut syncbuf.Buffer
			err := tc.cmd(ctx, tc.args, &out, &errOut)
			switch {
			case tc.want == "" && tc.okAt == "":
				if err != nil {
					t.Fatalf("%q: %v; want it run", tc.args, err)
				}
			case tc.okAt != "":
				if err == nil || !strings.Contains(err.Error(), tc.okAt) {
					t.Fatalf("%q: %v; want the flags taken and the command stopped at %q", tc.args, err, tc.okAt)
				}
			default:
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("%q: %v; want %q", tc.args, err, tc.want)
				}
			}
		})
	}
}
