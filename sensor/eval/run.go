package eval

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
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
	return scanRecording(ctx, rec, cfg, progress, nil)
}

// ZeroRunSamples is the shortest run of samples exactly 0 that a corpus
// run takes for a receiver that delivered nothing (or a pre-allocated,
// sparse or zero-padded file) rather than receiver noise: 1024 samples
// in a row with I and Q both 0 do not happen in the noise of a receiver
// whose noise reaches its least significant bit.
const ZeroRunSamples = 1024

// zeroRuns finds the runs of at least ZeroRunSamples samples exactly 0
// in the samples given to it in order.
type zeroRuns struct {
	runs  [][2]int64 // [start, end) of each run found
	start int64      // start of the run of zeros so far, or -1
}

// add takes the samples of iq, the first at sample first.
func (z *zeroRuns) add(iq []complex64, first int64) {
	for i, v := range iq {
		switch {
		case v == 0 && z.start < 0:
			z.start = first + int64(i)
		case v != 0 && z.start >= 0:
			z.end(first + int64(i))
		}
	}
}

// end closes the run of zeros so far at sample end.
func (z *zeroRuns) end(end int64) {
	if z.start >= 0 && end-z.start >= ZeroRunSamples {
		z.runs = append(z.runs, [2]int64{z.start, end})
	}
	z.start = -1
}

// scanRecording is ScanRecording, also giving zeros, when not nil, every
// sample scanned.
func scanRecording(ctx context.Context, rec *sigmf.Recording, cfg pipeline.Config, progress func(samples int), zeros *zeroRuns) ([]pipeline.Result, error) {
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
			// Retuned at a break in the stream at one tuning (a time gap,
			// samples lost), as the replay source marks it
			b := sensor.Block{Samples: iq[:k], CenterHz: rec.CenterHzAt(pos), SampleRateHz: rate,
				FirstSample: pos, Time: rec.TimeAt(pos), Device: "file", Retuned: pos > 0 && rec.SegmentStart(pos) == pos}
			if results, err = p.Process(b, results); err != nil {
				return nil, fmt.Errorf("scan %q: %w", rec.Path(), err)
			}
			pos += int64(k)
			if progress != nil {
				progress(k)
			}
			if zeros != nil {
				zeros.add(iq[:k], pos-int64(k))
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

// TruthOf reads the ground truth of SigMF metadata: every annotation,
// its core:label mapped by ParseLabel, except those rfwarden's own
// detectors wrote (IsOwnDetection) unless includeOwn, and markers
// (isMarker). An annotation whose core:label is blank or missing is an
// other record naming no class (Unmapped), as a label of words ParseLabel
// does not know is: until 2026-12-07 it was left out, its emission gone
// from the truth without a word. An annotation without frequency edges
// covers the whole band.
func TruthOf(m sigmf.Meta, includeOwn bool) []Truth {
	var out []Truth
	for _, a := range m.Annotations {
		if !includeOwn && IsOwnDetection(a.Generator) || isMarker(a) {
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

// isMarker reports an annotation with core:sample_count 0: a marker at
// one instant (GNU Radio's SigMF sink writes one for every stream tag
// without a length), not an emission. No detection can overlap it, so as
// a target it was always missed. One without core:sample_count (ToEnd)
// runs to the end of its capture and is no marker.
func isMarker(a sigmf.Annotation) bool { return a.SampleCount == 0 && !a.ToEnd }

// markerWarning says that the labelled annotations of m that TruthOf
// leaves out as markers are not scored, or is "" when there are none.
func markerWarning(m sigmf.Meta, includeOwn bool) string {
	var first *sigmf.Annotation
	n := 0
	for i, a := range m.Annotations {
		if strings.TrimSpace(a.Label) == "" || !includeOwn && IsOwnDetection(a.Generator) || !isMarker(a) {
			continue
		}
		if n++; first == nil {
			first = &m.Annotations[i]
		}
	}
	switch n {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("annotation %q at sample %d has core:sample_count 0: a marker at one instant, not an emission; not scored", first.Label, first.SampleStart)
	}
	return fmt.Sprintf("%d labelled annotations have core:sample_count 0 (the first %q at sample %d): markers at one instant, not emissions; not scored", n, first.Label, first.SampleStart)
}

// Errors of corpus runs.
var (
	// ErrNoCorpus is returned when no recording of a corpus folder could
	// be scored: none is labelled, or none could be read.
	ErrNoCorpus = errors.New("no labelled SigMF recording could be scored")
	// ErrNoLabels is returned for a recording without a core:label annotation.
	ErrNoLabels = errors.New("no core:label annotation")
	// ErrOwnLabelsOnly is returned for a recording whose only labelled
	// annotations rfwarden's own detectors wrote (IsOwnDetection).
	ErrOwnLabelsOnly = errors.New("labelled only by rfwarden's own detectors (core:generator " + OwnGenerator + " or " + SensorGenerator + ")")
	// ErrNoFrequency is returned for a recording with a capture without
	// core:frequency whose truth has frequency edges: SigMF's edges are
	// RF frequencies, which cannot be placed in a band not known.
	ErrNoFrequency = errors.New("a capture has no core:frequency (its centre, in Hz), so the annotations' frequency edges (RF frequencies) cannot be placed in the band recorded and no emission's band is known to classify it; add core:frequency to each capture")
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
	// SkipUnreadable is a recording that could not be read or scanned:
	// malformed metadata, data that does not fit it, a hash that differs
	// (Skipped.Why says which).
	SkipUnreadable
	// SkipHidden is a SigMF-named file whose name starts with ".", such
	// as the "._name.sigmf-meta" AppleDouble files macOS leaves on other
	// file systems.
	SkipHidden
	// SkipSameFile is a second path (a link) to a metadata file or
	// archive already listed.
	SkipSameFile
	// SkipSameData is metadata naming the same samples as another
	// recording that is scored instead (Skipped.Why names it): the
	// output of `scan --annotate` written beside its input, for one.
	SkipSameData
	// SkipNoFrequency is a recording with a capture without
	// core:frequency whose annotations have frequency edges
	// (ErrNoFrequency).
	SkipNoFrequency
	// SkipNoMeta is a .sigmf-data file with no .sigmf-meta of its name
	// beside it, whose samples no metadata in the corpus reads: without
	// their datatype and sample rate they cannot be read.
	SkipNoMeta
)

// skipReasons lists the reasons in summary order.
var skipReasons = []SkipReason{SkipUnreadable, SkipNoFrequency, SkipNoMeta, SkipNoLabels, SkipOwnLabels, SkipSameData, SkipSameFile, SkipHidden, SkipSeen, SkipBrokenLink}

// String names the reason: "no labels", "own labels only", "seen",
// "broken link", "unreadable", "hidden", "same file", "same data", "no
// frequency", "no metadata".
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
	case SkipUnreadable:
		return "unreadable"
	case SkipHidden:
		return "hidden"
	case SkipSameFile:
		return "same file"
	case SkipSameData:
		return "same data"
	case SkipNoFrequency:
		return "no frequency"
	case SkipNoMeta:
		return "no metadata"
	}
	return fmt.Sprintf("SkipReason(%d)", int(r))
}

// MarshalText writes the reason as String does, for JSON.
func (r SkipReason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads a reason String wrote.
func (r *SkipReason) UnmarshalText(b []byte) error {
	for _, k := range skipReasons {
		if k.String() == string(b) {
			*r = k
			return nil
		}
	}
	return fmt.Errorf("skip reason %q: not one of eval's", b)
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
	case SkipUnreadable:
		one, many, why = "recording", "recordings", "that could not be read"
	case SkipHidden:
		one, many, why = "hidden file", "hidden files", "(a name starting with \".\", such as macOS ._ files)"
	case SkipSameFile:
		one, many, why = "path", "paths", "to a recording already listed"
	case SkipSameData:
		one, many, why = "recording", "recordings", "naming the samples of another, scored instead"
	case SkipNoFrequency:
		one, many, why = "recording", "recordings", "with a capture without core:frequency (annotations with RF frequency edges that cannot be placed)"
	case SkipNoMeta:
		one, many, why = "data file", "data files", "with no .sigmf-meta of the same name in the folder (no metadata: datatype and sample rate unknown)"
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
	Path   string     `json:"path"`
	Reason SkipReason `json:"reason"`
	Why    string     `json:"why,omitempty"` // the error or the other path, when the reason needs it
}

// Corpus is what FindCorpus found under a folder.
type Corpus struct {
	Dir     string    // the folder, as given
	Paths   []string  // SigMF recordings (.sigmf-meta and .sigmf), sorted
	Skipped []Skipped // passed over, in the order met
}

// maxNamed is how many files and folders passed over for one reason are
// named, on stderr as they are met, in SkipSummary and in the text
// report; the rest are counted.
const maxNamed = 3

// SkipSummary says how many files and folders were passed over, by
// reason, naming up to three of each: "2 recordings without core:label
// annotations (a.sigmf-meta, b.sigmf-meta)". It is "" when none was.
func (c Corpus) SkipSummary() string {
	var parts []string
	for _, r := range skipReasons {
		var names []string
		for _, s := range c.Skipped {
			if s.Reason == r {
				names = append(names, c.relName(s.Path))
			}
		}
		if len(names) == 0 {
			continue
		}
		list := strings.Join(names[:min(maxNamed, len(names))], ", ")
		if len(names) > maxNamed {
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
// link to nothing are listed in Skipped. A file or folder whose name
// starts with "." is not read: a SigMF-named one (macOS's 16-byte
// "._name.sigmf-meta") is listed in Skipped. Of several paths to one file
// (links to it), one is kept, and the others listed in Skipped: a path
// that is no link, else the first in sorted order. A file whose SigMF
// extension is not in lower case ("REC.SIGMF-META") is listed in Skipped
// as unreadable, saying why (UpperCaseExtension), and so is SigMF
// metadata named .json ("rec.sigmf-meta.json", sigmf.MisnamedMeta). An archive holding
// several recordings is listed once per recording (ArchiveMember). A
// .sigmf-data file with no .sigmf-meta of its name beside it that no
// metadata of the corpus reads is listed in Skipped (SkipNoMeta). A
// folder that cannot be read is an error.
func FindCorpus(dir string) (Corpus, error) {
	c := Corpus{Dir: dir}
	st, err := os.Stat(dir)
	if err != nil {
		return c, fmt.Errorf("corpus %q: %w", dir, err)
	}
	if !st.IsDir() {
		return c, fmt.Errorf("corpus %q: not a folder", dir)
	}
	isSigMF := func(path string) bool {
		return strings.HasSuffix(path, sigmf.MetaExt) || strings.HasSuffix(path, sigmf.ArchiveExt)
	}
	seen := []os.FileInfo{st}
	var lone []string // .sigmf-data files with no metadata of their name beside them
	var walk func(string) error
	walk = func(folder string) error {
		entries, err := os.ReadDir(folder)
		if err != nil {
			return fmt.Errorf("corpus %q: %w", dir, err)
		}
		names := map[string]bool{}
		for _, e := range entries {
			names[strings.ToLower(e.Name())] = true
		}
		for _, e := range entries {
			path := filepath.Join(folder, e.Name())
			if strings.HasPrefix(e.Name(), ".") {
				if !e.IsDir() && isSigMF(path) {
					c.Skipped = append(c.Skipped, Skipped{Path: path, Reason: SkipHidden})
				}
				continue
			}
			isDir := e.IsDir()
			if e.Type()&os.ModeSymlink != 0 {
				st, err := os.Stat(path)
				if err != nil {
					c.Skipped = append(c.Skipped, Skipped{Path: path, Reason: SkipBrokenLink})
					continue
				}
				isDir = st.IsDir()
				if isDir {
					if sameFileIndex(seen, st) >= 0 {
						c.Skipped = append(c.Skipped, Skipped{Path: path, Reason: SkipSeen})
						continue
					}
					seen = append(seen, st)
				}
			} else if isDir {
				st, err := os.Stat(path)
				if err != nil {
					return fmt.Errorf("corpus %q: %w", dir, err)
				}
				if sameFileIndex(seen, st) >= 0 {
					// already read through a link met earlier
					c.Skipped = append(c.Skipped, Skipped{Path: path, Reason: SkipSeen})
					continue
				}
				seen = append(seen, st)
			}
			switch {
			case isDir:
				if err := walk(path); err != nil {
					return err
				}
			case isSigMF(path):
				c.Paths = append(c.Paths, path)
			case isSigMF(strings.ToLower(path)):
				c.Skipped = append(c.Skipped, Skipped{Path: path, Reason: SkipUnreadable, Why: UpperCaseExtension(e.Name())})
			case strings.EqualFold(filepath.Ext(path), ".json") && metaFile(path):
				// rec.sigmf-meta.json: until 2026-12-07 left out unsaid
				c.Skipped = append(c.Skipped, Skipped{Path: path, Reason: SkipUnreadable, Why: sigmf.MisnamedMeta(e.Name()).Error()})
			case strings.HasSuffix(path, sigmf.DataExt):
				// its metadata in upper case or named .json is listed already
				meta := strings.ToLower(strings.TrimSuffix(e.Name(), sigmf.DataExt) + sigmf.MetaExt)
				if !names[meta] && !names[meta+".json"] {
					lone = append(lone, path)
				}
			}
		}
		return nil
	}
	if err := walk(dir); err != nil {
		return c, err
	}
	slices.Sort(c.Paths)
	// the same file by two paths (a link to it): keep one that is no
	// link (a link to a .sigmf-meta finds no data beside its own name),
	// else the first
	var kept []string
	var infos []os.FileInfo
	isLink := func(p string) bool { st, err := os.Lstat(p); return err == nil && st.Mode()&os.ModeSymlink != 0 }
	for _, p := range c.Paths {
		st, err := os.Stat(p)
		if err == nil {
			if i := sameFileIndex(infos, st); i >= 0 {
				if isLink(kept[i]) && !isLink(p) {
					kept[i], p = p, kept[i]
				}
				c.Skipped = append(c.Skipped, Skipped{Path: p, Reason: SkipSameFile, Why: "the same file as " + c.relName(kept[i])})
				continue
			}
		}
		kept, infos = append(kept, p), append(infos, st)
	}
	c.Paths = nil
	for _, p := range kept {
		c.Paths = append(c.Paths, archiveEntries(p)...)
	}
	for _, p := range c.unread(lone) {
		c.Skipped = append(c.Skipped, Skipped{Path: p, Reason: SkipNoMeta, Why: noMetaWhy})
	}
	return c, nil
}

// noMetaWhy says why a .sigmf-data file without metadata is passed over
// (SkipNoMeta), and what to do.
const noMetaWhy = "no .sigmf-meta of its name beside it, and no metadata in the corpus names it: its datatype and sample rate are unknown; write its metadata beside it"

// unread returns the data files of lone that no recording of c reads
// (ReadFiles: a .sigmf-meta naming a data file of another name in
// core:dataset or rfw:dataset). Until 2026-12-07 such a file was left out
// of a corpus run without a word.
func (c Corpus) unread(lone []string) []string {
	if len(lone) == 0 {
		return nil
	}
	var read []os.FileInfo
	for _, f := range c.ReadFiles("") {
		if st, err := os.Stat(f); err == nil {
			read = append(read, st)
		}
	}
	var out []string
	for _, p := range lone {
		if st, err := os.Stat(p); err != nil || sameFileIndex(read, st) < 0 {
			out = append(out, p)
		}
	}
	return out
}

// archiveEntries is the corpus entries of path: path itself, or, for a
// SigMF archive holding several recordings, one per recording:
// "day.sigmf:day-0/day-0" (ArchiveMember reads it back). An archive that
// cannot be listed is left to fail when opened.
func archiveEntries(path string) []string {
	if !strings.HasSuffix(path, sigmf.ArchiveExt) {
		return []string{path}
	}
	bases, err := sigmf.ArchiveRecordings(path)
	if err != nil || len(bases) < 2 {
		return []string{path}
	}
	out := make([]string, len(bases))
	for i, b := range bases {
		out[i] = path + ":" + b
	}
	return out
}

// ArchiveMember splits a corpus entry naming one recording of a SigMF
// archive of several ("day.sigmf:day-0/day-0", as FindCorpus lists them)
// into the archive's path and the recording's base name; ok is false for
// any other path (a .sigmf-meta, or an archive of one recording).
func ArchiveMember(entry string) (archive, base string, ok bool) {
	if strings.HasSuffix(entry, sigmf.MetaExt) || strings.HasSuffix(entry, sigmf.ArchiveExt) {
		return "", "", false
	}
	i := strings.LastIndex(entry, sigmf.ArchiveExt+":")
	if i < 0 {
		return "", "", false
	}
	return entry[:i+len(sigmf.ArchiveExt)], entry[i+len(sigmf.ArchiveExt)+1:], true
}

// metaFile reports whether the file at path holds SigMF metadata
// (sigmf.LooksLikeMeta); one that cannot be read, or is no regular
// file (a FIFO would wait for a writer), does not.
func metaFile(path string) bool {
	if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return sigmf.LooksLikeMeta(f)
}

// UpperCaseExtension says why a file whose SigMF extension is not in
// lower case ("REC.SIGMF-META", as a FAT card or a Windows share can
// leave it) is not read, and what to do: SigMF names its extensions in
// lower case, and the metadata's data file is found by its lower-case
// name.
func UpperCaseExtension(name string) string {
	ext := filepath.Ext(name)
	base := strings.TrimSuffix(name, ext)
	if strings.EqualFold(ext, sigmf.ArchiveExt) {
		return fmt.Sprintf("extension %q is not lower case: SigMF names an archive %s; rename it %s", ext, sigmf.ArchiveExt, base+sigmf.ArchiveExt)
	}
	return fmt.Sprintf("extension %q is not lower case: SigMF names the files %s and %s; rename them %s and %s", ext, sigmf.MetaExt, sigmf.DataExt, base+sigmf.MetaExt, base+sigmf.DataExt)
}

// CorpusFile is one scored corpus recording.
type CorpusFile struct {
	Path         string
	SampleRateHz float64
	Truth        []Truth
	Dets         []Detection
	Matched      Matched
	// Warnings name truth that contradicts itself or lies outside the
	// recorded band (CheckTruth).
	Warnings []string
}

// CorpusConfig says how RunCorpus scores a corpus.
type CorpusConfig struct {
	Pipeline pipeline.Config
	// IncludeOwn takes the annotations rfwarden's own detectors wrote
	// (IsOwnDetection) as truth too: whether a replay agrees with the
	// sensor or an earlier scan, not whether either is right.
	IncludeOwn bool
	// NoVerify scans data whose core:sha512 (or rfw:sha256) differs from
	// the metadata's, as `rfwarden scan --verify=false` does; by default
	// such a recording is refused (sigmf.Recording.Verify).
	NoVerify bool
	// VerifyProgress, when not nil, is called with the bytes of each
	// chunk the hash check (unless NoVerify) has read: the data's size
	// for each hash its metadata has, before the recording is scanned.
	VerifyProgress func(bytes int64)
	// DatasetRoot is the folder the samples an rfw:dataset names must be
	// in, after links (sigmf.Overrides.DatasetRoot): RunCorpus's default
	// is the corpus folder (Corpus.Dir), RunCorpusFile's the metadata's
	// own folder. Metadata whose rfw:dataset leads elsewhere is passed
	// over as unreadable.
	DatasetRoot string
	// Start, when not nil, is called once by RunCorpus, when the
	// recordings to score are known and before the first is scanned, with
	// the samples it will read: each recording's, and again for those
	// whose hash it checks (the check reads the data once per hash; it is
	// counted as once).
	Start func(totalSamples int64)
	// Progress, when not nil, is called with the samples of each block
	// scanned, of the hash check as it goes (in RunCorpus: the bytes
	// hashed taken as samples), and with the rest of a recording passed
	// over part way.
	Progress func(samples int64)
	// Notice, when not nil, is told, as they are met, of each recording
	// passed over for a reason the user should act on (unreadable, the
	// same data as another) and of each warning about a recording's truth:
	// "night1/a.sigmf-meta: passed over: ...".
	Notice func(msg string)
}

// ReadFiles returns the files the corpus's recordings are read from
// (sigmf.Recording.Files) and the files it passed over, so that an output
// can be checked against them: each metadata file and the data its
// recording reads, beside it, named by its core:dataset, or named by its
// rfw:dataset within root (RunCorpus's CorpusConfig.DatasetRoot; "" is
// c.Dir), or the archive. A recording that cannot be opened gives its
// metadata and the data file of its name beside it.
func (c Corpus) ReadFiles(root string) []string {
	if root == "" {
		root = c.Dir
	}
	var files []string
	for _, p := range c.Paths {
		rec, err := openCorpusFile(p, root)
		if err != nil {
			files = append(files, p)
			if base, ok := strings.CutSuffix(p, sigmf.MetaExt); ok {
				files = append(files, base+sigmf.DataExt)
			}
			continue
		}
		files = append(files, rec.Files()...)
		rec.Close()
	}
	for _, s := range c.Skipped {
		files = append(files, s.Path)
	}
	return files
}

// openCorpusFile opens a corpus recording as RunCorpusFile does: rfw:dataset
// followed (metadata `scan --annotate` wrote elsewhere) within root.
func openCorpusFile(path, root string) (*sigmf.Recording, error) {
	if archive, base, ok := ArchiveMember(path); ok {
		rec, err := sigmf.OpenArchiveRecording(archive, base, sigmf.Overrides{})
		if err != nil {
			return nil, fmt.Errorf("corpus: %w", err)
		}
		return rec, nil
	}
	rec, err := sigmf.OpenWith(path, sigmf.Overrides{FollowRFWDataset: true, DatasetRoot: root})
	if err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	return rec, nil
}

// truthOrSkip is the truth of rec, or an error wrapping ErrNoLabels (no
// truth, or blank labels only), ErrOwnLabelsOnly or ErrNoFrequency.
// Until 2026-12-07 a recording of ErrNoFrequency was scored: its
// detections, at offsets from an unknown centre, missed every target
// annotated at its RF frequency, without a word.
func truthOrSkip(rec *sigmf.Recording, path string, includeOwn bool) ([]Truth, error) {
	labelled := func(t Truth) bool { return strings.TrimSpace(t.Label) != "" }
	truth := TruthOf(rec.Meta(), includeOwn)
	if !slices.ContainsFunc(truth, labelled) {
		if !includeOwn && slices.ContainsFunc(TruthOf(rec.Meta(), true), labelled) {
			return nil, fmt.Errorf("corpus %q: %w", path, ErrOwnLabelsOnly)
		}
		return nil, fmt.Errorf("corpus %q: %w", path, ErrNoLabels)
	}
	hasEdges := func(t Truth) bool { return !math.IsInf(t.FreqLowHz, 0) && !math.IsInf(t.FreqHighHz, 0) }
	if RecordedBands(rec) == nil && slices.ContainsFunc(truth, hasEdges) {
		return nil, fmt.Errorf("corpus %q: %w", path, ErrNoFrequency)
	}
	return truth, nil
}

// RecordedBands returns the RF band of each tuning of rec, [centre -
// rate/2, centre + rate/2] in Hz, or nil when a capture's centre is not
// known.
func RecordedBands(rec *sigmf.Recording) [][2]float64 {
	var out [][2]float64
	half := rec.SampleRateHz() / 2
	caps := rec.Meta().Captures
	if len(caps) == 0 {
		return nil
	}
	for _, c := range caps {
		if c.FrequencyHz == 0 {
			return nil
		}
		b := [2]float64{c.FrequencyHz - half, c.FrequencyHz + half}
		if !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	return out
}

// RunCorpusFile opens one SigMF recording (following rfw:dataset within
// cc.DatasetRoot), checks
// its data against its hash unless cc.NoVerify, runs it through the
// pipeline and matches the detections with its labelled annotations
// (TruthOf). A recording without them returns an error wrapping
// ErrNoLabels or ErrOwnLabelsOnly, one whose annotations' frequency edges
// cannot be placed ErrNoFrequency. cc.VerifyProgress is called as it
// checks the hash and cc.Progress as it scans; both stop when ctx ends.
func RunCorpusFile(ctx context.Context, path string, cc CorpusConfig) (CorpusFile, error) {
	rec, err := openCorpusFile(path, cc.DatasetRoot)
	if err != nil {
		return CorpusFile{}, err
	}
	defer rec.Close()
	truth, err := truthOrSkip(rec, path, cc.IncludeOwn)
	if err != nil {
		return CorpusFile{}, err
	}
	if !cc.NoVerify {
		if err := rec.VerifyContext(ctx, cc.VerifyProgress); err != nil {
			if ctx.Err() != nil { // interrupted, not a wrong hash
				return CorpusFile{}, fmt.Errorf("corpus: %w", err)
			}
			return CorpusFile{}, fmt.Errorf("corpus: %w (the data is not what the metadata was written for; score it anyway with --verify=false)", err)
		}
	}
	var progress func(int)
	if cc.Progress != nil {
		progress = func(n int) { cc.Progress(int64(n)) }
	}
	zeros := &zeroRuns{start: -1}
	res, err := scanRecording(ctx, rec, cc.Pipeline, progress, zeros)
	if err != nil {
		return CorpusFile{}, fmt.Errorf("corpus: %w", err)
	}
	zeros.end(rec.NumSamples())
	bands := RecordedBands(rec)
	f := CorpusFile{Path: path, SampleRateHz: rec.SampleRateHz(), Truth: truth, Warnings: CheckTruth(truth, bands)}
	if w := markerWarning(rec.Meta(), cc.IncludeOwn); w != "" {
		f.Warnings = append(f.Warnings, w)
	}
	for _, r := range res {
		f.Dets = append(f.Dets, DetectionOf(r))
	}
	f.Matched = MatchIn(truth, f.Dets, bands)
	if w := leaveOutZeros(&f.Matched, truth, bands, zeros.runs, f.SampleRateHz); w != "" {
		f.Warnings = append(f.Warnings, w)
	}
	return f, nil
}

// leaveOutZeros takes the runs of zeros (zeroRuns) out of m's noise time
// and says so, or returns "" when the recording has none. Zeros are no
// receiver noise: until 2026-12-06 a file of zeros labelled noise was
// scored as clean noise, bounding the false-alarm rate with nothing
// looked at.
func leaveOutZeros(m *Matched, truth []Truth, bandsHz [][2]float64, runs [][2]int64, sampleRateHz float64) string {
	if len(runs) == 0 {
		return ""
	}
	var zero int64
	for _, r := range runs {
		zero += r[1] - r[0]
	}
	weighted, window := noiseTime(truth, bandsHz, runs)
	inNoise := m.NoiseWindowSample - window // MatchIn's windows, zeros in
	m.NoiseSample, m.NoiseWindowSample = int64(math.Round(weighted)), window
	where := fmt.Sprintf("samples %d..%d", runs[0][0], runs[0][1])
	if len(runs) > 1 {
		where = fmt.Sprintf("%d runs, the first samples %d..%d", len(runs), runs[0][0], runs[0][1])
	}
	w := fmt.Sprintf("%d samples (%.6f s) are exactly zero (%s): no receiver noise, but a receiver that delivered nothing or a pre-allocated file; nothing there can be detected",
		zero, float64(zero)/sampleRateHz, where)
	if inNoise > 0 {
		w += fmt.Sprintf(", and the %.6f s of them in noise windows are left out of the noise time", float64(inNoise)/sampleRateHz)
	}
	return w
}

// CorpusRun is what RunCorpus scored, and what it passed over.
type CorpusRun struct {
	Corpus              // Skipped adds the recordings not scored to FindCorpus's
	Tally  *Tally       // the scored recordings
	Files  []CorpusFile // ... one by one
	Read   int          // recordings read (scored or passed over)
}

// Report is the Tally's report with what only a corpus has: the
// recordings passed over, the labels naming no class and the warnings
// about the truth.
func (r *CorpusRun) Report() Report {
	rep := r.Tally.Report()
	for _, s := range r.Skipped {
		s.Path = r.relName(s.Path)
		rep.Skipped = append(rep.Skipped, s)
	}
	counts := map[string]int{}
	for _, f := range r.Files {
		for _, t := range f.Truth {
			if Unmapped(t.Label) {
				counts[blankAsEmpty(t.Label)]++
			}
		}
		for _, w := range f.Warnings {
			rep.Warnings = append(rep.Warnings, r.relName(f.Path)+": "+w)
		}
	}
	for l, n := range counts {
		rep.Unmapped = append(rep.Unmapped, LabelCount{Label: l, Count: n})
	}
	slices.SortFunc(rep.Unmapped, func(a, b LabelCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Label, b.Label))
	})
	return rep
}

// blankAsEmpty is label, or "" when it is only spaces: blank labels are
// counted as one.
func blankAsEmpty(label string) string {
	if strings.TrimSpace(label) == "" {
		return ""
	}
	return label
}

// candidate is a recording RunCorpus may score, as its first look found it.
type candidate struct {
	path    string
	data    os.FileInfo // the file the samples are read from (a pair's data file, an archive), or nil
	dataOff int64       // where in it they start (an archive's data member)
	samples int64
	verify  int64 // bytes the hash check reads (0: none, or NoVerify)
	user    int   // truth records not from rfwarden's own detectors
	own     int   // annotations rfwarden's own detectors wrote
	// extracted is, for an archive, where `tar xf` in the archive's
	// folder puts its metadata member ("day/rec.sigmf" holding
	// "rec/rec.sigmf-meta": "day/rec/rec.sigmf-meta"), or "".
	extracted string
}

// extractedPath is where `tar xf` in the folder of the archive at path
// puts the metadata member of rec, the recording read from it, or "" when
// rec is not read from an archive member.
func extractedPath(path string, rec *sigmf.Recording) string {
	member, ok := strings.CutPrefix(rec.Path(), path+":")
	if !ok || !strings.HasSuffix(member, sigmf.DataExt) {
		return ""
	}
	return filepath.Join(filepath.Dir(path), filepath.FromSlash(strings.TrimSuffix(member, sigmf.DataExt)+sigmf.MetaExt))
}

// sameSamples reports whether the recordings at paths a and b hold the
// same samples: the same count, and the same core:sha512 when both have
// one, else the same samples read (a digest of their bits).
func sameSamples(ctx context.Context, a, b, root string) bool {
	count := func(p string) (n int64, sha string) {
		rec, err := openCorpusFile(p, root)
		if err != nil {
			return -1, ""
		}
		defer rec.Close()
		sha, _ = rec.Meta().Global.Extra["core:sha512"].(string)
		return rec.NumSamples(), strings.ToLower(sha)
	}
	na, sa := count(a)
	nb, sb := count(b)
	if na < 0 || na != nb {
		return false
	}
	if sa != "" && sb != "" {
		return sa == sb
	}
	da, ea := sampleDigest(ctx, a, root)
	db, eb := sampleDigest(ctx, b, root)
	return ea == nil && eb == nil && da == db
}

// sampleDigest is a SHA-256 of the bits of every sample of the recording
// at path, as read (so any datatype and header bytes compare as samples).
func sampleDigest(ctx context.Context, path, root string) (string, error) {
	rec, err := openCorpusFile(path, root)
	if err != nil {
		return "", err
	}
	defer rec.Close()
	h := sha256.New()
	buf := make([]complex64, BlockSamples)
	raw := make([]byte, 8*BlockSamples)
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		n, err := rec.Read(buf)
		for i, v := range buf[:n] {
			binary.LittleEndian.PutUint32(raw[8*i:], math.Float32bits(real(v)))
			binary.LittleEndian.PutUint32(raw[8*i+4:], math.Float32bits(imag(v)))
		}
		h.Write(raw[:8*n])
		if errors.Is(err, io.EOF) {
			return hex.EncodeToString(h.Sum(nil)), nil
		}
		if err != nil {
			return "", err
		}
	}
}

// HashedAsSamples returns a hash check's progress (sigmf.Recording.
// VerifyContext's, in bytes) that calls add with the samples those bytes
// stand for: verifyBytes hashed (Recording.VerifyBytes, the data once per
// hash) count as reading the recording's samples once. scan's bar and
// RunCorpus's Progress count the check so.
func HashedAsSamples(samples, verifyBytes int64, add func(samples int64)) func(bytes int64) {
	var hashed int64
	return func(n int64) {
		was := hashed * samples / max(verifyBytes, 1)
		hashed += n
		if d := hashed*samples/max(verifyBytes, 1) - was; d > 0 {
			add(d)
		}
	}
}

// work is the progress units k takes: its samples, twice when its hash
// is checked (the check counts as reading them once, whatever the number
// of hashes).
func (k candidate) work() int64 {
	if k.verify > 0 {
		return 2 * k.samples
	}
	return k.samples
}

// RunCorpus scores every labelled recording of c (see FindCorpus). It
// first opens each to see what it holds, passing over, in Skipped, those
// without truth (see RunCorpusFile), those that cannot be read, and
// metadata naming the same samples as another (a data file, or an
// archive's data member: Recording.DataFile): of those, the one with
// the most truth not written by rfwarden's own detectors is scored, then
// the one with fewest such annotations (the input of a `scan --annotate`
// rather than its output), then the first by path. A recording that fails
// when scanned (its data unreadable, its hash wrong) is passed over too,
// and the rest scored. cc.Notice is told of each passed over for a reason
// to act on, and of each warning. It fails with ErrNoCorpus when nothing
// was scored, returning the run to say what was passed over. When ctx
// ends first, it returns what was scored before the recording it was
// reading, with a *RunInterruptedError.
func RunCorpus(ctx context.Context, c Corpus, cc CorpusConfig) (*CorpusRun, error) {
	run := &CorpusRun{Corpus: c, Tally: NewTally()}
	if cc.DatasetRoot == "" {
		cc.DatasetRoot = c.Dir
	}
	run.Skipped = slices.Clone(c.Skipped)
	notice := func(format string, a ...any) {
		if cc.Notice != nil {
			cc.Notice(fmt.Sprintf(format, a...))
		}
	}
	// Up to maxNamed of each reason are named as they are met; the rest
	// are counted at the end (SkipSummary): 3000 hard links to one data
	// file gave 2999 lines.
	named := map[SkipReason]int{}
	noticeSkip := func(p string, r SkipReason, why string) {
		named[r]++
		switch {
		case named[r] <= maxNamed:
			notice("%s: passed over: %s", c.relName(p), why)
		case named[r] == maxNamed+1:
			notice("more passed over (%s): counted at the end", r)
		}
	}
	skip := func(p string, r SkipReason, err error) {
		why := ""
		if err != nil {
			why = err.Error()
		}
		run.Skipped = append(run.Skipped, Skipped{Path: p, Reason: r, Why: why})
		if r == SkipUnreadable || r == SkipNoFrequency {
			noticeSkip(p, r, why)
		}
	}
	for _, s := range c.Skipped {
		if s.Reason == SkipSameFile || s.Reason == SkipUnreadable || s.Reason == SkipNoMeta {
			noticeSkip(s.Path, s.Reason, s.Why)
		}
	}
	var cands []candidate
	for _, p := range c.Paths {
		rec, err := openCorpusFile(p, cc.DatasetRoot)
		if err != nil {
			run.Read++
			skip(p, SkipUnreadable, err)
			continue
		}
		_, terr := truthOrSkip(rec, p, cc.IncludeOwn)
		k := candidate{path: p, samples: rec.NumSamples()}
		if !cc.NoVerify {
			k.verify = rec.VerifyBytes()
		}
		// an archive's samples too (until 2026-12-05 only a pair's data
		// file was compared): scan --annotate of an archive names it
		if f, off := rec.DataFile(); f != "" {
			k.data, _ = os.Stat(f)
			k.dataOff = off
		}
		archive := p
		if a, _, ok := ArchiveMember(p); ok {
			archive = a
		}
		if strings.HasSuffix(archive, sigmf.ArchiveExt) {
			k.extracted = extractedPath(archive, rec)
		}
		for _, a := range rec.Meta().Annotations {
			switch {
			case IsOwnDetection(a.Generator):
				k.own++
			case strings.TrimSpace(a.Label) != "":
				k.user++
			}
		}
		rec.Close()
		switch {
		case errors.Is(terr, ErrNoLabels):
			run.Read++
			skip(p, SkipNoLabels, nil)
			continue
		case errors.Is(terr, ErrOwnLabelsOnly):
			run.Read++
			skip(p, SkipOwnLabels, nil)
			continue
		case errors.Is(terr, ErrNoFrequency):
			run.Read++
			skip(p, SkipNoFrequency, ErrNoFrequency)
			continue
		}
		cands = append(cands, k)
	}
	// metadata files naming the same data, and an archive and its copy
	// extracted beside it: score the preferred one
	copies := map[[2]int]bool{}
	for i, k := range cands {
		for j, o := range cands {
			if k.extracted != "" && k.extracted == o.path && sameSamples(ctx, k.path, o.path, cc.DatasetRoot) {
				copies[[2]int{i, j}], copies[[2]int{j, i}] = true, true
			}
		}
	}
	var chosen []candidate
	for i, k := range cands {
		best := i
		for j, o := range cands {
			sameFile := k.data != nil && o.data != nil && os.SameFile(k.data, o.data) && k.dataOff == o.dataOff
			if j == i || !sameFile && !copies[[2]int{i, j}] {
				continue
			}
			if cmp.Or(cmp.Compare(o.user, cands[best].user), cmp.Compare(cands[best].own, o.own), cmp.Compare(best, j)) > 0 {
				best = j
			}
		}
		if best != i {
			run.Read++
			why := fmt.Sprintf("names the same data as %s, scored instead", c.relName(cands[best].path))
			if copies[[2]int{i, best}] {
				why = fmt.Sprintf("holds the same recording as %s (extracted from it, or it from this), scored instead", c.relName(cands[best].path))
			}
			run.Skipped = append(run.Skipped, Skipped{Path: k.path, Reason: SkipSameData, Why: why})
			noticeSkip(k.path, SkipSameData, why)
			continue
		}
		chosen = append(chosen, k)
	}
	if cc.Start != nil {
		var total int64
		for _, k := range chosen {
			total += k.work()
		}
		cc.Start(total)
	}
	todo := run.Read + len(chosen)
	for _, k := range chosen {
		var done int64
		fc := cc
		fc.Progress = func(n int64) {
			done += n
			if cc.Progress != nil {
				cc.Progress(n)
			}
		}
		asSamples := HashedAsSamples(k.samples, k.verify, fc.Progress)
		fc.VerifyProgress = func(n int64) {
			asSamples(n)
			if cc.VerifyProgress != nil {
				cc.VerifyProgress(n)
			}
		}
		f, err := RunCorpusFile(ctx, k.path, fc)
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return run, &RunInterruptedError{At: c.relName(k.path), Done: run.Read, Of: todo, Err: cerr}
			}
		}
		run.Read++
		switch {
		case errors.Is(err, ErrNoLabels): // changed since the first look
			skip(k.path, SkipNoLabels, nil)
		case errors.Is(err, ErrOwnLabelsOnly):
			skip(k.path, SkipOwnLabels, nil)
		case errors.Is(err, ErrNoFrequency):
			skip(k.path, SkipNoFrequency, ErrNoFrequency)
		case err != nil:
			skip(k.path, SkipUnreadable, err)
		}
		if err != nil {
			if cc.Progress != nil && k.work() > done {
				cc.Progress(k.work() - done)
			}
			continue
		}
		for _, w := range f.Warnings {
			notice("%s: %s", c.relName(k.path), w)
		}
		run.Tally.Add(strings.TrimSuffix(strings.TrimSuffix(c.relName(k.path), sigmf.MetaExt), sigmf.ArchiveExt), f.Matched, f.SampleRateHz)
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

// sameFileIndex is the index in infos (nil entries passed over) of the
// file st is, or -1.
func sameFileIndex(infos []os.FileInfo, st os.FileInfo) int {
	return slices.IndexFunc(infos, func(s os.FileInfo) bool { return s != nil && os.SameFile(s, st) })
}
