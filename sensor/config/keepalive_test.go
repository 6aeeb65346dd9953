package config

import (
	"strings"
	"testing"
)

// TestKeepAliveFitsMQTT: MQTT carries the keep-alive as a 16-bit count of
// seconds (at most 65535 s, 18h12m15s) and paho truncates it
// (uint16(options.KeepAlive)). Validate took any mqtt.keepalive of 1s or
// more, so `keepalive: 24h` reached the broker as 20864 s and `65536s` as
// 0, which turns keep-alive off: a node that loses power behind a
// half-open connection never has its "offline" will published. One that
// does not fit, or is under a second, is refused naming the key.
func TestKeepAliveFitsMQTT(t *testing.T) {
	base := `site: s
sensor: n1
mqtt: {url: "tcp://127.0.0.1:1883", keepalive: %s}
outbox: {dir: /tmp/x}
source: {kind: sim, sample_rate_hz: 2e6}
bands:
  - {name: ism2400, low_hz: 2430e6, high_hz: 2440e6, dwell: 20ms, max_revisit: 2s}
`
	for _, tc := range []struct {
		keepalive string
		wantErr   string // "": taken
	}{
		{"30s", ""},
		{"1s", ""},
		{"65535s", ""},
		{"18h12m15s", ""},                 // 65535 s
		{"65536s", "at most 65535s"},      // sent as 0: keep-alive off
		{"24h", "at most 65535s"},         // sent as 20864 s
		{"18h12m15.5s", "at most 65535s"}, // just over
		{"500ms", "must be >= 1s"},        // sent as 0
		{"0s", "must be >= 1s"},
	} {
		t.Run(tc.keepalive, func(t *testing.T) {
			_, err := Parse([]byte(strings.Replace(base, "%s", tc.keepalive, 1)))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("keepalive %s: %v, want it taken", tc.keepalive, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), "mqtt.keepalive") || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("keepalive %s: err %v; want it refused naming mqtt.keepalive and %q", tc.keepalive, err, tc.wantErr)
			}
		})
	}
}
