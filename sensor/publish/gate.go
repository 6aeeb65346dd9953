package publish

import (
	"context"
	"sync"
	"time"
)

// Gate holds a Sender while the broker of the current connection is not
// known to keep the detections for their reader. The agent closes it at
// every connection attempt (Options.Connecting) and opens it when fusion's
// session marker (event.CmdSession) arrives on that connection; Bypass
// opens it for good (the broker refused the marker's subscription: the
// sensor publishes as it did before markers). A new Gate is closed. Its
// methods are safe for concurrent use.
type Gate struct {
	mu     sync.Mutex
	open   bool
	bypass bool
	since  time.Time     // when it last closed
	ch     chan struct{} // closed while open
}

// IsOpen reports whether the gate is open.
func (g *Gate) IsOpen() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.open
}

// NewGate returns a closed Gate (the zero Gate is not usable).
func NewGate() *Gate {
	return &Gate{since: time.Now(), ch: make(chan struct{})}
}

// Close closes the gate (unless bypassed) until Open.
func (g *Gate) Close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.bypass || !g.open {
		return
	}
	g.open, g.since, g.ch = false, time.Now(), make(chan struct{})
}

// Open opens the gate; it reports whether it was closed.
func (g *Gate) Open() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.open {
		return false
	}
	g.open = true
	close(g.ch)
	return true
}

// Bypass opens the gate for good: Close no longer closes it.
func (g *Gate) Bypass() {
	g.mu.Lock()
	g.bypass = true
	g.mu.Unlock()
	g.Open()
}

// State reports whether the gate is open, whether it is bypassed, and,
// while closed, since when.
func (g *Gate) State() (open, bypassed bool, closedSince time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.open {
		return true, g.bypass, time.Time{}
	}
	return false, false, g.since
}

// Wait returns nil once the gate is open, or ctx's error.
func (g *Gate) Wait(ctx context.Context) error {
	g.mu.Lock()
	ch := g.ch
	g.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
