package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/sensor/publish/brokertest"
)

// TestCmdAckHeldAcrossRestart: an acknowledgement taken in the dashboard
// while the broker is away, the dashboard stopped before the broker came
// back, reaches fusion's outputs once a dashboard starts again on the
// database with the broker up. Before, the announcement was held in the
// stopped dashboard's memory and lost, and fusion published the
// acknowledgement only at the alert's next reminder.
func TestCmdAckHeldAcrossRestart(t *testing.T) {
	b := brokertest.Start(t, "rfw/v1/+/alert")
	httpAddr := freeTCPAddr(t)
	dir, _, stderr, stop := runFusion(t, b.URL(), fmt.Sprintf("http_addr: %s\n", httpAddr), nil)
	a := publishPhone(t, b, time.Now(), stderr)
	args := []string{"--db", filepath.Join(dir, "rfwarden.db"), "--site", "../../testdata/sites/wing.yaml", "--mqtt", b.URL()}
	var logs []string
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the dashboards' logs:\n%s\nfusion's log:\n%s", strings.Join(logs, "\n--- next dashboard\n"), stderr.String())
		}
	})

	b.Stop()
	dash := startDashboardArgs(t, args...)
	code, body := loginDemo(t, dash.demoInfo).send(http.MethodPost, "/api/v1/alerts/"+a.ID+"/ack", `{"note":"cell searched"}`)
	if err := dash.stop(); err != nil {
		t.Errorf("first dashboard: %v", err)
	}
	logs = append(logs, dash.stderr.String())
	if code != http.StatusOK {
		t.Fatalf("ack with the broker away: %d %s", code, body)
	}
	if !strings.Contains(dash.stderr.String(), "held, and announced when the broker link is back") {
		t.Errorf("the dashboard did not say it held the acknowledgement")
	}

	if err := b.Restart(); err != nil {
		t.Fatal(err)
	}
	// fusion subscribes again once it has connected again
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, body := httpGet(t, "http://"+httpAddr+"/healthz"); strings.Contains(body, `"broker_connected":true`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("fusion did not connect to the broker again")
		}
	}
	dash = startDashboardArgs(t, args...)
	defer func() { dash.stop(); logs = append(logs, dash.stderr.String()) }()
	if !strings.Contains(dash.stderr.String(), "acknowledgements stored but not announced to fusion before the last stop") {
		t.Errorf("the dashboard did not say it had acknowledgements held from before its stop")
	}
	acked := func(ms []brokertest.Message) bool {
		for _, m := range ms {
			if got, err := event.DecodeAlert(m.Payload); err == nil && got.ID == a.ID && got.AckNote == "cell searched" {
				return true
			}
		}
		return false
	}
	if !b.WaitFor(30*time.Second, acked) {
		t.Error("fusion did not publish the alert acknowledged in the stopped dashboard")
	}
	if err := stop(); err != nil {
		t.Fatalf("fusion: %v", err)
	}
}
