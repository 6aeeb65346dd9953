package dashboard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/replay"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// ErrReplayInput marks a replay refused because of its input: a path
// outside the replay folder (or linking out of it), a hidden file, a file
// that is neither a .sigmf-meta nor a .sigmf archive, or options out of
// range. The handler answers 400 for it.
var ErrReplayInput = errors.New("bad replay request")

// ErrReplayTooLong marks a replay stopped at the replayer's run time limit
// (ReplayerConfig.RunTimeout): the recording costs more work than a
// replay may take. The handler answers 422 for it.
var ErrReplayTooLong = errors.New("replay run time limit reached")

// Replay bounds.
const (
	// DefaultReplayMaxDur is the longest stretch of a recording analysed when
	// ReplayerConfig.MaxDuration is 0: at 20 Msps about 40 M samples, some
	// seconds of pipeline work on one core.
	DefaultReplayMaxDur = 2 * time.Second
	// DefaultReplayRunTimeout is the longest one replay run may take when
	// ReplayerConfig.RunTimeout is 0. Runs hold the only replay slot, so a
	// recording that costs too much work (a capture per sample, each at a
	// new frequency) must not hold it for ever; a normal run takes seconds.
	DefaultReplayRunTimeout = 10 * time.Minute
	// MaxReplaySamples caps the samples analysed whatever the duration says.
	MaxReplaySamples = 1 << 26
	// MinReplaySamples is the fewest samples a replay analyses (one
	// smallest FFT frame); an upload with fewer is refused.
	MinReplaySamples = 16
	// MaxSpectrogramRows and MaxSpectrogramCols bound the spectrogram.
	MaxSpectrogramRows = 1024
	MaxSpectrogramCols = 512
	// keepAnnotated is how many annotated metadata files are kept on disk.
	keepAnnotated = 64
	// framesPerRow is about how many FFT frames are averaged into a row.
	framesPerRow = 32
)

// ReplayerConfig sets up a PipelineReplayer.
type ReplayerConfig struct {
	Dir         string        // recordings must lie inside this folder (after symlinks); made if missing; required
	SnippetDir  string        // evidence snippets, replayable too (same checks); optional
	OutDir      string        // annotated .sigmf-meta files go here; "" means a new temporary folder
	MaxDuration time.Duration // most of a recording analysed; 0 means DefaultReplayMaxDur
	RunTimeout  time.Duration // longest a run may take once it has the replay slot; 0 means DefaultReplayRunTimeout
	Logger      *slog.Logger  // nil: discard
}

// PipelineReplayer runs recordings through the same detector and
// classifier as `rfwarden scan` (sensor/replay source, sensor/pipeline with
// the dsp/classify default table), draws a spectrogram with the dsp Welch
// frames, and writes the detections as SigMF annotations. One replay runs at
// a time; others wait for it or for their context.
type PipelineReplayer struct {
	roots  []replayRoot // the replay folder, then the snippet folder
	outDir string
	ownOut bool
	maxDur time.Duration
	// runTimeout bounds a run's time in the slot
	runTimeout time.Duration
	log        *slog.Logger
	sem        chan struct{}
	keep       int // annotated folders kept

	mu      sync.Mutex
	seq     int
	written []string // annotated folders, oldest first
}

var _ Replayer = (*PipelineReplayer)(nil)

// NewPipelineReplayer returns a Replayer over the recordings in cfg.Dir.
func NewPipelineReplayer(cfg ReplayerConfig) (*PipelineReplayer, error) {
	if cfg.Dir == "" {
		return nil, errors.New("replayer: no replay folder given")
	}
	r := &PipelineReplayer{maxDur: cfg.MaxDuration, log: cfg.Logger, sem: make(chan struct{}, 1), keep: keepAnnotated}
	for _, d := range []string{cfg.Dir, cfg.SnippetDir} {
		if d == "" {
			continue
		}
		root, err := newReplayRoot(d)
		if err != nil {
			return nil, err
		}
		r.roots = append(r.roots, root)
	}
	if r.maxDur <= 0 {
		r.maxDur = DefaultReplayMaxDur
	}
	r.runTimeout = cfg.RunTimeout
	if r.runTimeout <= 0 {
		r.runTimeout = DefaultReplayRunTimeout
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if cfg.OutDir == "" {
		if r.outDir, err = os.MkdirTemp("", "rfwarden-replay-"); err != nil {
			return nil, fmt.Errorf("replayer: output folder: %w", err)
		}
		r.ownOut = true
	} else {
		if err := os.MkdirAll(cfg.OutDir, 0o750); err != nil {
			return nil, fmt.Errorf("replayer: output folder: %w", err)
		}
		r.outDir = cfg.OutDir
	}
	return r, nil
}

// Close removes the output folder when the Replayer made it.
func (r *PipelineReplayer) Close() error {
	if !r.ownOut {
		return nil
	}
	return os.RemoveAll(r.outDir)
}

// replayRoot is a folder recordings may be replayed from, as given (made
// absolute) and with its symlinks resolved.
type replayRoot struct{ dir, real string }

func newReplayRoot(d string) (replayRoot, error) {
	dir, err := filepath.Abs(d)
	if err != nil {
		return replayRoot{}, fmt.Errorf("replayer: folder %q: %w", d, err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return replayRoot{}, fmt.Errorf("replayer: %w", err)
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return replayRoot{}, fmt.Errorf("replayer: folder %q: %w", d, err)
	}
	return replayRoot{dir, real}, nil
}

// Check reports whether Replay takes path, without reading it: a
// .sigmf-meta file or a .sigmf archive, not hidden (no element of its path
// in its folder starts with '.': uploads on their way in, snippets being
// saved), inside the replay folder (or the snippet folder) also after
// following symlinks, and so is the data file beside a .sigmf-meta.
// Links are followed only within the folder. A path refused for what it
// is wraps ErrReplayInput; a file system error (a dangling link) does not.
// The recordings list offers only what Check takes.
func (r *PipelineReplayer) Check(path string) error {
	_, err := r.check(path)
	return err
}

// check is Check returning the folder path lies in.
func (r *PipelineReplayer) check(path string) (replayRoot, error) {
	if !strings.HasSuffix(path, sigmf.MetaExt) && !strings.HasSuffix(path, sigmf.ArchiveExt) {
		return replayRoot{}, fmt.Errorf("replay %q: %w: not a %s or %s file", path, ErrReplayInput, sigmf.MetaExt, sigmf.ArchiveExt)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return replayRoot{}, fmt.Errorf("replay %q: %w", path, err)
	}
	for _, root := range r.roots {
		rel, err := filepath.Rel(root.dir, abs)
		if err != nil || !filepath.IsLocal(rel) {
			continue
		}
		for el := range strings.SplitSeq(rel, string(filepath.Separator)) {
			if strings.HasPrefix(el, ".") {
				return replayRoot{}, fmt.Errorf("replay %q: %w: %q is hidden, not a recording", path, ErrReplayInput, el)
			}
		}
		paths := []string{abs}
		if data := strings.TrimSuffix(abs, sigmf.MetaExt) + sigmf.DataExt; strings.HasSuffix(abs, sigmf.MetaExt) {
			if _, err := os.Lstat(data); err == nil {
				paths = append(paths, data) // when missing, Open says so (or reads core:dataset, checked after)
			}
		}
		for _, p := range paths {
			if err := root.holds(p); err != nil {
				return replayRoot{}, fmt.Errorf("replay %q: %w", path, err)
			}
		}
		return root, nil
	}
	return replayRoot{}, fmt.Errorf("replay %q: %w: outside the replay folder", path, ErrReplayInput)
}

// holds checks that the file at p (absolute) lies in the folder after
// following symlinks.
func (root replayRoot) holds(p string) error {
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return err
	}
	if rel, err := filepath.Rel(root.real, real); err != nil || !filepath.IsLocal(rel) {
		return fmt.Errorf("%w: %s links outside the replay folder", ErrReplayInput, filepath.Base(p))
	}
	return nil
}

func checkReplayOptions(o ReplayOptions) error {
	switch {
	case !(o.ThresholdDB >= 0 && o.ThresholdDB <= 100):
		return fmt.Errorf("%w: threshold_db %v outside 0..100", ErrReplayInput, o.ThresholdDB)
	case !(o.PFA >= 0 && o.PFA < 0.5):
		return fmt.Errorf("%w: pfa %v outside [0, 0.5)", ErrReplayInput, o.PFA)
	case !(o.MaxSeconds >= 0) || math.IsInf(o.MaxSeconds, 0):
		return fmt.Errorf("%w: max_seconds %v is not a non-negative number", ErrReplayInput, o.MaxSeconds)
	case o.MaxRows < 0 || o.MaxCols < 0:
		return fmt.Errorf("%w: spectrogram size %d x %d is negative", ErrReplayInput, o.MaxRows, o.MaxCols)
	}
	return nil
}

// Replay runs the recording at path (a .sigmf-meta, its data beside it,
// or a .sigmf archive, that Check takes) through the pipeline.
func (r *PipelineReplayer) Replay(ctx context.Context, path string, opts ReplayOptions) (ReplayResult, error) {
	if err := checkReplayOptions(opts); err != nil {
		return ReplayResult{}, err
	}
	root, err := r.check(path)
	if err != nil {
		return ReplayResult{}, err
	}
	select {
	case r.sem <- struct{}{}:
		defer func() { <-r.sem }()
	case <-ctx.Done():
		return ReplayResult{}, fmt.Errorf("replay %q: waiting for another replay: %w", filepath.Base(path), ctx.Err())
	}
	began := time.Now()
	runCtx, cancel := context.WithTimeout(ctx, r.runTimeout)
	defer cancel()
	rec, err := sigmf.Open(path)
	if err != nil {
		return ReplayResult{}, err // names the file and the fault
	}
	src := replay.New(rec, replay.Options{}) // owns rec
	defer src.Close()
	if strings.HasSuffix(path, sigmf.MetaExt) {
		// the samples Open read: NAME.sigmf-data, or the file core:dataset names
		data, err := filepath.Abs(rec.Path())
		if err == nil {
			err = root.holds(data)
		}
		if err != nil {
			return ReplayResult{}, fmt.Errorf("replay %q: %w", path, err)
		}
	}
	meta := rec.Meta()
	rate, total := rec.SampleRateHz(), rec.NumSamples()
	maxDur := r.maxDur.Seconds()
	if opts.MaxSeconds > 0 {
		maxDur = min(maxDur, opts.MaxSeconds)
	}
	limit := min(total, int64(maxDur*rate), MaxReplaySamples)
	if limit < MinReplaySamples {
		return ReplayResult{}, fmt.Errorf("replay %q: %d samples analysed, need at least %d", filepath.Base(path), limit, MinReplaySamples)
	}
	spec, err := newSpecBuilder(meta, rate, limit, opts.MaxRows, opts.MaxCols)
	if err != nil {
		return ReplayResult{}, fmt.Errorf("replay %q: %w", filepath.Base(path), err)
	}
	p := pipeline.New(pipeline.Config{Detector: dsp.DetectorConfig{PFA: opts.PFA}, Classifier: pipeline.DefaultClassifier()})
	var results []pipeline.Result
	lastLog := began
	for {
		if now := time.Now(); now.Sub(lastLog) >= 2*time.Second { // long runs show progress
			lastLog = now
			r.log.Info("replay progress", "file", filepath.Base(path), "done_pct", math.Round(100*float64(spec.done)/float64(limit)))
		}
		b, err := src.Next(runCtx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			r.log.Warn("replay stopped at its run time limit", "file", filepath.Base(path), "limit", r.runTimeout, "done_pct", math.Round(100*float64(spec.done)/float64(limit)))
			return ReplayResult{}, fmt.Errorf("replay %q: stopped after %v, the longest a replay may run, at sample %d of %d: %w",
				filepath.Base(path), r.runTimeout, spec.done, limit, ErrReplayTooLong)
		}
		if err != nil {
			return ReplayResult{}, err
		}
		if b.FirstSample >= limit {
			break
		}
		if end := b.FirstSample + int64(len(b.Samples)); end > limit {
			b.Samples = b.Samples[:limit-b.FirstSample]
		}
		if results, err = p.Process(b, results); err != nil {
			return ReplayResult{}, fmt.Errorf("replay %q: %w", filepath.Base(path), err)
		}
		spec.add(b)
	}
	results = p.Flush(results)
	sort.SliceStable(results, func(i, j int) bool { return results[i].Em.StartSample < results[j].Em.StartSample })
	kept := results[:0]
	for _, res := range results {
		if res.Em.SNRDB >= opts.ThresholdDB {
			kept = append(kept, res)
		}
	}
	out := ReplayResult{Spectrogram: spec.result(), RecordingS: float64(total) / rate, Truncated: limit < total,
		Detections: make([]ReplayDetection, 0, len(kept))}
	for _, res := range kept {
		out.Detections = append(out.Detections, replayDetection(res, rate))
	}
	annotated := pipeline.AnnotatedMeta(meta, "", kept)
	if out.Truncated {
		annotated.Global.Extra["rfw:analysed_samples"] = limit
	}
	name := filepath.Base(path)
	if n, ok := strings.CutSuffix(name, sigmf.ArchiveExt); ok {
		name = n + sigmf.MetaExt
	}
	if out.AnnotatedMeta, err = r.writeAnnotated(name, annotated); err != nil {
		return ReplayResult{}, err
	}
	r.log.Info("replay done", "file", filepath.Base(path), "samples", limit, "of", total,
		"detections", len(out.Detections), "took", time.Since(began).Round(time.Millisecond))
	return out, nil
}

func replayDetection(res pipeline.Result, rateHz float64) ReplayDetection {
	e := res.Em
	return ReplayDetection{
		StartS: float64(e.StartSample) / rateHz, EndS: float64(e.EndSample()) / rateHz,
		FreqLowHz: res.FreqLowHz, FreqHighHz: res.FreqHighHz, CenterHz: math.Round(res.CenterHz), BandwidthHz: math.Round(res.BandwidthHz),
		Class: res.Label.Class, Link: res.Label.Link, Band: res.Label.Band, Confidence: round2(res.Label.Confidence),
		Label: res.Label.Text, PowerDB: round2(e.MeanDBFS), SNRDB: round2(e.SNRDB),
		SampleStart: e.StartSample, SampleCount: e.SampleCount,
	}
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// writeAnnotated writes m as name into a fresh folder under the output
// folder (so it sits as NAME.sigmf-meta beside nothing and downloads under
// the recording's own name), dropping the oldest folders beyond r.keep.
func (r *PipelineReplayer) writeAnnotated(name string, m sigmf.Meta) (string, error) {
	r.mu.Lock()
	r.seq++
	dir := filepath.Join(r.outDir, fmt.Sprintf("run-%06d", r.seq))
	r.written = append(r.written, dir)
	var drop []string
	if len(r.written) > r.keep {
		drop = append(drop, r.written[:len(r.written)-r.keep]...)
		r.written = append([]string(nil), r.written[len(r.written)-r.keep:]...)
	}
	r.mu.Unlock()
	for _, d := range drop {
		if err := os.RemoveAll(d); err != nil {
			r.log.Warn("replay: remove old annotated metadata", "dir", d, "err", err)
		}
	}
	if err := os.Mkdir(dir, 0o750); err != nil {
		return "", fmt.Errorf("replay: annotated metadata folder: %w", err)
	}
	out := filepath.Join(dir, name)
	if err := sigmf.WriteMeta(out, m); err != nil {
		return "", fmt.Errorf("replay: write annotated metadata: %w", err)
	}
	return out, nil
}

// specBuilder averages single Welch frames (Hann, NFFT samples) into a
// rows x cols grid over the analysed time and the union of the captures'
// bands. Frames start on a grid of stride samples, so at most about
// framesPerRow frames are computed per row whatever the recording length.
type specBuilder struct {
	welch       *dsp.Welch
	nfft        int
	rows, cols  int
	perRow      int64 // samples per row
	stride      int64 // samples between frame starts
	rateHz      float64
	limit       int64
	loHz, hiHz  float64
	acc         []float64 // rows*cols mean power accumulators
	cnt         []int32
	psd         []float32
	colOf       []int32 // column of each shifted bin for tuneHz
	tuneHz      float64
	tuneHzValid bool
	durationS   float64
	done        int64 // samples seen so far
}

func newSpecBuilder(m sigmf.Meta, rateHz float64, limit int64, maxRows, maxCols int) (*specBuilder, error) {
	if maxRows <= 0 {
		maxRows = 300
	}
	if maxCols <= 0 {
		maxCols = MaxSpectrogramCols
	}
	maxRows, maxCols = min(maxRows, MaxSpectrogramRows), min(maxCols, MaxSpectrogramCols)
	nfft := 16
	for nfft*2 <= maxCols && int64(nfft*2) <= limit {
		nfft *= 2
	}
	cols := min(maxCols, nfft)
	rows := int(min(int64(maxRows), limit/int64(nfft)))
	rows = max(rows, 1)
	perRow := (limit + int64(rows) - 1) / int64(rows)
	stride := max(int64(nfft), perRow/framesPerRow)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range m.Captures {
		if c.SampleStart < limit || len(m.Captures) == 1 {
			lo, hi = min(lo, c.FrequencyHz-rateHz/2), max(hi, c.FrequencyHz+rateHz/2)
		}
	}
	if len(m.Captures) == 0 {
		lo, hi = -rateHz/2, rateHz/2
	}
	if !(hi > lo) {
		return nil, fmt.Errorf("spectrogram: empty frequency span [%v, %v] Hz", lo, hi)
	}
	return &specBuilder{
		welch: dsp.NewWelch(nfft, dsp.WindowHann, 0), nfft: nfft, rows: rows, cols: cols,
		perRow: perRow, stride: stride, rateHz: rateHz, limit: limit, loHz: lo, hiHz: hi,
		acc: make([]float64, rows*cols), cnt: make([]int32, rows*cols), psd: make([]float32, nfft), colOf: make([]int32, nfft),
		durationS: float64(limit) / rateHz,
	}, nil
}

// tune maps the shifted bins of a capture centred on centerHz to columns.
func (s *specBuilder) tune(centerHz float64) {
	if s.tuneHzValid && centerHz == s.tuneHz {
		return
	}
	s.tuneHz, s.tuneHzValid = centerHz, true
	span := s.hiHz - s.loHz
	for k := range s.colOf {
		f := centerHz + (float64(k-s.nfft/2)+0.5)*s.rateHz/float64(s.nfft)
		c := int((f - s.loHz) / span * float64(s.cols))
		s.colOf[k] = int32(min(max(c, 0), s.cols-1))
	}
}

// add accumulates the frames on the stride grid that lie wholly in b.
func (s *specBuilder) add(b sensor.Block) {
	s.tune(b.CenterHz)
	first, n := b.FirstSample, int64(len(b.Samples))
	s.done = first + n
	start := (first + s.stride - 1) / s.stride * s.stride
	for at := start; at+int64(s.nfft) <= first+n && at < s.limit; at += s.stride {
		s.welch.Frame(s.psd, b.Samples[at-first:at-first+int64(s.nfft)])
		dsp.Shift(s.psd, s.psd)
		row := int(min(at/s.perRow, int64(s.rows-1)))
		base := row * s.cols
		for k, v := range s.psd {
			c := base + int(s.colOf[k])
			s.acc[c] += float64(v)
			s.cnt[c]++
		}
	}
}

// result turns the accumulators into dB rows, rounded to 0.1 dB. Cells no
// frame reached (another tuning's band, or a frame lost at a block edge)
// take the previous row's value, or the weakest cell seen.
func (s *specBuilder) result() Spectrogram {
	floor := math.Inf(1)
	for i, v := range s.acc {
		if s.cnt[i] > 0 {
			floor = min(floor, v/float64(s.cnt[i]))
		}
	}
	if math.IsInf(floor, 1) {
		floor = 1e-30
	}
	sg := Spectrogram{DurationS: s.durationS, FreqLowHz: s.loHz, FreqHighHz: s.hiHz, NFFT: s.nfft, RowsDB: make([][]float32, s.rows)}
	for t := range sg.RowsDB {
		row := make([]float32, s.cols)
		empty := true
		for f := range row {
			if c := s.cnt[t*s.cols+f]; c > 0 {
				row[f] = dB(s.acc[t*s.cols+f] / float64(c))
				empty = false
			} else {
				row[f] = dB(floor)
			}
		}
		if empty && t > 0 {
			copy(row, sg.RowsDB[t-1])
		}
		sg.RowsDB[t] = row
	}
	return sg
}

func dB(p float64) float32 {
	return float32(math.Round(10*math.Log10(max(p, 1e-30))*10) / 10)
}
