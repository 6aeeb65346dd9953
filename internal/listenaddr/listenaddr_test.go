package listenaddr

import (
	"net"
	"strings"
	"testing"
)

// TestCheck: the addresses a site may listen on pass, and those no
// listener takes are refused with why. Every address Check passes that
// has no host name to resolve is also one net.Listen takes (checked on
// port 0 forms only, so no test opens a fixed port).
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want string // "": accepted; else in the error
	}{
		{addr: ":0"},
		{addr: "127.0.0.1:0"},
		{addr: "[::1]:9464"},
		{addr: "[fe80::1%eth0]:9464"},
		{addr: ":9464"},
		{addr: "0.0.0.0:443"},
		{addr: "localhost:8080"},
		{addr: "dash-1.prison.example:8080"},
		{addr: "127.0.0.1:65535"},
		// leading zeros: the port net.Listen takes (80); refused until
		// 2026-12-06 as "not a number in 0..65535"
		{addr: ":080"},
		{addr: ":99999", want: `port "99999" is not a number in 0..65535`},
		{addr: ":-1", want: `port "-1" is not a number in 0..65535`},
		{addr: ":+80", want: `port "+80" is not a number`},
		{addr: "127.0.0.1:", want: `port "" is not a number`},
		{addr: ":http", want: `port "http" is not a number`},
		{addr: "127.0.0.1:9464/metrics", want: `port "9464/metrics"`},
		{addr: "http://0.0.0.0:8080", want: "is a URL, not host:port"},
		{addr: "127.0.0.1", want: "missing port in address"},
		{addr: "::1:9464", want: "too many colons"},
		{addr: "", want: "missing port in address"},
		{addr: "127.0.0.1 :9464", want: `host "127.0.0.1 " is not an IP address or host name`},
		{addr: "bad_host!:9464", want: `host "bad_host!"`},
		{addr: "a..b:9464", want: `host "a..b"`},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			err := Check(tc.addr, SensorPort)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want it accepted", tc.addr, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Check(%q) = %v, want an error with %q", tc.addr, err, tc.want)
			}
		})
	}
}

// TestCheckAgreesWithListen: the loopback forms Check passes, net.Listen
// takes (port 0: the system chooses).
func TestCheckAgreesWithListen(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "localhost:0", "127.0.0.1:000"} {
		if err := Check(addr, SensorPort); err != nil {
			t.Fatalf("Check(%q) = %v", addr, err)
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("net.Listen(%q): %v", addr, err)
		}
		l.Close()
	}
}
