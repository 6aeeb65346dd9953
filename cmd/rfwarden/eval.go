package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/internal/atomicfile"
	"github.com/rfwarden/rfwarden/sensor/eval"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

const evalUsage = `usage: rfwarden eval [flags]

Measure detection and classification with the pipeline of "rfwarden scan":
per-class precision and recall, a confusion matrix, false alarms per hour of
noise and Pd against SNR. Scores a corpus of labelled SigMF recordings
(--corpus) and generated cases from dsp/synth (every class at each SNR of
--snr-list, --cases times, plus --noise-cases pure-noise captures with HackRF
artefacts). See docs/evaluation.md.

A corpus is any folder of SigMF 1.x recordings whose core:label annotations
are the truth ("LTE downlink", "GSM900", "5GNR", "DJI Mavic 3", "noise"),
read as scan reads them (any complex datatype ci8 to cf64, ci32 and cu32
included; a byte-order mark; annotations in any order; core:offset; a
core:global_index loss ends the emissions in flight: see
docs/recordings.md); an archive of several recordings is scored one by one
(day.sigmf:day-0/day-0), an archive and its copy extracted beside it once.
A recording that cannot be read (or whose data differs from its
core:sha512, or whose extension is in upper case) is passed over, named on
stderr with the problem and listed in the output (up to three of each
reason; the rest counted, and listed in --json), and so is a recording whose
annotations have frequency edges but a capture no core:frequency, and a
.sigmf-data without its .sigmf-meta; eval fails only when nothing could be scored. Labels naming
no class (blank ones too) are counted on stderr; annotations with core:sample_count 0
(markers) are not scored, and samples that are exactly zero are left out of
the noise time, each with a warning; one emission annotated twice is warned
of too. "other", "spur", "jammer", "DECT" and labels naming no class are no
target: a detection on them alone is no hit and no false alarm, but a class
it names is a false positive. A detection lying mostly inside the union of
the noise windows is a false alarm; noise time weights each window by the
share of the recorded band it covers, so the rates are per hour of the
whole band. Pd, recall, precision and each Pd-vs-SNR point carry a 95%
Wilson interval (JSON *_ci95); the JSON's settings record include_own and
verify. Pd-vs-SNR curves (and --svg) come from the generated cases only: a
site's recordings carry no SNR truth.
`

// evalDefaultPFA is the detector's default per-cell false-alarm probability
// (dsp.DetectorConfig), reported when --pfa is not given.
const evalDefaultPFA = 1e-9

// evalMinSNRDB and evalMaxSNRDB bound --snr-list: far below any detection
// and far above any receiver's dynamic range; beyond about 600 dB the
// signal's power overflowed, and every case was missed.
const (
	evalMinSNRDB = -50.0
	evalMaxSNRDB = 100.0
)

// evalJSON is the --json document.
type evalJSON struct {
	Version   string       `json:"version"`
	Settings  evalSettings `json:"settings"`
	Corpus    *eval.Report `json:"corpus,omitempty"`
	Generated *eval.Report `json:"generated,omitempty"`
	ElapsedS  float64      `json:"elapsed_s"`
	// Interrupted, when the run was stopped (Ctrl-C), says where; the
	// reports hold what was done before.
	Interrupted string `json:"interrupted,omitempty"`
}

type evalSettings struct {
	PFA        float64   `json:"pfa"`
	Corpus     string    `json:"corpus,omitempty"`
	Seed       uint64    `json:"seed"`
	Cases      int       `json:"cases"`
	NoiseCases int       `json:"noise_cases"`
	NoiseS     float64   `json:"noise_case_s"`
	SNRsDB     []float64 `json:"snr_db"`
	Classes    []string  `json:"classes"`
	DCSpike    bool      `json:"dc_spike_on_signals"`
	DCSpikeDB  []float64 `json:"dc_spike_db"`
	// IncludeOwn: rfwarden's own annotations were taken as truth
	// (--include-own): the corpus scores agreement with them, not
	// correctness. Verify false: the data was not checked against its
	// hash (--verify=false).
	IncludeOwn bool `json:"include_own"`
	Verify     bool `json:"verify"`
}

// noLabelsHint says what to do with a corpus whose recordings carry no
// truth: eval scores against core:label annotations, which a site's own
// recordings (the demo's --record, a hackrf_transfer capture) lack.
const noLabelsHint = `eval scores the pipeline against the truth the recordings carry: annotate each emission with its core:label ("LTE uplink", "GSM900", "DJI Mavic 3"; "noise" for a stretch with none), docs/evaluation.md, Ground truth; to see what the pipeline finds in unlabelled recordings, run rfwarden scan on them`

// cmdEval runs `rfwarden eval`.
func cmdEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, evalUsage); printDefaults(fs) }
	var (
		corpus, datasetRoot, jsonOut, svgOut, snrList, classList, spikeList string
		cases, noiseCases                                                   int
		noiseS, pfa                                                         float64
		seed                                                                uint64
		showProgress, dcSpike, includeOwn, verify                           bool
	)
	fs.StringVar(&corpus, "corpus", "", "score the labelled SigMF recordings under `DIR`, following symbolic links (core:label annotations are the truth, except rfwarden's own: see --include-own)")
	fs.StringVar(&datasetRoot, "dataset-root", "", "the folder `DIR` the samples a corpus recording's rfw:dataset names must be in, after links (default: the --corpus DIR); metadata whose rfw:dataset leads out of it is passed over")
	fs.BoolVar(&includeOwn, "include-own", false, "take the corpus annotations rfwarden's own detectors wrote (core:generator \"rfwarden\" from scan --annotate, \"rfwarden sensor\" on evidence clips) as truth too: does a replay agree with the sensor, not is either right (recorded as include_own in the JSON's settings)")
	fs.BoolVar(&verify, "verify", true, "check each corpus recording's data against its core:sha512 (and rfw:sha256) and pass over one that differs, as scan does; false scores data whose metadata's hash is known to be stale (recorded as verify in the JSON's settings)")
	fs.IntVar(&cases, "cases", 2, "generated cases per class and SNR (0: none)")
	fs.IntVar(&noiseCases, "noise-cases", 10, "generated pure-noise cases, with HackRF artefacts (0: none)")
	fs.Float64Var(&noiseS, "noise-dur", 0.1, "seconds of each noise case")
	fs.StringVar(&snrList, "snr-list", "-3,0,3,6,9,12,15,18,21", "comma-separated SNRs in dB (in the signal's own bandwidth), each in -50..100")
	fs.StringVar(&classList, "classes", "", "comma-separated classes to generate (default: all synth supports)")
	fs.Uint64Var(&seed, "seed", 1, "seed of the generated cases")
	fs.BoolVar(&dcSpike, "dc-spike", false, "put the receiver DC spike into signal cases too (noise cases always have it)")
	fs.StringVar(&spikeList, "dc-spike-db", "-20,-5", "range `LO,HI` of the DC spike's power against the capture's mean power, dB")
	fs.Float64Var(&pfa, "pfa", 0, "detector per-cell false-alarm probability (default 1e-9)")
	fs.StringVar(&jsonOut, "json", "", "write every number as JSON to `OUT.json` (never a corpus file)")
	fs.StringVar(&svgOut, "svg", "", "write the Pd-vs-SNR plot of the generated cases to `OUT.svg` (generated only: a corpus carries no SNR truth)")
	fs.BoolVar(&showProgress, "progress", false, "show progress on stderr even when it is not a terminal (there as a line every 5 s)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("eval: unexpected argument %q", fs.Arg(0))
	}
	snrs, err := parseFloatList(snrList)
	if err != nil {
		return fmt.Errorf("eval: --snr-list: %w", err)
	}
	spike, err := parseFloatList(spikeList)
	if err != nil || len(spike) != 2 || spike[0] > spike[1] {
		return fmt.Errorf("eval: --dc-spike-db %q: want LO,HI with LO <= HI", spikeList)
	}
	specs, err := selectSpecs(classList)
	if err != nil {
		return err
	}
	if err := checkPFAFlag(pfa); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	if !(noiseS > 0) || math.IsInf(noiseS, 0) {
		return fmt.Errorf("eval: --noise-dur %v s is not positive", noiseS)
	}
	if cases < 0 || noiseCases < 0 {
		return fmt.Errorf("eval: --cases %d and --noise-cases %d must not be negative", cases, noiseCases)
	}
	for _, v := range snrs {
		// 1000 dB (or 1e308) overflowed the signal's power: Pd 0.000 for
		// every class, where 700 gave 1.000
		if !(v >= evalMinSNRDB && v <= evalMaxSNRDB) {
			return fmt.Errorf("eval: --snr-list: %g dB is outside %g..%g dB", v, evalMinSNRDB, evalMaxSNRDB)
		}
	}
	if i := firstRepeat(snrs); i >= 0 {
		return fmt.Errorf("eval: --snr-list: %g dB given twice", snrs[i])
	}
	// refuse what cannot be done before doing any of it
	if svgOut != "" && cases == 0 {
		return errors.New("eval: --svg needs generated cases (--cases > 0): it plots Pd against the SNR synth put in; a corpus's recordings carry no SNR truth")
	}
	if corpus == "" && cases == 0 && noiseCases == 0 {
		return errors.New("eval: nothing to do: give --corpus or generated cases")
	}
	var c eval.Corpus
	if corpus != "" {
		if c, err = eval.FindCorpus(corpus); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
	}
	for _, o := range []struct{ flag, path string }{{"--json", jsonOut}, {"--svg", svgOut}} {
		if err := checkOutPath(o.path); err != nil {
			return fmt.Errorf("eval: %s %q: %w", o.flag, o.path, err)
		}
		// --json C/x.sigmf-meta replaced a corpus recording's metadata with the report
		if err := notInput(o.flag, o.path, corpusInputs(c, datasetRoot)...); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
	}
	if err := notInput("--svg", svgOut, input{"--json file", jsonOut}); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	gc := eval.GenConfig{Specs: specs, SNRsDB: snrs, Cases: orNone(cases), NoiseCases: orNone(noiseCases),
		NoiseS: noiseS, Seed: seed, DCSpike: dcSpike, DCSpikeDB: [2]float64{spike[0], spike[1]}}
	planned, err := gc.NumPlanned()
	if err != nil {
		return fmt.Errorf("eval: --cases %d: %w", cases, err)
	}
	start := time.Now()
	cfg := pipeline.Config{Detector: dsp.DetectorConfig{PFA: pfa}, Classifier: pipeline.DefaultClassifier()}
	effPFA := pfa
	if effPFA == 0 {
		effPFA = evalDefaultPFA
	}
	showBar, tty := showProgress || isTerminal(stderr), isTerminal(stderr)
	doc := evalJSON{Version: version, Settings: evalSettings{PFA: effPFA, Corpus: corpus, Seed: seed, Cases: cases,
		NoiseCases: noiseCases, NoiseS: noiseS, SNRsDB: snrs, DCSpike: dcSpike, DCSpikeDB: spike,
		IncludeOwn: includeOwn, Verify: verify}}
	for _, s := range specs {
		doc.Settings.Classes = append(doc.Settings.Classes, s.Class)
	}

	var stopped *evalInterrupted // Ctrl-C: what was done is printed and written, then this error
	if corpus != "" {
		var bar *progress // of samples, made when RunCorpus knows how many
		cr, err := eval.RunCorpus(ctx, c, eval.CorpusConfig{Pipeline: cfg, IncludeOwn: includeOwn, NoVerify: !verify, DatasetRoot: datasetRoot,
			Start:    func(n int64) { bar = newProgress(stderr, showBar, tty, n, "corpus samples") },
			Progress: func(n int64) { bar.add(n) },
			Notice: func(msg string) {
				line := fmt.Sprintf("eval: corpus %s: %s", corpus, msg)
				if bar == nil {
					fmt.Fprintln(stderr, line)
					return
				}
				bar.interject(line)
			}})
		bar.close()
		caveat := "" // what makes this run other than a score against the site's truth
		if includeOwn {
			caveat += ", --include-own: rfwarden's own annotations taken as truth, so agreement, not correctness"
		}
		if !verify {
			caveat += ", --verify=false: data not checked against its hash"
		}
		title := fmt.Sprintf("corpus %s (pfa %g%s)", corpus, effPFA, caveat)
		var ri *eval.RunInterruptedError
		switch {
		case errors.As(err, &ri):
			stopped = interruptedAt(ri, "corpus recordings")
			title = fmt.Sprintf("corpus %s (pfa %g%s, interrupted after %d of %d recordings)", corpus, effPFA, caveat, ri.Done, ri.Of)
		case errors.Is(err, eval.ErrNoCorpus) && cr.Count(eval.SkipOwnLabels) > 0:
			return fmt.Errorf("eval: %w (--include-own takes rfwarden's own annotations as truth)", err)
		case errors.Is(err, eval.ErrNoCorpus) && cr.Count(eval.SkipNoLabels) > 0:
			return fmt.Errorf("eval: %w (%s)", err, noLabelsHint)
		case err != nil:
			return fmt.Errorf("eval: %w", err)
		}
		if sum := cr.SkipSummary(); sum != "" {
			hint := ""
			if cr.Count(eval.SkipOwnLabels) > 0 {
				hint = "; --include-own takes rfwarden's own annotations as truth"
			}
			// out of the recordings and the files and folders passed over
			// before any was read (hidden, upper case, links): "scored 2 of
			// 5 recordings; passed over 4" did not add up
			fmt.Fprintf(stderr, "eval: corpus %s: scored %d of the %d found; passed over %d: %s%s\n",
				corpus, len(cr.Files), len(c.Paths)+len(c.Skipped), len(cr.Skipped), sum, hint)
		}
		var r eval.Report
		if cr != nil {
			r = cr.Report()
			if len(r.Unmapped) > 0 {
				fmt.Fprintf(stderr, "eval: corpus %s: labels naming no class, scored as other (%s; docs/evaluation.md lists the words understood): %s\n", corpus, eval.UnmappedCost, eval.FormatLabelCounts(r.Unmapped))
			}
		}
		if stopped == nil || len(cr.Files) > 0 {
			doc.Corpus = &r
			if err := eval.WriteText(stdout, title, r); err != nil {
				return err
			}
		}
	}

	if planned > 0 && stopped == nil {
		bar := newProgress(stderr, showBar, tty, int64(planned), "generated")
		tally, err := eval.RunGenerated(ctx, gc, cfg, func(eval.CaseResult) { bar.add(1) })
		bar.close()
		title := fmt.Sprintf("generated: %d cases (seed %d, pfa %g)", planned, seed, effPFA)
		sub := fmt.Sprintf("generated cases, seed %d, %d per class and SNR, detector Pfa %g per cell", seed, cases, effPFA)
		var ri *eval.RunInterruptedError
		switch {
		case errors.As(err, &ri):
			stopped = interruptedAt(ri, "generated cases")
			title = fmt.Sprintf("generated: %d of %d cases (interrupted; seed %d, pfa %g)", ri.Done, ri.Of, seed, effPFA)
			sub += fmt.Sprintf("; interrupted after %d of %d cases", ri.Done, ri.Of)
		case err != nil:
			return fmt.Errorf("eval: %w", err)
		}
		if r := tally.Report(); r.Runs > 0 {
			doc.Generated = &r
			if err := eval.WriteText(stdout, title, r); err != nil {
				return err
			}
			if svgOut != "" {
				if err := writeFileWith(svgOut, func(w io.Writer) error {
					return eval.WriteSVG(w, r.PdVsSNR, "rfwarden: probability of detection against SNR", sub)
				}); err != nil {
					return err
				}
			}
		}
	}
	doc.ElapsedS = math.Round(time.Since(start).Seconds()*100) / 100
	if stopped != nil {
		doc.Interrupted = stopped.Error()
	}
	if jsonOut != "" {
		if err := writeFileWith(jsonOut, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(doc)
		}); err != nil {
			return err
		}
	}
	if stopped != nil {
		return stopped
	}
	fmt.Fprintf(stderr, "eval: done in %.1f s\n", time.Since(start).Seconds())
	return nil
}

// evalInterrupted is the error of an eval stopped by its context (Ctrl-C),
// after it printed and wrote what it had done.
type evalInterrupted struct {
	msg string
	err error // wraps the context's
}

func (e *evalInterrupted) Error() string { return e.msg }
func (e *evalInterrupted) Unwrap() error { return e.err }

// interruptedAt says where a run stopped: "eval: interrupted at case
// gsm@21dB#2 (2 of 3 generated cases done); the tables above are of those".
func interruptedAt(ri *eval.RunInterruptedError, what string) *evalInterrupted {
	msg := fmt.Sprintf("eval: interrupted at %s (%d of %d %s done)", ri.At, ri.Done, ri.Of, what)
	if ri.Done > 0 {
		msg += "; the tables above are of those"
	}
	return &evalInterrupted{msg: msg, err: ri}
}

// corpusInputs lists the files of c that eval reads or that belong to
// its recordings (Corpus.ReadFiles): each recording (metadata or
// archive), the data it reads, beside it or named by its core:dataset or
// rfw:dataset (within datasetRoot, --dataset-root), and the files passed
// over. Until 2026-12-07 only the data beside a metadata file was listed:
// --json over the file a core:dataset named replaced the samples.
func corpusInputs(c eval.Corpus, datasetRoot string) []input {
	var in []input
	for _, p := range c.ReadFiles(datasetRoot) {
		what := "corpus file"
		switch {
		case strings.HasSuffix(p, sigmf.MetaExt), strings.HasSuffix(p, sigmf.ArchiveExt):
			what = "corpus recording"
		case strings.HasSuffix(p, sigmf.DataExt):
			what = "corpus recording's data"
		}
		in = append(in, input{what, p})
	}
	return in
}

// orNone maps a flag's 0 (none) to GenConfig's "none" (negative; 0 there means default).
func orNone(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// selectSpecs returns the default specs, or those of the comma-separated classes.
func selectSpecs(list string) ([]eval.CaseSpec, error) {
	all := eval.DefaultSpecs()
	if strings.TrimSpace(list) == "" {
		return all, nil
	}
	var out []eval.CaseSpec
	for _, c := range strings.Split(list, ",") {
		c = strings.TrimSpace(c)
		if slices.ContainsFunc(out, func(s eval.CaseSpec) bool { return s.Class == c }) {
			return nil, fmt.Errorf("eval: --classes: class %q given twice", c)
		}
		i := slices.IndexFunc(all, func(s eval.CaseSpec) bool { return s.Class == c })
		if i < 0 {
			var names []string
			for _, s := range all {
				names = append(names, s.Class)
			}
			return nil, fmt.Errorf("eval: --classes: unknown class %q (have %s)", c, strings.Join(names, ", "))
		}
		out = append(out, all[i])
	}
	return out, nil
}

// firstRepeat returns the index of the first value of v equal to an
// earlier one, or -1.
func firstRepeat(v []float64) int {
	for i := range v {
		if slices.Contains(v[:i], v[i]) {
			return i
		}
	}
	return -1
}

// parseFloatList parses "a,b,c" into finite numbers.
func parseFloatList(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v, err := strconv.ParseFloat(f, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%q is not a finite number", f)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, errors.New("empty list")
	}
	return out, nil
}

// checkOutPath refuses, before any work, a path ("" is none) that
// writeFileWith could not write: in a folder that does not exist, is not a
// folder or takes no new file, or that is itself a folder.
func checkOutPath(path string) error {
	if path == "" {
		return nil
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return errors.New("is a folder; name a file")
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("folder %s: %w", dir, unwrapPath(err))
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a folder", dir)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("cannot write in folder %s: %w", dir, unwrapPath(err))
	}
	tmp.Close()
	return os.Remove(tmp.Name())
}

// unwrapPath returns the cause of a *fs.PathError, without the path it
// names (a temporary file's, for one), else err.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// writeFileWith writes path through fn, atomically (a temporary file
// beside it, renamed over it), with the mode os.Create gives (0666 less
// the umask: 0644 under the usual 022), as scan --annotate's files are.
// Errors name path, never the temporary file.
func writeFileWith(path string, fn func(io.Writer) error) error {
	tmp, err := atomicfile.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("eval: write %q: %w", path, unwrapPath(err))
	}
	defer os.Remove(tmp.Name())
	if err := fn(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("eval: write %q: %w", path, unwrapPath(err))
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("eval: write %q: %w", path, unwrapPath(err))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("eval: write %q: %w", path, unwrapPath(err))
	}
	return nil
}

// checkPFAFlag reports a --pfa (scan's and eval's) the detector does not
// take, naming the flag: 0 (the default) or in (0, 0.5) as
// dsp.DetectorConfig wants. eval took 0.5 to 1, and the detector refused
// it later with its own error, naming no flag.
func checkPFAFlag(pfa float64) error {
	if pfa == 0 || (pfa > 0 && pfa < 0.5) {
		return nil
	}
	return fmt.Errorf("--pfa %v is not in (0, 0.5), the detector's per-cell false-alarm probability (0: the default %g)", pfa, evalDefaultPFA)
}
