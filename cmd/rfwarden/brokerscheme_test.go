package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// TestFusionBrokerWithoutSchemeRefused: node.yaml refuses an mqtt.url
// without a scheme ("paho takes the URL for plain TCP, even to a TLS
// port", docs/deploy.md), but fusion.yaml's broker: takes
// "broker.hmp-north.example:8883" for tcp:// and dials the TLS listener
// in clear every 5 s: fusion's CONNECT, with its password, goes over the
// network unencrypted, and the log only says "connection reset by peer".
func TestFusionBrokerWithoutSchemeRefused(t *testing.T) {
	for _, u := range []string{"broker.hmp-north.example:8883", "127.0.0.1:8883"} {
		err := checkBrokerURL(u)
		if err == nil || !strings.Contains(err.Error(), "scheme") {
			t.Errorf("checkBrokerURL(%q) = %v, want it refused for having no scheme (as the sensor's mqtt.url is)", u, err)
		}
	}
}

// TestDashboardMQTTWithoutSchemeRefused: the same for the dashboard's
// RFW_MQTT (--mqtt): a URL without a scheme is dialled as plain TCP,
// sending RFW_MQTT_PASSWORD in clear, instead of being refused at start.
func TestDashboardMQTTWithoutSchemeRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out, errOut syncbuf.Buffer
	addr := freeTCPAddr(t) // were it dialled, nothing answers there
	err := cmdDashboard(ctx, []string{"--listen", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "d.db"),
		"--site", "../../testdata/sites/minimal.yaml", "--mqtt", addr, "--mqtt-user", "dashboard"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "scheme") {
		t.Errorf("dashboard --mqtt %s (no scheme): err %v, want refused for having no scheme; stdout %q", addr, err, out.String())
	}
}
