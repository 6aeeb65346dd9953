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
		{url: "tcp://[::1]:1883"},
		{url: "wss://broker.example:443/mqtt", wantTLS: true},
		{url: "tcp://broker.example:99999", want: `"tcp://broker.example:99999": port 99999 is not in 1..65535`},
		{url: "tcp://broker.example:0", want: "port 0 is not in 1..65535"},
		{url: "ws://broker.example:70000/mqtt", want: "port 70000 is not in 1..65535"},
		{url: "tcp://broker.example:01883"}, // 1883, as paho dials it
		{url: "tcp://broker.example:65535"},
		{url: "tcp://broker.example:65536", want: "port 65536 is not in 1..65535"},
		{url: "tcp://broker.example:+1883", want: "invalid port"}, // url.Parse
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

// TestCheckTLSFile: a CA or client certificate set for a scheme that is
// not encrypted is refused, naming the scheme and the setting; with TLS,
// or with no file, it is accepted.
func TestCheckTLSFile(t *testing.T) {
	for _, tc := range []struct {
		scheme, key, path string
		want              string // "": accepted; else the error
	}{
		{"tcp", "mqtt.ca_file", "/ca.pem",
			"tcp:// is not encrypted, but mqtt.ca_file is set: the password would go in clear; use ssl:// (or tls://, mqtts://, wss://)"},
		{"ws", "RFW_MQTT_CA (--mqtt-ca)", "/ca.pem",
			"ws:// is not encrypted, but RFW_MQTT_CA (--mqtt-ca) is set: the password would go in clear; use ssl:// (or tls://, mqtts://, wss://)"},
		{"unix", "mqtt.cert_file", "/c.pem",
			"unix:// is not encrypted, but mqtt.cert_file is set: the password would go in clear; use ssl:// (or tls://, mqtts://, wss://)"},
		{"tcp", "mqtt.ca_file", "", ""},
		{"ssl", "mqtt.ca_file", "/ca.pem", ""},
		{"wss", "RFW_MQTT_CA (--mqtt-ca)", "/ca.pem", ""},
	} {
		sch, ok := LookupScheme(tc.scheme)
		if !ok {
			t.Fatalf("LookupScheme(%q): not found", tc.scheme)
		}
		err := CheckTLSFile(sch, tc.key, tc.path)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("CheckTLSFile(%s, %q, %q) = %q, want %q", tc.scheme, tc.key, tc.path, got, tc.want)
		}
	}
}
