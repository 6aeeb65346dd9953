package fusion

import (
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/internal/mqttlink"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
	"github.com/rfwarden/rfwarden/sensor/publish/brokertest"
)

// TestStaleSessionMarkersCleared: the broker holds fusion's retained
// session markers of s1 and of old1 and old2, sensors since taken out of
// the site file. When fusion subscribes, it clears the markers of old1 and
// old2 (an empty retained message), logging each, and keeps s1's; a
// retained message on old3's cmd topic that is not a session marker is
// left alone. Until 2026-12-07 the old markers stayed for ever: each start
// got them back, and an old sensor still running published detections
// fusion refused.
func TestStaleSessionMarkersCleared(t *testing.T) {
	b := brokertest.Start(t, "none")
	if err := b.MarkFusionSession("hmp-test", "s1", "old1", "old2"); err != nil {
		t.Fatal(err)
	}
	other := event.SensorTopic("hmp-test", "old3", event.KindCmd)
	admin := plainClient(t, b.URL(), "admin")
	if tok := admin.Publish(other, 1, true, []byte("not a marker")); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	admin.Disconnect(50)
	var logs syncbuf.Buffer
	c, resub := fusionClient(t, b.URL(), "", "", &logs)
	m := SessionMarker{Site: "hmp-test", Sensors: []string{"s1", "s2"}, ClientID: "fusion-test", Timeout: 5 * time.Second,
		Log: slog.New(slog.NewTextHandler(&logs, nil))}
	p := PahoSubscriber{Client: c, Resubscribe: resub, Retained: m.ClearStale}
	if err := p.Subscribe(SiteTopic("hmp-test"), 1, func(string, []byte) {}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); strings.Count(logs.String(), "cleared the session marker") < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("the markers of old1 and old2 were not cleared; log:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond) // polling the log
	}
	for _, s := range []string{"old1", "old2"} {
		if !strings.Contains(logs.String(), "sensor="+s) {
			t.Errorf("the log does not name %s:\n%s", s, logs.String())
		}
	}
	got := retainedOn(t, b.URL(), "rfw/v1/hmp-test/sensor/+/cmd")
	if _, ok := got[event.SensorTopic("hmp-test", "s1", event.KindCmd)]; !ok {
		t.Errorf("s1's marker was cleared: %v", got)
	}
	for _, s := range []string{"old1", "old2"} {
		if _, ok := got[event.SensorTopic("hmp-test", s, event.KindCmd)]; ok {
			t.Errorf("%s's marker is still retained", s)
		}
	}
	if string(got[other]) != "not a marker" {
		t.Errorf("old3's retained message that is not a marker: %q, want it kept", got[other])
	}
}

// retainedOn returns the retained messages the broker at url holds on
// filter, by topic: a new client subscribes, then publishes an end mark
// on a topic filter matches, which arrives after them.
func retainedOn(t *testing.T, url, filter string) map[string][]byte {
	t.Helper()
	const end = "rfw/v1/hmp-test/sensor/end-mark/cmd"
	c := plainClient(t, url, "probe")
	defer c.Disconnect(50)
	var mu sync.Mutex
	got := map[string][]byte{}
	done := make(chan struct{})
	tok := c.Subscribe(filter, 1, func(_ mqtt.Client, m mqtt.Message) {
		if m.Topic() == end {
			close(done)
			return
		}
		if m.Retained() {
			mu.Lock()
			got[m.Topic()] = m.Payload()
			mu.Unlock()
		}
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	if tok := c.Publish(end, 1, false, []byte("end")); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the end mark never came")
	}
	mu.Lock()
	defer mu.Unlock()
	return got
}

// plainClient returns a paho client of id connected to the broker at url
// with a clean session.
func plainClient(t *testing.T, url, id string) mqtt.Client {
	t.Helper()
	c := mqtt.NewClient(mqttlink.NewClientOptions().AddBroker(url).SetClientID(id).SetCleanSession(true).SetConnectTimeout(2 * time.Second))
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect %s: %v", id, tok.Error())
	}
	return c
}
