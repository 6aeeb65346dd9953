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
//
// A SUBSCRIBE or UNSUBSCRIBE under the ID of a delivery in flight collides
// too: mochi 2.7.9's processSubscribe and processUnsubscribe look its ID
// up in the same table and answer 0x91 (packet identifier in use) for
// every filter, at MQTT 3.1.1 too, whose SUBACK has no such code (paho
// reports it as the QoS granted, and fusion ran without its subscription
// to acknowledgements: its SUBSCRIBE came while the first detections
// waited unacknowledged in its inbox). OnPacketRead takes such a delivery
// out of the table before mochi looks, and OnSubscribed or
// OnUnsubscribed, called before the SUBACK or UNSUBACK is written, puts
// it back (OnPacketProcessed, or OnDisconnect for a packet mochi refused,
// if they were not called). Its PUBACK, or the resumed session, finds it
// as before. mosquitto keeps the directions apart here too.
// TestSubscribeOverDeliveryID.
type collisionHook struct {
	mochi.HookBase
	info *int64 // the server's Info.Inflight, the $SYS count of messages in flight

	mu   sync.Mutex
	held map[*mochi.Client]heldDelivery // the delivery under the ID of the packet being processed
}

// heldDelivery is a delivery under the ID of a client's packet mochi is
// processing.
type heldDelivery struct {
	pk    packets.Packet
	taken bool // taken out of the table (a SUBSCRIBE or UNSUBSCRIBE); a publish's is only copied
}

func newCollisionHook(srv *mochi.Server) *collisionHook {
	return &collisionHook{info: &srv.Info.Inflight, held: map[*mochi.Client]heldDelivery{}}
}

// ID implements mochi.Hook.
func (h *collisionHook) ID() string { return "rfwarden-packet-id-collision" }

// Provides implements mochi.Hook.
func (h *collisionHook) Provides(b byte) bool {
	switch b {
	case mochi.OnPacketRead, mochi.OnPacketProcessed, mochi.OnDisconnect, mochi.OnSubscribed, mochi.OnUnsubscribed:
		return true
	}
	return false
}

// OnPacketRead implements mochi.Hook: it keeps the delivery (a PUBLISH
// waiting for its PUBACK or PUBREC, or a PUBREL for its PUBCOMP) under
// the ID of a QoS 1 publish from cl, and takes it out of the table under
// the ID of a SUBSCRIBE or UNSUBSCRIBE. It returns pk unchanged.
func (h *collisionHook) OnPacketRead(cl *mochi.Client, pk packets.Packet) (packets.Packet, error) {
	var take bool
	switch pk.FixedHeader.Type {
	case packets.Publish:
		if pk.FixedHeader.Qos != 1 {
			return pk, nil
		}
	case packets.Subscribe, packets.Unsubscribe:
		take = true
	default:
		return pk, nil
	}
	if cl.Net.Inline {
		return pk, nil
	}
	out, ok := cl.State.Inflight.Get(pk.PacketID)
	if !ok || (out.FixedHeader.Type != packets.Publish && out.FixedHeader.Type != packets.Pubrel) {
		return pk, nil
	}
	if take {
		cl.State.Inflight.Delete(pk.PacketID) // not counted off Info.Inflight: putBack returns it
	}
	h.mu.Lock()
	h.held[cl] = heldDelivery{pk: out, taken: take}
	h.mu.Unlock()
	return pk, nil
}

// OnSubscribed implements mochi.Hook: it puts back the delivery
// OnPacketRead took out under the SUBSCRIBE's ID.
func (h *collisionHook) OnSubscribed(cl *mochi.Client, _ packets.Packet, _ []byte) { h.putBack(cl) }

// OnUnsubscribed implements mochi.Hook: it puts back the delivery
// OnPacketRead took out under the UNSUBSCRIBE's ID.
func (h *collisionHook) OnUnsubscribed(cl *mochi.Client, _ packets.Packet) { h.putBack(cl) }

// putBack puts the delivery held for cl back in its in-flight table,
// unless its ID is in use again (the delivery is then lost, and counted
// off Info.Inflight when the table had lost it).
func (h *collisionHook) putBack(cl *mochi.Client) {
	h.mu.Lock()
	d, ok := h.held[cl]
	delete(h.held, cl)
	h.mu.Unlock()
	if !ok {
		return
	}
	if _, taken := cl.State.Inflight.Get(d.pk.PacketID); taken {
		if d.taken {
			atomic.AddInt64(h.info, -1)
		}
		return
	}
	if cl.State.Inflight.Set(d.pk) && !d.taken {
		atomic.AddInt64(h.info, 1) // processPublish took it off
	}
}

// OnPacketProcessed implements mochi.Hook: it puts back the delivery
// OnPacketRead kept, unless its ID is in use again.
func (h *collisionHook) OnPacketProcessed(cl *mochi.Client, pk packets.Packet, _ error) {
	switch pk.FixedHeader.Type {
	case packets.Publish, packets.Subscribe, packets.Unsubscribe:
		h.putBack(cl)
	}
}

// OnDisconnect implements mochi.Hook: for a packet mochi refused before
// processing it (OnPacketProcessed is not called then) it forgets a
// delivery kept for a publish (nothing was deleted) and puts back one
// taken out for a SUBSCRIBE or UNSUBSCRIBE, so the session keeps it.
func (h *collisionHook) OnDisconnect(cl *mochi.Client, _ error, _ bool) {
	h.mu.Lock()
	d, ok := h.held[cl]
	if ok && !d.taken {
		delete(h.held, cl)
	}
	h.mu.Unlock()
	if ok && d.taken {
		h.putBack(cl)
	}
}
