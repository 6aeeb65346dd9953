package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/internal/embroker"
)

// TestFusionCountersExistAtStart: docs/deploy.md section 7 tells the
// installer to alert on fusion's counters (a dead letter from a sensor
// missing from the site file; "rfw_fusion_alert_reminders_total ... a
// Prometheus rule on it can page a supervisor"). Prometheus' increase()
// needs the series before its first increment: a counter that appears
// only at 1 never shows an increase, so the first dead letter or
// reminder pages nobody. The sensor exports every state at start
// (rfwarden_sensor_state{state=...} 0); fusion's labelled counters did
// not exist until they first counted. Every label value known at start
// (reasons, rules and their severities, results) is now there at 0.
func TestFusionCountersExistAtStart(t *testing.T) {
	srv, addr, err := embroker.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	httpAddr := freeTCPAddr(t)
	_, _, stderr, stop := runFusion(t, "tcp://"+addr, "db: rfw.db\nhttp_addr: "+httpAddr+"\n", nil)
	defer stop()
	waitMetrics(t, httpAddr, "rfw_fusion_mqtt_connected 1", stderr)
	resp, err := http.Get("http://" + httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`rfw_fusion_dead_letter_total{reason="sensor"} 0`,
		`rfw_fusion_dead_letter_total{reason="time"} 0`,
		`rfw_fusion_alert_reminders_total{rule="drone",severity="critical"} 0`,
		`rfw_fusion_alert_moves_total{rule="drone",severity="critical"} 0`,
		`rfw_fusion_alerts_total{rule="sensor-offline",severity="warning",state="firing"} 0`,
		`rfw_fusion_acks_total{result="known"} 0`,
		`rfw_fusion_store_dropped_total{what="locations"} 0`,
		`rfw_fusion_store_invalid_total{what="detections"} 0`,
		`rfw_fusion_prune_runs_total{result="error"} 0`,
		`rfw_fusion_registry_reloads_total{result="error"} 0`,
		"\nrfw_fusion_database_write_failures_total 0\n",
		"\nrfw_fusion_database_ok 1\n",
		`rfw_fusion_mqtt_queue_dropped_total{queue="alerts"} 0`,
		`rfw_fusion_mqtt_queue_dropped_total{queue="keep"} 0`,
		`rfw_fusion_mqtt_queued{queue="alerts"} 0`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("fusion's /metrics at start has no %s series: a Prometheus increase() rule misses its first count", want)
		}
	}
}
