package embroker

import (
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// MaxPacketBytes is the largest MQTT packet the embedded broker takes,
// as max_packet_size in deploy/mosquitto/mosquitto.conf (a deploy test
// keeps the two equal): the largest message rfwarden sends is an evidence
// snippet, which the dashboard takes up to 64 MiB
// (dashboard.MaxEvidenceBytes; a default 50 ms snippet at 20 Msps is
// 8 MB), and 64 KiB more leaves room for its topic and headers. A client
// sending a larger packet is disconnected as its header arrives, before
// the broker reads the rest; MQTT's own bound is 256 MiB.
const MaxPacketBytes = 64<<20 + 64<<10

// Start serves a broker that lets any client in on addr, a loopback
// host:port ("127.0.0.1:0" picks a free port), and returns it with the
// address it listens on. It refuses an address that is not loopback: the
// embedded broker has no TLS (and Start no logins). A port still held by
// a broker closed a moment ago is retried for up to a second, so a test
// can restart a broker on the same address.
// Its drops are reported as StartWith's are, to slog.Default().
func Start(addr string) (*mochi.Server, string, error) {
	return StartWith(addr, Options{})
}

// StartWith is Start letting in only o.Logins, each to the topics o.ACL
// gives it, when o.Logins is not nil, and reporting the messages the
// broker drops (to a subscriber 8192 behind, or with a full buffer) to
// o's logger and counter (dropHook).
func StartWith(addr string, o Options) (*mochi.Server, string, error) {
	var hook mochi.Hook = new(auth.AllowHook)
	if o.Logins != nil {
		acl := o.ACL
		if acl == nil {
			acl = &ACL{}
		}
		hook = &aclHook{logins: o.Logins, acl: acl}
	}
	return reportDrops(o)(start(addr, hook, nil))
}

// StartAuth is Start with the clients and topics ledger allows, for tests
// of wrong passwords and refused subscriptions (mochi's auth.Ledger: a
// connection no Auth rule allows is refused with "not authorised", a
// subscription its ACL denies gets the SUBACK failure code 0x80). The
// ledger's ACL allows a topic no rule names; for a broker that allows
// only what an ACL grants, use StartWith with Options.Logins.
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
		return nil, "", fmt.Errorf("embedded broker: address %q is not loopback (the embedded broker has no TLS, and without logins lets anyone in)", addr)
	}
	caps := mochi.NewDefaultServerCapabilities()
	caps.MaximumPacketSize = MaxPacketBytes
	srv := mochi.New(&mochi.Options{InlineClient: true, Logger: slog.New(slog.DiscardHandler), Capabilities: caps})
	if err := srv.AddHook(hook, hookConfig); err != nil {
		return nil, "", fmt.Errorf("embedded broker: %w", err)
	}
	if err := srv.AddHook(newCollisionHook(srv), nil); err != nil {
		return nil, "", fmt.Errorf("embedded broker: packet ID collisions: %w", err)
	}
	var ln net.Listener
	for range 50 {
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return nil, "", fmt.Errorf("embedded broker: listen on %s: %w", addr, err)
	}
	l := &listener{id: "embedded", ln: ln, conns: map[net.Conn]struct{}{}}
	if err := srv.AddListener(l); err != nil {
		_ = ln.Close()
		return nil, "", fmt.Errorf("embedded broker: %w", err)
	}
	if err := srv.Serve(); err != nil {
		_ = srv.Close()
		return nil, "", fmt.Errorf("embedded broker: serve: %w", err)
	}
	return srv, l.Address(), nil
}

// listener is the broker's TCP listener in place of mochi's
// listeners.TCP, whose Close lets a connection accepted a moment before
// run into the server's shutdown: mochi's Server.Close waits on its
// ClientsWg while the new connection's goroutine calls ClientsWg.Add(1)
// from zero, a data race (mochi-mqtt/server issue 541, PR 508, open in
// v2.7.9) that the race detector reports whenever a client (paho
// reconnecting at once when the broker drops it, or retrying a refused
// password) connects as a test closes its broker. Close here stops
// accepting first, closes the connections it accepted and waits until
// each one's establish call has returned, so every Add and Done on
// mochi's ClientsWg happens before mochi's Wait.
// TestCloseWhileClientsConnect repeats that shutdown under churn.
type listener struct {
	id string
	ln net.Listener

	mu       sync.Mutex
	closed   bool
	conns    map[net.Conn]struct{} // accepted, establish not yet returned
	inflight sync.WaitGroup        // establish calls; Add only under mu while !closed
}

var _ listeners.Listener = (*listener)(nil)

// Init does nothing: Start listens before the listener is added.
func (l *listener) Init(*slog.Logger) error { return nil }

// Serve accepts connections until Close and hands each to establish on a
// goroutine of its own.
func (l *listener) Serve(establish listeners.EstablishFn) {
	for {
		conn, err := l.ln.Accept()
		if err != nil {
			return // closed
		}
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			_ = conn.Close()
			return
		}
		l.conns[conn] = struct{}{}
		l.inflight.Add(1)
		l.mu.Unlock()
		go func() {
			defer l.inflight.Done()
			_ = establish(l.id, conn) // a client's error ends only its own connection
			l.mu.Lock()
			delete(l.conns, conn)
			l.mu.Unlock()
		}()
	}
}

// ID returns the listener's ID.
func (l *listener) ID() string { return l.id }

// Address returns the address the listener is bound to.
func (l *listener) Address() string { return l.ln.Addr().String() }

// Protocol returns "tcp".
func (l *listener) Protocol() string { return "tcp" }

// Close stops accepting, closes every connection (each establish call
// then returns), waits until each has returned, and only then lets mochi
// disconnect the clients it still holds (closeClients). In that order no
// client is being added while closeClients runs: mochi's
// Clients.GetByListener takes the clients' read lock twice (it calls Len
// under RLock), and a client's Clients.Add waiting for the write lock
// between the two deadlocked Close (mochi v2.7.9; 1 close in about 3,000
// under load in TestCloseWhileClientsConnect, whose goroutine dump showed
// closeListenerClients in Len and attachClient in Add). A client of
// MQTT 3.1.1, which has no server DISCONNECT, sees its connection close
// either way.
func (l *listener) Close(closeClients listeners.CloseFn) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	for c := range l.conns {
		_ = c.Close()
	}
	l.mu.Unlock()
	_ = l.ln.Close()
	l.inflight.Wait()
	closeClients(l.id)
}
