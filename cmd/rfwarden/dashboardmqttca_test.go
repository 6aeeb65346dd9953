package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// TestDashboardMQTTCAWithoutTLSRefused: the sensor refuses mqtt.ca_file
// with a tcp:// mqtt.url (TLS was meant; the password would go in clear),
// but the dashboard took RFW_MQTT_CA (--mqtt-ca) with a tcp:// RFW_MQTT,
// dialled in clear and never read the CA: an installer believed the
// live feed encrypted. Refused at start now, in the sensor's words.
func TestDashboardMQTTCAWithoutTLSRefused(t *testing.T) {
	tests := []struct {
		name    string
		url, ca string
		want    string // in the error; "" = accepted
	}{
		{"tcp with CA", "tcp://broker.local:8883", "/etc/rfwarden/ca.pem",
			"dashboard: RFW_MQTT (--mqtt): tcp:// is not encrypted, but RFW_MQTT_CA (--mqtt-ca) is set: the password would go in clear; use ssl:// (or tls://, mqtts://, wss://)"},
		{"mqtt with CA", "mqtt://broker.local:1883", "/ca.pem", "mqtt:// is not encrypted, but RFW_MQTT_CA (--mqtt-ca) is set"},
		{"ws with CA", "ws://broker.local:9001/mqtt", "/ca.pem", "ws:// is not encrypted, but RFW_MQTT_CA (--mqtt-ca) is set"},
		{"unix with CA", "unix:///run/mosquitto/mqtt.sock", "/ca.pem", "unix:// is not encrypted"},
		{"no scheme with CA", "broker.local:8883", "/ca.pem", `"broker.local:8883" has no scheme`},
		{"ssl with CA", "ssl://broker.local:8883", "/ca.pem", ""},
		{"wss with CA", "wss://broker.local/mqtt", "/ca.pem", ""},
		{"mqtts without CA", "mqtts://broker.local:8883", "", ""},
		{"tcp without CA", "tcp://127.0.0.1:1883", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkDashboardMQTT(tt.url, tt.ca)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("checkDashboardMQTT(%q, %q) = %v, want accepted", tt.url, tt.ca, err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("checkDashboardMQTT(%q, %q) = %v, want an error with %q", tt.url, tt.ca, err, tt.want)
			}
		})
	}
}

// TestDashboardRefusesMQTTCAWithTCPAtStart: the refusal comes before the
// dashboard makes or prints anything (no database, no admin password, no
// banner), from the environment too (the unit's RFW_MQTT_CA).
func TestDashboardRefusesMQTTCAWithTCPAtStart(t *testing.T) {
	t.Setenv("RFW_MQTT_CA", "/etc/rfwarden/ca.pem")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db := filepath.Join(t.TempDir(), "d.db")
	var out, errOut syncbuf.Buffer
	err := cmdDashboard(ctx, []string{"--listen", "127.0.0.1:0", "--db", db,
		"--mqtt", "tcp://" + freeTCPAddr(t), "--mqtt-user", "dashboard"}, &out, &errOut)
	const want = "tcp:// is not encrypted, but RFW_MQTT_CA (--mqtt-ca) is set"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("dashboard --mqtt tcp://... with RFW_MQTT_CA: err %v, want one with %q", err, want)
	}
	if out.String() != "" {
		t.Errorf("stdout %q, want nothing printed before the refusal", out.String())
	}
	if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stat %s: %v, want no database made before the refusal", db, err)
	}
}
