package dashboard

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// writeRawRecording writes NAME.sigmf-meta (one capture at 2.4 GHz, or at
// rateHz when that is higher, so that the band it holds stays above 0 Hz
// as sigmf.Open requires; no datetime) and NAME.sigmf-data of n zero cf32
// samples at rateHz into dir.
func writeRawRecording(t testing.TB, dir, name string, rateHz float64, n int) string {
	t.Helper()
	m := map[string]any{"global": map[string]any{"core:datatype": "cf32_le", "core:sample_rate": rateHz, "core:version": "1.0.0"},
		"captures": []any{map[string]any{"core:sample_start": 0, "core:frequency": max(2.4e9, rateHz)}}, "annotations": []any{}}
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

// TestReplayPanicRecovered checks the recover middleware: a handler's
// panic (as the replay handler's tunings[0] was) is logged with its stack
// and answered 500 with the API's JSON error, not an empty reply.
func TestReplayPanicRecovered(t *testing.T) {
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

// countdownCtx is a context whose Err says nil left times, then
// context.Canceled: a run cancelled part-way through a piece of its work,
// at a point that does not depend on timing.
type countdownCtx struct {
	context.Context
	left, calls int
}

func (c *countdownCtx) Err() error {
	c.calls++
	if c.left <= 0 {
		return context.Canceled
	}
	c.left--
	return nil
}

// manyTuningsMeta is a recording's metadata of n captures of k samples,
// each at its own frequency: 100,000 fit the metadata bound.
func manyTuningsMeta(n, k int) sigmf.Meta {
	m := sigmf.Meta{Global: sigmf.Global{Datatype: "cf32_le", SampleRateHz: 1e6}}
	for i := range n {
		m.Captures = append(m.Captures, sigmf.Capture{SampleStart: int64(i * k), FrequencyHz: 100e6 + float64(i)*1e3})
	}
	return m
}

// TestReplayTuningRunsStopsWithContext: listing the tunings of a hostile
// recording (100,000 captures, each at a new frequency) is linear in the
// captures and stops when the run's context ends, before or while it
// works: it cost captures x tunings (22 s) with no look at the context, in
// the only replay slot.
func TestReplayTuningRunsStopsWithContext(t *testing.T) {
	const n, k = 100_000, 16
	m := manyTuningsMeta(n, k)
	for _, tc := range []struct {
		name      string
		left      int // Err calls that say nil
		wantErr   error
		wantCalls int // Err calls made; 0: any
	}{
		{"not cancelled", 1 << 30, nil, 0},
		{"cancelled before", 0, context.Canceled, 1},
		{"cancelled while", 3, context.Canceled, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := &countdownCtx{Context: context.Background(), left: tc.left}
			runs, err := tuningRuns(ctx, m, 0, n*k, n*k)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("tuningRuns: err %v, want %v", err, tc.wantErr)
			}
			if tc.wantCalls != 0 && ctx.calls != tc.wantCalls {
				t.Errorf("tuningRuns looked at the context %d times, want %d (it stops at once)", ctx.calls, tc.wantCalls)
			}
			if tc.wantErr == nil && (len(runs) != n || runs[n-1].centerHz != m.Captures[n-1].FrequencyHz || runs[n-1].samples != k) {
				t.Errorf("tuningRuns: %d tunings, want %d of %d samples each", len(runs), n, k)
			}
		})
	}
}

// TestReplaySensorVerdictsStopsWithContext: judging a snippet's labels costs
// annotations x the detections near each, and stops when the run's
// context ends (it ran after the run, outside its time limit).
func TestReplaySensorVerdictsStopsWithContext(t *testing.T) {
	const n = 20_000
	m := sigmf.Meta{Global: sigmf.Global{Datatype: "cf32_le", SampleRateHz: 1e6}}
	dets := make([]ReplayDetection, n)
	for i := range n {
		m.Annotations = append(m.Annotations, sigmf.Annotation{SampleStart: int64(i * 100), SampleCount: 100, Label: "gsm", Generator: sensorGenerator})
		dets[i] = ReplayDetection{SampleStart: int64(i * 100), SampleCount: 50, Label: "gsm", SNRDB: 10}
	}
	clock := func(s int64) float64 { return float64(s) / 1e6 }
	for _, tc := range []struct {
		name    string
		left    int
		wantErr error
	}{
		{"not cancelled", 1 << 30, nil},
		{"cancelled before", 0, context.Canceled},
		{"cancelled while", 2, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := &countdownCtx{Context: context.Background(), left: tc.left}
			sls, err := sensorVerdicts(ctx, m, dets, 0, clock, 0, n*100)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("sensorVerdicts: err %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr != nil {
				return
			}
			if len(sls) != n {
				t.Fatalf("%d verdicts, want %d", len(sls), n)
			}
			for i, sl := range sls {
				if !sl.Confirmed || len(sl.Replay) != 1 {
					t.Fatalf("verdict %d: %+v, want confirmed by its one detection", i, sl)
				}
			}
		})
	}
}

// TestReplayManyTuningsCancelled: a replay of a hostile recording whose
// context is cancelled stops before the pipeline runs, freeing the slot.
func TestReplayManyTuningsCancelled(t *testing.T) {
	dir := t.TempDir()
	const n, k = 20_000, 16
	b, err := sigmf.MarshalMeta(manyTuningsMeta(n, k))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "many"+sigmf.MetaExt), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "many"+sigmf.DataExt), make([]byte, 8*n*k), 0o644); err != nil {
		t.Fatal(err)
	}
	r := newTestReplayer(t, dir)
	for _, startS := range []float64{0, 0.1} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := r.Replay(ctx, filepath.Join(dir, "many"+sigmf.MetaExt), ReplayOptions{StartS: startS})
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "tunings") && !strings.Contains(err.Error(), "waiting for another replay") {
			t.Errorf("start %g: cancelled replay: %v, want context.Canceled before the pipeline ran (listing the tunings)", startS, err)
		}
		select {
		case r.sem <- struct{}{}:
			<-r.sem
		default:
			t.Error("the replay slot is still held after the run stopped")
		}
	}
}

// BenchmarkTuningRuns: 100,000 captures each at a new frequency (it was
// quadratic: 22 s).
func BenchmarkTuningRuns(b *testing.B) {
	const n, k = 100_000, 16
	m := manyTuningsMeta(n, k)
	for b.Loop() {
		if _, err := tuningRuns(context.Background(), m, 0, n*k, n*k); err != nil {
			b.Fatal(err)
		}
	}
}

// writeHugeRecording writes NAME (cf32, 1 Msps, 100,000 samples) whose
// samples are finite but huge: amp, in bursts of 5000 samples between
// stretches of amp/1000 (an upload's finite check passes them).
func writeHugeRecording(t testing.TB, dir, name string, amp float32) string {
	t.Helper()
	m := map[string]any{"global": map[string]any{"core:datatype": "cf32_le", "core:sample_rate": 1e6, "core:version": "1.0.0"},
		"captures": []any{map[string]any{"core:sample_start": 0, "core:frequency": 915e6}}, "annotations": []any{}}
	b, _ := json.Marshal(m)
	if err := os.WriteFile(filepath.Join(dir, name+sigmf.MetaExt), b, 0o644); err != nil {
		t.Fatal(err)
	}
	const n = 100_000
	data := make([]byte, 8*n)
	for i := range n {
		v := amp
		if (i/5000)%2 == 0 {
			v = amp / 1000
		}
		binary.LittleEndian.PutUint32(data[8*i:], math.Float32bits(v*float32(1-2*(i%2))))
	}
	if err := os.WriteFile(filepath.Join(dir, name+sigmf.DataExt), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name+sigmf.MetaExt)
}

// TestReplayHugeSamples: samples of 1e18 and more overflow the float32
// Welch power; the spectrogram held +Inf, and the run, audited as a
// success with its file set as the download, answered a bare 500 when
// JSON could not encode it. Now the spectrogram's non-finite cells are
// clamped, the notes say so, and the answer encodes.
func TestReplayHugeSamples(t *testing.T) {
	dir := t.TempDir()
	r := newTestReplayer(t, dir)
	for _, amp := range []float32{1e18, 1e25, 3e38} {
		t.Run(fmt.Sprint(amp), func(t *testing.T) {
			res, err := r.Replay(context.Background(), writeHugeRecording(t, dir, fmt.Sprintf("big%g", amp), amp), ReplayOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := json.Marshal(res); err != nil {
				t.Errorf("the result does not encode: %v", err)
			}
			for _, row := range res.Spectrogram.RowsDB {
				for _, v := range row {
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
						t.Fatalf("spectrogram cell %v, want finite", v)
					}
				}
			}
			if !hasNote(res, "too strong to measure") {
				t.Errorf("notes %q: want one saying the spectrogram was clamped", res.Notes)
			}
		})
	}
	t.Run("route", func(t *testing.T) {
		ev := newEnv(t)
		writeHugeRecording(t, ev.deps.ReplayDir, "big", 1e18)
		ev.deps.Replayer = newTestReplayer(t, ev.deps.ReplayDir)
		e, err := New(ev.deps)
		if err != nil {
			t.Fatal(err)
		}
		c := login(t, e, RoleAnalyst, "analyst-password")
		rec := do(e, "POST", "/api/v1/replay/run", `{"path":"big.sigmf-meta"}`, "application/json", &c, true)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), "too strong to measure") {
			b := rec.Body.String()
			t.Errorf("replay of huge samples: %d %.300s, want 200 with a note", rec.Code, b)
		}
	})
}

// TestReplayOutputFolderGone: the replayer's output folder removed under
// it (a /tmp cleaner on an idle dashboard) made every run fail with 422
// "mkdir .../run-000002: no such file or directory" and no results. Now
// the folder is made again; and when the annotated file cannot be written
// at all, the run still answers its results, without a download, and a
// note says why.
func TestReplayOutputFolderGone(t *testing.T) {
	for _, tc := range []struct {
		name      string
		spoil     func(out string) error // done to the output folder after a first run
		wantReady bool
	}{
		{"removed", os.RemoveAll, true},
		{"a file in its place", func(out string) error {
			if err := os.RemoveAll(out); err != nil {
				return err
			}
			return os.WriteFile(out, []byte("not a folder"), 0o644)
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t)
			writeSynthRecording(t, ev.deps.ReplayDir, "burst")
			out := filepath.Join(t.TempDir(), "out")
			r, err := NewPipelineReplayer(ReplayerConfig{Dir: ev.deps.ReplayDir, OutDir: out})
			if err != nil {
				t.Fatal(err)
			}
			ev.deps.Replayer = r
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			c := login(t, e, RoleAnalyst, "analyst-password")
			run := func() (int, ReplayResult) {
				rec := do(e, "POST", "/api/v1/replay/run", `{"path":"burst.sigmf-meta"}`, "application/json", &c, true)
				var res ReplayResult
				if rec.Code == 200 {
					if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
						t.Fatal(err)
					}
				} else {
					t.Logf("run: %d %s", rec.Code, rec.Body)
				}
				return rec.Code, res
			}
			if code, res := run(); code != 200 || !res.AnnotatedReady {
				t.Fatalf("first run: %d, annotated ready %v", code, res.AnnotatedReady)
			}
			if err := tc.spoil(out); err != nil {
				t.Fatal(err)
			}
			code, res := run()
			if code != 200 || len(res.Detections) == 0 || res.AnnotatedReady != tc.wantReady {
				t.Fatalf("run after the output folder was %s: %d, %d detections, annotated ready %v; want 200, the detections, ready %v",
					tc.name, code, len(res.Detections), res.AnnotatedReady, tc.wantReady)
			}
			dl := do(e, "GET", "/api/v1/replay/annotated", "", "", &c, false)
			if tc.wantReady {
				if m, err := sigmf.ParseMeta(dl.Body.Bytes()); dl.Code != 200 || err != nil || len(m.Annotations) == 0 {
					t.Errorf("download: %d %v, want this run's annotated metadata", dl.Code, err)
				}
				return
			}
			if !hasNote(res, "could not be written") {
				t.Errorf("notes %q: want one saying the annotated SigMF could not be written", res.Notes)
			}
			if dl.Code != 404 {
				t.Errorf("download after a run without one: %d, want 404, not the earlier run's file", dl.Code)
			}
		})
	}
}

// TestReplayAnnotatedAnalysedKeys: the download says the stretch of this
// run, not an earlier one's. An analyst saves a truncated run's download
// (NAME.replay.sigmf-meta) beside the recording and replays it: its
// rfw:analysed_samples and rfw:analysed_from_sample were kept (the global
// keys are cloned and only added to), so a whole run's download said the
// earlier run's stretch.
func TestReplayAnnotatedAnalysedKeys(t *testing.T) {
	dir := t.TempDir()
	meta := writeSynthRecording(t, dir, "rec") // 200,000 samples at 1 Msps
	r := newTestReplayer(t, dir)
	first, err := r.Replay(context.Background(), meta, ReplayOptions{StartS: 0.1}) // from sample 100,000
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(first.AnnotatedMeta)
	if err != nil {
		t.Fatal(err)
	}
	saved := filepath.Join(dir, "rec"+AnnotatedExt)
	if err := os.WriteFile(saved, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name                string
		opts                ReplayOptions
		wantSamples, wantFr any // nil: absent
	}{
		{"whole", ReplayOptions{}, nil, nil},
		{"from the start, capped", ReplayOptions{MaxSeconds: 0.05}, json.Number("50000"), nil},
		{"from elsewhere", ReplayOptions{StartS: 0.15}, json.Number("50000"), json.Number("150000")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := r.Replay(context.Background(), saved, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			m, err := sigmf.ReadMeta(res.AnnotatedMeta)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Global.Extra["rfw:analysed_samples"]; got != tc.wantSamples {
				t.Errorf("rfw:analysed_samples %v, want %v", got, tc.wantSamples)
			}
			if got := m.Global.Extra["rfw:analysed_from_sample"]; got != tc.wantFr {
				t.Errorf("rfw:analysed_from_sample %v, want %v", got, tc.wantFr)
			}
		})
	}
}
