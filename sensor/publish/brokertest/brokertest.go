package brokertest

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/internal/embroker"
)

// Message is one message the broker routed to the recorder.
type Message struct {
	Topic    string
	Payload  []byte
	Retained bool
}

// Broker is an in-process MQTT broker that records messages.
type Broker struct {
	Addr   string // host:port
	filter string

	mu     sync.Mutex
	srv    *mqtt.Server
	msgs   []Message
	marked [][2]string // site, sensor: MarkFusionSession's, made again by Restart
}

// Start starts a broker on a free 127.0.0.1 port recording messages matching
// filter; it is closed when the test ends.
func Start(t testing.TB, filter string) *Broker {
	t.Helper()
	b := &Broker{Addr: "127.0.0.1:0", filter: filter} // the first start picks a free port
	if err := b.Restart(); err != nil {
		t.Fatalf("start broker: %v", err)
	}
	t.Cleanup(b.Stop)
	return b
}

// StartMochi starts a plain mochi broker with hooks on a free 127.0.0.1
// port, allowing every client, without the embedded broker's mends
// (internal/embroker): for tests of what a client does with mochi's own
// answers. It returns the server and its address, and closes it when the
// test ends.
func StartMochi(t testing.TB, hooks ...mqtt.Hook) (*mqtt.Server, string) {
	t.Helper()
	srv := mqtt.New(&mqtt.Options{InlineClient: true, Logger: slog.New(slog.DiscardHandler)})
	for _, h := range append([]mqtt.Hook{new(auth.AllowHook)}, hooks...) {
		if err := srv.AddHook(h, nil); err != nil {
			t.Fatal(err)
		}
	}
	ln := listeners.NewTCP(listeners.Config{ID: "t", Address: "127.0.0.1:0"})
	if err := srv.AddListener(ln); err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv, ln.Address()
}

// URL returns the tcp:// URL of the broker.
func (b *Broker) URL() string { return "tcp://" + b.Addr }

// Restart starts the broker again (after Stop) on the same address. Retained
// messages and sessions of the previous run are gone, as after a crash.
func (b *Broker) Restart() error {
	srv, marked, err := b.restart()
	if err != nil || srv == nil {
		return err
	}
	for _, m := range marked { // unlocked: the recorder takes b.mu
		if err := publishMarker(srv, m[0], m[1]); err != nil {
			return err
		}
	}
	return nil
}

// restart starts the server and subscribes the recorder; it returns the
// new server (nil when it was running) and the markers to publish again.
func (b *Broker) restart() (*mqtt.Server, [][2]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.srv != nil {
		return nil, nil, nil
	}
	srv, addr, err := embroker.Start(b.Addr)
	if err != nil {
		return nil, nil, err
	}
	if b.Addr != addr { // only on the first start: later ones reuse the address
		b.Addr = addr
	}
	if err := srv.Subscribe(b.filter, 1, func(_ *mqtt.Client, _ packets.Subscription, pk packets.Packet) {
		m := Message{Topic: pk.TopicName, Payload: append([]byte(nil), pk.Payload...), Retained: pk.FixedHeader.Retain}
		b.mu.Lock()
		b.msgs = append(b.msgs, m)
		b.mu.Unlock()
	}); err != nil {
		return nil, nil, err
	}
	b.srv = srv
	return srv, slices.Clone(b.marked), nil
}

// MarkFusionSession publishes fusion's session marker (event.CmdSession,
// retained) on each sensor's cmd topic of site, as fusion does once its
// subscription is made: the recorder stands for fusion, so a sensor agent
// publishes its detections. Restart, which subscribes the recorder again,
// publishes the markers again.
func (b *Broker) MarkFusionSession(site string, sensors ...string) error {
	b.mu.Lock()
	for _, s := range sensors {
		b.marked = append(b.marked, [2]string{site, s})
	}
	srv := b.srv
	b.mu.Unlock() // the recorder takes b.mu for the markers
	if srv == nil {
		return nil
	}
	for _, s := range sensors {
		if err := publishMarker(srv, site, s); err != nil {
			return err
		}
	}
	return nil
}

func publishMarker(srv *mqtt.Server, site, sensor string) error {
	p, err := event.Encode(event.Command{Schema: event.SchemaVersion, Site: site, Sensor: sensor, TimeNS: time.Now().UnixNano(),
		Cmd: event.CmdSession, Fusion: "brokertest"})
	if err != nil {
		return err
	}
	return srv.Publish(event.SensorTopic(site, sensor, event.KindCmd), p, true, 1)
}

// Stop closes the broker and every client connection.
func (b *Broker) Stop() {
	b.mu.Lock()
	srv := b.srv
	b.srv = nil
	b.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// Publish sends payload on topic at QoS 1 from the broker itself, as
// fusion's commands reach a sensor.
func (b *Broker) Publish(topic string, payload []byte) error {
	b.mu.Lock()
	srv := b.srv
	b.mu.Unlock()
	if srv == nil {
		return errors.New("brokertest: broker stopped")
	}
	return srv.Publish(topic, payload, false, 1)
}

// Subscribers describes, for a failing test's log, the clients the broker
// would route a message on topic to: each client's ID, filter and QoS,
// whether it is connected, and how many QoS 1 messages it holds
// unacknowledged; sorted.
func (b *Broker) Subscribers(topic string) []string {
	b.mu.Lock()
	srv := b.srv
	b.mu.Unlock()
	if srv == nil {
		return nil
	}
	var out []string
	for id, sub := range srv.Topics.Subscribers(topic).Subscriptions {
		state := "not a client of the broker"
		if cl, ok := srv.Clients.Get(id); ok {
			state = fmt.Sprintf("closed=%v inflight=%d", cl.Closed(), cl.State.Inflight.Len())
		}
		out = append(out, fmt.Sprintf("%s %s qos %d: %s", id, sub.Filter, sub.Qos, state))
	}
	slices.Sort(out)
	return out
}

// Client describes, for a failing test's log, the broker's client id:
// whether it is connected, its subscriptions' filters and the packet IDs
// of the QoS 1 messages it holds unacknowledged.
func (b *Broker) Client(id string) string {
	b.mu.Lock()
	srv := b.srv
	b.mu.Unlock()
	if srv == nil {
		return "broker stopped"
	}
	cl, ok := srv.Clients.Get(id)
	if !ok {
		return "not a client of the broker"
	}
	var filters []string
	for f := range cl.State.Subscriptions.GetAll() {
		filters = append(filters, f)
	}
	slices.Sort(filters)
	var ids []uint16
	for _, pk := range cl.State.Inflight.GetAll(false) {
		ids = append(ids, pk.PacketID)
	}
	slices.Sort(ids)
	return fmt.Sprintf("closed=%v subscriptions=%q inflight packet IDs=%v", cl.Closed(), filters, ids)
}

// Messages returns a copy of the messages recorded so far.
func (b *Broker) Messages() []Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Message(nil), b.msgs...)
}

// Retained returns the retained payload on topic, if any.
func (b *Broker) Retained(topic string) ([]byte, bool) {
	b.mu.Lock()
	srv := b.srv
	b.mu.Unlock()
	if srv == nil {
		return nil, false
	}
	pk, ok := srv.Topics.Retained.Get(topic)
	if !ok {
		return nil, false
	}
	return pk.Payload, true
}

// WaitFor polls until cond holds for the recorded messages or d passes.
func (b *Broker) WaitFor(d time.Duration, cond func([]Message) bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond(b.Messages()) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}
