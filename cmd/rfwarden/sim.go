package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/rfwarden/rfwarden/firmware/hackrf"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
	"github.com/rfwarden/rfwarden/sensor/sim"
)

const simUsage = `usage: rfwarden sim [flags] [--site FILE] --out BASE
       rfwarden sim --site-yaml

Write the IQ that one sensor of the simulated prison wing (or, with --site,
of the site file FILE simulated, docs/site.md) captures in one band
to the SigMF recording BASE.sigmf-data/.sigmf-meta (ci8), with one ground-truth
annotation per burst (label = class, comment = emitter and received dBm).
BASE may end in .sigmf-meta or .sigmf-data; it is DIR/NAME, never a folder
(sim/ wrote the hidden files sim/.sigmf-data and .sigmf-meta). The files appear only when the
recording is complete: a run that fails or is interrupted leaves none.
--site-yaml prints the wing's site YAML instead (it takes only --seed).
`

// simOptions are the parsed flags of `rfwarden sim`.
type simOptions struct {
	seed        uint64
	sensorID    string
	site        string
	centerHz    float64
	rateHz      float64
	gainDB      float64
	dur         time.Duration
	start       string
	out         string
	siteYAML    bool
	noArtefacts bool
	progress    bool
}

// cmdSim runs `rfwarden sim`.
func cmdSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, simUsage); printDefaults(fs) }
	var o simOptions
	fs.Uint64Var(&o.seed, "seed", 1, "scenario seed")
	fs.StringVar(&o.sensorID, "sensor", "s1", "sensor ID (s1..s9; with --site one of the site file's, default its first)")
	fs.StringVar(&o.site, "site", "", "simulate this site file (docs/site.md) instead of the demo wing")
	fs.Float64Var(&o.centerHz, "center", 847e6, "centre frequency, Hz (1e6..6e9)")
	fs.Float64Var(&o.rateHz, "rate", 10e6, "sample rate, samples/s (2e6..20e6)")
	fs.Float64Var(&o.gainDB, "gain", 0, "receive gain, dB; 0 picks it from the rate (sets the dBFS-to-dBm calibration)")
	fs.DurationVar(&o.dur, "duration", time.Second, "length of the recording")
	fs.StringVar(&o.start, "start", "", "simulated time of the first sample, RFC 3339, 1970-01-01T00:00:00Z up to 2200-01-01T00:00:00Z (default the scenario start)")
	fs.StringVar(&o.out, "out", "", "recording base path (BASE.sigmf-data, BASE.sigmf-meta)")
	fs.BoolVar(&o.siteYAML, "site-yaml", false, "print the wing's site YAML and exit")
	fs.BoolVar(&o.noArtefacts, "no-artefacts", false, "leave out the HackRF artefacts (DC spike, IQ imbalance)")
	fs.BoolVar(&o.progress, "progress", false, "show progress on stderr even when it is not a terminal (there as a line every 5 s)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}
	if o.siteYAML {
		// the site YAML depends on the seed alone: any other flag would be ignored
		var other []string
		fs.Visit(func(f *flag.Flag) {
			if f.Name != "site-yaml" && f.Name != "seed" {
				other = append(other, "--"+f.Name)
			}
		})
		if len(other) > 0 {
			return fmt.Errorf("sim: --site-yaml prints the site YAML to stdout and takes only --seed, not %s", strings.Join(other, ", "))
		}
		_, err := stdout.Write(sim.StandardWing(o.seed).SiteYAML())
		return err
	}
	if o.out == "" {
		fs.Usage()
		return fmt.Errorf("sim: --out is required")
	}
	given := o.out
	for _, ext := range []string{sigmf.MetaExt, sigmf.DataExt, sigmf.ArchiveExt} {
		o.out = strings.TrimSuffix(o.out, ext)
	}
	if err := checkSimBase(given, o.out); err != nil {
		return err
	}
	if err := o.check(); err != nil {
		return err
	}
	w := sim.StandardWing(o.seed)
	if o.site != "" {
		var err error
		if w, err = readSimSite(o.site, o.seed); err != nil {
			return fmt.Errorf("sim: --site: %w", err)
		}
		sensorGiven := false
		fs.Visit(func(f *flag.Flag) { sensorGiven = sensorGiven || f.Name == "sensor" })
		if !sensorGiven {
			o.sensorID = w.Sensors()[0].ID
		}
		if err := checkSimSensor(w, o.sensorID, o.site+"'s sensors"); err != nil {
			return fmt.Errorf("sim: --sensor: %w", err)
		}
	}
	start := w.Start
	if o.start != "" {
		t, err := time.Parse(time.RFC3339Nano, o.start)
		if err != nil {
			return fmt.Errorf("sim: --start: %w", err)
		}
		start = t.UTC()
	}
	if err := checkSimStart(start, o.dur); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	src, err := w.NewSource(o.sensorID, sim.SourceOptions{CenterHz: o.centerHz, SampleRateHz: o.rateHz,
		GainDB: o.gainDB, Start: start, NoArtefacts: o.noArtefacts})
	if err != nil {
		return err
	}
	defer src.Close()
	return writeSim(ctx, src, o, start, stdout, stderr)
}

// check refuses a recording the simulated HackRF cannot make (the
// simulator's defaults for a zero centre or rate do not apply here: the
// flags have their own) or one without a sample.
func (o simOptions) check() error {
	switch {
	case !(o.centerHz >= sim.MinCenterHz && o.centerHz <= sim.MaxCenterHz):
		return fmt.Errorf("sim: --center %v Hz outside 1 MHz..6 GHz", o.centerHz)
	case !(o.rateHz >= sim.MinSampleRateHz && o.rateHz <= sim.MaxSampleRateHz):
		return fmt.Errorf("sim: --rate %v outside 2e6..20e6 samples/s", o.rateHz)
	case o.dur <= 0 || o.dur > time.Hour:
		return fmt.Errorf("sim: --duration %v outside (0, 1h]", o.dur)
	case o.gainDB != 0 && hackrf.CheckGain(o.gainDB) != nil:
		// the simulated source took any gain as given (41, -5, NaN) and
		// wrote it as the recording's calibration, where a HackRF sets 40
		return fmt.Errorf("sim: --gain %w (0: picked from the rate)", hackrf.CheckGain(o.gainDB))
	case o.samples() < 1:
		return fmt.Errorf("sim: --duration %v is shorter than one sample at %g samples/s", o.dur, o.rateHz)
	}
	return nil
}

// checkSimBase refuses a recording base (--out given, less its SigMF
// extension) with no name of its own: "sim/" (or "sim/.sigmf-meta") wrote
// the hidden files sim/.sigmf-data and sim/.sigmf-meta, and an existing
// folder would be written into the same way; and one whose folder does
// not exist, or is no folder, before the simulation runs.
func checkSimBase(given, base string) error {
	name := base
	if i := strings.LastIndexAny(base, `/`+string(filepath.Separator)); i >= 0 {
		name = base[i+1:]
	}
	fi, err := os.Stat(base)
	if name == "" || name == "." || name == ".." || (err == nil && fi.IsDir()) {
		return fmt.Errorf("sim: --out %s names a folder, not a recording: give DIR/NAME, for NAME%s and NAME%s in DIR", given, sigmf.DataExt, sigmf.MetaExt)
	}
	// until 2026-12-07 only "stat DIR: no such file or directory"
	dir := filepath.Dir(base)
	switch fi, err := os.Stat(dir); {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("sim: --out %s: its folder %s does not exist: create it, or correct --out", given, dir)
	case err != nil:
		return fmt.Errorf("sim: --out %s: its folder: %w", given, err)
	case !fi.IsDir():
		return fmt.Errorf("sim: --out %s: %s is not a folder: correct --out", given, dir)
	}
	return nil
}

// checkSimStart refuses a --start (or a --start plus --duration) outside
// the simulated clock, sim.CheckTime: one thousands of years on spun the
// simulator for hours, deaf to Ctrl-C.
func checkSimStart(start time.Time, dur time.Duration) error {
	first, end := sim.MinTime(), sim.MaxTime()
	if sim.CheckTime(start) != nil {
		return fmt.Errorf("--start %s is outside the simulated clock: give one from %s up to, not including, %s (left out, the scenario start %s)",
			start.Format(time.RFC3339Nano), first.Format(time.RFC3339), end.Format(time.RFC3339), sim.DefaultStart().Format(time.RFC3339))
	}
	if start.Add(dur).After(end) {
		return fmt.Errorf("--start %s with --duration %v ends after %s, the end of the simulated clock: give an earlier --start",
			start.Format(time.RFC3339Nano), dur, end.Format(time.RFC3339))
	}
	return nil
}

// samples is the length of the recording.
func (o simOptions) samples() int64 { return int64(math.Round(o.dur.Seconds() * o.rateHz)) }

// writeSim records o.dur of src to o.out with ground-truth annotations,
// with progress on stderr when it is a terminal or o.progress. The
// recording is written under a temporary folder beside o.out and moved into
// place when complete, so a failed or interrupted run leaves no recording
// (and an earlier one at o.out stays as it was).
func writeSim(ctx context.Context, src *sim.Source, o simOptions, start time.Time, stdout, stderr io.Writer) error {
	dir, name := filepath.Dir(o.out), filepath.Base(o.out)
	tmpDir, err := os.MkdirTemp(dir, "."+name+".tmp*") // beside o.out, so a rename moves it
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	defer os.RemoveAll(tmpDir)
	tmp := filepath.Join(tmpDir, name)
	wr, err := sigmf.NewWriter(tmp, "ci8", o.rateHz, o.centerHz, start)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	what := "rfwarden simulated wing"
	if o.site != "" {
		what = "rfwarden simulated site " + o.site
	}
	wr.SetGlobal(fmt.Sprintf("%s, seed %d, sensor %s", what, o.seed, o.sensorID), "rfwarden sim", "sim", "")
	wr.SetExtra("rfw:gain_db", src.GainDB())
	wr.SetExtra("rfw:full_scale_dbm", sim.FullScaleDBm(src.GainDB()))
	total := o.samples()
	bar := newProgress(stderr, o.progress || isTerminal(stderr), isTerminal(stderr), total, "sim "+name)
	fail := func(err error) error {
		bar.close()
		wr.Close()
		return fmt.Errorf("sim: %s: stopped after %d of %d samples, nothing written: %w", o.out, wr.NumSamples(), total, err)
	}
	var truth []sim.BurstTruth
	for wr.NumSamples() < total {
		b, err := src.Next(ctx)
		if err != nil {
			return fail(err)
		}
		n := min(int64(len(b.Samples)), total-wr.NumSamples())
		if err := wr.Write(b.Samples[:n]); err != nil {
			return fail(err)
		}
		bar.add(n)
		for _, t := range src.Truth() {
			t.SampleCount = min(t.SampleCount, total-t.SampleStart)
			if t.SampleCount <= 0 {
				continue
			}
			truth = mergeTruth(truth, t)
		}
	}
	bar.close()
	sort.SliceStable(truth, func(a, b int) bool { return truth[a].SampleStart < truth[b].SampleStart })
	for _, t := range truth {
		wr.Annotate(sigmf.Annotation{SampleStart: t.SampleStart, SampleCount: t.SampleCount,
			FreqLowerHz: t.FreqLowHz, FreqUpperHz: t.FreqHighHz, HasFreq: true, Label: t.Class,
			Comment: fmt.Sprintf("%s %.1f dBm", t.EmitterID, t.PowerDBm), Generator: "rfwarden sim"})
	}
	if err := wr.Close(); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	// the metadata goes last: it is what makes the files a recording, and
	// an earlier recording's must not describe the new data
	if err := os.Remove(o.out + sigmf.MetaExt); err != nil && !errors.Is(err, iofs.ErrNotExist) {
		return fmt.Errorf("sim: replace %s: %w", o.out+sigmf.MetaExt, err)
	}
	for _, ext := range []string{sigmf.DataExt, sigmf.MetaExt} {
		if err := os.Rename(tmp+ext, o.out+ext); err != nil {
			return fmt.Errorf("sim: %w", err)
		}
	}
	_, err = fmt.Fprintf(stdout, "wrote %s: %d samples, %d annotations\n", o.out+sigmf.DataExt, total, len(truth))
	return err
}

// mergeTruth appends t, joining it to an earlier record of the same
// emitter and band that ends where it begins (a burst split by a block edge).
func mergeTruth(all []sim.BurstTruth, t sim.BurstTruth) []sim.BurstTruth {
	for i := len(all) - 1; i >= 0 && i >= len(all)-16; i-- {
		p := &all[i]
		if p.EmitterID == t.EmitterID && p.FreqLowHz == t.FreqLowHz && p.FreqHighHz == t.FreqHighHz &&
			p.SampleStart+p.SampleCount == t.SampleStart {
			p.SampleCount += t.SampleCount
			return all
		}
	}
	return append(all, t)
}
