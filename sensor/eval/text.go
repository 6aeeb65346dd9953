package eval

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/rfwarden/rfwarden/internal/english"
)

// shortName abbreviates a class for the confusion matrix's columns.
var shortName = map[string]string{
	"bluetooth": "bt", "drone_video": "dvideo", "fpv_analog": "fpv", "rc_fhss": "rc",
	ClassCellular: "cell", "unknown": "unk", ClassMissed: "MISSED",
}

func short(c string) string {
	if s, ok := shortName[c]; ok {
		return s
	}
	return c
}

func fmtRatio(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.3f", *p)
}

// UnmappedCost says what a label naming no class costs the score, as
// the text and `rfwarden eval`'s stderr tell it: its annotation is no
// target, so a right detection on it is a false positive (until
// 2026-12-07 they did not say so).
const UnmappedCost = "a detection naming a class on one counts as that class's false positive"

// FormatLabelCounts writes ls as `"label" ×count`, comma-separated; a
// blank label as `"" (blank) ×count`.
func FormatLabelCounts(ls []LabelCount) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		if l.Label == "" {
			parts[i] = fmt.Sprintf(`"" (blank) ×%d`, l.Count)
			continue
		}
		parts[i] = fmt.Sprintf("%q ×%d", l.Label, l.Count)
	}
	return strings.Join(parts, ", ")
}

// WriteText prints r as plain-text tables under a title: per-class
// precision and recall, the confusion matrix, noise false alarms (all,
// and those named with a class, each rate with its 95% upper bound),
// Pd (and Pc) against SNR and the per-file lines; then, for a corpus, the
// files passed over, the labels naming no class and the warnings.
func WriteText(w io.Writer, title string, r Report) error {
	var b strings.Builder
	// until 2026-12-07 "1 runs", "1 false alarms"
	fmt.Fprintf(&b, "== %s: %d %s ==\n\n", title, r.Runs, english.Plural(r.Runs, "run", "runs"))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "class\ttruths\tdetected\tcorrect\tPd\trecall\tTP\tFP\tprecision\tF1\tlink_acc\t")
	for _, c := range r.Classes {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t\n", c.Class, c.Truths, c.Detected, c.Correct,
			fmtRatio(c.Pd), fmtRatio(c.Recall), c.TP, c.FP, fmtRatio(c.Precision), fmtRatio(c.F1), fmtRatio(c.LinkAcc))
	}
	tw.Flush()
	fmt.Fprintf(&b, "\n95%% intervals (Wilson score) of Pd, recall and precision: how far each could be from the rate measured, given how few counted\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "class\tPd\trecall\tprecision\t")
	for _, c := range r.Classes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", c.Class, fmtInterval(c.PdCI95), fmtInterval(c.RecallCI95), fmtInterval(c.PrecisionCI95))
	}
	tw.Flush()
	fmt.Fprintf(&b, "\nconfusion (rows: truth; columns: predicted class of the best-overlapping detection; row none: detections on no target)\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 1, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "truth\\pred\t")
	for _, c := range r.Confusion.Cols {
		fmt.Fprintf(tw, "%s\t", short(c))
	}
	fmt.Fprintln(tw)
	for i, row := range r.Confusion.Rows {
		fmt.Fprintf(tw, "%s\t", row)
		for _, n := range r.Confusion.Counts[i] {
			fmt.Fprintf(tw, "%d\t", n)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	n := r.Noise
	// seconds to 0.1 ms, as the files table (until 2026-12-07 "noise:
	// 0.000 s" of a file whose noise_s was 0.0005)
	fmt.Fprintf(&b, "\nnoise: %.4f s; %d %s: %s /h (95%% upper bound %s /h); %d named with a class: %s /h (95%% upper bound %s /h)\n",
		n.Seconds, n.Alarms, english.Plural(n.Alarms, "false alarm", "false alarms"), fmtRate(n.AlarmsPerHour), fmtRate(n.AlarmsUpper95PerHour), n.ClassedAlarms, fmtRate(n.ClassedPerHour), fmtRate(n.Upper95PerHour))
	if math.Abs(n.WindowSeconds-n.Seconds) > 5e-5 {
		fmt.Fprintf(&b, "noise: the windows span %.4f s; a window over part of the recorded band counts that part, %.4f s of the whole band\n", n.WindowSeconds, n.Seconds)
	}
	if n.AlarmsPerFrame != nil {
		fmt.Fprintf(&b, "noise: %.3g false alarms per detector frame (%.0f frames of the default NFFT)\n", *n.AlarmsPerFrame, n.Frames)
	}
	if len(r.PdVsSNR) > 0 {
		fmt.Fprintf(&b, "\nPd / Pc against SNR in the signal's bandwidth (Pd: detected; Pc: detected and named right)\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		var snrs []float64
		for _, c := range r.PdVsSNR {
			for _, p := range c.Points {
				if !slices.Contains(snrs, p.SNRDB) {
					snrs = append(snrs, p.SNRDB)
				}
			}
		}
		slices.Sort(snrs)
		snrTable(tw, r.PdVsSNR, snrs, func(p PdPoint) string { return fmt.Sprintf("%.2f/%.2f", p.Pd, p.Pc) })
		tw.Flush()
		fmt.Fprintf(&b, "\nPd 95%% interval (Wilson score; of truth records, which for a bursty class are bursts, not cases)\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		snrTable(tw, r.PdVsSNR, snrs, func(p PdPoint) string { return fmtInterval(p.PdCI95) })
		tw.Flush()
	}
	if len(r.Files) > 0 {
		fmt.Fprintf(&b, "\nfiles\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "file\ttargets\tdetected\tcorrect\tdetections\tnoise_s\tnoise_alarms\t")
		for _, f := range r.Files {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.4f\t%d\t\n", f.Name, f.Targets, f.Detected, f.Correct, f.Detections, f.NoiseSeconds, f.NoiseAlarms)
		}
		tw.Flush()
		for _, f := range r.Files {
			for _, m := range f.Missed {
				fmt.Fprintf(&b, "%s: missed %s\n", f.Name, m)
			}
			for _, w := range f.WrongNames {
				fmt.Fprintf(&b, "%s: false positive %s\n", f.Name, w)
			}
		}
	}
	if len(r.Skipped)+len(r.Unmapped)+len(r.Warnings) > 0 {
		b.WriteString("\n")
	}
	listed := map[SkipReason]int{}
	for _, s := range r.Skipped {
		if listed[s.Reason]++; listed[s.Reason] > maxNamed {
			continue
		}
		why := s.Reason.String()
		if s.Why != "" {
			why += ": " + s.Why
		}
		fmt.Fprintf(&b, "passed over: %s (%s)\n", s.Path, why)
	}
	for _, k := range skipReasons {
		if n := listed[k] - maxNamed; n > 0 {
			fmt.Fprintf(&b, "passed over: %d more (%s; --json's corpus.skipped names them)\n", n, k)
		}
	}
	if len(r.Unmapped) > 0 {
		fmt.Fprintf(&b, "labels naming no class (scored as other; %s): %s\n", UnmappedCost, FormatLabelCounts(r.Unmapped))
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func fmtInterval(iv *Interval) string {
	if iv == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f-%.2f", iv[0], iv[1])
}

func fmtRate(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.4g", *p)
}

// snrTable writes one row per class of curves and one column per SNR of
// snrs, each cell cell(point) of the class's point at that SNR, "-" where
// it has none.
func snrTable(w io.Writer, curves []PdCurve, snrs []float64, cell func(PdPoint) string) {
	fmt.Fprint(w, "class\\SNR dB\t")
	for _, s := range snrs {
		fmt.Fprintf(w, "%g\t", s)
	}
	fmt.Fprintln(w)
	for _, c := range curves {
		fmt.Fprintf(w, "%s\t", c.Class)
		for _, s := range snrs {
			v := "-"
			for _, p := range c.Points {
				if p.SNRDB == s {
					v = cell(p)
				}
			}
			fmt.Fprintf(w, "%s\t", v)
		}
		fmt.Fprintln(w)
	}
}
