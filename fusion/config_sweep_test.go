package fusion

import (
	"strings"
	"testing"
)

// TestFileConfigSweep: every fusion.yaml value that decoded and was
// taken but cannot work (a listen address no socket takes, an InfluxDB
// URL with no host or a space, a broker port out of range, an empty
// client ID the broker refuses for a persistent session) is refused at
// load naming the key, with its line where the file has it; and the
// values a real site may write load (":0", IPv6, host names).
func TestFileConfigSweep(t *testing.T) {
	for _, tc := range []struct {
		name    string
		yaml    string // after "site: wing.yaml\n"
		wantKey string // "": it loads
		wantMsg string
	}{
		// /healthz and /metrics
		{"http any port", `http_addr: ":0"`, "", ""},
		{"http ipv6", `http_addr: "[::1]:9465"`, "", ""},
		{"http hostname", `http_addr: "fusion-1.site.example:9465"`, "", ""},
		{"http port range", `http_addr: ":99999"`, "[2:12] http_addr", `port "99999" is not a number in 0..65535`},
		{"http scheme", `http_addr: "http://0.0.0.0:9465"`, "[2:12] http_addr", "is a URL, not host:port"},
		{"http no port", `http_addr: "127.0.0.1"`, "[2:12] http_addr", "missing port in address"},
		{"http space", `http_addr: "127.0.0.1 :9465"`, "[2:12] http_addr", "is not an IP address or host name"},
		// the broker
		{"broker ipv6", `broker: "ssl://[fd00::1]:8883"`, "", ""},
		{"broker port range", `broker: "tcp://127.0.0.1:99999"`, "[2:9] broker", "port 99999 is not in 1..65535"},
		{"client id empty", `client_id: ""`, "[2:12] client_id", "empty"},
		// InfluxDB
		{"influx hostname", "influx: {url: \"https://influx.site.example:8086\"}", "", ""},
		{"influx no host", "influx: {url: \"http://\"}", "[2:15] influx.url", "no host"},
		{"influx space", "influx: {url: \"http://influx host:8086\"}", "[2:15] influx.url", "invalid character"},
		{"influx port range", "influx: {url: \"http://127.0.0.1:99999\"}", "[2:15] influx.url", "1..65535"},
		{"influx no scheme", "influx: {url: \"127.0.0.1:8086\"}", "[2:15] influx.url", "not http:// or https://"},
		{"influx path", "influx: {url: \"http://127.0.0.1:8086/write?db=x\"}", "[2:15] influx.url", "query"},
		// webhook and syslog
		{"webhook port range", "webhook: {url: \"https://hook.example:99999/x\"}", "[2:16] webhook.url", "1..65535"},
		{"syslog ipv6", "syslog: {network: udp, addr: \"[::1]:514\"}", "", ""},
		{"syslog network missing", "syslog: {addr: \"127.0.0.1:514\"}", "syslog.network", "not udp or tcp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := "site: wing.yaml\n" + tc.yaml + "\n"
			_, err := LoadFileConfig(strings.NewReader(doc), t.TempDir())
			if tc.wantKey == "" {
				if err != nil {
					t.Fatalf("%s refused: %v; a site may use it", tc.yaml, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("%s loaded; want it refused naming %s", tc.yaml, tc.wantKey)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.wantKey+":") || !strings.Contains(msg, tc.wantMsg) {
				t.Errorf("%s: got %q; want it to name %s and %q", tc.yaml, msg, tc.wantKey, tc.wantMsg)
			}
		})
	}
}
