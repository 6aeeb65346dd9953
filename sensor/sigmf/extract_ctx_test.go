package sigmf

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/internal/ctxio"
)

// bytesInDirCtx is a context that ends itself once the files in dir (the
// extraction's temporary files included) hold atLeast bytes, looked at on
// each of its Err calls: the request ends mid-copy at a known point, not
// after a time. It notes the bytes seen at each look.
type bytesInDirCtx struct {
	context.Context
	cancel  context.CancelFunc
	dir     string
	atLeast int64
	seen    []int64
}

func (c *bytesInDirCtx) Err() error {
	var n int64
	ents, _ := os.ReadDir(c.dir)
	for _, e := range ents {
		if fi, err := e.Info(); err == nil {
			n += fi.Size()
		}
	}
	c.seen = append(c.seen, n)
	if n >= c.atLeast {
		c.cancel()
	}
	return c.Context.Err()
}

// TestExtractArchiveAllStopsWhenContextEnds: an extraction whose context
// ends in the copy of its second recording's data stops there, having
// looked at the context at least every ctxio.ChunkBytes, removes what it
// wrote (the first recording's pair and the partial data) and returns an
// error wrapping context.Canceled. Until 2026-12-06 it ran to the end.
func TestExtractArchiveAllStopsWhenContextEnds(t *testing.T) {
	meta := `{"global":{"core:datatype":"ci8","core:sample_rate":1000,"core:version":"1.0.0"},"captures":[{"core:sample_start":0}],"annotations":[]}`
	const firstBytes, secondBytes = 1 << 20, 16 << 20
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o700); err != nil {
		t.Fatal(err)
	}
	arch := filepath.Join(dir, "in"+ArchiveExt)
	if err := os.WriteFile(arch, tarOf(t,
		"a/a.sigmf-meta", meta, "a/a.sigmf-data", strings.Repeat("\x01", firstBytes),
		"b/b.sigmf-meta", meta, "b/b.sigmf-data", strings.Repeat("\x02", secondBytes)), 0o600); err != nil {
		t.Fatal(err)
	}
	base, cancel := context.WithCancel(context.Background())
	defer cancel()
	ctx := &bytesInDirCtx{Context: base, cancel: cancel, dir: out, atLeast: firstBytes + 3<<20}
	_, _, err := ExtractArchiveAllFilesContext(ctx, arch, out, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("extraction whose context ended: %v, want context.Canceled", err)
	}
	if len(ctx.seen) == 0 {
		t.Fatal("the extraction never looked at its context")
	}
	last := ctx.seen[len(ctx.seen)-1]
	if last >= firstBytes+secondBytes {
		t.Errorf("the copy ran to the end (%d bytes written) before it stopped", last)
	}
	for i := 1; i < len(ctx.seen); i++ {
		if d := ctx.seen[i] - ctx.seen[i-1]; d > ctxio.ChunkBytes+int64(len(meta)) {
			t.Errorf("%d bytes written between two looks at the context, want at most a chunk (%d)", d, ctxio.ChunkBytes)
		}
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("left %v after the extraction stopped, want nothing", names)
	}
}
