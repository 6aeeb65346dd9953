package eval

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// BlockSamples is the block size ScanRecording and ScanSamples feed the
// pipeline with, as `rfwarden scan` does.
const BlockSamples = 1 << 16

// InterruptedError is the error of a scan whose context ended before the
// last sample: how far it got. The results returned with it are what was
// found before, the emissions still open closed where it stopped.
type InterruptedError struct {
	DoneSamples  int64 // samples scanned
	TotalSamples int64 // samples of the recording or capture
	Err          error // the context's error
}

// Percent is how much was scanned, rounded down: 0..100.
func (e *InterruptedError) Percent() int64 {
	if e.TotalSamples <= 0 {
		return 0
	}
	return 100 * e.DoneSamples / e.TotalSamples
}

// Error says "interrupted at 42% (6720000 of 16000000 samples)".
func (e *InterruptedError) Error() string {
	return fmt.Sprintf("interrupted at %d%% (%d of %d samples): %v", e.Percent(), e.DoneSamples, e.TotalSamples, e.Err)
}

// Unwrap returns the context's error.
func (e *InterruptedError) Unwrap() error { return e.Err }

// RunInterruptedError is the error of a corpus or generated run whose
// context ended before the last recording or case: where it stopped. The
// tally returned with it holds the recordings or cases done before.
type RunInterruptedError struct {
	At   string // the recording (relative to the corpus folder) or case it was in
	Done int    // recordings or cases done before it
	Of   int    // ... of so many
	Err  error  // the context's error
}

// Error says "interrupted at case nr@21dB#0, after 56 of 190: context canceled".
func (e *RunInterruptedError) Error() string {
	return fmt.Sprintf("interrupted at %s, after %d of %d: %v", e.At, e.Done, e.Of, e.Err)
}

// Unwrap returns the context's error.
func (e *RunInterruptedError) Unwrap() error { return e.Err }

// ScanRecording runs every sample of rec through a new pipeline with cfg,
// one block of at most BlockSamples at a time and never across a capture
// segment boundary, and returns the results sorted by start sample.
// progress, when not nil, is called with the number of samples of each block.
// When ctx ends first, it returns the results so far with an
// *InterruptedError.
func ScanRecording(ctx context.Context, rec *sigmf.Recording, cfg pipeline.Config, progress func(samples int)) ([]pipeline.Result, error) {
	n := rec.NumSamples()
	rate := rec.SampleRateHz()
	p := pipeline.New(cfg)
	// An evidence snippet carries the noise floor its sensor had
	// (pipeline.NoiseFloorKey): judged against it, one that starts with
	// its emission on is judged as the sensor judged it. A malformed one
	// is left out, and that tuning's floor learnt from the samples.
	_, _ = p.SeedFloors(rec.Meta())
	iq := make([]complex64, BlockSamples)
	var results []pipeline.Result
	for pos := int64(0); pos < n; {
		if err := ctx.Err(); err != nil {
			return sortResults(p.Flush(results)), &InterruptedError{DoneSamples: pos, TotalSamples: n, Err: err}
		}
		want := min(int64(len(iq)), rec.SegmentEnd(pos)-pos)
		k, err := rec.Read(iq[:want])
		if k > 0 {
			b := sensor.Block{Samples: iq[:k], CenterHz: rec.CenterHzAt(pos), SampleRateHz: rate,
				FirstSample: pos, Time: rec.TimeAt(pos), Device: "file"}
			if results, err = p.Process(b, results); err != nil {
				return nil, fmt.Errorf("scan %q: %w", rec.Path(), err)
			}
			pos += int64(k)
			if progress != nil {
				progress(k)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("scan %q: %w", rec.Path(), err)
		}
		if k == 0 {
			break
		}
	}
	return sortResults(p.Flush(results)), nil
}

// ScanSamples runs iq, captured at centerHz and sampleRateHz, through a new
// pipeline with cfg in blocks of BlockSamples, and returns the results
// sorted by start sample. When ctx ends first, it returns the results so
// far with an *InterruptedError.
func ScanSamples(ctx context.Context, iq []complex64, centerHz, sampleRateHz float64, cfg pipeline.Config) ([]pipeline.Result, error) {
	p := pipeline.New(cfg)
	var results []pipeline.Result
	for pos := 0; pos < len(iq); pos += BlockSamples {
		if err := ctx.Err(); err != nil {
			return sortResults(p.Flush(results)), &InterruptedError{DoneSamples: int64(pos), TotalSamples: int64(len(iq)), Err: err}
		}
		end := min(len(iq), pos+BlockSamples)
		var err error
		b := sensor.Block{Samples: iq[pos:end], CenterHz: centerHz, SampleRateHz: sampleRateHz,
			FirstSample: int64(pos), Device: "synth"}
		if results, err = p.Process(b, results); err != nil {
			return nil, err
		}
	}
	return sortResults(p.Flush(results)), nil
}

func sortResults(r []pipeline.Result) []pipeline.Result {
	slices.SortStableFunc(r, func(a, b pipeline.Result) int { return cmp.Compare(a.Em.StartSample, b.Em.StartSample) })
	return r
}

// Generators of rfwarden's own detections, as core:generator says on the
// annotations they write. Such annotations are what rfwarden found, not
// ground truth: TruthOf leaves them out unless asked. The simulator's
// annotations ("rfwarden sim") are what it put into the samples, truth.
const (
	// OwnGenerator is what `rfwarden scan --annotate` writes
	// (pipeline.Generator).
	OwnGenerator = "rfwarden"
	// SensorGenerator is what a sensor writes on the clips of an evidence
	// bundle (sensor/agent).
	SensorGenerator = "rfwarden sensor"
)

// IsOwnDetection reports whether generator, an annotation's
// core:generator, is one of rfwarden's detectors (OwnGenerator or
// SensorGenerator).
func IsOwnDetection(generator string) bool {
	return generator == OwnGenerator || generator == SensorGenerator
}

// TruthOf reads the ground truth of SigMF metadata: every annotation with a
// core:label, mapped by ParseLabel, except those rfwarden's own detectors
// wrote (IsOwnDetection) unless includeOwn. An annotation without
// frequency edges covers the whole band.
func TruthOf(m sigmf.Meta, includeOwn bool) []Truth {
	var out []Truth
	for _, a := range m.Annotations {
		if strings.TrimSpace(a.Label) == "" || !includeOwn && IsOwnDetection(a.Generator) {
			continue
		}
		class, link, kind := ParseLabel(a.Label)
		t := Truth{Class: class, Link: link, Kind: kind, Label: a.Label,
			StartSample: a.SampleStart, SampleCount: a.SampleCount,
			FreqLowHz: math.Inf(-1), FreqHighHz: math.Inf(1), SNRDB: math.NaN()}
		if a.HasFreq {
			t.FreqLowHz, t.FreqHighHz = a.FreqLowerHz, a.FreqUpperHz
		}
		out = append(out, t)
	}
	return out
}

// Errors of corpus runs.
var (
	// ErrNoCorpus is returned when a corpus folder holds no labelled recording.
	ErrNoCorpus = errors.New("no SigMF recording with core:label annotations")
	// ErrNoLabels is returned for a recording without a core:label annotation.
	ErrNoLabels = errors.New("no core:label annotation")
	// ErrOwnLabelsOnly is returned for a recording whose only labelled
	// annotations rfwarden's own detectors wrote (IsOwnDetection).
	ErrOwnLabelsOnly = errors.New("labelled only by rfwarden's own detectors (core:generator " + OwnGenerator + " or " + SensorGenerator + ")")
)

// SkipReason says why a corpus run passed over a file or folder.
type SkipReason int

// Reasons a corpus run passes over a file or folder.
const (
	// SkipNoLabels is a recording without a core:label annotation.
	SkipNoLabels SkipReason = iota + 1
	// SkipOwnLabels is a recording labelled only by rfwarden's own
	// detectors, when they are not taken as truth (CorpusConfig.IncludeOwn).
	SkipOwnLabels
	// SkipSeen is a folder already read by another path: a symbolic link
	// back up the tree, or a second way to the same folder.
	SkipSeen
	// SkipBrokenLink is a symbolic link to nothing.
	SkipBrokenLink
)

// String names the reason: "no labels", "own labels only", "seen",
// "broken link".
func (r SkipReason) String() string {
	switch r {
	case SkipNoLabels:
		return "no labels"
	case SkipOwnLabels:
		return "own labels only"
	case SkipSeen:
		return "seen"
	case SkipBrokenLink:
		return "broken link"
	}
	return fmt.Sprintf("SkipReason(%d)", int(r))
}

// count says n files or folders passed over for r: "2 recordings without
// core:label annotations".
func (r SkipReason) count(n int) string {
	one, many, why := "", "", ""
	switch r {
	case SkipNoLabels:
		one, many, why = "recording", "recordings", "without core:label annotations"
	case SkipOwnLabels:
		one, many, why = "recording", "recordings", "labelled only by rfwarden's own detectors (core:generator "+OwnGenerator+" or "+SensorGenerator+")"
	case SkipSeen:
		one, many, why = "folder", "folders", "already read by another path (a link loop, or a second way to the same folder)"
	case SkipBrokenLink:
		one, many, why = "link", "links", "to nothing"
	default:
		one, many, why = "file", "files", r.String()
	}
	if n == 1 {
		return fmt.Sprintf("%d %s %s", n, one, why)
	}
	return fmt.Sprintf("%d %s %s", n, many, why)
}

// Skipped is a file or folder a corpus run passed over.
type Skipped struct {
	Path   string
	Reason SkipReason
}

// Corpus is what FindCorpus found under a folder.
type Corpus struct {
	Dir     string    // the folder, as given
	Paths   []string  // SigMF recordings (.sigmf-meta and .sigmf), sorted
	Skipped []Skipped // passed over, in the order met
}

// SkipSummary says how many files and folders were passed over, by
// reason, naming up to three of each: "2 recordings without core:label
// annotations (a.sigmf-meta, b.sigmf-meta)". It is "" when none was.
func (c Corpus) SkipSummary() string {
	var parts []string
	for _, r := range []SkipReason{SkipNoLabels, SkipOwnLabels, SkipSeen, SkipBrokenLink} {
		var names []string
		for _, s := range c.Skipped {
			if s.Reason == r {
				names = append(names, c.relName(s.Path))
			}
		}
		if len(names) == 0 {
			continue
		}
		list := strings.Join(names[:min(3, len(names))], ", ")
		if len(names) > 3 {
			list += ", …"
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", r.count(len(names)), list))
	}
	return strings.Join(parts, "; ")
}

// Count returns how many were passed over for reason r.
func (c Corpus) Count(r SkipReason) int {
	n := 0
	for _, s := range c.Skipped {
		if s.Reason == r {
			n++
		}
	}
	return n
}

// relName is path relative to the corpus folder, with forward slashes.
func (c Corpus) relName(path string) string {
	if r, err := filepath.Rel(c.Dir, path); err == nil {
		return filepath.ToSlash(r)
	}
	return path
}

// FindCorpus lists the SigMF recordings (.sigmf-meta files and .sigmf
// archives) under dir, recursively, sorted by path. dir, and folders in
// it, may be symbolic links to folders, which are followed; a link to a
// folder already read (a loop, or a second link to the same folder) and a
// link to nothing are listed in Skipped. A folder that cannot be read is an
// error.
func FindCorpus(dir string) (Corpus, error) {
	c := Corpus{Dir: dir}
	st, err := os.Stat(dir)
	if err != nil {
		return c, fmt.Errorf("corpus %q: %w", dir, err)
	}
	if !st.IsDir() {
		return c, fmt.Errorf("corpus %q: not a folder", dir)
	}
	seen := []os.FileInfo{st}
	var walk func(string) error
	walk = func(folder string) error {
		entries, err := os.ReadDir(folder)
		if err != nil {
			return fmt.Errorf("corpus %q: %w", dir, err)
		}
		for _, e := range entries {
			path := filepath.Join(folder, e.Name())
			isDir := e.IsDir()
			if e.Type()&os.ModeSymlink != 0 {
				st, err := os.Stat(path)
				if err != nil {
					c.Skipped = append(c.Skipped, Skipped{path, SkipBrokenLink})
					continue
				}
				isDir = st.IsDir()
				if isDir {
					if slices.ContainsFunc(seen, func(s os.FileInfo) bool { return os.SameFile(s, st) }) {
						c.Skipped = append(c.Skipped, Skipped{path, SkipSeen})
						continue
					}
					seen = append(seen, st)
				}
			} else if isDir {
				st, err := os.Stat(path)
				if err != nil {
					return fmt.Errorf("corpus %q: %w", dir, err)
				}
				if slices.ContainsFunc(seen, func(s os.FileInfo) bool { return os.SameFile(s, st) }) {
					// already read through a link met earlier
					c.Skipped = append(c.Skipped, Skipped{path, SkipSeen})
					continue
				}
				seen = append(seen, st)
			}
			switch {
			case isDir:
				if err := walk(path); err != nil {
					return err
				}
			case strings.HasSuffix(path, sigmf.MetaExt) || strings.HasSuffix(path, sigmf.ArchiveExt):
				c.Paths = append(c.Paths, path)
			}
		}
		return nil
	}
	if err := walk(dir); err != nil {
		return c, err
	}
	slices.Sort(c.Paths)
	return c, nil
}

// CorpusFile is one scored corpus recording.
type CorpusFile struct {
	Path         string
	SampleRateHz float64
	Truth        []Truth
	Dets         []Detection
	Matched      Matched
}

// CorpusConfig says how RunCorpus scores a corpus.
type CorpusConfig struct {
	Pipeline pipeline.Config
	// IncludeOwn takes the annotations rfwarden's own detectors wrote
	// (IsOwnDetection) as truth too: whether a replay agrees with the
	// sensor or an earlier scan, not whether either is right.
	IncludeOwn bool
	// Step, when not nil, is called once per recording read.
	Step func(path string)
}

// RunCorpusFile opens one SigMF recording, runs it through the pipeline and
// matches the detections with its labelled annotations (TruthOf). A
// recording without them returns an error wrapping ErrNoLabels or
// ErrOwnLabelsOnly.
func RunCorpusFile(ctx context.Context, path string, cc CorpusConfig) (CorpusFile, error) {
	rec, err := sigmf.Open(path)
	if err != nil {
		return CorpusFile{}, fmt.Errorf("corpus: %w", err)
	}
	defer rec.Close()
	truth := TruthOf(rec.Meta(), cc.IncludeOwn)
	if len(truth) == 0 {
		if !cc.IncludeOwn && len(TruthOf(rec.Meta(), true)) > 0 {
			return CorpusFile{}, fmt.Errorf("corpus %q: %w", path, ErrOwnLabelsOnly)
		}
		return CorpusFile{}, fmt.Errorf("corpus %q: %w", path, ErrNoLabels)
	}
	res, err := ScanRecording(ctx, rec, cc.Pipeline, nil)
	if err != nil {
		return CorpusFile{}, fmt.Errorf("corpus: %w", err)
	}
	f := CorpusFile{Path: path, SampleRateHz: rec.SampleRateHz(), Truth: truth}
	for _, r := range res {
		f.Dets = append(f.Dets, DetectionOf(r))
	}
	f.Matched = Match(truth, f.Dets)
	return f, nil
}

// CorpusRun is what RunCorpus scored, and what it passed over.
type CorpusRun struct {
	Corpus              // Skipped adds the recordings without truth to FindCorpus's
	Tally  *Tally       // the scored recordings
	Files  []CorpusFile // ... one by one
	Read   int          // recordings read (scored or passed over)
}

// RunCorpus scores every labelled recording of c (see FindCorpus),
// passing over, in Skipped, those without truth (see RunCorpusFile). It
// fails with ErrNoCorpus when nothing was scored, returning the run to say
// what was passed over. When ctx ends first, it returns what was scored
// before the recording it was reading, with a *RunInterruptedError. Any
// other error returns a nil run.
func RunCorpus(ctx context.Context, c Corpus, cc CorpusConfig) (*CorpusRun, error) {
	run := &CorpusRun{Corpus: c, Tally: NewTally()}
	run.Skipped = slices.Clone(c.Skipped)
	for _, p := range c.Paths {
		f, err := RunCorpusFile(ctx, p, cc)
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return run, &RunInterruptedError{At: c.relName(p), Done: run.Read, Of: len(c.Paths), Err: cerr}
			}
		}
		run.Read++
		if cc.Step != nil {
			cc.Step(p)
		}
		switch {
		case errors.Is(err, ErrNoLabels):
			run.Skipped = append(run.Skipped, Skipped{p, SkipNoLabels})
			continue
		case errors.Is(err, ErrOwnLabelsOnly):
			run.Skipped = append(run.Skipped, Skipped{p, SkipOwnLabels})
			continue
		case err != nil:
			return nil, err
		}
		run.Tally.Add(strings.TrimSuffix(strings.TrimSuffix(c.relName(p), sigmf.MetaExt), sigmf.ArchiveExt), f.Matched, f.SampleRateHz)
		run.Files = append(run.Files, f)
	}
	if len(run.Files) == 0 {
		why := run.SkipSummary()
		if why == "" {
			why = "no .sigmf-meta or .sigmf file in it"
		}
		return run, fmt.Errorf("corpus %q: %w: %s", c.Dir, ErrNoCorpus, why)
	}
	return run, nil
}
