package fusion

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	mochiauth "github.com/mochi-mqtt/server/v2/hooks/auth"

	"github.com/rfwarden/rfwarden/fusion/store/storetest"
	"github.com/rfwarden/rfwarden/internal/embroker"
	"github.com/rfwarden/rfwarden/internal/mqttlink"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
	"github.com/rfwarden/rfwarden/sensor/publish/brokertest"
)

// fusionClient is a paho client set up as fusion's: persistent session,
// auto-reconnect, a Resubscriber.
func fusionClient(t *testing.T, url, user, password string, logs *syncbuf.Buffer) (mqtt.Client, *Resubscriber) {
	t.Helper()
	resub := &Resubscriber{Log: slog.New(slog.NewTextHandler(logs, nil))}
	opts := mqttlink.NewClientOptions().AddBroker(url).SetClientID("fusion-test").SetCleanSession(false).
		SetAutoReconnect(true).SetMaxReconnectInterval(200 * time.Millisecond).SetConnectTimeout(2 * time.Second).
		SetUsername(user).SetPassword(password)
	opts.SetOnConnectHandler(resub.OnConnect)
	opts.SetDefaultPublishHandler(resub.Default)
	c := mqtt.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(50) })
	return c, resub
}

// TestSubscribeWhileDisconnected: given a connection that dropped between
// connecting and subscribing, when fusion subscribes, expect no error (it
// stopped fusion: "not currently connected and ResumeSubs not set") and
// the subscription made on the next connection, so messages arrive, and
// the reconnection logged at warning level.
func TestSubscribeWhileDisconnected(t *testing.T) {
	b := brokertest.Start(t, "none")
	var logs syncbuf.Buffer
	c, resub := fusionClient(t, b.URL(), "", "", &logs)
	defer func() { t.Log(logs.String()) }()
	b.Stop()
	for deadline := time.Now().Add(5 * time.Second); c.IsConnectionOpen() && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
	}
	if c.IsConnectionOpen() {
		t.Fatal("still connected after the broker stopped")
	}
	got := make(chan string, 4)
	sub := PahoSubscriber{Client: c, Resubscribe: resub, Timeout: 2 * time.Second}
	if err := sub.Subscribe("rfw/v1/hmp/sensor/+/+", 1, func(topic string, _ []byte) { got <- topic }); err != nil {
		t.Fatalf("subscribe while the connection is down: %v, want it left to the next connection", err)
	}
	if err := b.Restart(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if err := b.Publish("rfw/v1/hmp/sensor/s1/detection", []byte("{}")); err != nil {
			t.Fatal(err)
		}
		select {
		case topic := <-got:
			if topic != "rfw/v1/hmp/sensor/s1/detection" {
				t.Fatalf("got %s", topic)
			}
			if !strings.Contains(logs.String(), "level=WARN msg=\"mqtt: connected to the broker again after losing the connection") {
				t.Error("the reconnection after a lost connection was not logged at warning level")
			}
			if !strings.Contains(logs.String(), "level=WARN msg=\"mqtt: the connection to the broker is down; subscribing once it is back\"") ||
				strings.Contains(logs.String(), "ResumeSubs") {
				t.Error("the subscription left to the next connection was not logged at warning level in rfwarden's words, or paho's were")
			}
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatal("no message after the reconnection: the subscription was not made again")
}

// TestSubscribeBeforeFirstConnect: given fusion's client still making its
// first connection (fusion does not wait for it: the broker may be
// away), when fusion subscribes, expect no error, no warning (paho's
// "not currently connected and ResumeSubs not set" was logged at warning
// level at every start), a line at info level saying the subscription
// waits for the connection, and the subscription made once connected.
func TestSubscribeBeforeFirstConnect(t *testing.T) {
	b := brokertest.Start(t, "none")
	b.Stop()
	var logs syncbuf.Buffer
	resub := &Resubscriber{Log: slog.New(slog.NewTextHandler(&logs, nil))}
	opts := mqttlink.NewClientOptions().AddBroker(b.URL()).SetClientID("fusion-test").SetCleanSession(false).
		SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(100 * time.Millisecond).SetConnectTimeout(2 * time.Second)
	opts.SetOnConnectHandler(resub.OnConnect)
	opts.SetDefaultPublishHandler(resub.Default)
	c := mqtt.NewClient(opts)
	connecting := c.Connect() // as connectFusion: it ends with the first connection
	t.Cleanup(func() { c.Disconnect(50) })
	defer func() { t.Log(logs.String()) }()
	got := make(chan string, 4)
	sub := PahoSubscriber{Client: c, Resubscribe: resub, Timeout: 2 * time.Second}
	if err := sub.Subscribe("rfw/v1/hmp/sensor/+/+", 1, func(topic string, _ []byte) { got <- topic }); err != nil {
		t.Fatalf("subscribe before the first connection: %v, want it left to the connection", err)
	}
	before := logs.String()
	if strings.Contains(before, "level=WARN") || strings.Contains(before, "ResumeSubs") {
		t.Errorf("subscribing before the first connection logged a warning or paho's words:\n%s", before)
	}
	if !strings.Contains(before, `level=INFO msg="mqtt: not connected to the broker yet; subscribing once connected"`) {
		t.Errorf("no info line saying the subscription waits for the connection:\n%s", before)
	}
	if err := b.Restart(); err != nil {
		t.Fatal(err)
	}
	if !connecting.WaitTimeout(10*time.Second) || connecting.Error() != nil {
		t.Fatalf("connect: %v", connecting.Error())
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if err := b.Publish("rfw/v1/hmp/sensor/s1/detection", []byte("{}")); err != nil {
			t.Fatal(err)
		}
		select {
		case <-got:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatal("no message after the first connection: the subscription was not made")
}

// TestSubscribeRefusedByACL: given a broker whose ACL denies fusion's
// user the topic (SUBACK failure code 0x80), when fusion subscribes,
// expect a clear error naming the topic; paho reports success.
func TestSubscribeRefusedByACL(t *testing.T) {
	srv, addr, err := embroker.StartAuth("127.0.0.1:0", &mochiauth.Ledger{
		Auth: mochiauth.AuthRules{{Username: "fusion", Password: "pw", Allow: true}},
		ACL:  mochiauth.ACLRules{{Username: "fusion", Filters: mochiauth.Filters{"rfw/v1/#": mochiauth.Deny}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var logs syncbuf.Buffer
	c, resub := fusionClient(t, "tcp://"+addr, "fusion", "pw", &logs)
	defer func() { t.Log(logs.String()) }()
	const topic = "rfw/v1/hmp/sensor/+/+"
	err = PahoSubscriber{Client: c, Resubscribe: resub, Timeout: 5 * time.Second}.Subscribe(topic, 1, func(string, []byte) {})
	if err == nil || !strings.Contains(err.Error(), "refused") || !strings.Contains(err.Error(), "0x80") {
		t.Errorf("subscribe refused by the ACL: %v, want an error saying the broker refused it (0x80)", err)
	}
	// Run names the topic
	eng, err := New(Config{TickEvery: time.Hour}, Deps{Site: wing(t), TimeSeries: &storetest.Recorder{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	err = eng.Run(ctx, PahoSubscriber{Client: c, Resubscribe: resub, Timeout: 5 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "subscribe "+eng.Subscription()+": the broker refused") {
		t.Errorf("Run with its subscription refused: %v, want a fatal error naming %s", err, eng.Subscription())
	}
}

// TestSubscribeOverDeliveryID: given a broker that answers a SUBSCRIBE
// under the packet ID of a delivery in flight to the client with 0x91
// (mochi 2.7.9 without the embedded broker's mend, even at MQTT 3.1.1,
// whose SUBACK has no such code; paho reports it as the QoS granted),
// when fusion subscribes to its acknowledgements while two detections
// wait unacknowledged in its inbox (broker IDs 1 and 2; paho's next ID
// 2), expect the subscription made again under paho's next ID, the code
// logged at warning level, and an acknowledgement delivered. Fusion ran
// without that subscription, silently (cmd/rfwarden
// TestCmdAckReachesOutputs failed under load).
func TestSubscribeOverDeliveryID(t *testing.T) {
	const (
		sensorTopic = "rfw/v1/hmp/sensor/+/+"
		ackTopic    = "rfw/v1/hmp/ack"
	)
	srv, addr := brokertest.StartMochi(t) // after the client's Disconnect: no reconnection into Close

	var logs syncbuf.Buffer
	resub := &Resubscriber{Log: slog.New(slog.NewTextHandler(&logs, nil))}
	opts := mqttlink.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("fusion-test").
		SetCleanSession(false).SetOrderMatters(false).SetAutoAckDisabled(true).SetConnectTimeout(2 * time.Second)
	connected := make(chan struct{})
	opts.SetOnConnectHandler(func(c mqtt.Client) { resub.OnConnect(c); close(connected) })
	opts.SetDefaultPublishHandler(resub.Default)
	c := mqtt.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(50) })
	// paho calls OnConnect on a goroutine of its own: with the first
	// subscription recorded by then, it would take paho's ID 2
	<-connected
	defer func() {
		if t.Failed() {
			t.Log(logs.String())
		}
	}()

	got := make(chan string, 8)
	handler := func(topic string, _ []byte, _ func()) { got <- topic } // never acknowledged: handled later
	sub := PahoSubscriber{Client: c, Resubscribe: resub, Timeout: 5 * time.Second}
	if err := sub.SubscribeAck(sensorTopic, 1, handler); err != nil { // paho's ID 1
		t.Fatal(err)
	}
	receive := func(want string) {
		t.Helper()
		select {
		case topic := <-got:
			if topic != want {
				t.Fatalf("got %s, want %s", topic, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no message on %s", want)
		}
	}
	for range 2 {
		if err := srv.Publish("rfw/v1/hmp/sensor/s1/detection", []byte("{}"), false, 1); err != nil {
			t.Fatal(err)
		}
		receive("rfw/v1/hmp/sensor/s1/detection")
	}
	if cl, ok := srv.Clients.Get("fusion-test"); !ok || cl.State.Inflight.Len() != 2 {
		t.Fatalf("broker: client found %v, want it with the 2 detections in flight", ok)
	}

	if err := sub.SubscribeAck(ackTopic, 1, handler); err != nil { // paho's ID 2: 0x91, then 3
		t.Fatalf("subscribe to the acknowledgements: %v", err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "suback_code=0x91") {
		t.Errorf("the SUBACK code 0x91 was not logged at warning level")
	}
	if err := srv.Publish(ackTopic, []byte("{}"), false, 1); err != nil {
		t.Fatal(err)
	}
	receive(ackTopic)
}
