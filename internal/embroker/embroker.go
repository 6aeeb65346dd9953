// Package embroker starts the embedded MQTT broker (mochi-mqtt) that the
// one-command demo, the load test and the tests run on 127.0.0.1, so each of
// them does not set one up on its own.
package embroker

import (
	"fmt"
	"log/slog"
	"net"
	"time"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// Start serves a broker that lets any client in on addr, a loopback
// host:port ("127.0.0.1:0" picks a free port), and returns it with the
// address it listens on. It refuses an address that is not loopback: the
// embedded broker has no authentication. A port still held by a broker
// closed a moment ago is retried for up to a second, so a test can restart
// a broker on the same address.
// Its drops are reported as StartWith's are, to slog.Default().
func Start(addr string) (*mochi.Server, string, error) {
	return StartWith(addr, Options{})
}

// StartWith is Start reporting the messages the broker drops (to a
// subscriber 8192 behind, or with a full buffer) to o's logger and
// counter (dropHook).
func StartWith(addr string, o Options) (*mochi.Server, string, error) {
	return reportDrops(o)(start(addr, new(auth.AllowHook), nil))
}

// StartAuth is Start with the clients and topics ledger allows, for tests
// of wrong passwords and refused subscriptions (mochi's auth.Ledger: a
// connection no Auth rule allows is refused with "not authorised", a
// subscription its ACL denies gets the SUBACK failure code 0x80).
func StartAuth(addr string, ledger *auth.Ledger) (*mochi.Server, string, error) {
	return reportDrops(Options{})(start(addr, new(auth.Hook), &auth.Options{Ledger: ledger}))
}

// reportDrops adds a dropHook to the broker start returned.
func reportDrops(o Options) func(*mochi.Server, string, error) (*mochi.Server, string, error) {
	return func(srv *mochi.Server, addr string, err error) (*mochi.Server, string, error) {
		if err != nil {
			return nil, "", err
		}
		h, err := newDropHook(o)
		if err == nil {
			err = srv.AddHook(h, nil)
		}
		if err != nil {
			_ = srv.Close()
			return nil, "", fmt.Errorf("embedded broker: drop reporting: %w", err)
		}
		return srv, addr, nil
	}
}

func start(addr string, hook mochi.Hook, hookConfig any) (*mochi.Server, string, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, "", fmt.Errorf("embedded broker: address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, "", fmt.Errorf("embedded broker: address %q is not loopback (the embedded broker allows anyone in)", addr)
	}
	srv := mochi.New(&mochi.Options{InlineClient: true, Logger: slog.New(slog.DiscardHandler)})
	if err := srv.AddHook(hook, hookConfig); err != nil {
		return nil, "", fmt.Errorf("embedded broker: %w", err)
	}
	l := listeners.NewTCP(listeners.Config{Type: "tcp", ID: "embedded", Address: addr})
	for range 50 {
		if err = srv.AddListener(l); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return nil, "", fmt.Errorf("embedded broker: listen on %s: %w", addr, err)
	}
	if err := srv.Serve(); err != nil {
		_ = srv.Close()
		return nil, "", fmt.Errorf("embedded broker: serve: %w", err)
	}
	return srv, l.Address(), nil
}
