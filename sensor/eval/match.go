package eval

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
)

// Truth is one ground-truth record of a recording or generated case: a
// window of samples and an RF band (absolute Hz, the same frame as the
// detections it is matched with).
type Truth struct {
	Class       string // event class (KindTarget), else "" or unknown
	Link        string // uplink, downlink, tdd or ""
	Kind        Kind
	Label       string // the label it came from, if any
	StartSample int64
	SampleCount int64
	FreqLowHz   float64 // -Inf/+Inf when the annotation gives no band
	FreqHighHz  float64
	SNRDB       float64 // nominal SNR of a generated case; NaN when unknown
}

// String describes t: label (or class), sample window and band in MHz.
func (t Truth) String() string {
	name := cmp.Or(t.Label, t.Class, t.Kind.String())
	band := "whole band"
	if !math.IsInf(t.FreqLowHz, 0) && !math.IsInf(t.FreqHighHz, 0) {
		band = fmt.Sprintf("%.3f..%.3f MHz", t.FreqLowHz/1e6, t.FreqHighHz/1e6)
	}
	return fmt.Sprintf("%s samples %d+%d %s", name, t.StartSample, t.SampleCount, band)
}

// end is one past the last sample.
func (t Truth) end() int64 { return t.StartSample + t.SampleCount }

// Detection is what the pipeline reported, reduced to what scoring needs.
type Detection struct {
	Class       string  // event class (NormClass of the classifier's), ClassCellular or unknown
	Link        string  // as the classifier gave it
	Text        string  // human label
	StartSample int64   // absolute sample index
	SampleCount int64   // samples
	FreqLowHz   float64 // RF lower edge, Hz
	FreqHighHz  float64 // RF upper edge, Hz
	SNRDB       float64 // detector's SNR, dB
}

func (d Detection) end() int64 { return d.StartSample + d.SampleCount }

// DetectionOf converts a pipeline result.
func DetectionOf(r pipeline.Result) Detection {
	return Detection{Class: NormClass(r.Label.Class), Link: r.Label.Link, Text: r.Label.Text,
		StartSample: r.Em.StartSample, SampleCount: r.Em.SampleCount,
		FreqLowHz: r.FreqLowHz, FreqHighHz: r.FreqHighHz, SNRDB: r.Em.SNRDB}
}

// Role is what a detection turned out to be.
type Role int

// Roles of a detection.
const (
	// RoleUnannotated overlaps no truth record at all.
	RoleUnannotated Role = iota
	// RoleHit overlaps a target.
	RoleHit
	// RoleNoise lies mostly inside a noise window: a false alarm.
	RoleNoise
	// RoleOther overlaps only KindOther records.
	RoleOther
)

// String names the role.
func (r Role) String() string {
	return [...]string{"unannotated", "hit", "noise", "other"}[r]
}

// TruthOutcome is how one target fared.
type TruthOutcome struct {
	Truth    Truth
	Detected bool   // some detection overlaps it
	Pred     string // class of the detection overlapping it most; ClassMissed when not detected
	PredLink string
	Det      int // index of that detection, -1 when missed
}

// Correct reports a detection with the truth's class, or any class of the
// truth's family (Names).
func (o TruthOutcome) Correct() bool { return o.Detected && Names(o.Truth.Class, o.Pred) }

// LinkScored reports whether the link of this outcome is scored: the truth
// names uplink or downlink (a TDD frame holds both) and the class is right.
func (o TruthOutcome) LinkScored() bool {
	return o.Correct() && (o.Truth.Link == event.LinkUplink || o.Truth.Link == event.LinkDownlink)
}

// DetOutcome is how one detection fared.
type DetOutcome struct {
	Det   Detection
	Role  Role
	Truth string // class of the target it overlaps most (RoleHit), else ""
	// Fragment marks a hit that is the tail of a split emission (see
	// Match): it is neither a true nor a false positive.
	Fragment bool
}

// String describes o: predicted class and text, window, band and role.
func (o DetOutcome) String() string {
	d := o.Det
	on := o.Role.String()
	if o.Role == RoleHit {
		on = "target " + o.Truth
	}
	return fmt.Sprintf("%s (%s) samples %d+%d %.3f..%.3f MHz on %s", d.Class, d.Text, d.StartSample, d.SampleCount,
		d.FreqLowHz/1e6, d.FreqHighHz/1e6, on)
}

// TP reports a named class that matches the target it overlaps, or is a
// member of its family (Names), not a Fragment. On a family target (a
// "phone") it is a true positive of the class it named (lte).
func (o DetOutcome) TP() bool {
	return o.Role == RoleHit && !o.Fragment && o.Det.Class != event.ClassUnknown && Names(o.Truth, o.Det.Class)
}

// FP reports a named class on anything but a target of that class (not a
// Fragment).
func (o DetOutcome) FP() bool { return o.Det.Class != event.ClassUnknown && !o.Fragment && !o.TP() }

// Matched is the scoring of one recording or case.
type Matched struct {
	Targets []TruthOutcome
	Dets    []DetOutcome
	// NoiseSample is the noise time in samples: the union of the noise
	// windows, each instant weighted by the share of the recorded band
	// the windows cover there (MatchIn; whole when no band is known),
	// rounded to a sample. A 200 kHz window in a 20 MHz capture counts
	// a hundredth of its samples.
	NoiseSample int64
	// NoiseWindowSample is the samples of the union of the noise windows,
	// whatever their band (what NoiseSample was until 2026-12-06).
	NoiseWindowSample int64
}

// NoiseFraction is how much of a detection's time × frequency area must
// lie inside the noise windows (their union) for it to count as a false
// alarm there, or on "other" records for such an alarm to be "other".
const NoiseFraction = 0.5

// FragmentFraction is the longest a split emission's tail may be, as a
// fraction of the piece before it, to be a Fragment rather than a
// detection of its own. The detector cuts an emission longer than
// dsp.DetectorConfig.MaxEmissionDur (500 ms) into pieces of that length,
// so a tail under 50 ms of 500 ms is what was left when the emission or
// the file ended; the classifier often cannot name one that short ("LTE/NR
// uplink (…, unconfirmed: too short)").
const FragmentFraction = 0.1

// Match scores the detections of one recording against its truth:
//
//   - a detection lying more than NoiseFraction (of its time × frequency
//     area) inside the union of the noise windows is a false alarm
//     (RoleNoise), or RoleOther when it lies more than NoiseFraction on
//     "other" records (a persistent line) that enclose none of those
//     windows. A window is left out when the detection overlaps a target
//     that does not enclose it (a signal starting at the window's edge,
//     or one over exactly the window's samples). A target strictly
//     enclosing the window (a TD-LTE frame around its silent uplink
//     period) does not excuse it;
//   - else a detection overlapping a target is a hit (RoleHit), scored
//     against the class of the target it overlaps most; else one
//     overlapping an "other" record is RoleOther, else RoleUnannotated;
//   - a target is detected when a hit overlaps it in time and frequency;
//     its prediction is the class of the hit with the largest overlap (time
//     in samples × frequency in Hz; ties: the earlier detection);
//   - a hit that starts on the sample another hit ends, overlapping it in
//     frequency, and is at most FragmentFraction as long, is the tail of an
//     emission the detector split (MaxEmissionDur): a Fragment, scored
//     neither as a true nor as a false positive.
//
// Match knows no recorded band: a noise window's time counts whole,
// whatever its band. MatchIn weights it by the band it covers.
func Match(truth []Truth, dets []Detection) Matched {
	return MatchIn(truth, dets, nil)
}

// MatchIn is Match for a recording of the bands bandsHz (each [low,
// high] RF Hz, RecordedBands; nil: not known): its noise time
// (Matched.NoiseSample) weights each instant of the noise windows by
// the share of the recorded bandwidth they cover then, so a false-alarm
// rate per hour is per hour of the whole band, the sensor's hour.
func MatchIn(truth []Truth, dets []Detection, bandsHz [][2]float64) Matched {
	var m Matched
	weighted, window := noiseTime(truth, bandsHz, nil)
	m.NoiseSample, m.NoiseWindowSample = int64(math.Round(weighted)), window
	m.Dets = matchDets(truth, dets)
	markFragments(m.Dets)
	m.Targets = matchTargets(truth, m.Dets)
	return m
}

// matchDets is matchDet of each detection, in the order of dets (nil for
// none), each judged against only the truth records sharing a sample
// with it, in their order in truth: the others cannot change its role,
// so this is matchDet against all of truth, without comparing every
// detection with every record (until 2026-12-06 it did: 10,000 of each
// took 8 s, now 7 ms; BenchmarkMatch).
func matchDets(truth []Truth, dets []Detection) []DetOutcome {
	if len(dets) == 0 {
		return nil
	}
	out := make([]DetOutcome, len(dets))
	queries := make([]span, len(dets))
	for i, d := range dets {
		out[i] = matchDet(nil, d) // as if it overlaps nothing: visit passes over one of no samples
		queries[i] = span{d.StartSample, d.end()}
	}
	items := make([]span, len(truth))
	for i, t := range truth {
		items[i] = span{t.StartSample, t.end()}
	}
	var near []Truth
	visitOverlaps(queries, items, func(i int, records []int) {
		near = near[:0]
		for _, j := range records {
			near = append(near, truth[j])
		}
		out[i] = matchDet(near, dets[i])
	})
	return out
}

// markFragments sets Fragment on each hit of outs that is the tail of
// another hit (isTail), finding the hits that end where it starts by a
// binary search over the hits sorted by their end sample.
func markFragments(outs []DetOutcome) {
	var hits []int // indices into outs, by end sample
	for i, o := range outs {
		if o.Role == RoleHit {
			hits = append(hits, i)
		}
	}
	endOf := func(i int) int64 { return outs[i].Det.end() }
	slices.SortFunc(hits, func(a, b int) int { return cmp.Compare(endOf(a), endOf(b)) })
	for _, i := range hits {
		tail := outs[i].Det
		k, _ := slices.BinarySearchFunc(hits, tail.StartSample, func(j int, start int64) int { return cmp.Compare(endOf(j), start) })
		for ; k < len(hits) && endOf(hits[k]) == tail.StartSample; k++ {
			if hits[k] != i && isTail(tail, outs[hits[k]].Det) {
				outs[i].Fragment = true
				break
			}
		}
	}
}

// isTail reports o being what is left of an emission the detector split
// after p: it starts on the sample p ends, overlaps p in frequency and is
// at most FragmentFraction as long.
func isTail(o, p Detection) bool {
	return p.end() == o.StartSample &&
		float64(o.SampleCount) <= FragmentFraction*float64(p.SampleCount) &&
		bandOverlap(p.FreqLowHz, p.FreqHighHz, o.FreqLowHz, o.FreqHighHz) >= 0
}

// matchTargets scores each target of truth, in their order (nil for
// none): detected when a hit of outs (RoleHit) overlaps it, predicted
// as the class of the hit overlapping it most (overlapArea; ties: the
// earlier detection). Only the hits sharing a sample with the target
// are compared (visitOverlaps).
func matchTargets(truth []Truth, outs []DetOutcome) []TruthOutcome {
	n := 0
	for _, t := range truth {
		if t.Kind == KindTarget {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	targets := make([]TruthOutcome, 0, n)
	at := make([]int, len(truth))       // index in targets of truth[i], a target
	queries := make([]span, len(truth)) // the targets' spans; none for other records
	for i, t := range truth {
		if t.Kind == KindTarget {
			at[i] = len(targets)
			targets = append(targets, TruthOutcome{Truth: t, Pred: ClassMissed, Det: -1})
			queries[i] = span{t.StartSample, t.end()}
		}
	}
	items := make([]span, len(outs)) // the hits' spans; none for other detections
	for i, o := range outs {
		if o.Role == RoleHit {
			items[i] = span{o.Det.StartSample, o.Det.end()}
		}
	}
	visitOverlaps(queries, items, func(ti int, hits []int) {
		o := &targets[at[ti]]
		best := -1.0
		for _, i := range hits {
			if a := overlapArea(truth[ti], outs[i].Det); a > best {
				best, o.Det = a, i
			}
		}
		if o.Det >= 0 {
			d := outs[o.Det].Det
			o.Detected, o.Pred, o.PredLink = true, d.Class, d.Link
		}
	})
	return targets
}

// span is a run of samples: start, and one past the last. One of no
// samples (end ≤ start) overlaps nothing.
type span struct{ start, end int64 }

// visitOverlaps calls visit once for each query of at least one sample,
// in no fixed order, with the indices of the items sharing a sample with
// it (the overlap Match counts: touching is not overlapping), ascending;
// visit must not keep that slice. It sorts both by start and sweeps the
// queries in that order, keeping the items already started and not yet
// ended ("running"): an item overlaps a query when it runs at the
// query's start or starts inside it. Its cost is n log n in the spans
// plus, per query, k log k in the items overlapping it (k), not the
// product of the counts.
func visitOverlaps(queries, items []span, visit func(query int, overlapping []int)) {
	qs, is := byStart(queries), byStart(items)
	var running, found []int
	next := 0 // is[next:] have not started at the current query's start
	for _, q := range qs {
		start, end := queries[q].start, queries[q].end
		for next < len(is) && items[is[next]].start <= start {
			running = append(running, is[next])
			next++
		}
		running = slices.DeleteFunc(running, func(i int) bool { return items[i].end <= start })
		found = append(found[:0], running...)
		for k := next; k < len(is) && items[is[k]].start < end; k++ {
			found = append(found, is[k])
		}
		slices.Sort(found)
		visit(q, found)
	}
}

// byStart is the indices of the spans of at least one sample, sorted by
// start.
func byStart(spans []span) []int {
	order := make([]int, 0, len(spans))
	for i, s := range spans {
		if s.end > s.start {
			order = append(order, i)
		}
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(spans[a].start, spans[b].start) })
	return order
}

// matchDet judges d by Match's rules against the records of truth: its
// role, and for a hit the class of the target it overlaps most (ties:
// the earlier record). Records not sharing a sample with d change
// nothing (matchDets leaves them out).
func matchDet(truth []Truth, d Detection) DetOutcome {
	o := DetOutcome{Det: d}
	hitClass, hitArea := "", -1.0
	other := false
	for _, t := range truth {
		a := overlapArea(t, d)
		if a < 0 {
			continue
		}
		switch t.Kind {
		case KindTarget:
			if a > hitArea {
				hitClass, hitArea = t.Class, a
			}
		case KindOther:
			other = true
		}
	}
	if windows := noiseUnder(truth, d); windows != nil {
		o.Role = RoleNoise
		if onOther(truth, windows, d) {
			o.Role = RoleOther
		}
		return o
	}
	switch {
	case hitArea >= 0:
		o.Role, o.Truth = RoleHit, hitClass
	case other:
		o.Role = RoleOther
	}
	return o
}

// noiseUnder returns the noise windows d lies in when it lies more than
// NoiseFraction inside their union (windows annotated in chunks, in time
// or in frequency, are judged together, as their noise time is), or nil.
// A window d overlaps together with a target that does not enclose it is
// left out (the target excuses d there).
func noiseUnder(truth []Truth, d Detection) []Truth {
	var windows []Truth
	for _, w := range truth {
		if w.Kind != KindNoise || overlapArea(w, d) < 0 {
			continue
		}
		excused := false
		for _, t := range truth {
			if t.Kind == KindTarget && overlapArea(t, d) >= 0 && !encloses(t, w) {
				excused = true
			}
		}
		if !excused {
			windows = append(windows, w)
		}
	}
	if len(windows) == 0 || unionFrac(windows, d) <= NoiseFraction {
		return nil
	}
	return windows
}

// onOther reports a detection in noise windows lying more than
// NoiseFraction on "other" records (a spur line under it), counting only
// records that enclose none of those windows: a record around a noise
// window (a file-wide note, "site survey, wing B") is less specific than
// the window, and does not excuse a false alarm inside it. Until
// 2026-12-06 any overlap with any "other" record did.
func onOther(truth, windows []Truth, d Detection) bool {
	var others []Truth
	for _, t := range truth {
		if t.Kind != KindOther || overlapArea(t, d) < 0 {
			continue
		}
		if !slices.ContainsFunc(windows, func(w Truth) bool { return around(t, w) }) {
			others = append(others, t)
		}
	}
	return len(others) > 0 && unionFrac(others, d) > NoiseFraction
}

// around reports o holding w in time and frequency.
func around(o, w Truth) bool {
	return o.StartSample <= w.StartSample && o.end() >= w.end() && o.FreqLowHz <= w.FreqLowHz && o.FreqHighHz >= w.FreqHighHz
}

// encloses reports t's samples strictly enclosing w's: around them, and
// longer. A target over exactly the window's samples (a whole-file noise
// label under a whole-file target) does not enclose it.
func encloses(t, w Truth) bool {
	return t.StartSample <= w.StartSample && t.end() >= w.end() && t.SampleCount > w.SampleCount
}

// CheckTruth returns a warning for each thing in truth that makes its
// scores contradict themselves or mislead: a target overlapping a noise
// window (in time and frequency) without strictly enclosing it (a TD-LTE
// frame around its silent uplink period is meant), a target overlapping
// a target of another class (an SSB inside its NR carrier is one class;
// a phone and an LTE uplink are one family), two targets of one class
// over nearly the same samples and band (sameEmission: one
// emission annotated twice), and a record whose
// band lies wholly outside every band of bandsHz (each [low, high] RF Hz;
// none known: not checked), such as edges given relative to the centre.
func CheckTruth(truth []Truth, bandsHz [][2]float64) []string {
	var out []string
	if len(bandsHz) > 0 {
		var names []string
		for _, b := range bandsHz {
			names = append(names, fmt.Sprintf("%.3f..%.3f", b[0]/1e6, b[1]/1e6))
		}
		for _, t := range truth {
			if math.IsInf(t.FreqLowHz, 0) || math.IsInf(t.FreqHighHz, 0) {
				continue
			}
			if !slices.ContainsFunc(bandsHz, func(b [2]float64) bool { return bandOverlap(b[0], b[1], t.FreqLowHz, t.FreqHighHz) >= 0 }) {
				out = append(out, fmt.Sprintf("%s %s lies outside the recorded band %s MHz (SigMF frequency edges are RF frequencies, not offsets from the centre): it cannot be detected",
					t.Kind, t, strings.Join(names, ", ")))
			}
		}
	}
	// Records overlapping in time, found by a sweep over their starts:
	// each record meets only those still running when it starts, not
	// every other (until 2026-12-06 every pair was compared: 20,000
	// annotations took 23 s). The warnings keep the order of the pairs
	// (target index, other index).
	type warning struct {
		i, j int
		msg  string
	}
	var found []warning
	check := func(i, j int) {
		t, u := truth[i], truth[j]
		switch {
		case t.Kind != KindTarget || !truthOverlap(t, u):
		case u.Kind == KindNoise && !encloses(t, u):
			found = append(found, warning{i, j, fmt.Sprintf("target %s overlaps noise window %s: its samples count as noise time, and a detection on it is a hit, not a false alarm", t, u)})
		case u.Kind == KindTarget && j > i && !Names(t.Class, u.Class) && !Names(u.Class, t.Class):
			found = append(found, warning{i, j, fmt.Sprintf("target %s overlaps target %s of another class: a detection there can be right for only one of them", t, u)})
		case u.Kind == KindTarget && j > i && t.Class == u.Class && sameEmission(t, u):
			found = append(found, warning{i, j, fmt.Sprintf("target %s and target %s annotate the same emission (one class, nearly the same samples and band): it is scored as two targets, a miss as two misses", t, u)})
		}
	}
	order := make([]int, len(truth))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(truth[a].StartSample, truth[b].StartSample) })
	var running []int
	for _, i := range order {
		running = slices.DeleteFunc(running, func(j int) bool { return truth[j].end() <= truth[i].StartSample })
		for _, j := range running {
			check(i, j)
			check(j, i)
		}
		if truth[i].SampleCount > 0 {
			running = append(running, i)
		}
	}
	slices.SortFunc(found, func(a, b warning) int { return cmp.Or(cmp.Compare(a.i, b.i), cmp.Compare(a.j, b.j)) })
	for _, w := range found {
		out = append(out, w.msg)
	}
	return out
}

// sameEmission reports a and b annotating one emission twice (labels
// merged from two tools): each overlaps the other in time and in band by
// at least SameEmissionFraction of the longer and the wider.
func sameEmission(a, b Truth) bool {
	dt := min(a.end(), b.end()) - max(a.StartSample, b.StartSample)
	if float64(dt) < SameEmissionFraction*float64(max(a.SampleCount, b.SampleCount)) {
		return false
	}
	aInf := math.IsInf(a.FreqLowHz, 0) || math.IsInf(a.FreqHighHz, 0)
	bInf := math.IsInf(b.FreqLowHz, 0) || math.IsInf(b.FreqHighHz, 0)
	if aInf || bInf {
		return aInf && bInf
	}
	df := bandOverlap(a.FreqLowHz, a.FreqHighHz, b.FreqLowHz, b.FreqHighHz)
	return df >= SameEmissionFraction*max(a.FreqHighHz-a.FreqLowHz, b.FreqHighHz-b.FreqLowHz)
}

// SameEmissionFraction is how much two targets of one class must share,
// in time and in band, for CheckTruth to warn that they annotate one
// emission twice.
const SameEmissionFraction = 0.9

// truthOverlap reports a and b overlapping in time and frequency.
func truthOverlap(a, b Truth) bool {
	return min(a.end(), b.end()) > max(a.StartSample, b.StartSample) &&
		bandOverlap(a.FreqLowHz, a.FreqHighHz, b.FreqLowHz, b.FreqHighHz) >= 0
}

// overlapArea is the time × frequency overlap of t and d (samples × Hz), or
// -1 when they do not overlap. Touching is not overlapping. A zero-width
// band (a tone) overlaps when it lies inside the other and counts 1 Hz.
func overlapArea(t Truth, d Detection) float64 {
	dt := min(t.end(), d.end()) - max(t.StartSample, d.StartSample)
	if dt <= 0 {
		return -1
	}
	df := bandOverlap(t.FreqLowHz, t.FreqHighHz, d.FreqLowHz, d.FreqHighHz)
	if df < 0 {
		return -1
	}
	return float64(dt) * df
}

// bandOverlap is the overlap of [a0,a1] and [b0,b1] in Hz, -1 for none.
func bandOverlap(a0, a1, b0, b1 float64) float64 {
	lo, hi := math.Max(a0, b0), math.Min(a1, b1)
	switch {
	case hi > lo:
		return hi - lo
	case hi == lo && (a0 == a1 || b0 == b1):
		return 1
	}
	return -1
}

// unionFrac is the fraction of d's time × frequency area inside the
// union of the records ws. A detection of no bandwidth (a tone) counts
// the fraction of its time inside the records that hold its frequency.
func unionFrac(ws []Truth, d Detection) float64 {
	if d.SampleCount <= 0 {
		return 0
	}
	lo, hi := d.FreqLowHz, d.FreqHighHz
	type rect struct {
		t0, t1 int64
		f0, f1 float64
	}
	var rs []rect
	var cuts []int64
	for _, w := range ws {
		if overlapArea(w, d) < 0 {
			continue
		}
		r := rect{max(w.StartSample, d.StartSample), min(w.end(), d.end()), max(w.FreqLowHz, lo), min(w.FreqHighHz, hi)}
		if hi <= lo {
			r.f0, r.f1 = 0, 1
		}
		rs = append(rs, r)
		cuts = append(cuts, r.t0, r.t1)
	}
	bw := hi - lo
	if bw <= 0 {
		bw = 1
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	var area float64
	for i := 0; i+1 < len(cuts); i++ {
		var bands [][2]float64
		for _, r := range rs {
			if r.t0 <= cuts[i] && r.t1 >= cuts[i+1] {
				bands = append(bands, [2]float64{r.f0, r.f1})
			}
		}
		area += float64(cuts[i+1]-cuts[i]) * unionWidth(bands)
	}
	return area / (float64(d.SampleCount) * bw)
}

// unionWidth is the total width of the union of [low, high] bands.
func unionWidth(bands [][2]float64) float64 {
	slices.SortFunc(bands, func(a, b [2]float64) int { return cmp.Compare(a[0], b[0]) })
	var total float64
	for i := 0; i < len(bands); {
		lo, hi := bands[i][0], bands[i][1]
		for i++; i < len(bands) && bands[i][0] <= hi; i++ {
			hi = max(hi, bands[i][1])
		}
		total += max(0, hi-lo)
	}
	return total
}

// noiseTime is the time of the union of truth's noise windows outside
// the sorted, disjoint sample runs exclude: weighted, each instant by the
// width of the windows' bands there (their union, clipped to the hull of
// bandsHz) over the widest band of bandsHz, at most 1 (1 with no band
// known); and window, in whole samples whatever the band.
func noiseTime(truth []Truth, bandsHz [][2]float64, exclude [][2]int64) (weighted float64, window int64) {
	var ws []Truth
	for _, t := range truth {
		if t.Kind == KindNoise && t.SampleCount > 0 {
			ws = append(ws, t)
		}
	}
	if len(ws) == 0 {
		return 0, 0
	}
	lo, hi, width := math.Inf(1), math.Inf(-1), 0.0
	for _, b := range bandsHz {
		lo, hi, width = min(lo, b[0]), max(hi, b[1]), max(width, b[1]-b[0])
	}
	slices.SortFunc(ws, func(a, b Truth) int { return cmp.Compare(a.StartSample, b.StartSample) })
	var cuts []int64
	for _, w := range ws {
		cuts = append(cuts, w.StartSample, w.end())
	}
	for _, e := range exclude {
		cuts = append(cuts, e[0], e[1])
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	var active []Truth
	next, ex := 0, 0
	for i := 0; i+1 < len(cuts); i++ {
		c0, c1 := cuts[i], cuts[i+1]
		for next < len(ws) && ws[next].StartSample <= c0 {
			active = append(active, ws[next])
			next++
		}
		active = slices.DeleteFunc(active, func(w Truth) bool { return w.end() <= c0 })
		for ex < len(exclude) && exclude[ex][1] <= c0 {
			ex++
		}
		if len(active) == 0 || ex < len(exclude) && exclude[ex][0] <= c0 {
			continue
		}
		window += c1 - c0
		frac := 1.0
		if width > 0 {
			var bands [][2]float64
			for _, w := range active {
				bands = append(bands, [2]float64{max(w.FreqLowHz, lo), min(w.FreqHighHz, hi)})
			}
			frac = min(1, unionWidth(bands)/width)
		}
		weighted += float64(c1-c0) * frac
	}
	return weighted, window
}
