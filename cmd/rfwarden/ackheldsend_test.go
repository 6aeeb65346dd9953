package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/sensor/publish/brokertest"
)

// stallPublishHook holds each PUBLISH on a topic ending in suffix in the
// broker until release is closed, telling arrived of it: the broker's
// PUBACK waits that long.
type stallPublishHook struct {
	mochi.HookBase
	suffix  string
	arrived chan struct{}
	release chan struct{}
}

func (h *stallPublishHook) ID() string           { return "stall-publish" }
func (h *stallPublishHook) Provides(b byte) bool { return b == mochi.OnPublish }
func (h *stallPublishHook) OnPublish(_ *mochi.Client, pk packets.Packet) (packets.Packet, error) {
	if strings.HasSuffix(pk.TopicName, h.suffix) {
		select {
		case h.arrived <- struct{}{}:
		default:
		}
		<-h.release
	}
	return pk, nil
}

// TestAckHeldBeforeSent: an acknowledgement is held in the database
// while its announcement is under way (the broker has not taken it yet),
// so a dashboard stopped then announces it when it starts again; once the
// broker takes it, it is held no more. Before, it was held only after the
// announcement failed, and a stop during it lost it.
func TestAckHeldBeforeSent(t *testing.T) {
	hook := &stallPublishHook{suffix: "/ack", arrived: make(chan struct{}, 1), release: make(chan struct{})}
	_, addr := brokertest.StartMochi(t, hook)
	released := false
	release := func() {
		if !released {
			released = true
			close(hook.release)
		}
	}
	defer release()
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "d.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	acks, client := announcerOnFeed(t, "tcp://"+addr, 10*time.Second, db, slog.New(slog.DiscardHandler))
	defer client.Disconnect(250)
	waitConnection(t, client, true)
	ctx := context.Background()
	done := make(chan error, 1)
	go func() {
		done <- acks.AnnounceAck(ctx, event.Ack{Schema: event.SchemaVersion, Site: "hmp-test", Alert: "a1", By: "officer1", AckNS: 10})
	}()
	select {
	case <-hook.arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the announcement did not reach the broker")
	}
	held, err := db.HeldAcks(ctx, 0)
	if err != nil || len(held) != 1 || held[0].Alert != "a1" || held[0].By != "officer1" {
		t.Errorf("held while the announcement is under way: %+v, %v; want a1's by officer1", held, err)
	}
	release()
	if err := <-done; err != nil {
		t.Fatalf("announce: %v", err)
	}
	if held, err := db.HeldAcks(ctx, 0); err != nil || len(held) != 0 {
		t.Errorf("held after the broker took it: %+v, %v; want none", held, err)
	}
}
