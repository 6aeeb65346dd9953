package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/internal/english"
	"github.com/rfwarden/rfwarden/sensor/eval"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/replay"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

const scanUsage = `usage: rfwarden scan [flags] FILE...

Scan IQ recordings for emissions. FILE is a SigMF recording (.sigmf-meta,
.sigmf-data or a .sigmf archive) or a raw interleaved IQ file with --datatype,
--rate and --center (a .sigmf-data without its .sigmf-meta is read as one;
without --center, frequencies are offsets from the tuning and nothing is
classified, which scan says on stderr). A raw file that is a WAV file (IQ as
SDR++, SDR# and HDSDR record it: 2 channels of 16-bit PCM, 32-bit float or
8-bit PCM) is read from its data chunk, its header giving the datatype and
rate: --datatype and --rate may be left out, and given must agree with it. SigMF extensions are lower case:
REC.SIGMF-META is refused, saying what to rename it to. A .sigmf archive
of several recordings is scanned one recording after the other, each named
ARCHIVE:BASE (day.sigmf:day-0/day-0). Every FILE is checked before any is
scanned: one that cannot be read, or is too short to analyse, refuses the
scan, naming every such FILE at once. Those flags describe the raw files: a SigMF recording
scanned with them must agree with each (--center with every capture's
frequency), or the scan is refused before any FILE is scanned, naming the
recording and the key; a field its metadata lacks is filled in. --override
makes each of them replace that one field of a SigMF recording's metadata
instead, keeping the rest: for metadata known to be wrong (--center sets
every capture's frequency, so the captures must share one).

An emission longer than 500 ms is reported in pieces of the whole detector
frames that fit in 500 ms (499.994 ms at 10 Msps), each starting where the
last ended (a 2 s carrier at 10 Msps is five rows: four pieces and a
0.026 ms tail); the last piece is what was left when the emission or the
file ended, and may be too short to classify ("unconfirmed: too short").

The table's start_s is seconds from the recording's first sample to the
emission's: when every capture has a core:datetime (a recording with gaps, as
demo --record writes) it counts the time between captures, otherwise it is
the sample index over the sample rate, with the samples lost before it
counted where the captures' core:global_index says some were (a receiver
overflow: the emissions in flight end there, as at a gap in time).

--annotate OUT writes OUT.sigmf-meta (.sigmf-meta is added when OUT lacks it;
an empty OUT is refused, where it was taken as no --annotate):
the input's metadata, with its own annotations (ground truth) kept, those an
earlier rfwarden scan wrote (core:generator rfwarden) dropped, and this scan's
detections added. It refuses, before scanning, an OUT that is a file the scan
reads, and an OUT.sigmf-data beside it that holds other samples (SigMF tools
would read the detections against them). Of a .sigmf archive, whose samples
are a member of it, rfw:dataset names the archive (relative to OUT) and scan
and eval read OUT over the archive's samples; until 2026-12-05 it named
"X.sigmf:X/X.sigmf-data", which no tool could read.

Metadata with no data beside it is read through its rfw:dataset (a path
relative to the metadata's folder, as --annotate writes for an OUT
elsewhere), as eval reads it: the samples must be, after links, in the
metadata's own folder or in --dataset-root DIR, else it is refused (until
2026-12-07 scan never followed it: "its samples are not beside it").

A SigMF recording whose data differs from its metadata's core:sha512 (or
rfw:sha256) is refused before the scan; --verify=false scans it anyway.

Interrupted (Ctrl-C or SIGTERM), scan prints what it found in the file so
far (an emission still going ends where the scan stopped), says how far it
got ("interrupted at 42% of FILE") and exits 1. It writes no --annotate
OUT then: SigMF tools would read the annotations of part of a recording as
a whole scan. Interrupted in the hash check, before the scan, it says
"interrupted at 0% of FILE, while checking its data against core:sha512
(38% hashed)" (until 2026-12-05: "stopped after N of M bytes: context
canceled").

A recording is refused, naming the fields, when its core:sample_rate is
outside 1 to 1e11 samples/s, or when a capture's band, core:frequency less
half the sample rate, reaches below 0 Hz (until 2026-12-05 it was scanned,
and reported emissions at negative frequencies); a capture without
core:frequency (baseband), or metadata with no captures, is scanned as
before, saying on stderr that it has no centre frequency.
`

// scanOptions are the parsed flags of `rfwarden scan`.
type scanOptions struct {
	json     bool
	annotate string
	datatype string
	rateHz   float64
	centerHz float64
	pfa      float64
	fileCol  int // width of the table's file column: the longest FILE, at least fileColMin
	override bool
	progress bool
	classify bool
	verify   bool
	// datasetRoot is the folder the samples an rfw:dataset names must be
	// in (--dataset-root; "": the metadata's own folder).
	datasetRoot string
}

// cmdScan runs `rfwarden scan`.
func cmdScan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, scanUsage); printDefaults(fs) }
	var o scanOptions
	fs.BoolVar(&o.json, "json", false, "print one JSON object per detection")
	fs.StringVar(&o.annotate, "annotate", "", "write the input's SigMF metadata plus the detections as annotations to `OUT.sigmf-meta` (one FILE only, never OUT the input; SigMF tools find the samples when OUT is beside the input's data, otherwise rfw:dataset says where they are: their file, or the .sigmf archive holding them, which scan and eval read)")
	fs.StringVar(&o.datatype, "datatype", "", "raw file sample format, a complex SigMF datatype: ci8, cu8, ci16_le, ci16_be, cu16_le, cu16_be, ci32_le, ci32_be, cu32_le, cu32_be, cf32_le, cf32_be, cf64_le, cf64_be (a SigMF recording's core:datatype must agree, unless --override)")
	fs.Float64Var(&o.rateHz, "rate", 0, "raw file sample rate, samples/s (a SigMF recording's core:sample_rate must agree, unless --override)")
	fs.Float64Var(&o.centerHz, "center", 0, "raw file centre frequency, Hz, up to 1e12 (every capture's core:frequency of a SigMF recording must agree, unless --override)")
	fs.BoolVar(&o.override, "override", false, "let --datatype, --rate and --center replace those fields of a SigMF recording's metadata, for metadata known to be wrong")
	fs.Float64Var(&o.pfa, "pfa", 0, "detector per-cell false-alarm probability (default 1e-9)")
	fs.BoolVar(&o.classify, "classify", true, "label detections with the classifiers (false: detect only, label \"unknown\")")
	fs.BoolVar(&o.verify, "verify", true, "check a SigMF recording's data against its core:sha512 (and rfw:sha256) before scanning; false scans data whose metadata's hash is known to be stale")
	fs.StringVar(&o.datasetRoot, "dataset-root", "", "the folder `DIR` the samples a recording's rfw:dataset names must be in, after links (default: the metadata's own folder); an rfw:dataset leading out of it is refused")
	fs.BoolVar(&o.progress, "progress", false, "show progress on stderr even when it is not a terminal (there as a line every 5 s)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if err := flagAfterArg(fs); err != nil {
		return err
	}
	if flagSet(fs, "annotate") && strings.TrimSpace(o.annotate) == "" {
		// was taken as no --annotate: the scan ran and wrote nothing
		return fmt.Errorf("scan: --annotate %q names no file: give OUT.sigmf-meta, or leave --annotate out", o.annotate)
	}
	files := fs.Args()
	if len(files) == 0 {
		fs.Usage()
		return errUsage
	}
	if o.annotate != "" && len(files) != 1 {
		return fmt.Errorf("scan: --annotate takes exactly one FILE, got %d", len(files))
	}
	if err := checkPFAFlag(o.pfa); err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	// each flag named alone: --rate Inf said "--rate +Inf and --center 0
	// must be finite", naming a --center never given
	if math.IsInf(o.rateHz, 0) {
		return fmt.Errorf("scan: --rate %v must be finite", o.rateHz)
	}
	if math.IsInf(o.centerHz, 0) {
		return fmt.Errorf("scan: --center %v must be finite", o.centerHz)
	}
	if o.rateHz != 0 && (o.rateHz < sigmf.MinSampleRateHz || o.rateHz > sigmf.MaxSampleRateHz) {
		// a raw file's --rate 1e300 was refused as "core:sample_rate
		// 1e+300", a metadata key the user never wrote
		return fmt.Errorf("scan: --rate %g samples/s: give a sample rate from %g to %g samples/s", o.rateHz, sigmf.MinSampleRateHz, sigmf.MaxSampleRateHz)
	}
	if o.centerHz > sigmf.MaxFrequencyHz {
		// as a recording's core:frequency, or --center with --override:
		// a raw file's --center 1e20 was scanned, center_MHz 1e14
		return fmt.Errorf("scan: --center %g Hz: give a positive RF centre frequency up to %g Hz", o.centerHz, sigmf.MaxFrequencyHz)
	}
	// An archive of several recordings (SigMF allows it) is scanned one
	// recording after the other, each named ARCHIVE:BASE as eval names it.
	var expanded []string
	for _, f := range files {
		bases := archiveRecordings(f)
		if len(bases) < 2 {
			expanded = append(expanded, f)
			continue
		}
		if o.annotate != "" {
			return fmt.Errorf("scan %q: --annotate takes one recording, and the archive holds %d (%s, ...); scan them without --annotate, or extract the one to annotate", f, len(bases), bases[0])
		}
		for _, b := range bases {
			expanded = append(expanded, f+":"+b)
		}
	}
	files = expanded
	// Refuse the FILEs that cannot be scanned as asked before scanning
	// any, naming every one: until 2026-12-07 scan stopped at the first,
	// and an analyst fixed them one run at a time.
	var bad []error
	for _, f := range files {
		if err := checkScanInput(f, o); err != nil {
			bad = append(bad, err)
		}
	}
	switch {
	case len(bad) == 1:
		return bad[0]
	case len(bad) > 1:
		return fmt.Errorf("scan: %d of the %d files cannot be scanned, so none was:\n%w", len(bad), len(files), errors.Join(bad...))
	}
	o.fileCol = fileColMin
	for _, f := range files {
		o.fileCol = max(o.fileCol, utf8.RuneCountInString(f))
	}
	header := !o.json
	for i, f := range files {
		if err := scanFile(ctx, f, o, stdout, stderr, &header); err != nil {
			var ie *scanInterrupted
			if errors.As(err, &ie) {
				ie.filesLeft = len(files) - 1 - i
			}
			return err
		}
	}
	return nil
}

// fileColMin is the least width of the table's file column, in characters.
const fileColMin = 44

// scanInterrupted is the error of a scan stopped by its context (Ctrl-C)
// part way through a file, after it printed what it had found.
type scanInterrupted struct {
	path      string                 // FILE as given
	err       *eval.InterruptedError // how far it got
	rateHz    float64
	out       string // the --annotate OUT not written, if any
	asJSON    bool
	filesLeft int // FILEs after it, not scanned
	// verify, when not "", says it stopped in the hash check, before
	// the scan: "core:sha512 (38% hashed)".
	verify string
}

// verifyStop says which hash the check of rec was computing when it
// stopped, hashed of verifyBytes (Recording.VerifyBytes) in, and how far
// in that hash it got: "core:sha512 (38% hashed)". The hashes are
// computed one after the other, each over the whole data.
func verifyStop(rec *sigmf.Recording, hashed, verifyBytes int64) string {
	var keys []string
	for _, k := range []string{"core:sha512", "rfw:sha256"} {
		if _, ok := rec.Meta().Global.Extra[k]; ok {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 || verifyBytes <= 0 {
		return "its hash"
	}
	size := verifyBytes / int64(len(keys))
	i := min(hashed/max(size, 1), int64(len(keys)-1))
	return fmt.Sprintf("%s (%d%% hashed)", keys[i], 100*(hashed-i*size)/max(size, 1))
}

// Error says where the scan stopped, and what that means for its output:
// "scan: interrupted at 42% of night1/s1.sigmf-meta (6.7 of 16 s scanned);
// the rows above are what it found before".
func (e *scanInterrupted) Error() string {
	what := "rows"
	if e.asJSON {
		what = "lines"
	}
	msg := fmt.Sprintf("scan: interrupted at %d%% of %s (%s of %s s scanned); the %s above are what it found before",
		e.err.Percent(), e.path, fmtSeconds(float64(e.err.DoneSamples)/e.rateHz), fmtSeconds(float64(e.err.TotalSamples)/e.rateHz), what)
	if e.verify != "" {
		// until 2026-12-05: "core:sha512: stopped after N of M bytes: context canceled"
		msg = fmt.Sprintf("scan: interrupted at 0%% of %s, while checking its data against %s; nothing of it was scanned", e.path, e.verify)
	}
	switch {
	case e.out != "" && e.verify != "":
		msg += fmt.Sprintf("; %s not written", e.out)
	case e.out != "":
		msg += fmt.Sprintf("; %s not written (an annotation file of part of a recording would read as a whole scan)", e.out)
	}
	if e.filesLeft > 0 {
		msg += fmt.Sprintf("; %d %s after it not scanned", e.filesLeft, english.Plural(e.filesLeft, "file", "files"))
	}
	return msg
}

// Unwrap returns the scan's error, which wraps the context's.
func (e *scanInterrupted) Unwrap() error { return e.err }

// fmtSeconds formats seconds with three significant digits, whole
// seconds from 100 s.
func fmtSeconds(s float64) string {
	if s >= 100 {
		return fmt.Sprintf("%.0f", s)
	}
	return fmt.Sprintf("%.3g", s)
}

// isSigMFName reports whether path names a SigMF file by its extension.
func isSigMFName(path string) bool {
	return strings.HasSuffix(path, sigmf.MetaExt) || strings.HasSuffix(path, sigmf.DataExt) ||
		strings.HasSuffix(path, sigmf.ArchiveExt)
}

// openScanInput opens path as a SigMF recording, or as a raw IQ file with
// the flags' datatype, rate and centre (a .sigmf-data without its
// .sigmf-meta too). Flags given for a SigMF recording
// must agree with its metadata (sigmf.Overrides.MustAgree), or, with
// --override, replace those fields of it and keep the rest.
func openScanInput(path string, o scanOptions) (*sigmf.Recording, error) {
	st, err := os.Stat(path)
	if archive, base, ok := eval.ArchiveMember(path); ok && errors.Is(err, os.ErrNotExist) {
		// one recording of an archive of several (archiveRecordings)
		rec, err := sigmf.OpenArchiveRecording(archive, base, sigmf.Overrides{Datatype: o.datatype, SampleRateHz: o.rateHz, CenterHz: o.centerHz, MustAgree: !o.override})
		if errors.Is(err, sigmf.ErrOverride) && !o.override {
			return nil, fmt.Errorf("scan %q: %w (--datatype, --rate and --center describe raw files; --override makes them replace a SigMF recording's own)", path, err)
		}
		if err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		return rec, nil
	}
	if errors.Is(err, os.ErrNotExist) && !isSigMFName(path) {
		// A recording's base name, as sigmf.Open takes it.
		if _, merr := os.Stat(path + sigmf.MetaExt); merr == nil {
			path += sigmf.MetaExt
			st, err = os.Stat(path)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("scan %q: is a directory; give the recordings in it (e.g. %s)", path, filepath.Join(path, "*"+sigmf.MetaExt))
	}
	switch {
	case math.IsNaN(o.rateHz) || o.rateHz < 0: // 0: not given
		return nil, fmt.Errorf("scan %q: sample rate %v is not positive (use --rate)", path, o.rateHz)
	case math.IsNaN(o.centerHz) || math.IsInf(o.centerHz, 0) || o.centerHz < 0:
		return nil, fmt.Errorf("scan %q: centre frequency %v is not valid (use --center)", path, o.centerHz)
	}
	if lower := strings.ToLower(path); !isSigMFName(path) && isSigMFName(lower) &&
		(o.datatype == "" || !strings.HasSuffix(lower, sigmf.DataExt)) {
		// REC.SIGMF-META: until 2026-12-06 "no datatype (use --datatype
		// or a .sigmf-meta)"; with --datatype, the JSON read as samples
		return nil, fmt.Errorf("scan %q: %s (a %s in other case can be scanned as a raw file with --datatype, --rate and --center)", path, eval.UpperCaseExtension(filepath.Base(path)), sigmf.DataExt)
	}
	if meta := strings.TrimSuffix(path, sigmf.DataExt) + sigmf.MetaExt; strings.HasSuffix(path, sigmf.DataExt) {
		if _, err := os.Stat(meta); errors.Is(err, os.ErrNotExist) {
			if o.datatype == "" && !sigmf.IsWAV(path) {
				return nil, fmt.Errorf("scan %q: no %s beside it; scan it as a raw file with --datatype, --rate and --center", path, filepath.Base(meta))
			}
			return openRaw(path, o)
		}
	}
	if isSigMFName(path) {
		rec, err := sigmf.OpenWith(path, sigmf.Overrides{Datatype: o.datatype, SampleRateHz: o.rateHz, CenterHz: o.centerHz, MustAgree: !o.override,
			FollowRFWDataset: true, DatasetRoot: o.datasetRoot})
		if errors.Is(err, sigmf.ErrOverride) && !o.override {
			return nil, fmt.Errorf("scan %q: %w (--datatype, --rate and --center describe raw files; --override makes them replace a SigMF recording's own)", path, err)
		}
		if err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		return rec, nil
	}
	if o.datatype == "" && !sigmf.IsWAV(path) {
		return nil, fmt.Errorf("scan %q: no datatype (use --datatype or a .sigmf-meta)", path)
	}
	return openRaw(path, o)
}

// noCentre says why the frequencies of rec, opened from path, are offsets
// from an unknown tuning ("a raw file without --center", "no
// core:frequency in captures[0]; --center gives it"), or is "" when every
// capture has its centre frequency.
func noCentre(path string, rec *sigmf.Recording) string {
	why := replay.NoCentre(rec.Meta())
	if why == "" {
		return ""
	}
	if files := rec.Files(); len(rec.Meta().Captures) > 0 && len(files) == 1 && files[0] == path && !strings.HasSuffix(path, sigmf.ArchiveExt) {
		return "a raw file without --center"
	}
	return why + "; --center gives it"
}

// archiveRecordings lists the recordings of path when it is a SigMF
// archive (sigmf.ArchiveRecordings), or returns nil for any other file.
// An archive that cannot be listed returns nil too: opening it says why.
func archiveRecordings(path string) []string {
	if !strings.HasSuffix(path, sigmf.ArchiveExt) {
		return nil
	}
	bases, _ := sigmf.ArchiveRecordings(path)
	return bases
}

// openRaw opens path as a raw IQ file of the flags' datatype, rate and
// centre; a WAV file's header gives its datatype and rate, which the flags,
// when given, must agree with.
func openRaw(path string, o scanOptions) (*sigmf.Recording, error) {
	if !(o.rateHz > 0) && !sigmf.IsWAV(path) {
		return nil, fmt.Errorf("scan %q: sample rate %v is not positive (use --rate)", path, o.rateHz)
	}
	rec, err := sigmf.OpenRaw(path, o.datatype, o.rateHz, o.centerHz)
	if errors.Is(err, sigmf.ErrOverride) {
		return nil, fmt.Errorf("scan: %w (a WAV file's header gives its datatype and sample rate: leave out --datatype and --rate)", err)
	}
	if err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	return rec, nil
}

// scanFile scans one recording and prints its detections, after the
// table header when *header is set (which it then clears). Everything that
// can be checked before the scan is: a recording too short to analyse, or
// an --annotate OUT that cannot be written, prints nothing.
func scanFile(ctx context.Context, path string, o scanOptions, stdout, stderr io.Writer, header *bool) error {
	rec, err := openScanInput(path, o)
	if err != nil {
		return err
	}
	defer rec.Close()
	n := rec.NumSamples()
	rate := rec.SampleRateHz()
	if err := checkLength(path, rec, o.pfa); err != nil {
		return err
	}
	if why := noCentre(path, rec); why != "" {
		// until 2026-12-06 said nowhere: a center_MHz of 0.3 for an
		// emission at 434.22 MHz, labelled unknown, exit 0
		fmt.Fprintf(stderr, "scan %s: %s\n", path, replay.NoCentreWarning(why))
	}
	// The bar counts the samples scanned and, while the hash is checked,
	// the bytes hashed taken as samples (the check counts as reading the
	// samples once): a large recording's check showed nothing for seconds.
	var verifyBytes int64
	if o.verify {
		verifyBytes = rec.VerifyBytes()
	}
	total := n
	if verifyBytes > 0 {
		total += n
	}
	bar := newProgress(stderr, o.progress || isTerminal(stderr), isTerminal(stderr), total, path)
	if verifyBytes > 0 {
		var hashed int64
		asSamples := eval.HashedAsSamples(n, verifyBytes, bar.add)
		if err := rec.VerifyContext(ctx, func(b int64) { hashed += b; asSamples(b) }); err != nil {
			bar.close()
			if ctx.Err() != nil { // interrupted, not a wrong hash
				out := o.annotate // not yet checked by annotateTarget, which adds .sigmf-meta
				if out != "" && !strings.HasSuffix(out, sigmf.MetaExt) {
					out += sigmf.MetaExt
				}
				return &scanInterrupted{path: path, err: &eval.InterruptedError{TotalSamples: n, Err: err}, rateHz: rate,
					out: out, asJSON: o.json, verify: verifyStop(rec, hashed, verifyBytes)}
			}
			if errors.Is(err, sigmf.ErrBadMeta) {
				// a hash that is no hash (rfw:sha256: a number): the
				// metadata is wrong, not the data
				return fmt.Errorf("scan: %w (fix the metadata's hash, or scan without checking it: --verify=false)", err)
			}
			return fmt.Errorf("scan: %w (the data is not what the metadata was written for; scan it anyway with --verify=false)", err)
		}
	}
	out := ""
	if o.annotate != "" {
		if out, err = annotateTarget(o.annotate, rec); err != nil {
			bar.close()
			return err
		}
	}
	if *header {
		*header = false
		if _, err := fmt.Fprintf(stdout, "%-*s %10s %9s %14s %10s %8s %6s  %s\n",
			o.fileCol, "file", "start_s", "dur_ms", "center_MHz", "bw_kHz", "dBFS", "snr", "label"); err != nil {
			bar.close()
			return err
		}
	}
	var cl pipeline.Classifier
	if o.classify {
		cl = pipeline.DefaultClassifier()
	}
	var progress func(int)
	if bar != nil {
		progress = func(k int) { bar.add(int64(k)) }
	}
	results, err := eval.ScanRecording(ctx, rec, pipeline.Config{Detector: dsp.DetectorConfig{PFA: o.pfa}, Classifier: cl}, progress)
	bar.close() // where the scan got to, if it stopped
	var stopped *eval.InterruptedError
	if err != nil && !errors.As(err, &stopped) {
		return err
	}
	startS := replay.Seconds(rec) // the dashboard's replay gives the same
	for _, res := range results {
		if err := printResult(stdout, path, o.fileCol, rate, startS(res.Em.StartSample), res, o.json); err != nil {
			return err
		}
	}
	if stopped != nil {
		return &scanInterrupted{path: path, err: stopped, rateHz: rate, out: out, asJSON: o.json}
	}
	if out != "" {
		if err := writeAnnotated(out, rec, results, stderr); err != nil {
			return err
		}
	}
	return nil
}

// checkScanInput refuses path when scanFile would: it cannot be opened
// as the flags ask (openScanInput), or it is too short to analyse.
func checkScanInput(path string, o scanOptions) error {
	rec, err := openScanInput(path, o)
	if err != nil {
		return err
	}
	defer rec.Close()
	return checkLength(path, rec, o.pfa)
}

// checkLength refuses rec, opened from path, when it holds less than one
// frame of the detector at its sample rate and pfa.
func checkLength(path string, rec *sigmf.Recording, pfa float64) error {
	n, rate := rec.NumSamples(), rec.SampleRateHz()
	frame, err := frameSamples(rate, pfa)
	if err != nil {
		return fmt.Errorf("scan %q: %w", path, err)
	}
	if n < int64(frame) {
		return fmt.Errorf("scan %q: %d samples is too short to analyse: the detector needs at least one frame of %d samples at %g samples/s", path, n, frame, rate)
	}
	return nil
}

// frameSamples is the length of the detector's frame at rateHz: its FFT
// length, which rate and pfa set as in the scan.
func frameSamples(rateHz, pfa float64) (int, error) {
	d, err := dsp.NewDetector(dsp.DetectorConfig{SampleRateHz: rateHz, PFA: pfa})
	if err != nil {
		return 0, err
	}
	return d.Config().NFFT, nil
}

// isTerminal reports whether w is a terminal (not merely a character
// device: /dev/null, a timer's stdin or stderr, is one too).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	return term.IsTerminal(int(f.Fd()))
}

// scanJSON is the --json form of one detection.
type scanJSON struct {
	File          string    `json:"file"`
	Time          time.Time `json:"time,omitzero"`
	SampleStart   int64     `json:"sample_start"`
	SampleCount   int64     `json:"sample_count"`
	CenterHz      float64   `json:"center_hz"`
	FreqLowHz     float64   `json:"freq_low_hz"`
	FreqHighHz    float64   `json:"freq_high_hz"`
	BandwidthHz   float64   `json:"bandwidth_hz"`
	MeanDBFS      float64   `json:"mean_dbfs"`
	PeakDBFS      float64   `json:"peak_dbfs"`
	NoiseDBFS     float64   `json:"noise_dbfs"`
	SNRDB         float64   `json:"snr_db"`
	DutyCycle     float64   `json:"duty_cycle"`
	Bursts        int       `json:"bursts"`
	PeriodSamples int64     `json:"period_samples,omitempty"`
	Class         string    `json:"class"`
	Link          string    `json:"link"`
	Band          string    `json:"band,omitempty"`
	Confidence    float64   `json:"confidence"`
	Label         string    `json:"label"`
}

// printResult prints one detection of the FILE name (as given): a JSON
// line, or a table row whose file column is width characters and whose
// start_s is startS.
func printResult(w io.Writer, name string, width int, rateHz, startS float64, r pipeline.Result, asJSON bool) error {
	e := r.Em
	if asJSON {
		b, err := json.Marshal(scanJSON{File: name, Time: r.Time, SampleStart: e.StartSample, SampleCount: e.SampleCount,
			CenterHz: r.CenterHz, FreqLowHz: r.FreqLowHz, FreqHighHz: r.FreqHighHz, BandwidthHz: r.BandwidthHz,
			MeanDBFS: round2(e.MeanDBFS), PeakDBFS: round2(e.PeakDBFS), NoiseDBFS: round2(e.NoiseDBFS), SNRDB: round2(e.SNRDB),
			DutyCycle: round2(e.DutyCycle), Bursts: len(e.Bursts), PeriodSamples: e.PeriodSamples,
			Class: r.Label.Class, Link: r.Label.Link, Band: r.Label.Band, Confidence: r.Label.Confidence, Label: r.Label.Text})
		if err != nil {
			return fmt.Errorf("scan: encode detection: %w", err)
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	_, err := fmt.Fprintf(w, "%-*s %10.6f %9.3f %14.6f %10.1f %8.1f %6.1f  %s\n",
		width, name, startS, float64(e.SampleCount)/rateHz*1e3,
		r.CenterHz/1e6, r.BandwidthHz/1e3, e.MeanDBFS, e.SNRDB, r.Label.Text)
	return err
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// annotateTarget returns the file `scan --annotate out` writes for rec:
// out, with .sigmf-meta added when it lacks it. It refuses, before any
// work, an out that is a file the scan reads (compared as files, so a
// symbolic or hard link counts), a .sigmf-data or .sigmf name (scan writes
// metadata only), a directory that does not exist, and an out.sigmf-data
// beside it that holds other samples than the input's: SigMF tools pair
// NAME.sigmf-meta with NAME.sigmf-data, and would read the detections
// against those.
func annotateTarget(out string, rec *sigmf.Recording) (string, error) {
	inputs := rec.Files()
	isInput := func(path string) error {
		if in := sameFileAs(path, inputs...); in != "" {
			return fmt.Errorf("scan: --annotate %q would overwrite the input file %q; name another OUT.sigmf-meta", path, in)
		}
		return nil
	}
	if err := isInput(out); err != nil {
		return "", err
	}
	switch {
	case strings.HasSuffix(out, sigmf.DataExt), strings.HasSuffix(out, sigmf.ArchiveExt):
		return "", fmt.Errorf("scan: --annotate %q: scan writes the metadata only, to a %s file; name OUT%s", out, sigmf.MetaExt, sigmf.MetaExt)
	case !strings.HasSuffix(out, sigmf.MetaExt):
		out += sigmf.MetaExt
		if err := isInput(out); err != nil {
			return "", err
		}
	}
	if st, err := os.Stat(filepath.Dir(out)); err != nil {
		return "", fmt.Errorf("scan: --annotate %q: %w", out, err)
	} else if !st.IsDir() {
		return "", fmt.Errorf("scan: --annotate %q: %s is not a directory", out, filepath.Dir(out))
	}
	sibling := strings.TrimSuffix(out, sigmf.MetaExt) + sigmf.DataExt
	if _, err := os.Lstat(sibling); err == nil && !isInputData(sibling, rec) {
		return "", fmt.Errorf("scan: --annotate %q: %s beside it holds other samples than the input's, and SigMF tools would read the detections against them; name another OUT",
			out, filepath.Base(sibling))
	}
	return out, nil
}

// sameFileAs returns the first of files that path is (os.SameFile), or ""
// when none is or path does not exist.
func sameFileAs(path string, files ...string) string {
	st, err := os.Stat(path)
	if err != nil {
		return ""
	}
	for _, f := range files {
		if fst, err := os.Stat(f); err == nil && os.SameFile(st, fst) {
			return f
		}
	}
	return ""
}

// isInputData reports whether path is the file rec's samples are read
// from; an archive's are inside it, so never.
func isInputData(path string, rec *sigmf.Recording) bool {
	return slices.Contains(rec.Files(), rec.Path()) && sameFileAs(path, rec.Path()) != ""
}

// writeAnnotated writes the input's SigMF metadata (a minimal one for a raw
// file) with the detections as annotations to out, which annotateTarget
// returned. Annotations an earlier rfwarden scan wrote (core:generator
// rfwarden) are dropped, so annotating an annotated file does not repeat
// them; the others, ground truth, are kept. SigMF finds a metadata file's
// samples beside it: NAME.sigmf-data, or the file named by core:dataset,
// which is a file name, never a path. So out beside the input's data names
// it in core:dataset, unless out's own NAME.sigmf-data is the data; out
// elsewhere cannot point at the samples in core:, and records their path
// relative to out's directory in rfw:dataset instead (for a person, or a
// tool that knows the rfw extension). The samples of an archive are a
// member of it, which core:dataset cannot name: rfw:dataset names the
// archive, wherever out is, and eval reads its data member. The input's own core:dataset and
// rfw:dataset are replaced: relative to the input, they are wrong beside out.
func writeAnnotated(out string, rec *sigmf.Recording, results []pipeline.Result, stderr io.Writer) error {
	// An archive's samples are a member of it: rfw:dataset names the
	// archive (eval reads its data member), never "archive:member", which
	// no tool can open (written until 2026-12-05).
	dataFile, _ := rec.DataFile()
	inArchive := dataFile != rec.Path()
	data, err := filepath.Abs(dataFile)
	if err != nil {
		return fmt.Errorf("scan: resolve %q: %w", dataFile, err)
	}
	outDir, err := filepath.Abs(filepath.Dir(out))
	if err != nil {
		return fmt.Errorf("scan: resolve %q: %w", out, err)
	}
	meta := rec.Meta()
	meta.Global.Extra = maps.Clone(meta.Global.Extra)
	if meta.Global.Extra == nil {
		meta.Global.Extra = map[string]any{}
	}
	delete(meta.Global.Extra, "core:dataset")
	delete(meta.Global.Extra, "rfw:dataset")
	dataset := ""
	switch {
	case isInputData(strings.TrimSuffix(out, sigmf.MetaExt)+sigmf.DataExt, rec):
		// out's own name finds the samples
	case filepath.Dir(data) == outDir && !inArchive:
		dataset = filepath.Base(data)
	default:
		if rel, err := filepath.Rel(outDir, data); err == nil {
			data = rel
		}
		meta.Global.Extra["rfw:dataset"] = filepath.ToSlash(data)
	}
	meta.Annotations = slices.DeleteFunc(slices.Clone(meta.Annotations), pipeline.ReplacesAnnotation)
	if n := len(rec.Meta().Annotations) - len(meta.Annotations); n > 0 {
		fmt.Fprintf(stderr, "scan: %s: %d %s of an earlier rfwarden scan (core:generator %s) %s replaced by this scan's\n",
			filepath.Base(out), n, english.Plural(n, "annotation", "annotations"), pipeline.Generator, english.Plural(n, "is", "are"))
	}
	if err := sigmf.WriteMeta(out, pipeline.AnnotatedMeta(meta, dataset, results)); err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	return nil
}
