package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/internal/sitedoc"
	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/config"
	"github.com/rfwarden/rfwarden/sensor/publish/brokertest"
)

func writeSensorConfig(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "node.yaml")
	body := fmt.Sprintf(`site: site1
sensor: s1
outbox: {dir: %q}
source: {kind: sim, seed: 1, sample_rate_hz: 2e6}
health: {interval: 1s}
bands:
  - {name: ism2400, low_hz: 2430e6, high_hz: 2440e6, dwell: 20ms, max_revisit: 2s}
%s`, filepath.Join(dir, "outbox"), extra)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCmdSensorCheck(t *testing.T) {
	p := writeSensorConfig(t, "")
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"sensor", "--check", "--config", p}, &out, &errb); err != nil {
		t.Fatalf("check: %v (%s)", err, errb.String())
	}
	if !strings.Contains(out.String(), "ok (site site1, sensor s1, 1 band)") {
		t.Errorf("output %q", out.String())
	}
	bad := writeSensorConfig(t, "bogus: 1\n")
	err := run(context.Background(), []string{"sensor", "--config", bad}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("bad config: got %v, want an error naming the unknown field", err)
	}
	if err := run(context.Background(), []string{"sensor"}, &out, &errb); err == nil {
		t.Error("missing --config accepted")
	}
}

// TestCmdSensorRunsAgainstBroker: given a broker and http_addr
// 127.0.0.1:0, the sensor publishes health, and its start line names the
// address it bound (it printed 127.0.0.1:0).
func TestCmdSensorRunsAgainstBroker(t *testing.T) {
	b := brokertest.Start(t, "rfw/#")
	p := writeSensorConfig(t, fmt.Sprintf("mqtt: {url: %q}\nhttp_addr: 127.0.0.1:0\n", b.URL()))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"sensor", "--config", p}, &out, &errb); err != nil {
		t.Fatalf("run: %v (%s)", err, errb.String())
	}
	var health int
	for _, m := range b.Messages() {
		if strings.HasSuffix(m.Topic, "/health") {
			if _, err := event.DecodeHealth(m.Payload); err != nil {
				t.Fatalf("health: %v", err)
			}
			health++
		}
	}
	if health == 0 {
		t.Errorf("no health published in 3 s (stderr: %s)", errb.String())
	}
	if m := regexp.MustCompile(`health and metrics on (127\.0\.0\.1:\d+)\n`).FindStringSubmatch(out.String()); m == nil || m[1] == "127.0.0.1:0" {
		t.Errorf("start line does not name the bound address: %q", out.String())
	}
}

// TestOpenSourceKinds: hackrf_transfer opens a HackRF source (nothing runs
// until the first block), an unwired kind is refused by name.
func TestOpenSourceKinds(t *testing.T) {
	cfg := config.Default()
	cfg.Source = config.Source{Kind: config.SourceHackRFTransfer, SampleRateHz: 10e6, Serial: "0000000000000000a06063c8234e925f"}
	src, err := openSource(cfg, nil)
	if err != nil {
		t.Fatalf("hackrf_transfer: %v", err)
	}
	if _, ok := src.(sensor.Tuner); !ok {
		t.Error("hackrf_transfer source cannot be tuned by the scan plan")
	}
	src.Close()
	cfg.Source = config.Source{Kind: config.SourceHackRF}
	if _, err := openSource(cfg, nil); err == nil || !strings.Contains(err.Error(), "hackrf") {
		t.Errorf("cgo hackrf kind: %v, want a refusal naming it", err)
	}
}

// TestOpenSimSource: the sim source is the node config's: its gains: table
// sets each tuning's gain (every tuning ran at the automatic gain), and a
// sensor: that is not one of the simulated wing's is an error naming the
// valid ones, at --check too (s1 was substituted silently).
func TestOpenSimSource(t *testing.T) {
	cfg := config.Default()
	cfg.Site, cfg.Sensor = "site1", "s3"
	cfg.Source = config.Source{Kind: config.SourceSim, SampleRateHz: 2e6, Seed: 1}
	cfg.Gains = []config.Gain{{LowHz: 0, HighHz: 1e9, GainDB: 40}, {LowHz: 1e9, HighHz: 7.25e9, GainDB: 46}}
	src, err := openSource(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, ok := src.(sensor.GainSetter); !ok {
		t.Errorf("the sim source is not a GainSetter: the agent's AGC cannot change its gain")
	}
	for _, tc := range []struct{ centerHz, wantDB float64 }{{2437e6, 46}, {902e6, 40}} {
		if err := src.(sensor.Tuner).Tune(tc.centerHz, 2e6); err != nil {
			t.Fatal(err)
		}
		b, err := src.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if b.GainDB != tc.wantDB {
			t.Errorf("at %v Hz: gain %v dB, want the gain table's %v dB", tc.centerHz, b.GainDB, tc.wantDB)
		}
	}

	cfg.Sensor = "wing-a-1"
	const want = `source.kind sim: sensor "wing-a-1" is not one of the simulated wing's: s1, s2, s3, s4, s5, s6, s7, s8, s9`
	if _, err := openSource(cfg, nil); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("unknown sim sensor: err = %v, want one containing %q", err, want)
	}
	p := writeSensorConfig(t, "")
	body, _ := os.ReadFile(p)
	os.WriteFile(p, bytes.Replace(body, []byte("sensor: s1"), []byte("sensor: wing-a-1"), 1), 0o600)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"sensor", "--check", "--config", p}, &out, io.Discard); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("--check of an unknown sim sensor: err = %v (%s), want one containing %q", err, out.String(), want)
	}
}

// TestSensorSimSiteFile: a sim source with source.site_file (relative to
// node.yaml's folder) simulates that site: --check takes a sensor of it
// and the source yields samples; a sensor not in it, a site: other than
// its id, a missing file and a site without cells are refused, naming
// what to do (the sim source knew the demo wing alone).
func TestSensorSimSiteFile(t *testing.T) {
	_, example := sitedoc.Example(t, "../..")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "site.yaml"), example, 0o644); err != nil {
		t.Fatal(err)
	}
	noCell := bytes.ReplaceAll(example, []byte("kind: cell"), []byte("kind: office"))
	if err := os.WriteFile(filepath.Join(dir, "nocell.yaml"), noCell, 0o644); err != nil {
		t.Fatal(err)
	}
	node := func(site, sensor, siteFile string) string {
		p := filepath.Join(dir, "node.yaml")
		body := fmt.Sprintf("site: %s\nsensor: %s\noutbox: {dir: %q}\nsource: {kind: sim, seed: 1, sample_rate_hz: 2e6, site_file: %s}\nbands:\n  - {name: b20, low_hz: 832e6, high_hz: 862e6}\n",
			site, sensor, filepath.Join(dir, "outbox"), siteFile)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	site := filepath.Join(dir, "site.yaml")
	for _, tc := range []struct{ site, sensor, file, want string }{
		{"hmp-example", "c-2", "site.yaml", ""},
		{"hmp-example", "s1", "site.yaml", `source.kind sim: sensor "s1" is not one of source.site_file ` + site + `'s sensors: c-1, c-2, c-3, c-yard`},
		{"hmp-demo", "c-2", "site.yaml", `source.kind sim: site "hmp-demo" is not the id of source.site_file ` + site + `, "hmp-example": fusion hears only its site file's id; make site: hmp-example`},
		{"hmp-example", "c-2", "gone.yaml", "source.kind sim: source.site_file: open " + filepath.Join(dir, "gone.yaml") + ": no such file"},
		{"hmp-example", "c-2", "nocell.yaml", `no room of kind cell: the simulator places its phones in cells`},
	} {
		p := node(tc.site, tc.sensor, tc.file)
		var out bytes.Buffer
		err := run(context.Background(), []string{"sensor", "--check", "--config", p}, &out, io.Discard)
		if tc.want == "" {
			if err != nil || !strings.Contains(out.String(), "ok (site hmp-example, sensor c-2") {
				t.Errorf("--check of sensor c-2 of the site file: %v (%s)", err, out.String())
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--check of site %s sensor %s site_file %s: err = %v, want one containing %q", tc.site, tc.sensor, tc.file, err, tc.want)
		}
	}
	cfg, err := config.Load(node("hmp-example", "c-2", "site.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := openSource(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if b, err := src.Next(context.Background()); err != nil || len(b.Samples) == 0 {
		t.Errorf("the site's sensor c-2: first block %d samples, %v", len(b.Samples), err)
	}
}

// TestSensorStopLineSaysLost: a stop with the outbox's disk full logged
// "detections lost" and then printed a stop line that said nothing of
// them; it names them, and says nothing more when none was lost.
func TestSensorStopLineSaysLost(t *testing.T) {
	for _, tc := range []struct {
		lost int64
		want string
	}{
		{0, "sensor: stopped (terminated signal received): outbox /var/lib/rfwarden/outbox closed, 466 detections in it for the next start"},
		{247, "sensor: stopped (terminated signal received): outbox /var/lib/rfwarden/outbox closed, 466 detections in it for the next start, 247 detections lost: its disk refused them (free space on it; the log has the error)"},
	} {
		if got := sensorStopLine("terminated signal received", "/var/lib/rfwarden/outbox", 466, tc.lost); got != tc.want {
			t.Errorf("lost %d: %q, want %q", tc.lost, got, tc.want)
		}
	}
}
