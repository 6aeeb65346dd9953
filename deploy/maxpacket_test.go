package deploy

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/rfwarden/rfwarden/dashboard"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/internal/embroker"
	"github.com/rfwarden/rfwarden/internal/mqttlink"
)

// TestMaxPacketSizeAsShipped: mosquitto.conf's max_packet_size is the
// embedded broker's, and takes the largest message rfwarden sends, an
// evidence snippet the dashboard takes (dashboard.MaxEvidenceBytes) on
// the longest evidence topic. Without it mosquitto took MQTT's maximum,
// 256 MiB, from any client.
func TestMaxPacketSizeAsShipped(t *testing.T) {
	_, v := mosquittoSettings(t)
	n, err := strconv.ParseUint(v["max_packet_size"], 10, 32)
	if err != nil {
		t.Fatalf("max_packet_size %q: want a number of bytes (%v)", v["max_packet_size"], err)
	}
	if n != embroker.MaxPacketBytes {
		t.Errorf("max_packet_size %d, embroker.MaxPacketBytes %d: want the same", n, embroker.MaxPacketBytes)
	}
	if want := largestPacketBytes(); n < uint64(want) {
		t.Errorf("max_packet_size %d is below the largest message rfwarden sends (%d bytes)", n, want)
	}
}

// longestEvidenceTopic is an evidence topic of the longest site and
// sensor IDs (64 characters each, event's bound).
var longestEvidenceTopic = event.EvidenceTopic(strings.Repeat("s", 64), strings.Repeat("n", 64))

// largestPacketBytes is the size of a QoS 1 PUBLISH of the largest
// evidence snippet on the longest evidence topic: type byte, remaining
// length (4 bytes), topic (2 + length), packet ID (2), payload.
func largestPacketBytes() int {
	return 1 + 4 + 2 + len(longestEvidenceTopic) + 2 + dashboard.MaxEvidenceBytes
}

// TestEmbrokerMaxPacketSize: the embedded broker passes the largest
// message rfwarden sends and disconnects a client whose packet is larger,
// at its header.
func TestEmbrokerMaxPacketSize(t *testing.T) {
	srv, addr, err := embroker.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	checkMaxPacket(t, addr, embroker.MaxPacketBytes)
}

// checkMaxPacket checks that the broker at addr (anonymous, plain TCP)
// routes the largest evidence snippet and disconnects a client whose
// PUBLISH header announces a packet larger than limit.
func checkMaxPacket(t *testing.T, addr string, limit int) {
	t.Helper()
	client := func(id string) mqtt.Client {
		c := mqtt.NewClient(mqttlink.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(id).SetAutoReconnect(false).
			SetWriteTimeout(time.Minute))
		if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("connect %s: %v", id, tok.Error())
		}
		t.Cleanup(func() { c.Disconnect(100) })
		return c
	}
	sub := client("max-packet-sub")
	got := make(chan int, 1)
	if tok := sub.Subscribe(longestEvidenceTopic, 1, func(_ mqtt.Client, m mqtt.Message) { got <- len(m.Payload()) }); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	pub := client("max-packet-pub")
	if tok := pub.Publish(longestEvidenceTopic, 1, false, make([]byte, dashboard.MaxEvidenceBytes)); !tok.WaitTimeout(time.Minute) || tok.Error() != nil {
		t.Fatalf("publish the largest snippet (%d bytes): %v", dashboard.MaxEvidenceBytes, tok.Error())
	}
	select {
	case n := <-got:
		if n != dashboard.MaxEvidenceBytes {
			t.Errorf("received %d bytes, want %d", n, dashboard.MaxEvidenceBytes)
		}
	case <-time.After(time.Minute):
		t.Fatal("the largest snippet was not delivered")
	}

	// a PUBLISH whose header announces limit bytes after it (a packet of
	// limit + 5 bytes): the broker closes the connection without waiting
	// for them
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// CONNECT, MQTT 3.1.1, clean session, keepalive 30 s, client ID "big"
	connect := []byte{0x10, 15, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 30, 0, 3, 'b', 'i', 'g'}
	if _, err := conn.Write(connect); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	connack := make([]byte, 4)
	if _, err := io.ReadFull(conn, connack); err != nil || connack[0] != 0x20 || connack[3] != 0 {
		t.Fatalf("CONNACK % x, %v: want accepted", connack, err)
	}
	header := append([]byte{0x30}, remainingLength(limit)...)
	if _, err := conn.Write(append(header, 0, 3, 'b', 'i', 'g')); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(conn)
	if err == nil && len(rest) == 0 {
		return // closed
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the connection is still open 10 s after a PUBLISH header of %d bytes (limit %d)", limit+len(header), limit)
	}
	if err != nil && !bytes.Contains([]byte(err.Error()), []byte("reset")) {
		t.Fatalf("reading after an oversize PUBLISH header: %v", err)
	}
}

// remainingLength encodes n as MQTT's variable-length remaining length.
func remainingLength(n int) []byte {
	var b []byte
	for {
		d := byte(n % 128)
		n /= 128
		if n > 0 {
			d |= 0x80
		}
		b = append(b, d)
		if n == 0 {
			return b
		}
	}
}
