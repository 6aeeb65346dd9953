package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// writeRawRecording writes NAME.sigmf-meta (one capture at 2.4 GHz, no
// datetime) and NAME.sigmf-data of n zero cf32 samples at rateHz into dir.
func writeRawRecording(t testing.TB, dir, name string, rateHz float64, n int) string {
	t.Helper()
	m := map[string]any{"global": map[string]any{"core:datatype": "cf32_le", "core:sample_rate": rateHz, "core:version": "1.0.0"},
		"captures": []any{map[string]any{"core:sample_start": 0, "core:frequency": 2.4e9}}, "annotations": []any{}}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+sigmf.MetaExt), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+sigmf.DataExt), make([]byte, 8*n), 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name+sigmf.MetaExt)
}

// replayNoPanic runs r.Replay, turning a panic into an error so that one
// case failing does not stop the others.
func replayNoPanic(r *PipelineReplayer, path string, opts ReplayOptions) (res ReplayResult, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errors.New("Replay panicked: " + strings.TrimSpace(strings.SplitN(sprint(p), "\n", 2)[0]))
		}
	}()
	return r.Replay(context.Background(), path, opts)
}

func sprint(v any) string {
	if e, ok := v.(error); ok {
		return e.Error()
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// TestReplayStartPastEnd checks that a start at or past a recording's end
// is refused as the caller's fault (400), naming the end: a start of 1e9 s
// of a 1e10 sps recording overflowed SampleAt's int64 to a negative sample,
// tuningRuns found no tuning and tunings[0] panicked the handler.
func TestReplayStartPastEnd(t *testing.T) {
	dir := t.TempDir()
	synth := writeSynthRecording(t, dir, "burst") // 0.2 s at 1 Msps
	fast := writeRawRecording(t, dir, "fast", 1e10, 4096)
	faster := writeRawRecording(t, dir, "faster", 1e11, 4096)
	r := newTestReplayer(t, dir)
	for _, tc := range []struct {
		name   string
		path   string
		startS float64
	}{
		{"at the end", synth, 0.2},
		{"past the end", synth, 5},
		{"far past the end", synth, 1e9},
		{"1e9 s at 1e10 sps", fast, 1e9},
		{"1e9 s at 1e11 sps", faster, 1e9},
		{"1e8 s at 1e11 sps", faster, 1e8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := replayNoPanic(r, tc.path, ReplayOptions{StartS: tc.startS})
			if !errors.Is(err, ErrReplayInput) || !strings.Contains(err.Error(), "past the recording's end") {
				t.Errorf("start %g s: got %v, want ErrReplayInput saying the start is past the recording's end", tc.startS, err)
			}
		})
	}
}

// TestReplayRouteHugeStart: the same through the route answers 400, not a
// panic (an empty reply, the run not audited).
func TestReplayRouteHugeStart(t *testing.T) {
	ev := newEnv(t)
	writeRawRecording(t, ev.deps.ReplayDir, "fast", 1e10, 4096)
	ev.deps.Replayer = newTestReplayer(t, ev.deps.ReplayDir)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	c := login(t, e, RoleAnalyst, "analyst-password")
	var rec *httptest.ResponseRecorder
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("the handler panicked: %v", p)
			}
		}()
		rec = do(e, "POST", "/api/v1/replay/run", `{"path":"fast.sigmf-meta","start_s":1e9}`, "application/json", &c, true)
	}()
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "past the recording's end") {
		t.Errorf("start 1e9 s of a 1e10 sps recording: %d %s, want 400 saying it is past the end", rec.Code, rec.Body)
	}
}

// TestRecoverMiddleware checks that a handler's panic is logged with its
// stack and answered 500 with the API's JSON error, not an empty reply.
func TestRecoverMiddleware(t *testing.T) {
	ev := newEnv(t)
	var logs bytes.Buffer
	ev.deps.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	e.GET("/test-panic", func(echo.Context) error {
		var s []int
		_ = s[0] // index out of range, as tunings[0] was
		return nil
	})
	var rec *httptest.ResponseRecorder
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("the panic reached the server: %v", p)
			}
		}()
		rec = httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/test-panic", nil))
	}()
	var body map[string]string
	if rec.Code != 500 || json.Unmarshal(rec.Body.Bytes(), &body) != nil || body["error"] != "internal error" {
		t.Errorf("a panicking handler answered %d %q, want 500 {\"error\":\"internal error\"}", rec.Code, rec.Body)
	}
	if l := logs.String(); !strings.Contains(l, "index out of range") || !strings.Contains(l, "/test-panic") || !strings.Contains(l, "goroutine") {
		t.Errorf("log %q: want the panic, the route and its stack", l)
	}
}
