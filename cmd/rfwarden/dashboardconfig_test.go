package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// TestDashboardConfigSweep: dashboard settings (flags and their RFW_
// variables) that were taken and could not work are refused at start,
// before anything is loaded, naming the variable and flag: a listen
// address no socket takes (it failed only at the listen), an InfluxDB URL
// with no host, a port out of range or a space, a broker port out of
// range, an empty client ID for the persistent evidence session, a
// variable of a command-line-only flag or a misspelt one (ignored without
// a word), an allowed host name with a port, a scheme or an empty entry.
// The database named does not exist, so a row the checks pass
// stops at "does not exist": what a site may write (":0", IPv6, a host
// name, another command's RFW_ variable) gets that far.
func TestDashboardConfigSweep(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string // in the error; "" passes the checks
	}{
		{name: "listen any port", args: []string{"--listen", ":0"}},
		{name: "listen ipv6", args: []string{"--listen", "[::1]:0"}},
		{name: "listen hostname", args: []string{"--listen", "localhost:0"}},
		{name: "other command's variable", args: []string{"--listen", "127.0.0.1:0"}, env: map[string]string{"RFW_FUSION_CONFIG": "/etc/rfwarden/fusion.yaml"}},
		{name: "influx hostname", args: []string{"--listen", "127.0.0.1:0", "--influx", "https://influx.site.example:8086"}},
		{name: "listen port range", args: []string{"--listen", ":99999"}, want: `RFW_LISTEN (--listen): ":99999": port "99999" is not a number in 0..65535`},
		{name: "listen env port range", env: map[string]string{"RFW_LISTEN": "0.0.0.0:99999"}, want: `RFW_LISTEN (--listen): "0.0.0.0:99999": port`},
		{name: "listen url", args: []string{"--listen", "http://0.0.0.0:8080"}, want: "RFW_LISTEN (--listen): \"http://0.0.0.0:8080\" is a URL"},
		{name: "listen no port", args: []string{"--listen", "0.0.0.0"}, want: "RFW_LISTEN (--listen): \"0.0.0.0\" is not host:port (missing port in address)"},
		{name: "influx no host", args: []string{"--listen", "127.0.0.1:0", "--influx", "http://"}, want: `RFW_INFLUX_URL (--influx): "http://" has no host`},
		{name: "influx port range", args: []string{"--listen", "127.0.0.1:0", "--influx", "http://127.0.0.1:99999"}, want: "RFW_INFLUX_URL (--influx): \"http://127.0.0.1:99999\": port 99999 is not in 1..65535"},
		{name: "influx space", args: []string{"--listen", "127.0.0.1:0", "--influx", "http://influx host:8086"}, want: "RFW_INFLUX_URL (--influx): \"http://influx host:8086\" is not a URL"},
		{name: "influx no scheme", args: []string{"--listen", "127.0.0.1:0", "--influx", "127.0.0.1:8086"}, want: "RFW_INFLUX_URL (--influx): \"127.0.0.1:8086\" is not http:// or https://"},
		{name: "mqtt port range", args: []string{"--listen", "127.0.0.1:0", "--mqtt", "tcp://127.0.0.1:99999"}, want: "RFW_MQTT (--mqtt): \"tcp://127.0.0.1:99999\": port 99999 is not in 1..65535"},
		{name: "evidence session without id", args: []string{"--listen", "127.0.0.1:0", "--mqtt", "tcp://127.0.0.1:1883", "--snippet-dir", "snips", "--mqtt-client-id", ""},
			want: "RFW_MQTT_CLIENT_ID (--mqtt-client-id) is empty"},
		{name: "allowed hosts", args: []string{"--listen", "127.0.0.1:0"}, env: map[string]string{"RFW_ALLOWED_HOSTS": "dashboard.hmp-north.example, rfw-dash"}},
		{name: "allowed hosts any", args: []string{"--listen", "127.0.0.1:0", "--allowed-hosts", "*"}},
		{name: "allowed hosts port", args: []string{"--listen", "127.0.0.1:0"}, env: map[string]string{"RFW_ALLOWED_HOSTS": "dashboard.hmp-north.example:443"},
			want: `RFW_ALLOWED_HOSTS (--allowed-hosts): allowed hosts: entry 1 "dashboard.hmp-north.example:443": has a port (443)`},
		{name: "allowed hosts url", args: []string{"--listen", "127.0.0.1:0", "--allowed-hosts", "https://dashboard.hmp-north.example"},
			want: `RFW_ALLOWED_HOSTS (--allowed-hosts): allowed hosts: entry 1 "https://dashboard.hmp-north.example": a URL`},
		{name: "allowed hosts empty entry", args: []string{"--listen", "127.0.0.1:0", "--allowed-hosts", "a.example,,b.example"},
			want: `RFW_ALLOWED_HOSTS (--allowed-hosts): allowed hosts: entry 2 "": empty`},
		{name: "flag-only variable", args: []string{"--listen", "127.0.0.1:0"}, env: map[string]string{"RFW_REPLAY_MAX": "10m"}, want: "RFW_REPLAY_MAX is set, but the dashboard does not read it: --replay-max is a command-line flag only"},
		{name: "misspelt variable", args: []string{"--listen", "127.0.0.1:0"}, env: map[string]string{"RFW_LISTN": "0.0.0.0:443"}, want: "RFW_LISTN is set, but the dashboard does not read it: did you mean RFW_LISTEN?"},
		{name: "lower-case variable", args: []string{"--listen", "127.0.0.1:0"}, env: map[string]string{"rfw_db": "/var/lib/rfwarden/rfwarden.db"}, want: "rfw_db is set, but the dashboard does not read it: did you mean RFW_DB?"},
		{name: "missing letter in a long one", args: []string{"--listen", "127.0.0.1:0"}, env: map[string]string{"RFW_MQTT_CLIENTID": "d"}, want: "did you mean RFW_MQTT_CLIENT_ID?"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var out, errOut syncbuf.Buffer
			args := append([]string{"--db", filepath.Join(t.TempDir(), "none.db")}, tc.args...)
			err := cmdDashboard(ctx, args, &out, &errOut)
			if err == nil {
				t.Fatalf("dashboard %q started; want it stopped before serving", args)
			}
			if tc.want == "" {
				if !strings.Contains(err.Error(), "does not exist") {
					t.Fatalf("dashboard %q: %v; want the settings taken (stopped only at the missing database)", args, err)
				}
				return
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("dashboard %q: %v; want %q", args, err, tc.want)
			}
			if strings.Contains(err.Error(), "does not exist") {
				t.Errorf("dashboard %q: refused only for the database: %v", args, err)
			}
		})
	}
}
