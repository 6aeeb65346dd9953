package publish

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/sensor/publish/brokertest"
)

func TestPahoAgainstBroker(t *testing.T) {
	b := brokertest.Start(t, "rfw/#")
	status := event.SensorTopic("site1", "s1", event.KindStatus)
	c, err := NewPaho(Options{BrokerURL: b.URL(), ClientID: "s1", StatusTopic: status, KeepAliveDur: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Connect(ctx); err != nil {
		t.Fatalf("connect: %v", err)
	}
	topic := event.SensorTopic("site1", "s1", event.KindDetection)
	for i := range 5 {
		if err := c.Publish(ctx, topic, QoS1, false, []byte(fmt.Sprint(i))); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	ok := b.WaitFor(5*time.Second, func(ms []brokertest.Message) bool {
		n := 0
		for _, m := range ms {
			if m.Topic == topic {
				n++
			}
		}
		return n == 5
	})
	if !ok {
		t.Fatalf("broker got %d messages, want 5 detections", len(b.Messages()))
	}
	if !b.WaitFor(2*time.Second, func([]brokertest.Message) bool {
		p, ok := b.Retained(status)
		return ok && string(p) == event.StatusOnline
	}) {
		t.Error("retained status is not online")
	}
	// A sensor stopped on purpose must not stay "online": the will is
	// discarded on a clean disconnect, so Disconnect announces it.
	c.Disconnect()
	if !b.WaitFor(2*time.Second, func([]brokertest.Message) bool {
		p, ok := b.Retained(status)
		return ok && string(p) == event.StatusOffline
	}) {
		t.Error("retained status after Disconnect is not offline")
	}
}

// TestPahoSubscription: a subscribed topic's messages reach its handler,
// and after the broker restarts (sessions lost) the subscription is made
// again on reconnect.
func TestPahoSubscription(t *testing.T) {
	b := brokertest.Start(t, "rfw/#")
	cmd := event.SensorTopic("site1", "s1", event.KindCmd)
	got := make(chan string, 16)
	c, err := NewPaho(Options{BrokerURL: b.URL(), ClientID: "s1", KeepAliveDur: time.Second,
		Subscribe: []Subscription{{Topic: cmd, QoS: QoS1, Handle: func(p []byte) { got <- string(p) }}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := c.Connect(ctx); err != nil {
		t.Fatalf("connect: %v", err)
	}
	expect := func(want string) {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			// the subscription is made asynchronously after connecting:
			// publish until it arrives
			if err := b.Publish(cmd, []byte(want)); err != nil {
				t.Fatal(err)
			}
			select {
			case p := <-got:
				if p == want {
					return
				}
			case <-time.After(100 * time.Millisecond):
			case <-deadline:
				t.Fatalf("handler never got %q", want)
			}
		}
	}
	expect("one")
	if err := b.Publish(event.SensorTopic("site1", "s2", event.KindCmd), []byte("not mine")); err != nil {
		t.Fatal(err)
	}
	b.Stop()
	if err := b.Restart(); err != nil {
		t.Fatal(err)
	}
	for !c.IsConnected() && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	expect("two")
	for len(got) > 0 {
		if p := <-got; p == "not mine" {
			t.Error("handler got another sensor's command")
		}
	}
}

func TestNewPahoValidates(t *testing.T) {
	if _, err := NewPaho(Options{BrokerURL: "tcp://127.0.0.1:1", ClientID: "bad id"}); err == nil {
		t.Error("bad client ID accepted")
	}
	if _, err := NewPaho(Options{ClientID: "s1"}); err == nil {
		t.Error("missing URL accepted")
	}
	if _, err := TLSConfig("/nonexistent/ca.pem", "", ""); err == nil {
		t.Error("missing CA file accepted")
	}
}
