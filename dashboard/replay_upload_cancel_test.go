package dashboard

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/rfwarden/rfwarden/internal/ctxio"
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

// uploadWithin posts body, of bodyBytes bytes (its Content-Length, whatever
// the reader gives) and Content-Type ct, to /api/v1/replay/upload as
// c, in the request context ctx: its ending is the analyst leaving.
func uploadWithin(ctx context.Context, e *echo.Echo, c creds, body io.Reader, bodyBytes int64, ct string) *httptest.ResponseRecorder {
	req := httptest.NewRequestWithContext(ctx, "POST", "/api/v1/replay/upload", body)
	req.ContentLength = bodyBytes
	req.Header.Set("Content-Type", ct)
	req.AddCookie(c.cookie)
	req.Header.Set(CSRFHeader, c.csrf)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

// TestUploadCheckStopsWhenRequestEnds: an upload whose request ends while
// it is staged and checked is not stored, not audited, and leaves no
// staging folder; the log says it stopped with context.Canceled (in the
// copy into the stage, the first work to look at the request since
// 2026-12-06; TestUploadStageStopsWhenRequestEnds stops it further on).
func TestUploadCheckStopsWhenRequestEnds(t *testing.T) {
	ev := newEnv(t)
	ev.deps.MaxUpload = 64 << 20
	e, c, logs := ev.analystWithLog(t)
	body, ct := multipartBody(t, map[string][2]string{"meta": {"big.sigmf-meta", tinyMeta("ci8", "", "")}, "data": {"big.sigmf-data", tinyData(16 << 20)}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := uploadWithin(ctx, e, c, &cancelOnReadBody{strings.NewReader(body), cancel}, int64(len(body)), ct)
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), "stopped: the request ended") {
		t.Errorf("upload whose request ended: %d %s; want 503 saying it stopped", rec.Code, trunc(rec.Body.String()))
	}
	if got := logs.String(); !strings.Contains(got, "stopped, the request ended") || !strings.Contains(got, context.Canceled.Error()) {
		t.Errorf("log %s: want the upload stopped with %v", got, context.Canceled)
	}
	if got := folderEntries(t, filepath.Join(ev.deps.ReplayDir, uploadFolder)); len(got) != 0 {
		t.Errorf("uploads/ holds %v after an upload whose request ended; want nothing, no staging folder", got)
	}
	if ev.audit.has("replay.upload", "recording/uploads/big.sigmf-meta") {
		t.Error("an upload whose request ended was audited as uploaded")
	}
	if ev.audit.has("replay.upload.refused", "replay/upload") {
		t.Error("an upload whose request ended was audited as refused: the analyst left, nothing was refused")
	}
}

// TestUploadBodyCutWhenRequestEnds: an upload whose analyst leaves while
// its body is read (the form parsed: the body ends as "unexpected EOF")
// is not audited as refused, the log saying the request ended; a body cut
// short while the request goes on is refused (400) and audited. Until
// 2026-12-07 the analyst's leaving wrote a replay.upload.refused row.
func TestUploadBodyCutWhenRequestEnds(t *testing.T) {
	for _, tc := range []struct {
		name        string
		leaves      bool
		wantRefused bool
	}{
		{"the analyst leaves", true, false},
		{"the body is cut short", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t)
			e, c, logs := ev.analystWithLog(t)
			body, ct := multipartBody(t, map[string][2]string{"meta": {"cut.sigmf-meta", tinyMeta("ci8", "", "")}, "data": {"cut.sigmf-data", tinyData(4096)}})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var r io.Reader = strings.NewReader(body[:len(body)/2])
			if tc.leaves {
				r = &cancelOnReadBody{r, cancel}
			}
			rec := uploadWithin(ctx, e, c, r, int64(len(body)), ct)
			if rec.Code != 400 || !strings.Contains(rec.Body.String(), "bad upload") {
				t.Errorf("upload cut short: %d %s; want 400 bad upload", rec.Code, trunc(rec.Body.String()))
			}
			if got := ev.audit.has("replay.upload.refused", "replay/upload"); got != tc.wantRefused {
				t.Errorf("audited as refused: %v, want %v", got, tc.wantRefused)
			}
			if got := strings.Contains(logs.String(), "body read stopped, the request ended"); got != tc.leaves {
				t.Errorf("log %s: says the request ended: %v, want %v", logs.String(), got, tc.leaves)
			}
		})
	}
}

// bytesStagedCtx is a request context that ends itself once the files
// under dir (uploads/: the stage, its partial copies included) hold
// atLeast bytes, looked at on each of its Err calls: the analyst leaves
// mid-copy at a known point of the work, not after a time. It notes the
// bytes seen at each look.
type bytesStagedCtx struct {
	context.Context
	cancel  context.CancelFunc
	dir     string
	atLeast int64

	mu   sync.Mutex
	seen []int64
}

func (c *bytesStagedCtx) Err() error {
	var n int64
	filepath.WalkDir(c.dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	c.mu.Lock()
	c.seen = append(c.seen, n)
	c.mu.Unlock()
	if n >= c.atLeast {
		c.cancel()
	}
	return c.Context.Err()
}

// tarBody is a tar archive of the members, name then content.
func tarBody(t *testing.T, members ...string) string {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for i := 0; i+1 < len(members); i += 2 {
		if err := tw.WriteHeader(&tar.Header{Name: members[i], Mode: 0o644, Size: int64(len(members[i+1])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, members[i+1])
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestUploadStageStopsWhenRequestEnds: an upload whose analyst leaves
// while its body is copied into the stage (a pair's data, a raw capture,
// an archive) or while the archive's recordings are extracted stops
// there: the copy looked at the request at least every ctxio.ChunkBytes
// and did not reach the end of its 16 MiB; the answer is 503, the log
// says the copy stopped, nothing is stored or audited and uploads/ holds
// no stage. Until 2026-12-06 the copy and the extraction ran to their
// end.
func TestUploadStageStopsWhenRequestEnds(t *testing.T) {
	const dataBytes = 16 << 20
	data := tinyData(dataBytes / 2)
	archive := tarBody(t, "big/big.sigmf-meta", tinyMeta("ci8", "", ""), "big/big.sigmf-data", data)
	for _, tc := range []struct {
		name    string
		files   map[string][2]string
		fields  map[string]string
		atLeast int64 // bytes staged when the analyst leaves
	}{
		{"given a pair when the analyst leaves mid-copy",
			map[string][2]string{"meta": {"big.sigmf-meta", tinyMeta("ci8", "", "")}, "data": {"big.sigmf-data", data}}, nil, 4 << 20},
		{"given a raw capture when the analyst leaves mid-copy",
			map[string][2]string{"raw": {"big.cs8", data}}, map[string]string{"datatype": "ci8", "sample_rate": "1e6"}, 4 << 20},
		{"given an archive when the analyst leaves mid-copy",
			map[string][2]string{"archive": {"big.sigmf", archive}}, nil, 4 << 20},
		{"given an archive when the analyst leaves mid-extraction",
			map[string][2]string{"archive": {"big.sigmf", archive}}, nil, int64(len(archive)) + 4<<20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t)
			ev.deps.MaxUpload = 64 << 20
			e, c, logs := ev.analystWithLog(t)
			var b bytes.Buffer
			w := multipart.NewWriter(&b)
			for field, f := range tc.files {
				fw, err := w.CreateFormFile(field, f[0])
				if err != nil {
					t.Fatal(err)
				}
				io.WriteString(fw, f[1])
			}
			for k, v := range tc.fields {
				w.WriteField(k, v)
			}
			w.Close()
			uploads := filepath.Join(ev.deps.ReplayDir, uploadFolder)
			base, cancel := context.WithCancel(context.Background())
			defer cancel()
			ctx := &bytesStagedCtx{Context: base, cancel: cancel, dir: uploads, atLeast: tc.atLeast}
			rec := uploadWithin(ctx, e, c, &b, int64(b.Len()), w.FormDataContentType())
			if rec.Code != 503 || !strings.Contains(rec.Body.String(), "the copy stopped: the request ended") {
				t.Errorf("upload whose analyst left: %d %s; want 503 saying the copy stopped", rec.Code, trunc(rec.Body.String()))
			}
			if got := logs.String(); !strings.Contains(got, "copy stopped, the request ended") || !strings.Contains(got, context.Canceled.Error()) {
				t.Errorf("log %s: want the copy stopped with %v", got, context.Canceled)
			}
			ctx.mu.Lock()
			seen := ctx.seen
			ctx.mu.Unlock()
			if len(seen) == 0 {
				t.Fatal("the upload never looked at its request's context")
			}
			if last := seen[len(seen)-1]; last < tc.atLeast || last >= tc.atLeast+dataBytes/2 {
				t.Errorf("%d bytes staged when the copy stopped; want it stopped soon after %d", last, tc.atLeast)
			}
			for i := 1; i < len(seen); i++ {
				if d := seen[i] - seen[i-1]; d > ctxio.ChunkBytes+64<<10 {
					t.Errorf("%d bytes staged between two looks at the request, want at most a chunk (%d)", d, ctxio.ChunkBytes)
				}
			}
			if got := folderEntries(t, uploads); len(got) != 0 {
				t.Errorf("uploads/ holds %v after the analyst left; want nothing, no staging folder", got)
			}
			if ev.audit.has("replay.upload", "recording/uploads/big.sigmf-meta") {
				t.Error("an upload whose analyst left was audited as uploaded")
			}
			if ev.audit.has("replay.upload.refused", "replay/upload") {
				t.Error("an upload whose analyst left was audited as refused: nothing was refused")
			}
		})
	}
}
