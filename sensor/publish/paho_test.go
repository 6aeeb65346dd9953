package publish

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eclipse/paho.mqtt.golang/packets"

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

// TestSenderOrderOverPaho: the sender's window over paho to the embedded
// broker, with no failure: the broker gets the detections in order.
func TestSenderOrderOverPaho(t *testing.T) {
	b := brokertest.Start(t, "rfw/#")
	// Keep-alive and ack timeout are generous: on a loaded machine under
	// the race detector a late ping (the broker drops the client at 1.5×
	// keep-alive) or a late ack makes the sender publish again, which is
	// not what this test is about (TestSenderSlowBroker is).
	c, err := NewPaho(Options{BrokerURL: b.URL(), ClientID: "s1", KeepAliveDur: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 2000
	o := numberedOutbox(t, n)
	topic := event.SensorTopic("site1", "s1", event.KindDetection)
	s := &Sender{Outbox: o, Client: c, Topic: topic, AckTimeout: 30 * time.Second}
	stop, done := runSender(s)
	drainThenStop(t, o, stop, done)
	var got []string
	for _, m := range b.Messages() {
		if m.Topic == topic {
			got = append(got, string(m.Payload))
		}
	}
	if s.Retries() != 0 || len(got) != n {
		t.Fatalf("retries %d, received %d; want 0 and %d", s.Retries(), len(got), n)
	}
	for i, p := range got {
		if want := fmt.Sprintf("%05d", i); p != want {
			t.Fatalf("message %d is %s, want %s", i, p, want)
		}
	}
}

// lossyBroker is a minimal MQTT 3.1.1 server on 127.0.0.1 for one client.
// Its first connection takes drop PUBLISHes, answers none and closes (an
// outage that loses their PUBACKs); later connections answer every PUBLISH.
type lossyBroker struct {
	ln    net.Listener
	drop  int
	acked atomic.Int64 // PUBACKs sent after the outage
	conns atomic.Int64
}

func startLossyBroker(t *testing.T, drop int) *lossyBroker {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	b := &lossyBroker{ln: ln, drop: drop}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go b.serve(conn, b.conns.Add(1) == 1)
		}
	}()
	return b
}

func (b *lossyBroker) serve(conn net.Conn, first bool) {
	defer conn.Close()
	if _, err := packets.ReadPacket(conn); err != nil { // CONNECT
		return
	}
	ack := packets.NewControlPacket(packets.Connack).(*packets.ConnackPacket)
	ack.SessionPresent = !first
	if ack.Write(conn) != nil {
		return
	}
	for n := 0; ; {
		p, err := packets.ReadPacket(conn)
		if err != nil {
			return
		}
		switch p := p.(type) {
		case *packets.PublishPacket:
			if first {
				if n++; n == b.drop {
					return
				}
				continue
			}
			pa := packets.NewControlPacket(packets.Puback).(*packets.PubackPacket)
			pa.MessageID = p.MessageID
			if pa.Write(conn) != nil {
				return
			}
			b.acked.Add(1)
		case *packets.PingreqPacket:
			if packets.NewControlPacket(packets.Pingresp).Write(conn) != nil {
				return
			}
		case *packets.DisconnectPacket:
			return
		}
	}
}

// TestPahoMessageIDsAfterOutage: with a persistent session paho frees the
// message ID of a publish whose PUBACK an outage lost only when it sends the
// message again from its store. With no store (as before) every outage
// leaked the IDs of the window in flight, and once all 65535 had leaked
// every publish failed with "no message IDs available" against a healthy
// broker. This test loses all 65535 in one outage, then publishes.
func TestPahoMessageIDsAfterOutage(t *testing.T) {
	const lost = 65535
	b := startLossyBroker(t, lost)
	c, err := NewPaho(Options{BrokerURL: "tcp://" + b.ln.Addr().String(), ClientID: "s1", KeepAliveDur: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	topic := event.SensorTopic("site1", "s1", event.KindDetection)
	gone, stop := context.WithCancel(ctx)
	stop() // the sender has given up waiting for each of these
	for i := 0; i < lost && c.IsConnected(); i++ {
		_ = c.Publish(gone, topic, QoS1, false, []byte("lost"))
	}
	for (b.conns.Load() < 2 || !c.IsConnected()) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond) // the outage; paho reconnects
	}
	var perr error
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		perr = c.Publish(pctx, topic, QoS1, false, []byte("after the outage"))
		pcancel()
		if perr == nil {
			break
		}
	}
	if perr != nil {
		t.Errorf("publish to a healthy broker after the outage: %v (%d PUBACKs since)", perr, b.acked.Load())
	}
}
