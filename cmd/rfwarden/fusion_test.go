package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/mqttlink"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/locate"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/influxtest"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
	"github.com/rfwarden/rfwarden/internal/embroker"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
	"github.com/rfwarden/rfwarden/sensor/publish/brokertest"
)

// runFusion writes fusion.yaml (the test wing, broker, a seen file and
// extra lines) into a fresh directory, calls prepare (when not nil) with
// it, and runs cmdFusion there, with args after --config, until stop,
// which returns cmdFusion's error.
func runFusion(t *testing.T, broker, extra string, prepare func(dir string), args ...string) (dir string, stdout, stderr *syncbuf.Buffer, stop func() error) {
	t.Helper()
	dir = t.TempDir()
	if prepare != nil {
		prepare(dir)
	}
	siteAbs, err := filepath.Abs("../../testdata/sites/wing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("site: %s\nbroker: %s\nclient_id: fusion-test\nseen_file: seen\n%s", siteAbs, broker, extra)
	if err := os.WriteFile(filepath.Join(dir, "fusion.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, stop = runFusionIn(t, dir, args...)
	return dir, stdout, stderr, stop
}

// runFusionIn runs cmdFusion on the fusion.yaml in dir, with args after
// --config, until stop, which returns cmdFusion's error.
func runFusionIn(t *testing.T, dir string, args ...string) (stdout, stderr *syncbuf.Buffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &syncbuf.Buffer{}, &syncbuf.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- cmdFusion(ctx, append([]string{"--config", filepath.Join(dir, "fusion.yaml")}, args...), stdout, stderr)
	}()
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			return errors.New("fusion did not stop")
		}
	}
	t.Cleanup(func() { stop() })
	return stdout, stderr, stop
}

// publishPhone publishes, once a second of capture time from start, the
// detections every sensor of the test wing would make of a 20 dBm LTE
// handset in cell B2-14, until fusion's first alert reaches the broker; it
// returns that alert.
func publishPhone(t *testing.T, b *brokertest.Broker, start time.Time, stderr *syncbuf.Buffer) event.Alert {
	t.Helper()
	a, ok := publishPhoneRounds(t, b, start, 40)
	if !ok {
		t.Fatalf("no alert published; stderr:\n%s", stderr.String())
	}
	if a.Room != "B2-14" || a.State != event.AlertPending {
		t.Errorf("alert %+v, want pending in B2-14", a)
	}
	return a
}

// publishPhoneRounds publishes publishPhone's detections for at most
// rounds seconds of capture time from start, and returns the first alert
// that reached the broker, if one did.
func publishPhoneRounds(t *testing.T, b *brokertest.Broker, start time.Time, rounds int) (event.Alert, bool) {
	t.Helper()
	s, err := site.LoadFile("../../testdata/sites/wing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	l, err := locate.New(s, locate.Model{})
	if err != nil {
		t.Fatal(err)
	}
	pub := testClient(t, b.URL(), "sensors")
	got := false
	for round := 0; round < rounds && !got; round++ {
		at := start.Add(time.Duration(round) * time.Second)
		// Not ahead of fusion's clock by more than its tolerance
		// (fusion.Config.MaxAhead, 1 s): a round a second of capture time
		// goes out faster than that.
		if ahead := time.Until(at); ahead > 500*time.Millisecond {
			time.Sleep(ahead - 500*time.Millisecond)
		}
		// a round's detections go out together, as the sensors' would: waiting
		// for each acknowledgement in turn spread them over more than fusion's
		// 500 ms association window on a loaded machine, and the phone was
		// located from the first few sensors' alone
		var toks []mqtt.Token
		for _, sn := range s.Sensors {
			// A 20 dBm EIRP handset: the model's profiled power is the EIRP
			// less the free-space loss at the reference distance.
			pw, _ := l.PredictDBm(sn.ID, sn.Floor, site.Point{X: 26, Y: 10}, 20-l.RefLossDB(1.75e9))
			d := event.Detection{Schema: 1, ID: fmt.Sprintf("c-%d-%d-%s", start.UnixNano(), round, sn.ID), Site: s.ID, Sensor: sn.ID, TimeNS: at.UnixNano(),
				CenterHz: 1.75e9, BandwidthHz: 5e6, PowerDBm: pw, SNRDB: 30, Link: event.LinkUplink, Class: event.ClassLTE, Confidence: 0.9, Band: "b3"}
			payload, err := event.Encode(d)
			if err != nil {
				t.Fatal(err)
			}
			toks = append(toks, pub.Publish(event.SensorTopic(s.ID, sn.ID, event.KindDetection), 1, false, payload))
		}
		for _, tok := range toks {
			tok.WaitTimeout(time.Second)
		}
		got = b.WaitFor(250*time.Millisecond, func(ms []brokertest.Message) bool { return len(ms) > 0 })
	}
	if !got {
		return event.Alert{}, false
	}
	a, err := event.DecodeAlert(b.Messages()[0].Payload)
	if err != nil {
		t.Fatal(err)
	}
	return a, true
}

// storedDetections counts the detections in a SQLite file of fusion.
func storedDetections(t *testing.T, db *store.SQLite) int {
	t.Helper()
	var n int
	if err := db.DB().QueryRow(`select count(*) from detection`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCmdFusion runs fusion against an in-process broker, publishes one
// phone's detections from every sensor and waits for the pending alert.
func TestCmdFusion(t *testing.T) {
	b := brokertest.Start(t, "rfw/v1/+/alert")
	udp := syslogCollector(t)
	// History older than history_days is pruned from SQLite when fusion
	// starts (and every hour).
	old := storetest.Detection("hmp-test", "old", time.Now().AddDate(0, 0, -8), "B2-14", false)
	httpAddr := freeTCPAddr(t)
	dir, stdout, stderr, stop := runFusion(t, b.URL(), fmt.Sprintf("syslog: {network: udp, addr: %q}\nhistory_days: 7\nhttp_addr: %s\n", udp.LocalAddr(), httpAddr), func(dir string) {
		db, err := store.OpenSQLite(filepath.Join(dir, "rfwarden.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.WriteDetections(context.Background(), []store.DetectionRecord{old}); err != nil {
			t.Fatal(err)
		}
	})
	// a dashboard's live floor plan: fusion publishes what it locates
	locs := make(chan []byte, 100)
	dash := testClient(t, b.URL(), "dashboard")
	if tok := dash.Subscribe("rfw/v1/+/location", 0, func(_ mqtt.Client, m mqtt.Message) {
		select {
		case locs <- m.Payload():
		default:
		}
	}); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	publishPhone(t, b, time.Now(), stderr)
	select {
	case p := <-locs:
		if l, err := event.DecodeLocation(p); err != nil || l.Room != "B2-14" || l.Site != "hmp-test" || l.Class != event.ClassLTE {
			t.Errorf("live location %+v, %v; want the phone in B2-14", l, err)
		}
	case <-time.After(15 * time.Second):
		t.Error("fusion published no live location")
	}
	buf := make([]byte, 4096)
	udp.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := udp.ReadFrom(buf)
	if err != nil {
		t.Fatalf("no syslog message: %v", err)
	}
	if msg := string(buf[:n]); !strings.HasPrefix(msg, "<130>1 ") || !strings.Contains(msg, `room="B2-14"`) {
		t.Errorf("syslog message %q", msg)
	}
	// health and metrics, for the site's monitoring
	code, body := httpGet(t, "http://"+httpAddr+"/healthz")
	var h fusionHealth
	if err := json.Unmarshal([]byte(body), &h); err != nil || code != 200 || h.State != "ok" || !h.BrokerConnected || !h.DatabaseOK || h.Site != "hmp-test" || h.ActiveAlerts == 0 {
		t.Errorf("/healthz: %d %s (%v)", code, body, err)
	}
	code, body = httpGet(t, "http://"+httpAddr+"/metrics")
	for _, want := range []string{"rfw_fusion_detections_total", `rfw_fusion_alerts_total{rule="unauthorised-uplink-in-cell",severity="critical",state="pending"} 1`, "go_goroutines", "process_cpu_seconds_total"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics (%d) lacks %s", code, want)
		}
	}
	b.Stop() // the broker goes away: fusion is degraded
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		code, body = httpGet(t, "http://"+httpAddr+"/healthz")
		if code == 503 && strings.Contains(body, `"broker_connected":false`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz without a broker: %d %s, want 503", code, body)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("fusion: %v", err)
	}
	if !strings.Contains(stdout.String(), "site hmp-test") || !strings.Contains(stdout.String(), "time series in SQLite") {
		t.Errorf("stdout %q", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "seen")); err != nil {
		t.Errorf("seen file not saved: %v", err)
	}
	// The state the dashboard reads: alerts and detections in rfwarden.db
	// beside the config.
	db, err := store.OpenSQLite(filepath.Join(dir, "rfwarden.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if as, err := db.Alerts(context.Background(), store.AlertFilter{Site: "hmp-test"}); err != nil || len(as) == 0 || as[0].Room != "B2-14" {
		t.Errorf("stored alerts %+v, %v; want the B2-14 alert", as, err)
	}
	if n := storedDetections(t, db); n == 0 {
		t.Error("no detections stored in SQLite")
	}
	var stale int
	if err := db.DB().QueryRow(`select count(*) from detection where id = 'old'`).Scan(&stale); err != nil || stale != 0 {
		t.Errorf("the 8-day-old detection is still stored (%d, %v) with history_days 7", stale, err)
	}
	if !strings.Contains(stdout.String(), "7 days kept") {
		t.Errorf("stdout %q does not say how much history is kept", stdout.String())
	}
}

// syslogCollector is a UDP syslog collector on 127.0.0.1 for fusion's
// syslog output, closed when the test ends.
func syslogCollector(t *testing.T) net.PacketConn {
	t.Helper()
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { udp.Close() })
	return udp
}

// TestCmdAckReachesOutputs: an acknowledgement taken in a dashboard
// process (sharing fusion's SQLite file, as deployed) reaches fusion's
// outputs: the alert is published again on MQTT, which every other
// dashboard's live feed reads, and sent to syslog, with who acknowledged it.
func TestCmdAckReachesOutputs(t *testing.T) {
	b := brokertest.Start(t, "rfw/v1/+/alert")
	udp := syslogCollector(t)
	httpAddr := freeTCPAddr(t)
	dir, _, stderr, stop := runFusion(t, b.URL(), fmt.Sprintf("syslog: {network: udp, addr: %q}\nhttp_addr: %s\n", udp.LocalAddr(), httpAddr), nil)
	a := publishPhone(t, b, time.Now(), stderr)

	// the acknowledgement's announcement (rfw/v1/{site}/ack) as the
	// broker routes it: a failure tells an announcement the broker never
	// routed from one fusion did not handle
	var routed syncbuf.Buffer
	watch := testClient(t, b.URL(), "ack-watch")
	if tok := watch.Subscribe(event.AckTopic("hmp-test"), 1, func(_ mqtt.Client, m mqtt.Message) {
		fmt.Fprintf(&routed, "%s %s\n", time.Now().Format(time.RFC3339Nano), m.Payload())
	}); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe to the announcements: %v", tok.Error())
	}
	dash := startDashboardArgs(t, "--db", filepath.Join(dir, "rfwarden.db"), "--site", "../../testdata/sites/wing.yaml", "--mqtt", b.URL(), "-v")
	defer dash.stop()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("announcements the broker routed:\n%s\nits subscribers now: %q\nfusion at the broker: %s\nthe dashboard's log:\n%s\nfusion's log:\n%s",
				routed.String(), b.Subscribers(event.AckTopic("hmp-test")), b.Client("fusion-test"), dash.stderr.String(), stderr.String())
		}
	})
	if code, body := loginDemo(t, dash.demoInfo).send(http.MethodPost, "/api/v1/alerts/"+a.ID+"/ack", `{"note":"cell searched"}`); code != http.StatusOK {
		t.Fatalf("ack: %d %s", code, body)
	}

	acked := func(ms []brokertest.Message) bool {
		for _, m := range ms {
			if got, err := event.DecodeAlert(m.Payload); err == nil && got.ID == a.ID && got.AckBy == dash.User && got.AckNote == "cell searched" {
				return true
			}
		}
		return false
	}
	// what fusion made of the announcement, read while it runs: a
	// dead letter (reason "ack") is logged at debug level only; the
	// backlog tells an announcement waiting in fusion's inbox from one
	// that never reached fusion (CI failed once with the acks counters at
	// 0, and 83 loaded runs did not fail again)
	ackMetrics := func() string {
		_, metrics := httpGet(t, "http://"+httpAddr+"/metrics")
		return grepLines(metrics, "rfw_fusion_acks_total") + grepLines(metrics, "rfw_fusion_dead_letter_total") +
			grepLines(metrics, "rfw_fusion_backlog_messages")
	}
	if !b.WaitFor(15*time.Second, acked) {
		t.Errorf("fusion did not publish the alert acknowledged; its metrics:\n%s", ackMetrics())
	}
	buf := make([]byte, 4096)
	found := false
	for !found {
		udp.SetReadDeadline(time.Now().Add(15 * time.Second))
		n, _, err := udp.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no syslog message with the acknowledgement: %v; fusion's metrics:\n%s", err, ackMetrics())
		}
		found = strings.Contains(string(buf[:n]), `ack_by="`+dash.User+`"`)
	}
	_, metrics := httpGet(t, "http://"+httpAddr+"/metrics")
	if want := `rfw_fusion_acks_total{result="published"} 1`; !strings.Contains(metrics, want) {
		t.Errorf("fusion /metrics lacks %s", want)
	}
	if err := stop(); err != nil {
		t.Fatalf("fusion: %v", err)
	}
}

// TestCmdFusionInflux: with influx.url set, fusion writes the time series
// to InfluxDB alone (SQLite keeps the alerts), and the dashboard started
// with --influx shows them: the phone's room on the heatmap, its locations.
func TestCmdFusionInflux(t *testing.T) {
	srv := influxtest.Start(t)
	b := brokertest.Start(t, "rfw/v1/+/alert")
	httpAddr := freeTCPAddr(t)
	dir, stdout, stderr, stop := runFusion(t, b.URL(), fmt.Sprintf("influx: {url: %q, database: rfwt, spool_dir: spool}\nhttp_addr: %s\n", srv.URL, httpAddr), nil)
	// A minute in the past, so the dashboard's windows, which end now, hold
	// every detection.
	publishPhone(t, b, time.Now().Add(-time.Minute), stderr)
	if code, body := httpGet(t, "http://"+httpAddr+"/metrics"); code != 200 || !strings.Contains(body, "rfw_fusion_influx_spooled_batches") {
		t.Errorf("/metrics (%d) lacks rfw_fusion_influx_spooled_batches", code)
	} else if !strings.Contains(body, "rfw_fusion_influx_retention_seconds 7.776e+06") {
		// fusion made the database: its policy keeps history_days, 90 days
		t.Errorf("/metrics lacks rfw_fusion_influx_retention_seconds 7.776e+06 (90 days, history_days' default)")
	}
	// InfluxDB goes away while detections come: fusion spools them and says
	// it is degraded, then delivers them when InfluxDB is back.
	srv.Stop()
	publishPhone(t, b, time.Now().Add(-time.Minute), stderr)
	waitHealth := func(what string, ok func(code int, h fusionHealth) bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			code, body := httpGet(t, "http://"+httpAddr+"/healthz")
			var h fusionHealth
			if json.Unmarshal([]byte(body), &h) == nil && ok(code, h) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("/healthz %s: %d %s", what, code, body)
			}
		}
	}
	waitHealth("without InfluxDB", func(code int, h fusionHealth) bool {
		return code == 503 && h.InfluxError != "" && h.InfluxSpooled != nil && *h.InfluxSpooled > 0
	})
	srv.Restart()
	waitHealth("with InfluxDB back", func(code int, h fusionHealth) bool {
		return code == 200 && h.InfluxError == "" && h.InfluxSpooled != nil && *h.InfluxSpooled == 0
	})
	if err := stop(); err != nil { // flushes the spool to InfluxDB
		t.Fatalf("fusion: %v", err)
	}
	if !strings.Contains(stdout.String(), "time series in InfluxDB "+srv.URL) {
		t.Errorf("stdout %q", stdout.String())
	}
	db, err := store.OpenSQLite(filepath.Join(dir, "rfwarden.db"))
	if err != nil {
		t.Fatal(err)
	}
	if as, err := db.Alerts(context.Background(), store.AlertFilter{Site: "hmp-test"}); err != nil || len(as) == 0 {
		t.Errorf("stored alerts %+v, %v; want the B2-14 alert in SQLite", as, err)
	}
	if n := storedDetections(t, db); n != 0 {
		t.Errorf("%d detections in SQLite; want none there with InfluxDB configured", n)
	}
	db.Close()

	info := startDashboardArgs(t, "--db", filepath.Join(dir, "rfwarden.db"), "--site", "../../testdata/sites/wing.yaml",
		"--influx", srv.URL, "--influx-db", "rfwt")
	c := loginDemo(t, info.demoInfo)
	var heat []struct {
		Room  string `json:"room"`
		Count int64  `json:"count"`
	}
	c.get("/api/v1/heatmap?window=day", &heat)
	var total int64
	for _, h := range heat {
		total += h.Count
		if h.Count > 0 && h.Room != "B2-14" {
			t.Errorf("heatmap: %d in %s, want only B2-14", h.Count, h.Room)
		}
	}
	if total == 0 {
		t.Errorf("heatmap from InfluxDB is empty: %+v", heat)
	}
	var ans struct {
		Fixes []store.LocationRecord `json:"fixes"`
	}
	c.get("/api/v1/locations?minutes=10", &ans)
	locs := ans.Fixes
	if len(locs) == 0 || locs[0].Room != "B2-14" {
		t.Errorf("locations from InfluxDB: %+v, want B2-14", locs)
	}
	if err := info.stop(); err != nil {
		t.Errorf("dashboard: %v", err)
	}
}

func TestCmdFusionErrors(t *testing.T) {
	t.Setenv("RFW_FUSION_CONFIG", "")
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("site: x.yaml\ncolour: red\n"), 0o644)
	nosite := filepath.Join(dir, "nosite.yaml")
	os.WriteFile(nosite, []byte("broker: tcp://127.0.0.1:1\n"), 0o644)
	badInflux := filepath.Join(dir, "influx.yaml")
	os.WriteFile(badInflux, []byte("site: x.yaml\ninflux: {url: 'ftp://db'}\n"), 0o644)
	badSyslog := filepath.Join(dir, "syslog.yaml")
	os.WriteFile(badSyslog, []byte("site: x.yaml\nsyslog: {network: smoke, addr: 'x:1'}\n"), 0o644)
	tests := []struct {
		args []string
		want string
	}{
		{nil, "--config is required (or RFW_FUSION_CONFIG)"}, // the usage alone said nothing of it
		{[]string{"--config", bad, "extra"}, "usage"},
		{[]string{"--config", filepath.Join(dir, "none.yaml")}, "open fusion config"},
		{[]string{"--config", bad}, "colour"},
		{[]string{"--config", nosite}, "site: missing"},
		{[]string{"--config", badSyslog}, "syslog.network"},
		{[]string{"--config", badInflux}, "influx.url"},
	}
	for _, tt := range tests {
		err := cmdFusion(context.Background(), tt.args, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: got %v, want error containing %q", tt.args, err, tt.want)
		}
	}
}

// freeTCPAddr returns a loopback address with a port free a moment ago.
func freeTCPAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// testClient connects an MQTT client to broker as id, disconnected when
// the test ends.
func testClient(t *testing.T, broker, id string) mqtt.Client {
	t.Helper()
	return testClientLogin(t, broker, id, "", "")
}

// testClientLogin is testClient logging in as user with password (none
// for "").
func testClientLogin(t *testing.T, broker, id, user, password string) mqtt.Client {
	t.Helper()
	o := mqttlink.NewClientOptions().AddBroker(broker).SetClientID(id)
	if user != "" {
		o.SetUsername(user).SetPassword(password)
	}
	c := mqtt.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect to %s as %s: %v", broker, id, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

// httpGet returns the status and body of a GET, failing the test on a
// transport error.
func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestCmdRegistryReachesFusion: fusion and the dashboard each hold the
// registry in memory. An entry an admin adds in the dashboard's process
// (here a Registry of the test's own on fusion's database) stops fusion
// alerting on that device, and revoking it makes fusion alert again,
// without restarting fusion.
func TestCmdRegistryReachesFusion(t *testing.T) {
	b := brokertest.Start(t, "rfw/v1/+/alert")
	httpAddr := freeTCPAddr(t)
	dir, _, stderr, stop := runFusion(t, b.URL(), "http_addr: "+httpAddr+"\n", nil)
	metricsHave := func(want string) { t.Helper(); waitMetrics(t, httpAddr, want, stderr) }
	metricsHave("rfw_fusion_registry_entries 0")

	db, err := store.OpenSQLite(filepath.Join(dir, "rfwarden.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	dash, err := registry.Open(ctx, db.DB(), db, registry.Options{Location: time.Local})
	if err != nil {
		t.Fatal(err)
	}
	e, err := dash.Add(ctx, registry.Entry{Name: "officer's phone", Kind: registry.KindOfficialPhone,
		Signature: registry.Signature{Class: event.ClassLTE, FreqMinHz: 1.71e9, FreqMaxHz: 1.785e9},
		ValidFrom: time.Now().Add(-time.Hour)}, "admin")
	if err != nil {
		t.Fatal(err)
	}
	metricsHave("rfw_fusion_registry_entries 1")
	if a, ok := publishPhoneRounds(t, b, time.Now(), 8); ok {
		t.Fatalf("fusion alerted on a registered device: %+v", a)
	}

	revoked := time.Now()
	if _, err := dash.Expire(ctx, e.ID, "admin", revoked); err != nil {
		t.Fatal(err)
	}
	metricsHave(`rfw_fusion_registry_reloads_total{result="ok"} 2`)
	publishPhone(t, b, revoked.Add(time.Second), stderr)
	if !strings.Contains(stderr.String(), "registry: reloaded after a change elsewhere") {
		t.Errorf("fusion's log does not say it reloaded the registry:\n%s", stderr.String())
	}
	if err := stop(); err != nil {
		t.Fatalf("fusion: %v", err)
	}
}

// TestCmdFusionStartsWithUndecodableRegistryRow: one registry row whose
// stored body does not decode (a hand edit, a torn write) made fusion
// refuse to start. It starts; the row authorises nothing, is logged at
// ERROR naming its ID, and counted as a problem entry.
func TestCmdFusionStartsWithUndecodableRegistryRow(t *testing.T) {
	b := brokertest.Start(t, "rfw/v1/+/alert")
	httpAddr := freeTCPAddr(t)
	_, _, stderr, stop := runFusion(t, b.URL(), "http_addr: "+httpAddr+"\n", func(dir string) {
		db, err := store.OpenSQLite(filepath.Join(dir, "rfwarden.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ctx := context.Background()
		reg, err := registry.Open(ctx, db.DB(), db, registry.Options{Location: time.Local})
		if err != nil {
			t.Fatal(err)
		}
		e, err := reg.Add(ctx, registry.Entry{Name: "officer's phone", Kind: registry.KindOfficialPhone,
			Signature: registry.Signature{Class: event.ClassLTE, FreqMinHz: 1.71e9, FreqMaxHz: 1.785e9}}, "admin")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.DB().ExecContext(ctx, `UPDATE registry_entry SET body = '{"name": "officer' WHERE id = ?`, e.ID); err != nil {
			t.Fatal(err)
		}
	})
	waitMetrics(t, httpAddr, "rfw_fusion_registry_entries 1", stderr)
	waitMetrics(t, httpAddr, "rfw_fusion_registry_problems 1", stderr)
	if log := stderr.String(); !strings.Contains(log, "level=ERROR") || !strings.Contains(log, "does not decode") || !strings.Contains(log, "id=1") {
		t.Errorf("fusion's log does not name entry 1 as an error:\n%s", log)
	}
	if err := stop(); err != nil {
		t.Fatalf("fusion: %v", err)
	}
}

// waitMetrics waits until the /metrics of fusion at addr holds want.
func waitMetrics(t *testing.T, addr, want string, stderr *syncbuf.Buffer) {
	t.Helper()
	c := http.Client{Timeout: 2 * time.Second}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		resp, err := c.Get("http://" + addr + "/metrics")
		if err != nil {
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), want) {
			return
		}
	}
	t.Fatalf("fusion's /metrics never showed %q; fusion's log:\n%s", want, stderr.String())
}

// TestCmdMaintenanceSilencesSensor: a maintenance window an admin starts in
// the dashboard's process reaches fusion's through the database: the
// sensor going offline raises nothing, while another one's does.
func TestCmdMaintenanceSilencesSensor(t *testing.T) {
	b := brokertest.Start(t, "rfw/v1/+/alert")
	httpAddr := freeTCPAddr(t)
	dir, _, stderr, stop := runFusion(t, b.URL(), "http_addr: "+httpAddr+"\n", nil)
	waitMetrics(t, httpAddr, "rfw_fusion_sensors_in_maintenance 0", stderr)
	dash := startDashboardArgs(t, "--db", filepath.Join(dir, "rfwarden.db"), "--site", "../../testdata/sites/wing.yaml")
	defer dash.stop()
	c := loginDemo(t, dash.demoInfo)
	if code, body := c.send(http.MethodPost, "/api/v1/sensors/s3/maintenance", `{"minutes":30,"reason":"new antenna"}`); code != http.StatusOK {
		t.Fatalf("start maintenance: %d %s", code, body)
	}
	waitMetrics(t, httpAddr, "rfw_fusion_sensors_in_maintenance 1", stderr)

	sensors := testClient(t, b.URL(), "sensors")
	for _, id := range []string{"s3", "s4"} { // fusion handles them in order
		tok := sensors.Publish(event.SensorTopic("hmp-test", id, event.KindStatus), 1, true, event.StatusOffline)
		if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("publish: %v", tok.Error())
		}
	}
	var got []string
	b.WaitFor(15*time.Second, func(ms []brokertest.Message) bool {
		got = got[:0]
		for _, m := range ms {
			if a, err := event.DecodeAlert(m.Payload); err == nil {
				got = append(got, a.Rule+"/"+a.Sensor+"/"+a.State)
			}
		}
		return slices.Contains(got, "sensor-offline/s4/pending")
	})
	if want := []string{"sensor-offline/s4/pending"}; !slices.Equal(got, want) {
		t.Errorf("alerts %v, want %v: none for s3, in maintenance", got, want)
	}
	if err := stop(); err != nil {
		t.Fatalf("fusion: %v", err)
	}
}

// connectCounter is a broker hook counting the MQTT connections of each
// client ID.
type connectCounter struct {
	mochi.HookBase
	mu sync.Mutex
	n  map[string]int
}

func (h *connectCounter) ID() string { return "connect-counter" }

func (h *connectCounter) Provides(b byte) bool { return b == mochi.OnConnect }

func (h *connectCounter) OnConnect(cl *mochi.Client, _ packets.Packet) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n[cl.ID]++
	return nil
}

func (h *connectCounter) count(id string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n[id]
}

// TestCmdFusionSecondInstance: a second fusion started with the running
// one's config stops at once, naming the lock file and its holder, before
// it connects to the broker (which would take the running fusion's
// session) or opens the spool, the seen file or the HTTP address; the
// running fusion stays connected and healthy.
func TestCmdFusionSecondInstance(t *testing.T) {
	srv, addr, err := embroker.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	conns := &connectCounter{n: map[string]int{}}
	if err := srv.AddHook(conns, nil); err != nil {
		t.Fatal(err)
	}
	// InfluxDB that is never reached: the spool is state the second must
	// not open either.
	httpAddr := freeTCPAddr(t)
	dir, _, stderr, stop := runFusion(t, "tcp://"+addr, fmt.Sprintf("http_addr: %s\ninflux: {url: 'http://%s', spool_dir: spool}\n", httpAddr, freeTCPAddr(t)), nil)
	waitHealthy := func() {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if c, err := http.Get("http://" + httpAddr + "/healthz"); err == nil {
				var h fusionHealth
				err = json.NewDecoder(c.Body).Decode(&h)
				c.Body.Close()
				if err == nil && h.BrokerConnected {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("first fusion not connected; stderr:\n%s", stderr.String())
			}
		}
	}
	waitHealthy()
	if n := conns.count("fusion-test"); n != 1 {
		t.Fatalf("first fusion connected %d times, want 1", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var stdout2, stderr2 syncbuf.Buffer
	start := time.Now()
	err = cmdFusion(ctx, []string{"--config", filepath.Join(dir, "fusion.yaml")}, &stdout2, &stderr2)
	if err == nil {
		t.Fatal("second fusion ran")
	}
	for _, want := range []string{filepath.Join(dir, "seen.lock"), fmt.Sprintf("PID %d", os.Getpid()), "another fusion"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("second fusion's error %q does not name %q", err, want)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("second fusion took %v to give up, want at once", d)
	}
	time.Sleep(300 * time.Millisecond) // a takeover would show by now
	if n := conns.count("fusion-test"); n != 1 {
		t.Errorf("fusion-test connected %d times, want 1: the second fusion took the first's session", n)
	}
	waitHealthy()
	if strings.Contains(stderr2.String(), "influx") {
		t.Errorf("second fusion opened the InfluxDB spool:\n%s", stderr2.String())
	}
	if err := stop(); err != nil {
		t.Fatalf("first fusion: %v", err)
	}
	// Stopped, the first leaves the lock free for the next start.
	_, _, stop = runFusionIn(t, dir)
	waitHealthy()
	if err := stop(); err != nil {
		t.Fatalf("fusion after the first stopped: %v", err)
	}
}
