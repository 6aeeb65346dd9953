package pipeline

import (
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/dsp/bandplan"
	"github.com/rfwarden/rfwarden/sensor"
)

// Classifier labels one emission. The pipeline's consumer provides it (the
// dsp/classify package); a nil Classifier labels everything "unknown".
type Classifier interface {
	Classify(in ClassifierInput) Label
}

// ClassifierFunc adapts a function to the Classifier interface.
type ClassifierFunc func(in ClassifierInput) Label

// Classify calls f(in).
func (f ClassifierFunc) Classify(in ClassifierInput) Label { return f(in) }

// ClassifierInput is what a Classifier sees of one emission.
type ClassifierInput struct {
	// IQ holds samples of the emission's time span across the whole capture
	// band (DC = CenterHz), at most Config.MaxIQSamples; when the span is
	// longer or older than the ring, the latest available part is given.
	// It is valid only during the Classify call.
	IQ           []complex64
	IQStart      int64   // absolute sample index of IQ[0]
	SampleRateHz float64 // complex samples per second
	CenterHz     float64 // RF frequency of DC
	Em           dsp.Emission
}

// Label is a classifier's verdict on one emission.
type Label struct {
	Class      string  // event class: gsm, lte, nr, wifi, droneid, ... or unknown
	Link       string  // uplink, downlink or unknown
	Band       string  // band plan name, e.g. "B3", "n78", "ISM2400"; empty if none
	Confidence float64 // 0..1
	Text       string  // human label, e.g. "lte downlink"
}

// Unknown is the label of an emission nobody classified.
var Unknown = Label{Class: "unknown", Link: "unknown", Text: "unknown"}

// Calibrator converts a power in dBFS, measured at a tuning and receive gain,
// into dBm at the antenna port.
type Calibrator interface {
	DBm(dBFS, centerHz, gainDB float64) float64
}

// Result is one detection: a closed emission, its label and its RF values.
type Result struct {
	Em           dsp.Emission
	Label        Label
	CenterHz     float64   // RF centre (tuning centre + emission's centre offset), Hz
	FreqLowHz    float64   // RF lower edge of the detected bins, Hz
	FreqHighHz   float64   // RF upper edge of the detected bins, Hz
	BandwidthHz  float64   // occupied (99% power) bandwidth, Hz
	PowerDBm     float64   // signal power at the antenna while on, noise removed (dsp.Emission.SignalDBFS), dBm (dBFS − gain when uncalibrated)
	PeakDBm      float64   // peak single-frame band power, dBm
	Time         time.Time // capture time of the emission's first sample, UTC
	Duration     time.Duration
	SampleRateHz float64 // of the capture that saw it
	TuneCenterHz float64 // RF frequency of DC of that capture
	Device       string  // the Block's device key
}

// Config sets up a Pipeline.
type Config struct {
	// Detector is the detector configuration; SampleRateHz is taken from each
	// tuning's Blocks and need not be set.
	Detector   dsp.DetectorConfig
	Calibrator Calibrator // nil: PowerDBm = dBFS − GainDB (uncalibrated)
	Classifier Classifier // nil: every result is labelled Unknown

	RingSamples  int // IQ history kept for the classifier, at most; default 1<<21 (the ring grows to the longest stretch of one tuning seen)
	MaxIQSamples int // most samples handed to the classifier; default 1<<20

	// LabelReuse lets an emission take the label the Classifier gave an
	// earlier one instead of being classified again, when both are at the
	// same tuning, their band edges agree within 1.5 detector bins, the
	// earlier one (or one that took its label) ended at most ReuseGap
	// before it began, and the label is at most LabelReuse old at its end:
	// a carrier that keeps coming back (a BTS traffic channel with idle
	// timeslots, a handset's bursts further apart than the detector's
	// MergeGapDur) is classified about once per LabelReuse, not at every
	// return. An unknown label passes only to emissions no longer than the
	// one it was given to: a longer one may hold what the classifiers
	// need. 0: every emission is classified (rfwarden scan, eval and
	// replay, where each detection is evidence of its own); rfwarden
	// sensor and the demo use DefaultLabelReuse.
	LabelReuse time.Duration

	// KeepIQImbalance hands the samples to the Detector and the ring as
	// they came. By default (false) Process first undoes the receiver's IQ
	// gain and phase imbalance, estimated blindly per tuning from the
	// samples themselves (see correctIQ): a HackRF's 1 dB and 3° leave an
	// image of every emission 24 dB under it at the mirror frequency,
	// which the detector finds as a signal of its own or joins to the
	// emission. For tests that compare with and without.
	KeepIQImbalance bool

	// UplinkFloorCapDB is the detector's floor cap (dsp.DetectorConfig's
	// FloorCapDB) in the bins that the embedded band plan puts in FDD
	// uplink bands only, where no carrier that never stops is a base
	// station's: a handset sending without gaps that was on before the
	// tuning's floor existed (a sensor started mid-call) is learnt into
	// the floor only up to this. 0: DefaultUplinkFloorCapDB; negative:
	// FloorCapDB everywhere (docs/detection.md, "Long calls").
	UplinkFloorCapDB float64

	// RefFloorOverDB, when positive, keeps a reference noise floor per
	// tuning and receive gain (dsp.RefFloor: it falls at once and rises
	// at most RefFloorRiseDBPerHour, never under a detected emission) and
	// bounds each bin's learnt floor at this many dB over it
	// (dsp.Detector.SetFloorReferenceDBFS): a carrier that never stops
	// (analog drone video, a hotspot in a TDD band) that outlasts
	// FloorHold, or, with a reference from an earlier run
	// (SeedRefFloors), one on from the tuning's first sample, is found
	// from some 5 dB over this. 0 (rfwarden scan, eval and replay: a
	// recording has no reference): off, the floor as before. The sensor
	// agent sets it (docs/detection.md, "Long calls").
	RefFloorOverDB float64
	// Logger takes the warning for a result left out because a figure of
	// it is NaN or infinite (appendResults); nil: slog.Default(), so a
	// command line tool prints it.
	Logger *slog.Logger

	// RefFloorRiseDBPerHour is how fast a reference floor may rise, dB per
	// hour of the tuning's stream time; 0: DefaultRefFloorRiseDBPerHour.
	RefFloorRiseDBPerHour float64
}

// IQ imbalance correction (Config.KeepIQImbalance). The receiver's
// imbalance is a property of its analog paths at a tuning and gain; the
// statistics it is estimated from are kept per tuning, weighing the past
// with a half-life of IQHalfLife, so a short block borrows the precision
// of the blocks before it and a change of gain is followed within about a
// second.
const (
	// IQHalfLife is the half-life of the IQ statistics of a tuning.
	IQHalfLife = 250 * time.Millisecond
	// MinIQSamples is how many samples a tuning's statistics must rest
	// on (dsp.IQStats.EffectiveN, weighted by power) before a correction
	// is applied: fewer scatter the estimate by more than 1/√4096 (0.9°
	// and 0.14 dB), about the error they would fix. Counted by power, so
	// a short strong burst over quiet noise (an uplink onset: its power
	// is nearly all in its few hundred samples) does not pass for the
	// thousands of samples around it: its scatter, corrected as an
	// imbalance, would put an image of the burst over the noise
	// (TestUplinkOnsetOverSilentFloor's float rows: 2 of 12 seeds with a
	// 5 MHz onset of 384 samples across DC named its image before).
	MinIQSamples = 4096
	// IQStatsSamples is how many samples of each Block go into the
	// statistics once a tuning's hold that many (its first samples all
	// go in): the first IQStatsSamples of a Block, contiguous, so the
	// moments at lag 0 stay unbiased; at 20 Msps in Blocks of 65536 a
	// quarter of the stream, still 1.25 million samples within a
	// half-life (0.05° of scatter), for a quarter of the cost.
	IQStatsSamples = 16384
	// MaxIQGainDB and MaxIQPhaseDeg bound the imbalance taken for the
	// receiver's; an estimate beyond either (an image less than about
	// 12 dB under its signal) describes the signal, not the receiver (a
	// real-valued or BPSK signal on DC), and is left uncorrected.
	MaxIQGainDB   = 3
	MaxIQPhaseDeg = 15
)

// DefaultLabelReuse is how long the sensor agent reuses a label.
const DefaultLabelReuse = time.Second

// ReuseGap is the longest silence across which an emission takes the
// label of the one before it on the same band edges (LabelReuse).
const ReuseGap = 100 * time.Millisecond

// maxReused bounds the labels kept for reuse per tuning.
const maxReused = 64

// reused is a label kept for reuse (Config.LabelReuse).
type reused struct {
	loHz, hiHz float64 // band edges of the emission it was classified on, Hz from DC
	end        int64   // one past the last sample of the latest emission that took it
	at         int64   // end of the emission it was classified on
	n          int64   // samples of the emission it was classified on
	label      Label
}

// Pipeline runs Blocks through a Detector and a Classifier.
type Pipeline struct {
	cfg Config
	det *dsp.Detector
	// bands is the embedded band plan's bands, read at the first new
	// tuning (setUplinkFloorCaps)
	bands []bandplan.Band
	// dets keeps one Detector per tuning, so a scanning sensor that comes
	// back to a tuning resumes with the noise floor it learnt there instead
	// of judging a short dwell against a floor of a few frames.
	dets map[tuning]*dsp.Detector
	// iqs keeps the IQ statistics of each tuning (Config.KeepIQImbalance),
	// iqStats those of the current one, fixed the buffer of corrected
	// samples.
	iqs     map[tuning]*dsp.IQStats
	iqStats *dsp.IQStats
	fixed   []complex64

	centerHz, rateHz, gainDB float64
	device                   string
	refSample                int64
	refTime                  time.Time
	// the sample and the time the next Block is expected at (zero time:
	// unknown), to tell a time gap at one tuning
	nextSample int64
	nextTime   time.Time

	ring    []complex64
	ringEnd int64 // absolute index one past the newest sample in ring
	ringLen int64 // valid samples in ring

	ems    []dsp.Emission
	iq     []complex64
	labels []reused // of the current tuning

	// reference floors (Config.RefFloorOverDB): by tuning and gain, the
	// current one, the gain it is for, and the rule that moves them
	refs      map[refKey]*refFloor
	ref       *refFloor
	refGainDB float64
	refRule   dsp.RefFloor
	floorBuf  []float64
	busyBuf   []bool
}

// tuning identifies a Detector: one per centre frequency and sample rate.
type tuning struct{ centerHz, rateHz float64 }

// MaxTunings bounds the Detectors a Pipeline keeps (one per tuning of the
// scan plan); beyond it the cache is cleared and floors are learnt anew.
const MaxTunings = 256

// New returns a Pipeline for cfg.
func New(cfg Config) *Pipeline {
	if cfg.RingSamples <= 0 {
		cfg.RingSamples = 1 << 21
	}
	if cfg.MaxIQSamples <= 0 {
		cfg.MaxIQSamples = 1 << 20
	}
	cfg.MaxIQSamples = min(cfg.MaxIQSamples, cfg.RingSamples)
	if cfg.RefFloorRiseDBPerHour <= 0 || math.IsInf(cfg.RefFloorRiseDBPerHour, 0) {
		cfg.RefFloorRiseDBPerHour = DefaultRefFloorRiseDBPerHour
	}
	if math.IsNaN(cfg.RefFloorOverDB) || math.IsInf(cfg.RefFloorOverDB, 0) {
		cfg.RefFloorOverDB = 0
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	rule, _ := dsp.NewRefFloor(cfg.RefFloorRiseDBPerHour) // finite and positive
	return &Pipeline{cfg: cfg, refRule: rule}             // the ring grows as samples come (growRing)
}

// Process runs one Block and appends the results of the emissions that
// closed to dst. A Block with a new tuning (Retuned, or another centre
// frequency or sample rate) first flushes the old tuning's emissions and
// starts a new Detector (or resumes the one it had there); a Retuned
// Block at the same tuning (a break in the stream: samples lost, as a
// recording's core:global_index says) resumes the same one. So does a
// Block at the same tuning whose Time is not contiguous with the previous
// Block's (a time gap, see MaxTimeGap): a recording's captures of one
// tuning seconds apart are separate emissions, as the sensor heard them,
// each dated by its own capture. Samples are not kept past the call except
// in the pipeline's own ring.
func (p *Pipeline) Process(b sensor.Block, dst []Result) ([]Result, error) {
	if !(b.SampleRateHz > 0) {
		return dst, fmt.Errorf("pipeline: block at sample %d has sample rate %v Hz", b.FirstSample, b.SampleRateHz)
	}
	newRef := false
	if p.det == nil || b.Retuned || b.CenterHz != p.centerHz || b.SampleRateHz != p.rateHz {
		newRef = true
		dst = p.Flush(dst)
		key := tuning{b.CenterHz, b.SampleRateHz}
		det := p.dets[key]
		if det == nil {
			var err error
			if det, err = p.newDetector(b.SampleRateHz); err != nil {
				return dst, fmt.Errorf("pipeline: tuning %.0f Hz at %.0f sps: %w", b.CenterHz, b.SampleRateHz, err)
			}
			p.setUplinkFloorCaps(det, b.CenterHz, b.SampleRateHz)
			if p.dets == nil || len(p.dets) >= MaxTunings {
				p.dets = make(map[tuning]*dsp.Detector)
			}
			p.dets[key] = det
		}
		p.det = det
		if p.iqStats = p.iqs[key]; p.iqStats == nil {
			if p.iqs == nil || len(p.iqs) >= MaxTunings {
				p.iqs = make(map[tuning]*dsp.IQStats)
			}
			p.iqStats = &dsp.IQStats{}
			p.iqs[key] = p.iqStats
		}
		p.centerHz, p.rateHz = b.CenterHz, b.SampleRateHz
		p.ringLen = 0
		p.labels = p.labels[:0]
	} else if p.timeGap(b) {
		// The same tuning, but not the same stretch of time: the captures
		// of a scanning sensor's recording, seconds apart with contiguous
		// sample indexes. End the emissions in flight as a retune does
		// (the Detector keeps its floor, as on a return to a tuning).
		dst = p.Flush(dst)
		p.ringLen = 0
		p.labels = p.labels[:0]
	}
	p.gainDB, p.device = b.GainDB, b.Device
	if p.cfg.RefFloorOverDB > 0 && (newRef || p.ref == nil || b.GainDB != p.refGainDB) {
		p.useRef(b.GainDB, !newRef && p.ref != nil && b.GainDB != p.refGainDB)
	}
	p.refSample, p.refTime = b.FirstSample, b.Time
	if p.ringLen > 0 && b.FirstSample != p.ringEnd {
		p.ringLen = 0 // a gap: older samples no longer line up
	}
	p.nextSample, p.nextTime = b.FirstSample+int64(len(b.Samples)), time.Time{}
	if !b.Time.IsZero() {
		p.nextTime = b.Time.Add(sampleDur(int64(len(b.Samples)), b.SampleRateHz))
	}
	x := b.Samples
	if !p.cfg.KeepIQImbalance {
		x = p.correctIQ(x)
	}
	p.push(x, b.FirstSample)
	p.ems = p.det.Process(x, b.FirstSample, p.ems[:0])
	if p.ref != nil {
		p.updateRef(len(x))
	}
	return p.appendResults(dst, p.ems), nil
}

// correctIQ adds x (or its first IQStatsSamples) to the current tuning's
// IQ statistics (the older ones first weighed down by IQHalfLife) and
// returns x with the imbalance they
// estimate undone (dsp.CorrectIQ), in the pipeline's own buffer: the
// Block's samples belong to its Source. With fewer than MinIQSamples
// (counted by power) behind the estimate, an estimate past MaxIQGainDB or MaxIQPhaseDeg, or
// a block that made the sums NaN or infinite (they start again), x is
// returned as it is.
func (p *Pipeline) correctIQ(x []complex64) []complex64 {
	if p.iqStats == nil { // no tuning yet (Process sets one before)
		return x
	}
	p.iqStats.Scale(math.Exp2(-float64(len(x)) / (IQHalfLife.Seconds() * p.rateHz)))
	if p.iqStats.N < IQStatsSamples {
		p.iqStats.Add(x)
	} else {
		p.iqStats.Add(x[:min(len(x), IQStatsSamples)])
	}
	st := p.iqStats
	if sum := st.SumI + st.SumQ + st.SumP + st.SumP2 + st.SumYI + st.SumYQ + st.SumYII + st.SumYQQ + st.SumYIQ; math.IsNaN(sum) || math.IsInf(sum, 0) {
		// A NaN or Inf sample (a damaged float recording) would stay in
		// the sums for good: start them again.
		*p.iqStats = dsp.IQStats{}
		return x
	}
	m := p.iqStats.Imbalance()
	if p.iqStats.EffectiveN() < MinIQSamples || math.Abs(m.GainDB()) > MaxIQGainDB || math.Abs(m.PhaseDeg()) > MaxIQPhaseDeg {
		return x
	}
	if cap(p.fixed) < len(x) {
		p.fixed = make([]complex64, len(x))
	}
	p.fixed = dsp.CorrectIQ(p.fixed[:len(x)], x, m)
	return p.fixed
}

// MaxTimeGap is how far a Block's Time may lie from the time its sample
// index gives after the previous Block of its tuning before Process takes
// it for another stretch of time (a time gap), unless two samples' time
// is longer. It is sigmf.Recording's tolerance for captures that continue
// one another, so the pipeline ends emissions where a recording's reader
// ends a segment.
const MaxTimeGap = time.Microsecond

// timeGap reports whether b, at the current tuning, is not contiguous in
// time with the previous Block: both have a Time and b's differs from the
// previous Block's end, advanced by any samples skipped between them, by
// more than MaxTimeGap or two samples.
func (p *Pipeline) timeGap(b sensor.Block) bool {
	if b.Time.IsZero() || p.nextTime.IsZero() {
		return false
	}
	want := p.nextTime.Add(sampleDur(b.FirstSample-p.nextSample, b.SampleRateHz))
	tol := max(MaxTimeGap, sampleDur(2, b.SampleRateHz))
	d := b.Time.Sub(want)
	return d > tol || d < -tol
}

// sampleDur is the time n samples take at rateHz.
func sampleDur(n int64, rateHz float64) time.Duration {
	return time.Duration(float64(n) / rateHz * float64(time.Second))
}

// newDetector returns a Detector for a new tuning at rateHz: a Fresh one
// like the current tuning's when that has the same rate, so the threshold
// tables are not computed again (NewDetector's cost, ~1 ms: a recording
// with a new frequency in each of 200,000 one-sample captures took minutes).
func (p *Pipeline) newDetector(rateHz float64) (*dsp.Detector, error) {
	if p.det != nil && p.rateHz == rateHz {
		return p.det.Fresh(), nil
	}
	c := p.cfg.Detector
	c.SampleRateHz = rateHz
	return newDSPDetector(c)
}

// newDSPDetector makes a Detector: dsp.NewDetector, but for tests that
// count the Detectors a Pipeline makes.
var newDSPDetector = dsp.NewDetector

// Flush closes the open emissions of the current tuning and appends their
// results to dst.
func (p *Pipeline) Flush(dst []Result) []Result {
	if p.det == nil {
		return dst
	}
	p.ems = p.det.Flush(p.ems[:0])
	return p.appendResults(dst, p.ems)
}

// appendResults appends the results of ems to dst, leaving out, with a
// warning on Config.Logger, any with a figure that is NaN or infinite
// (nonFinite): no output takes one (the sensor's event schema refuses it,
// JSON cannot hold it), and a detector that produced one has a bug to
// report, not a detection to pass on.
func (p *Pipeline) appendResults(dst []Result, ems []dsp.Emission) []Result {
	for _, e := range ems {
		r := p.result(e)
		if name, v := nonFinite(&r); name != "" {
			p.cfg.Logger.Warn("pipeline: dropping a detection with a non-finite value; please report it with the recording or the sensor's settings",
				"field", name, "value", v, "center_hz", r.CenterHz, "tune_center_hz", r.TuneCenterHz,
				"start_sample", e.StartSample, "sample_count", e.SampleCount)
			continue
		}
		dst = append(dst, r)
	}
	return dst
}

// nonFinite returns the name and value of the first figure of r that is
// NaN or infinite, or "" when all are finite.
func nonFinite(r *Result) (string, float64) {
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"center_hz", r.CenterHz}, {"freq_low_hz", r.FreqLowHz}, {"freq_high_hz", r.FreqHighHz},
		{"bandwidth_hz", r.BandwidthHz}, {"power_dbm", r.PowerDBm}, {"peak_dbm", r.PeakDBm},
		{"mean_dbfs", r.Em.MeanDBFS}, {"noise_dbfs", r.Em.NoiseDBFS}, {"snr_db", r.Em.SNRDB},
		{"occupied_low_hz", r.Em.OccupiedLowHz}, {"occupied_high_hz", r.Em.OccupiedHighHz},
		{"duty_cycle", r.Em.DutyCycle},
	} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return f.name, f.v
		}
	}
	return "", 0
}

// NoiseFloorDBFS reports the current detector's median noise floor per bin,
// NaN before one exists.
func (p *Pipeline) NoiseFloorDBFS() float64 {
	if p.det == nil {
		return math.NaN()
	}
	return p.det.NoiseFloorDBFS()
}

func (p *Pipeline) push(x []complex64, first int64) {
	p.growRing(p.ringLen + int64(len(x)))
	n := int64(len(p.ring))
	added := int64(len(x))
	if int64(len(x)) > n {
		first += int64(len(x)) - n
		x = x[int64(len(x))-n:]
	}
	for len(x) > 0 {
		pos := first % n
		k := copy(p.ring[pos:], x)
		x = x[k:]
		first += int64(k)
	}
	p.ringEnd = first
	p.ringLen = min(p.ringLen+added, n)
}

// minRingSamples is the ring's first size (1 MiB of samples).
const minRingSamples = 1 << 17

// growRing makes the ring hold want samples, up to Config.RingSamples:
// it doubles (at least to minRingSamples) and keeps what it holds. The
// ring grows to the longest contiguous stretch of one tuning the sensor
// captures, never past RingSamples: a scanning sensor retunes every
// dwell (the demo's 20 ms, 200,000 samples at 10 Msps) and empties the
// ring each time, so a ring made at RingSamples (16 MiB at the default
// 1<<21) was mostly never written, yet counted in the live heap that the
// collector's goal doubles (docs/performance.md, "What a demo behind
// holds"; BenchmarkPipelineRingScanning).
func (p *Pipeline) growRing(want int64) {
	n := int64(len(p.ring))
	want = min(want, int64(p.cfg.RingSamples))
	if want <= n {
		return
	}
	m := max(n*2, want, minRingSamples)
	m = min(m, int64(p.cfg.RingSamples))
	ring := make([]complex64, m)
	for s := p.ringEnd - p.ringLen; s < p.ringEnd; { // the held samples at their places in the new ring
		pos, npos := s%n, s%m
		k := min(n-pos, m-npos, p.ringEnd-s)
		copy(ring[npos:npos+k], p.ring[pos:pos+k])
		s += k
	}
	p.ring = ring
}

// span copies ring samples [from, to) (clipped to what the ring holds and to
// MaxIQSamples, keeping the latest) into p.iq and returns them with their start.
func (p *Pipeline) span(from, to int64) ([]complex64, int64) {
	hi := min(to, p.ringEnd)
	from = max(from, hi-int64(p.cfg.MaxIQSamples))
	p.iq, from = p.IQ(p.iq[:0], from, to)
	return p.iq, from
}

// IQ appends to dst the samples [from, to) of the current tuning that the
// pipeline's ring still holds (the last Config.RingSamples processed, as
// the Detector saw them), and returns it with the absolute index of its
// first sample: the sensor agent saves evidence snippets from it, so a
// snippet holds its emission even when that began blocks before the one
// it closed in. Nothing when the ring holds none of the span.
func (p *Pipeline) IQ(dst []complex64, from, to int64) ([]complex64, int64) {
	lo := max(from, p.ringEnd-p.ringLen)
	hi := min(to, p.ringEnd)
	if hi <= lo {
		return dst, from
	}
	n := int64(len(p.ring))
	for s := lo; s < hi; {
		pos := s % n
		end := min(n, pos+(hi-s))
		dst = append(dst, p.ring[pos:end]...)
		s += end - pos
	}
	return dst, lo
}

func (p *Pipeline) dbm(dbfs float64) float64 {
	if p.cfg.Calibrator != nil {
		return p.cfg.Calibrator.DBm(dbfs, p.centerHz, p.gainDB)
	}
	return dbfs - p.gainDB
}

func (p *Pipeline) result(e dsp.Emission) Result {
	lab := Unknown
	if p.cfg.Classifier != nil {
		var ok bool
		if lab, ok = p.reuse(e); !ok {
			iq, start := p.span(e.StartSample, e.EndSample())
			lab = p.cfg.Classifier.Classify(ClassifierInput{IQ: iq, IQStart: start,
				SampleRateHz: p.rateHz, CenterHz: p.centerHz, Em: e})
			p.remember(e, lab)
		}
	}
	off := time.Duration(float64(e.StartSample-p.refSample) / p.rateHz * float64(time.Second))
	var t time.Time
	if !p.refTime.IsZero() {
		t = p.refTime.Add(off).UTC()
	}
	return Result{
		Em: e, Label: lab,
		CenterHz: p.centerHz + e.CenterOffsetHz, FreqLowHz: p.centerHz + e.FreqLowHz, FreqHighHz: p.centerHz + e.FreqHighHz,
		BandwidthHz: e.BandwidthHz, PowerDBm: p.dbm(e.SignalDBFS()), PeakDBm: p.dbm(e.PeakDBFS),
		Time: t, Duration: time.Duration(float64(e.SampleCount) / p.rateHz * float64(time.Second)),
		SampleRateHz: p.rateHz, TuneCenterHz: p.centerHz, Device: p.device,
	}
}

// reuse returns the label e may take from an earlier emission under
// Config.LabelReuse, and extends that label's reach to e.
func (p *Pipeline) reuse(e dsp.Emission) (Label, bool) {
	if p.cfg.LabelReuse <= 0 {
		return Label{}, false
	}
	tol := 1.5 * p.rateHz / float64(p.det.Config().NFFT)
	for i := range p.labels {
		r := &p.labels[i]
		if math.Abs(e.FreqLowHz-r.loHz) <= tol && math.Abs(e.FreqHighHz-r.hiHz) <= tol && p.reaches(r, e) &&
			(r.label.Class != Unknown.Class || e.SampleCount <= r.n) {
			r.end = max(r.end, e.EndSample())
			return r.label, true
		}
	}
	return Label{}, false
}

// reaches reports that r's label can still pass to e: e begins at most
// ReuseGap after the last emission that took it and ends at most
// LabelReuse after it was classified.
func (p *Pipeline) reaches(r *reused, e dsp.Emission) bool {
	gap := int64(ReuseGap.Seconds() * p.rateHz)
	age := int64(p.cfg.LabelReuse.Seconds() * p.rateHz)
	return e.StartSample-r.end <= gap && e.EndSample()-r.at <= age
}

// remember keeps the label the Classifier gave e for reuse (Config.LabelReuse),
// dropping labels no later emission can take.
func (p *Pipeline) remember(e dsp.Emission, lab Label) {
	if p.cfg.LabelReuse <= 0 {
		return
	}
	keep := p.labels[:0]
	for _, r := range p.labels {
		// A replaced label (same edges) goes too: the new one is fresher.
		if p.reaches(&r, e) && !(r.loHz == e.FreqLowHz && r.hiHz == e.FreqHighHz) {
			keep = append(keep, r)
		}
	}
	p.labels = keep
	if len(p.labels) >= maxReused {
		return
	}
	p.labels = append(p.labels, reused{loHz: e.FreqLowHz, hiHz: e.FreqHighHz, end: e.EndSample(), at: e.EndSample(),
		n: e.SampleCount, label: lab})
}
