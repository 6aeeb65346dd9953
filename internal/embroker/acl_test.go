package embroker

import (
	"errors"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/rfwarden/rfwarden/deploy"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/internal/mqttlink"
)

// TestACLAsShipped reads deploy/mosquitto/rfwarden.acl, production's
// topic rules, as the demo's broker does, and checks what each role may
// do with it: a sensor writes only its own topics and reads only its own
// commands; fusion and the dashboard only what their blocks give them;
// no one else anything.
func TestACLAsShipped(t *testing.T) {
	acl, err := ParseACL(deploy.MosquittoACL)
	if err != nil {
		t.Fatal(err)
	}
	const site = "wing"
	s1 := func(kind string) string { return event.SensorTopic(site, "s1", kind) }
	s2 := func(kind string) string { return event.SensorTopic(site, "s2", kind) }
	for _, tc := range []struct {
		user, topic string
		write, want bool
	}{
		{"s1", s1("detection"), true, true},
		{"s1", s1("status"), true, true},
		{"s1", s1("health"), true, true},
		{"s1", s1("spectrum"), true, true},
		{"s1", event.EvidenceTopic(site, "s1"), true, true},
		{"s1", s1("cmd"), false, true},
		{"s1", s1("cmd"), true, false}, // a sensor cannot command itself
		{"s1", s2("detection"), true, false},
		{"s1", s2("status"), true, false},
		{"s1", event.EvidenceTopic(site, "s2"), true, false},
		{"s1", s2("cmd"), false, false},
		{"s1", event.AlertTopic(site), true, false},
		{"s1", event.FusionStatusTopic(site), true, false},
		{"s1", event.LocationTopic(site), true, false},
		{"s1", event.AckTopic(site), true, false},
		{"s1", event.AlertTopic(site), false, false},
		{"s1", "rfw/v1/wing/sensor/s1/detection/extra", true, false},
		{"s1", "#", false, false},
		{"s+", "rfw/v1/wing/sensor/s+/detection", true, false}, // %u is no wildcard
		{"fusion", "rfw/v1/wing/sensor/+/+", false, true},
		{"fusion", s2("detection"), false, true},
		{"fusion", event.AckTopic(site), false, true},
		{"fusion", event.AlertTopic(site), true, true},
		{"fusion", event.LocationTopic(site), true, true},
		{"fusion", event.FusionStatusTopic(site), true, true},
		{"fusion", s1("cmd"), true, true},
		{"fusion", s1("detection"), true, false},
		{"fusion", event.AckTopic(site), true, false},
		{"fusion", "#", false, false},
		{"dashboard", event.AckTopic(site), true, true},
		{"dashboard", event.AlertTopic(site), false, true},
		{"dashboard", event.FusionStatusTopic(site), false, true},
		{"dashboard", event.EvidenceFilter, false, true},
		{"dashboard", s1("spectrum"), false, true},
		{"dashboard", s1("detection"), false, false},
		{"dashboard", event.AlertTopic(site), true, false},
		{"dashboard", event.FusionStatusTopic(site), true, false},
		{"dashboard", "rfw/v1/wing/#", false, false},
		{"", event.AlertTopic(site), true, false},
		{"mallory", event.AlertTopic(site), true, false},
		{"mallory", event.AlertTopic(site), false, false},
	} {
		if got := acl.Allows(tc.user, "client", tc.topic, tc.write); got != tc.want {
			op := "read"
			if tc.write {
				op = "write"
			}
			t.Errorf("%s %s %s: allowed %v, want %v", tc.user, op, tc.topic, got, tc.want)
		}
	}
}

func TestParseACL(t *testing.T) {
	acl, err := ParseACL([]byte("# c\ntopic read anon/#\n\nuser u\ntopic a/#\ntopic deny a/secret\npattern write p/%c/x\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		user, client, topic string
		write, want         bool
	}{
		{"u", "c", "a/b", true, true},  // access left out: readwrite
		{"u", "c", "a/b", false, true}, //
		{"u", "c", "a/secret", true, false},
		{"u", "c", "p/c/x", true, true}, // %c: the client ID
		{"u", "d", "p/c/x", true, false},
		{"", "c", "anon/x", false, false}, // no anonymous rules: no one is let in anonymously
		{"v", "c", "a/b", true, false},
	} {
		if got := acl.Allows(tc.user, tc.client, tc.topic, tc.write); got != tc.want {
			t.Errorf("%s as %s %s (write %v): %v, want %v", tc.user, tc.client, tc.topic, tc.write, got, tc.want)
		}
	}
	for _, bad := range []string{"user\n", "topic bogus a/b\n", "topic read a b\n", "allow a\n"} {
		if _, err := ParseACL([]byte(bad)); err == nil {
			t.Errorf("ParseACL(%q) succeeded, want an error", bad)
		}
	}
}

// TestStartWithLogins: a broker started with logins refuses an anonymous
// client and a wrong password, and, with production's ACL, drops what a
// sensor publishes on another sensor's topics or as fusion while its own
// topics pass.
func TestStartWithLogins(t *testing.T) {
	acl, err := ParseACL(deploy.MosquittoACL)
	if err != nil {
		t.Fatal(err)
	}
	logins := map[string]string{"fusion": "f-pw", "s1": "s1-pw", "s2": "s2-pw"}
	srv, addr, err := StartWith("127.0.0.1:0", Options{Logins: logins, ACL: acl})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	connect := func(id, user, pw string) (paho.Client, error) {
		o := mqttlink.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(id).SetConnectTimeout(5 * time.Second).SetConnectRetry(false).SetAutoReconnect(false)
		if user != "" {
			o.SetUsername(user).SetPassword(pw)
		}
		c := paho.NewClient(o)
		tok := c.Connect()
		if !tok.WaitTimeout(10 * time.Second) {
			return nil, errors.New("connect timed out")
		}
		if tok.Error() == nil {
			t.Cleanup(func() { c.Disconnect(100) })
		}
		return c, tok.Error()
	}
	for _, tc := range []struct{ name, user, pw string }{
		{"anonymous", "", ""},
		{"wrong password", "s1", "s2-pw"},
		{"unknown user", "mallory", "f-pw"},
	} {
		if _, err := connect("x-"+tc.user, tc.user, tc.pw); err == nil || !strings.Contains(err.Error(), "not Authorized") {
			t.Errorf("%s: connect error %v, want not authorised", tc.name, err)
		}
	}

	fusion, err := connect("fusion", "fusion", "f-pw")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 10)
	tok := fusion.SubscribeMultiple(map[string]byte{"rfw/v1/wing/sensor/+/+": 0, "rfw/v1/wing/ack": 0}, func(_ paho.Client, m paho.Message) {
		got <- m.Topic() + " " + string(m.Payload())
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("fusion subscribe: %v", tok.Error())
	}
	if g := tok.(*paho.SubscribeToken).Result(); g["rfw/v1/wing/sensor/+/+"] != 0 || g["rfw/v1/wing/ack"] != 0 {
		t.Fatalf("fusion's subscriptions granted %v, want QoS 0 each", g)
	}
	// the dashboard's view of alerts is not fusion's to read
	tok = fusion.Subscribe("rfw/v1/wing/alert", 0, nil)
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("fusion subscribe: %v", tok.Error())
	}
	if g := tok.(*paho.SubscribeToken).Result()["rfw/v1/wing/alert"]; g != 0x80 {
		t.Errorf("fusion's subscription to alerts: code %#x, want 0x80 (refused)", g)
	}

	s1, err := connect("s1", "s1", "s1-pw")
	if err != nil {
		t.Fatal(err)
	}
	// QoS 0: the broker drops a refused publish and keeps the connection
	// (a refused QoS 1 publish ends it), so the last, allowed publish on
	// the same connection shows the earlier ones were handled
	for _, topic := range []string{
		"rfw/v1/wing/sensor/s2/status", // as another sensor
		"rfw/v1/wing/sensor/s2/detection",
		"rfw/v1/wing/fusion/status", // as fusion
		"rfw/v1/wing/alert",
		"rfw/v1/wing/ack",
		"rfw/v1/wing/sensor/s1/status", // its own
	} {
		if tok := s1.Publish(topic, 0, false, "from s1"); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("publish %s: %v", topic, tok.Error())
		}
	}
	select {
	case m := <-got:
		if m != "rfw/v1/wing/sensor/s1/status from s1" {
			t.Errorf("fusion received %q, want only s1's own status", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("s1's own status did not reach fusion")
	}
}
