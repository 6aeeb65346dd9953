package brokertest

import (
	"errors"
	"sync"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

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

	mu   sync.Mutex
	srv  *mqtt.Server
	msgs []Message
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

// URL returns the tcp:// URL of the broker.
func (b *Broker) URL() string { return "tcp://" + b.Addr }

// Restart starts the broker again (after Stop) on the same address. Retained
// messages and sessions of the previous run are gone, as after a crash.
func (b *Broker) Restart() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.srv != nil {
		return nil
	}
	srv, addr, err := embroker.Start(b.Addr)
	if err != nil {
		return err
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
		return err
	}
	b.srv = srv
	return nil
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
