package embroker

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/rfwarden/rfwarden/internal/mqttlink"
)

// TestPacketIDCollisionKeepsDelivery: the broker's deliveries to a client
// and the client's own publishes number their packet IDs each in its own
// space (MQTT 3.1.1 2.3.1, MQTT 5 2.2.1), and both counters start at 1,
// so fusion publishing an alert while an acknowledgement the broker
// delivered to it waits in its inbox, unacknowledged, often carries the
// same ID. mochi 2.7.9 keeps both directions in one in-flight table, and
// its processPublish deletes the broker's delivery under that ID (as if
// the client's publish acknowledged it), which costs:
//   - at MQTT 3.1.1 (paho: all of rfwarden's clients): the delivery is
//     not sent again when the persistent session resumes, so a message
//     fusion had not handled (acknowledged) when it stopped is lost.
//     Nothing is held back while connected: mochi keeps no send quota
//     for a 3.1.1 client (it has no Receive Maximum), so the next
//     delivery comes at once, the collision or not;
//   - at MQTT 5 with a Receive Maximum: the delivery's send quota is never
//     returned (its PUBACK finds nothing), so with Receive Maximum 1 every
//     later delivery is held until the client reconnects.
//
// The client is fusion as connectFusion sets it up (persistent session,
// QoS 1 subscription, acknowledging a message only once it has handled
// it), written by hand so that it can choose the colliding ID and hold
// its PUBACKs. Without collisionHook, the embedded broker's mend, the
// 3.1.1 row fails at the resume ("third" is not sent again) and the 5 row
// already at "second", which never arrives.
func TestPacketIDCollisionKeepsDelivery(t *testing.T) {
	onEmbedded(t, runCollision)
}

// collisionWait is how long runCollision waits for a delivery: far below
// fusion's 30 s keepalive, so a delivery late by a ping is late here.
const collisionWait = 2 * time.Second

// collisionCases are the protocols runCollision speaks as fusion.
var collisionCases = []collisionCase{
	{"MQTT 3.1.1 as paho speaks it", 4, 0},
	{"MQTT 5 with Receive Maximum 1", 5, 1},
}

type collisionCase struct {
	name    string
	version byte
	recvMax uint16 // MQTT 5 Receive Maximum; 0: none (3.1.1)
}

// runCollision plays TestPacketIDCollisionKeepsDelivery's exchange with
// the broker at addr. settle(n) waits until the broker holds n messages
// in flight to fusion, and fails if it does not (the embedded broker's
// table; nothing for a broker the test cannot look into).
func runCollision(t *testing.T, addr string, tc collisionCase, settle func(n int)) {
	const (
		ackTopic   = "rfw/v1/wing/ack"
		alertTopic = "rfw/v1/wing/alert"
		wait       = collisionWait
	)
	fusionConn := rawConnect{id: "fusion", version: tc.version, recvMax: tc.recvMax}
	fusion := dialRaw(t, addr, fusionConn)
	if present := fusion.connack(t); present {
		t.Fatal("first connection: session present, want a new session")
	}
	fusion.subscribe(t, 1, ackTopic)
	dash := dialRaw(t, addr, rawConnect{id: "dashboard", version: 4, clean: true})
	dash.connack(t)

	// fusion publishes an alert under the ID of a delivery it has not
	// handled yet; the broker acknowledges the alert, and only that: the
	// delivery stays in flight
	dash.publishAcked(t, 1, ackTopic, "first")
	first := fusion.expectPublish(t, wait, "first")
	fusion.publishAcked(t, first.PacketID, alertTopic, "alert")
	settle(1)
	// handled: acknowledged (the broker has taken the PUBACK before the
	// next message: at MQTT 5 mochi loses the quota of a delivery that
	// found it spent and waited for it), and the next delivery comes at
	// once
	fusion.puback(t, first.PacketID)
	settle(0)
	dash.publishAcked(t, 2, ackTopic, "second")
	second := fusion.expectPublish(t, wait, "second")
	fusion.puback(t, second.PacketID)
	settle(0)

	// the same collision, and fusion stops before handling the delivery:
	// the resumed session sends it again, marked DUP
	dash.publishAcked(t, 3, ackTopic, "third")
	third := fusion.expectPublish(t, wait, "third")
	fusion.publishAcked(t, third.PacketID, alertTopic, "alert")
	settle(1)
	fusion.close()
	fusion = dialRaw(t, addr, fusionConn)
	if present := fusion.connack(t); !present {
		t.Fatal("reconnection: no session present, want fusion's session resumed")
	}
	again := fusion.expectPublish(t, wait, "third")
	if !again.FixedHeader.Dup || again.PacketID != third.PacketID {
		t.Errorf("sent again as ID %d DUP %v, want ID %d DUP true", again.PacketID, again.FixedHeader.Dup, third.PacketID)
	}
	fusion.puback(t, again.PacketID)
	settle(0)
}

// waitInflight waits up to d until the broker holds want deliveries
// (PUBLISH packets) in flight to client id. It counts no other entry: the
// PUBACK a test reads is written while the broker still holds it under
// the publish's ID, before it has finished with the publish (and before
// collisionHook has put back a delivery under that ID).
func waitInflight(t *testing.T, srv *mochi.Server, id string, want int, d time.Duration) {
	t.Helper()
	var got int
	for end := time.Now().Add(d); ; time.Sleep(5 * time.Millisecond) {
		cl, ok := srv.Clients.Get(id)
		if !ok {
			t.Fatalf("broker has no client %q", id)
		}
		got = 0
		for _, pk := range cl.State.Inflight.GetAll(false) {
			if pk.FixedHeader.Type == packets.Publish {
				got++
			}
		}
		if got == want || time.Now().After(end) {
			break
		}
	}
	if got != want {
		t.Errorf("broker holds %d deliveries in flight to %s, want %d", got, id, want)
	}
}

// rawConnect is a hand-written client's CONNECT.
type rawConnect struct {
	id      string
	version byte // 4: MQTT 3.1.1; 5: MQTT 5
	clean   bool
	recvMax uint16 // MQTT 5 only
}

// rawClient speaks MQTT over one TCP connection, packet by packet, with
// mochi's encoders: it sends what a test tells it (packet IDs included)
// and acknowledges nothing by itself.
type rawClient struct {
	t       *testing.T
	conn    net.Conn
	r       *bufio.Reader
	version byte
}

func dialRaw(t *testing.T, addr string, o rawConnect) *rawClient {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c := &rawClient{t: t, conn: conn, r: bufio.NewReader(conn), version: o.version}
	t.Cleanup(c.close)
	pk := packets.Packet{
		FixedHeader:     packets.FixedHeader{Type: packets.Connect},
		ProtocolVersion: o.version,
		Connect: packets.ConnectParams{
			ProtocolName:     []byte("MQTT"),
			ClientIdentifier: o.id,
			Clean:            o.clean,
			Keepalive:        30, // paho's default, fusion's
		},
	}
	if o.version == 5 {
		pk.Properties.ReceiveMaximum = o.recvMax
		if !o.clean {
			pk.Properties.SessionExpiryInterval = 300 // persistent, as CleanSession false is at 3.1.1
			pk.Properties.SessionExpiryIntervalFlag = true
		}
	}
	c.write(t, pk)
	return c
}

func (c *rawClient) close() { _ = c.conn.Close() }

func (c *rawClient) write(t *testing.T, pk packets.Packet) {
	t.Helper()
	pk.ProtocolVersion = c.version
	var b bytes.Buffer
	var err error
	switch pk.FixedHeader.Type {
	case packets.Connect:
		err = pk.ConnectEncode(&b)
	case packets.Publish:
		err = pk.PublishEncode(&b)
	case packets.Puback:
		err = pk.PubackEncode(&b)
	case packets.Subscribe:
		pk.FixedHeader.Qos = 1 // [MQTT-3.8.1-1]
		err = pk.SubscribeEncode(&b)
	default:
		err = fmt.Errorf("no encoder for packet type %d", pk.FixedHeader.Type)
	}
	if err != nil {
		t.Fatal(err)
	}
	_ = c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.conn.Write(b.Bytes()); err != nil {
		t.Fatalf("write packet type %d: %v", pk.FixedHeader.Type, err)
	}
}

// read returns the next packet the broker sends within d.
func (c *rawClient) read(d time.Duration) (packets.Packet, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(d))
	hb, err := c.r.ReadByte()
	if err != nil {
		return packets.Packet{}, err
	}
	var pk packets.Packet
	pk.ProtocolVersion = c.version
	if err := pk.FixedHeader.Decode(hb); err != nil {
		return pk, err
	}
	n, _, err := packets.DecodeLength(c.r)
	if err != nil {
		return pk, err
	}
	pk.FixedHeader.Remaining = n
	buf := make([]byte, n)
	if _, err := io.ReadFull(c.r, buf); err != nil {
		return pk, err
	}
	switch pk.FixedHeader.Type {
	case packets.Connack:
		err = pk.ConnackDecode(buf)
	case packets.Publish:
		err = pk.PublishDecode(buf)
	case packets.Puback:
		err = pk.PubackDecode(buf)
	case packets.Pubrec:
		err = pk.PubrecDecode(buf)
	case packets.Suback:
		err = pk.SubackDecode(buf)
	case packets.Disconnect:
		err = pk.DisconnectDecode(buf)
	}
	return pk, err
}

// expect reads the next packet and fails unless it is of type typ.
func (c *rawClient) expect(t *testing.T, d time.Duration, typ byte) packets.Packet {
	t.Helper()
	pk, err := c.read(d)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("no packet of type %d within %v", typ, d)
		}
		t.Fatalf("reading packet of type %d: %v", typ, err)
	}
	if pk.FixedHeader.Type != typ {
		t.Fatalf("got packet type %d (ID %d, %q), want type %d", pk.FixedHeader.Type, pk.PacketID, pk.Payload, typ)
	}
	return pk
}

// connack reads the CONNACK, fails unless it accepts, and returns its
// session present flag.
func (c *rawClient) connack(t *testing.T) bool {
	t.Helper()
	pk := c.expect(t, 5*time.Second, packets.Connack)
	if pk.ReasonCode != 0 {
		t.Fatalf("CONNACK refused: reason 0x%02x", pk.ReasonCode)
	}
	return pk.SessionPresent
}

func (c *rawClient) subscribe(t *testing.T, id uint16, filter string) {
	t.Helper()
	c.write(t, packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Subscribe}, PacketID: id,
		Filters: packets.Subscriptions{{Filter: filter, Qos: 1}}})
	pk := c.expect(t, 5*time.Second, packets.Suback)
	if pk.PacketID != id || len(pk.ReasonCodes) != 1 || pk.ReasonCodes[0] != 1 {
		t.Fatalf("SUBACK ID %d codes %v, want ID %d granting QoS 1", pk.PacketID, pk.ReasonCodes, id)
	}
}

// publishAcked publishes payload at QoS 1 under id and reads the PUBACK,
// failing on any other packet first.
func (c *rawClient) publishAcked(t *testing.T, id uint16, topic, payload string) {
	t.Helper()
	c.write(t, packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1}, PacketID: id,
		TopicName: topic, Payload: []byte(payload)})
	pk := c.expect(t, 5*time.Second, packets.Puback)
	if pk.PacketID != id {
		t.Fatalf("PUBACK ID %d, want %d", pk.PacketID, id)
	}
}

// expectPublish reads a QoS 1 PUBLISH of payload within d.
func (c *rawClient) expectPublish(t *testing.T, d time.Duration, payload string) packets.Packet {
	t.Helper()
	pk := c.expect(t, d, packets.Publish)
	if string(pk.Payload) != payload || pk.FixedHeader.Qos != 1 {
		t.Fatalf("got %q at QoS %d, want %q at QoS 1", pk.Payload, pk.FixedHeader.Qos, payload)
	}
	return pk
}

func (c *rawClient) puback(t *testing.T, id uint16) {
	t.Helper()
	c.write(t, packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Puback}, PacketID: id})
}

// TestPahoFusionKeepsUnhandledAcrossCollision is
// TestPacketIDCollisionKeepsDelivery with paho and fusion's options
// (connectFusion: mqttlink's store, persistent session, manual
// acknowledgement, a default handler for what comes before the
// subscription): fusion subscribes (packet ID 1), two acknowledgements
// come (the broker's IDs 1 and 2) and wait unhandled while fusion
// publishes an alert (paho's next ID, 2); fusion stops, and the next
// fusion gets both again. Without collisionHook only the first came back.
func TestPahoFusionKeepsUnhandledAcrossCollision(t *testing.T) {
	const ackTopic = "rfw/v1/wing/ack"
	srv, addr, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	got := make(chan paho.Message, 8)
	handle := func(_ paho.Client, m paho.Message) { got <- m } // acknowledged only when handled: never, here
	connect := func() paho.Client {
		o := mqttlink.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("fusion").
			SetCleanSession(false).SetOrderMatters(false).SetAutoAckDisabled(true).
			SetConnectTimeout(5 * time.Second).SetDefaultPublishHandler(handle)
		c := paho.NewClient(o)
		if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("connect: %v", tok.Error())
		}
		return c
	}
	receive := func(want ...string) {
		t.Helper()
		var payloads []string
		for range want {
			select {
			case m := <-got:
				payloads = append(payloads, string(m.Payload()))
			case <-time.After(collisionWait):
				t.Fatalf("fusion got %q, want %q", payloads, want)
			}
		}
		slices.Sort(payloads)
		if !slices.Equal(payloads, want) {
			t.Fatalf("fusion got %q, want %q", payloads, want)
		}
	}

	fusion := connect()
	if tok := fusion.Subscribe(ackTopic, 1, handle); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	for _, p := range []string{"ack 1", "ack 2"} {
		if err := srv.Publish(ackTopic, []byte(p), false, 1); err != nil {
			t.Fatal(err)
		}
	}
	receive("ack 1", "ack 2")
	if tok := fusion.Publish("rfw/v1/wing/alert", 1, false, "alert"); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	waitInflight(t, srv, "fusion", 2, collisionWait)
	fusion.Disconnect(0)

	fusion = connect() // a new fusion: the session's deliveries come before it subscribes
	defer fusion.Disconnect(0)
	receive("ack 1", "ack 2")
}

// TestSubscribeOverDeliveryID: a client subscribing under the packet ID of
// a delivery it has not acknowledged yet gets its subscription. The
// client's SUBSCRIBE and the broker's PUBLISH number their IDs each in
// its own space (MQTT 3.1.1 2.3.1, MQTT 5 2.2.1), but mochi 2.7.9 looks
// the SUBSCRIBE's ID up in the client's one in-flight table and answers
// "packet identifier in use", 0x91, even at MQTT 3.1.1, where a SUBACK
// has no such code (paho reported it as the QoS granted). Fusion,
// subscribing to its site's acknowledgements while the first detections
// waited in its inbox unacknowledged, ran without that subscription, and
// an acknowledgement taken in the dashboard never reached it
// (cmd/rfwarden TestCmdAckReachesOutputs failed 1 run in 5 under load).
// The delivery stays in flight: its PUBACK, or the resumed session,
// still finds it.
func TestSubscribeOverDeliveryID(t *testing.T) {
	onEmbedded(t, runSubscribeOverDelivery)
}

// onEmbedded runs play for each of collisionCases against a new embedded
// broker, settling on its in-flight table (waitInflight).
func onEmbedded(t *testing.T, play func(t *testing.T, addr string, tc collisionCase, settle func(n int))) {
	for _, tc := range collisionCases {
		t.Run(tc.name, func(t *testing.T) {
			srv, addr, err := Start("127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			play(t, addr, tc, func(want int) { waitInflight(t, srv, "fusion", want, collisionWait) })
		})
	}
}

// runSubscribeOverDelivery plays TestSubscribeOverDeliveryID's exchange
// with the broker at addr; settle is runCollision's.
func runSubscribeOverDelivery(t *testing.T, addr string, tc collisionCase, settle func(n int)) {
	const (
		sensorTopic = "rfw/v1/wing/sensor/+/+"
		ackTopic    = "rfw/v1/wing/ack"
	)
	fusion := dialRaw(t, addr, rawConnect{id: "fusion", version: tc.version, recvMax: tc.recvMax})
	fusion.connack(t)
	fusion.subscribe(t, 1, sensorTopic)
	sensor := dialRaw(t, addr, rawConnect{id: "sensor", version: 4, clean: true})
	sensor.connack(t)
	sensor.publishAcked(t, 1, "rfw/v1/wing/sensor/s1/detection", "detection")
	d := fusion.expectPublish(t, collisionWait, "detection")
	settle(1)

	fusion.subscribe(t, d.PacketID, ackTopic) // fails on a SUBACK refusing it
	settle(1)
	fusion.puback(t, d.PacketID)
	settle(0)
	sensor.publishAcked(t, 2, ackTopic, "ack")
	a := fusion.expectPublish(t, collisionWait, "ack")
	fusion.puback(t, a.PacketID)
}
