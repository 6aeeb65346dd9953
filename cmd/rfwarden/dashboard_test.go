package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/mqttlink"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	mochiauth "github.com/mochi-mqtt/server/v2/hooks/auth"

	"github.com/rfwarden/rfwarden/dashboard"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/influxtest"
	"github.com/rfwarden/rfwarden/internal/embroker"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
	"github.com/rfwarden/rfwarden/sensor/publish/brokertest"
)

// startDashboard runs cmdDashboard on a fresh database at 127.0.0.1:0 and
// returns its base URL, its stdout and a stop function that returns
// cmdDashboard's error.
func startDashboard(t *testing.T) (base string, stdout *syncbuf.Buffer, stop func() error) {
	t.Helper()
	d := startDashboardArgs(t, "--db", filepath.Join(t.TempDir(), "rfw.db"), "--create-db", "--site", "../../testdata/sites/minimal.yaml")
	return d.URL, d.stdout, d.stop
}

// runningDashboard is a cmdDashboard started by startDashboardArgs: its
// URL, and the admin password when this run created the user.
type runningDashboard struct {
	demoInfo
	stdout *syncbuf.Buffer
	stderr *syncbuf.Buffer
	stop   func() error
}

// startDashboardArgs runs cmdDashboard at 127.0.0.1:0 with args.
func startDashboardArgs(t *testing.T, args ...string) runningDashboard {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncbuf.Buffer
	done := make(chan error, 1)
	go func() {
		done <- cmdDashboard(ctx, append([]string{"--listen", "127.0.0.1:0"}, args...), &out, &errOut)
	}()
	addrRe := regexp.MustCompile(`dashboard on (http://\S+)`)
	d := runningDashboard{stdout: &out, stderr: &errOut, stop: func() error { cancel(); return <-done }}
	// Generous, but left as soon as the address is printed or the
	// dashboard has returned: before it serves, the dashboard hashes one
	// password at bcrypt's default cost (the login timing's decoy), and
	// two on its first run (the admin's too), 5 to 7 s each under the race
	// detector on a loaded 2-core machine: 15 s were not enough.
	for deadline := time.Now().Add(90 * time.Second); d.URL == ""; {
		if m := addrRe.FindStringSubmatch(out.String()); m != nil {
			d.URL = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the dashboard returned before serving: %v; stdout %q stderr %q", err, out.String(), errOut.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no listen address in %v; stdout %q stderr %q err %v", 90*time.Second, out.String(), errOut.String(), <-done)
		}
	}
	if m := regexp.MustCompile(`created user admin with password (\S+)`).FindStringSubmatch(out.String()); m != nil {
		d.User, d.Password = "admin", m[1]
	}
	return d
}

// getStatus answers the status code of a GET with optional headers.
func getStatus(t *testing.T, url string, header map[string]string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestCmdDashboard(t *testing.T) {
	base, out, stop := startDashboard(t)
	if !strings.Contains(out.String(), "created user admin with password ") {
		t.Errorf("first run did not print the admin password: %q", out.String())
	}
	for path, want := range map[string]int{"/healthz": 200, "/api/v1/me": 401, "/": 200, "/metrics": 200} {
		if got := getStatus(t, base+path, nil); got != want {
			t.Errorf("GET %s: got %d, want %d", path, got, want)
		}
	}
	// the database's write health, as fusion's (TestHealthzDatabaseRefusesWrites)
	if _, metrics := httpGet(t, base+"/metrics"); !strings.Contains(metrics, "\nrfwarden_dashboard_database_ok 1\n") ||
		!strings.Contains(metrics, "\nrfwarden_dashboard_database_write_failures_total 0\n") {
		t.Errorf("/metrics lacks rfwarden_dashboard_database_ok 1 and its write failures at 0:\n%s", grepLines(metrics, "database"))
	}
	if err := stop(); err != nil {
		t.Errorf("cmdDashboard: %v", err)
	}
}

func TestCmdDashboardMetricsToken(t *testing.T) {
	const tok = "test-metrics-token-0123456789"
	t.Setenv("RFW_METRICS_TOKEN", tok)
	base, _, stop := startDashboard(t)
	for _, tt := range []struct {
		auth string
		want int
	}{{"", 401}, {"Bearer wrong-token-0123456789", 401}, {"Bearer " + tok, 200}} {
		if got := getStatus(t, base+"/metrics", map[string]string{"Authorization": tt.auth}); got != tt.want {
			t.Errorf("GET /metrics with Authorization %q: got %d, want %d", tt.auth, got, tt.want)
		}
	}
	if err := stop(); err != nil {
		t.Errorf("cmdDashboard: %v", err)
	}

	// refused with the settings, before the database is made (it was
	// made, and its retention started, first)
	t.Setenv("RFW_METRICS_TOKEN", "short")
	db := filepath.Join(t.TempDir(), "rfw.db")
	err := cmdDashboard(context.Background(), []string{"--listen", "127.0.0.1:0", "--db", db, "--create-db"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "RFW_METRICS_TOKEN") {
		t.Errorf("short metrics token: got %v, want an error naming RFW_METRICS_TOKEN", err)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("short metrics token: the database %v, want none made", err)
	}
}

func TestCmdDashboardFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", "x.pem"}, "--tls-key"},
		{[]string{"--replay-timeout", "0s"}, "--replay-timeout 0s"},
		{[]string{"--replay-max", "-1m"}, "--replay-max -1m0s"},
	} {
		err := cmdDashboard(context.Background(), tc.args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want an error naming %q", tc.args, err, tc.want)
		}
	}
}

// TestCmdDashboardAdminAfterConfig: given a site file that does not load,
// when the dashboard starts on a fresh database, expect it to fail before
// creating admin: the one-time password is printed by the run that
// starts, not spent in a failed start's log.
func TestCmdDashboardAdminAfterConfig(t *testing.T) {
	db := filepath.Join(t.TempDir(), "d.db")
	var out bytes.Buffer
	err := cmdDashboard(context.Background(), []string{"--listen", "127.0.0.1:0", "--db", db, "--create-db", "--site", "../../fusion/site/testdata/no-floors.bad.yaml"}, &out, io.Discard)
	if err == nil {
		t.Fatal("started with a site file that does not load")
	}
	if strings.Contains(out.String(), "created user admin") {
		t.Errorf("a failed start printed the admin password: %q", out.String())
	}
	d := startDashboardArgs(t, "--db", db, "--create-db", "--site", "../../testdata/sites/minimal.yaml")
	defer d.stop()
	if d.Password == "" {
		t.Errorf("the first start that works printed no admin password: %q", d.stdout.String())
	}
}

// TestCmdDashboardChecksInflux: given InfluxDB settings with one wrong
// (the retention policy, the database, the password, the user), when the
// dashboard starts, expect it to exit with an error naming the variable
// at fault; it started and answered 500 on the heatmap and locations.
func TestCmdDashboardChecksInflux(t *testing.T) {
	srv := influxtest.StartAuth(t)
	srv.Exec("", "", `CREATE USER "admin" WITH PASSWORD 'admin-pw' WITH ALL PRIVILEGES`)
	for _, q := range []string{`CREATE DATABASE "rfwarden" WITH DURATION 90d REPLICATION 1 SHARD DURATION 1d NAME "d90"`,
		`CREATE USER "dashboard" WITH PASSWORD 'dash-pw'`, `GRANT READ ON "rfwarden" TO "dashboard"`} {
		srv.Exec("admin", "admin-pw", q)
	}
	tests := []struct {
		name     string
		given    map[string]string // RFW_INFLUX_ settings over the good ones
		wantName string            // "" starts
	}{
		{name: "good", given: nil},
		{name: "retention policy typo", given: map[string]string{"RFW_INFLUX_RP": "d9"}, wantName: "RFW_INFLUX_RP"},
		{name: "database typo", given: map[string]string{"RFW_INFLUX_DB": "rfwardne"}, wantName: "RFW_INFLUX_DB"},
		{name: "wrong password", given: map[string]string{"RFW_INFLUX_PASSWORD": "nope"}, wantName: "RFW_INFLUX_PASSWORD"},
		{name: "unknown user", given: map[string]string{"RFW_INFLUX_USER": "dashbaord"}, wantName: "RFW_INFLUX_USER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"RFW_INFLUX_URL": srv.URL, "RFW_INFLUX_DB": "rfwarden", "RFW_INFLUX_RP": "d90",
				"RFW_INFLUX_USER": "dashboard", "RFW_INFLUX_PASSWORD": "dash-pw"}
			maps.Copy(env, tt.given)
			for k, v := range env {
				t.Setenv(k, v)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var out syncbuf.Buffer
			done := make(chan error, 1)
			go func() {
				done <- cmdDashboard(ctx, []string{"--listen", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "d.db"), "--create-db"}, &out, io.Discard)
			}()
			for !strings.Contains(out.String(), "dashboard on ") && ctx.Err() == nil && len(done) == 0 {
				time.Sleep(20 * time.Millisecond)
			}
			cancel()
			err := <-done
			switch {
			case tt.wantName == "" && err != nil:
				t.Errorf("good settings: %v", err)
			case tt.wantName != "" && (err == nil || !strings.Contains(err.Error(), tt.wantName)):
				t.Errorf("error %v, want one naming %s", err, tt.wantName)
			case tt.wantName != "" && strings.Contains(out.String(), "dashboard on "):
				t.Errorf("started serving with a wrong %s", tt.wantName)
			}
		})
	}
}

// TestCmdDashboardFeedSaysWhy: given a broker that refuses the
// dashboard's password, when the dashboard runs, expect the broker's "not
// Authorized" in its log at warning level (it said only "broker not
// reachable yet", once), /healthz degraded (503) saying the credentials
// were refused and which settings to fix (TestDashboardHealthzHidesUserAndHost), and
// /metrics' connection gauge at 0 with the failures counted.
func TestCmdDashboardFeedSaysWhy(t *testing.T) {
	dash, code, body := dashboardOnAuthBroker(t, &mochiauth.Ledger{Auth: mochiauth.AuthRules{{Username: "dashboard", Password: "right", Allow: true}}}, "wrong")
	defer dash.stop()
	if code != http.StatusServiceUnavailable || body != "degraded: live feed: not connected to the MQTT broker: credentials refused (RFW_MQTT_USER or RFW_MQTT_PASSWORD (--mqtt-user))\n" {
		t.Errorf("/healthz = %d %q, want 503 saying the credentials were refused", code, body)
	}
	if log := dash.stderr.String(); !regexp.MustCompile(`level=WARN .*not Authorized`).MatchString(log) {
		t.Errorf("log has no warning with the broker's not Authorized:\n%s", log)
	}
	_, metrics := httpGet(t, dash.URL+"/metrics")
	if !strings.Contains(metrics, "rfwarden_dashboard_mqtt_connected 0") || !regexp.MustCompile(`rfwarden_dashboard_mqtt_connect_failures_total [1-9]`).MatchString(metrics) ||
		!strings.Contains(metrics, "rfwarden_dashboard_mqtt_subscription_refused 0") {
		t.Errorf("/metrics has no feed connection gauge at 0 and failures counted:\n%s", grepLines(metrics, "mqtt"))
	}
}

// TestCmdDashboardFeedRefused: given a broker whose ACL lets the
// dashboard connect but not read the site's alert topic, when the
// dashboard runs, expect /healthz degraded (503) naming the filter the
// broker refused, and an error logged. Before, the dashboard subscribed
// without looking at the SUBACK and said its live feed was up while no
// alert could arrive.
func TestCmdDashboardFeedRefused(t *testing.T) {
	dash, code, body := dashboardOnAuthBroker(t, &mochiauth.Ledger{
		Auth: mochiauth.AuthRules{{Username: "dashboard", Password: "right", Allow: true}},
		ACL:  mochiauth.ACLRules{{Username: "dashboard", Filters: mochiauth.Filters{"rfw/v1/tiny/alert": mochiauth.Deny}}},
	}, "right")
	defer dash.stop()
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "live feed: connected to the MQTT broker, but its subscription was not granted: rfw/v1/tiny/alert: the broker refused") {
		t.Errorf("/healthz = %d %q, want 503 naming the refused alert topic", code, body)
	}
	if log := dash.stderr.String(); !regexp.MustCompile(`level=ERROR msg="dashboard feed: the broker did not grant.*rfw/v1/tiny/alert`).MatchString(log) {
		t.Errorf("no error logged naming the refused topic:\n%s", log)
	}
	_, metrics := httpGet(t, dash.URL+"/metrics")
	if !strings.Contains(metrics, "rfwarden_dashboard_mqtt_subscription_refused 1") || !strings.Contains(metrics, "rfwarden_dashboard_mqtt_connected 1") {
		t.Errorf("/metrics has no subscription refused gauge at 1 beside the connection's at 1:\n%s", grepLines(metrics, "mqtt"))
	}
	// the page's banner: refused, not down (a broken link mends itself)
	c := loginDemo(t, dash.demoInfo)
	feed := firstFeedState(t, c.c, dash.URL)
	if feed.State != dashboard.FeedRefused || !strings.Contains(feed.Reason, "rfw/v1/tiny/alert: the broker refused") {
		t.Errorf("the live feed's state %+v, want refused naming the refused alert topic", feed)
	}
}

// dashboardOnAuthBroker runs a dashboard of the minimal site whose live
// feed logs in as "dashboard" with password to a broker admitting
// ledger's clients, and returns it with the first answer of /healthz that
// is not 200 (or the last within 10 s). The broker closes when the test
// ends.
func dashboardOnAuthBroker(t *testing.T, ledger *mochiauth.Ledger, password string) (dash runningDashboard, code int, body string) {
	t.Helper()
	srv, addr, err := embroker.StartAuth("127.0.0.1:0", ledger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	t.Setenv("RFW_MQTT_PASSWORD", password)
	dash = startDashboardArgs(t, "--db", filepath.Join(t.TempDir(), "d.db"), "--create-db", "--site", "../../testdata/sites/minimal.yaml",
		"--mqtt", "tcp://"+addr, "--mqtt-user", "dashboard")
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if code, body = httpGet(t, dash.URL+"/healthz"); code != http.StatusOK {
			break
		}
	}
	return dash, code, body
}

// grepLines returns the lines of s containing sub.
func grepLines(s, sub string) string {
	var out []string
	for l := range strings.Lines(s) {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}

// TestAckAnnouncerNotConnected: with the broker away the announcer refuses
// at once, naming why, instead of waiting on a publish that cannot go.
func TestAckAnnouncerNotConnected(t *testing.T) {
	c := mqtt.NewClient(mqttlink.NewClientOptions().AddBroker("tcp://" + freeTCPAddr(t)))
	acks := newAckAnnouncer(time.Minute, nil, slog.New(slog.DiscardHandler))
	acks.setClient(c)
	err := acks.AnnounceAck(context.Background(),
		event.Ack{Schema: 1, Site: "hmp-test", Alert: "a1", By: "officer", AckNS: 1})
	if err == nil || !strings.Contains(err.Error(), "not connected") {
		t.Errorf("AnnounceAck without a connection: %v", err)
	}
}

// TestAckAnnouncerHoldsUntilConnected: acknowledgements made while the
// broker is away are announced when the live feed's client connects
// again, the latest of each alert once, so fusion publishes them to the
// outputs then (before, each waited for its alert's next change). They
// are held in the database: an announcer started afresh on it (the
// dashboard restarted before the broker came back) announces them.
func TestAckAnnouncerHoldsUntilConnected(t *testing.T) {
	for _, restart := range []bool{false, true} {
		t.Run(fmt.Sprintf("restart=%v", restart), func(t *testing.T) {
			testAckAnnouncerHolds(t, restart)
		})
	}
}

func testAckAnnouncerHolds(t *testing.T, restart bool) {
	b := brokertest.Start(t, event.AckTopic("hmp-test"))
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "d.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var logs syncbuf.Buffer
	// start runs an announcer over db on a new live feed client.
	start := func() (*mqttAckAnnouncer, mqtt.Client, func()) {
		acks, client := announcerOnFeed(t, b.URL(), 5*time.Second, db, slog.New(slog.NewTextHandler(&logs, nil)))
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); acks.run(ctx, time.Hour) }()
		return acks, client, func() { client.Disconnect(250); cancel(); <-done }
	}
	acks, client, stop := start()
	defer func() { stop() }()
	waitConnection(t, client, true)
	ctx := context.Background()
	ack := func(alert, by string, at int64) error {
		return acks.AnnounceAck(ctx, event.Ack{Schema: event.SchemaVersion, Site: "hmp-test", Alert: alert, By: by, AckNS: at})
	}
	if err := ack("a0", "officer0", 1); err != nil {
		t.Fatalf("announce while connected: %v", err)
	}
	b.Stop()
	waitConnection(t, client, false)
	for _, a := range []struct {
		alert, by string
		at        int64
	}{{"a1", "officer1", 10}, {"a2", "officer2", 20}, {"a1", "officer3", 30}, {"a2", "officer4", 15}} {
		if err := ack(a.alert, a.by, a.at); err == nil || !strings.Contains(err.Error(), "held") {
			t.Errorf("announce %s by %s with the broker away: %v, want an error saying it is held", a.alert, a.by, err)
		}
	}
	if restart {
		stop() // the dashboard stops before the broker is back
		if err := b.Restart(); err != nil {
			t.Fatal(err)
		}
		acks, client, stop = start()
	} else if err := b.Restart(); err != nil {
		t.Fatal(err)
	}
	// announced is, per alert, who the broker was told acknowledged it, a
	// message counted once: QoS 1 is at least once, and paho sends again
	// from its store, as a resend, a publication made while it resumes a
	// session just connected again, which the announcer's round on
	// connecting can be (fusion.Acknowledged ignores an announcement
	// repeated).
	announced := func(ms []brokertest.Message) map[string]string {
		by, seen := map[string]string{}, map[string]bool{}
		for _, m := range ms {
			var n event.Ack
			if err := json.Unmarshal(m.Payload, &n); err == nil && n.Alert != "a0" && !seen[string(m.Payload)] {
				seen[string(m.Payload)] = true
				by[n.Alert] += n.By + " "
			}
		}
		return by
	}
	// published is, per alert, who the announcer announced, from its log:
	// each held acknowledgement is announced once.
	published := func() map[string]string {
		by := map[string]string{}
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, `msg="held acknowledgement announced to fusion"`) {
				alert, who := logValue(l, "alert"), logValue(l, "by")
				by[alert] += who + " "
			}
		}
		return by
	}
	want := map[string]string{"a1": "officer3 ", "a2": "officer2 "}
	if !b.WaitFor(30*time.Second, func(ms []brokertest.Message) bool { return len(announced(ms)) == len(want) }) {
		t.Fatalf("announced after the broker came back: %v, want %v\n%s", announced(b.Messages()), want, logs.String())
	}
	time.Sleep(200 * time.Millisecond) // nothing more follows
	if got := announced(b.Messages()); !maps.Equal(got, want) {
		t.Errorf("announced after the broker came back: %v, want %v (each alert's latest)\n%s", got, want, logs.String())
	}
	if got := published(); !maps.Equal(got, want) {
		t.Errorf("the announcer announced %v, want %v (each alert's latest, once)\n%s", got, want, logs.String())
	}
	if held, err := db.HeldAcks(ctx, 0); err != nil || len(held) != 0 {
		t.Errorf("held after the announcements: %v, %v; want none", held, err)
	}
	acks.announceHeld(ctx) // nothing left held
	time.Sleep(100 * time.Millisecond)
	if got := announced(b.Messages()); !maps.Equal(got, want) {
		t.Errorf("after a second round: %v, want %v", got, want)
	}
	if got := published(); !maps.Equal(got, want) {
		t.Errorf("after a second round the announcer announced %v, want %v", got, want)
	}
}

// announcerOnFeed returns an acknowledgement announcer waiting at most
// wait for the broker at url, holding in held, on a new live feed client
// of site hmp-test, which it announces through.
func announcerOnFeed(t *testing.T, url string, wait time.Duration, held ackHolder, log *slog.Logger) (*mqttAckAnnouncer, mqtt.Client) {
	t.Helper()
	acks := newAckAnnouncer(wait, held, log)
	client, _, err := subscribeFeed(feedOptions{URL: url, Site: "hmp-test", OnConnect: acks.connected},
		dashboard.NewHub(0), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	acks.setClient(client)
	return acks, client
}

// waitConnection waits up to 10 s for client's connection to be open
// (or, with open false, gone).
func waitConnection(t *testing.T, client mqtt.Client, open bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); client.IsConnectionOpen() != open; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the feed's client's connection open %v, want %v, after 10 s", !open, open)
		}
	}
}

// logValue returns the value of key in a slog text line ("" if absent).
func logValue(line, key string) string {
	i := strings.Index(line, " "+key+"=")
	if i < 0 {
		return ""
	}
	v := line[i+len(key)+2:]
	if j := strings.IndexByte(v, ' '); j >= 0 {
		v = v[:j]
	}
	return v
}

// TestCmdDashboardZoneStatus: a dashboard on the live feed marks the zones
// of a sensor that is offline (or never heard) "unknown" on the heatmap,
// from the sensors' retained status, as fusion does; before, a separate
// dashboard process showed every zone as covered.
func TestCmdDashboardZoneStatus(t *testing.T) {
	b := brokertest.Start(t, "rfw/v1/+/alert")
	s, err := site.LoadFile("../../testdata/sites/wing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pub := testClient(t, b.URL(), "sensors")
	status := func(sensor, st string) {
		t.Helper()
		tok := pub.Publish(event.SensorTopic(s.ID, sensor, event.KindStatus), 1, true, st)
		if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("publish status: %v", tok.Error())
		}
	}
	health := func(sensor string) {
		t.Helper()
		b, err := json.Marshal(event.Health{Schema: event.SchemaVersion, Site: s.ID, Sensor: sensor, TimeNS: time.Now().UnixNano(), State: event.StateOK})
		if err != nil {
			t.Fatal(err)
		}
		tok := pub.Publish(event.SensorTopic(s.ID, sensor, event.KindHealth), 1, false, b)
		if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("publish health: %v", tok.Error())
		}
	}
	for _, id := range []string{"s1", "s2", "s3", "s4", "s5", "s6"} { // wing-b's; the yard's s7 is never heard
		status(id, event.StatusOnline)
	}
	dash := startDashboardArgs(t, "--db", filepath.Join(t.TempDir(), "d.db"), "--create-db", "--site", "../../testdata/sites/wing.yaml", "--mqtt", b.URL())
	defer dash.stop()
	c := loginDemo(t, dash.demoInfo)
	// zones waits until the heatmap shows the rooms' zone statuses want.
	zones := func(want map[string]string) {
		t.Helper()
		var got map[string]string
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			var rooms []struct{ Room, Status string }
			c.get("/api/v1/heatmap?window=day", &rooms)
			got = map[string]string{}
			for _, r := range rooms {
				if _, ok := want[r.Room]; ok {
					got[r.Room] = r.Status
				}
			}
			if maps.Equal(got, want) {
				return
			}
		}
		t.Fatalf("heatmap zone statuses %v, want %v", got, want)
	}
	// The retained "online" alone says nothing of a sensor's health:
	// until 2026-12-07 a dashboard that started showed its zones ok
	// until the sensors' next health reports, a degraded one's too.
	zones(map[string]string{"B2-14": "unknown", "yard": "unknown"})
	for _, id := range []string{"s1", "s2", "s3", "s4", "s5", "s6"} {
		health(id)
	}
	zones(map[string]string{"B2-14": "ok", "yard": "unknown"})
	status("s3", event.StatusOffline) // the sensor's last will
	zones(map[string]string{"B2-14": "unknown", "yard": "unknown"})
	status("s3", event.StatusOnline)
	status("s7", event.StatusOnline)
	health("s7")
	zones(map[string]string{"B2-14": "ok", "yard": "ok"})
}

// firstFeedState opens the live feed (kinds=feed) of the dashboard at url
// as client and returns the first state it says, within 30 s.
func firstFeedState(t *testing.T, client *http.Client, url string) dashboard.FeedState {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/api/v1/events?kinds=feed", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var feed dashboard.FeedState
	for sc := bufio.NewScanner(resp.Body); sc.Scan(); {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			if err := json.Unmarshal([]byte(data), &feed); err != nil {
				t.Fatalf("feed event %s: %v", data, err)
			}
			break
		}
	}
	return feed
}
