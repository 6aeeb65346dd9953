//go:build integration

package loadtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/mosquittotest"
)

// TestRunThroughMosquitto runs a short load test of one wing (9 sensors at
// 10 detections/s for 4 s, 360 detections) through a real mosquitto with
// deploy/mosquitto's limits, and checks that nothing was lost or doubled
// and that the alerts it raised were timed. It asserts no latency bound:
// the machine may be busy.
func TestRunThroughMosquitto(t *testing.T) {
	b := mosquittotest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := Run(ctx, Config{Sensors: 9, RateHz: 10, Duration: 4 * time.Second, BrokerURL: b.URL, Drain: 50 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", res)
	if !res.Clean() || res.Interrupted {
		t.Errorf("not clean: published %d, stored %d, lost %d, stored duplicates %d, dead letters %d, publish errors %d, rows %d",
			res.Published, res.Stored, res.Lost, res.StoredDupes, res.DeadLetters, res.PublishErrors, res.RowsInDB)
	}
	if res.Published != res.Planned || res.Planned == 0 {
		t.Errorf("published %d of %d planned", res.Published, res.Planned)
	}
	if res.AlertsRaised != res.Alerts {
		t.Errorf("%d alerts raised (stored), %d arrived on the alert topic", res.AlertsRaised, res.Alerts)
	}
	if res.Alerts == 0 || int64(res.Alert.Count) != res.Alerts || res.AlertsUntimed != 0 || res.AlertBad != 0 {
		t.Errorf("alerts %d, timed %d, untimed %d, undecodable %d: want alerts, every one timed", res.Alerts, res.Alert.Count, res.AlertsUntimed, res.AlertBad)
	}
	if l := res.Alert; l.Count > 0 && !(l.P50MS > 0 && l.P50MS <= l.P95MS && l.P95MS <= l.P99MS && l.P99MS <= l.MaxMS) {
		t.Errorf("alert latency not positive and ordered: %+v", l)
	}
	if !strings.HasPrefix(res.Broker, "tcp://127.0.0.1:") {
		t.Errorf("broker %q", res.Broker)
	}
	if s := b.Stderr(); strings.Contains(s, "Error") {
		t.Errorf("mosquitto logged errors: %s", s)
	}
}
