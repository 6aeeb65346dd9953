package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/alert"
)

// TestDemoDurationIsSimulated: --duration is "this much simulated time":
// the run ends at its start plus --duration, and nothing it stores or
// saves is later. The simulated clock used to start before the broker,
// fusion, the sensors and the dashboard were up, and the --duration timer
// only after the banner, so a run covered --duration plus the start-up
// time times --speed: at --speed 100 a 20 s run covered minutes, its
// "simulated 20s done" line, its data and its saved clock (where the next
// run on its --dir continues) all that far past the start.
//
// The run is 2 simulated minutes (1.2 s at --speed 100), long enough for
// the sensors to store data on a loaded machine: a 20 s run (0.2 s) could
// end before any health report or detection was stored, its database
// then holding no time at all, since the demo's own audit rows no longer
// count (demoWallTimes).
func TestDemoDurationIsSimulated(t *testing.T) {
	const duration = 2 * time.Minute
	dir := t.TempDir()
	o := demoOptions{listen: "127.0.0.1:0", speed: 100, seed: 1, dir: dir, rateHz: 2e6, duration: duration,
		offlineAfter: time.Hour, statusEvery: time.Hour}
	var out strings.Builder
	var info demoInfo
	if err := runDemo(context.Background(), o, &syncWriter{w: &out}, io.Discard, func(i demoInfo) { info = i }); err != nil {
		t.Fatal(err)
	}
	if info.Start.IsZero() {
		t.Fatal("the demo never said it was up")
	}
	end := info.Start.Add(duration)
	want := "[" + end.Format("15:04:05") + "] simulated " + duration.String() + " done"
	if !strings.Contains(out.String(), want) {
		t.Errorf("the run's last line is not %q (start %s + %v):\n%s", want, info.Start.Format(time.RFC3339), duration, out.String())
	}
	saved, err := savedDemoClock(dir)
	demoCheck(t, err)
	if !saved.Equal(end) {
		t.Errorf("saved clock %s, want the start %s + %v = %s (%v more than asked)", saved.Format(time.RFC3339Nano),
			info.Start.Format(time.RFC3339), duration, end.Format(time.RFC3339), saved.Sub(end))
	}
	// the database alone: without the clock file, its newest time
	demoCheck(t, os.Remove(filepath.Join(dir, demoClockFile)))
	db := openDemoDB(t, dir)
	stored, err := demoStoredUntil(context.Background(), db.DB(), dir)
	demoCheck(t, err)
	if stored.IsZero() || stored.After(end) {
		t.Errorf("the database's newest time is %s, want one at or before the end %s", stored.Format(time.RFC3339Nano), end.Format(time.RFC3339))
	}
}

// TestDemoNoOfflineSensorBanner: `--offline-sensor ""` is "none" (demo
// --help), so the banner promises no sensor going offline; it said "and
// sensor  going offline." with an empty name.
func TestDemoNoOfflineSensorBanner(t *testing.T) {
	o := demoOptions{listen: "127.0.0.1:0", speed: 100, seed: 1, dir: t.TempDir(), rateHz: 2e6, duration: time.Second,
		offlineAfter: time.Minute, statusEvery: time.Hour, offline: ""}
	var out strings.Builder
	if err := runDemo(context.Background(), o, &syncWriter{w: &out}, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Watch the Alerts page") {
		t.Fatalf("no banner in:\n%s", out.String())
	}
	if strings.Contains(out.String(), "going offline") {
		t.Errorf("--offline-sensor \"\" (none), but the banner says a sensor goes offline:\n%s", out.String())
	}
}

// TestDemoUnknownOfflineSensorRefused: --offline-sensor names a sensor of
// the simulated wing (s1..s9). A name of none (a typo: s10, S4) ran the
// demo with every sensor on while its banner said "sensor s10 going
// offline"; `rfwarden sim --sensor s10` is refused, and so is this: before
// anything starts or is written, naming it and the wing's sensors.
func TestDemoUnknownOfflineSensorRefused(t *testing.T) {
	for _, name := range []string{"s10", "S4", "s4 "} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			o := demoOptions{listen: "127.0.0.1:0", speed: 100, seed: 1, dir: dir, rateHz: 2e6, duration: time.Second,
				offlineAfter: time.Minute, statusEvery: time.Hour, offline: name}
			var out strings.Builder
			err := runDemo(context.Background(), o, &syncWriter{w: &out}, io.Discard, nil)
			if err == nil || !strings.Contains(err.Error(), "--offline-sensor "+strconv.Quote(name)) || !strings.Contains(err.Error(), "s1, s2") {
				t.Fatalf("--offline-sensor %q (no such sensor): got %v, want an error naming it and the wing's sensors", name, err)
			}
			if out.Len() > 0 {
				t.Errorf("refused, yet it printed:\n%s", out.String())
			}
			if _, err := os.Stat(dir); err == nil {
				t.Errorf("refused, yet it made the state folder %s", dir)
			}
		})
	}
}

// TestDemoOfflineNote: the banner says when --offline-sensor goes offline,
// in the story's simulated time, and nothing when none does: "" (none),
// or --duration ending the run first.
func TestDemoOfflineNote(t *testing.T) {
	start := time.Date(2026, 1, 15, 21, 4, 26, 0, time.UTC)
	tests := []struct {
		name        string
		offline     string
		after, runs time.Duration
		want        string
	}{
		{"default", "s4", 3 * time.Minute, 0, ", and sensor s4 going offline at 21:07:26"},
		{"within --duration", "s4", 3 * time.Minute, 5 * time.Minute, ", and sensor s4 going offline at 21:07:26"},
		{"none", "", 3 * time.Minute, 0, ""},
		{"after --duration", "s4", 3 * time.Minute, 40 * time.Second, ""},
		{"at the end of --duration", "s4", time.Minute, time.Minute, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := demoOptions{offline: tt.offline, offlineAfter: tt.after, duration: tt.runs}
			if got := demoOfflineNote(o, start); got != tt.want {
				t.Errorf("demoOfflineNote = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestDemoClosingLineIsLast: the line a run closes with, which says what
// it leaves (README.md), is the last it prints. It was printed while
// fusion and the sensors still ran, and they went on through the
// shutdown: `demo --duration 20s --speed 4` printed "simulated 20s done;
// state kept in ..." then "alert firing critical ...". What fusion
// announces as it stops is what came after: here every phone alert waits,
// unannounced, to settle for longer than the run (fusion's alert_settle,
// an hour), so fusion announces it pending as it stops (AnnounceSettling),
// and that must come before the closing line.
func TestDemoClosingLineIsLast(t *testing.T) {
	dir := t.TempDir()
	o, err := parseDemoFlags([]string{"--listen", "127.0.0.1:0", "--dir", dir, "--duration", "60s", "--speed", "4",
		"--rate", "2e6", "--offline-sensor", ""}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	o.fusionConfig = func(c *fusion.Config) {
		c.AlertSettle = time.Hour
		for i, r := range c.Alerts.Rules {
			if r.Kind == alert.KindUnauthorisedUplink {
				c.Alerts.Rules[i].For = alert.Duration(2 * time.Hour) // held only while longer than the settle
			}
		}
	}
	var out strings.Builder
	if err := runDemo(context.Background(), o, &syncWriter{w: &out}, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	last := lines[len(lines)-1]
	if want := "simulated 1m0s done; state kept in " + dir; !strings.Contains(last, want) {
		t.Errorf("the last line is %q, want the closing line (%q):\n%s", last, want, out.String())
	}
	if !strings.Contains(out.String(), "alert pending") {
		t.Errorf("no phone alert announced as fusion stopped (none opened in the run?):\n%s", out.String())
	}
}
