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
