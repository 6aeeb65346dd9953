package bandplan

import (
	"strings"
	"testing"
)

// TestLoadSweep: band plan values that loaded and could not work are
// refused naming the band and the key: an infinite upper edge (every
// lookup above the lower one matched it), a pair naming the band itself,
// a pair whose link is not the other half of an FDD band (uplink with
// downlink); and what a plan may hold loads (bands above 6 GHz: the plan
// is not the HackRF's, a shared band with no pair).
func TestLoadSweep(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want string // "": it loads
	}{
		{"mmwave", "bands:\n - {name: n258, tech: [nr], link: tdd, low_hz: 24.25e9, high_hz: 27.5e9}\n", ""},
		{"fdd pair", "bands:\n - {name: u, tech: [lte], link: uplink, low_hz: 1e9, high_hz: 2e9, pair: d}\n - {name: d, tech: [lte], link: downlink, low_hz: 3e9, high_hz: 4e9, pair: u}\n", ""},
		{"high inf", "bands:\n - {name: a, tech: [x], link: tdd, low_hz: 1e9, high_hz: .inf}\n", `band "a": bad edges: high_hz +Inf`},
		{"low nan", "bands:\n - {name: a, tech: [x], link: tdd, low_hz: .nan, high_hz: 2e9}\n", `band "a": bad edges: low_hz NaN`},
		{"high nan", "bands:\n - {name: a, tech: [x], link: tdd, low_hz: 1e9, high_hz: .nan}\n", `band "a": bad edges: high_hz NaN`},
		{"inverted", "bands:\n - {name: a, tech: [x], link: tdd, low_hz: 2e9, high_hz: 1e9}\n", `band "a": bad edges: high_hz 1e+09 with low_hz 2e+09`},
		{"pair self", "bands:\n - {name: a, tech: [x], link: uplink, low_hz: 1e9, high_hz: 2e9, pair: a}\n", `band "a": pair "a" names the band itself`},
		{"pair same link", "bands:\n - {name: u, tech: [lte], link: uplink, low_hz: 1e9, high_hz: 2e9, pair: d}\n - {name: d, tech: [lte], link: uplink, low_hz: 3e9, high_hz: 4e9}\n", `band "u": pair "d" is uplink`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tc.yaml))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}
