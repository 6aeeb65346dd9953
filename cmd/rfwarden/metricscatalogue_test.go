package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rfwarden/rfwarden/sensor/publish/brokertest"
)

// TestMetricsCatalogue: docs/metrics.md is the operators' list of every
// metric each service exposes. Several metrics were documented nowhere,
// and a doc naming a metric no service has sends an alert rule to a series
// that never exists. Each service is started as an operator runs it, with
// every option that adds metrics set (the sensor's snippets; fusion's
// InfluxDB, webhook and syslog; the dashboard's live feed, evidence folder
// and InfluxDB; the demo), and every metric its registry describes (a
// labelled metric before its first count too) must have a row in
// docs/metrics.md; every row, and every metric the recommended alert rules
// name, must be a metric some service has. go_* and process_* are
// documented as a family; the demo's fusion_ metrics are fusion's under
// that prefix, as the doc says.
func TestMetricsCatalogue(t *testing.T) {
	doc, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	rows, ruled := catalogueRows(string(doc))
	if len(rows) == 0 {
		t.Fatal("docs/metrics.md has no metric rows (| `name` | ...)")
	}
	broker := brokertest.Start(t, "rfw/#")
	services := []struct {
		name  string
		start func(t *testing.T) (stop func() error)
	}{
		{"sensor", func(t *testing.T) func() error {
			stdout, stderr, stop := runSensor(t, broker.URL(), fmt.Sprintf("snippets: {dir: %q, max_count: 10, max_bytes: 1000000}\n", t.TempDir()))
			waitLine(t, stdout, stderr, regexp.MustCompile(`(?m)^sensor: site `))
			return stop
		}},
		{"fusion", func(t *testing.T) func() error {
			// InfluxDB that does not answer: fusion spools, and runs on
			t.Setenv("RFW_WEBHOOK_SECRET", "catalogue-test-secret")
			extra := fmt.Sprintf("influx: {url: 'http://%s', spool_dir: spool}\nwebhook: {url: 'http://%s/hook', allow_http: true}\nsyslog: {network: udp, addr: %q}\n",
				freeTCPAddr(t), freeTCPAddr(t), freeTCPAddr(t))
			_, stdout, stderr, stop := runFusion(t, broker.URL(), extra, nil)
			waitLine(t, stdout, stderr, regexp.MustCompile(`(?m)^fusion: site `))
			return stop
		}},
		{"dashboard", func(t *testing.T) func() error {
			d := startDashboardArgs(t, "--db", filepath.Join(t.TempDir(), "rfw.db"), "--create-db", "--site", "../../testdata/sites/wing.yaml",
				"--mqtt", broker.URL(), "--snippet-dir", t.TempDir(), "--influx", "http://"+freeTCPAddr(t))
			return d.stop
		}},
		{"demo", func(t *testing.T) func() error {
			o := demoOptions{listen: "127.0.0.1:0", speed: 100, seed: 1, dir: t.TempDir(), rateHz: 2e6, duration: time.Hour,
				offlineAfter: time.Hour, statusEvery: time.Hour}
			ctx, cancel := context.WithCancel(context.Background())
			up := make(chan struct{})
			done := make(chan error, 1)
			go func() {
				done <- runDemo(ctx, o, io.Discard, io.Discard, func(demoInfo) { close(up) })
			}()
			select {
			case <-up:
			case err := <-done:
				t.Fatalf("the demo returned before it was up: %v", err)
			case <-time.After(120 * time.Second):
				cancel()
				t.Fatalf("the demo was not up in 120 s: %v", <-done)
			}
			return func() error { cancel(); return <-done }
		}},
	}
	exposed := map[string][]string{}       // metric name: the services that have it
	labels := map[string]map[string]bool{} // metric name: its label names, variable and constant
	types := map[string]string{}           // metric name: its type, of those with a series
	for _, s := range services {
		var mu sync.Mutex
		var regs []*prometheus.Registry
		serviceRegistryMade = func(r *prometheus.Registry) { mu.Lock(); regs = append(regs, r); mu.Unlock() }
		stop := s.start(t)
		if err := stop(); err != nil {
			t.Errorf("%s: %v", s.name, err)
		}
		serviceRegistryMade = nil
		if len(regs) != 1 {
			t.Fatalf("%s made %d service registries, want 1", s.name, len(regs))
		}
		mfs, err := regs[0].Gather()
		if err != nil {
			t.Errorf("%s: gather: %v", s.name, err)
		}
		for _, mf := range mfs {
			types[strings.TrimPrefix(mf.GetName(), "fusion_")] = strings.ToLower(mf.GetType().String())
		}
		for name, ls := range describedLabels(t, regs[0]) {
			exposed[name] = append(exposed[name], s.name)
			if labels[name] == nil {
				labels[name] = map[string]bool{}
			}
			for l := range ls {
				labels[name][l] = true
			}
		}
	}
	for name, by := range exposed {
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
			continue
		}
		doc := name
		if slices.Equal(by, []string{"demo"}) && strings.HasPrefix(name, "fusion_rfw_fusion_") {
			doc = strings.TrimPrefix(name, "fusion_") // the demo's fusion metrics, as the doc says
		}
		row, ok := rows[doc]
		if !ok {
			t.Errorf("%s (%s) has no row in docs/metrics.md", name, strings.Join(by, ", "))
			continue
		}
		if want := slices.Sorted(maps.Keys(labels[name])); !slices.Equal(row.labels, want) {
			t.Errorf("docs/metrics.md gives %s the labels %q; it has %q", doc, row.labels, want)
		}
	}
	for name, row := range rows {
		if len(exposed[name]) == 0 {
			t.Errorf("docs/metrics.md has a row for %s, which no service exposes", name)
		}
		// a metric with no series yet has no type but by the doc's rule: a
		// name ending _total is a counter, the rest gauges
		want, ok := types[name]
		if !ok {
			want = map[bool]string{true: "counter", false: "gauge"}[strings.HasSuffix(name, "_total")]
		}
		if row.typ != want {
			t.Errorf("docs/metrics.md gives %s the type %q, want %q", name, row.typ, want)
		}
	}
	for _, name := range ruled {
		if len(exposed[name]) == 0 {
			t.Errorf("a recommended alert rule in docs/metrics.md uses %s, which no service exposes", name)
		}
	}
	for _, want := range []string{"rfwarden_mqtt_connected", "rfw_fusion_mqtt_connected", "rfwarden_dashboard_mqtt_connected",
		"rfwarden_snippets_bytes", "rfw_fusion_influx_spooled_batches", "rfw_fusion_notify_failed_total",
		"rfwarden_dashboard_evidence_refused_total", "rfwarden_dashboard_influxdb_up", "fusion_rfw_fusion_detections_total", "rfw_embroker_dropped_messages_total"} {
		if len(exposed[want]) == 0 {
			t.Errorf("no service exposed %s: the test did not start the services with every option", want)
		}
	}
}

// catalogueRow is a metric's row in docs/metrics.md: its type, and its
// label names, sorted ("none": no labels).
type catalogueRow struct {
	typ    string
	labels []string
}

// catalogueRows returns the rows of docs/metrics.md's metric tables
// (| `name` | type | labels | unit | meaning |), by metric name, and the
// metric names the Prometheus rules in its yaml blocks use.
func catalogueRows(doc string) (rows map[string]catalogueRow, ruled []string) {
	rows = map[string]catalogueRow{}
	row := regexp.MustCompile("(?m)^\\| `([a-z_:][a-z0-9_:]*)` \\| ([a-z]+) \\| ([^|]*) \\|")
	label := regexp.MustCompile("`([a-zA-Z_][a-zA-Z0-9_]*)`")
	for _, m := range row.FindAllStringSubmatch(doc, -1) {
		r := catalogueRow{typ: m[2], labels: []string{}}
		for _, l := range label.FindAllStringSubmatch(m[3], -1) {
			r.labels = append(r.labels, l[1])
		}
		slices.Sort(r.labels)
		rows[m[1]] = r
	}
	metric := regexp.MustCompile(`\b(?:rfw|rfwarden)_[a-z0-9_]*[a-z0-9]\b`)
	for _, block := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(doc, -1) {
		for _, line := range strings.Split(block[1], "\n") {
			if e, ok := strings.CutPrefix(strings.TrimSpace(line), "expr:"); ok {
				ruled = append(ruled, metric.FindAllString(e, -1)...)
			}
		}
	}
	return rows, ruled
}

// describedLabels returns the name of every metric reg describes, with
// its label names, variable and constant: a labelled metric is there
// before its first count, as it is not in Gather.
func describedLabels(t *testing.T, reg *prometheus.Registry) map[string]map[string]bool {
	t.Helper()
	ch := make(chan *prometheus.Desc)
	go func() { reg.Describe(ch); close(ch) }()
	// Desc has no accessors: its String is
	// Desc{fqName: "n", help: "h", unit: "", constLabels: {a="x",b="y"}, variableLabels: {c,d}}
	desc := regexp.MustCompile(`^Desc\{fqName: "([^"]+)", .*constLabels: \{([^}]*)\}, variableLabels: \{([^}]*)\}\}$`)
	names := map[string]map[string]bool{}
	for d := range ch {
		m := desc.FindStringSubmatch(d.String())
		if m == nil {
			t.Errorf("a prometheus.Desc not in the expected form: %s", d)
			continue
		}
		ls := map[string]bool{}
		for _, c := range regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="`).FindAllStringSubmatch(m[2], -1) {
			ls[c[1]] = true
		}
		for v := range strings.SplitSeq(m[3], ",") {
			if v != "" {
				ls[v] = true
			}
		}
		names[m[1]] = ls
	}
	return names
}
