package main

import (
	"context"
	"fmt"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store/influxtest"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
	"github.com/rfwarden/rfwarden/sensor/publish/brokertest"
)

// runSensor runs cmdSensor on a config of writeSensorConfig's, with its
// broker at broker and extra lines, until stop, which returns cmdSensor's
// error.
func runSensor(t *testing.T, broker string, extra ...string) (stdout, stderr *syncbuf.Buffer, stop func() error) {
	t.Helper()
	p := writeSensorConfig(t, fmt.Sprintf("mqtt: {url: %q}\n", broker)+strings.Join(extra, ""))
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &syncbuf.Buffer{}, &syncbuf.Buffer{}
	done := make(chan error, 1)
	go func() { done <- cmdSensor(ctx, []string{"--config", p}, stdout, stderr) }()
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { stop() })
	return stdout, stderr, stop
}

// waitLine waits until out has a line matching re, for at most 30 s.
func waitLine(t *testing.T, out, stderr *syncbuf.Buffer, re *regexp.Regexp) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !re.MatchString(out.String()); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no line matching %q; stdout %q; stderr %s", re, out.String(), stderr.String())
		}
	}
}

// TestServicesSayStartAndStop: an installer reading the journal saw no
// sign of a clean start of the sensor (its log is at warning level by
// default) nor of a clean stop of any service. Each prints, to stdout as
// fusion's and the dashboard's start banners, one line when it runs and
// one when it stops cleanly, naming why and what it closed.
func TestServicesSayStartAndStop(t *testing.T) {
	tests := []struct {
		name  string
		start func(t *testing.T) (stdout, stderr *syncbuf.Buffer, stop func() error)
		// wantStart is the start line; wantStop the stop line, printed
		// once, after it.
		wantStart, wantStop string
	}{
		{"sensor", func(t *testing.T) (*syncbuf.Buffer, *syncbuf.Buffer, func() error) {
			return runSensor(t, brokertest.Start(t, "rfw/#").URL())
		}, `(?m)^sensor: site site1, sensor s1, 1 band, source sim, broker tcp://\S+, outbox \S+outbox$`,
			`(?m)^sensor: stopped \(context canceled\): outbox \S+outbox closed, \d+ detections in it for the next start$`},
		{"fusion", func(t *testing.T) (*syncbuf.Buffer, *syncbuf.Buffer, func() error) {
			_, stdout, stderr, stop := runFusion(t, brokertest.Start(t, "rfw/#").URL(), "", nil)
			return stdout, stderr, stop
		}, `(?m)^fusion: site \S+, \d+ sensors, \d+ rooms, broker tcp://\S+, state \S*rfwarden.db, time series in SQLite, 90 days kept$`,
			`(?m)^fusion: stopped \(context canceled\): database \S*rfwarden.db closed$`},
		{"fusion with InfluxDB", func(t *testing.T) (*syncbuf.Buffer, *syncbuf.Buffer, func() error) {
			srv := influxtest.Start(t)
			_, stdout, stderr, stop := runFusion(t, brokertest.Start(t, "rfw/#").URL(),
				fmt.Sprintf("influx: {url: %q, database: rfwt, spool_dir: spool}\n", srv.URL), nil)
			return stdout, stderr, stop
		}, `(?m)^fusion: site .* time series in InfluxDB http://\S+$`,
			`(?m)^fusion: stopped \(context canceled\): database \S*rfwarden.db closed, InfluxDB spool \S*spool closed, 0 write batches in it for the next start$`},
		{"dashboard", func(t *testing.T) (*syncbuf.Buffer, *syncbuf.Buffer, func() error) {
			d := startDashboardArgs(t, "--db", t.TempDir()+"/rfw.db", "--create-db")
			return d.stdout, d.stderr, d.stop
		}, `(?m)^dashboard on http://127.0.0.1:\d+$`,
			`(?m)^dashboard: stopped \(context canceled\): HTTP server shut down, database \S+rfw.db closed$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, stop := tt.start(t)
			startRe := regexp.MustCompile(tt.wantStart)
			waitLine(t, stdout, stderr, startRe)
			if err := stop(); err != nil {
				t.Fatalf("stop: %v; stderr %s", err, stderr.String())
			}
			out := stdout.String()
			if n := len(startRe.FindAllString(out, -1)); n != 1 {
				t.Errorf("start line %d times, want once; stdout %q", n, out)
			}
			stops := regexp.MustCompile(tt.wantStop).FindAllStringIndex(out, -1)
			if len(stops) != 1 {
				t.Fatalf("stop line %d times, want once matching %q; stdout %q", len(stops), tt.wantStop, out)
			}
			if strings.Count(out, ": stopped (") != 1 {
				t.Errorf("stdout %q: want one stop line", out)
			}
			if start := startRe.FindStringIndex(out); start[0] > stops[0][0] {
				t.Errorf("stdout %q: stop line before the start line", out)
			}
		})
	}
}

// TestStopCauseNamesTheSignal: a service stopped by main's
// signal.NotifyContext names the signal in its stop line.
func TestStopCauseNamesTheSignal(t *testing.T) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGUSR1)
	defer stop()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("SIGUSR1 sent to the test process did not reach signal.NotifyContext within 10 s")
	}
	if got, want := stopCause(ctx), "user defined signal 1 signal received"; got != want {
		t.Errorf("stopCause = %q, want %q", got, want)
	}
	cctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got, want := stopCause(cctx), "context canceled"; got != want {
		t.Errorf("stopCause(cancelled) = %q, want %q", got, want)
	}
}
