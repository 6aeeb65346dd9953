package probeserver

import (
	"net"
	"sync"
)

// LimitListener returns l holding at most maxConns of its connections open at
// once (maxConns <= 0: Defaults' MaxConns). Accept waits, before it takes the
// next connection, until one of those it returned is closed; the clients
// past the cap wait meanwhile in the kernel's accept queue (or are
// refused by it once that is full), holding no goroutine of the process.
// Closing the returned listener ends a wait in Accept.
func LimitListener(l net.Listener, maxConns int) net.Listener {
	if maxConns <= 0 {
		maxConns = Defaults().MaxConns
	}
	return &limitListener{Listener: l, sem: make(chan struct{}, maxConns), done: make(chan struct{})}
}

type limitListener struct {
	net.Listener
	sem       chan struct{} // one token per open connection
	done      chan struct{} // closed by Close
	closeOnce sync.Once
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.sem }}, nil
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// limitConn gives its token back when it is first closed.
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
