package loadtest

import (
	"fmt"
	"net"
	"net/url"

	mochi "github.com/mochi-mqtt/server/v2"

	"github.com/rfwarden/rfwarden/internal/embroker"
	"github.com/rfwarden/rfwarden/internal/redact"
)

// embeddedBroker is a mochi-mqtt broker listening on a free 127.0.0.1 port.
type embeddedBroker struct {
	srv *mochi.Server
	url string
}

func startEmbeddedBroker() (*embeddedBroker, error) {
	srv, addr, err := embroker.Start("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return &embeddedBroker{srv: srv, url: "tcp://" + addr}, nil
}

func (b *embeddedBroker) Close() error { return b.srv.Close() }

// checkLoopbackURL accepts tcp:// or mqtt:// URLs whose host is a loopback
// address or localhost, with a port.
func checkLoopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("broker %q: %s", redact.URL(raw), redact.ParseProblem(raw, err))
	}
	if u.Scheme != "tcp" && u.Scheme != "mqtt" {
		return fmt.Errorf("broker %q: scheme must be tcp or mqtt", redact.URL(raw))
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		return fmt.Errorf("broker %q: port missing", redact.URL(raw))
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("broker %q: host must be a loopback address (load tests stay on this machine)", redact.URL(raw))
	}
	return nil
}
