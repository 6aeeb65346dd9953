package mqttlink

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
	"github.com/mochi-mqtt/server/v2/hooks/auth"

	"github.com/rfwarden/rfwarden/internal/embroker"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// TestSummaryHidesUserAndHost: given a real client refused by the broker
// or finding nothing at its address, when its Link says why it is not
// connected (Reason, for /healthz, which needs no login), expect what is
// wrong and the setting to fix, without the user, the host, the port or
// the password; the log keeps the broker's address and the whole error.
// Reason gave the error's text: "not connected to the MQTT broker: dial
// tcp 10.1.2.3:1883: connect: connection refused".
func TestSummaryHidesUserAndHost(t *testing.T) {
	const user, pw = "fusion-user", "s3cret-Pw"
	srv, addr, err := embroker.StartAuth("127.0.0.1:0", &auth.Ledger{Auth: auth.AuthRules{{Username: user, Password: "right-pw", Allow: true}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}()
	keys := Keys{URL: "broker", Credentials: "username or RFW_MQTT_PASSWORD", CA: "ca_file", ClientID: "client_id"}
	tests := []struct {
		name string
		url  string
		want string // Reason
	}{
		{name: "wrong password", url: "tcp://" + addr,
			want: "not connected to the MQTT broker: credentials refused (username or RFW_MQTT_PASSWORD)"},
		{name: "wrong password, in the URL too", url: "tcp://" + user + ":" + pw + "@" + addr,
			want: "not connected to the MQTT broker: credentials refused (username or RFW_MQTT_PASSWORD)"},
		{name: "nothing listens", url: "tcp://" + closed,
			want: "not connected to the MQTT broker: not reachable: connection refused (broker)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs syncbuf.Buffer
			link := New(Options{Name: "fusion", Broker: tt.url, Keys: keys, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			opts := NewClientOptions().AddBroker(tt.url).SetClientID("summary-test").SetUsername(user).SetPassword(pw).
				SetConnectTimeout(5 * time.Second)
			link.Watch(opts)
			c := mqtt.NewClient(opts)
			tok := c.Connect()
			if !tok.WaitTimeout(10*time.Second) || tok.Error() == nil {
				c.Disconnect(0)
				t.Fatalf("connect to %s: %v, want refused", tt.url, tok.Error())
			}
			got := link.Reason()
			if got != tt.want {
				t.Errorf("Reason() = %q, want %q (the error: %v)", got, tt.want, link.Err())
			}
			host, port, _ := net.SplitHostPort(strings.TrimPrefix(tt.url[strings.LastIndex(tt.url, "@")+1:], "tcp://"))
			for _, hidden := range []string{user, pw, host, port, "Authori"} {
				if strings.Contains(got, hidden) {
					t.Errorf("Reason() = %q: shows %q", got, hidden)
				}
			}
			if strings.Contains(logs.String(), pw) {
				t.Errorf("the log shows the password:\n%s", logs.String())
			}
			if !strings.Contains(logs.String(), host+":"+port) {
				t.Errorf("the log lacks the broker's address %s:%s, for the operator:\n%s", host, port, logs.String())
			}
		})
	}
}

// TestSummary: each kind of failure is said with the setting to fix and
// no address, whatever the error's text names.
func TestSummary(t *testing.T) {
	keys := Keys{URL: "mqtt.url", Credentials: "mqtt.username or mqtt.password_file", CA: "mqtt.ca_file", ClientID: "sensor"}
	addr := &net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 1883}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"not authorised", packets.ErrorRefusedNotAuthorised, "credentials refused (mqtt.username or mqtt.password_file)"},
		{"bad user or password", packets.ErrorRefusedBadUsernameOrPassword, "credentials refused (mqtt.username or mqtt.password_file)"},
		{"client ID", packets.ErrorRefusedIDRejected, "client ID refused (sensor)"},
		{"host not found", fmt.Errorf("network Error : %w", &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "broker.example", IsNotFound: true}}),
			"not reachable: host not found (mqtt.url)"},
		{"lost", &net.OpError{Op: "read", Net: "tcp", Addr: addr, Err: errors.New("EOF-ish")}, "connection failed (the log has the error)"},
		{"other", fmt.Errorf("user rfw at %v: odd", addr), "connection failed (the log has the error)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Summary(tc.err, keys); got != tc.want {
				t.Errorf("Summary(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}
