package main

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/mqttlink"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/rfwarden/rfwarden/internal/embroker"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// TestDashboardPortInUseKeepsRunningSession: a second dashboard started
// by hand while the service runs (same RFW_LISTEN, same RFW_MQTT_CLIENT_ID)
// must fail on the port before it touches the broker, as fusion and the
// sensor do (docs/deploy.md "One process per state"). It connects first,
// under the running dashboard's persistent client ID, so the broker
// takes the session from the running dashboard (its live feed drops, and
// evidence queued for it may be handed to the process that then exits).
func TestDashboardPortInUseKeepsRunningSession(t *testing.T) {
	srv, addr, err := embroker.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	// The running dashboard: its HTTP port and its MQTT session.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	var lost atomic.Int32
	opts := mqttlink.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("rfwarden-dashboard").
		SetCleanSession(false).SetAutoReconnect(false).
		SetConnectionLostHandler(func(mqtt.Client, error) { lost.Add(1) })
	running := mqtt.NewClient(opts)
	if tok := running.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect the running dashboard's session: %v", tok.Error())
	}
	defer running.Disconnect(100)

	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errOut syncbuf.Buffer
	err = cmdDashboard(ctx, []string{"--listen", busy.Addr().String(), "--db", filepath.Join(dir, "d.db"), "--create-db",
		"--site", "../../testdata/sites/minimal.yaml", "--mqtt", "tcp://" + addr,
		"--snippet-dir", filepath.Join(dir, "snippets")}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("second dashboard: err %v, want the port in use", err)
	}
	time.Sleep(500 * time.Millisecond)
	if n := lost.Load(); n != 0 || !running.IsConnected() {
		t.Errorf("the running dashboard's MQTT session was taken by a dashboard that then failed on its port (connection lost %d times); stderr:\n%s", n, errOut.String())
	}
}
