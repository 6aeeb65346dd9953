package fusion

import (
	"errors"
	"log/slog"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/internal/embroker"
	"github.com/rfwarden/rfwarden/internal/mqttlink"
)

// TestLivenessAnnounced: given fusion's client set up with Liveness on
// the embedded broker, expect its status topic to hold online (retained,
// dated) once it connects, offline stopped (dated) after Stopped and a
// clean disconnect, and, when the broker loses the connection (a crash:
// no DISCONNECT), offline lost from its last will, retained; and online
// again when it connects afresh. Each names fusion's time zone (since
// 2026-12-07). Before, fusion said nothing and a dashboard could not tell
// it was down.
func TestLivenessAnnounced(t *testing.T) {
	srv, addr, err := embroker.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	newLive := func() Liveness {
		return Liveness{Site: "hmp", TimeZone: "Europe/London", Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return time.Unix(1767308460, 0) }}
	}
	live := newLive()
	connect := func(live *Liveness) mqtt.Client {
		t.Helper()
		opts := mqttlink.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("fusion-test").SetCleanSession(false).
			SetAutoReconnect(false).SetConnectTimeout(2 * time.Second)
		if err := live.SetWill(opts); err != nil {
			t.Fatal(err)
		}
		opts.SetOnConnectHandler(live.Online)
		c := mqtt.NewClient(opts)
		if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("connect: %v", tok.Error())
		}
		return c
	}
	// retained is the status the broker holds for the site, as a
	// dashboard subscribing afresh reads it.
	retained := func() (event.FusionStatus, bool) {
		pk, ok := srv.Topics.Retained.Get(event.FusionStatusTopic("hmp"))
		if !ok || !pk.FixedHeader.Retain {
			return event.FusionStatus{}, false
		}
		s, err := event.DecodeFusionStatus(pk.Payload)
		if err != nil {
			t.Fatalf("retained status %q: %v", pk.Payload, err)
		}
		return s, true
	}
	expect := func(what string, want event.FusionStatus) {
		t.Helper()
		var got event.FusionStatus
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			var ok bool
			if got, ok = retained(); ok && got == want {
				return
			}
		}
		t.Fatalf("%s: retained status %+v, want %+v", what, got, want)
	}
	online := event.FusionStatus{Schema: 1, Site: "hmp", TimeZone: "Europe/London", Status: event.StatusOnline, TimeNS: 1767308460e9}

	c := connect(&live)
	expect("connected", online)
	if err := live.Stopped(c); err != nil {
		t.Fatalf("Stopped: %v", err)
	}
	// after the stop's offline, an Online (a sensor's message ending a
	// silence, a subscription granted) publishes nothing: it left the
	// broker an online retained, the will discarded by the disconnect
	live.Online(c)
	c.Disconnect(100)
	expect("stopped", event.FusionStatus{Schema: 1, Site: "hmp", TimeZone: "Europe/London", Status: event.StatusOffline, Reason: event.FusionStopped, TimeNS: 1767308460e9})
	time.Sleep(100 * time.Millisecond) // an online published late would land meanwhile
	expect("stopped, and an Online after it", event.FusionStatus{Schema: 1, Site: "hmp", TimeZone: "Europe/London", Status: event.StatusOffline, Reason: event.FusionStopped, TimeNS: 1767308460e9})

	live2 := newLive() // fusion started again
	c = connect(&live2)
	defer c.Disconnect(50)
	expect("connected again", online)
	cl, ok := srv.Clients.Get("fusion-test")
	if !ok {
		t.Fatal("the broker has no client fusion-test")
	}
	cl.Stop(errors.New("connection lost")) // as the broker finding the keep-alive gone
	expect("connection lost", event.FusionStatus{Schema: 1, Site: "hmp", TimeZone: "Europe/London", Status: event.StatusOffline, Reason: event.FusionLost})
	for deadline := time.Now().Add(5 * time.Second); c.IsConnectionOpen() && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
	}
	if err := live2.Stopped(c); err != nil {
		t.Errorf("Stopped with no connection: %v, want nothing published and no error", err)
	}
}
