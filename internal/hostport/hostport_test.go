package hostport

import (
	"fmt"
	"net"
	"strings"
	"testing"
)

// TestPort: a port is ASCII decimal digits with a value in range; port
// 0 only for a listener. A sign, a space, a base prefix and another
// script's digits are refused; leading zeros read as net.Dial reads them.
func TestPort(t *testing.T) {
	const dialRange, listenRange = "is not a number in 1..65535", "is not a number in 0..65535 (0: any free port)"
	for _, tc := range []struct {
		port   string
		dial   int // the number under Rules{}; -1: refused
		listen int // the number under Listen(); -1: refused
	}{
		{"0", -1, 0},
		{"00", -1, 0},
		{"1", 1, 1},
		{"80", 80, 80},
		{"080", 80, 80},
		{"0000000000000000000000080", 80, 80},
		{"65535", 65535, 65535},
		{"65536", -1, -1},
		{"99999", -1, -1},
		{"18446744073709551697", -1, -1}, // 2^64+81: no wrap-around to 81
		{"-1", -1, -1},
		{"-0", -1, -1},
		{"+80", -1, -1},
		{"", -1, -1},
		{" 80", -1, -1},
		{"80 ", -1, -1},
		{"0x50", -1, -1},
		{"1e3", -1, -1},
		{"http", -1, -1},
		{"٨٠", -1, -1}, // Arabic-Indic 80
		{"８０", -1, -1}, // full-width 80
		{"8\x000", -1, -1},
	} {
		for _, rc := range []struct {
			name     string
			r        Rules
			want     int
			rangeMsg string
		}{
			{"dial", Rules{}, tc.dial, dialRange},
			{"listen", Listen(), tc.listen, listenRange},
		} {
			got, err := rc.r.Port(tc.port)
			if rc.want >= 0 {
				if err != nil || got != rc.want {
					t.Errorf("%s Port(%q) = %d, %v; want %d", rc.name, tc.port, got, err, rc.want)
				}
				continue
			}
			if err == nil {
				t.Errorf("%s Port(%q) = %d, want it refused", rc.name, tc.port, got)
				continue
			}
			if want := fmt.Sprintf("port %q %s", tc.port, rc.rangeMsg); err.Error() != want {
				t.Errorf("%s Port(%q) error %q, want %q", rc.name, tc.port, err, want)
			}
		}
	}
}

// TestCheck: host:port under the dial and the listen rules: the same but
// for port 0 and an empty host, which only a listener takes.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		addr         string
		dial, listen string // "": accepted; else in the error
	}{
		{addr: "127.0.0.1:514"},
		{addr: "logs.example:514"},
		{addr: "logs.example.:514"},
		{addr: "[::1]:80"},
		{addr: "[fe80::1%eth0]:514"},
		{addr: "127.0.0.1:1"},
		{addr: "127.0.0.1:65535"},
		{addr: "127.0.0.1:080"},
		{addr: "127.0.0.1:0", dial: `"127.0.0.1:0": port "0" is not a number in 1..65535`},
		{addr: ":514", dial: `":514" has no host`},
		{addr: "[]:514", dial: `"[]:514" has no host`},
		{addr: ":0", dial: `":0": port "0" is not a number in 1..65535`},
		{addr: "127.0.0.1:65536", dial: `port "65536" is not a number in 1..65535`, listen: `port "65536" is not a number in 0..65535`},
		{addr: "127.0.0.1:-1", dial: `port "-1" is not`, listen: `port "-1" is not`},
		{addr: "127.0.0.1:+80", dial: `port "+80" is not`, listen: `port "+80" is not`},
		{addr: "127.0.0.1: 80", dial: `port " 80" is not`, listen: `port " 80" is not`},
		{addr: "127.0.0.1:0x50", dial: `port "0x50" is not`, listen: `port "0x50" is not`},
		{addr: "127.0.0.1:٨٠", dial: `port "٨٠" is not`, listen: `port "٨٠" is not`},
		{addr: "127.0.0.1:", dial: `port "" is not`, listen: `port "" is not`},
		{addr: "127.0.0.1:syslog", dial: `port "syslog" is not`, listen: `port "syslog" is not`},
		{addr: "127.0.0.1", dial: `"127.0.0.1" is not host:port (missing port in address)`, listen: "missing port in address"},
		{addr: "", dial: `"" is not host:port (missing port in address)`, listen: "missing port in address"},
		{addr: "::1:80", dial: "too many colons", listen: "too many colons"},
		{addr: "[::1]", dial: "missing port in address", listen: "missing port in address"},
		{addr: "udp://logs.example:514", dial: `"udp://logs.example:514" is a URL, not host:port: write the address alone`, listen: "is a URL"},
		{addr: "127.0.0.1 :514", dial: `"127.0.0.1 :514": host "127.0.0.1 " is not an IP address or host name`, listen: `host "127.0.0.1 "`},
		{addr: " 127.0.0.1:514", dial: `host " 127.0.0.1"`, listen: `host " 127.0.0.1"`},
		{addr: "bad_host!:514", dial: `host "bad_host!"`, listen: `host "bad_host!"`},
		{addr: "a..b:514", dial: `host "a..b"`, listen: `host "a..b"`},
		{addr: "lögs.example:514", dial: `host "lögs.example"`, listen: `host "lögs.example"`},
		{addr: strings.Repeat("a", 64) + ":514", dial: "is not an IP address or host name", listen: "is not an IP address or host name"},
	} {
		for _, rc := range []struct {
			name string
			r    Rules
			want string
		}{
			{"dial", Rules{}, tc.dial},
			{"listen", Listen(), tc.listen},
		} {
			err := rc.r.Check(tc.addr)
			if rc.want == "" {
				if err != nil {
					t.Errorf("%s Check(%q) = %v, want it accepted", rc.name, tc.addr, err)
				}
				continue
			}
			if err == nil || !strings.Contains(err.Error(), rc.want) {
				t.Errorf("%s Check(%q) = %v, want an error with %q", rc.name, tc.addr, err, rc.want)
			}
		}
	}
}

// TestPortAgreesWithNet: a port Port takes, leading zeros included, is
// the number net.Dial and net.Listen use (net.LookupPort reads a numeric
// port as they do, without resolving anything or opening a socket).
func TestPortAgreesWithNet(t *testing.T) {
	for _, p := range []string{"1", "80", "080", "00514", "65535"} {
		want, err := Rules{}.Port(p)
		if err != nil {
			t.Fatalf("Port(%q): %v", p, err)
		}
		got, err := net.LookupPort("tcp", p)
		if err != nil || got != want {
			t.Errorf("net.LookupPort(%q) = %d, %v; Port says %d", p, got, err, want)
		}
	}
}
