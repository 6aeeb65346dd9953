package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mochiauth "github.com/mochi-mqtt/server/v2/hooks/auth"

	"github.com/rfwarden/rfwarden/internal/embroker"
	"github.com/rfwarden/rfwarden/sensor/publish/brokertest"
)

// publicStrings returns every string in the JSON body b, keys' values at
// any depth, with the path to it ("notify[0].last_error").
func publicStrings(t *testing.T, b []byte) map[string]string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	out := map[string]string{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case string:
			out[path] = v
		case []any:
			for i, x := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), x)
			}
		case map[string]any:
			for k, x := range v {
				walk(strings.TrimPrefix(path+"."+k, "."), x)
			}
		}
	}
	walk("", v)
	return out
}

// getHealth GETs url: its status and body, 0 while nothing answers.
func getHealth(url string) (int, []byte) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// hiddenOf lists what a public health report must not show of the
// addresses (host and port) and secrets given.
func hiddenOf(t *testing.T, addrs []string, secrets ...string) []string {
	t.Helper()
	hidden := append([]string{"localhost"}, secrets...)
	for _, a := range addrs {
		host, port, err := net.SplitHostPort(a)
		if err != nil {
			t.Fatal(err)
		}
		hidden = append(hidden, host, ":"+port, port)
	}
	return hidden
}

// TestFusionHealthzHidesUserAndHost: given fusion's broker refusing its
// password or not answering, and its webhook and syslog server not
// answering, when /healthz (public: no login) reports it, expect every
// field of the body to say what is wrong and the setting to fix, naming
// no user, host, port, password or URL (the log has them, without the
// password). Until 2026-12-06 broker gave the broker's URL with its user
// and host, broker_error the error's text ("dial tcp 10.1.2.3:1883:
// connect: connection refused") and each output's last_error its URL or
// address. InfluxDB's influx_error: TestInfluxHealthzHidesUserAndHost.
func TestFusionHealthzHidesUserAndHost(t *testing.T) {
	const user, pw = "fusion-user", "Mqtt-pw-123"
	const hookUser, hookPW, token = "hook-user", "Hook-pw-456", "tok3n789"
	srv, authAddr, err := embroker.StartAuth("127.0.0.1:0", &mochiauth.Ledger{
		Auth: mochiauth.AuthRules{{Username: user, Password: "right", Allow: true}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	b := brokertest.Start(t, "rfw/v1/+/alert")
	closed := freeTCPAddr(t) // nothing answers there
	hookAddr, syslogAddr := freeTCPAddr(t), freeTCPAddr(t)
	tests := []struct {
		name   string
		broker string
		extra  string
		alert  bool              // publish a phone's detections until fusion alerts
		want   map[string]string // fields and what they say
		addrs  []string
	}{
		{name: "broker refuses the password", broker: "tcp://" + authAddr, extra: "username: " + user + "\n",
			want:  map[string]string{"state": "degraded", "broker_error": "credentials refused (username or RFW_MQTT_PASSWORD)"},
			addrs: []string{authAddr}},
		{name: "broker not reachable", broker: "tcp://" + closed, extra: "username: " + user + "\n",
			want:  map[string]string{"state": "degraded", "broker_error": "not reachable: connection refused (broker)"},
			addrs: []string{closed}},
		{name: "webhook and syslog not reachable", broker: b.URL(), alert: true,
			extra: fmt.Sprintf("webhook: {url: 'http://%s:%s@%s/hook/%s?token=%s', allow_http: true}\nsyslog: {network: tcp, addr: %q}\nnotify: {stale_after: 1s}\n",
				hookUser, hookPW, hookAddr, token, token, syslogAddr),
			want: map[string]string{"state": "degraded", "notify[0].output": "webhook", "notify[0].last_error": "not reachable: connection refused (webhook.url)",
				"notify[1].output": "syslog", "notify[1].last_error": "not reachable: connection refused (syslog.addr)"},
			addrs: []string{hookAddr, syslogAddr, strings.TrimPrefix(b.URL(), "tcp://")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("RFW_MQTT_PASSWORD", pw)
			t.Setenv("RFW_WEBHOOK_SECRET", "webhook-secret")
			httpAddr := freeTCPAddr(t)
			_, _, stderr, stop := runFusion(t, tt.broker, tt.extra+"http_addr: "+httpAddr+"\n", nil)
			defer stop()
			if tt.alert {
				publishPhone(t, b, time.Now(), stderr)
			}
			var got map[string]string
			var body string
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				code, b := getHealth("http://" + httpAddr + "/healthz")
				body = string(b)
				done := code == http.StatusServiceUnavailable
				if done {
					got = publicStrings(t, b)
				}
				for k := range tt.want {
					done = done && got[k] != ""
				}
				if done {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("/healthz never reported every field of %v: %d %s\nlog:\n%s", tt.want, code, body, stderr.String())
				}
			}
			for k, want := range tt.want {
				if got[k] != want {
					t.Errorf("/healthz %s = %q, want %q", k, got[k], want)
				}
			}
			for path, v := range got {
				for _, hidden := range hiddenOf(t, append(tt.addrs, httpAddr), user, pw, hookUser, hookPW, token, "tcp://", "http://") {
					if strings.Contains(v, hidden) {
						t.Errorf("/healthz %s = %q: shows %q", path, v, hidden)
					}
				}
			}
			if _, ok := got["broker"]; ok {
				t.Errorf("/healthz has a field broker (the URL): %s", body)
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			for _, secret := range []string{pw, hookPW} {
				if strings.Contains(stderr.String(), secret) {
					t.Errorf("the log shows the password %q:\n%s", secret, stderr.String())
				}
			}
		})
	}
}

// TestDashboardHealthzHidesUserAndHost: given the live feed's broker
// refusing the dashboard's password (written in RFW_MQTT too) or not
// answering, when /healthz (public: no login) reports it, expect what is
// wrong and the setting to fix, naming no user, host, port or password;
// the log keeps the broker's address, without the password. /healthz
// said "degraded: live feed: not connected to the MQTT broker: dial tcp
// 10.1.2.3:1883: connect: connection refused". InfluxDB's reason:
// TestInfluxHealthzHidesUserAndHost.
func TestDashboardHealthzHidesUserAndHost(t *testing.T) {
	const user, pw = "dash-user", "Dash-pw-123"
	srv, authAddr, err := embroker.StartAuth("127.0.0.1:0", &mochiauth.Ledger{Auth: mochiauth.AuthRules{{Username: user, Password: "right", Allow: true}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	closed := freeTCPAddr(t)
	tests := []struct {
		name string
		args []string
		want string // /healthz's body
		addr string // the broker's, in the log
	}{
		{name: "feed refused", args: []string{"--mqtt", "tcp://" + authAddr, "--mqtt-user", user}, addr: authAddr,
			want: "degraded: live feed: not connected to the MQTT broker: credentials refused (RFW_MQTT_USER or RFW_MQTT_PASSWORD (--mqtt-user))\n"},
		{name: "feed refused, password in RFW_MQTT", args: []string{"--mqtt", "tcp://" + user + ":" + pw + "@" + authAddr, "--mqtt-user", user}, addr: authAddr,
			want: "degraded: live feed: not connected to the MQTT broker: credentials refused (RFW_MQTT_USER or RFW_MQTT_PASSWORD (--mqtt-user))\n"},
		{name: "feed not reachable", args: []string{"--mqtt", "tcp://" + closed, "--mqtt-user", user}, addr: closed,
			want: "degraded: live feed: not connected to the MQTT broker: not reachable: connection refused (RFW_MQTT (--mqtt))\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("RFW_MQTT_PASSWORD", pw)
			dash := startDashboardArgs(t, append([]string{"--db", filepath.Join(t.TempDir(), "d.db"), "--create-db"}, tt.args...)...)
			var code int
			var body []byte
			for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				if code, body = getHealth(dash.URL + "/healthz"); code == http.StatusServiceUnavailable && string(body) == tt.want {
					break
				}
			}
			stopErr := dash.stop() // once: a second waits for ever
			if code != http.StatusServiceUnavailable || string(body) != tt.want {
				t.Errorf("/healthz = %d %q, want 503 %q", code, body, tt.want)
			}
			for _, hidden := range hiddenOf(t, []string{tt.addr, strings.TrimPrefix(dash.URL, "http://")}, user, pw, "tcp://") {
				if strings.Contains(string(body), hidden) {
					t.Errorf("/healthz = %q: shows %q", body, hidden)
				}
			}
			if stopErr != nil {
				t.Fatal(stopErr)
			}
			if log := dash.stderr.String(); strings.Contains(log, pw) || !strings.Contains(log, tt.addr) {
				t.Errorf("the log shows the password, or lacks the broker's address %s:\n%s", tt.addr, log)
			}
		})
	}
}
