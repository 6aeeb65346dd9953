package mqttlink

import (
	"strings"
	"testing"
)

// TestCheckURL: the broker URL check the sensor (mqtt.url), fusion
// (broker:) and the dashboard (RFW_MQTT) share. A URL without a scheme is
// refused: paho dials it as plain TCP, even to a TLS port, password and
// all. Errors never show the URL's password.
func TestCheckURL(t *testing.T) {
	for _, tc := range []struct {
		url     string
		wantTLS bool
		want    string // "": accepted; else in the error
	}{
		{url: "tcp://127.0.0.1:1883"},
		{url: "mqtt://broker.example:1883"},
		{url: "ssl://broker.example:8883", wantTLS: true},
		{url: "MQTTS://broker.example:8883", wantTLS: true},
		{url: "wss://broker.example/mqtt", wantTLS: true},
		{url: "unix:///run/mosquitto/mqtt.sock"},
		{url: "broker.example:8883", want: `"broker.example:8883" has no scheme: write tcp://broker.example:8883, or ssl://broker.example:8883 for TLS`},
		{url: "user:secret@broker.example:8883", want: "has no scheme"},
		{url: "http://broker.example:1883", want: `scheme "http" is not one paho dials: tcp, mqtt, ssl`},
		{url: "ssl://broker.example", want: `"ssl://broker.example" has no port (ssl://broker.example:8883?)`},
		{url: "tcp://broker.example", want: "(tcp://broker.example:1883?)"},
		{url: "tcp://:1883", want: "has no host (tcp://127.0.0.1:1883?)"},
		{url: "tcp://fusion:secret@broker", want: `"tcp://fusion:xxxxx@broker" has no port`},
		{url: "ws://", want: "has no host"},
		{url: "unix://", want: "names no socket"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			sch, err := CheckURL(tc.url)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("CheckURL(%q) = %v, want it accepted", tc.url, err)
				}
				if sch.TLS != tc.wantTLS {
					t.Errorf("CheckURL(%q) TLS %v, want %v", tc.url, sch.TLS, tc.wantTLS)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CheckURL(%q) = %v, want %q", tc.url, err, tc.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("CheckURL(%q) = %v: shows the password", tc.url, err)
			}
		})
	}
}
