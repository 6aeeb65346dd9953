package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	mochiauth "github.com/mochi-mqtt/server/v2/hooks/auth"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/internal/embroker"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
	"github.com/rfwarden/rfwarden/internal/zonename"
	"github.com/rfwarden/rfwarden/sensor/publish/brokertest"
)

// waitFusionHealth polls fusion's /healthz at addr until it answers code
// with a body holding every one of want, for at most d; it fails the test
// with the last answer and fusion's log otherwise (fusion gone: no answer).
func waitFusionHealth(t *testing.T, addr string, code int, want []string, d time.Duration, stderr *syncbuf.Buffer) string {
	t.Helper()
	c := http.Client{Timeout: 2 * time.Second}
	last := ""
	for deadline := time.Now().Add(d); ; time.Sleep(50 * time.Millisecond) {
		resp, err := c.Get("http://" + addr + "/healthz")
		if err != nil {
			last = err.Error()
		} else {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			last = resp.Status + " " + string(b)
			ok := resp.StatusCode == code
			for _, w := range want {
				ok = ok && strings.Contains(string(b), w)
			}
			if ok {
				return string(b)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz never answered %d with %q; last: %s\nfusion's log:\n%s", code, want, last, stderr.String())
		}
	}
}

// TestCmdFusionWaitsForBroker: fusion started before its broker (the
// central host boots first, or the broker restarts) keeps running, serves
// /healthz as degraded saying why and the setting to fix, and keeps trying; once
// the broker is up it connects, subscribes and handles detections. It
// exited on the first failed attempt, having logged "retrying".
func TestCmdFusionWaitsForBroker(t *testing.T) {
	b := brokertest.Start(t, "rfw/v1/+/alert")
	b.Stop() // its address, with no broker listening yet
	httpAddr := freeTCPAddr(t)
	_, _, stderr, stop := runFusion(t, b.URL(), "http_addr: "+httpAddr+"\n", nil)
	waitFusionHealth(t, httpAddr, http.StatusServiceUnavailable,
		[]string{`"broker_connected":false`, `"broker_error":"not reachable: connection refused (broker)"`}, 10*time.Second, stderr)
	// a second attempt failed too, and fusion is still there
	waitMetrics(t, httpAddr, "rfw_fusion_mqtt_connect_failures_total 2", stderr)
	waitFusionHealth(t, httpAddr, http.StatusServiceUnavailable, []string{"connection refused"}, time.Second, stderr)
	if n := strings.Count(stderr.String(), "cannot connect to the MQTT broker, retrying"); n != 1 {
		t.Errorf("the same failure logged %d times, want once (then once a minute):\n%s", n, stderr.String())
	}
	if err := b.Restart(); err != nil {
		t.Fatal(err)
	}
	waitFusionHealth(t, httpAddr, http.StatusOK, []string{`"broker_connected":true`}, 15*time.Second, stderr)
	publishPhone(t, b, time.Now(), stderr)
	if err := stop(); err != nil {
		t.Fatalf("fusion: %v", err)
	}
	if !strings.Contains(stderr.String(), "connected to the MQTT broker") {
		t.Errorf("the connection after failed attempts was not logged:\n%s", stderr.String())
	}
}

// TestCmdFusionStopsWhileRetrying: SIGINT or SIGTERM (ctx) while fusion
// waits for its broker stops it at once, without an error.
func TestCmdFusionStopsWhileRetrying(t *testing.T) {
	broker := "tcp://" + freeTCPAddr(t) // nothing listens there
	httpAddr := freeTCPAddr(t)
	_, _, stderr, stop := runFusion(t, broker, "http_addr: "+httpAddr+"\n", nil)
	waitFusionHealth(t, httpAddr, http.StatusServiceUnavailable, []string{"connection refused"}, 10*time.Second, stderr)
	start := time.Now()
	if err := stop(); err != nil {
		t.Errorf("fusion stopped while retrying: %v, want nil", err)
	}
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Errorf("fusion took %v to stop while retrying, want a couple of seconds at most", d)
	}
}

// TestCmdFusionWrongPassword: a password the broker refuses keeps fusion
// retrying, with the broker's "not Authorized" in /healthz and logged
// once (then once a minute while it lasts), not fatal; /healthz says
// which settings to fix (TestFusionHealthzHidesUserAndHost).
func TestCmdFusionWrongPassword(t *testing.T) {
	srv, addr, err := embroker.StartAuth("127.0.0.1:0", &mochiauth.Ledger{
		Auth: mochiauth.AuthRules{{Username: "fusion", Password: "right", Allow: true}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	t.Setenv("RFW_MQTT_PASSWORD", "wrong")
	httpAddr := freeTCPAddr(t)
	_, _, stderr, stop := runFusion(t, "tcp://"+addr, "username: fusion\nhttp_addr: "+httpAddr+"\n", nil)
	refused := `"broker_error":"credentials refused (username or RFW_MQTT_PASSWORD)"`
	waitFusionHealth(t, httpAddr, http.StatusServiceUnavailable, []string{refused}, 10*time.Second, stderr)
	waitMetrics(t, httpAddr, "rfw_fusion_mqtt_connect_failures_total 2", stderr)
	waitFusionHealth(t, httpAddr, http.StatusServiceUnavailable, []string{refused}, time.Second, stderr)
	log := stderr.String()
	if n := strings.Count(log, "level=WARN"+` msg="fusion: cannot connect to the MQTT broker, retrying"`); n != 1 || !strings.Contains(log, "not Authorized") {
		t.Errorf("log has %d warnings of the refused password, want exactly 1 naming not Authorized:\n%s", n, log)
	}
	// the hint names the username sent, never the password (since 2026-12-07)
	if !strings.Contains(log, `the broker refused username \"fusion\" or its password`) || strings.Contains(log, "wrong") {
		t.Errorf("log does not name the username fusion, or shows the password:\n%s", log)
	}
	if err := stop(); err != nil {
		t.Errorf("fusion: %v", err)
	}
}

// TestCmdFusionNoSensorMessages: connected, but no message from any sensor
// (a broker ACL that grants fusion's subscription and withholds the
// messages, as Mosquitto 2.0 does, or no sensor running) makes fusion
// degraded and logs a warning pointing at the ACL, after --sensor-silence,
// and fusion's retained status says online with the silence as its
// problem, so every dashboard says fusion is deaf; a sensor's message
// ends it. Each status names fusion's time zone. Fusion heard nothing and said nothing, and then (until
// 2026-12-07) said it only on its own /healthz: behind mosquitto, which
// grants a subscription its ACL denies, a deaf fusion said plain online.
func TestCmdFusionNoSensorMessages(t *testing.T) {
	b := brokertest.Start(t, "rfw/v1/+/alert")
	httpAddr := freeTCPAddr(t)
	_, _, stderr, stop := runFusion(t, b.URL(), "http_addr: "+httpAddr+"\n", nil, "--sensor-silence", "1s")
	waitFusionHealth(t, httpAddr, http.StatusServiceUnavailable,
		[]string{`"broker_connected":true`, "no sensor message for 1s", "ACL"}, 10*time.Second, stderr)
	announced := func(wantProblem string) {
		t.Helper()
		var st event.FusionStatus
		if !b.WaitFor(10*time.Second, func([]brokertest.Message) bool {
			raw, ok := b.Retained(event.FusionStatusTopic("hmp-test"))
			if !ok {
				return false
			}
			var err error
			st, err = event.DecodeFusionStatus(raw)
			if err != nil || st.Status != event.StatusOnline {
				return false
			}
			if wantProblem == "" {
				return st.Problem == ""
			}
			return strings.Contains(st.Problem, wantProblem)
		}) {
			t.Errorf("fusion's retained status %+v, want online with a problem saying %q", st, wantProblem)
		}
		// it names its zone, for the dashboards to compare with theirs
		if want := zonename.Name(time.Local); st.TimeZone != want {
			t.Errorf("fusion's retained status names time zone %q, want its own, %q", st.TimeZone, want)
		}
	}
	announced("no sensor message for 1s")
	time.Sleep(1500 * time.Millisecond) // it lasts: logged once, not at every check
	if n := strings.Count(stderr.String(), `level=WARN msg="fusion: connected to the MQTT broker but no sensor message`); n != 1 {
		t.Errorf("the silence logged %d times, want one warning (then once a minute):\n%s", n, stderr.String())
	}
	// s1 reports, more often than the silence the test allows
	halt := make(chan struct{})
	defer close(halt)
	go func() {
		for {
			_ = b.Publish(event.SensorTopic("hmp-test", "s1", event.KindStatus), []byte(event.StatusOnline))
			select {
			case <-halt:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	body := waitFusionHealth(t, httpAddr, http.StatusOK, []string{`"state":"ok"`}, 5*time.Second, stderr)
	if strings.Contains(body, "no sensor message") {
		t.Errorf("/healthz after a sensor's message: %s", body)
	}
	announced("") // plain online again
	if err := stop(); err != nil {
		t.Errorf("fusion: %v", err)
	}
}

// TestCheckBrokerURL: a broker URL no retry can mend is refused at start
// (it failed at the first attempt when fusion gave up then).
func TestCheckBrokerURL(t *testing.T) {
	for _, tc := range []struct {
		url, want string // want: "" accepted, else in the error
	}{
		{"tcp://127.0.0.1:1883", ""},
		{"ssl://broker.example:8883", ""},
		{"wss://broker.example/mqtt", ""},
		{"unix:///run/mosquitto/mqtt.sock", ""},
		// Until 2026-12-05 a URL without a scheme was taken for tcp://, as
		// paho takes it, and this table accepted these two: fusion dialled
		// a TLS port in clear, password and all (TestFusionBrokerWithoutSchemeRefused).
		{"127.0.0.1:1883", "has no scheme: write tcp://127.0.0.1:1883, or ssl://127.0.0.1:1883 for TLS"},
		{":1883", "has no scheme"},
		{"fusion:secret@broker:8883", "has no scheme"},
		{"ftp://broker:21", `scheme "ftp"`},
		{"ssl://broker", "has no port (ssl://broker:8883?)"},
		{"tcp://:1883", "has no host"},
		{"tcp://fusion:secret@broker", "has no port"},
	} {
		err := checkBrokerURL(tc.url)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("checkBrokerURL(%q) = %v, want %q", tc.url, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("checkBrokerURL(%q) = %v: says the password", tc.url, err)
		}
	}
}
