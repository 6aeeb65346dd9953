package publish

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/rfwarden/rfwarden/internal/syncbuf"
	"github.com/rfwarden/rfwarden/sensor/publish/brokertest"
)

// deliveryInFlightHook makes mochi find, under the packet ID of each of
// the first n SUBSCRIBEs to topic, a delivery in flight to that client,
// as when the broker's own deliveries to the client wait for their
// PUBACKs: mochi 2.7.9 then answers 0x91 (packet identifier in use), also
// at MQTT 3.1.1, and paho reports it as the QoS granted. The delivery is
// taken out again once the SUBSCRIBE is answered.
type deliveryInFlightHook struct {
	mochi.HookBase
	topic string

	mu    sync.Mutex
	n     int
	codes [][]byte // SUBACK codes of topic's SUBSCRIBEs, in order
}

func (h *deliveryInFlightHook) ID() string { return "delivery-in-flight" }

func (h *deliveryInFlightHook) Provides(b byte) bool {
	return b == mochi.OnSubscribe || b == mochi.OnSubscribed
}

func (h *deliveryInFlightHook) OnSubscribe(cl *mochi.Client, pk packets.Packet) packets.Packet {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n > 0 && len(pk.Filters) == 1 && pk.Filters[0].Filter == h.topic {
		h.n--
		cl.State.Inflight.Set(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1},
			TopicName: h.topic, PacketID: pk.PacketID})
	}
	return pk
}

func (h *deliveryInFlightHook) OnSubscribed(cl *mochi.Client, pk packets.Packet, codes []byte) {
	if len(pk.Filters) != 1 || pk.Filters[0].Filter != h.topic {
		return
	}
	cl.State.Inflight.Delete(pk.PacketID)
	h.mu.Lock()
	h.codes = append(h.codes, codes)
	h.mu.Unlock()
}

// TestPahoSubscribeOverDeliveryID: given a broker that answers the
// sensor's cmd SUBSCRIBE twice with 0x91 (a delivery in flight under its
// packet ID; mochi without the embedded broker's mend), when the sensor
// connects, expect the code logged at warning level, the subscription
// made again until granted, and a command delivered. Before, the sensor
// took 0x91 for the QoS granted and ran without its commands.
func TestPahoSubscribeOverDeliveryID(t *testing.T) {
	const cmd = "rfw/v1/site1/sensor/s1/cmd"
	hook := &deliveryInFlightHook{topic: cmd, n: 2}
	srv, addr := brokertest.StartMochi(t, hook)

	var logs syncbuf.Buffer
	got := make(chan string, 4)
	c, err := NewPaho(Options{BrokerURL: "tcp://" + addr, ClientID: "s1",
		Logger:    slog.New(slog.NewTextHandler(&logs, nil)),
		Subscribe: []Subscription{{Topic: cmd, QoS: QoS1, Handle: func(b []byte) { got <- string(b) }}}})
	connectPaho(t, c, err)
	waitFor(t, func() bool { hook.mu.Lock(); defer hook.mu.Unlock(); return len(hook.codes) == 3 }, "three SUBSCRIBEs to the cmd topic")
	hook.mu.Lock()
	codes := hook.codes
	hook.mu.Unlock()
	if codes[0][0] != 0x91 || codes[1][0] != 0x91 || codes[2][0] != 1 {
		t.Errorf("SUBACK codes %v, want 0x91, 0x91, then QoS 1 granted", codes)
	}
	if err := srv.Publish(cmd, []byte("keep"), false, 1); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m != "keep" {
			t.Errorf("command %q, want keep", m)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("no command delivered: the sensor is not subscribed\n%s", logs.String())
	}
	if l := logs.String(); strings.Count(l, "suback_code=0x91") != 1 || !strings.Contains(l, "level=WARN") {
		t.Errorf("the SUBACK code 0x91 not logged once at warning level:\n%s", l)
	}
}

// connectPaho connects c, made by NewPaho with error err, within 10 s,
// and disconnects it when the test ends.
func connectPaho(t *testing.T, c Client, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Disconnect)
}
