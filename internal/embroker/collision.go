package embroker

import (
	"sync"
	"sync/atomic"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// collisionHook keeps the broker's delivery to a client in flight when
// the client publishes at QoS 1 under the same packet ID.
//
// The two directions number their packet IDs each in its own space
// (MQTT 3.1.1 2.3.1, MQTT 5 2.2.1), but mochi 2.7.9 keeps both in one
// in-flight table per client (Client.State.Inflight), and
// Server.processPublish deletes the entry under the ID of a client's
// QoS 1 or 2 publish, whatever it is. When it is a delivery the client
// has not acknowledged yet (fusion acknowledges a message only once it
// has handled it, and its publishes and the broker's deliveries to it
// both count IDs from 1), the delivery is no longer sent again when the
// client's persistent session resumes: a message fusion had not handled
// when it stopped was lost. For an MQTT 5 client with a Receive Maximum
// its send quota is not returned either (the PUBACK finds nothing), and
// once the quota is spent every later delivery is held until the client
// reconnects. mochi fixed the deletion in v2.8.0 (mochi-mqtt/server
// #519), which our Go module proxy does not serve; mochi issue 545 is the
// QoS 2 half, open in v2.8.0. The package doc has the whole account.
//
// OnPacketRead, which mochi calls on the client's reading goroutine just
// before it processes the packet, keeps a copy of the delivery under the
// ID of an incoming QoS 1 publish, and OnPacketProcessed, on the same
// goroutine right after, puts it back unless the ID has been taken
// meanwhile (a new delivery under it needs mochi's ID counter to come
// round all 65,535 IDs in that moment). The client's PUBACK then finds
// it. One window stays: a new connection taking the session over in the
// microseconds between mochi's PUBACK and the put-back clones the table
// without the delivery (a client restarting that fast; one that sends
// DISCONNECT first has it processed after the put-back). A QoS 2 publish is left to mochi: its PUBREC takes the entry's
// place until the PUBREL, and the table has room for one (rfwarden's
// clients publish at QoS 1 at most). mosquitto keeps the two directions
// apart (msgs_in, msgs_out), so the production broker needs no such mend.
// TestPacketIDCollisionKeepsDelivery.
type collisionHook struct {
	mochi.HookBase
	info *int64 // the server's Info.Inflight, the $SYS count of messages in flight

	mu   sync.Mutex
	held map[*mochi.Client]packets.Packet // the delivery under the ID of the publish being processed
}

func newCollisionHook(srv *mochi.Server) *collisionHook {
	return &collisionHook{info: &srv.Info.Inflight, held: map[*mochi.Client]packets.Packet{}}
}

// ID implements mochi.Hook.
func (h *collisionHook) ID() string { return "rfwarden-packet-id-collision" }

// Provides implements mochi.Hook.
func (h *collisionHook) Provides(b byte) bool {
	return b == mochi.OnPacketRead || b == mochi.OnPacketProcessed || b == mochi.OnDisconnect
}

// OnPacketRead implements mochi.Hook: it keeps the delivery (a PUBLISH
// waiting for its PUBACK or PUBREC, or a PUBREL for its PUBCOMP) under
// the ID of a QoS 1 publish from cl. It returns pk unchanged.
func (h *collisionHook) OnPacketRead(cl *mochi.Client, pk packets.Packet) (packets.Packet, error) {
	if pk.FixedHeader.Type != packets.Publish || pk.FixedHeader.Qos != 1 || cl.Net.Inline {
		return pk, nil
	}
	out, ok := cl.State.Inflight.Get(pk.PacketID)
	if !ok || (out.FixedHeader.Type != packets.Publish && out.FixedHeader.Type != packets.Pubrel) {
		return pk, nil
	}
	h.mu.Lock()
	h.held[cl] = out
	h.mu.Unlock()
	return pk, nil
}

// OnPacketProcessed implements mochi.Hook: it puts back the delivery
// OnPacketRead kept, unless its ID is in use again.
func (h *collisionHook) OnPacketProcessed(cl *mochi.Client, pk packets.Packet, _ error) {
	if pk.FixedHeader.Type != packets.Publish {
		return
	}
	h.mu.Lock()
	out, ok := h.held[cl]
	delete(h.held, cl)
	h.mu.Unlock()
	if !ok {
		return
	}
	if _, taken := cl.State.Inflight.Get(out.PacketID); taken {
		return
	}
	if cl.State.Inflight.Set(out) {
		atomic.AddInt64(h.info, 1) // processPublish took it off
	}
}

// OnDisconnect implements mochi.Hook: it forgets a delivery kept for a
// publish mochi refused before processing it (OnPacketProcessed is not
// called then, and nothing was deleted).
func (h *collisionHook) OnDisconnect(cl *mochi.Client, _ error, _ bool) {
	h.mu.Lock()
	delete(h.held, cl)
	h.mu.Unlock()
}
