package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/realiq"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmfschema"
)

// Synthetic recording: complex white noise with a tone burst.
const (
	synthRateHz   = 1e6
	synthCenterHz = 915e6
	synthToneHz   = 915.3e6 // RF frequency of the burst
	synthSamples  = 200_000 // 0.2 s
	synthBurstLo  = 50_000  // burst samples [lo, hi): 0.05 s .. 0.15 s
	synthBurstHi  = 150_000
)

// writeSynthRecording writes NAME.sigmf-meta/-data into dir: noise at
// about -40 dBFS and a -10 dBFS tone burst, plus one ground-truth
// annotation that the annotated output must keep.
func writeSynthRecording(t testing.TB, dir, name string) string {
	t.Helper()
	w, err := sigmf.NewWriter(filepath.Join(dir, name), "cf32_le", synthRateHz, synthCenterHz, time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]complex64, synthSamples)
	const noise = 0.01 / math.Sqrt2 // E|n|² = 1e-4: -40 dBFS
	for i := range x {
		x[i] = complex(float32(rng.NormFloat64()*noise), float32(rng.NormFloat64()*noise))
		if i >= synthBurstLo && i < synthBurstHi {
			ph := 2 * math.Pi * (synthToneHz - synthCenterHz) / synthRateHz * float64(i)
			x[i] += complex(float32(0.3*math.Cos(ph)), float32(0.3*math.Sin(ph)))
		}
	}
	if err := w.Write(x); err != nil {
		t.Fatal(err)
	}
	w.Annotate(sigmf.Annotation{SampleStart: synthBurstLo, SampleCount: synthBurstHi - synthBurstLo, Label: "truth-tone"})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name+sigmf.MetaExt)
}

func newTestReplayer(t testing.TB, dir string) *PipelineReplayer {
	t.Helper()
	r, err := NewPipelineReplayer(ReplayerConfig{Dir: dir, OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPipelineReplayerFindsBurst(t *testing.T) {
	dir := t.TempDir()
	meta := writeSynthRecording(t, dir, "burst")
	r := newTestReplayer(t, dir)
	res, err := r.Replay(context.Background(), meta, ReplayOptions{MaxRows: 200, MaxCols: 256})
	if err != nil {
		t.Fatal(err)
	}
	if res.Truncated || math.Abs(res.RecordingS-0.2) > 1e-9 || math.Abs(res.Spectrogram.DurationS-0.2) > 1e-9 {
		t.Errorf("recording %v s, analysed %v s, truncated %v; want all 0.2 s", res.RecordingS, res.Spectrogram.DurationS, res.Truncated)
	}
	// The burst is found where it is.
	var burst *ReplayDetection
	for i, d := range res.Detections {
		if d.FreqLowHz <= synthToneHz && d.FreqHighHz >= synthToneHz {
			burst = &res.Detections[i]
		}
	}
	if burst == nil {
		t.Fatalf("no detection covers the tone at %v Hz: %+v", synthToneHz, res.Detections)
	}
	const tolS = 2e-3
	if math.Abs(burst.StartS-0.05) > tolS || math.Abs(burst.EndS-0.15) > tolS {
		t.Errorf("burst detected over [%v, %v] s, want [0.05, 0.15] ± %v", burst.StartS, burst.EndS, tolS)
	}
	if burst.SNRDB < 20 || burst.Class == "" || burst.Label == "" {
		t.Errorf("burst detection %+v: want SNR ≥ 20 dB, a class and a label", *burst)
	}

	// Spectrogram: bounded, spans the capture, and is brightest at the tone
	// during the burst and not before it.
	sg := res.Spectrogram
	if len(sg.RowsDB) == 0 || len(sg.RowsDB) > 200 || len(sg.RowsDB[0]) == 0 || len(sg.RowsDB[0]) > 256 {
		t.Fatalf("spectrogram %d x %d, want within 200 x 256", len(sg.RowsDB), len(sg.RowsDB[0]))
	}
	if sg.FreqLowHz != synthCenterHz-synthRateHz/2 || sg.FreqHighHz != synthCenterHz+synthRateHz/2 {
		t.Errorf("spectrogram spans [%v, %v] Hz, want the capture band", sg.FreqLowHz, sg.FreqHighHz)
	}
	cols := len(sg.RowsDB[0])
	toneCol := int((synthToneHz - sg.FreqLowHz) / (sg.FreqHighHz - sg.FreqLowHz) * float64(cols))
	argmax := func(row []float32) int {
		best := 0
		for i, v := range row {
			if v > row[best] {
				best = i
			}
		}
		return best
	}
	mid := len(sg.RowsDB) / 2 // 0.1 s: inside the burst
	if got := argmax(sg.RowsDB[mid]); got < toneCol-1 || got > toneCol+1 {
		t.Errorf("row %d peaks in column %d, want the tone's column %d", mid, got, toneCol)
	}
	if early := sg.RowsDB[len(sg.RowsDB)/10]; early[toneCol] > sg.RowsDB[mid][toneCol]-20 {
		t.Errorf("tone column before the burst %v dB, during %v dB: want ≥ 20 dB apart", early[toneCol], sg.RowsDB[mid][toneCol])
	}

	// The annotated metadata keeps the input's annotation, adds one per
	// detection, and passes the official SigMF schema.
	if filepath.Base(res.AnnotatedMeta) != "burst.replay.sigmf-meta" {
		t.Errorf("annotated meta %q, want it named after the recording, burst.replay.sigmf-meta", res.AnnotatedMeta)
	}
	m, err := sigmf.ReadMeta(res.AnnotatedMeta)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(m.Annotations), 1+len(res.Detections); got != want {
		t.Errorf("annotated meta has %d annotations, want %d (1 truth + detections)", got, want)
	}
	var found bool
	for _, a := range m.Annotations {
		if a.Generator == "rfwarden" && a.SampleStart == burst.SampleStart && a.Extra["rfw:class"] == burst.Class {
			found = true
		}
	}
	if !found {
		t.Errorf("no rfwarden annotation for the burst at sample %d in %+v", burst.SampleStart, m.Annotations)
	}
	if err := sigmfschema.CheckFile(res.AnnotatedMeta); err != nil {
		t.Errorf("annotated meta fails the SigMF schema: %v", err)
	}
}

func TestPipelineReplayerOptions(t *testing.T) {
	dir := t.TempDir()
	meta := writeSynthRecording(t, dir, "burst")
	r := newTestReplayer(t, dir)
	base, err := r.Replay(context.Background(), meta, ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		opts    ReplayOptions
		check   func(t *testing.T, res ReplayResult)
		wantErr string
	}{
		{name: "min SNR above every detection", opts: ReplayOptions{ThresholdDB: 100}, check: func(t *testing.T, res ReplayResult) {
			if len(res.Detections) != 0 {
				t.Errorf("got %d detections at 100 dB, want none", len(res.Detections))
			}
		}},
		{name: "min SNR keeps only strong ones", opts: ReplayOptions{ThresholdDB: 20}, check: func(t *testing.T, res ReplayResult) {
			for _, d := range res.Detections {
				if d.SNRDB < 20 {
					t.Errorf("detection with SNR %v dB below the 20 dB threshold", d.SNRDB)
				}
			}
			if len(res.Detections) == 0 {
				t.Error("the burst (SNR > 30 dB) was dropped")
			}
		}},
		{name: "stricter false-alarm probability never finds more", opts: ReplayOptions{PFA: 1e-14}, check: func(t *testing.T, res ReplayResult) {
			if len(res.Detections) > len(base.Detections) || len(res.Detections) == 0 {
				t.Errorf("got %d detections at pfa 1e-14, want 1..%d", len(res.Detections), len(base.Detections))
			}
		}},
		{name: "cap analyses the start only", opts: ReplayOptions{MaxSeconds: 0.04}, check: func(t *testing.T, res ReplayResult) {
			if !res.Truncated || math.Abs(res.Spectrogram.DurationS-0.04) > 1e-9 || len(res.Detections) != 0 {
				t.Errorf("capped at 0.04 s: truncated %v, analysed %v s, %d detections; want truncated, 0.04 s, none (burst starts at 0.05 s)",
					res.Truncated, res.Spectrogram.DurationS, len(res.Detections))
			}
			m, err := sigmf.ReadMeta(res.AnnotatedMeta)
			if err != nil || m.Global.Extra["rfw:analysed_samples"] == nil {
				t.Errorf("annotated meta of a capped run lacks rfw:analysed_samples (%v)", err)
			}
		}},
		{name: "spectrogram size capped", opts: ReplayOptions{MaxRows: 5000, MaxCols: 5000}, check: func(t *testing.T, res ReplayResult) {
			if rows, cols := len(res.Spectrogram.RowsDB), len(res.Spectrogram.RowsDB[0]); rows > MaxSpectrogramRows || cols > MaxSpectrogramCols {
				t.Errorf("spectrogram %d x %d, want within %d x %d", rows, cols, MaxSpectrogramRows, MaxSpectrogramCols)
			}
		}},
		{name: "negative threshold", opts: ReplayOptions{ThresholdDB: -1}, wantErr: "threshold_db"},
		{name: "NaN threshold", opts: ReplayOptions{ThresholdDB: math.NaN()}, wantErr: "threshold_db"},
		{name: "pfa too large", opts: ReplayOptions{PFA: 0.5}, wantErr: "pfa"},
		{name: "negative cap", opts: ReplayOptions{MaxSeconds: -1}, wantErr: "max_seconds"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := r.Replay(context.Background(), meta, tc.opts)
			if tc.wantErr != "" {
				if !errors.Is(err, ErrReplayInput) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("got error %v, want ErrReplayInput naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, res)
		})
	}
}

func TestPipelineReplayerRefusesPaths(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "replay")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	outside := writeSynthRecording(t, root, "outside")
	writeSynthRecording(t, dir, "inside")
	// A recording whose files are symlinks to outside the folder.
	for _, ext := range []string{sigmf.MetaExt, sigmf.DataExt} {
		if err := os.Symlink(filepath.Join(root, "outside"+ext), filepath.Join(dir, "link"+ext)); err != nil {
			t.Fatal(err)
		}
	}
	// Metadata inside whose data file links outside.
	b, _ := os.ReadFile(outside)
	os.WriteFile(filepath.Join(dir, "datalink"+sigmf.MetaExt), b, 0o644)
	os.Symlink(filepath.Join(root, "outside"+sigmf.DataExt), filepath.Join(dir, "datalink"+sigmf.DataExt))
	// Metadata inside whose core:dataset names a link outside, beside a
	// harmless NAME.sigmf-data.
	m, err := sigmf.ReadMeta(outside)
	if err != nil {
		t.Fatal(err)
	}
	m.Global.Extra["core:dataset"] = "elsewhere.bin"
	if err := sigmf.WriteMeta(filepath.Join(dir, "dataset"+sigmf.MetaExt), m); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "dataset"+sigmf.DataExt), nil, 0o644)
	os.Symlink(filepath.Join(root, "outside"+sigmf.DataExt), filepath.Join(dir, "elsewhere.bin"))
	// A hidden folder (an upload on its way in), a link that stays inside
	// and an archive.
	os.Mkdir(filepath.Join(dir, ".upload-1"), 0o755)
	writeSynthRecording(t, filepath.Join(dir, ".upload-1"), "half")
	for _, ext := range []string{sigmf.MetaExt, sigmf.DataExt} {
		os.Symlink(filepath.Join(dir, "inside"+ext), filepath.Join(dir, "alias"+ext))
	}
	inside := filepath.Join(dir, "inside")
	if err := sigmf.WriteArchive(filepath.Join(dir, "packed.sigmf"), inside+sigmf.MetaExt, inside+sigmf.DataExt); err != nil {
		t.Fatal(err)
	}
	r := newTestReplayer(t, dir)
	tests := []struct {
		name, path, want string
	}{
		{"parent folder", outside, "outside the replay folder"},
		{"dot-dot", filepath.Join(dir, "..", "outside.sigmf-meta"), "outside the replay folder"},
		{"symlinked recording", filepath.Join(dir, "link.sigmf-meta"), "links outside"},
		{"symlinked data", filepath.Join(dir, "datalink.sigmf-meta"), "links outside"},
		{"core:dataset links outside", filepath.Join(dir, "dataset.sigmf-meta"), "elsewhere.bin links outside"},
		{"hidden folder", filepath.Join(dir, ".upload-1", "half.sigmf-meta"), `".upload-1" is hidden`},
		{"not metadata", filepath.Join(dir, "inside.sigmf-data"), "not a .sigmf-meta or .sigmf file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Replay(context.Background(), tc.path, ReplayOptions{})
			if !errors.Is(err, ErrReplayInput) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want ErrReplayInput saying %q", err, tc.want)
			}
		})
	}
	for _, name := range []string{"inside.sigmf-meta", "alias.sigmf-meta", "packed.sigmf"} {
		if err := r.Check(filepath.Join(dir, name)); err != nil {
			t.Errorf("check %s: %v", name, err)
		}
		if _, err := r.Replay(context.Background(), filepath.Join(dir, name), ReplayOptions{}); err != nil {
			t.Errorf("replay %s: %v", name, err)
		}
	}
}

func TestPipelineReplayerCancel(t *testing.T) {
	dir := t.TempDir()
	meta := writeSynthRecording(t, dir, "burst")
	r := newTestReplayer(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Replay(ctx, meta, ReplayOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled replay: got %v, want context.Canceled", err)
	}
	// A replay waiting for a busy replayer gives up with its context.
	r.sem <- struct{}{}
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := r.Replay(ctx, meta, ReplayOptions{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("replay behind a busy one: got %v, want context.DeadlineExceeded", err)
	}
	<-r.sem
}

// A replay run stops at the replayer's run time limit, so one recording
// cannot hold the only replay slot for minutes (200,000 one-sample
// captures did), with an error naming the limit that is not the client's
// own cancellation; the slot is free again afterwards.
func TestPipelineReplayerRunTimeout(t *testing.T) {
	dir := t.TempDir()
	meta := writeSynthRecording(t, dir, "burst")
	r, err := NewPipelineReplayer(ReplayerConfig{Dir: dir, OutDir: t.TempDir(), RunTimeout: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	_, err = r.Replay(context.Background(), meta, ReplayOptions{})
	if !errors.Is(err, ErrReplayTooLong) || errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "1ns") {
		t.Fatalf("replay past its run time: got %v, want ErrReplayTooLong naming the 1ns limit", err)
	}
	select {
	case r.sem <- struct{}{}:
		<-r.sem
	default:
		t.Error("the replay slot is still held after the run stopped")
	}
	if got := newTestReplayer(t, dir).runTimeout; got != DefaultReplayRunTimeout {
		t.Errorf("default run timeout = %v, want %v", got, DefaultReplayRunTimeout)
	}
}

func TestPipelineReplayerKeepsFewOutputs(t *testing.T) {
	dir := t.TempDir()
	meta := writeSynthRecording(t, dir, "burst")
	r := newTestReplayer(t, dir)
	r.keep = 3
	var first string
	for i := 0; i < r.keep+2; i++ {
		res, err := r.Replay(context.Background(), meta, ReplayOptions{MaxSeconds: 0.01})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = res.AnnotatedMeta
		}
	}
	runs, _ := filepath.Glob(filepath.Join(r.outDir, "run-*"))
	if len(runs) != r.keep {
		t.Errorf("%d annotated folders kept, want %d", len(runs), r.keep)
	}
	if _, err := os.Stat(first); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("oldest annotated meta still there (%v)", err)
	}
}

// realIQ returns the real recordings folder, or skips.
func realIQ(t testing.TB) string {
	return realiq.Dir(t)
}

// copyRecording copies NAME.sigmf-meta and NAME.sigmf-data from src into dst.
func copyRecording(t testing.TB, src, dst, name string) {
	t.Helper()
	for _, ext := range []string{sigmf.MetaExt, sigmf.DataExt} {
		in, err := os.Open(filepath.Join(src, name+ext))
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dst, name+ext))
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.Copy(out, in)
		in.Close()
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// realReplays are real recordings with the class and link the pipeline
// must give them (from the folder's README ground truth).
var realReplays = []struct {
	name, class, link  string
	shot               string  // browser test screenshot name
	lowHz, highHz      float64 // the signal's band
	startS, endS, tolS float64 // its time span
}{
	{"nr-n78-ul-strong-3427M", "nr", "uplink", "replay-nr-n78", 3419.4e6, 3428.0e6, 11008 / 23.04e6, 22592 / 23.04e6, 1e-4},
	{"lte-tdd-b39-1890M-hackrf", "lte", "downlink", "replay-lte-tdd", 1881e6, 1899e6, 0, 0.08, 2e-3},
	// Four DroneID bursts in 4.51 ms, which the detector joins into one emission per band.
	{"dji-droneid-mavic-air2-2457M", "droneid", "", "replay", 2455e6, 2464e6, 0, 4.4e-3, 5e-4},
}

func TestPipelineReplayerRealRecordings(t *testing.T) {
	src := realIQ(t)
	for _, tc := range realReplays {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			copyRecording(t, src, dir, tc.name)
			r := newTestReplayer(t, dir)
			res, err := r.Replay(context.Background(), filepath.Join(dir, tc.name+sigmf.MetaExt), ReplayOptions{MaxRows: 400, MaxCols: 512})
			if err != nil {
				t.Fatal(err)
			}
			var hit bool
			for _, d := range res.Detections {
				t.Logf("%.6f-%.6f s %.3f-%.3f MHz %s %s snr %.1f: %s", d.StartS, d.EndS, d.FreqLowHz/1e6, d.FreqHighHz/1e6, d.Class, d.Link, d.SNRDB, d.Label)
				overlapHz := min(d.FreqHighHz, tc.highHz) - max(d.FreqLowHz, tc.lowHz)
				if d.Class == tc.class && (tc.link == "" || d.Link == tc.link) && overlapHz > 0.5*(tc.highHz-tc.lowHz) &&
					d.StartS < tc.startS+tc.tolS+0.1*(tc.endS-tc.startS) && d.EndS > tc.endS-tc.tolS-0.1*(tc.endS-tc.startS) {
					hit = true
				}
			}
			if !hit {
				t.Errorf("no %s %s detection over %.1f-%.1f MHz, %.6f-%.6f s", tc.class, tc.link, tc.lowHz/1e6, tc.highHz/1e6, tc.startS, tc.endS)
			}
			if err := sigmfschema.CheckFile(res.AnnotatedMeta); err != nil {
				t.Errorf("annotated meta fails the SigMF schema: %v", err)
			}
		})
	}
}

// TestReplayRoutesWithPipeline drives the replay routes over HTTP with the
// real pipeline replayer.
func TestReplayRoutesWithPipeline(t *testing.T) {
	ev := newEnv(t)
	dir := ev.deps.ReplayDir
	writeSynthRecording(t, dir, "burst")
	os.WriteFile(filepath.Join(dir, "broken.sigmf-meta"), []byte(`{}`), 0o600)
	os.WriteFile(filepath.Join(dir, "broken.sigmf-data"), []byte{1, 2}, 0o600)
	elsewhere := t.TempDir()
	writeSynthRecording(t, elsewhere, "secret")
	for _, ext := range []string{sigmf.MetaExt, sigmf.DataExt} {
		if err := os.Symlink(filepath.Join(elsewhere, "secret"+ext), filepath.Join(dir, "escape"+ext)); err != nil {
			t.Fatal(err)
		}
	}
	ev.deps.Replayer = newTestReplayer(t, dir)
	ev.deps.MaxUpload = 4 << 20
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	c := login(t, e, RoleAnalyst, "analyst-password")
	const js = "application/json"
	tests := []struct {
		name, body string
		wantCode   int
		wantBody   string
	}{
		{"given a recording when run then detections with class and SNR", `{"path":"burst.sigmf-meta","threshold_db":6}`, 200, `"snr_db":`},
		{"given a stricter pfa when run then ok", `{"path":"burst.sigmf-meta","pfa":1e-12}`, 200, `"annotated_ready":true`},
		{"given a cap when run then truncated", `{"path":"burst.sigmf-meta","max_seconds":0.01}`, 200, `"truncated":true`},
		{"given dot-dot when run then 400", `{"path":"../burst.sigmf-meta"}`, 400, "leaves the folder"},
		{"given an absolute path when run then 400", `{"path":"` + filepath.Join(elsewhere, "secret.sigmf-meta") + `"}`, 400, "bad file name"},
		// it said bad file name ""
		{"given no path when run then 400 saying it is missing", `{"path":""}`, 400, "file name missing"},
		{"given a symlink out of the folder when run then 400", `{"path":"escape.sigmf-meta"}`, 400, "links outside the replay folder"},
		{"given an unknown file when run then 404", `{"path":"nothing.sigmf-meta"}`, 404, "not found"},
		{"given a data file when run then 400", `{"path":"burst.sigmf-data"}`, 400, "choose a .sigmf-meta"},
		{"given a broken recording when run then 422", `{"path":"broken.sigmf-meta"}`, 422, `meta \"broken.sigmf-meta\": invalid metadata: missing \"global\"`},
		{"given a negative threshold when run then 400", `{"path":"burst.sigmf-meta","threshold_db":-3}`, 400, "threshold_db -3: use 0..60"},
		{"given a huge threshold when run then 400", `{"path":"burst.sigmf-meta","threshold_db":61}`, 400, "threshold_db 61"},
		{"given a pfa too loose when run then 400", `{"path":"burst.sigmf-meta","pfa":0.1}`, 400, "pfa 0.1: use 0 (default 1e-9) or 1e-15..1e-2"},
		{"given a pfa too strict when run then 400", `{"path":"burst.sigmf-meta","pfa":1e-20}`, 400, "pfa 1e-20"},
		{"given a negative cap when run then 400", `{"path":"burst.sigmf-meta","max_seconds":-1}`, 400, "max_seconds -1"},
		{"given a start when run then analysed from there", `{"path":"burst.sigmf-meta","start_s":0.1}`, 200, `"analysed_from_s":0.1,`},
		{"given a negative start when run then 400", `{"path":"burst.sigmf-meta","start_s":-1}`, 400, "start_s -1"},
		{"given its tuning when run then ok", `{"path":"burst.sigmf-meta","center_hz":915000000}`, 200, `"center_hz":915000000`},
		{"given a tuning it lacks when run then 400", `{"path":"burst.sigmf-meta","center_hz":1}`, 400, "center_hz 1: no capture"},
		{"given a string threshold when run then 400", `{"path":"burst.sigmf-meta","threshold_db":"high"}`, 400, "malformed JSON"},
		{"given an unknown option when run then 400", `{"path":"burst.sigmf-meta","gain":3}`, 400, "malformed JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(e, "POST", "/api/v1/replay/run", tc.body, js, &c, true)
			if rec.Code != tc.wantCode || !strings.Contains(rec.Body.String(), tc.wantBody) {
				body := rec.Body.String()
				if len(body) > 300 {
					body = body[:300] + "…"
				}
				t.Errorf("got %d %s, want %d containing %q", rec.Code, body, tc.wantCode, tc.wantBody)
			}
		})
	}

	// Upload a recording, replay it, download its annotations.
	meta, _ := os.ReadFile(filepath.Join(dir, "burst.sigmf-meta"))
	data, _ := os.ReadFile(filepath.Join(dir, "burst.sigmf-data"))
	body, ct := multipartBody(t, map[string][2]string{"meta": {"up.sigmf-meta", string(meta)}, "data": {"up.sigmf-data", string(data)}})
	if rec := do(e, "POST", "/api/v1/replay/upload", body, ct, &c, true); rec.Code != 201 {
		t.Fatalf("upload: %d %s", rec.Code, rec.Body)
	}
	rec := do(e, "POST", "/api/v1/replay/run", `{"path":"uploads/up.sigmf-meta"}`, js, &c, true)
	var res ReplayResult
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || rec.Code != 200 || len(res.Detections) == 0 {
		t.Fatalf("replay of the upload: %d %v, %d detections", rec.Code, err, len(res.Detections))
	}
	rec = do(e, "GET", "/api/v1/replay/annotated", "", "", &c, false)
	m, err := sigmf.ParseMeta(rec.Body.Bytes())
	if rec.Code != 200 || err != nil {
		t.Fatalf("annotated download: %d %v", rec.Code, err)
	}
	if cd := rec.Header().Get("Content-Disposition"); !strings.Contains(cd, `"up.replay.sigmf-meta"`) {
		t.Errorf("download named %q, want the recording's name with .replay (up.replay.sigmf-meta)", cd)
	}
	var ours int
	for _, a := range m.Annotations {
		if a.Generator == "rfwarden" && a.Extra["rfw:snr_db"] != nil {
			ours++
		}
	}
	if ours != len(res.Detections) {
		t.Errorf("downloaded meta has %d rfwarden annotations, want %d", ours, len(res.Detections))
	}
	if !ev.audit.has("replay.run", "recording/uploads/up.sigmf-meta") {
		t.Error("replay run not audited")
	}

	// The same upload over a smaller limit is refused with 413.
	ev.deps.MaxUpload = 64 << 10
	small, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	c2 := login(t, small, RoleAnalyst, "analyst-password")
	if rec := do(small, "POST", "/api/v1/replay/upload", body, ct, &c2, true); rec.Code != 413 || !strings.Contains(rec.Body.String(), "limit") {
		t.Errorf("oversized upload: %d %s, want 413 naming the limit", rec.Code, rec.Body)
	}
}

// The evidence snippets' folder is replayable too, under the same checks.
func TestPipelineReplayerSnippetFolder(t *testing.T) {
	root := t.TempDir()
	dir, snips := filepath.Join(root, "replay"), filepath.Join(root, "snippets")
	os.Mkdir(dir, 0o755)
	os.Mkdir(snips, 0o755)
	snip := writeSynthRecording(t, snips, "snippet-s1-ab-1-1")
	outside := writeSynthRecording(t, root, "outside")
	writeSynthRecording(t, dir, "rec")
	// a snippet whose data file links into the replay folder: each folder
	// holds its own files
	b, _ := os.ReadFile(snip)
	os.WriteFile(filepath.Join(snips, "cross"+sigmf.MetaExt), b, 0o644)
	os.Symlink(filepath.Join(dir, "rec"+sigmf.DataExt), filepath.Join(snips, "cross"+sigmf.DataExt))

	r, err := NewPipelineReplayer(ReplayerConfig{Dir: dir, SnippetDir: snips, OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Replay(context.Background(), snip, ReplayOptions{})
	if err != nil || len(res.Detections) == 0 {
		t.Errorf("snippet: %d detections, %v; want the tone burst", len(res.Detections), err)
	}
	for path, want := range map[string]string{outside: "outside the replay folder", filepath.Join(snips, "cross"+sigmf.MetaExt): "links outside"} {
		if _, err := r.Replay(context.Background(), path, ReplayOptions{}); !errors.Is(err, ErrReplayInput) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want ErrReplayInput saying %q", filepath.Base(path), err, want)
		}
	}
	// without SnippetDir the snippet is outside
	if _, err := newTestReplayer(t, dir).Replay(context.Background(), snip, ReplayOptions{}); !errors.Is(err, ErrReplayInput) {
		t.Errorf("snippet without SnippetDir: got %v, want ErrReplayInput", err)
	}
}
