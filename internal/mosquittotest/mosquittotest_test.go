package mosquittotest

import (
	"net"
	"strings"
	"testing"
)

func TestStartAcceptsConnections(t *testing.T) {
	b := Start(t)
	addr, ok := strings.CutPrefix(b.URL, "tcp://127.0.0.1:")
	if !ok || addr == "" {
		t.Fatalf("URL %q is not a loopback tcp URL", b.URL)
	}
	c, err := net.Dial("tcp", strings.TrimPrefix(b.URL, "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if s := b.Stderr(); strings.Contains(s, "Error") {
		t.Errorf("broker logged errors: %s", s)
	}
}

func TestConfig(t *testing.T) {
	c := Config("1884", "/x")
	for _, want := range []string{"listener 1884 127.0.0.1\n", "persistence_location /x/\n", "max_inflight_messages 100\n", "max_queued_messages 100000\n", "allow_anonymous true\n"} {
		if !strings.Contains(c, want) {
			t.Errorf("config lacks %q:\n%s", want, c)
		}
	}
}
