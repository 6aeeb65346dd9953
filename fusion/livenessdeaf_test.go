package fusion

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	mochiauth "github.com/mochi-mqtt/server/v2/hooks/auth"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/internal/embroker"
	"github.com/rfwarden/rfwarden/internal/mqttlink"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// TestLivenessSaysDeaf: given fusion's client wired as `rfwarden fusion`
// wires it (Liveness.Problem is Resubscriber.Refused, Resubscriber.Changed
// is Liveness.Online), when the broker restarts with an ACL that refuses
// fusion's filter (SUBACK 0x80), expect fusion's retained status to say
// online with the problem "subscription refused: <filter>: ..."; once a
// restart grants the filter again, online with no problem. Until
// 2026-12-07 it said plain online while deaf, and every dashboard said all
// was well. The embedded broker, as TestResubscribeRefusedIsKnown:
// mosquitto 2.0.11 grants every subscription whatever its acl_file says
// and withholds the messages instead, so it refuses none.
func TestLivenessSaysDeaf(t *testing.T) {
	allow, deny := refusingLedgers()
	srv, addr, err := embroker.StartAuth("127.0.0.1:0", allow)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Close() }()
	const filter = "rfw/v1/hmp/sensor/+/+"
	// expect waits for the status the broker holds for the site, as a
	// dashboard subscribing afresh reads it, to be ok.
	expect := func(what string, ok func(event.FusionStatus) bool) {
		t.Helper()
		var got event.FusionStatus
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if pk, found := srv.Topics.Retained.Get(event.FusionStatusTopic("hmp")); found {
				if got, err = event.DecodeFusionStatus(pk.Payload); err != nil {
					t.Fatalf("retained status %q: %v", pk.Payload, err)
				}
				if ok(got) {
					return
				}
			}
		}
		t.Fatalf("%s: fusion's retained status %+v", what, got)
	}

	var logs syncbuf.Buffer
	defer func() { t.Log(logs.String()) }()
	log := slog.New(slog.NewTextHandler(&logs, nil))
	resub := &Resubscriber{Log: log}
	live := &Liveness{Site: "hmp", Log: log, Problem: resub.Refused}
	resub.Changed = live.Online
	opts := mqttlink.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("fusion-test").SetCleanSession(false).
		SetAutoReconnect(true).SetMaxReconnectInterval(200 * time.Millisecond).SetConnectTimeout(2 * time.Second).
		SetUsername("fusion").SetPassword("pw")
	if err := live.SetWill(opts); err != nil {
		t.Fatal(err)
	}
	opts.SetOnConnectHandler(func(c mqtt.Client) { live.Online(c); resub.OnConnect(c) })
	opts.SetDefaultPublishHandler(resub.Default)
	c := mqtt.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("fusion connect: %v", tok.Error())
	}
	defer c.Disconnect(50)
	if err := (PahoSubscriber{Client: c, Resubscribe: resub, Timeout: 5 * time.Second}).Subscribe(filter, 1, func(string, []byte) {}); err != nil {
		t.Fatal(err)
	}
	hearing := func(s event.FusionStatus) bool { return s.Status == event.StatusOnline && s.Problem == "" }
	expect("connected", hearing)

	// restart has the broker restart under ledger (its retained
	// messages lost with it) and fusion connect again
	restart := func(ledger *mochiauth.Ledger) {
		t.Helper()
		srv.Close()
		for deadline := time.Now().Add(5 * time.Second); c.IsConnectionOpen() && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		}
		if srv, _, err = embroker.StartAuth(addr, ledger); err != nil {
			t.Fatal(err)
		}
	}
	restart(deny)
	expect("connected again, the filter refused", func(s event.FusionStatus) bool {
		return s.Status == event.StatusOnline && strings.HasPrefix(s.Problem, "subscription refused: "+filter+": the broker refused the subscription (SUBACK 0x80)")
	})
	restart(allow)
	expect("connected again, the filter granted", hearing)
}
