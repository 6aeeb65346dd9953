package agent

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/sensor/config"
)

// FrontEndBands is how many bands must show a collapsed or a raised noise
// floor at once for the sensor to blame its own front end and report itself
// tampered or jammed (fewer when the scan plan has fewer bands). A cut or
// shielded antenna drops the floor, and a jammer raises it, across bands;
// one band's floor moving alone is far more often a strong legitimate
// signal: one that filled the tuning while the baseline was learnt and has
// since stopped (a handset on a long call beside the node, a staff radio),
// or one that has started.
const FrontEndBands = 2

// warmBlocks is the number of blocks per band that seed its baseline.
const warmBlocks = 8

// ClipLevel is the magnitude of an I or Q sample counted as clipped
// (full scale is 1; an 8-bit ADC's largest code is 127/128 = 0.992).
const ClipLevel = 0.99

// BlockStats summarises one block for the tamper detector and the AGC.
type BlockStats struct {
	FloorDBFS    float64 // robust noise-floor proxy: 10th percentile of chunk powers, dBFS
	PeakDBFS     float64 // largest |I| or |Q| in the block, dB relative to full scale (1)
	ClipFraction float64 // fraction of samples with |I| or |Q| >= ClipLevel
	Clipped      int64
	// SpectralDBFS is a floor proxy across frequency: the 25th percentile,
	// over the central bins, of each bin's median over SpectralFrames
	// frames, scaled so white noise reads about its mean power (dBFS). A
	// narrowband carrier leaves it where it was, where it raises every
	// chunk's power and with it FloorDBFS; a bursty signal leaves FloorDBFS
	// where it was. Valid when SpectralFrames > 0.
	SpectralDBFS   float64
	SpectralFrames int
	// FloorHidden says the floor may lie under the quantiser (the AGC
	// lowered the gain): a floor read below the baseline is then no collapse,
	// while one read above it is still a rise.
	FloorHidden bool
	// AGCCuring says the AGC may still take gain away in the block's
	// tuning (AGC.Curing): its clipping does not count towards overloaded.
	AGCCuring bool
}

// chunkSamples is the chunk over which a BlockMeter averages power; it is
// also the length of its spectral frames.
const chunkSamples = 64

// Spectral floor: at most spectralFrames chunks, spread evenly over the
// block, are transformed; fewer than minSpectralFrames give no spectral
// floor. The bins within spectralDCBins of DC (the receiver's DC spike) and
// beyond spectralEdgeBins from it (the anti-alias filter's roll-off) are
// left out: 46 of 64 bins remain.
const (
	spectralFrames    = 32
	minSpectralFrames = 8
	spectralDCBins    = 1
	spectralEdgeBins  = 24
)

// BlockMeter computes BlockStats and keeps its scratch memory and FFT plan
// from one block to the next. The zero value is ready to use; it is not
// safe for concurrent use.
type BlockMeter struct {
	chunks []float64 // chunk mean powers
	psd    *dsp.Welch
	noise  float64   // N/ENBW: scales a Welch frame (tone-normalised) to noise power per bin
	spec   []float32 // one frame's power spectrum
	bins   []float64 // periodograms, bin-major: bins[k*frames+j]
	meds   []float64 // per-bin medians over frames
}

// Measure computes the BlockStats of samples. The peak is tracked on the
// IEEE bits of |I| and |Q| (for non-negative floats their order is the
// numbers' order), which compiles without branches; clipped samples are
// counted only in chunks whose peak reaches ClipLevel.
func (m *BlockMeter) Measure(samples []complex64) BlockStats {
	clipBits := math.Float32bits(ClipLevel)
	m.chunks = m.chunks[:0]
	var clipped int64
	var peak uint32
	for i := 0; i < len(samples); i += chunkSamples {
		chunk := samples[i:min(i+chunkSamples, len(samples))]
		p, pk := chunkPowerPeak(chunk)
		if pk >= clipBits {
			clipped += countClipped(chunk)
		}
		peak = max(peak, pk)
		if len(chunk) == chunkSamples {
			m.chunks = append(m.chunks, float64(p)/chunkSamples)
		}
	}
	st := BlockStats{FloorDBFS: math.Inf(-1), PeakDBFS: 20 * math.Log10(float64(math.Float32frombits(peak)))}
	if len(samples) > 0 {
		st.ClipFraction = float64(clipped) / float64(len(samples))
		st.Clipped = clipped
	}
	if len(m.chunks) == 0 {
		return st
	}
	if len(m.chunks) >= minSpectralFrames {
		st.SpectralDBFS, st.SpectralFrames = m.spectralFloor(samples, len(m.chunks))
	}
	k := len(m.chunks) / 10
	st.FloorDBFS = 10 * math.Log10(dsp.Select(m.chunks, k)+1e-30)
	return st
}

// spectralFloor returns BlockStats.SpectralDBFS of samples, which hold
// chunks whole chunks, and the number of frames it read. Each frame is a
// Hann-windowed chunk. Its power spectrum scaled to |X[k]|²/Σw² (a Welch
// frame times N/ENBW) sums, over the bins, to about N times its mean power,
// so a bin of white noise of mean power σ reads σ on average, and its
// median over frames σ·ln 2 (the median of an exponential), which the
// result divides out.
func (m *BlockMeter) spectralFloor(samples []complex64, chunks int) (float64, int) {
	const n = chunkSamples
	if m.psd == nil {
		m.psd = dsp.NewWelch(n, dsp.WindowHann, 0)
		m.noise = n / dsp.ENBW(m.psd.Window())
		m.spec = make([]float32, n)
		m.bins = make([]float64, n*spectralFrames)
	}
	frames := min(chunks, spectralFrames)
	step := chunks / frames
	for j := range frames {
		at := j * step * n
		for k, v := range m.psd.Frame(m.spec, samples[at:at+n]) {
			m.bins[k*frames+j] = float64(v) * m.noise
		}
	}
	m.meds = m.meds[:0]
	for k := range n {
		off := min(k, n-k) // distance from DC in bins
		if off <= spectralDCBins || off > spectralEdgeBins {
			continue
		}
		col := m.bins[k*frames : (k+1)*frames]
		m.meds = append(m.meds, dsp.Select(col, frames/2))
	}
	q := dsp.Select(m.meds, len(m.meds)/4) / math.Ln2
	return 10 * math.Log10(q+1e-30), frames
}

// chunkPowerPeak returns the summed power of x and the largest IEEE bits of
// |I| or |Q|. Four partial sums break the chain of dependent adds.
func chunkPowerPeak(x []complex64) (float32, uint32) {
	const absMask = 1<<31 - 1
	var p0, p1, p2, p3 float32
	var k0, k1 uint32
	j := 0
	for ; j+4 <= len(x); j += 4 {
		a, b, c, d := x[j], x[j+1], x[j+2], x[j+3]
		p0 += real(a)*real(a) + imag(a)*imag(a)
		p1 += real(b)*real(b) + imag(b)*imag(b)
		p2 += real(c)*real(c) + imag(c)*imag(c)
		p3 += real(d)*real(d) + imag(d)*imag(d)
		k0 = max(k0, math.Float32bits(real(a))&absMask, math.Float32bits(imag(a))&absMask,
			math.Float32bits(real(b))&absMask, math.Float32bits(imag(b))&absMask)
		k1 = max(k1, math.Float32bits(real(c))&absMask, math.Float32bits(imag(c))&absMask,
			math.Float32bits(real(d))&absMask, math.Float32bits(imag(d))&absMask)
	}
	for ; j < len(x); j++ {
		v := x[j]
		p0 += real(v)*real(v) + imag(v)*imag(v)
		k0 = max(k0, math.Float32bits(real(v))&absMask, math.Float32bits(imag(v))&absMask)
	}
	return p0 + p1 + p2 + p3, max(k0, k1)
}

// countClipped counts the samples of x with |I| or |Q| at or above ClipLevel.
func countClipped(x []complex64) int64 {
	var n int64
	for _, v := range x {
		re, im := real(v), imag(v)
		if re >= ClipLevel || re <= -ClipLevel || im >= ClipLevel || im <= -ClipLevel {
			n++
		}
	}
	return n
}

type bandFloor struct {
	floor     baseline // of BlockStats.FloorDBFS
	spec      baseline // of BlockStats.SpectralDBFS, from the blocks that have one
	low, high int      // consecutive blocks collapsed / risen
	last      float64
}

// baseline is a floor proxy's learnt level, dB: the mean of its first
// warmBlocks readings, then moved by BaselineAlpha towards each reading
// taken while the band is normal (Tamper.Observe).
type baseline struct {
	dB float64
	n  int // readings seen
}

// warm counts reading x and, while it is one of the first warmBlocks,
// averages it into the level; it reports whether it was.
func (l *baseline) warm(x float64) bool {
	l.n++
	if l.n > warmBlocks {
		return false
	}
	l.dB += (x - l.dB) / float64(l.n)
	return true
}

// Tamper tracks each band's noise floor against its learned baseline and the
// clipping and stall conditions, and derives the sensor's health state.
// It is not safe for concurrent use.
//
// A band's floor has moved when both its proxies have: the chunk powers'
// low percentile (FloorDBFS), which a narrowband carrier raises (a staff
// radio's TETRA carrier 12 m from a node raised it 33 dB) and a bursty
// signal does not, and the spectral floor (SpectralDBFS), which a carrier
// in a few bins does not raise and a signal on a small share of the time
// may. A jammer's noise, or a cut antenna, moves both.
type Tamper struct {
	cfg      config.Tamper
	bands    map[string]*bandFloor
	clip     int // consecutive overloaded blocks
	stall    bool
	stallFor time.Duration // how long no block had arrived, at the last CheckStall
	stallWhy string        // the source's error, if it gave one
	last     time.Time     // when the last block arrived (or Expect's time)
}

// NewTamper returns a detector with the thresholds of cfg.
func NewTamper(cfg config.Tamper) *Tamper {
	return &Tamper{cfg: cfg, bands: map[string]*bandFloor{}}
}

// Observe feeds one block's statistics for band; at is when the block
// arrived, on the clock CheckStall is given. It ends a stall.
func (t *Tamper) Observe(band string, at time.Time, st BlockStats) {
	t.last = at
	t.stall, t.stallWhy = false, ""
	if st.ClipFraction > t.cfg.ClipFraction && !st.AGCCuring {
		t.clip++
	} else {
		t.clip = 0
	}
	if math.IsInf(st.FloorDBFS, 0) || math.IsNaN(st.FloorDBFS) {
		return
	}
	b := t.bands[band]
	if st.FloorHidden && (b == nil || b.floor.n < warmBlocks) {
		return // no baseline from a floor the quantiser may hide
	}
	if b == nil {
		b = &bandFloor{}
		t.bands[band] = b
	}
	// A hidden floor below the baseline is the quantiser's, not the front
	// end's: no collapse, and the band keeps its last real floor in the
	// health report.
	quantised := st.FloorHidden && st.FloorDBFS < b.floor.dB
	if !quantised {
		b.last = st.FloorDBFS
	}
	spectral := st.SpectralFrames > 0 && !math.IsInf(st.SpectralDBFS, 0) && !math.IsNaN(st.SpectralDBFS) &&
		!b.spec.warm(st.SpectralDBFS)
	if b.floor.warm(st.FloorDBFS) {
		return
	}
	d := st.FloorDBFS - b.floor.dB
	rise, fall := d, d // how far the floor rose, and fell, by both proxies
	var ds float64
	if spectral {
		ds = st.SpectralDBFS - b.spec.dB
		rise, fall = min(d, ds), max(d, ds)
	}
	switch {
	case quantised:
		b.low, b.high = 0, 0
	case fall < -t.cfg.CollapseDB:
		b.low++
		b.high = 0
	case rise > t.cfg.RiseDB:
		b.high++
		b.low = 0
	default:
		b.low, b.high = 0, 0
		// Learn only while normal, so a slow attack does not become the baseline
		// at once.
		b.floor.dB += t.cfg.BaselineAlpha * d
		if spectral {
			b.spec.dB += t.cfg.BaselineAlpha * ds
		}
	}
}

// Expect starts the count towards a stall at now, as if a block had
// arrived then: call it when the stream starts, so that a receiver that
// never delivers is stalled too.
func (t *Tamper) Expect(now time.Time) { t.last = now }

// CheckStall marks the stream stalled when no block arrived for the stall
// duration (tamper.stall) before now, whatever the cause; why, when not
// empty, is the source's latest error, reported as the stall's cause. It
// reports whether the stream became stalled by this call.
func (t *Tamper) CheckStall(now time.Time, why string) bool {
	if t.last.IsZero() {
		t.last = now
	}
	d := now.Sub(t.last)
	if d < t.cfg.StallDur {
		return false
	}
	was := t.stall
	t.stall, t.stallFor, t.stallWhy = true, d, why
	return !was
}

// State returns the health state and its reasons, the most severe first:
// stalled, tampered, overloaded (clipping also raises the floor, so it
// comes before jammed), jammed.
func (t *Tamper) State() (string, []string) {
	var reasons []string
	state := event.StateOK
	raise := func(s, reason string) {
		if state == event.StateOK {
			state = s
		}
		reasons = append(reasons, reason)
	}
	if t.stall {
		r := fmt.Sprintf("no samples for %v", roundDur(max(t.stallFor, t.cfg.StallDur)))
		if t.stallWhy != "" {
			r += ": " + t.stallWhy
		}
		raise(event.StateStalled, r)
	}
	names := make([]string, 0, len(t.bands))
	for n := range t.bands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, r := range t.frontEnd(names, "below", func(b *bandFloor) (int, float64) { return b.low, b.floor.dB - b.last }) {
		raise(event.StateTampered, r)
	}
	if t.clip >= t.cfg.PersistBlocks {
		raise(event.StateOverloaded, fmt.Sprintf("clipping above %.1f%% for %d blocks", 100*t.cfg.ClipFraction, t.clip))
	}
	for _, r := range t.frontEnd(names, "above", func(b *bandFloor) (int, float64) { return b.high, b.last - b.floor.dB }) {
		raise(event.StateJammed, r)
	}
	if len(reasons) > 32 {
		reasons = reasons[:32]
	}
	return state, reasons
}

// frontEnd returns a reason for each band (of names, in order) whose floor
// has stood dir ("below" or "above") its baseline for PersistBlocks blocks,
// as moved reports (blocks, dB), when at least FrontEndBands bands (every
// band of a shorter plan) do; otherwise none. A floor moved in one band of
// several is far more often a strong legitimate signal filling the tuning
// (a staff radio next to the node, a handset on a call in the next cell,
// or one that was on while the baseline was learnt) than the front end.
func (t *Tamper) frontEnd(names []string, dir string, moved func(*bandFloor) (int, float64)) []string {
	var reasons []string
	for _, n := range names {
		if blocks, dB := moved(t.bands[n]); blocks >= t.cfg.PersistBlocks {
			reasons = append(reasons, fmt.Sprintf("band %s: noise floor %.1f dB %s baseline", n, dB, dir))
		}
	}
	if len(reasons) < min(FrontEndBands, len(t.bands)) {
		return nil
	}
	return reasons
}

// Floors returns the last noise-floor proxy per band, dBFS; for a band at
// an AGC-lowered gain whose floor lies under the quantiser, the last one
// measured before.
func (t *Tamper) Floors() map[string]float64 {
	m := make(map[string]float64, len(t.bands))
	for n, b := range t.bands {
		m[n] = b.last
	}
	return m
}

// roundDur rounds d for a reason a person reads: to the millisecond under
// a second, else to the second.
func roundDur(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}
