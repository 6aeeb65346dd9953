package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	mochiauth "github.com/mochi-mqtt/server/v2/hooks/auth"

	"github.com/rfwarden/rfwarden/dashboard"
	"github.com/rfwarden/rfwarden/internal/embroker"
	"github.com/rfwarden/rfwarden/internal/zonename"
)

// TestCmdDashboardFollowsFusion: given a dashboard of site tiny and its
// fusion's MQTT side (connectFusion, as fusion and the demo run it) on one
// broker, expect /healthz ok and rfwarden_dashboard_fusion_online 1 while
// fusion is connected; once fusion stops (close) /healthz 503 saying
// fusion is offline since when, stopped, and the metric 0; ok again when
// fusion connects again; and fusion's connection to carry its last will,
// offline lost, retained, for a crash. Before, fusion said nothing on the
// broker and the dashboard answered ok while fusion was stopped.
func TestCmdDashboardFollowsFusion(t *testing.T) {
	srv, addr, err := embroker.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	broker := "tcp://" + addr
	log := slog.New(slog.DiscardHandler)
	startFusion := func() *fusionMQTT {
		t.Helper()
		conn, err := connectFusion(broker, "fusion-tiny", "", "", "", "tiny", nil, log)
		if err != nil {
			t.Fatal(err)
		}
		if !conn.connecting.WaitTimeout(10 * time.Second) {
			t.Fatalf("fusion did not connect: %v", conn.link.Err())
		}
		return conn
	}
	conn := startFusion()
	dash := startDashboardArgs(t, "--db", filepath.Join(t.TempDir(), "d.db"), "--create-db", "--site", "../../testdata/sites/minimal.yaml",
		"--mqtt", broker)
	defer dash.stop()
	expect := func(what string, code int, body *regexp.Regexp, online string) {
		t.Helper()
		expectDashboardFusion(t, dash.URL, 15*time.Second, what, code, body, online)
	}
	expect("fusion connected", http.StatusOK, regexp.MustCompile(`^ok\n$`), "1")

	cl, ok := srv.Clients.Get("fusion-tiny")
	if !ok {
		t.Fatal("the broker has no client fusion-tiny")
	}
	// the will names fusion's zone too (since 2026-12-08)
	want := `{"schema":1,"site":"tiny","status":"offline","reason":"lost","time_ns":0}`
	if zone := zonename.Name(time.Local); zone != "" {
		want = `{"schema":1,"site":"tiny","status":"offline","reason":"lost","time_zone":"` + zone + `","time_ns":0}`
	}
	if w := cl.Properties.Will; w.TopicName != "rfw/v1/tiny/fusion/status" || !w.Retain || w.Qos != 1 || string(w.Payload) != want {
		t.Errorf("fusion's last will: topic %q retained %v QoS %d payload %s; want %s, retained, QoS 1, on rfw/v1/tiny/fusion/status",
			w.TopicName, w.Retain, w.Qos, w.Payload, want)
	}

	conn.close(5*time.Second, 100)
	expect("fusion stopped", http.StatusServiceUnavailable,
		regexp.MustCompile(`^degraded: fusion: offline since \d\d:\d\d:\d\d \S+ \(stopped\): no new alert can be raised\n$`), "0")

	conn = startFusion()
	defer conn.close(time.Second, 0)
	expect("fusion back", http.StatusOK, regexp.MustCompile(`^ok\n$`), "1")
}

// expectDashboardFusion polls the dashboard at url's /healthz and
// /metrics, for at most wait, until /healthz answers code with a body
// body matches and rfwarden_dashboard_fusion_online is online.
func expectDashboardFusion(t *testing.T, url string, wait time.Duration, what string, code int, body *regexp.Regexp, online string) {
	t.Helper()
	var gotCode int
	var gotBody, metrics string
	for deadline := time.Now().Add(wait); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		gotCode, gotBody = httpGet(t, url+"/healthz")
		_, metrics = httpGet(t, url+"/metrics")
		if gotCode == code && body.MatchString(gotBody) && strings.Contains(metrics, "\nrfwarden_dashboard_fusion_online "+online+"\n") {
			return
		}
	}
	t.Fatalf("%s: /healthz %d %q, want %d matching %s; /metrics:\n%s", what, gotCode, gotBody, code, body, grepLines(metrics, "fusion"))
}

// TestDemoFusionOnline: the demo runs fusion in its own process, on its
// embedded broker, through connectFusion as a deployment's: the demo's
// dashboard hears it online (the live feed's fusion state, /healthz ok),
// not offline or unheard, and its /metrics has the live feed's metrics
// as `rfwarden dashboard`'s has (feedCollectors): until 2026-12-07 it had
// none of them.
func TestDemoFusionOnline(t *testing.T) {
	o := demoOptions{listen: "127.0.0.1:0", speed: 1, seed: 1, dir: t.TempDir(), rateHz: 2e6, offlineAfter: time.Hour, statusEvery: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	info, done := startDemo(t, ctx, o, io.Discard)
	c := loginDemo(t, info)
	feed := firstFeedState(t, c.c, info.URL)
	if len(feed.Fusion) != 1 || feed.Fusion[0].State != dashboard.FusionOnline || feed.Fusion[0].Site != info.Site {
		t.Errorf("the demo's live feed says fusion is %+v, want online for site %s", feed.Fusion, info.Site)
	}
	// since_ns and now_ns on one clock, the simulated one: fusion came
	// online as the demo started, a moment before.
	if len(feed.Fusion) == 1 {
		if d := time.Duration(feed.NowNS - feed.Fusion[0].SinceNS); d < 0 || d > time.Hour {
			t.Errorf("the demo's live feed says now %v and fusion online since %v: %v apart, want one clock", time.Unix(0, feed.NowNS).UTC(), time.Unix(0, feed.Fusion[0].SinceNS).UTC(), d)
		}
	}
	if code, body := httpGet(t, info.URL+"/healthz"); code != http.StatusOK {
		t.Errorf("the demo's /healthz: %d %q, want ok", code, body)
	}
	_, metrics := httpGet(t, info.URL+"/metrics")
	for _, want := range []string{"rfwarden_dashboard_fusion_online 1", "rfwarden_dashboard_feed_bad_messages_total 0",
		"rfwarden_dashboard_mqtt_connected 1", "rfwarden_dashboard_mqtt_connect_failures_total 0", "rfwarden_dashboard_mqtt_subscription_refused 0"} {
		if !strings.Contains(metrics, "\n"+want+"\n") {
			t.Errorf("the demo's /metrics has no line %q; its rfwarden_dashboard lines:\n%s", want, grepLines(metrics, "rfwarden_dashboard"))
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("demo: %v", err)
	}
}

// TestCmdDashboardSaysFusionDeaf: given fusion (connectFusion and its
// subscriber, as `rfwarden fusion` runs them) and a dashboard on a broker
// with users and an ACL, when the broker restarts with an ACL that
// refuses fusion's subscription to its sensors (SUBACK 0x80), expect the
// dashboard's /healthz 503 saying fusion is connected and deaf, naming
// the refused filter, and rfwarden_dashboard_fusion_online 0; ok and 1
// again once a restart grants it. Until 2026-12-07 fusion announced
// itself online while deaf, and the dashboard said ok.
func TestCmdDashboardSaysFusionDeaf(t *testing.T) {
	users := mochiauth.AuthRules{{Username: "fusion", Password: "pw-fusion", Allow: true}, {Username: "dashboard", Password: "pw-dash", Allow: true}}
	ledger := func(fusionReadsSensors bool) *mochiauth.Ledger {
		fusion := mochiauth.Filters{"rfw/v1/#": mochiauth.ReadWrite}
		if !fusionReadsSensors {
			fusion = mochiauth.Filters{"rfw/v1/+/fusion/status": mochiauth.ReadWrite, "rfw/v1/+/sensor/+/cmd": mochiauth.ReadWrite, "rfw/v1/#": mochiauth.Deny}
		}
		return &mochiauth.Ledger{Auth: users, ACL: mochiauth.ACLRules{{Username: "fusion", Filters: fusion},
			{Username: "dashboard", Filters: mochiauth.Filters{"rfw/v1/#": mochiauth.ReadWrite}}}}
	}
	srv, addr, err := embroker.StartAuth("127.0.0.1:0", ledger(true))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Close() }()
	broker := "tcp://" + addr
	conn, err := connectFusion(broker, "fusion-tiny", "fusion", "pw-fusion", "", "tiny", nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.close(time.Second, 0)
	if !conn.connecting.WaitTimeout(10 * time.Second) {
		t.Fatalf("fusion did not connect: %v", conn.link.Err())
	}
	const filter = "rfw/v1/tiny/sensor/+/+"
	if err := conn.subscriber().Subscribe(filter, 1, func(string, []byte) {}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RFW_MQTT_PASSWORD", "pw-dash")
	dash := startDashboardArgs(t, "--db", filepath.Join(t.TempDir(), "d.db"), "--create-db", "--site", "../../testdata/sites/minimal.yaml",
		"--mqtt", broker, "--mqtt-user", "dashboard")
	defer dash.stop()
	expect := func(what string, code int, body *regexp.Regexp, online string) {
		t.Helper()
		expectDashboardFusion(t, dash.URL, 30*time.Second, what, code, body, online) // a broker restart in between
	}
	expect("fusion hearing", http.StatusOK, regexp.MustCompile(`^ok\n$`), "1")
	restart := func(fusionReadsSensors bool) {
		t.Helper()
		_ = srv.Close()
		for deadline := time.Now().Add(5 * time.Second); conn.client.IsConnectionOpen() && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		}
		if srv, _, err = embroker.StartAuth(addr, ledger(fusionReadsSensors)); err != nil {
			t.Fatal(err)
		}
	}
	restart(false)
	expect("fusion deaf", http.StatusServiceUnavailable, regexp.MustCompile(`^degraded: fusion: connected and deaf since \d\d:\d\d:\d\d \S+ \(subscription refused: `+
		regexp.QuoteMeta(filter+": the broker refused the subscription (SUBACK 0x80)")+`.*\): no new alert can be raised from what it does not hear; .*\n$`), "0")
	restart(true)
	expect("fusion hearing again", http.StatusOK, regexp.MustCompile(`^ok\n$`), "1")
}
