package ctxio

import (
	"context"
	"fmt"
	"io"
)

// ChunkBytes is the most Reader reads between two looks at its context.
const ChunkBytes = 1 << 20

// Reader returns a reader of r that looks at ctx before each read of at
// most ChunkBytes: once ctx has ended it reads no more and returns an
// error wrapping ctx.Err() that says how many bytes were read. A copy
// through it reads at most ChunkBytes after ctx ends.
func Reader(ctx context.Context, r io.Reader) io.Reader {
	return &reader{ctx: ctx, r: r}
}

type reader struct {
	ctx context.Context
	r   io.Reader
	n   int64 // bytes read
}

func (c *reader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, fmt.Errorf("stopped after %d bytes: %w", c.n, err)
	}
	if len(p) > ChunkBytes {
		p = p[:ChunkBytes]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
