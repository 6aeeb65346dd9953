package main

import (
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// TestDemoFlagsSweep: demo flags that were taken and could not work are
// refused as the command line is parsed, naming the flag: a --listen no
// socket takes, and a --status-every of 0 or below, which made
// time.NewTicker panic once the demo was up, and an --allowed-hosts
// name with a port. What a user may give
// (":0", IPv6, a host name, a short progress interval) parses.
func TestDemoFlagsSweep(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // "": parsed
	}{
		{args: []string{"--listen", ":0"}},
		{args: []string{"--listen", "[::1]:0"}},
		{args: []string{"--listen", "localhost:0", "--status-every", "500ms"}},
		{args: []string{"--listen", ":99999"}, want: `demo: --listen: ":99999": port "99999" is not a number in 0..65535`},
		{args: []string{"--listen", "http://127.0.0.1:8080"}, want: "demo: --listen: \"http://127.0.0.1:8080\" is a URL"},
		{args: []string{"--listen", "8080"}, want: "demo: --listen: \"8080\" is not host:port (missing port in address)"},
		{args: []string{"--allowed-hosts", "demo.lab.example,LAPTOP"}},
		{args: []string{"--allowed-hosts", "demo.lab.example:8080"}, want: `demo: --allowed-hosts: allowed hosts: entry 1 "demo.lab.example:8080": has a port (8080)`},
		{args: []string{"--status-every", "0s"}, want: "demo: --status-every 0s: give the wall-clock time between progress lines, above 0"},
		{args: []string{"--status-every", "-1s"}, want: "demo: --status-every -1s"},
		{args: []string{"--speed", "0"}, want: "demo: --speed 0 outside (0, 1000]"}, // runDemo's validate, before anything starts
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var errOut syncbuf.Buffer
			o, err := parseDemoFlags(tc.args, &errOut)
			if err == nil {
				err = o.validate()
			}
			if tc.want == "" {
				if err != nil {
					t.Fatalf("demo %q: %v; want it taken", tc.args, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("demo %q: %v; want %q", tc.args, err, tc.want)
			}
		})
	}
}
