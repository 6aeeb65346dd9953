package agent

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eclipse/paho.mqtt.golang/packets"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/sensor/config"
	"github.com/rfwarden/rfwarden/sensor/publish"
	"github.com/rfwarden/rfwarden/sensor/publish/brokertest"
)

// refusedClient is a client the broker keeps refusing, which says why.
type refusedClient struct {
	recClient
	err      error
	failures int64
}

func (c *refusedClient) ConnectError() error    { return c.err }
func (c *refusedClient) ConnectFailures() int64 { return c.failures }

var _ publish.ConnectErrorer = (*refusedClient)(nil)

// TestHealthzSaysWhyNotConnected: given a broker that refuses the
// sensor's password, or cannot be reached, when /healthz and /metrics are
// read, expect the reason in words with the node.yaml setting to fix (an
// installer tells a password from a network problem) and the failed
// attempts counted; no field of /healthz names the broker's host or port
// (the log has them). The reason was the error's text: "dial tcp
// 10.1.2.3:1883: connect: connection refused".
func TestHealthzSaysWhyNotConnected(t *testing.T) {
	broker := &net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 18883}
	tests := []struct {
		name string
		err  error
		want string // the reason
	}{
		{name: "password refused", err: packets.ErrorRefusedNotAuthorised,
			want: "not connected to the MQTT broker: credentials refused (mqtt.username or mqtt.password_file); "},
		{name: "connection refused", err: &net.OpError{Op: "dial", Net: "tcp", Addr: broker, Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)},
			want: "not connected to the MQTT broker: not reachable: connection refused (mqtt.url); "},
		{name: "host not found", err: &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "broker.hmp-north.example", IsNotFound: true}},
			want: "not connected to the MQTT broker: not reachable: host not found (mqtt.url); "},
		// the broker's TLS alert on the node's certificate (until
		// 2026-12-07 "connection failed (the log has the error)")
		{name: "certificate refused", err: fmt.Errorf("network Error : %w", &net.OpError{Op: "remote error", Err: tls.AlertError(45)}),
			want: "not connected to the MQTT broker: the broker refused this node's certificate (mqtt.cert_file); "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t)
			rc := &refusedClient{err: tt.err, failures: 7}
			reg := prometheus.NewRegistry()
			a, err := New(cfg, Deps{Source: newSynth(nil, 0), Pipeline: &everyPipeline{every: 2}, Registry: reg,
				ClientFactory: func(publish.Options) (publish.Client, error) { return rc, nil }})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- a.Run(ctx) }()
			defer func() { cancel(); <-done }()
			deadline := time.Now().Add(5 * time.Second)
			var h event.Health
			var code int
			var body []byte
			for time.Now().Before(deadline) {
				rec := httptest.NewRecorder()
				a.healthz(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
				body = rec.Body.Bytes()
				if h, err = event.DecodeHealth(body); err != nil {
					t.Fatal(err)
				}
				code = rec.Code
				if strings.Contains(strings.Join(h.Reasons, ";"), "not connected") {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			reasons := strings.Join(h.Reasons, ";")
			if code != http.StatusServiceUnavailable || !strings.Contains(reasons, tt.want) {
				t.Errorf("/healthz = %d, reasons %q; want 503 and %q", code, reasons, tt.want)
			}
			for _, hidden := range []string{"10.1.2.3", "18883", "broker.hmp-north", "Authori", cfg.MQTT.URL} {
				if strings.Contains(string(body), hidden) {
					t.Errorf("/healthz shows %q: %s", hidden, body)
				}
			}
			if n, err := testutil.GatherAndCount(reg, "rfwarden_mqtt_connect_failures_total"); err != nil || n != 1 {
				t.Fatalf("rfwarden_mqtt_connect_failures_total: %d series, %v; want 1", n, err)
			}
			want := "# HELP rfwarden_mqtt_connect_failures_total Failed attempts to connect to the MQTT broker (the log has each distinct error).\n" +
				"# TYPE rfwarden_mqtt_connect_failures_total counter\nrfwarden_mqtt_connect_failures_total 7\n"
			if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "rfwarden_mqtt_connect_failures_total"); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestMQTTConnectedGauge: fusion and the dashboard export _mqtt_connected,
// the sensor did not, so a rule could not page on a sensor cut off from
// the broker while its process (and /metrics) ran on. Given a real broker,
// rfwarden_mqtt_connected is 1 once connected, 0 while the broker is
// down, 1 again once it is back, and 0 after Run returns.
func TestMQTTConnectedGauge(t *testing.T) {
	b := brokertest.Start(t, "rfw/#")
	cfg := testConfig(t)
	cfg.MQTT.URL = b.URL()
	reg := prometheus.NewRegistry()
	a, err := New(cfg, Deps{Source: newSynth(nil, 0), Pipeline: &everyPipeline{every: 2}, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	connected := func() float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "rfwarden_mqtt_connected" {
				return mf.GetMetric()[0].GetGauge().GetValue()
			}
		}
		t.Fatal("no rfwarden_mqtt_connected in the sensor's metrics")
		return -1
	}
	waitFor := func(want float64, what string) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); connected() != want; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("rfwarden_mqtt_connected = %v %s, want %v", connected(), what, want)
			}
		}
	}
	if got := connected(); got != 0 {
		t.Fatalf("rfwarden_mqtt_connected = %v before Run, want 0", got)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitFor(1, "with the broker up")
	b.Stop()
	waitFor(0, "with the broker stopped")
	if err := b.Restart(); err != nil {
		t.Fatal(err)
	}
	waitFor(1, "once the broker is back")
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	done <- nil
	if got := connected(); got != 0 {
		t.Errorf("rfwarden_mqtt_connected = %v after Run returned, want 0", got)
	}
}

// TestStateGaugeFollowsHealthz: with the broker stopped, /healthz answered
// 503 degraded ("not connected to the MQTT broker") while
// rfwarden_sensor_state said ok. Given a real broker and fusion's session
// marker, the gauge says ok while connected, degraded, as /healthz, once
// the broker is stopped, and ok again once it is back. It follows the
// link's changes at once: with health.interval at its most (10 min), no health
// report is due after the first, and the gauge lagged a broker's loss and
// recovery by up to health.interval ("no tick due" failed).
func TestStateGaugeFollowsHealthz(t *testing.T) {
	for _, tc := range []struct {
		name     string
		interval time.Duration // health.interval
	}{
		{"a health report every second", time.Second},
		{"no tick due", config.MaxHealthInterval},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := brokertest.Start(t, "rfw/#")
			markFusion(t, b)
			cfg := testConfig(t)
			cfg.MQTT.URL = b.URL()
			cfg.Health.IntervalDur = tc.interval
			reg := prometheus.NewRegistry()
			a, err := New(cfg, Deps{Source: newSynth(nil, 0), Pipeline: &everyPipeline{every: 2}, Registry: reg})
			if err != nil {
				t.Fatal(err)
			}
			state := func() string {
				mfs, err := reg.Gather()
				if err != nil {
					t.Fatal(err)
				}
				for _, mf := range mfs {
					if mf.GetName() != "rfwarden_sensor_state" {
						continue
					}
					for _, m := range mf.GetMetric() {
						if m.GetGauge().GetValue() == 1 {
							return m.GetLabel()[0].GetValue()
						}
					}
				}
				return ""
			}
			healthz := func() int {
				rec := httptest.NewRecorder()
				a.healthz(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
				return rec.Code
			}
			waitFor := func(want string, code int, what string) {
				t.Helper()
				for deadline := time.Now().Add(20 * time.Second); state() != want || healthz() != code; time.Sleep(10 * time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatalf("%s: rfwarden_sensor_state says %q and /healthz %d, want %q and %d", what, state(), healthz(), want, code)
					}
				}
			}
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- a.Run(ctx) }()
			defer func() { cancel(); <-done }()
			waitFor(event.StateOK, http.StatusOK, "with the broker up")
			b.Stop()
			waitFor(event.StateDegraded, http.StatusServiceUnavailable, "with the broker stopped")
			if err := b.Restart(); err != nil {
				t.Fatal(err)
			}
			waitFor(event.StateOK, http.StatusOK, "once the broker is back")
		})
	}
}
