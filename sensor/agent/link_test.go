package agent

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.mqtt.golang/packets"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/sensor/publish"
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
// sensor's password, when /healthz and /metrics are read, expect the
// broker's answer in the health reason (an installer tells a password
// from a network problem) and the failed attempts counted.
func TestHealthzSaysWhyNotConnected(t *testing.T) {
	cfg := testConfig(t)
	rc := &refusedClient{err: packets.ErrorRefusedNotAuthorised, failures: 7}
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
	for time.Now().Before(deadline) {
		rec := httptest.NewRecorder()
		a.healthz(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		if h, err = event.DecodeHealth(rec.Body.Bytes()); err != nil {
			t.Fatal(err)
		}
		code = rec.Code
		if strings.Contains(strings.Join(h.Reasons, ";"), "not connected") {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	reasons := strings.Join(h.Reasons, ";")
	if code != http.StatusServiceUnavailable || !strings.Contains(reasons, "not connected to the MQTT broker: not Authorized") {
		t.Errorf("/healthz = %d, reasons %q; want 503 and the broker's not Authorized", code, reasons)
	}
	if n, err := testutil.GatherAndCount(reg, "rfwarden_mqtt_connect_failures_total"); err != nil || n != 1 {
		t.Fatalf("rfwarden_mqtt_connect_failures_total: %d series, %v; want 1", n, err)
	}
	want := "# HELP rfwarden_mqtt_connect_failures_total Failed attempts to connect to the MQTT broker (the log has each distinct error).\n" +
		"# TYPE rfwarden_mqtt_connect_failures_total counter\nrfwarden_mqtt_connect_failures_total 7\n"
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "rfwarden_mqtt_connect_failures_total"); err != nil {
		t.Error(err)
	}
}
