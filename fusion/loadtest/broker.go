package loadtest

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// embeddedBroker is a mochi-mqtt broker listening on a free 127.0.0.1 port.
type embeddedBroker struct {
	srv *mochi.Server
	url string
}

func startEmbeddedBroker() (*embeddedBroker, error) {
	srv := mochi.New(&mochi.Options{InlineClient: false, Logger: slog.New(slog.DiscardHandler)})
	if err := srv.AddHook(new(auth.AllowHook), nil); err != nil {
		return nil, fmt.Errorf("embedded broker: %w", err)
	}
	l := listeners.NewTCP(listeners.Config{Type: "tcp", ID: "loadtest", Address: "127.0.0.1:0"})
	if err := srv.AddListener(l); err != nil {
		return nil, fmt.Errorf("embedded broker: listen: %w", err)
	}
	if err := srv.Serve(); err != nil {
		return nil, fmt.Errorf("embedded broker: serve: %w", err)
	}
	return &embeddedBroker{srv: srv, url: "tcp://" + l.Address()}, nil
}

func (b *embeddedBroker) Close() error { return b.srv.Close() }

// checkLoopbackURL accepts tcp:// or mqtt:// URLs whose host is a loopback
// address or localhost, with a port.
func checkLoopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("broker %q: %w", raw, err)
	}
	if u.Scheme != "tcp" && u.Scheme != "mqtt" {
		return fmt.Errorf("broker %q: scheme must be tcp or mqtt", raw)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		return fmt.Errorf("broker %q: port missing", raw)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("broker %q: host must be a loopback address (load tests stay on this machine)", raw)
	}
	return nil
}
