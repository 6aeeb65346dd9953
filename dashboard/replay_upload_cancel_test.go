package dashboard

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/internal/syncbuf"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// Tests that an upload's check stops when its request ends (the analyst
// left): the check of a 256 MiB upload ran to its end after the analyst
// had gone, until 2026-12-06.

// cancelAfterCtx is a context cancelled by its own n-th look at Err: the
// check is stopped at a known point of its work, not after a time.
type cancelAfterCtx struct {
	context.Context
	cancel context.CancelFunc
	left   int
}

func newCancelAfterCtx(n int) *cancelAfterCtx {
	ctx, cancel := context.WithCancel(context.Background())
	return &cancelAfterCtx{Context: ctx, cancel: cancel, left: n}
}

func (c *cancelAfterCtx) Err() error {
	if c.left--; c.left < 0 {
		c.cancel()
	}
	return c.Context.Err()
}

// TestCheckUploadStopsWhenRequestEnds: the check of a 256 MiB recording
// (a sparse file of zero samples, which a replay takes) whose request
// ends stops where it is, in the hash check or in the read of the
// samples, returning context.Canceled and saying how far it got.
func TestCheckUploadStopsWhenRequestEnds(t *testing.T) {
	const dataBytes = 256 << 20 // ci8: two bytes a sample
	for _, tc := range []struct {
		name  string
		extra string // global keys added to the metadata
		looks int    // looks at the context before it ends
		want  string
	}{
		{"ended before the check", "", 0, "stopped after 0 of 134217728 samples"},
		{"ended in the read", "", 2, "stopped after 131072 of 134217728 samples"},
		// the hash is wrong: a check that did not stop would say so
		{"ended in the hash check", `,"rfw:sha256":"` + strings.Repeat("0", 64) + `"`, 2, "rfw:sha256: stopped after 2097152 of 268435456 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			data := filepath.Join(dir, "big"+sigmf.DataExt)
			if err := os.WriteFile(data, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(data, dataBytes); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "big"+sigmf.MetaExt), []byte(tinyMeta("ci8", tc.extra, "")), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx := newCancelAfterCtx(tc.looks)
			err := checkUpload(ctx, dir, "big")
			if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("check whose request ended: %v; want context.Canceled, %q", err, tc.want)
			}
		})
	}
}

// cancelOnReadBody is a request body that ends its request's context at
// its first read: the analyst leaves once the upload has begun.
type cancelOnReadBody struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (b *cancelOnReadBody) Read(p []byte) (int, error) {
	b.cancel()
	return b.r.Read(p)
}

// TestUploadCheckStopsWhenRequestEnds: an upload whose request ends while
// it is staged and checked is not stored, not audited, and leaves no
// staging folder; the log says the check stopped with context.Canceled.
func TestUploadCheckStopsWhenRequestEnds(t *testing.T) {
	ev := newEnv(t)
	ev.deps.MaxUpload = 64 << 20
	var logs syncbuf.Buffer
	ev.deps.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	c := login(t, e, RoleAnalyst, "analyst-password")
	body, ct := multipartBody(t, map[string][2]string{"meta": {"big.sigmf-meta", tinyMeta("ci8", "", "")}, "data": {"big.sigmf-data", tinyData(16 << 20)}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, "POST", "/api/v1/replay/upload", &cancelOnReadBody{strings.NewReader(body), cancel})
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", ct)
	req.AddCookie(c.cookie)
	req.Header.Set(CSRFHeader, c.csrf)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), "the check stopped") {
		t.Errorf("upload whose request ended: %d %s; want 503 saying the check stopped", rec.Code, trunc(rec.Body.String()))
	}
	if got := logs.String(); !strings.Contains(got, "check stopped") || !strings.Contains(got, context.Canceled.Error()) {
		t.Errorf("log %s: want the check stopped with %v", got, context.Canceled)
	}
	if got := folderEntries(t, filepath.Join(ev.deps.ReplayDir, uploadFolder)); len(got) != 0 {
		t.Errorf("uploads/ holds %v after an upload whose request ended; want nothing, no staging folder", got)
	}
	if ev.audit.has("replay.upload", "recording/uploads/big.sigmf-meta") {
		t.Error("an upload whose request ended was audited as uploaded")
	}
}
