package embroker

import (
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/mqttlink"

	paho "github.com/eclipse/paho.mqtt.golang"
)

func TestStartRoutesAndRestarts(t *testing.T) {
	srv, addr, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(addr, ":0") {
		t.Fatalf("address %q: want the port picked", addr)
	}
	c := paho.NewClient(mqttlink.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("embroker-test").SetConnectTimeout(5 * time.Second))
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	got := make(chan string, 1)
	if tok := c.Subscribe("t/#", 1, func(_ paho.Client, m paho.Message) { got <- string(m.Payload()) }); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	if tok := c.Publish("t/x", 1, false, "hello"); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	select {
	case p := <-got:
		if p != "hello" {
			t.Fatalf("got %q", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("message not routed")
	}
	c.Disconnect(100)
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	srv2, addr2, err := Start(addr) // same port again
	if err != nil {
		t.Fatalf("restart on %s: %v", addr, err)
	}
	defer srv2.Close()
	if addr2 != addr {
		t.Errorf("restarted on %s, want %s", addr2, addr)
	}
}

func TestStartRefusesNonLoopback(t *testing.T) {
	for _, a := range []string{"0.0.0.0:0", "10.1.2.3:1883", ":1883", "nohost"} {
		if _, _, err := Start(a); err == nil {
			t.Errorf("Start(%q) succeeded, want an error", a)
		}
	}
}
