package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/internal/mqttlink"
	"github.com/rfwarden/rfwarden/sensor/sim"
)

// TestDemoBrokerRefuses: the demo's broker, started as the demo starts
// it, lets no anonymous client in, nor one with a wrong password, and
// drops what a sensor publishes as another sensor or as fusion (a fake
// alert or fusion status would reach every dashboard); the logins are in
// --dir's broker-logins, readable by the owner only. It let anyone in,
// to every topic.
func TestDemoBrokerRefuses(t *testing.T) {
	dir := t.TempDir()
	wing := sim.StandardWing(1)
	logins, err := demoBrokerLogins(wing, dir)
	if err != nil {
		t.Fatal(err)
	}
	srv, url, err := startDemoBroker(slog.New(slog.DiscardHandler), prometheus.NewRegistry(), logins)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	fi, err := os.Stat(filepath.Join(dir, demoBrokerLoginsFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v, want 0600", demoBrokerLoginsFile, fi.Mode().Perm())
	}
	file, err := os.ReadFile(filepath.Join(dir, demoBrokerLoginsFile))
	if err != nil {
		t.Fatal(err)
	}
	sensors := wing.Sensors()
	if len(sensors) < 2 {
		t.Fatalf("wing has %d sensors, want two or more", len(sensors))
	}
	s1, s2 := sensors[0].ID, sensors[1].ID
	for _, u := range []string{"fusion", "dashboard", s1, s2} {
		if logins[u] == "" || !strings.Contains(string(file), "\n"+u+" "+logins[u]+"\n") {
			t.Errorf("no login for %s in %s:\n%s", u, demoBrokerLoginsFile, file)
		}
	}

	for _, tc := range []struct{ name, user, pw string }{
		{"anonymous", "", ""},
		{"wrong password", s1, logins[s2]},
	} {
		o := mqttlink.NewClientOptions().AddBroker(url).SetClientID("intruder").SetConnectTimeout(5 * time.Second)
		if tc.user != "" {
			o.SetUsername(tc.user).SetPassword(tc.pw)
		}
		c := mqtt.NewClient(o)
		tok := c.Connect()
		if !tok.WaitTimeout(10*time.Second) || tok.Error() == nil {
			c.Disconnect(100)
			t.Errorf("%s: connected (error %v), want refused", tc.name, tok.Error())
		}
	}

	const site = "wing" // the ACL allows any site ID
	dash := testClientLogin(t, url, "watch", "dashboard", logins["dashboard"])
	got := make(chan string, 10)
	filters := map[string]byte{event.AlertTopic(site): 0, event.FusionStatusTopic(site): 0, event.SensorTopic(site, "+", event.KindStatus): 0}
	if tok := dash.SubscribeMultiple(filters, func(_ mqtt.Client, m mqtt.Message) { got <- m.Topic() }); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	sensor := testClientLogin(t, url, s1, s1, logins[s1])
	own := event.SensorTopic(site, s1, event.KindStatus)
	// at QoS 0 a refused publish is dropped and the connection kept, so
	// the last, allowed one shows the others were handled
	for _, topic := range []string{event.SensorTopic(site, s2, event.KindStatus), event.AlertTopic(site), event.FusionStatusTopic(site), own} {
		if tok := sensor.Publish(topic, 0, false, "{}"); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("publish %s: %v", topic, tok.Error())
		}
	}
	select {
	case topic := <-got:
		if topic != own {
			t.Errorf("the dashboard received %s from sensor %s, want only %s", topic, s1, own)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("sensor %s's own status did not reach the dashboard", s1)
	}
}
