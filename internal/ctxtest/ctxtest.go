package ctxtest

import (
	"context"
	"sync"
)

// ErrAfter is a context whose Err is nil for its first N calls and
// context.Canceled after: Ctrl-C at a known block of work that asks its
// context once per block. Done is its parent's.
type ErrAfter struct {
	context.Context
	N int

	mu sync.Mutex
}

// Err counts down N, then reports context.Canceled.
func (c *ErrAfter) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.N > 0 {
		c.N--
		return nil
	}
	return context.Canceled
}
