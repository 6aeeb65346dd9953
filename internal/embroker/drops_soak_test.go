package embroker

import (
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/mqttlink"
	"github.com/rfwarden/rfwarden/internal/syncbuf"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// TestStartDropsAreNotSilent (soak test, 2026-12-06): the embedded broker
// (the demo's) drops QoS 1 messages for a subscriber holding mochi's
// MaximumInflight (8192) unacknowledged, as fusion does when it falls
// behind: a 56-hour demo at --speed 120 held 8,200 handler goroutines for
// 15 minutes while its alert publications timed out, and nothing said
// detections were being lost. A drop must reach the process's log (its
// slog default, which the demo's -v prints), within the second or so
// the broker takes to read its counters.
func TestStartDropsAreNotSilent(t *testing.T) {
	var logged syncbuf.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn})))
	defer slog.SetDefault(old)

	srv, addr, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := paho.NewClient(mqttlink.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("embroker-slow-subscriber").
		SetConnectTimeout(5 * time.Second).SetAutoAckDisabled(true).SetOrderMatters(false))
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer c.Disconnect(100)
	var got atomic.Int64
	// a fusion that has fallen behind: it takes each message and acknowledges none
	if tok := c.Subscribe("rfw/v1/site/#", 1, func(_ paho.Client, m paho.Message) { got.Add(1) }); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	const sent = 8192 + 200
	for i := range sent {
		if err := srv.Publish("rfw/v1/site/sensor/s1/detection", []byte{byte(i)}, false, 1); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for atomic.LoadInt64(&srv.Info.InflightDropped) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	dropped := atomic.LoadInt64(&srv.Info.InflightDropped)
	if dropped == 0 {
		t.Fatalf("no drop after %d messages to a subscriber acknowledging none (%d delivered): the test did not reach the quota", sent, got.Load())
	}
	// the broker's drop counters are read once a second (dropHook)
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(logged.String(), "dropped") && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if log := logged.String(); !strings.Contains(log, "quota") && !strings.Contains(log, "drop") {
		t.Errorf("the embedded broker dropped %d QoS 1 messages for a subscriber behind (%d delivered) and logged nothing; log: %q", dropped, got.Load(), log)
	}
}
