package publish

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/hooks/auth"

	"github.com/rfwarden/rfwarden/internal/embroker"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// TestSenderHoldsWhileGateClosed: given a Sender whose Gate is closed,
// when records are enqueued, expect none published and all kept in the
// outbox; when the gate opens, every one published and
// acknowledged; closed again, the next record waits until it reopens.
func TestSenderHoldsWhileGateClosed(t *testing.T) {
	o, err := Open(t.TempDir(), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	f := &fakeClient{}
	g := NewGate()
	s := &Sender{Outbox: o, Client: f, Topic: "t", Gate: g, RetryDur: time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for i := range 5 {
		if _, err := o.Enqueue(fmt.Appendf(nil, "r%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	if got := f.snapshot(); len(got) != 0 {
		t.Fatalf("published %q through a closed gate", got)
	}
	if d := o.Stats().Depth; d != 5 {
		t.Fatalf("outbox depth %d while the gate is closed, want 5", d)
	}
	if !g.Open() {
		t.Fatal("Open of a closed gate reported it open already")
	}
	waitFor(t, func() bool { return o.Stats().Depth == 0 }, "the outbox drained after the gate opened")
	got := f.snapshot()
	slices.Sort(got) // fakeClient is no Starter: its publishes run in any order
	if got, want := strings.Join(got, ","), "r0,r1,r2,r3,r4"; got != want {
		t.Fatalf("published %s, want %s", got, want)
	}
	g.Close()
	if _, err := o.Enqueue([]byte("r5")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(f.snapshot()); n != 5 {
		t.Fatalf("published %d records, want 5: r5 went through a closed gate", n)
	}
	g.Open()
	waitFor(t, func() bool { return len(f.snapshot()) == 6 }, "r5 published after the gate reopened")
}

// TestGateBypass: a bypassed gate stays open through Close.
func TestGateBypass(t *testing.T) {
	g := NewGate()
	if g.IsOpen() {
		t.Fatal("a new gate is open")
	}
	g.Bypass()
	g.Close()
	if open, bypassed, _ := g.State(); !open || !bypassed {
		t.Fatalf("bypassed gate after Close: open %v bypassed %v, want both", open, bypassed)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := g.Wait(ctx); err != nil {
		t.Fatalf("Wait on a bypassed gate: %v", err)
	}
}

// TestPahoConnectingAndRefused: given a broker whose ACL denies the
// sensor its cmd topic, when the client connects, expect Connecting
// called before the connection and the subscription's Refused called
// (SUBACK 0x80), and a subscription the ACL allows not refused.
func TestPahoConnectingAndRefused(t *testing.T) {
	srv, addr, err := embroker.StartAuth("127.0.0.1:0", &auth.Ledger{
		Auth: auth.AuthRules{{Username: "s1", Password: "pw", Allow: true}},
		ACL:  auth.ACLRules{{Username: "s1", Filters: auth.Filters{"rfw/v1/site1/sensor/s1/cmd": auth.Deny}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() }) // after the client disconnects (connectPaho)
	var logs syncbuf.Buffer
	var connecting, refusedCmd, refusedOther atomic.Int64
	c, err := NewPaho(Options{BrokerURL: "tcp://" + addr, ClientID: "s1", Username: "s1", Password: "pw",
		Logger:     slog.New(slog.NewTextHandler(&logs, nil)),
		Connecting: func() { connecting.Add(1) },
		Subscribe: []Subscription{
			{Topic: "rfw/v1/site1/sensor/s1/cmd", QoS: QoS1, Handle: func([]byte) {}, Refused: func() { refusedCmd.Add(1) }},
			{Topic: "rfw/v1/site1/sensor/s1/other", QoS: QoS1, Handle: func([]byte) {}, Refused: func() { refusedOther.Add(1) }},
		}})
	connectPaho(t, c, err)
	waitFor(t, func() bool { return refusedCmd.Load() == 1 }, "Refused called for the denied cmd topic")
	time.Sleep(100 * time.Millisecond)
	if n := connecting.Load(); n != 1 {
		t.Errorf("Connecting called %d times for one connection, want 1", n)
	}
	if n := refusedOther.Load(); n != 0 {
		t.Errorf("Refused called %d times for an allowed subscription", n)
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
