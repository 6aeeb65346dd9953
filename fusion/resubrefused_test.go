package fusion

import (
	"strings"
	"testing"
	"time"

	mochiauth "github.com/mochi-mqtt/server/v2/hooks/auth"

	"github.com/rfwarden/rfwarden/internal/embroker"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// TestResubscribeRefusedIsKnown: given fusion subscribed, when the broker
// restarts with an ACL that refuses fusion's filter, expect Refused to
// name the filter and the refusal while it lasts (fusion's /healthz is
// degraded on it), and to be "" again once a later connection's
// subscription is granted. Until 2026-12-07 only the log said so: fusion
// was connected, deaf, and its /healthz ok.
func TestResubscribeRefusedIsKnown(t *testing.T) {
	allow, deny := refusingLedgers()
	srv, addr, err := embroker.StartAuth("127.0.0.1:0", allow)
	if err != nil {
		t.Fatal(err)
	}
	var logs syncbuf.Buffer
	c, resub := fusionClient(t, "tcp://"+addr, "fusion", "pw", &logs)
	defer func() { t.Log(logs.String()) }()
	const topic = "rfw/v1/hmp/sensor/+/+"
	if err := (PahoSubscriber{Client: c, Resubscribe: resub, Timeout: 5 * time.Second}).Subscribe(topic, 1, func(string, []byte) {}); err != nil {
		t.Fatal(err)
	}
	if r := resub.Refused(); r != "" {
		t.Fatalf("Refused %q with the subscription granted", r)
	}
	// restart under ledger, and wait until Refused says want
	restart := func(ledger *mochiauth.Ledger, want func(string) bool, what string) {
		t.Helper()
		srv.Close()
		for deadline := time.Now().Add(5 * time.Second); c.IsConnectionOpen() && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		}
		if srv, _, err = embroker.StartAuth(addr, ledger); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(15 * time.Second)
		for !want(resub.Refused()) {
			if time.Now().After(deadline) {
				t.Fatalf("after a restart with %s: Refused %q", what, resub.Refused())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	restart(deny, func(r string) bool { return r != "" }, "the filter denied")
	if r := resub.Refused(); !strings.HasPrefix(r, "subscription refused: "+topic+": the broker refused the subscription (SUBACK 0x80)") {
		t.Errorf("Refused %q, want it to name %s and the refusal", r, topic)
	}
	if !c.IsConnectionOpen() {
		t.Error("not connected: the refusal is of the subscription, not the connection")
	}
	restart(allow, func(r string) bool { return r == "" }, "the filter allowed again")
	srv.Close()
}

// refusingLedgers are the embedded broker's users and ACLs for user
// fusion (password pw): allow lets it read and write rfw/v1/#, deny only
// write its status (event.FusionStatusTopic) and so refuses its
// subscription to anything else (SUBACK 0x80).
func refusingLedgers() (allow, deny *mochiauth.Ledger) {
	allow = &mochiauth.Ledger{Auth: mochiauth.AuthRules{{Username: "fusion", Password: "pw", Allow: true}},
		ACL: mochiauth.ACLRules{{Username: "fusion", Filters: mochiauth.Filters{"rfw/v1/#": mochiauth.ReadWrite}}}}
	deny = &mochiauth.Ledger{Auth: allow.Auth,
		ACL: mochiauth.ACLRules{{Username: "fusion", Filters: mochiauth.Filters{"rfw/v1/+/fusion/status": mochiauth.WriteOnly, "rfw/v1/#": mochiauth.Deny}}}}
	return allow, deny
}
