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
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/internal/english"
	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/eval"
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
	// progressEvery is about how often a run tells its progress
	// (ReplayOptions.Progress) while it runs.
	progressEvery = 500 * time.Millisecond
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
	// the run holding the slot: when it got it and its share done, told
	// to the runs waiting for it
	holderStarted time.Time
	holderPct     float64
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

// acquire takes the replay slot, or returns ctx's error when ctx ends
// first. While another run holds it, report is told so at once and about
// every second, with when that run began and how far it is.
func (r *PipelineReplayer) acquire(ctx context.Context, report func(ReplayProgress)) error {
	select {
	case r.sem <- struct{}{}:
		return nil
	default:
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		r.mu.Lock()
		p := ReplayProgress{Waiting: true, OtherStarted: r.holderStarted, OtherDonePct: r.holderPct}
		r.mu.Unlock()
		report(p)
		select {
		case r.sem <- struct{}{}:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// hold records how far the run holding the slot is: it began at began
// and has done pct of its samples.
func (r *PipelineReplayer) hold(began time.Time, pct float64) {
	r.mu.Lock()
	r.holderStarted, r.holderPct = began, pct
	r.mu.Unlock()
}

// release frees the slot acquire took.
func (r *PipelineReplayer) release() {
	r.hold(time.Time{}, 0)
	<-r.sem
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
// .sigmf-meta file, a .sigmf archive, or one recording of an archive of
// several, named as scan and eval name it ("day.sigmf:day-0/day-0",
// eval.ArchiveMember; the archive is checked), not hidden (no element of its path
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
	file := path
	if archive, _, ok := eval.ArchiveMember(path); ok {
		file = archive // the recording in it: opening it says whether it is there
	}
	if !strings.HasSuffix(file, sigmf.MetaExt) && !strings.HasSuffix(file, sigmf.ArchiveExt) {
		return replayRoot{}, fmt.Errorf("replay %q: %w: not a %s or %s file", path, ErrReplayInput, sigmf.MetaExt, sigmf.ArchiveExt)
	}
	abs, err := filepath.Abs(file)
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
	case !(o.StartS >= 0) || math.IsInf(o.StartS, 0):
		return fmt.Errorf("%w: start_s %v is not a non-negative number", ErrReplayInput, o.StartS)
	case !(o.CenterHz >= 0) || math.IsInf(o.CenterHz, 0):
		return fmt.Errorf("%w: center_hz %v is not a non-negative number", ErrReplayInput, o.CenterHz)
	case o.MaxRows < 0 || o.MaxCols < 0:
		return fmt.Errorf("%w: spectrogram size %d x %d is negative", ErrReplayInput, o.MaxRows, o.MaxCols)
	}
	return nil
}

// Replay runs the recording at path (a .sigmf-meta, its data beside it,
// or a .sigmf archive, that Check takes) through the pipeline: from
// opts.StartS, at most the Replayer's MaxDuration (and opts.MaxSeconds)
// of samples. A recording that carries the noise floor its sensor had (an
// evidence snippet, pipeline.NoiseFloorKey) is judged against it. Times
// are those `rfwarden scan` gives (replay.Seconds); the spectrogram is
// drawn for one tuning (opts.CenterHz). An evidence snippet's own
// detections (core:generator "rfwarden sensor") come back with the
// replay's verdict on each; the notes say what the analyst should know.
func (r *PipelineReplayer) Replay(ctx context.Context, path string, opts ReplayOptions) (ReplayResult, error) {
	if err := checkReplayOptions(opts); err != nil {
		return ReplayResult{}, err
	}
	root, err := r.check(path)
	if err != nil {
		return ReplayResult{}, err
	}
	report := opts.Progress
	if report == nil {
		report = func(ReplayProgress) {}
	}
	if err := r.acquire(ctx, report); err != nil {
		return ReplayResult{}, fmt.Errorf("replay %q: waiting for another replay: %w", filepath.Base(path), err)
	}
	defer r.release()
	began := time.Now()
	r.hold(began, 0)
	report(ReplayProgress{})
	runCtx, cancel := context.WithTimeout(ctx, r.runTimeout)
	defer cancel()
	rec, err := openReplay(path, root.dir)
	if err != nil {
		return ReplayResult{}, err // names the file and the fault
	}
	defer rec.Close() // also closed by src; closing twice is harmless
	if strings.HasSuffix(path, sigmf.MetaExt) {
		// the samples Open read: NAME.sigmf-data, or the file core:dataset
		// or rfw:dataset names
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
	clock := replay.Seconds(rec)
	maxDur := r.maxDur.Seconds()
	if opts.MaxSeconds > 0 {
		maxDur = min(maxDur, opts.MaxSeconds)
	}
	from := replay.SampleAt(rec, opts.StartS)
	if from >= total { // SampleAt says NumSamples for any start past the end, however large
		end := 0.0
		if total > 0 {
			end = clock(total-1) + 1/rate
		}
		return ReplayResult{}, fmt.Errorf("%w: start_s %g is past the recording's end at %g s", ErrReplayInput, opts.StartS, end)
	}
	limit := min(total, from+int64(maxDur*rate), from+MaxReplaySamples)
	if limit-from < MinReplaySamples {
		return ReplayResult{}, fmt.Errorf("replay %q: %d samples analysed from %g s, need at least %d (the recording ends at %.6f s)",
			filepath.Base(path), max(limit-from, 0), opts.StartS, MinReplaySamples, clock(total-1))
	}
	// The work before the pipeline runs is under the run's time limit
	// too: a hostile recording's 100,000 tunings held the slot for tens
	// of seconds, past the limit and the client's leaving.
	tunings, err := tuningRuns(runCtx, meta, from, limit, total)
	if err != nil {
		return ReplayResult{}, r.stopped(ctx, path, "listing the recording's tunings", err)
	}
	if len(tunings) == 0 { // cannot be with from < limit <= total; never index an empty list
		return ReplayResult{}, fmt.Errorf("%w: no capture covers samples %d to %d of %q", ErrReplayInput, from, limit, filepath.Base(path))
	}
	center := tunings[0].centerHz
	if opts.CenterHz != 0 {
		i := slices.IndexFunc(tunings, func(t tuningRun) bool { return t.centerHz == opts.CenterHz })
		if i < 0 {
			return ReplayResult{}, fmt.Errorf("%w: center_hz %.0f: no capture of the analysed stretch is tuned there", ErrReplayInput, opts.CenterHz)
		}
		center = opts.CenterHz
	}
	run := tunings[slices.IndexFunc(tunings, func(t tuningRun) bool { return t.centerHz == center })]
	spec, err := newSpecBuilder(run, rate, clock, opts.MaxRows, opts.MaxCols)
	if err != nil {
		return ReplayResult{}, fmt.Errorf("replay %q: %w", filepath.Base(path), err)
	}
	p := pipeline.New(pipeline.Config{Detector: dsp.DetectorConfig{PFA: opts.PFA}, Classifier: pipeline.DefaultClassifier()})
	seeded, err := p.SeedFloors(meta)
	if err != nil {
		r.log.Warn("replay: a noise floor the recording carries is not usable; that tuning's floor is learnt from its samples", "file", filepath.Base(path), "err", err)
	}
	warmed, err := warmFloors(runCtx, p, rec, tunings, from)
	if err != nil {
		return ReplayResult{}, r.stopped(ctx, path, fmt.Sprintf("learning the floors before sample %d", from), err)
	}
	if err := rec.SeekSample(from); err != nil {
		return ReplayResult{}, fmt.Errorf("replay %q: %w", filepath.Base(path), err)
	}
	src := replay.New(rec, replay.Options{}) // owns rec, from its position
	defer src.Close()
	var results []pipeline.Result
	lastLog, lastReport := began, began
	done := from
	for {
		now := time.Now()
		if now.Sub(lastReport) >= progressEvery { // long runs show progress, in the page too
			lastReport = now
			pct := math.Floor(100 * float64(done-from) / float64(limit-from))
			r.hold(began, pct)
			report(ReplayProgress{DonePct: pct})
		}
		if now.Sub(lastLog) >= 2*time.Second {
			lastLog = now
			r.log.Info("replay progress", "file", filepath.Base(path), "done_pct", math.Round(100*float64(done-from)/float64(limit-from)))
		}
		b, err := src.Next(runCtx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			r.log.Warn("replay stopped at its run time limit", "file", filepath.Base(path), "limit", r.runTimeout, "done_pct", math.Round(100*float64(done-from)/float64(limit-from)))
			return ReplayResult{}, fmt.Errorf("replay %q: stopped after %v, the longest a replay may run, at sample %d of %d: %w",
				filepath.Base(path), r.runTimeout, done, limit, ErrReplayTooLong)
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
		if b.CenterHz == center {
			spec.add(b)
		}
		done = b.FirstSample + int64(len(b.Samples))
	}
	r.hold(began, 100)
	report(ReplayProgress{DonePct: 100})
	results = p.Flush(results)
	sort.SliceStable(results, func(i, j int) bool { return results[i].Em.StartSample < results[j].Em.StartSample })
	out := ReplayResult{Spectrogram: spec.result(), RecordingS: clock(total-1) + 1/rate,
		AnalysedFromS: clock(from), AnalysedToS: clock(limit-1) + 1/rate, Truncated: from > 0 || limit < total,
		Detections: []ReplayDetection{}, Notes: []string{}, SensorLabels: []SensorLabel{}}
	// The page shows the detections of Min SNR or more (kept); the
	// sensor's labels are judged against all the replay found: the Min
	// SNR hides detections, it does not unsay them.
	kept := make([]pipeline.Result, 0, len(results))
	all := make([]ReplayDetection, 0, len(results))
	for _, res := range results {
		d := replayDetection(res, rate, clock)
		if rec.TimeAt(res.Em.StartSample).IsZero() {
			d.Time = time.Time{} // an undated recording: the replay's epoch is no time
		}
		all = append(all, d)
		if res.Em.SNRDB < opts.ThresholdDB {
			continue
		}
		kept = append(kept, res)
		if d.OnSpectrogram = res.TuneCenterHz == center; d.OnSpectrogram {
			d.SpecY0, d.SpecY1 = spec.y(res.Em.StartSample), spec.y(res.Em.EndSample())
		}
		out.Detections = append(out.Detections, d)
	}
	perTuning := make(map[float64]int, len(tunings))
	for _, d := range out.Detections {
		perTuning[d.TuneCenterHz]++
	}
	for _, t := range tunings {
		out.Tunings = append(out.Tunings, ReplayTuning{CenterHz: t.centerHz, DurationS: float64(t.samples) / rate, Captures: t.captures,
			Detections: perTuning[t.centerHz]})
	}
	if out.SensorLabels, err = sensorVerdicts(runCtx, meta, all, opts.ThresholdDB, clock, from, limit); err != nil {
		return ReplayResult{}, r.stopped(ctx, path, "judging the sensor's labels", err)
	}
	out.Notes = replayNotes(out, meta, seeded, warmed, r.maxDur, opts)
	if spec.clamped > 0 {
		out.Notes = append(out.Notes, fmt.Sprintf("The spectrogram has %d %s too strong to measure (the samples are far beyond any receiver's full scale and their power overflowed): shown at %d dB, the top of its scale.",
			spec.clamped, english.Plural(spec.clamped, "cell", "cells"), specCeilDB))
	}
	annotated := pipeline.AnnotatedMeta(withoutEarlierRuns(meta), annotatedDataset(path, meta), kept)
	// A saved NAME.replay.sigmf-meta replayed carries the earlier run's
	// stretch: the download says this run's (AnnotatedMeta cloned the keys).
	delete(annotated.Global.Extra, "rfw:analysed_samples")
	delete(annotated.Global.Extra, "rfw:analysed_from_sample")
	if out.Truncated {
		annotated.Global.Extra["rfw:analysed_samples"] = limit - from
		if from > 0 {
			annotated.Global.Extra["rfw:analysed_from_sample"] = from
		}
	}
	name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(path), sigmf.ArchiveExt), sigmf.MetaExt) + AnnotatedExt
	// The analysis stands without its file: a run whose annotated
	// metadata cannot be written answers its results with no download.
	if out.AnnotatedMeta, err = r.writeAnnotated(name, annotated); err != nil {
		r.log.Error("replay: annotated metadata not written; the run has no download", "file", filepath.Base(path), "err", err)
		out.AnnotatedMeta = ""
		out.Notes = append(out.Notes, "The annotated SigMF could not be written (the dashboard's log says why), so this run has no download.")
	}
	r.log.Info("replay done", "file", filepath.Base(path), "from", from, "samples", limit-from, "of", total,
		"detections", len(out.Detections), "took", time.Since(began).Round(time.Millisecond))
	return out, nil
}

// openReplay opens the recording at path: one recording of an archive of
// several ("day.sigmf:day-0/day-0", as scan opens it), or what sigmf.Open
// opens, following an rfw:dataset (metadata `rfwarden scan --annotate`
// wrote away from its samples) to samples inside root, the replay folder
// holding path, as scan and eval follow it.
func openReplay(path, root string) (*sigmf.Recording, error) {
	if archive, base, ok := eval.ArchiveMember(path); ok {
		return sigmf.OpenArchiveRecording(archive, base, sigmf.Overrides{})
	}
	return sigmf.OpenWith(path, sigmf.Overrides{FollowRFWDataset: true, DatasetRoot: root,
		DatasetRootSetting: "RFW_REPLAY_DIR (--replay-dir)"})
}

// stopped is the error of a run that stopped at stage with err: the
// run's context's, when the replayer's run time limit (not the caller's
// context) ended it, ErrReplayTooLong naming the limit.
func (r *PipelineReplayer) stopped(ctx context.Context, path, stage string, err error) error {
	if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("replay %q: stopped after %v, the longest a replay may run, %s: %w", filepath.Base(path), r.runTimeout, stage, ErrReplayTooLong)
	}
	return fmt.Errorf("replay %q: %s: %w", filepath.Base(path), stage, err)
}

// AnnotatedExt ends the name of a replay's annotated metadata:
// NAME.replay.sigmf-meta, so that saved beside the recording it does not
// overwrite its NAME.sigmf-meta (it finds the samples by core:dataset).
const AnnotatedExt = ".replay" + sigmf.MetaExt

// withoutEarlierRuns returns m without the annotations a new run replaces
// (pipeline.ReplacesAnnotation: an earlier rfwarden scan or replay's), as
// `rfwarden scan --annotate` drops them: the download of a replay of an
// annotated recording does not repeat its detections. Ground truth and
// the sensor's own annotations stay.
func withoutEarlierRuns(m sigmf.Meta) sigmf.Meta {
	m.Annotations = slices.DeleteFunc(slices.Clone(m.Annotations), pipeline.ReplacesAnnotation)
	return m
}

// annotatedDataset is the core:dataset of a replay's annotated metadata:
// the recording's own when it names one, else its NAME.sigmf-data, the
// samples beside which an analyst saves NAME.replay.sigmf-meta.
func annotatedDataset(path string, m sigmf.Meta) string {
	if ds, ok := m.Global.Extra["core:dataset"].(string); ok && ds != "" {
		return ds
	}
	return strings.TrimSuffix(strings.TrimSuffix(filepath.Base(path), sigmf.ArchiveExt), sigmf.MetaExt) + sigmf.DataExt
}

func replayDetection(res pipeline.Result, rateHz float64, clock func(int64) float64) ReplayDetection {
	e := res.Em
	start := clock(e.StartSample)
	return ReplayDetection{
		StartS: start, EndS: start + float64(e.SampleCount)/rateHz, Time: res.Time, TuneCenterHz: res.TuneCenterHz,
		FreqLowHz: res.FreqLowHz, FreqHighHz: res.FreqHighHz, CenterHz: math.Round(res.CenterHz), BandwidthHz: math.Round(res.BandwidthHz),
		Class: res.Label.Class, Link: res.Label.Link, Band: res.Label.Band, Confidence: round2(res.Label.Confidence),
		Label: res.Label.Text, PowerDB: round2(e.MeanDBFS), SNRDB: round2(e.SNRDB),
		SampleStart: e.StartSample, SampleCount: e.SampleCount,
	}
}

// sensorGenerator is the core:generator of a sensor's own detection in
// its evidence snippet (agent.SnippetGenerator).
const sensorGenerator = "rfwarden sensor"

// sensorVerdicts returns the sensor's own detections among m's
// annotations, each with what the replay found over it: confirmed when a
// detection overlapping it in time (and frequency, when both say) has its
// rfw:class, or, for a snippet of a sensor that wrote no class, its label.
// dets are in order of SampleStart; each annotation looks only at those
// that may overlap it. It returns ctx's error when ctx ends first.
func sensorVerdicts(ctx context.Context, m sigmf.Meta, dets []ReplayDetection, minSNRDB float64, clock func(int64) float64, from, limit int64) ([]SensorLabel, error) {
	out := []SensorLabel{}
	var longest int64 // the most samples a detection spans
	for _, d := range dets {
		longest = max(longest, d.SampleCount)
	}
	steps := 0
	step := func() error { // looks at the context at the first step, then every ctxEvery
		steps++
		if steps%ctxEvery == 1 {
			return ctx.Err()
		}
		return nil
	}
	for _, a := range m.Annotations {
		if err := step(); err != nil {
			return nil, err
		}
		if a.Generator != sensorGenerator {
			continue
		}
		sl := SensorLabel{DetectionID: a.Comment, Label: a.Label, StartS: clock(a.SampleStart), Replay: []string{}}
		sl.EndS = sl.StartS + float64(a.SampleCount)/m.Global.SampleRateHz
		sl.Class, _ = a.Extra["rfw:class"].(string)
		sl.Link, _ = a.Extra["rfw:link"].(string)
		if a.HasFreq {
			sl.FreqLowHz, sl.FreqHighHz = a.FreqLowerHz, a.FreqUpperHz
		}
		name := a.Label
		if name == "" {
			name = sl.Class
		}
		if a.SampleStart+a.SampleCount <= from || a.SampleStart >= limit {
			sl.Note = fmt.Sprintf("the sensor's label %q lies outside the analysed stretch: choose a start to replay it", name)
			out = append(out, sl)
			continue
		}
		bestSNR := math.Inf(-1) // of the detections that confirm it
		// those that start before its end, and not so long before its
		// start that they end before it
		lo := sort.Search(len(dets), func(i int) bool { return dets[i].SampleStart > a.SampleStart-longest })
		hi := sort.Search(len(dets), func(i int) bool { return dets[i].SampleStart >= a.SampleStart+a.SampleCount })
		for _, d := range dets[lo:max(lo, hi)] {
			if err := step(); err != nil {
				return nil, err
			}
			if d.SampleStart >= a.SampleStart+a.SampleCount || d.SampleStart+d.SampleCount <= a.SampleStart ||
				a.HasFreq && (d.FreqLowHz > a.FreqUpperHz || d.FreqHighHz < a.FreqLowerHz) {
				continue
			}
			if !slices.Contains(sl.Replay, d.Label) {
				sl.Replay = append(sl.Replay, d.Label)
			}
			if sl.Class != "" && d.Class == sl.Class || sl.Class == "" && d.Label == a.Label {
				sl.Confirmed = true
				bestSNR = max(bestSNR, d.SNRDB)
			}
		}
		switch {
		case sl.Confirmed && bestSNR < minSNRDB:
			sl.Note = fmt.Sprintf("the replay confirmed the sensor's label %q at %.1f dB SNR, below the Min SNR of %.1f dB shown: lower it to see the detection", name, bestSNR, minSNRDB)
		case sl.Confirmed:
		case len(sl.Replay) == 0:
			sl.Note = fmt.Sprintf("the replay did not confirm the sensor's label %q: it found nothing there", name)
		default:
			sl.Note = fmt.Sprintf("the replay did not confirm the sensor's label %q: it found %s there", name, strings.Join(sl.Replay, "; "))
		}
		out = append(out, sl)
	}
	return out, nil
}

// warmSamples is how many samples of each tuning's last dwell before a
// chosen start a replay runs first: the detector's floor history at the
// default settings at 10 Msps.
const warmSamples = 1 << 17

// warmFloors runs, for each tuning of the analysed stretch that begins at
// from, the last warmSamples of that tuning's last capture before from
// through p and drops what it finds: a replay started part-way through a
// scanning sensor's recording then judges its first dwell at each tuning
// against the floor learnt before it, as the sensor did (a carrier on
// when that dwell began is not learnt as floor). It returns how many
// tunings it warmed, and leaves rec's position anywhere.
func warmFloors(ctx context.Context, p *pipeline.Pipeline, rec *sigmf.Recording, tunings []tuningRun, from int64) (int, error) {
	if from <= 0 {
		return 0, nil
	}
	before, err := tuningRuns(ctx, rec.Meta(), 0, from, rec.NumSamples())
	if err != nil {
		return 0, err
	}
	index := make(map[float64]int, len(before)) // centerHz: its place in before
	for i, b := range before {
		index[b.centerHz] = i
	}
	buf := make([]complex64, replay.DefaultBlockSize)
	warmed := 0
	for _, t := range tunings {
		if err := ctx.Err(); err != nil {
			return warmed, err
		}
		i, ok := index[t.centerHz]
		if !ok {
			continue
		}
		sp := before[i].spans[len(before[i].spans)-1]
		lo, hi := max(sp[0], sp[1]-warmSamples), sp[1]
		if err := rec.SeekSample(lo); err != nil {
			return warmed, err
		}
		for pos := lo; pos < hi; {
			if err := ctx.Err(); err != nil {
				return warmed, err
			}
			k, err := rec.Read(buf[:min(int64(len(buf)), hi-pos)])
			if k > 0 {
				b := sensor.Block{Samples: buf[:k], CenterHz: t.centerHz, SampleRateHz: rec.SampleRateHz(), FirstSample: pos,
					Time: rec.TimeAt(pos), Device: "file"}
				if _, perr := p.Process(b, nil); perr != nil {
					return warmed, perr
				}
				pos += int64(k)
			}
			if err != nil {
				return warmed, fmt.Errorf("warm the floor of %.0f Hz: %w", t.centerHz, err)
			}
		}
		p.Flush(nil) // what it heard then is not part of this run
		warmed++
	}
	return warmed, nil
}

// replayNotes says what an analyst should know of a run: that it found
// nothing, the sensor labels it did not confirm, the noise floor the
// detections were judged against, and what of the recording was not
// analysed.
func replayNotes(res ReplayResult, m sigmf.Meta, seeded, warmed int, maxDur time.Duration, opts ReplayOptions) []string {
	notes := []string{}
	if len(res.Detections) == 0 {
		msg := "The replay found no detections"
		if opts.ThresholdDB > 0 {
			msg += fmt.Sprintf(" of %g dB SNR or more", opts.ThresholdDB)
		}
		notes = append(notes, msg+".")
	}
	for _, sl := range res.SensorLabels {
		if sl.Note != "" {
			notes = append(notes, strings.ToUpper(sl.Note[:1])+sl.Note[1:]+".")
		}
	}
	switch {
	case seeded > 0:
		notes = append(notes, "Judged against the noise floor the sensor had when it saved the clip ("+pipeline.NoiseFloorKey+").")
	case startsOn(m):
		notes = append(notes, "The clip starts with its emission on and carries no noise floor of the sensor's: the replay learns its floor from the emission itself, and may miss it or measure it low.")
	}
	if why := replay.NoCentre(m); why != "" && slices.ContainsFunc(res.Tunings, func(t ReplayTuning) bool { return t.CenterHz == 0 }) {
		// said by scan, not here, until 2026-12-07
		notes = append(notes, "This recording has "+replay.NoCentreWarning(why)+".")
	}
	if warmed > 0 {
		notes = append(notes, fmt.Sprintf("The noise floor of %d %s was learnt from the last dwell there before the start, as the sensor had it.", warmed, english.Plural(warmed, "tuning", "tunings")))
	}
	if res.Truncated {
		cap := maxDur.Seconds()
		if opts.MaxSeconds > 0 {
			cap = min(cap, opts.MaxSeconds)
		}
		msg := fmt.Sprintf("Only %.3f s to %.3f s of the recording's %.3f s were analysed", res.AnalysedFromS, res.AnalysedToS, res.RecordingS)
		if res.AnalysedToS < res.RecordingS-1e-9 {
			msg += fmt.Sprintf(": a run analyses at most %g s of samples; choose a later start to see the rest", cap)
		} else {
			msg += " (from the start chosen)"
		}
		notes = append(notes, msg+".")
	}
	return notes
}

// startsOn reports whether m is an evidence snippet that holds no samples
// before its emission: rfw:lead_samples 0, or, from a sensor that did not
// write it, its own annotation from the first sample.
func startsOn(m sigmf.Meta) bool {
	if v, ok := m.Global.Extra["rfw:lead_samples"]; ok {
		return fmt.Sprint(v) == "0"
	}
	for _, a := range m.Annotations {
		if a.Generator == sensorGenerator && a.SampleStart == 0 {
			return true
		}
	}
	return false
}

// tuningRun is one tuning of a recording's analysed stretch: its
// captures' sample ranges there, in order.
type tuningRun struct {
	centerHz float64
	spans    [][2]int64 // [from, to) sample ranges
	samples  int64      // in all spans
	captures int
}

// ctxEvery is how many steps of a replay's work outside the pipeline
// (captures listed, verdicts weighed) go between looks at its context.
const ctxEvery = 1024

// tuningRuns lists the tunings of the samples [from, limit) of m (total
// samples in all), in the order first met; a recording without captures
// is one tuning at 0 Hz. Its cost is linear in the captures (a recording
// may hold 100,000, each at its own frequency), and it returns ctx's
// error when ctx ends first.
func tuningRuns(ctx context.Context, m sigmf.Meta, from, limit, total int64) ([]tuningRun, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []tuningRun
	index := map[float64]int{} // centerHz: its place in out
	add := func(centerHz float64, lo, hi int64) {
		lo, hi = max(lo, from), min(hi, limit)
		if hi <= lo {
			return
		}
		i, ok := index[centerHz]
		if !ok {
			out = append(out, tuningRun{centerHz: centerHz})
			i = len(out) - 1
			index[centerHz] = i
		}
		t := &out[i]
		t.spans = append(t.spans, [2]int64{lo, hi})
		t.samples += hi - lo
		t.captures++
	}
	if len(m.Captures) == 0 {
		add(0, 0, total)
	}
	for i, c := range m.Captures {
		if i%ctxEvery == ctxEvery-1 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		end := total
		if i+1 < len(m.Captures) {
			end = m.Captures[i+1].SampleStart
		}
		lo := c.SampleStart
		if i == 0 {
			lo = 0 // samples before the first capture belong to it
		}
		add(c.FrequencyHz, lo, end)
	}
	return out, nil
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// writeAnnotated writes m as name into a fresh folder under the output
// folder (so it sits as NAME.sigmf-meta beside nothing and downloads under
// the recording's own name), dropping the oldest folders beyond r.keep.
// The output folder is made again when it is gone (a /tmp cleaner removes
// an idle dashboard's temporary one).
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
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("replay: annotated metadata folder: %w", err)
	}
	out := filepath.Join(dir, name)
	if err := sigmf.WriteMeta(out, m); err != nil {
		return "", fmt.Errorf("replay: write annotated metadata: %w", err)
	}
	return out, nil
}

// specBuilder averages single Welch frames (Hann, NFFT samples) into a
// rows x cols grid over one tuning's analysed samples, in order (its
// captures may lie seconds apart), and its band. Frames start on a grid of
// stride samples of that tuning, so at most about framesPerRow frames are
// computed per row whatever the recording length.
type specBuilder struct {
	welch      *dsp.Welch
	nfft       int
	rows, cols int
	perRow     int64 // samples per row
	stride     int64 // samples between frame starts
	rateHz     float64
	run        tuningRun
	offs       []int64 // offset of each span's first sample among the tuning's
	clock      func(int64) float64
	acc        []float64 // rows*cols mean power accumulators
	cnt        []int32
	rowStartS  []float64
	rowSet     []bool
	psd        []float32
	clamped    int // cells whose power was not finite, shown at specCeilDB
}

func newSpecBuilder(run tuningRun, rateHz float64, clock func(int64) float64, maxRows, maxCols int) (*specBuilder, error) {
	if maxRows <= 0 {
		maxRows = 300
	}
	if maxCols <= 0 {
		maxCols = MaxSpectrogramCols
	}
	maxRows, maxCols = min(maxRows, MaxSpectrogramRows), min(maxCols, MaxSpectrogramCols)
	n := run.samples
	if n <= 0 {
		return nil, fmt.Errorf("spectrogram: no samples at %.0f Hz", run.centerHz)
	}
	nfft := 16
	for nfft*2 <= maxCols && int64(nfft*2) <= n {
		nfft *= 2
	}
	cols := min(maxCols, nfft)
	rows := int(min(int64(maxRows), n/int64(nfft)))
	rows = max(rows, 1)
	perRow := (n + int64(rows) - 1) / int64(rows)
	stride := max(int64(nfft), perRow/framesPerRow)
	s := &specBuilder{
		welch: dsp.NewWelch(nfft, dsp.WindowHann, 0), nfft: nfft, rows: rows, cols: cols,
		perRow: perRow, stride: stride, rateHz: rateHz, run: run, clock: clock,
		acc: make([]float64, rows*cols), cnt: make([]int32, rows*cols), psd: make([]float32, nfft),
		rowStartS: make([]float64, rows), rowSet: make([]bool, rows),
	}
	var off int64
	for _, sp := range run.spans {
		s.offs = append(s.offs, off)
		off += sp[1] - sp[0]
	}
	return s, nil
}

// offset returns the position of sample among the tuning's analysed
// samples (the end of the span before it, when it lies in none).
func (s *specBuilder) offset(sample int64) int64 {
	i := sort.Search(len(s.run.spans), func(i int) bool { return s.run.spans[i][1] > sample })
	if i == len(s.run.spans) {
		return s.run.samples
	}
	sp := s.run.spans[i]
	return s.offs[i] + min(max(sample-sp[0], 0), sp[1]-sp[0])
}

// y places sample on the spectrogram's vertical axis, 0 (top) to 1.
func (s *specBuilder) y(sample int64) float64 {
	return float64(s.offset(sample)) / float64(s.run.samples)
}

// add accumulates the frames on the stride grid (of the tuning's samples)
// that lie wholly in b, a block at the tuning.
func (s *specBuilder) add(b sensor.Block) {
	first, n := b.FirstSample, int64(len(b.Samples))
	o0 := s.offset(first)
	start := (o0 + s.stride - 1) / s.stride * s.stride
	for o := start; o+int64(s.nfft) <= o0+n; o += s.stride {
		at := o - o0 // into b
		s.welch.Frame(s.psd, b.Samples[at:at+int64(s.nfft)])
		dsp.Shift(s.psd, s.psd)
		row := int(min(o/s.perRow, int64(s.rows-1)))
		if !s.rowSet[row] {
			s.rowSet[row], s.rowStartS[row] = true, s.clock(first+at)
		}
		base := row * s.cols
		for k, v := range s.psd {
			c := base + k*s.cols/s.nfft
			s.acc[c] += float64(v)
			s.cnt[c]++
		}
	}
}

// result turns the accumulators into dB rows, rounded to 0.1 dB. Cells no
// frame reached (a frame lost at a block edge) take the previous row's
// value, or the weakest cell seen; so do rows' start times.
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
	sg := Spectrogram{CenterHz: s.run.centerHz, DurationS: float64(s.run.samples) / s.rateHz,
		FreqLowHz: s.run.centerHz - s.rateHz/2, FreqHighHz: s.run.centerHz + s.rateHz/2, NFFT: s.nfft,
		RowsDB: make([][]float32, s.rows), RowStartS: make([]float64, s.rows)}
	for t := range sg.RowsDB {
		row := make([]float32, s.cols)
		empty := true
		for f := range row {
			if c := s.cnt[t*s.cols+f]; c > 0 {
				row[f] = s.dB(s.acc[t*s.cols+f] / float64(c))
				empty = false
			} else {
				row[f] = s.dB(floor)
			}
		}
		if empty && t > 0 {
			copy(row, sg.RowsDB[t-1])
		}
		sg.RowsDB[t] = row
		switch {
		case s.rowSet[t]:
			sg.RowStartS[t] = s.rowStartS[t]
		case t > 0:
			sg.RowStartS[t] = sg.RowStartS[t-1]
		default:
			sg.RowStartS[t] = s.clock(s.run.spans[0][0])
		}
	}
	return sg
}

// specCeilDB is where the spectrogram shows a cell whose power is not
// finite: just above 10*log10(math.MaxFloat32) (385.3 dB), the most a
// finite float32 Welch power reaches. Samples of 1e18 and more (finite,
// so an upload takes them) overflow it to +Inf, which JSON cannot encode:
// the run answered a bare 500 after it was audited as a success.
const specCeilDB = 390

// dB returns the power p in dB rounded to 0.1 dB, at least -300; a power
// that is not finite (+Inf, or NaN from Inf-Inf) is shown at specCeilDB
// and counted in s.clamped, so the notes can say so.
func (s *specBuilder) dB(p float64) float32 {
	if math.IsNaN(p) || math.IsInf(p, 1) {
		s.clamped++
		return specCeilDB
	}
	return float32(math.Round(10*math.Log10(max(p, 1e-30))*10) / 10)
}
