package alert

import (
	"errors"
	"strings"
	"testing"
)

// TestLoadConfigSweep: rule settings that loaded and could not work are
// refused naming the rule's key and its line (rules[1].for): a duration
// so long the alert never fires, resolves or is raised again (one near
// the largest time.Duration overflowed when added to a time), a
// sensor_health rule on the state "ok", which fires for every sensor that
// works; and a NaN or duplicate name, refused before, now with the line.
// What a site may write loads.
func TestLoadConfigSweep(t *testing.T) {
	const first = "  - {name: offline, kind: sensor_offline, for: 30s}\n"
	for _, tc := range []struct {
		name    string
		rule    string // the second rule
		wantKey string // "": it loads
		wantMsg string
	}{
		{"day hold", "  - {name: r, kind: sensor_health, for: 24h, resolve_after: 24h}\n", "", ""},
		{"week ack", "  - {name: r, kind: unauthorised_uplink, room_kinds: [cell], ack_lasts: 168h}\n", "", ""},
		{"degraded health", "  - {name: r, kind: sensor_health, states: [degraded, jammed]}\n", "", ""},
		{"for huge", "  - {name: r, kind: sensor_offline, for: 2562047h}\n", "[3:42] rules[1].for", "at most 24h0m0s"},
		{"for long", "  - {name: r, kind: sensor_offline, for: 25h}\n", "rules[1].for", "for 25h0m0s: at most 24h0m0s"},
		{"resolve huge", "  - {name: r, kind: sensor_offline, resolve_after: 9000h}\n", "rules[1].resolve_after", "at most 24h0m0s"},
		{"window huge", "  - {name: r, kind: drone_drop, window: 9000h}\n", "rules[1].window", "at most 24h0m0s"},
		{"max offset huge", "  - {name: r, kind: sensor_clock, max_offset: 9000h}\n", "rules[1].max_offset", "at most 24h0m0s"},
		{"reannounce huge", "  - {name: r, kind: drone, reannounce_after: 9000h}\n", "rules[1].reannounce_after", "at most 24h0m0s"},
		{"escalate huge", "  - {name: r, kind: drone, escalate_after: 9000h}\n", "rules[1].escalate_after", "at most 24h0m0s"},
		{"ack huge", "  - {name: r, kind: drone, ack_lasts: 9000h}\n", "rules[1].ack_lasts", "at most 168h0m0s"},
		{"health ok", "  - {name: r, kind: sensor_health, states: [jammed, ok]}\n", "rules[1].states", "fire for every sensor that works"},
		{"min prob nan", "  - {name: r, kind: drone, min_prob: .nan}\n", "[3:38] rules[1].min_prob", "min_prob NaN not in [0,1]"},
		{"min prob over", "  - {name: r, kind: drone, min_prob: 1.5}\n", "rules[1].min_prob", "not in [0,1]"},
		{"name twice", "  - {name: offline, kind: sensor_offline}\n", "[3:12] rules[1].name", `duplicate name "offline"`},
		{"radius inf", "  - {name: r, kind: drone_drop, radius_m: .inf}\n", "rules[1].radius_m", "a distance in metres above 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadConfig(strings.NewReader("rules:\n" + first + tc.rule))
			if tc.wantKey == "" {
				if err != nil {
					t.Fatalf("refused: %v; a site may write it", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("%s loaded; want it refused naming %s", tc.rule, tc.wantKey)
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("error %v does not wrap ErrConfig", err)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.wantKey+":") || !strings.Contains(msg, tc.wantMsg) {
				t.Errorf("got %q; want it to name %s and %q", msg, tc.wantKey, tc.wantMsg)
			}
		})
	}
}
