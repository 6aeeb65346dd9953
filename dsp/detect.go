package dsp

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sort"
	"time"

	"gonum.org/v1/gonum/mathext"
)

// DetectorConfig sets up a Detector. Zero fields take the defaults named in
// their comments; only SampleRateHz is required.
type DetectorConfig struct {
	SampleRateHz float64 // complex samples per second; required

	// NFFT is the frame and FFT length, a power of two. Default: the power of
	// two nearest to SampleRateHz/75 kHz, clamped to [64, 1024], which gives
	// frames of 10 to 130 µs so GSM, DroneID and Wi-Fi bursts span many frames.
	NFFT int

	// PFA is the per-cell false-alarm probability of the two CFAR tests
	// (single frame and AvgFrames-frame average). Default 1e-9, about one
	// false cell per 10 s of 20 Msps noise.
	PFA float64
	// BandPFA is the false-alarm probability of the per-frame confirmation
	// test on a detected run's whole band. Default 1e-3.
	BandPFA float64

	AvgFrames  int // frames averaged by the slow CFAR test; default 4
	SmoothBins int // half width of the frequency smoothing window in bins; default 2

	FloorBlockFrames int // frames averaged per noise-floor block; default 8
	FloorBlocks      int // blocks of history whose minimum is the floor; default 128
	WarmFrames       int // frames buffered to warm-start the floor; default 8 blocks
	// FloorCapDB caps each bin's floor at this many dB above the 10th
	// percentile of the floor over the central 80% of the band, so a carrier
	// that never stops still stands out. Default 10; negative disables.
	// At 10 a gap-free emission on from the first sample (or past
	// FloorHold) is found at 15 dB per bin over the noise and lost at 10:
	// a phone's LTE or NR uplink already on when a sensor tunes there
	// (docs/detection.md, "Long calls"). Lower caps find it lower but cost
	// real downlinks their labels (measured at 8, 6 and 4); SetFloorCapDB
	// caps chosen bins lower (the pipeline: FDD uplink bands).
	FloorCapDB float64
	// FloorHold is how long, in stream time, a bin under a detected,
	// mostly-on emission keeps the floor it had when the emission began,
	// instead of learning the emission's power into its minimum: without it
	// a carrier that started after the floor existed fades from detection
	// once it has lasted the floor's history (FloorBlocks·FloorBlockFrames
	// frames, 13 ms at 20 Msps), unless it is FloorCapDB above the floor.
	// Default 5 min; negative disables.
	FloorHold time.Duration

	MergeGapBins   int           // frequency gaps up to this many bins are bridged; default 2
	MergeGapDur    time.Duration // an emission stays open across off time up to this; default 5 ms
	MaxEmissionDur time.Duration // longer emissions are reported in pieces; default 500 ms
	MinBandwidthHz float64       // narrower runs are ignored; default 0 (one bin)
	// DCNotchBins excludes the bins within this distance of DC from detection
	// (receiver DC spike). Default 1; negative disables.
	DCNotchBins    int
	BurstGapFrames int // off frames that split two bursts; default 2
	MaxOpen        int // most emissions tracked at once; extra runs are dropped; default 64
}

func (c DetectorConfig) withDefaults() (DetectorConfig, error) {
	if !(c.SampleRateHz > 0) || math.IsInf(c.SampleRateHz, 0) {
		return c, fmt.Errorf("dsp: detector sample rate %v Hz is not positive", c.SampleRateHz)
	}
	if c.NFFT == 0 {
		n := 1 << bits.Len(uint(math.Round(c.SampleRateHz/75e3)))
		if lo := n >> 1; lo > 0 && c.SampleRateHz/75e3-float64(lo) < float64(n)-c.SampleRateHz/75e3 {
			n = lo
		}
		c.NFFT = min(max(n, 64), 1024)
	}
	if c.NFFT < 16 || c.NFFT&(c.NFFT-1) != 0 || c.NFFT > 1<<16 {
		return c, fmt.Errorf("dsp: detector NFFT %d is not a power of two in [16, 65536]", c.NFFT)
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	if c.PFA == 0 {
		c.PFA = 1e-9
	}
	if c.BandPFA == 0 {
		c.BandPFA = 1e-3
	}
	if !(c.PFA > 0 && c.PFA < 0.5) || !(c.BandPFA > 0 && c.BandPFA < 0.5) {
		return c, fmt.Errorf("dsp: detector false-alarm probabilities %v, %v not in (0, 0.5)", c.PFA, c.BandPFA)
	}
	def(&c.AvgFrames, 4)
	def(&c.SmoothBins, 2)
	def(&c.FloorBlockFrames, 8)
	def(&c.FloorBlocks, 128)
	def(&c.WarmFrames, 8*c.FloorBlockFrames)
	def(&c.MergeGapBins, 2)
	def(&c.DCNotchBins, 1)
	def(&c.BurstGapFrames, 2)
	def(&c.MaxOpen, 64)
	if c.FloorCapDB == 0 {
		c.FloorCapDB = 10
	}
	if c.FloorHold == 0 {
		c.FloorHold = 5 * time.Minute
	}
	if c.MergeGapDur == 0 {
		c.MergeGapDur = 5 * time.Millisecond
	}
	if c.MaxEmissionDur == 0 {
		c.MaxEmissionDur = 500 * time.Millisecond
	}
	if c.AvgFrames < 1 || c.SmoothBins < 0 || c.FloorBlockFrames < 1 || c.FloorBlocks < 1 ||
		c.WarmFrames < c.FloorBlockFrames || c.MergeGapBins < 0 || c.BurstGapFrames < 1 || c.MaxOpen < 1 ||
		c.MergeGapDur < 0 || c.MaxEmissionDur <= 0 || c.MinBandwidthHz < 0 {
		return c, errors.New("dsp: detector config has a negative or inconsistent field")
	}
	if 2*c.SmoothBins+1 > c.NFFT/4 {
		return c, fmt.Errorf("dsp: detector smoothing %d bins too wide for NFFT %d", c.SmoothBins, c.NFFT)
	}
	return c, nil
}

// Detector turns a stream of complex baseband samples into Emissions.
//
// Algorithm, per non-overlapping Hann-windowed frame of NFFT samples:
//
//  1. Periodogram P[k] = |X[k]|² / (N·Σw²), so Σ_k P[k] is the frame's mean
//     power |x|² (dBFS relative to |x| = 1).
//  2. Noise floor per bin by minimum statistics (R. Martin, "Noise power
//     spectral density estimation based on optimal smoothing and minimum
//     statistics", IEEE Trans. Speech Audio Process. 9(5), 2001): the minimum
//     over FloorBlocks block means of FloorBlockFrames frames, divided by the
//     median of that minimum for Gaussian noise (exact Gamma law), then capped
//     FloorCapDB above a low quantile of the floor across the band, and held
//     at or above the noise of a quantiser whose step is the smallest nonzero
//     step between consecutive values seen (LSB²/6 per complex sample; see
//     noteStep and quantFloor): integer
//     samples whose noise is under one LSB are mostly 0, and the minimum of
//     their blocks is not Gaussian noise's but 0. The first
//     WarmFrames frames are buffered and only judged once the floor exists.
//     The bins of an emission that has lasted 32 frames and been on in at
//     least half of them (its bins so far, widened by SmoothBins) hold their
//     floor while it is on, and MergeGapDur after, for up to FloorHold: their
//     blocks stay out of the minimum (which, once the hold ends, is unbiased
//     for the blocks they measured), and they move only as the rest of the
//     band does (the median over the bins not held of each one's floor over
//     its floor when the holds began), so a change of gain moves them too.
//     No hold begins before the floor has a whole history, nor while the
//     emissions cover more than 90% of the band: a floor that rose across
//     the band is learnt, not held.
//  3. CFAR in time and frequency: a cell is on when the power averaged over
//     2·SmoothBins+1 bins, in one frame or in AvgFrames frames, exceeds the
//     floor by the Gamma-law threshold for PFA (the degrees of freedom are
//     halved for the Hann window's bin correlation). The bin at −fs/2
//     (bin 0) is not judged: it is +fs/2 too, holds both band edges folded
//     (an anti-alias filter's transition, both sides' splatter), and its
//     frequency cannot be told; the band judged is bins 1 to N−1, N/2 − 1
//     each side of DC. The window is not circular: within SmoothBins of
//     those edges it averages the bins that exist, fewer cells against
//     their own threshold, so power at one edge turns on no bin at the
//     other. A run cut by an edge keeps its edge bin and loses
//     min(SmoothBins, (width−1)/2) on its inner side.
//  4. Runs of on bins (gaps ≤ MergeGapBins bridged, DC notch bridged), less
//     the SmoothBins the smoothing window adds on each side (a run of
//     2·SmoothBins bins or less: its middle bin), are confirmed per frame
//     by the band power test at BandPFA, then joined to
//     open emissions they overlap in frequency (streaming connected
//     components; a run that bridges two emissions merges them). An emission closes after MergeGapDur
//     without an on frame, or at MaxEmissionDur. A narrow continuous line
//     (isLine: on for lineMinS in steady bins) is not merged with a run
//     that reaches beyond it: the line stays its own emission and the run
//     joins the others without the line's bins at its edges
//     (splitLines), so a handset's slot or a GSM burst across or beside
//     a spur is on for its own time, not the spur's. What is split off a
//     line and is on for no longer than an instant's smear (transientMax:
//     AvgFrames+1 frames, at most 0.4 ms, shorter than a 0.5 ms TDD slot)
//     is the line's own transient (its key-up, cut-off or phase jump
//     splatters over megahertz for an instant) and is dropped, not emitted.
//
// A Detector is not safe for concurrent use. Process allocates only when an
// emission closes (its Bursts slice) and when more emissions are open at
// once than ever before in its life (up to MaxOpen).
type Detector struct {
	cfg  DetectorConfig
	n    int
	fft  *FFT
	win  []float32
	norm float64 // 1/(N·Σw²)

	frame      []complex64
	work       []complex64
	spec       []complex64
	fill       int
	frameStart int64
	next       int64
	started    bool

	// noise floor
	blockSum     []float64
	blockN       int
	groupMin     []float64 // floorGroups × n: minimum block mean per group
	groupReal    []int32   // floorGroups × n: blocks in each group that were measured, not held
	othersReal   []int     // per bin, such blocks in the groups other than groupCur
	groupCnt     []int     // blocks in each group
	groupCur     int
	groupBlocks  int
	othersMin    []float64 // minimum over the groups other than groupCur
	othersBlocks int       // blocks in those groups
	floor        []float64
	floorOK      bool
	floorDirty   bool      // floor changed since cumF was summed
	claim        []byte    // 1 where an emission was on during the current block
	held         []int     // blocks each bin has been held for; 0 = learning
	idle         []int     // blocks since a held bin was last claimed
	snap         []float64 // each bin's floor when the current holds began, over holdRatio then
	holdRatio    float64   // the median of floor/snap over the bins not held
	anyHeld      bool      // some bin held in the last block
	partial      bool      // some bin's history may have held blocks
	holdState    bool      // some bin has a hold count (held or expired)
	holdBlocks   int       // FloorHold in blocks
	gapBlocks    int       // MergeGapDur in blocks
	minBias      []float64 // index: blocks in ring
	scratch      []float64
	// q2 is the square of the quantiser's step (LSB² for integer
	// samples; +Inf before one is seen), the larger of qI2 and qQ2, the
	// smallest nonzero squared difference of consecutive I and Q values
	// seen (noteStep). The floor is kept at or above that quantiser's
	// noise (quantFloor).
	q2, qI2, qQ2 float64
	// capLin is each bin's floor cap as a power ratio over the 10th
	// percentile (SetFloorCapDB; +Inf: uncapped); nil: FloorCapDB for all.
	capLin []float64
	// refLin is each bin's reference floor as a power ratio to full scale
	// (SetFloorReferenceDBFS; nil: none), refOver the bound over it.
	refLin  []float64
	refOver float64
	refK    float64 // refOver times the band's shift over the reference (ceilFloor)
	refAge  int     // floor updates since refK was measured, modulo refShiftEvery

	// warm-up
	warm      []float64 // WarmFrames × n
	warmStart []int64
	warmCount int
	warmed    bool
	curP      []float64

	// detection
	avgRing   []float64 // AvgFrames × n
	avgPos    int
	avgCount  int
	longSum   []float64
	cumP      []float64
	cumL      []float64
	cumF      []float64
	on        []byte // 1 where the CFAR test fired
	runs      []binRun
	thrCells  []float64 // CFAR threshold by number of cells averaged
	thrBand   []float64 // by run width; 0 = not computed yet
	frameIdx  int64
	mergeGap  int64 // frames
	maxFrames int64
	minBins   int

	open    []*openEmission
	free    []*openEmission
	lineHit []*openEmission // the lines the current run reaches across (splitLines)
	// steady is each bin's share of recent frames in a run: an average
	// over about lineMinS (noteSteady), last moved at frame steadyAt[i]
	// and decayed when read (steadyNow); steadyW the weight its frames
	// so far hold.
	steady   []float32
	steadyAt []int64
	steadyW  float32
	// steadyA is the weight of one frame in steady: a frame's share of
	// lineMinS, at most 1.
	steadyA float64
	// transientMax is how many frames an instant's splatter is on for: a
	// line keyed on or off, cut off, or jumping in phase (a staff radio's
	// FSK frames) spreads over megahertz for an instant, and the slow CFAR
	// test's AvgFrames average holds that instant on for AvgFrames frames,
	// one more when it straddles two; at most lineTransientMaxS, at least 1
	// (lineTransient).
	transientMax int64
}

type binRun struct{ lo, hi int }

type openEmission struct {
	lo, hi     int // union of the bins of all its runs
	firstFrame int64
	lastOn     int64
	start      int64 // sample of first on frame
	end        int64 // sample after last on frame
	onFrames   int
	binPow     []float64 // excess power per bin, summed over on frames
	sumBand    float64
	sumFloor   float64
	peak       float64
	bursts     []Burst
	touched    bool
	// spill: opened by a run split off a line (splitLines); if it is on
	// for no longer than an instant's smear (transientMax) it was the
	// line's own and is dropped at close (detect).
	spill bool
}

// NewDetector validates cfg, applies defaults and returns a Detector.
func NewDetector(cfg DetectorConfig) (*Detector, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	n := c.NFFT
	d := newDetectorState(c, NewFFT(n)) // n was checked to be a power of two
	d.win = make([]float32, n)
	var s2 float64
	for i := range d.win {
		w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n))
		d.win[i] = float32(w)
		s2 += w * w
	}
	d.norm = 1 / (float64(n) * s2)
	cells := 2*c.SmoothBins + 1
	d.thrCells = make([]float64, c.AvgFrames*cells+1)
	for k := 1; k < len(d.thrCells); k++ {
		if k == 1 || dof(k) != dof(k-1) {
			d.thrCells[k] = gammaUpperQuantile(dof(k), c.PFA)
		} else {
			d.thrCells[k] = d.thrCells[k-1]
		}
	}
	d.minBias = make([]float64, len(d.groupCnt)*d.groupBlocks+1)
	for k := 1; k < len(d.minBias); k++ {
		// median of the minimum of k block means: F(x) = 1 − 0.5^(1/k)
		p := 1 - math.Pow(0.5, 1/float64(k))
		d.minBias[k] = gammaUpperQuantile(c.FloorBlockFrames, 1-p)
	}
	return d, nil
}

// Fresh returns a new Detector with d's configuration and none of its
// state (no floor, no open emissions, no stream position), as NewDetector
// with d.Config() returns, sharing d's read-only FFT, window and threshold
// tables. Computing those tables (inverse incomplete gamma functions) is
// most of NewDetector's cost, so a pipeline that meets many tunings at one
// sample rate makes their Detectors with Fresh: a recording with a capture
// per sample at a new frequency took ~1 ms per capture.
func (d *Detector) Fresh() *Detector {
	e := newDetectorState(d.cfg, d.fft)
	e.win, e.norm, e.thrCells, e.minBias = d.win, d.norm, d.thrCells, d.minBias
	copy(e.thrBand, d.thrBand) // filled lazily, so each Detector has its own
	return e
}

// newDetectorState returns a Detector for the validated configuration c
// with its state buffers and the values derived from c, but without the
// window and threshold tables.
func newDetectorState(c DetectorConfig, f *FFT) *Detector {
	n := c.NFFT
	d := &Detector{cfg: c, n: n, fft: f,
		frame: make([]complex64, n), work: make([]complex64, n), spec: make([]complex64, n),
		blockSum: make([]float64, n),
		floor:    make([]float64, n), scratch: make([]float64, n),
		warm: make([]float64, c.WarmFrames*n), warmStart: make([]int64, c.WarmFrames), curP: make([]float64, n),
		avgRing: make([]float64, c.AvgFrames*n), longSum: make([]float64, n),
		cumP: make([]float64, n+1), cumL: make([]float64, n+1), cumF: make([]float64, n+1),
		on: make([]byte, n), runs: make([]binRun, 0, n), thrBand: make([]float64, n+1), steady: make([]float32, n), steadyAt: make([]int64, n),
		claim: make([]byte, n), held: make([]int, n), idle: make([]int, n), snap: make([]float64, n),
	}
	d.groupBlocks = (c.FloorBlocks + 7) / 8
	groups := (c.FloorBlocks + d.groupBlocks - 1) / d.groupBlocks
	d.groupMin = make([]float64, groups*n)
	d.groupReal = make([]int32, groups*n)
	d.othersReal = make([]int, n)
	d.groupCnt = make([]int, groups)
	d.othersMin = make([]float64, n)
	d.foldOthers()
	frameDur := float64(n) / c.SampleRateHz
	d.mergeGap = int64(math.Ceil(c.MergeGapDur.Seconds() / frameDur))
	blockDur := frameDur * float64(c.FloorBlockFrames)
	if c.FloorHold > 0 {
		d.holdBlocks = int(min(c.FloorHold.Seconds()/blockDur, math.MaxInt32))
	}
	d.gapBlocks = int(math.Ceil(c.MergeGapDur.Seconds() / blockDur))
	d.maxFrames = max(1, int64(c.MaxEmissionDur.Seconds()/frameDur))
	d.minBins = max(1, int(math.Ceil(c.MinBandwidthHz/(c.SampleRateHz/float64(n)))))
	d.steadyA = min(1, float64(n)/(lineMinS*c.SampleRateHz))
	d.transientMax = max(1, min(int64(c.AvgFrames+1), int64(lineTransientMaxS*c.SampleRateHz/float64(n))))
	d.q2, d.qI2, d.qQ2 = math.Inf(1), math.Inf(1), math.Inf(1)
	d.open = make([]*openEmission, 0, c.MaxOpen)
	d.lineHit = make([]*openEmission, 0, c.MaxOpen)
	return d
}

// Config returns the configuration in use, with defaults applied.
func (d *Detector) Config() DetectorConfig { return d.cfg }

// dof converts a count of Hann-windowed cells into independent degrees of
// freedom (shape of the Gamma law of their mean), at least 1. Adjacent Hann
// bins of white noise have power correlation 4/9 and next-adjacent 1/36, so a
// long run of W bins carries about W/1.94 independent powers; we use W/2.
func dof(cells int) int { return max(1, cells/2) }

// gammaUpperQuantile returns x with P(X > x) = p for X ~ Gamma(k, 1/k) (mean 1),
// the law of the mean of k independent exponential powers: kX ~ Gamma(k, 1),
// so x = Q⁻¹(k, p)/k with Q the regularised upper incomplete gamma
// function (gonum's mathext; it replaced a Poisson-sum bisection that made
// NewDetector cost ~5 ms).
func gammaUpperQuantile(k int, p float64) float64 {
	return mathext.GammaIncRegCompInv(float64(k), p) / float64(k)
}

// b2u is 1 for true, 0 for false (compiled without a branch).
func b2u(b bool) byte {
	var u byte
	if b {
		u = 1
	}
	return u
}

// Reset forgets all state: floor, open emissions and stream position.
func (d *Detector) Reset() {
	d.fill, d.started, d.frameIdx = 0, false, 0
	clear(d.steady)
	clear(d.steadyAt)
	d.steadyW = 0
	clear(d.blockSum)
	d.blockN, d.groupCur, d.floorOK = 0, 0, false
	clear(d.groupCnt)
	clear(d.claim)
	clear(d.held)
	clear(d.idle)
	d.anyHeld, d.partial, d.holdState = false, false, false
	d.foldOthers()
	d.warmCount, d.warmed = 0, false
	d.refAge = 0 // the next floor measures the shift over the reference anew
	d.q2, d.qI2, d.qQ2 = math.Inf(1), math.Inf(1), math.Inf(1)
	d.avgPos, d.avgCount = 0, 0
	clear(d.longSum)
	d.free = append(d.free, d.open...)
	d.open = d.open[:0]
}

// NoiseFloorDBFS returns the median over bins of the per-bin noise floor, in
// dBFS per bin of width SampleRateHz/NFFT; NaN before the floor exists.
func (d *Detector) NoiseFloorDBFS() float64 {
	if !d.floorOK {
		return math.NaN()
	}
	copy(d.scratch, d.floor)
	sort.Float64s(d.scratch)
	return dbOf(d.scratch[d.n/2])
}

// FloorDBFS appends to dst the per-bin noise floor, in dBFS per bin of
// width SampleRateHz/NFFT, lowest frequency first (bin NFFT/2 is DC), and
// returns it; dst unchanged (nil when nil) before the floor exists. It is
// what SeedFloorDBFS takes: a sensor saves it with an evidence snippet.
func (d *Detector) FloorDBFS(dst []float64) []float64 {
	if !d.floorOK {
		return dst
	}
	for _, p := range d.floor {
		dst = append(dst, dbOf(p))
	}
	return dst
}

// SeedFloorDBFS gives a Detector that has processed no samples the noise
// floor floorDBFS (NFFT values, as FloorDBFS returns them) as if it had
// learnt it over its whole history, FloorBlocks blocks: frames are judged
// from the first one, without the WarmFrames warm-up, and an emission on
// from the first sample is measured against floorDBFS instead of being
// learnt as floor. Later blocks enter the minimum as usual, so the seed
// ages out of the history as a learnt floor does (after about FloorBlocks
// blocks of lower power). An evidence snippet cut at the start of a dwell
// holds no samples before its emission; replayed with the floor the sensor
// had then, it is judged as the sensor judged it. It returns an error,
// changing nothing, when the Detector has processed samples, when
// floorDBFS does not have NFFT values or when one is not finite.
func (d *Detector) SeedFloorDBFS(floorDBFS []float64) error {
	if d.started || d.warmCount > 0 || d.floorOK {
		return errors.New("dsp: seed floor: the detector has processed samples")
	}
	if len(floorDBFS) != d.n {
		return fmt.Errorf("dsp: seed floor: %d bins, want NFFT %d", len(floorDBFS), d.n)
	}
	for i, v := range floorDBFS {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("dsp: seed floor: bin %d is %v dBFS, not finite", i, v)
		}
	}
	// Every group full of blocks whose minimum, unbiased for the whole
	// history, is the seed (see endBlock).
	blocks := len(d.groupCnt) * d.groupBlocks
	bias := d.minBias[blocks]
	for i, v := range floorDBFS {
		d.floor[i] = math.Pow(10, v/10)
	}
	for g := range d.groupCnt {
		d.groupCnt[g] = d.groupBlocks
		for i, p := range d.floor {
			d.groupMin[g*d.n+i] = p * bias
			d.groupReal[g*d.n+i] = int32(d.groupBlocks)
		}
	}
	d.foldOthers()
	d.capFloor()
	d.floorOK, d.floorDirty, d.warmed = true, true, true
	return nil
}

func dbOf(p float64) float64 {
	if p <= 0 {
		return -300
	}
	return 10 * math.Log10(p)
}

// Process consumes src, whose first sample has absolute index firstSample,
// and appends the emissions that closed in this block to dst. A gap or
// overlap in sample indexes ends the open emissions. Samples of an incomplete
// final frame are kept for the next call.
func (d *Detector) Process(src []complex64, firstSample int64, dst []Emission) []Emission {
	if d.started && firstSample != d.next {
		d.fill = 0
		if !d.warmed && d.warmCount > 0 {
			dst = d.finishWarm(dst) // judge the frames before the gap on their own
		}
		dst = d.closeAll(dst)
	}
	d.started = true
	d.next = firstSample + int64(len(src))
	pos := firstSample
	for len(src) > 0 {
		if d.fill == 0 {
			d.frameStart = pos
			if len(src) >= d.n { // a whole frame in src: window it from there
				dst = d.frameDone(src[:d.n], dst)
				src = src[d.n:]
				pos += int64(d.n)
				continue
			}
		}
		k := copy(d.frame[d.fill:], src)
		d.fill += k
		src = src[k:]
		pos += int64(k)
		if d.fill == d.n {
			d.fill = 0
			dst = d.frameDone(d.frame, dst)
		}
	}
	return dst
}

// Flush judges any buffered warm-up frames and closes every open emission,
// appending them to dst. The Detector keeps its floor and may go on.
func (d *Detector) Flush(dst []Emission) []Emission {
	if !d.warmed && d.warmCount > 0 {
		dst = d.finishWarm(dst)
	}
	d.fill = 0
	return d.closeAll(dst)
}

// frameDone judges one frame of n samples.
func (d *Detector) frameDone(frame []complex64, dst []Emission) []Emission {
	ApplyWindow(d.work, frame, d.win)
	d.fft.Coefficients(d.spec, d.work)
	if d.warmed {
		d.powerAccumulate()
		d.noteStep(frame, d.cumP[d.n])
		d.endBlock()
		return d.detect(d.curP, d.frameStart, dst)
	}
	P := d.warm[d.warmCount*d.n : (d.warmCount+1)*d.n]
	d.warmStart[d.warmCount] = d.frameStart
	d.warmCount++
	h := d.n / 2
	var pw float64
	for i := range d.n {
		c := d.spec[(i+h)&(d.n-1)]
		re, im := float64(real(c)), float64(imag(c))
		P[i] = (re*re + im*im) * d.norm
		d.blockSum[i] += P[i]
		pw += P[i]
	}
	d.blockN++
	d.noteStep(frame, pw)
	d.endBlock()
	if d.warmCount == d.cfg.WarmFrames {
		dst = d.finishWarm(dst)
	}
	return dst
}

// noteStep lowers the quantiser's step estimate from frame, whose
// periodogram sums to pw (its windowed mean power), and the floor's bound
// with it (quantFloor). The step on each axis is the smallest nonzero
// difference of consecutive values (a DC offset or a strong carrier keeps
// every value away from 0, but not their differences), and q2 is the
// larger of the two axes' squares: the pipeline's IQ correction scales I
// and mixes a little of I into Q, so Q's smallest difference can be a
// fraction of an LSB while I's stays one scaled LSB. q2 stays +Inf until
// both axes have one. The samples are read only while the frame's power is
// under 4·q2 (noise under about 1.4 LSB rms per axis, where the bound can
// matter) or no step is known: float samples find steps far under their
// power in the first frame and are not read again.
func (d *Detector) noteStep(frame []complex64, pw float64) {
	if pw == 0 || pw >= 4*d.q2 {
		return
	}
	qi := float32(min(d.qI2, math.MaxFloat32))
	qq := float32(min(d.qQ2, math.MaxFloat32))
	for k := 1; k < len(frame); k++ {
		di := real(frame[k]) - real(frame[k-1])
		dq := imag(frame[k]) - imag(frame[k-1])
		if p := di * di; p < qi && p > 0 {
			qi = p
		}
		if p := dq * dq; p < qq && p > 0 {
			qq = p
		}
	}
	if float64(qi) < d.qI2 || float64(qq) < d.qQ2 {
		d.qI2 = min(d.qI2, float64(qi))
		d.qQ2 = min(d.qQ2, float64(qq))
		if q2 := max(d.qI2, d.qQ2); q2 < d.q2 { // a smaller step: the quantisation floor falls
			d.q2 = q2
			if d.floorOK {
				d.capFloor()
				d.floorDirty = true
			}
		}
	}
}

// powerAccumulate is the per-frame work of a warmed detector in one pass
// over the bins: the periodogram d.curP of d.spec (fftshifted), the noise
// floor's block sum, the AvgFrames ring and its running sum, and the prefix
// sums of the frame and of the running sum that the CFAR tests read.
func (d *Detector) powerAccumulate() {
	n := d.n
	mask, half := n-1, n/2
	spec, P, bs := d.spec[:n], d.curP[:n], d.blockSum[:n]
	slot := d.avgRing[d.avgPos*n : (d.avgPos+1)*n]
	long := d.longSum[:n]
	cumP, cumL := d.cumP[1:n+1], d.cumL[1:n+1]
	full := 0.0 // 1 once the ring is full: the slot's old frame leaves the sum
	if d.avgCount == d.cfg.AvgFrames {
		full = 1
	}
	norm := d.norm
	var sp, sl float64
	for i := range n {
		c := spec[(i+half)&mask]
		re, im := float64(real(c)), float64(imag(c))
		p := (re*re + im*im) * norm
		P[i] = p
		bs[i] += p
		l := long[i] + p - full*slot[i]
		slot[i] = p
		long[i] = l
		sp += p
		sl += l
		cumP[i] = sp
		cumL[i] = sl
	}
	d.blockN++
	d.advanceRing()
}

// accumulate is powerAccumulate's ring and prefix-sum part for a frame P
// already computed (the buffered warm-up frames).
func (d *Detector) accumulate(P []float64) {
	n := d.n
	slot := d.avgRing[d.avgPos*n : (d.avgPos+1)*n]
	long := d.longSum[:n]
	if d.avgCount == d.cfg.AvgFrames {
		for i, v := range slot {
			long[i] -= v
		}
	}
	copy(slot, P)
	var sp, sl float64
	for i, p := range P[:n] {
		long[i] += p
		sp += p
		sl += long[i]
		d.cumP[i+1] = sp
		d.cumL[i+1] = sl
	}
	d.advanceRing()
}

// advanceRing moves to the next ring slot. Once per turn the running sum is
// recomputed exactly from the ring, so rounding cannot accumulate, and its
// prefix sums with it.
func (d *Detector) advanceRing() {
	n := d.n
	d.avgPos = (d.avgPos + 1) % d.cfg.AvgFrames
	d.avgCount = min(d.avgCount+1, d.cfg.AvgFrames)
	if d.avgPos != 0 {
		return
	}
	long := d.longSum[:n]
	clear(long)
	for a := range d.avgCount {
		for i, v := range d.avgRing[a*n : (a+1)*n] {
			long[i] += v
		}
	}
	var sl float64
	for i, l := range long {
		sl += l
		d.cumL[i+1] = sl
	}
}

func (d *Detector) finishWarm(dst []Emission) []Emission {
	if !d.floorOK { // fewer frames than a block: floor from the partial block
		for i := range d.floor {
			d.floor[i] = d.blockSum[i] / float64(max(1, d.blockN))
		}
		d.capFloor()
		d.floorOK, d.floorDirty = true, true
	}
	d.warmed = true
	for f := range d.warmCount {
		P := d.warm[f*d.n : (f+1)*d.n]
		d.accumulate(P)
		dst = d.detect(P, d.warmStart[f], dst)
	}
	d.warmCount = 0
	return dst
}

// endBlock, at the end of a block of FloorBlockFrames frames (whose sum the
// caller has added to blockSum and counted in blockN), folds the block mean
// into the running minimum. The history is kept as
// floorGroups groups of groupBlocks blocks, each holding its own minimum
// (Martin's sub-window scheme), so the cost per block is O(groups·N) and the
// history spans between FloorBlocks − groupBlocks and FloorBlocks blocks.
func (d *Detector) endBlock() {
	if d.blockN < d.cfg.FloorBlockFrames {
		return
	}
	n := d.n
	if d.groupCnt[d.groupCur] == d.groupBlocks {
		d.groupCur = (d.groupCur + 1) % len(d.groupCnt)
		d.groupCnt[d.groupCur] = 0
		d.foldOthers()
		d.refAge = 0 // the oldest group rolled out: the floor may rise (ceilFloor)
	}
	g := d.groupMin[d.groupCur*n : (d.groupCur+1)*n]
	inv := 1 / float64(d.blockN)
	holds := d.updateHolds()
	first := d.groupCnt[d.groupCur] == 0
	fl, others := d.floor[:n], d.othersMin[:n]
	// A held bin's block does not enter its minimum: once the hold ends,
	// its floor is the minimum of the blocks it measured, unbiased for
	// their number (groupReal).
	gr := d.groupReal[d.groupCur*n : (d.groupCur+1)*n]
	for i := range g {
		m := d.blockSum[i] * inv
		if first {
			gr[i] = 0
		}
		if holds && d.holding(i) {
			m = math.Inf(1)
		} else {
			gr[i]++
		}
		if first || m < g[i] {
			g[i] = m
		}
	}
	d.groupCnt[d.groupCur]++
	clear(d.blockSum)
	d.blockN = 0
	// floor = min(this group, the others), unbiased by the median of the
	// minimum of that many blocks
	blocks := d.othersBlocks + d.groupCnt[d.groupCur]
	bias := 1 / d.minBias[blocks]
	for i, v := range g[:n] {
		fl[i] = min(v, others[i]) * bias
	}
	if d.partial { // some bin's history has blocks it did not measure
		partial := false
		othersReal := d.othersReal[:n]
		for i, v := range g[:n] {
			// 0: held throughout, moveHeld sets it
			if real := othersReal[i] + int(gr[i]); real != blocks && real > 0 {
				fl[i] = min(v, others[i]) / d.minBias[real]
				partial = true
			}
		}
		d.partial = partial
	}
	if holds {
		d.partial = true
		d.moveHeld() // the held bins
	}
	d.anyHeld = holds
	d.capFloor()
	d.floorOK, d.floorDirty = true, true
}

// holdMinFrames is how many frames an emission must have lasted before
// it holds its floor.
const holdMinFrames = 32

// holding reports whether bin i keeps its floor this block.
func (d *Detector) holding(i int) bool { return d.held[i] > 0 && d.held[i] <= d.holdBlocks }

// moveHeld sets holdRatio to the median over the bins not held of floor
// over snap, and each held bin's floor to snap·holdRatio: held bins follow
// the band's floor (a change of gain), measured from when the holds began.
// The floor is taken at or above the quantiser's noise (quantLevel), as
// capFloor will leave it, and a median of 0 (a band of digital silence)
// keeps the ratio it had: the minimum of blocks of quantised silence is
// 0, and a ratio of 0 made the next hold's snap floor/0 and its floor
// Inf·0, NaN, in every emission over it (TestDetectorHoldOverQuantisedSilence).
func (d *Detector) moveHeld() {
	// over at most 64 bins (strided) not held: the median of a flat band's
	// ratios needs no more
	r := d.scratch[:0]
	step := max(1, d.n/64)
	q := d.quantLevel()
	for i := 0; i < d.n; i += step {
		if !d.holding(i) && d.snap[i] > 0 {
			r = append(r, max(d.floor[i], q)/d.snap[i])
		}
	}
	if len(r) > 0 {
		if m := quickSelect(r, len(r)/2); m > 0 {
			d.holdRatio = m
		}
	}
	for i := range d.floor {
		if d.holding(i) {
			d.floor[i] = d.snap[i] * d.holdRatio
		}
	}
}

// updateHolds turns the block's claims into holds and reports whether any
// bin holds. A hold begins on a claimed bin and ends gapBlocks after its
// last claim; the bin holds while its count of blocks since the hold began
// is at most holdBlocks (holdBlocks+1: expired, it learns until the hold
// ends). Nothing is held before the floor has a whole history or with
// FloorHold negative, and no hold begins while the claims cover more than
// 90% of the band: then the band's floor itself has moved, and is learnt.
// When the first hold begins every bin's floor is kept in snap, the base
// holdRatio is measured from; a later hold keeps its floor in snap over
// holdRatio.
func (d *Detector) updateHolds() bool {
	claim, held, idle := d.claim[:d.n], d.held[:d.n], d.idle[:d.n]
	var cnt int
	for _, c := range claim {
		cnt += int(c)
	}
	if cnt == 0 && !d.holdState {
		return false
	}
	// A floor learnt over less than its whole history is still settling
	// (its minimum falls as blocks come in): holding it would keep it high.
	full := d.othersBlocks+d.groupCnt[d.groupCur] >= d.cfg.FloorBlocks-d.groupBlocks
	noHold := d.holdBlocks == 0 || !d.floorOK || !full
	noNew := 10*cnt > 9*d.n
	any, state := false, false
	for i, c := range claim {
		switch {
		case noHold || (c == 0 && (held[i] == 0 || idle[i] >= d.gapBlocks)):
			held[i], idle[i] = 0, 0
			continue
		case c == 0:
			idle[i]++
		case held[i] == 0 && noNew:
			continue
		case held[i] == 0:
			if !d.anyHeld && !any {
				copy(d.snap, d.floor)
				d.holdRatio = 1
			}
			d.snap[i] = d.floor[i] / d.holdRatio
		default:
			idle[i] = 0
		}
		held[i] = min(held[i]+1, d.holdBlocks+1)
		any = any || held[i] <= d.holdBlocks
		state = true
	}
	clear(claim)
	d.holdState = state
	return any
}

// foldOthers sets othersMin to the minimum over the groups other than the
// current one, othersBlocks to their blocks and othersReal to the blocks
// each bin measured (was not held for) in them: they change only when the
// current group moves on, once per groupBlocks blocks.
func (d *Detector) foldOthers() {
	n := d.n
	others, real := d.othersMin[:n], d.othersReal[:n]
	for i := range others {
		others[i] = math.Inf(1)
	}
	clear(real)
	d.othersBlocks = 0
	for j, c := range d.groupCnt {
		if c == 0 || j == d.groupCur {
			continue
		}
		d.othersBlocks += c
		for i, v := range d.groupMin[j*n : (j+1)*n] {
			others[i] = min(others[i], v)
		}
		for i, r := range d.groupReal[j*n : (j+1)*n] {
			real[i] += int(r)
		}
	}
}

// capFloor limits each bin's floor to FloorCapDB (or the bin's own cap,
// SetFloorCapDB) above the 10th percentile of the floor over the central
// 80% of the band, then to the reference's bound (SetFloorReferenceDBFS,
// ceilFloor), then raises it to the quantisation floor (quantFloor).
func (d *Detector) capFloor() {
	if d.capLin != nil || d.cfg.FloorCapDB >= 0 {
		lo, hi := d.n/10, d.n-d.n/10
		s := d.scratch[:0]
		s = append(s, d.floor[lo:hi]...)
		p10 := quickSelect(s, len(s)/10)
		if d.capLin != nil {
			for i, v := range d.floor {
				if c := p10 * d.capLin[i]; v > c {
					d.floor[i] = c
				}
			}
		} else {
			c := p10 * math.Pow(10, d.cfg.FloorCapDB/10)
			for i, v := range d.floor {
				if v > c {
					d.floor[i] = c
				}
			}
		}
	}
	d.ceilFloor()
	d.quantFloor()
}

// SetFloorCapDB gives each bin its own floor cap: capDB[i] dB over the
// 10th percentile of the floor over the central 80% of the band, in place
// of FloorCapDB, for bin i (NFFT values, lowest frequency first, bin
// NFFT/2 is DC, as FloorDBFS); a negative value leaves that bin uncapped.
// A caller that knows what part of the band may hold a carrier that never
// stops (a base station's) caps the rest lower: a gap-free emission on
// from the first sample is learnt into the floor up to its bins' cap, and
// found only some 5 dB over it. nil restores FloorCapDB for every bin. It
// takes effect at the next floor update (every FloorBlockFrames frames)
// and is kept by Reset, not by Fresh. It returns an error, changing
// nothing, when capDB does not have NFFT values or one is NaN.
func (d *Detector) SetFloorCapDB(capDB []float64) error {
	if capDB == nil {
		d.capLin = nil
		return nil
	}
	if len(capDB) != d.n {
		return fmt.Errorf("dsp: floor cap: %d bins, want NFFT %d", len(capDB), d.n)
	}
	for i, v := range capDB {
		if math.IsNaN(v) {
			return fmt.Errorf("dsp: floor cap: bin %d is NaN", i)
		}
	}
	if d.capLin == nil {
		d.capLin = make([]float64, d.n)
	}
	for i, v := range capDB {
		d.capLin[i] = math.Inf(1)
		if v >= 0 {
			d.capLin[i] = math.Pow(10, v/10)
		}
	}
	return nil
}

// quantFloor raises each bin's floor to the noise of a uniform quantiser
// whose step is the one noteStep found (q2 = LSB² on one axis):
// LSB²/12 per axis, LSB²/6 per complex sample, LSB²/(6·NFFT) per bin. A
// receiver whose noise is well under one LSB (an 8-bit HackRF at a middling
// gain: 0.02 LSB rms, 1 sample in 2000 at ±1 LSB, the rest 0) gives blocks
// of frames that are all zeros, and the minimum-statistics floor collapses
// to 0 (or to a single ±1 sample's power spread over the band); every frame
// with one ±1 LSB sample was then "on" across the whole band, and those
// blips, a few frames apart, were joined with a later emission into one
// that starts thousands of samples before it
// (TestSparseQuantisedNoiseNotDetected, TestUplinkOnsetOverSilentFloor).
// A single ±1 LSB sample of Hann-windowed power stands 12 dB or more under
// this floor in every bin. Where the noise is one LSB or more the learnt
// floor is already above it, and float samples have steps far under any
// noise, so neither is changed.
func (d *Detector) quantFloor() {
	q := d.quantLevel()
	if q == 0 {
		return
	}
	for i, v := range d.floor {
		if v < q {
			d.floor[i] = q
		}
	}
}

// quantLevel is the quantiser's noise per bin, q2/(6·NFFT), the bound
// quantFloor holds the floor at; 0 before a step is known.
func (d *Detector) quantLevel() float64 {
	if math.IsInf(d.q2, 1) {
		return 0
	}
	return d.q2 / (6 * float64(d.n))
}

func (d *Detector) bandThreshold(w int) float64 {
	if w > d.n {
		w = d.n
	}
	if d.thrBand[w] == 0 {
		d.thrBand[w] = gammaUpperQuantile(dof(w), d.cfg.BandPFA)
	}
	return d.thrBand[w]
}

// nyquistBin is the bin at −fs/2 (and +fs/2), which the detector does
// not judge (detect).
const nyquistBin = 0

// dcSpikeRatio is how far over its neighbours' mean power a DC notch bin
// must stand to count as a spike in its neighbours' smoothing windows: 4
// (6 dB), as a SpurMask's ratio; a signal across DC and noise rarely put
// a notch bin there, a receiver's DC spike always does.
const dcSpikeRatio = 4

func (d *Detector) detect(P []float64, start int64, dst []Emission) []Emission {
	n := d.n
	d.frameIdx++
	// accumulate or powerAccumulate has summed the frame into the ring and
	// the prefix sums
	cumP, cumL, cumF := d.cumP[:n+1], d.cumL[:n+1], d.cumF[:n+1]
	if d.floorDirty { // the floor changes once per FloorBlockFrames frames
		fl := d.floor[:n]
		for i := range n {
			cumF[i+1] = cumF[i] + fl[i]
		}
		d.floorDirty = false
	}
	h := d.cfg.SmoothBins
	ac := d.avgCount
	dc := n / 2
	on := d.on[:n]
	// The bin at −fs/2 (bin 0) is also +fs/2: an FFT is circular, and in
	// a band-limited capture that bin holds both band edges folded onto
	// each other (the anti-alias filter's transition, the splatter of
	// both sides), at a frequency that cannot be told. It is never on,
	// and no window reaches into it: the band judged is bins 1 to N−1,
	// N/2 − 1 on each side of DC (nyquistBin).
	on[0] = 0
	test := func(i int) byte {
		a, b := max(nyquistBin+1, i-h), min(n, i+h+1)
		f := cumF[b] - cumF[a]
		return b2u((cumP[b]-cumP[a]) > d.thrCells[b-a]*f ||
			(cumL[b]-cumL[a]) > d.thrCells[ac*(b-a)]*float64(ac)*f)
	}
	for i := range h { // the band's edges: fewer cells
		on[nyquistBin+1+i], on[n-1-i] = test(nyquistBin+1+i), test(n-1-i)
	}
	// inside, every window has 2h+1 cells: fixed thresholds
	thrP, thrL := d.thrCells[2*h+1], d.thrCells[ac*(2*h+1)]*float64(ac)
	w := 2*h + 1
	for i := nyquistBin + 1 + h; i < n-h; i++ {
		a := i - h
		f := cumF[a+w] - cumF[a]
		on[i] = b2u(cumP[a+w]-cumP[a] > thrP*f) | b2u(cumL[a+w]-cumL[a] > thrL*f)
	}
	if notch := d.cfg.DCNotchBins; notch >= 0 {
		// The smoothing window of a bin within h of the notch reaches into
		// it: there a notch bin over dcSpikeRatio times the mean power of
		// the notch+1 bins just outside the notch on each side counts at
		// that mean (as NotchDC hides a spike), so a DC spike 20 dB over
		// the floor (a HackRF's reads 15-30 dB in 256 bins) is not
		// detected in the bins beside the notch and merged across it into
		// an emission at DC (TestDCSpikeNotDetected; TestRealRobustness,
		// dc-spike). Any other notch bin counts as it is, so a signal
		// across or beside DC is tested as before.
		nlo, nhi := max(0, dc-notch), min(n, dc+notch+1)
		m := notch + 1
		if nlo-m >= 0 && nhi+m <= n {
			k := float64(2 * m)
			pN := (cumP[nlo] - cumP[nlo-m] + cumP[nhi+m] - cumP[nhi]) / k
			lN := (cumL[nlo] - cumL[nlo-m] + cumL[nhi+m] - cumL[nhi]) / k
			for i := max(0, nlo-h); i < min(n, nhi+h); i++ {
				a, b := max(nyquistBin+1, i-h), min(n, i+h+1)
				p, l, f := cumP[b]-cumP[a], cumL[b]-cumL[a], cumF[b]-cumF[a]
				for j := max(a, nlo); j < min(b, nhi); j++ {
					if pj := cumP[j+1] - cumP[j]; pj > dcSpikeRatio*pN {
						p += pN - pj
					}
					if lj := cumL[j+1] - cumL[j]; lj > dcSpikeRatio*lN {
						l += lN - lj
					}
				}
				on[i] = b2u(p > d.thrCells[b-a]*f || l > d.thrCells[ac*(b-a)]*float64(ac)*f)
			}
		}
		clear(on[nlo:nhi])
	}
	// Segments of on bins, less the h bins the smoothing window adds on each
	// side (so edges and bandwidths are the signal's), then gaps of up to
	// MergeGapBins bridged; the DC notch is bridged too, so a signal centred
	// on DC stays one run.
	d.runs = d.runs[:0]
	notch := d.cfg.DCNotchBins
	for i := 0; i < n; {
		j := bytes.IndexByte(on[i:], 1) // skips the off bins many at a time
		if j < 0 {
			break
		}
		lo := i + j
		i = lo + 1
		if k := bytes.IndexByte(on[i:], 0); k < 0 {
			i = n
		} else {
			i += k
		}
		hi := i - 1
		// The smoothing widened the run by h bins on each side where those
		// bins exist (fewer for a weak signal, so a run of 2h bins or less
		// keeps its middle), and never past the band's edges: a run cut by
		// an edge keeps its edge bin and loses min(h, (width−1)/2) bins on
		// its inner side only. (Trimming the edge side too put a tone in
		// the outermost bin a bin or more inside, and a signal in that bin
		// alone was trimmed onto bins without its power, which failed the
		// band test.)
		switch w := hi - lo + 1; {
		case lo == nyquistBin+1 && hi == n-1: // all of the band
		case lo == nyquistBin+1: // cut by the bottom edge
			hi -= min(h, (w-1)/2)
		case hi == n-1: // cut by the top edge
			lo += min(h, (w-1)/2)
		case w > 2*h:
			lo, hi = lo+h, hi-h
		default:
			lo = (lo + hi) / 2
			hi = lo
		}
		if k := len(d.runs); k > 0 {
			prev := &d.runs[k-1]
			gap := lo - prev.hi - 1
			if gap <= d.cfg.MergeGapBins ||
				(notch >= 0 && prev.hi < dc && lo > dc && gap <= d.cfg.MergeGapBins+2*notch+1+2*h) {
				prev.hi = hi
				continue
			}
		}
		d.runs = append(d.runs, binRun{lo, hi})
	}
	if d.minBins > 1 {
		k := 0
		for _, r := range d.runs {
			if r.hi-r.lo+1 >= d.minBins {
				d.runs[k] = r
				k++
			}
		}
		d.runs = d.runs[:k]
	}
	d.noteSteady()
	for _, e := range d.open {
		e.touched = false
	}
	spillNow := false
	for _, r := range d.runs {
		band := d.cumP[r.hi+1] - d.cumP[r.lo]
		fl := d.cumF[r.hi+1] - d.cumF[r.lo]
		if band <= d.bandThreshold(r.hi-r.lo+1)*fl {
			continue
		}
		// A narrow continuous line the run reaches across keeps its own
		// emission: it is on, in its own bins, and the rest of the run
		// joins the other emissions (splitLines).
		r, lineOnly := d.splitLines(r)
		for _, l := range d.lineHit {
			l.touched = true
			for i := l.lo; i <= l.hi; i++ {
				if x := P[i] - d.floor[i]; x > 0 {
					l.binPow[i] += x
				}
			}
		}
		if lineOnly || r.hi < r.lo {
			continue
		}
		e := d.associate(r, start)
		if e == nil {
			continue
		}
		if len(d.lineHit) > 0 && e.onFrames == 0 && e.firstFrame == d.frameIdx {
			e.spill = true // opened beside or across a line
			spillNow = true
		}
		e.touched = true
		for i := r.lo; i <= r.hi; i++ {
			if d.inLine(i) {
				continue // the line's power is the line's
			}
			if x := P[i] - d.floor[i]; x > 0 {
				e.binPow[i] += x
			}
		}
		e.lo, e.hi = min(e.lo, r.lo), max(e.hi, r.hi)
	}
	if spillNow {
		// What else comes on in the frame a line's transient does is its
		// splatter too, beyond a dip under the threshold or wrapped at the
		// band's edge: it is dropped with it if it is as short.
		for _, e := range d.open {
			e.spill = e.spill || (e.onFrames == 0 && e.firstFrame == d.frameIdx)
		}
	}
	end := start + int64(n)
	for i := 0; i < len(d.open); {
		e := d.open[i]
		span := d.frameIdx - e.firstFrame + 1
		if e.touched {
			// The frame's power over the emission's whole band so far, not
			// over this frame's on runs only: a carrier that never stops
			// becomes part of the floor (up to FloorCapDB), and then only
			// some of its bins are on in a frame; summing those read a phone
			// 14 dB over the floor 9 dB low.
			band := cumP[e.hi+1] - cumP[e.lo]
			e.onFrames++
			e.sumBand += band
			e.sumFloor += cumF[e.hi+1] - cumF[e.lo]
			e.peak = max(e.peak, band)
			if len(e.bursts) > 0 && d.frameIdx-e.lastOn <= int64(d.cfg.BurstGapFrames) {
				b := &e.bursts[len(e.bursts)-1]
				b.SampleCount = end - b.StartSample
			} else if len(e.bursts) < 4096 {
				e.bursts = append(e.bursts, Burst{StartSample: start, SampleCount: int64(n)})
			}
			e.lastOn = d.frameIdx
			e.end = end
			if span >= holdMinFrames && 2*int64(e.onFrames) >= span {
				// An emission on in half its frames or more holds its
				// bins' floor for this block. (A bursty one leaves the
				// minimum its gaps.)
				c := d.claim[max(0, e.lo-h):min(n, e.hi+h+1)]
				for i := range c {
					c[i] = 1
				}
			}
		}
		if d.lineTransient(e) && d.frameIdx-e.lastOn > int64(d.cfg.BurstGapFrames) {
			// A piece split off a line, on for no longer than an instant's
			// smear and then off: the line's transient, whose frames were
			// the line's on frames. It is dropped now, not held open for
			// MergeGapDur, where the next transient would join it.
			d.release(i)
			continue
		}
		if d.frameIdx-e.lastOn > d.mergeGap || span >= d.maxFrames {
			if d.lineTransient(e) {
				d.release(i) // the same, cut by the stream's end
				continue
			}
			dst = append(dst, d.finish(e))
			d.release(i)
			continue
		}
		i++
	}
	return dst
}

// lineMinS is how long an emission must have been on, nearly without a
// break, to count as a continuous line when a run reaches across it:
// twice the 0.5 ms of a TDD uplink slot, longer than a GSM timeslot
// (0.577 ms).
const lineMinS = 1e-3

// lineMaxBins bounds the width, in detector bins, of an emission that can
// count as a line: a CW tone's detected band is its window leakage, which
// grows with its power (measured at 23.04 Msps, 256 bins: 4, 5, 7 and 9
// bins at 20, 30, 40 and 50 dB over the whole band's noise).
const lineMaxBins = 16

// lineFrac is the share of a line's excess power its two strongest
// adjacent bins hold: a tone at any offset holds ~96% there (Hann); a
// GSM carrier, an OFDM or FM emission spreads wider.
const lineFrac = 0.8

// isLine reports that open emission e is a narrow continuous line: open
// for lineMinS and on in 90% of its frames (a weak line flickers off for
// a few frames now and then), at most lineMaxBins wide, no more than
// MergeGapBins wider on either side than its steady bins, and with
// lineFrac of its excess power in two adjacent bins: a spur, a CW
// carrier, a pilot; not a carrier's bursts, which break, nor a wide or FM
// emission, whose power spreads.
func (d *Detector) isLine(e *openEmission) bool {
	if e.hi-e.lo+1 > lineMaxBins {
		return false
	}
	span := d.frameIdx - e.firstFrame
	if float64(span*int64(d.n)) < lineMinS*d.cfg.SampleRateHz || 10*int64(e.onFrames) < 9*span {
		return false
	}
	// Its bins beyond its steady core are at most MergeGapBins on either
	// side (its flicker): an emission that holds a neighbour's bins too (a
	// line and a carrier merged as both came on) is not a line.
	g := d.cfg.MergeGapBins
	coreLo, coreHi := -1, -1
	for i := e.lo; i <= e.hi; i++ {
		if d.isSteady(i) {
			if coreLo < 0 {
				coreLo = i
			}
			coreHi = i
		}
	}
	if coreLo < 0 || e.lo < coreLo-g || e.hi > coreHi+g {
		return false
	}
	var tot, best float64
	for i := e.lo; i <= e.hi; i++ {
		tot += e.binPow[i]
		if i < e.hi {
			best = max(best, e.binPow[i]+e.binPow[i+1])
		}
	}
	if e.lo == e.hi {
		best = tot
	}
	return tot > 0 && best >= lineFrac*tot
}

// steadyMin is the share of recent frames (steady) a line's bins are on
// in: a weak line flickers off now and then (lte-fdd-gsm1800's line at
// 1859.2 MHz: 94% of frames); a GSM carrier's bins, on for 1 or 2
// timeslots, reach 0.44 or 0.68 over lineMinS.
const steadyMin = 0.75

// noteSteady updates steady from this frame's runs: an exponential
// average with a time constant of lineMinS, s ← (1 − a)·s + a·on per
// frame. Only the bins of the frame's runs are written: a bin's decay
// over the frames it was off, (1 − a)^Δ, is applied when it is next on
// or read (steadyNow), so the cost is the runs' bins, not every bin of
// every frame (which was 4% of a stream's CPU on noise).
func (d *Detector) noteSteady() {
	a := d.steadyA
	keep := 1 - a
	f := d.frameIdx
	for _, r := range d.runs {
		for i := r.lo; i <= r.hi; i++ {
			v := float64(d.steady[i])
			if dt := f - d.steadyAt[i]; dt == 1 {
				v *= keep
			} else {
				v *= math.Pow(keep, float64(dt))
			}
			d.steady[i], d.steadyAt[i] = float32(v+a), f
		}
	}
	// The average starts at 0: steadyW is the weight its frames so far
	// hold, 1 − (1 − a)^frames, which steady is read over.
	d.steadyW += float32(a) * (1 - d.steadyW)
}

// steadyNow is bin i's steady average at the current frame.
func (d *Detector) steadyNow(i int) float64 {
	v := float64(d.steady[i])
	if dt := d.frameIdx - d.steadyAt[i]; dt > 0 && v > 0 {
		v *= math.Pow(1-d.steadyA, float64(dt))
	}
	return v
}

// isSteady reports that bin i was on in steadyMin of recent frames.
func (d *Detector) isSteady(i int) bool { return d.steadyNow(i) >= steadyMin*float64(d.steadyW) }

// splitLines finds the open lines (isLine) that run r overlaps within
// MergeGapBins (into d.lineHit). A narrow line and a wider or bursty
// neighbour that comes on beside or across it are two emitters: merged,
// the line's on-time and spectrum became the neighbour's (a handset's
// 0.5 ms TDD slot across a spur read as an emission on for as long as the
// spur, its features the spur's; GSM bursts beside a line the same). So a
// run that reaches more than MergeGapBins beyond every line it overlaps is
// the neighbour's: the lines at its edges are trimmed off it, a line
// inside it stays in its band (but not in its power: inLine), and the
// lines are marked on in their own bins. A run that does not reach beyond
// a line is the line's (lineOnly: it joins only that line).
func (d *Detector) splitLines(r binRun) (binRun, bool) {
	d.lineHit = d.lineHit[:0]
	g := d.cfg.MergeGapBins
	for _, e := range d.open {
		if r.lo-g <= e.hi && e.lo <= r.hi+g && d.isLine(e) {
			d.lineHit = append(d.lineHit, e)
		}
	}
	if len(d.lineHit) == 0 {
		return r, false
	}
	for _, l := range d.lineHit {
		if r.lo >= l.lo-g && r.hi <= l.hi+g && !d.besideLine(r, l) {
			// the line's own run (its edges flicker by a bin or two)
			d.lineHit = d.lineHit[:1]
			d.lineHit[0] = l
			return r, true
		}
	}
	// Trim lines off the run's edges, outermost first.
	for changed := true; changed && r.lo <= r.hi; {
		changed = false
		for _, l := range d.lineHit {
			if l.lo-g <= r.lo && r.lo <= l.hi && l.hi+g < r.hi {
				r.lo, changed = l.hi+1, true
			}
			if l.lo <= r.hi && r.hi <= l.hi+g && l.lo-g > r.lo {
				r.hi, changed = l.lo-1, true
			}
		}
	}
	return r, false
}

// besideLine reports that run r holds bins outside line l that an open
// emission other than the lines holds too: a neighbour on beside the line
// in this frame, weak enough that its run reaches only a bin or two past
// the line's (a GSM burst's weaker frames).
func (d *Detector) besideLine(r binRun, l *openEmission) bool {
	for _, e := range d.open {
		if slices.Contains(d.lineHit, e) || d.frameIdx-e.lastOn > int64(d.cfg.BurstGapFrames) {
			continue // a line, or not on now
		}
		if (r.lo < l.lo && r.lo <= e.hi && e.lo <= min(r.hi, l.lo-1)) ||
			(r.hi > l.hi && max(r.lo, l.hi+1) <= e.hi && e.lo <= r.hi) {
			return true
		}
	}
	return false
}

// lineTransientMaxS bounds how long a piece split off a line can last and
// still be the line's own transient (transientMax): 80% of the
// shortest neighbour the split is for, a 0.5 ms TDD uplink slot (its
// edge frames may flicker).
const lineTransientMaxS = 0.4e-3

// lineTransient reports that open emission e is a line's transient: a
// piece split off a line or opened beside it (spill) that has been on
// for fewer than transientMax frames. It is dropped, not emitted.
func (d *Detector) lineTransient(e *openEmission) bool {
	return e.spill && e.lastOn-e.firstFrame < d.transientMax
}

// inLine reports that bin i lies in one of d.lineHit.
func (d *Detector) inLine(i int) bool {
	for _, l := range d.lineHit {
		if i >= l.lo && i <= l.hi {
			return true
		}
	}
	return false
}

// associate returns the open emission that run r joins: every open
// emission whose bins (so far) r overlaps within MergeGapBins is merged into
// the oldest of them (connected components), but for the lines of
// d.lineHit (splitLines), which keep their own. With no overlap it opens
// a new emission; nil when MaxOpen are open.
func (d *Detector) associate(r binRun, start int64) *openEmission {
	g := d.cfg.MergeGapBins
	var into *openEmission
	for i := 0; i < len(d.open); {
		e := d.open[i]
		if r.lo-g <= e.hi && e.lo <= r.hi+g && !slices.Contains(d.lineHit, e) {
			if into == nil {
				into = e
			} else {
				d.mergeInto(into, e)
				d.release(i)
				continue
			}
		}
		i++
	}
	if into != nil {
		return into
	}
	if len(d.free) == 0 {
		if len(d.open) >= d.cfg.MaxOpen {
			return nil
		}
		// made on first need: most tunings never hold MaxOpen at once
		d.free = append(d.free, &openEmission{binPow: make([]float64, d.n), bursts: make([]Burst, 0, 64)})
	}
	e := d.free[len(d.free)-1]
	d.free = d.free[:len(d.free)-1]
	clear(e.binPow)
	*e = openEmission{lo: r.lo, hi: r.hi, firstFrame: d.frameIdx, lastOn: d.frameIdx - 1<<40,
		start: start, binPow: e.binPow, bursts: e.bursts[:0]}
	d.open = append(d.open, e)
	return e
}

// mergeInto folds b into a (both open, b is being released).
func (d *Detector) mergeInto(a, b *openEmission) {
	a.lo, a.hi = min(a.lo, b.lo), max(a.hi, b.hi)
	for i, v := range b.binPow {
		a.binPow[i] += v
	}
	if b.start < a.start {
		a.start = b.start
	}
	a.firstFrame = min(a.firstFrame, b.firstFrame)
	if b.lastOn > a.lastOn {
		a.lastOn, a.end = b.lastOn, b.end
	}
	a.onFrames += b.onFrames
	a.sumBand += b.sumBand
	a.sumFloor += b.sumFloor
	a.peak = max(a.peak, b.peak)
	a.touched = a.touched || b.touched
	a.spill = a.spill && b.spill
	// merge the burst lists (each sorted by start), joining overlaps
	merged := append(a.bursts, b.bursts...)
	sort.Slice(merged, func(i, j int) bool { return merged[i].StartSample < merged[j].StartSample })
	out := merged[:0]
	for _, x := range merged {
		if k := len(out); k > 0 && x.StartSample <= out[k-1].StartSample+out[k-1].SampleCount {
			if e := x.StartSample + x.SampleCount; e > out[k-1].StartSample+out[k-1].SampleCount {
				out[k-1].SampleCount = e - out[k-1].StartSample
			}
			continue
		}
		out = append(out, x)
	}
	a.bursts = out
}

func (d *Detector) release(i int) {
	e := d.open[i]
	copy(d.open[i:], d.open[i+1:])
	d.open = d.open[:len(d.open)-1]
	d.free = append(d.free, e)
}

func (d *Detector) closeAll(dst []Emission) []Emission {
	for len(d.open) > 0 {
		if e := d.open[0]; !d.lineTransient(e) {
			dst = append(dst, d.finish(e))
		} // else a line's transient (detect)
		d.release(0)
	}
	return dst
}

func (d *Detector) finish(e *openEmission) Emission {
	df := d.cfg.SampleRateHz / float64(d.n)
	// Bin 0, centred on −fs/2, is never detected (nyquistBin), so every
	// edge lies inside the captured band: bin 1's lower edge is
	// −fs/2 + df/2, the top bin's upper edge fs/2 − df/2.
	off := func(i float64) float64 { return (i - float64(d.n/2)) * df }
	em := Emission{
		StartSample: e.start, SampleCount: e.end - e.start,
		FreqLowHz: off(float64(e.lo) - 0.5), FreqHighHz: off(float64(e.hi) + 0.5),
		Frames: e.onFrames,
	}
	var tot, wsum float64
	for i := e.lo; i <= e.hi; i++ {
		tot += e.binPow[i]
		wsum += e.binPow[i] * off(float64(i))
	}
	if tot > 0 {
		em.CenterOffsetHz = wsum / tot
		// 99% occupied bandwidth: trim 0.5% of the excess power from each side,
		// interpolating within the edge bins.
		edge := func(from, step int) float64 {
			acc := 0.0
			for i := from; i >= e.lo && i <= e.hi; i += step {
				p := e.binPow[i]
				if acc+p >= 0.005*tot {
					frac := (0.005*tot - acc) / p
					return float64(i) - float64(step)*0.5 + float64(step)*frac
				}
				acc += p
			}
			return float64(from)
		}
		lo, hi := edge(e.lo, 1), edge(e.hi, -1)
		em.BandwidthHz = max(hi-lo, 0) * df
		em.OccupiedLowHz = off(min(lo, hi))
		em.OccupiedHighHz = max(off(hi), em.OccupiedLowHz)
	} else {
		em.CenterOffsetHz = (em.FreqLowHz + em.FreqHighHz) / 2
		em.BandwidthHz = em.FreqHighHz - em.FreqLowHz
		em.OccupiedLowHz, em.OccupiedHighHz = em.FreqLowHz, em.FreqHighHz
	}
	if e.onFrames > 0 {
		mean := e.sumBand / float64(e.onFrames)
		noise := e.sumFloor / float64(e.onFrames)
		em.MeanDBFS, em.NoiseDBFS, em.PeakDBFS = dbOf(mean), dbOf(noise), dbOf(e.peak)
		// A floor learnt on digital silence (exact zeros) is 0: measure
		// against dbOf's floor then (-300 dB), not a division by 0 (+Inf
		// broke every JSON and SigMF output of a valid recording).
		n := max(noise, 1e-30)
		em.SNRDB = dbOf(max(mean-n, 1e-30*n) / n)
		span := e.lastOn - e.firstFrame + 1
		em.DutyCycle = float64(e.onFrames) / float64(max(span, int64(e.onFrames)))
	}
	em.Bursts = append([]Burst(nil), e.bursts...)
	em.PeriodSamples = burstPeriod(em.Bursts, int64(d.n))
	return em
}

// burstPeriod returns the burst repetition period of bs, in samples, or 0
// when the bursts are not regular: at least three bursts whose every
// start-to-start interval lies within max(tol, 5%) of their mean, which is
// returned. Slivers (bursts under a quarter of the median burst length: a
// frame or two of noise or of a neighbour's edge) are left out, and when
// the rest are not regular, so is a first burst shorter than 0.9 of the
// median: its start may be the start of the block rather than of the
// burst (a TDMA handset's slot cut by the capture's start).
func burstPeriod(bs []Burst, tol int64) int64 {
	if len(bs) < 3 {
		return 0
	}
	lens := make([]int64, len(bs))
	for i, b := range bs {
		lens[i] = b.SampleCount
	}
	slices.Sort(lens)
	med := lens[len(lens)/2]
	starts := make([]int64, 0, len(bs))
	firstShort := false
	for i, b := range bs {
		if 4*b.SampleCount < med {
			continue
		}
		if i == 0 && 10*b.SampleCount < 9*med {
			firstShort = true
		}
		starts = append(starts, b.StartSample)
	}
	if p := regularPeriod(starts, tol); p > 0 || !firstShort {
		return p
	}
	return regularPeriod(starts[1:], tol)
}

// regularPeriod returns the mean interval of starts when there are at
// least three and every interval is within max(tol, 5%) of it, else 0.
func regularPeriod(starts []int64, tol int64) int64 {
	if len(starts) < 3 {
		return 0
	}
	mean := float64(starts[len(starts)-1]-starts[0]) / float64(len(starts)-1)
	lim := max(float64(tol), 0.05*mean)
	for i := 1; i < len(starts); i++ {
		if math.Abs(float64(starts[i]-starts[i-1])-mean) > lim {
			return 0
		}
	}
	return int64(math.Round(mean))
}
