package config

import (
	"errors"
	"strings"
	"testing"
)

// sweepBase is a node.yaml that loads; a sweep row replaces one of its
// top-level keys (or adds one).
const sweepBase = `site: s
sensor: n1
mqtt: {url: "tcp://127.0.0.1:1883"}
outbox: {dir: /tmp/x}
source: {kind: sim, sample_rate_hz: 20e6}
bands:
  - {name: ism2400, low_hz: 2430e6, high_hz: 2440e6}
`

// withKey is sweepBase with its top-level key line for key replaced by
// "key: value", or that line added.
func withKey(base, key, value string) string {
	lines := strings.Split(base, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, key+":") {
			lines[i] = key + ": " + value
			return strings.Join(lines, "\n")
		}
	}
	return base + key + ": " + value + "\n"
}

// TestConfigSweep: every value of a node.yaml key that decoded and
// validated but cannot work (a listen address or broker URL no socket
// takes, NaN or infinite thresholds, a gain the HackRF cannot set, a
// snippet bound that saves nothing) is refused at load, naming the key
// and why; and the values a real site may write load (":0", IPv6, a
// host name, the gain table's catch-all rows).
func TestConfigSweep(t *testing.T) {
	for _, tc := range []struct {
		name       string
		key, value string // top-level key of sweepBase and its new value
		wantKey    string // "": the config loads
		wantMsg    string // a fragment of the problem
	}{
		// listen address of /healthz and /metrics
		{"http any port", "http_addr", `":0"`, "", ""},
		{"http ipv6", "http_addr", `"[::1]:9464"`, "", ""},
		{"http hostname", "http_addr", `"localhost:9464"`, "", ""},
		{"http all", "http_addr", `":9464"`, "", ""},
		{"http port range", "http_addr", `":99999"`, "http_addr", "0..65535"},
		{"http negative port", "http_addr", `":-1"`, "http_addr", "0..65535"},
		{"http scheme", "http_addr", `"http://0.0.0.0:8080"`, "http_addr", "is a URL, not host:port"},
		{"http no port", "http_addr", `"127.0.0.1"`, "http_addr", "missing port"},
		{"http empty port", "http_addr", `"127.0.0.1:"`, "http_addr", "0..65535"},
		{"http space in host", "http_addr", `"127.0.0.1 :9464"`, "http_addr", "host"},
		{"http path", "http_addr", `"127.0.0.1:9464/metrics"`, "http_addr", "0..65535"},
		// reference floor (docs/detection.md, "Long calls")
		{"reffloor off", "reference_floor", `{over_db: -1}`, "", ""},
		{"reffloor 4 dB", "reference_floor", `{over_db: 4, rise_db_per_hour: 2, save_every: 1m, file: /var/lib/rfwarden/ref.json}`, "", ""},
		{"reffloor NaN", "reference_floor", `{over_db: .nan}`, "reference_floor.over_db", "want 1..30 dB"},
		{"reffloor 0.5 dB", "reference_floor", `{over_db: 0.5}`, "reference_floor.over_db", "want 1..30 dB"},
		{"reffloor 40 dB", "reference_floor", `{over_db: 40}`, "reference_floor.over_db", "want 1..30 dB"},
		{"reffloor rise inf", "reference_floor", `{rise_db_per_hour: .inf}`, "reference_floor.rise_db_per_hour", "at most 60"},
		{"reffloor rise 0", "reference_floor", `{rise_db_per_hour: 0}`, "reference_floor.rise_db_per_hour", "more than 0"},
		{"reffloor save 2h", "reference_floor", `{save_every: 2h}`, "reference_floor.save_every", "10s..1h"},
		{"reffloor file dot", "reference_floor", `{file: "."}`, "reference_floor.file", "is a folder"},
		// broker URL
		{"broker ipv6", "mqtt", `{url: "tcp://[::1]:1883"}`, "", ""},
		{"broker hostname", "mqtt", `{url: "ssl://broker.site.local:8883", ca_file: /etc/ca.pem}`, "", ""},
		{"broker port range", "mqtt", `{url: "tcp://127.0.0.1:99999"}`, "mqtt.url", "1..65535"},
		{"broker port 0", "mqtt", `{url: "tcp://127.0.0.1:0"}`, "mqtt.url", "1..65535"},
		{"broker no scheme", "mqtt", `{url: "127.0.0.1:1883"}`, "mqtt.url", "no scheme"},
		{"broker http", "mqtt", `{url: "http://127.0.0.1:1883"}`, "mqtt.url", "not one paho dials"},
		{"broker space", "mqtt", `{url: "tcp://bro ker:1883"}`, "mqtt.url", "invalid character"},
		{"broker trailing space", "mqtt", `{url: "tcp://127.0.0.1:1883 "}`, "mqtt.url", "port"},
		{"ack timeout long", "mqtt", `{url: "tcp://127.0.0.1:1883", ack_timeout: 10m}`, "", ""},
		{"ack timeout huge", "mqtt", `{url: "tcp://127.0.0.1:1883", ack_timeout: 1000h}`, "mqtt.ack_timeout", "at most 10m"},
		// tamper and AGC thresholds
		{"collapse nan", "tamper", `{collapse_db: .nan}`, "tamper.collapse_db", "NaN"},
		{"collapse inf", "tamper", `{collapse_db: .inf}`, "tamper.collapse_db", "+Inf"},
		{"rise nan", "tamper", `{rise_db: .nan}`, "tamper.rise_db", "NaN"},
		{"rise inf", "tamper", `{rise_db: .inf}`, "tamper.rise_db", "+Inf"},
		{"tamper clip nan", "tamper", `{clip_fraction: .nan}`, "tamper.clip_fraction", "not in (0,1]"},
		{"tamper clip over", "tamper", `{clip_fraction: 1.5}`, "tamper.clip_fraction", "not in (0,1]"},
		{"alpha nan", "tamper", `{baseline_alpha: .nan}`, "tamper.baseline_alpha", "not in (0,1]"},
		{"stall long", "tamper", `{stall: 1h}`, "", ""},
		{"stall huge", "tamper", `{stall: 1000h}`, "tamper.stall", "at most 1h"},
		{"agc clip nan", "agc", `{clip_fraction: .nan}`, "agc.clip_fraction", "not in (0,1]"},
		{"agc min gain over hackrf", "agc", `{min_gain_db: 110}`, "agc.min_gain_db", "0..102"},
		{"agc min gain odd", "agc", `{min_gain_db: 21}`, "agc.min_gain_db", "2 dB steps"},
		// AGC steps: the gain is set on a HackRF's 2 dB steps, so an odd
		// step was rounded down when the gain was set
		{"agc steps even", "agc", `{step_down_db: 6, step_up_db: 4}`, "", ""},
		{"agc step down odd", "agc", `{step_down_db: 5}`, "agc.step_down_db", "2 dB steps"},
		{"agc step up odd", "agc", `{step_up_db: 3}`, "agc.step_up_db", "2 dB steps"},
		{"agc step up fraction", "agc", `{step_up_db: 2.5}`, "agc.step_up_db", "2 dB steps"},
		// caps on durations that loaded and made the node useless
		{"health interval long", "health", `{interval: 10m}`, "", ""},
		{"health interval huge", "health", `{interval: 1000h}`, "health.interval", "at most 10m"},
		{"label reuse off", "label_reuse", `0s`, "", ""},
		{"label reuse long", "label_reuse", `1m`, "", ""},
		{"label reuse huge", "label_reuse", `1000h`, "label_reuse", "at most 1m"},
		{"max revisit long", "bands", "\n  - {name: ism5800, low_hz: 5780e6, high_hz: 5790e6, max_revisit: 10m}", "", ""},
		{"max revisit huge", "bands", "\n  - {name: ism5800, low_hz: 5780e6, high_hz: 5790e6, max_revisit: 2562047h}", "bands[0].max_revisit", "at most 10m"},
		// gain table: a HackRF's total LNA (0-40 dB in 8) + VGA (0-62 dB in 2)
		{"gain catch-all rows", "gains", `[{low_hz: 0, high_hz: 1e9, gain_db: 40}, {low_hz: 1e9, high_hz: 7e9, gain_db: 102}]`, "", ""},
		{"gain nan", "gains", `[{low_hz: 0, high_hz: 7e9, gain_db: .nan}]`, "gains[0].gain_db", "0..102"},
		{"gain over hackrf", "gains", `[{low_hz: 0, high_hz: 7e9, gain_db: 110}]`, "gains[0].gain_db", "0..102"},
		{"gain top", "gains", `[{low_hz: 0, high_hz: 7e9, gain_db: 102}]`, "", ""},
		{"gain high edge inf", "gains", `[{low_hz: 0, high_hz: .inf, gain_db: 40}]`, "", ""},
		{"gain odd", "gains", `[{low_hz: 0, high_hz: 7e9, gain_db: 41}]`, "gains[0].gain_db", "2 dB steps"},
		{"gain fraction", "gains", `[{low_hz: 0, high_hz: 7e9, gain_db: 40.5}]`, "gains[0].gain_db", "2 dB steps"},
		{"gain negative", "gains", `[{low_hz: 0, high_hz: 7e9, gain_db: -2}]`, "gains[0].gain_db", "0..102"},
		{"gain band order", "gains", `[{low_hz: 2e9, high_hz: 1e9, gain_db: 40}]`, "gains[0].high_hz", "above low_hz"},
		{"gain low nan", "gains", `[{low_hz: .nan, high_hz: 1e9, gain_db: 40}]`, "gains[0].low_hz", "NaN"},
		// snippets
		{"snippets off", "snippets", `{max_count: 0}`, "", ""},
		{"snippet zero duration", "snippets", `{dir: /tmp/snip, duration: 0s}`, "snippets.duration", "saves nothing"},
		// a snippet longer than the pipeline's IQ ring is cut to what it holds
		{"snippet long duration", "snippets", `{dir: /tmp/snip, duration: 1h}`, "", ""},
		{"snippet zero count", "snippets", `{dir: /tmp/snip, max_count: 0}`, "snippets.max_count", "saves nothing"},
		{"snippet zero bytes", "snippets", `{dir: /tmp/snip, max_bytes: 0}`, "snippets.max_bytes", "saves nothing"},
	} {
		t.Run(tc.name, func(t *testing.T) { checkSweepCase(t, tc.key, tc.value, tc.wantKey, tc.wantMsg) })
	}
}

// checkSweepCase parses sweepBase with its top-level key set to value and
// checks it loads (wantKey "") or is refused with ErrInvalid, naming
// wantKey and saying wantMsg.
func checkSweepCase(t *testing.T, key, value, wantKey, wantMsg string) {
	t.Helper()
	_, err := Parse([]byte(withKey(sweepBase, key, value)))
	if wantKey == "" {
		if err != nil {
			t.Fatalf("%s: %s refused: %v; a site may use it", key, value, err)
		}
		return
	}
	if err == nil {
		t.Fatalf("%s: %s loaded; want it refused naming %s", key, value, wantKey)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("error %v does not wrap ErrInvalid", err)
	}
	if msg := err.Error(); !strings.Contains(msg, wantKey+":") || !strings.Contains(msg, wantMsg) {
		t.Errorf("%s: %s: got %q; want it to name %s and %q", key, value, msg, wantKey, wantMsg)
	}
}
