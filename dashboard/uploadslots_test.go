package dashboard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// heldBody is an upload's body that says when the server first reads it
// and sends nothing until let is called: an upload under way.
type heldBody struct {
	r       *io.PipeReader
	started chan struct{}
	once    sync.Once
}

func (b *heldBody) Read(p []byte) (int, error) {
	b.once.Do(func() { close(b.started) })
	return b.r.Read(p)
}

// holdUpload starts an upload of body as c on e and returns once the
// server reads its body; let sends the body, and wait returns the
// upload's answer.
func holdUpload(t *testing.T, e http.Handler, c creds, body, ct string) (let func(), wait func() *httptest.ResponseRecorder) {
	t.Helper()
	pr, pw := io.Pipe()
	hb := &heldBody{r: pr, started: make(chan struct{})}
	req := httptest.NewRequest("POST", "/api/v1/replay/upload", hb)
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", ct)
	req.AddCookie(c.cookie)
	req.Header.Set(CSRFHeader, c.csrf)
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.ServeHTTP(rec, req)
	}()
	select {
	case <-hb.started:
	case <-done:
		t.Fatalf("held upload answered before reading its body: %d %s", rec.Code, rec.Body)
	}
	let = func() {
		go func() {
			io.WriteString(pw, body)
			pw.Close()
		}()
	}
	wait = func() *httptest.ResponseRecorder {
		<-done
		return rec
	}
	return let, wait
}

// TestUploadsAtOnceBounded: one user has MaxUploadsPerUser upload under
// way at once (from any of their sessions), all users MaxUploads; one
// more is refused 429 before any of its body is read, and taken once an
// upload ends, and the refusal is logged at warn with the user and the
// limit reached (until 2026-12-06 it was not, though a 507 was). Each upload holds up to three times its size on the
// server's disks while it is received and checked: until 2026-12-06 one
// analyst's session could send any number in parallel and fill them.
func TestUploadsAtOnceBounded(t *testing.T) {
	if MaxUploadsPerUser != 1 || MaxUploads != 2 {
		t.Fatalf("the test is written for 1 upload per user and 2 in all, not %d and %d", MaxUploadsPerUser, MaxUploads)
	}
	ev := newEnv(t)
	if err := ev.deps.Users.Create(context.Background(), "analyst2", "analyst2-password", RoleAnalyst); err != nil {
		t.Fatal(err)
	}
	logs := new(syncbuf.Buffer)
	ev.deps.Logger = slog.New(slog.NewTextHandler(logs, nil))
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	first := login(t, e, RoleAnalyst, "analyst-password")
	again := login(t, e, RoleAnalyst, "analyst-password") // the same user, another session
	other := login(t, e, "analyst2", "analyst2-password")
	admin := login(t, e, RoleAdmin, "admin-password")
	upload := func(name string) (string, string) {
		return multipartBody(t, map[string][2]string{"meta": {name + ".sigmf-meta", tinyMeta("ci8", "", "")}, "data": {name + ".sigmf-data", tinyData(16)}})
	}
	post := func(c creds, name string) *httptest.ResponseRecorder {
		body, ct := upload(name)
		return do(e, "POST", "/api/v1/replay/upload", body, ct, &c, true)
	}

	b1, ct1 := upload("held1")
	let1, wait1 := holdUpload(t, e, first, b1, ct1)
	if rec := post(again, "same-user"); rec.Code != 429 || !strings.Contains(rec.Body.String(), "you have 1 upload under way") || rec.Header().Get("Retry-After") == "" {
		t.Errorf("a second upload of one user while the first is under way: %d %s (Retry-After %q); want 429 saying theirs is under way",
			rec.Code, rec.Body, rec.Header().Get("Retry-After"))
	}
	refusedLog := `level=WARN msg="dashboard: upload refused (429): too many uploads under way" user=%s limit=%d per=%s`
	if want := fmt.Sprintf(refusedLog, RoleAnalyst, MaxUploadsPerUser, "user"); !strings.Contains(logs.String(), want) {
		t.Errorf("the refusal of the user's second upload is not logged as %s:\n%s", want, logs)
	}
	b2, ct2 := upload("held2")
	let2, wait2 := holdUpload(t, e, other, b2, ct2)
	if rec := post(admin, "third"); rec.Code != 429 || !strings.Contains(rec.Body.String(), "2 uploads are under way") {
		t.Errorf("a third upload while two are under way: %d %s; want 429 saying two are", rec.Code, rec.Body)
	}
	if want := fmt.Sprintf(refusedLog, RoleAdmin, MaxUploads, "all"); !strings.Contains(logs.String(), want) {
		t.Errorf("the refusal of the third upload is not logged as %s:\n%s", want, logs)
	}
	let1()
	if rec := wait1(); rec.Code != 201 {
		t.Fatalf("first held upload: %d %s; want 201", rec.Code, rec.Body)
	}
	if rec := post(admin, "after"); rec.Code != 201 {
		t.Errorf("an upload once one ended: %d %s; want 201", rec.Code, rec.Body)
	}
	if rec := post(again, "same-user-after"); rec.Code != 201 {
		t.Errorf("the first user's next upload once theirs ended: %d %s; want 201", rec.Code, rec.Body)
	}
	let2()
	if rec := wait2(); rec.Code != 201 {
		t.Fatalf("second held upload: %d %s; want 201", rec.Code, rec.Body)
	}
	for _, name := range []string{"held1", "held2", "after", "same-user-after"} {
		if !isFile(ev.deps.ReplayDir + "/uploads/" + name + ".sigmf-meta") {
			t.Errorf("upload %s not stored", name)
		}
	}
	for _, name := range []string{"same-user", "third"} {
		if isFile(ev.deps.ReplayDir + "/uploads/" + name + ".sigmf-meta") {
			t.Errorf("refused upload %s stored", name)
		}
	}
}

// TestUploadKeepsReplayDiskFree: an upload that, staged and checked
// (twice its size), could leave the replay folder's disk under its
// MinFreeBytes is refused 507 before its body is read, naming
// RFW_MIN_FREE_BYTES, and nothing is stored; a body of unsaid length
// counts as MaxUpload. Uploads are kept for RFW_UPLOAD_DAYS whatever
// their total: until 2026-12-06 one analyst's session uploading one
// recording after another filled the disk, which may be the database's.
func TestUploadKeepsReplayDiskFree(t *testing.T) {
	const minFree = 1 << 20
	body, ct := multipartBody(t, map[string][2]string{"meta": {"rec.sigmf-meta", tinyMeta("ci8", "", "")}, "data": {"rec.sigmf-data", tinyData(16)}})
	size := int64(len(body))
	for _, tc := range []struct {
		name     string
		free     int64 // bytes free on the disk
		statErr  error
		unsaid   bool // the body's length not said (chunked)
		wantCode int
		wantBody string
	}{
		{name: "plenty free", free: 1 << 30, wantCode: 201},
		{name: "just enough", free: minFree + 2*size, wantCode: 201},
		{name: "one byte short", free: minFree + 2*size - 1, wantCode: 507, wantBody: "RFW_MIN_FREE_BYTES"},
		{name: "disk full", free: 0, wantCode: 507, wantBody: "RFW_MIN_FREE_BYTES"},
		{name: "unsaid length counts as the limit", free: minFree + 2*size, unsaid: true, wantCode: 507, wantBody: "RFW_MIN_FREE_BYTES"},
		{name: "unsaid length with room for the limit", free: minFree + 2*(64<<10), unsaid: true, wantCode: 201},
		{name: "free space unreadable", statErr: errors.New("statfs: input/output error"), wantCode: 500, wantBody: "free space"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t)
			var asked string
			ev.deps.UploadDisk = &FreeSpace{Path: ev.deps.ReplayDir, MinFreeBytes: minFree, Statfs: func(p string) (int64, error) {
				asked = p
				return tc.free, tc.statErr
			}}
			e, c, _ := ev.analystWithLog(t)
			req := httptest.NewRequest("POST", "/api/v1/replay/upload", strings.NewReader(body))
			if tc.unsaid {
				req.ContentLength = -1
			}
			req.Header.Set("Content-Type", ct)
			req.AddCookie(c.cookie)
			req.Header.Set(CSRFHeader, c.csrf)
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != tc.wantCode || !strings.Contains(rec.Body.String(), tc.wantBody) {
				t.Errorf("upload of %d bytes with %d free: %d %s; want %d %q", size, tc.free, rec.Code, rec.Body, tc.wantCode, tc.wantBody)
			}
			if asked != ev.deps.ReplayDir {
				t.Errorf("free space asked of %q, want the replay folder %q", asked, ev.deps.ReplayDir)
			}
			stored := isFile(filepath.Join(ev.deps.ReplayDir, "uploads", "rec.sigmf-meta"))
			if stored != (tc.wantCode == 201) {
				t.Errorf("stored %v, want %v", stored, tc.wantCode == 201)
			}
		})
	}
}
