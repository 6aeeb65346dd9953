package eval

import (
	"cmp"
	"math"
	"slices"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/event"
)

// Tally accumulates Matched recordings into the numbers of a Report.
// The zero value is not ready; use NewTally.
type Tally struct {
	class     map[string]*ClassStats
	conf      map[string]map[string]int
	pd        map[string]map[float64]*PdPoint
	noiseS    float64
	noiseWinS float64         // noise windows' time, whatever their band
	noiseFr   float64         // noise time in detector frames
	nfft      map[float64]int // default detector frame length by sample rate
	alarms    int
	classedFA int
	files     []FileStats
	runs      int
}

// NewTally returns an empty Tally.
func NewTally() *Tally {
	return &Tally{class: map[string]*ClassStats{}, conf: map[string]map[string]int{},
		pd: map[string]map[float64]*PdPoint{}}
}

func (t *Tally) stats(c string) *ClassStats {
	s := t.class[c]
	if s == nil {
		s = &ClassStats{Class: c}
		t.class[c] = s
	}
	return s
}

func (t *Tally) count(row, col string) {
	if t.conf[row] == nil {
		t.conf[row] = map[string]int{}
	}
	t.conf[row][col]++
}

// Add scores one recording or case. name, when not empty, adds a per-file
// line to the report; sampleRateHz converts noise samples to time.
func (t *Tally) Add(name string, m Matched, sampleRateHz float64) {
	t.runs++
	fs := FileStats{Name: name, Targets: len(m.Targets), Detections: len(m.Dets)}
	for _, o := range m.Targets {
		s := t.stats(o.Truth.Class)
		s.Truths++
		t.count(o.Truth.Class, o.Pred)
		if o.Detected {
			s.Detected++
			fs.Detected++
		} else if len(fs.Missed) < maxMissedListed {
			fs.Missed = append(fs.Missed, o.Truth.String())
		}
		if o.Correct() {
			s.Correct++
			fs.Correct++
		}
		if o.LinkScored() {
			s.LinkScored++
			if o.PredLink == o.Truth.Link {
				s.LinkOK++
			}
		}
		if !math.IsNaN(o.Truth.SNRDB) {
			if t.pd[o.Truth.Class] == nil {
				t.pd[o.Truth.Class] = map[float64]*PdPoint{}
			}
			p := t.pd[o.Truth.Class][o.Truth.SNRDB]
			if p == nil {
				p = &PdPoint{SNRDB: o.Truth.SNRDB}
				t.pd[o.Truth.Class][o.Truth.SNRDB] = p
			}
			p.Truths++
			if o.Detected {
				p.Detected++
			}
			if o.Correct() {
				p.Correct++
			}
		}
	}
	for _, o := range m.Dets {
		if o.Role != RoleHit {
			t.count(ClassNone, o.Det.Class)
		}
		if o.Role == RoleNoise {
			t.alarms++
			fs.NoiseAlarms++
			if o.Det.Class != event.ClassUnknown {
				t.classedFA++
			}
		}
		if o.Det.Class == event.ClassUnknown || o.Fragment {
			continue
		}
		s := t.stats(o.Det.Class)
		if o.TP() {
			s.TP++
		} else {
			s.FP++
			if len(fs.WrongNames) < maxMissedListed {
				fs.WrongNames = append(fs.WrongNames, o.String())
			}
		}
	}
	if sampleRateHz > 0 {
		fs.NoiseSeconds = float64(m.NoiseSample) / sampleRateHz
		fs.NoiseWindowSeconds = float64(m.NoiseWindowSample) / sampleRateHz
		t.noiseS += fs.NoiseSeconds
		t.noiseWinS += fs.NoiseWindowSeconds
		t.noiseFr += float64(m.NoiseSample) / float64(t.frameLen(sampleRateHz))
	}
	if name != "" {
		t.files = append(t.files, fs)
	}
}

// frameLen returns the default detector frame length (NFFT) at
// sampleRateHz, the unit of false alarms per frame.
func (t *Tally) frameLen(sampleRateHz float64) int {
	if n, ok := t.nfft[sampleRateHz]; ok {
		return n
	}
	n := 1
	if d, err := dsp.NewDetector(dsp.DetectorConfig{SampleRateHz: sampleRateHz}); err == nil {
		n = d.Config().NFFT
	}
	if t.nfft == nil {
		t.nfft = map[float64]int{}
	}
	t.nfft[sampleRateHz] = n
	return n
}

// maxMissedListed bounds the missed targets a FileStats lists.
const maxMissedListed = 20

// Report is the result of an evaluation.
type Report struct {
	Runs      int          `json:"runs"` // recordings or generated cases scored
	Classes   []ClassStats `json:"classes"`
	Confusion Confusion    `json:"confusion"`
	Noise     NoiseStats   `json:"noise"`
	PdVsSNR   []PdCurve    `json:"pd_vs_snr,omitempty"`
	Files     []FileStats  `json:"files,omitempty"`
	// Skipped lists the corpus files and folders passed over, with why
	// (paths relative to the corpus folder); a corpus only.
	Skipped []Skipped `json:"skipped,omitempty"`
	// Unmapped counts the corpus labels that named no class, noise or
	// "other" ParseLabel knows, scored as KindOther (Unmapped), most
	// frequent first; blank labels (and annotations without core:label)
	// are counted as "".
	Unmapped []LabelCount `json:"unmapped_labels,omitempty"`
	// Warnings name corpus truth that contradicts itself or lies outside
	// the recorded band (CheckTruth): "a.sigmf-meta: target ...".
	Warnings []string `json:"warnings,omitempty"`
}

// LabelCount is a label and how many annotations carry it.
type LabelCount struct {
	Label string `json:"label"`
	Count int    `json:"count"`
}

// ClassStats are the numbers of one class. Truth-level counts (Truths,
// Detected, Correct) count targets of the class; detection-level counts
// (TP, FP) count detections the classifier named with it.
type ClassStats struct {
	Class      string `json:"class"`
	Truths     int    `json:"truths"`      // targets of this class
	Detected   int    `json:"detected"`    // ... overlapped by any detection
	Correct    int    `json:"correct"`     // ... whose best detection names this class
	TP         int    `json:"tp"`          // detections named this class on a target of this class
	FP         int    `json:"fp"`          // detections named this class on anything else
	LinkScored int    `json:"link_scored"` // correct targets with an uplink/downlink truth
	LinkOK     int    `json:"link_ok"`     // ... whose predicted link agrees

	Precision *float64 `json:"precision"` // TP / (TP + FP); null when the class was never predicted
	Recall    *float64 `json:"recall"`    // Correct / Truths; null without truth
	Pd        *float64 `json:"pd"`        // Detected / Truths
	F1        *float64 `json:"f1"`
	LinkAcc   *float64 `json:"link_accuracy"` // LinkOK / LinkScored

	// Two-sided 95% Wilson score intervals [low, high] of Precision,
	// Recall and Pd (Wilson); null when the ratio is.
	PrecisionCI95 *Interval `json:"precision_ci95"`
	RecallCI95    *Interval `json:"recall_ci95"`
	PdCI95        *Interval `json:"pd_ci95"`
}

// Interval is a confidence interval [low, high] of a proportion.
type Interval [2]float64

// Wilson returns the two-sided 95% Wilson score interval of the
// proportion k of n, or nil when n is 0. Unlike the normal
// approximation it stays inside [0, 1] and is not empty at k = 0 or
// k = n: 3 of 3 gives [0.438, 1], 0 of 3 [0, 0.562].
func Wilson(k, n int) *Interval {
	if n <= 0 {
		return nil
	}
	const z = 1.959963984540054 // the normal's 0.975 quantile
	nf, p := float64(n), float64(k)/float64(n)
	den := 1 + z*z/nf
	centre := (p + z*z/(2*nf)) / den
	half := z / den * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf))
	return &Interval{max(0, centre-half), min(1, centre+half)}
}

// Confusion is truth (rows) against predicted class (columns). Every truth
// class seen has a row and every class seen a column, in the order of
// PredictedClasses (others after them, sorted), then ClassMissed. A target row
// counts targets by the class of the detection overlapping them most, or
// ClassMissed. The ClassNone row counts detections that overlap no target
// (false alarms on noise, "other" lines and unannotated spectrum) by their
// predicted class.
type Confusion struct {
	Rows   []string `json:"rows"`
	Cols   []string `json:"cols"`
	Counts [][]int  `json:"counts"`
}

// NoiseStats are the false alarms in noise windows.
type NoiseStats struct {
	// Seconds is the noise time: the noise windows' union, each instant
	// weighted by the share of the recorded band they cover
	// (Matched.NoiseSample), so the rates are per hour of the whole band.
	Seconds float64 `json:"seconds"`
	// WindowSeconds is the noise windows' time whatever their band.
	WindowSeconds  float64  `json:"window_seconds"`
	Alarms         int      `json:"alarms"`           // detections mostly inside noise
	ClassedAlarms  int      `json:"classed_alarms"`   // ... named with a class (not unknown)
	AlarmsPerHour  *float64 `json:"alarms_per_hour"`  // null without noise time
	ClassedPerHour *float64 `json:"classed_per_hour"` // the alarms that would raise an alert
	// AlarmsUpper95PerHour is the one-sided 95% Poisson upper bound on
	// the rate of all alarms (3/T for none seen).
	AlarmsUpper95PerHour *float64 `json:"alarms_upper95_per_hour"`
	// Upper95PerHour is the one-sided 95% Poisson upper bound on the
	// classed alarm rate (3/T for none seen).
	Upper95PerHour *float64 `json:"classed_upper95_per_hour"`
	// Frames is the noise time in detector frames of the default NFFT at
	// each capture's sample rate (dsp.DetectorConfig), AlarmsPerFrame the
	// alarms over it: the detector's false-alarm rate per frame.
	Frames         float64  `json:"frames"`
	AlarmsPerFrame *float64 `json:"alarms_per_frame"` // null without noise time
}

// PdCurve is the probability of detection of one class against SNR.
type PdCurve struct {
	Class  string    `json:"class"`
	Points []PdPoint `json:"points"`
}

// PdPoint is one SNR of a PdCurve. Pd counts targets overlapped by any
// detection; Pc those also named with the right class.
type PdPoint struct {
	SNRDB    float64 `json:"snr_db"`
	Truths   int     `json:"truths"`
	Detected int     `json:"detected"`
	Correct  int     `json:"correct"`
	Pd       float64 `json:"pd"`
	Pc       float64 `json:"pc"`
	// PdCI95 and PcCI95 are the two-sided 95% Wilson score intervals
	// of Pd and Pc (Wilson). Truths counts truth records, not cases: a
	// GSM case holds a burst per frame, and its bursts are not
	// independent trials, so read a point's interval as narrower than
	// the cases behind it bear.
	PdCI95 *Interval `json:"pd_ci95"`
	PcCI95 *Interval `json:"pc_ci95"`
}

// FileStats summarises one recording.
type FileStats struct {
	Name         string  `json:"name"` // a corpus recording: its path in the corpus folder, without extension
	Targets      int     `json:"targets"`
	Detected     int     `json:"detected"`
	Correct      int     `json:"correct"`
	Detections   int     `json:"detections"`
	NoiseSeconds float64 `json:"noise_seconds"` // band-weighted, as NoiseStats.Seconds
	// NoiseWindowSeconds is the noise windows' time whatever their band.
	NoiseWindowSeconds float64  `json:"noise_window_seconds"`
	NoiseAlarms        int      `json:"noise_alarms"`
	Missed             []string `json:"missed,omitempty"` // up to 20 missed targets (Truth.String)
	// WrongNames lists up to 20 false positives: detections named with a
	// class on a target of another class, noise, "other" lines or
	// unannotated spectrum (DetOutcome.String).
	WrongNames []string `json:"wrong_names,omitempty"`
}

// ratio returns num/den, or nil when den is 0.
func ratio(num, den float64) *float64 {
	if den == 0 {
		return nil
	}
	v := num / den
	return &v
}

// Report computes the numbers of everything added so far.
func (t *Tally) Report() Report {
	r := Report{Runs: t.runs, Files: slices.Clone(t.files)}
	order := t.classOrder()
	for _, c := range order {
		s, ok := t.class[c]
		if !ok {
			continue
		}
		v := *s
		v.Precision = ratio(float64(v.TP), float64(v.TP+v.FP))
		v.Recall = ratio(float64(v.Correct), float64(v.Truths))
		v.Pd = ratio(float64(v.Detected), float64(v.Truths))
		if v.Precision != nil && v.Recall != nil && *v.Precision+*v.Recall > 0 {
			f := 2 * *v.Precision * *v.Recall / (*v.Precision + *v.Recall)
			v.F1 = &f
		}
		v.LinkAcc = ratio(float64(v.LinkOK), float64(v.LinkScored))
		v.PrecisionCI95 = Wilson(v.TP, v.TP+v.FP)
		v.RecallCI95 = Wilson(v.Correct, v.Truths)
		v.PdCI95 = Wilson(v.Detected, v.Truths)
		r.Classes = append(r.Classes, v)
	}
	r.Confusion.Cols = append(order, ClassMissed)
	for _, row := range append(slices.Clone(order), ClassNone) {
		if len(t.conf[row]) == 0 {
			continue
		}
		counts := make([]int, len(r.Confusion.Cols))
		for i, c := range r.Confusion.Cols {
			counts[i] = t.conf[row][c]
		}
		r.Confusion.Rows = append(r.Confusion.Rows, row)
		r.Confusion.Counts = append(r.Confusion.Counts, counts)
	}
	h := t.noiseS / 3600
	r.Noise = NoiseStats{Seconds: t.noiseS, WindowSeconds: t.noiseWinS, Alarms: t.alarms, ClassedAlarms: t.classedFA,
		AlarmsPerHour: ratio(float64(t.alarms), h), ClassedPerHour: ratio(float64(t.classedFA), h),
		AlarmsUpper95PerHour: ratio(poissonUpper95(t.alarms), h),
		Upper95PerHour:       ratio(poissonUpper95(t.classedFA), h),
		Frames:               t.noiseFr, AlarmsPerFrame: ratio(float64(t.alarms), t.noiseFr)}
	for _, c := range Classes() {
		byS := t.pd[c]
		if len(byS) == 0 {
			continue
		}
		curve := PdCurve{Class: c}
		for _, p := range byS {
			q := *p
			q.Pd = float64(q.Detected) / float64(q.Truths)
			q.Pc = float64(q.Correct) / float64(q.Truths)
			q.PdCI95, q.PcCI95 = Wilson(q.Detected, q.Truths), Wilson(q.Correct, q.Truths)
			curve.Points = append(curve.Points, q)
		}
		slices.SortFunc(curve.Points, func(a, b PdPoint) int { return cmp.Compare(a.SNRDB, b.SNRDB) })
		r.PdVsSNR = append(r.PdVsSNR, curve)
	}
	return r
}

// classOrder lists the classes of the report's tables: PredictedClasses,
// then any other class seen as truth or prediction (a label this package
// maps to none of them), sorted. Every truth class seen gets a confusion
// row, and every class a column.
func (t *Tally) classOrder() []string {
	order := PredictedClasses()
	var extra []string
	seen := func(c string) {
		if c != "" && c != ClassNone && c != ClassMissed && !slices.Contains(order, c) && !slices.Contains(extra, c) {
			extra = append(extra, c)
		}
	}
	for c := range t.class {
		seen(c)
	}
	for row, cols := range t.conf {
		seen(row)
		for c := range cols {
			seen(c)
		}
	}
	slices.Sort(extra)
	return append(order, extra...)
}

// poissonUpper95 is the one-sided 95% upper confidence limit of a Poisson
// mean after observing k events: half the 0.95 quantile of chi-square with
// 2(k+1) degrees of freedom (Garwood 1936). For k = 0 it is -ln 0.05 ≈ 3.
// Found by bisection on the Poisson CDF: P(X ≤ k; μ) = 0.05.
func poissonUpper95(k int) float64 {
	cdf := func(mu float64) float64 { // summed in logs: exp(-mu) underflows past mu ≈ 745
		var sum float64
		for i := 0; i <= k; i++ {
			lg, _ := math.Lgamma(float64(i) + 1)
			sum += math.Exp(-mu + float64(i)*math.Log(mu) - lg)
		}
		return sum
	}
	lo, hi := float64(k), float64(k)+10+5*math.Sqrt(float64(k)+1)
	for range 100 {
		mid := (lo + hi) / 2
		if cdf(mid) > 0.05 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}
