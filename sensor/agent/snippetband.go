package agent

import (
	"fmt"
	"math"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
)

// The SigMF keys (rfw extension, global) that say what a snippet was cut
// from and what was done to it: a snippet keeps its emission's band only
// (docs/events.md, Snippets).
const (
	// CaptureRateKey is the sample rate, Hz, of the capture the snippet
	// was cut from (core:sample_rate is the snippet's own).
	CaptureRateKey = "rfw:capture_sample_rate"
	// CaptureCenterKey is the RF centre, Hz, of that capture's tuning
	// (core:frequency is the snippet's own: its kept band's centre).
	CaptureCenterKey = "rfw:capture_frequency"
	// BandFilterKey says, in words, how the samples were shifted, filtered
	// and decimated to the kept band; absent when the snippet keeps the
	// whole capture.
	BandFilterKey = "rfw:band_filter"
)

// How a snippet's kept band is chosen and filtered. The classifiers and
// the detector judge an emission against the noise beside it (the median
// PSD outside its span widened by 5% + 50 kHz, dsp/classify; per-bin
// floors, dsp.Detector), so a replay of the snippet needs noise on both
// sides of it: the kept band is at least snippetKeepFactor times the
// width of the emission's band (emissionBand; a guard of its width on each side) and at
// least snippetMinKeepHz, rounded up to the capture rate over an integer
// factor. The filter keeps ±snippetPassFrac of the kept rate flat and
// takes anything at ±snippetStopFrac (the kept band's edge) and beyond
// ≥ 68.5 dB down (dsp.NewDecimator), so other emissions outside the kept
// band do not fold into it; the emission lies within ±snippetEdgeFrac of
// the kept rate from its centre, clear of the roll-off between.
const (
	snippetKeepFactor = 3
	snippetMinKeepHz  = 500e3
	snippetPassFrac   = 0.4
	snippetStopFrac   = 0.5
	snippetAttenDB    = 70
	snippetEdgeFrac   = 0.35
	// A narrow emission (its guard narrower than snippetMinKeepHz) is
	// put above the kept band's centre, its lower edge snippetDCClearFrac
	// of the kept rate (2 bins of a 64-bin detector) above it, not on it:
	// the detector's DC notch (±1 bin) and the classifiers' DC line cut
	// would hide a narrow one centred on DC, the receiver's DC spike as
	// they see it. Its band (emissionBand) is its occupied band and a
	// margin, within its detected bins (whole bins of the capture's
	// detector, 78 kHz at 10 Msps).
	snippetDCClearFrac = 1.0 / 32
	// snippetEdgeGuard is the classifiers' anti-alias roll-off (the outer
	// 5% of a capture, at least 25 kHz): an emission reaching it is cut
	// by the capture's edge, and keeps the whole capture so a replay sees
	// it cut the same way.
	snippetEdgeGuardFrac = 0.05
	snippetEdgeGuardHz   = 25e3
	// snippetOccMarginFrac widens the emission's occupied (99% power)
	// band by this fraction of its width on each side, for the skirts
	// beyond it, before it is cut to the detected bins (see emissionBand).
	snippetOccMarginFrac = 0.25
)

// snippetBand is the band a snippet keeps of its capture: factor 1 is the
// whole capture, as it was; otherwise the samples are shifted by −shiftHz,
// low-passed and decimated by factor.
type snippetBand struct {
	loHz, hiHz  float64 // the emission's band the snippet is planned around (emissionBand), RF Hz; its annotation's edges
	factor      int
	rateHz      float64 // the snippet's sample rate: capRateHz / factor
	centerHz    float64 // the snippet's RF centre: capCenterHz + shiftHz
	shiftHz     float64 // the kept band's centre from the capture's, Hz
	capRateHz   float64
	capCenterHz float64
	why         string         // when factor is 1: why the whole capture is kept
	dec         *dsp.Decimator // when factor is above 1: the band's filter, designed once
}

// emissionBand is the band of r's emission, Hz from tuneHz (the capture's
// centre), that a snippet keeps and annotates: its occupied (99% power)
// band (dsp.Emission.OccupiedLowHz to OccupiedHighHz, placed by CenterHz)
// widened by snippetOccMarginFrac of its width on each side, within its
// detected bins (FreqLowHz to FreqHighHz); the detected bins when it has
// no occupied band; else BandwidthHz around CenterHz. ok is false when it
// has none of them. A weak emission's widened occupied band covers its
// detected bins, which it keeps; a strong one's detected bins hold its
// window leakage, far wider than the emission (a GSM handset at 45 dB SNR
// in a 10 Msps capture: 4.2 MHz of bins, 305 kHz occupied), and the
// occupied band is what it keeps. Until 2026-12-05 the detected bins were
// kept and annotated: such a snippet kept the whole capture, annotated
// 30 times the emission's width, "reaching the capture's edge"
// (TestStrongEmissionSnippetKeepsItsBand).
func emissionBand(tuneHz float64, r *pipeline.Result) (lo, hi float64, ok bool) {
	dLo, dHi := r.FreqLowHz-tuneHz, r.FreqHighHz-tuneHz
	if oLo, oHi := r.Em.OccupiedLowHz, r.Em.OccupiedHighHz; oHi > oLo {
		at := r.CenterHz - tuneHz - r.Em.CenterOffsetHz // the detection's DC, from tuneHz
		m := snippetOccMarginFrac * (oHi - oLo)
		lo, hi = at+oLo-m, at+oHi+m
		if dHi > dLo && min(hi, dHi) > max(lo, dLo) {
			lo, hi = max(lo, dLo), min(hi, dHi)
		}
		return lo, hi, true
	}
	if dHi > dLo {
		return dLo, dHi, true
	}
	if c, w := r.CenterHz-tuneHz, r.BandwidthHz; w > 0 {
		return c - w/2, c + w/2, true
	}
	return 0, 0, false
}

// planSnippetBand picks the band a snippet of r keeps from a capture at
// rateHz centred on tuneHz: the emission's band (emissionBand) with its
// guard, at the largest integer decimation of rateHz that holds it
// (snippetKeepFactor, snippetMinKeepHz, snippetEdgeFrac), centred on the
// emission (a narrow one: snippetDCClearFrac of the kept rate below it)
// and slid inside the capture when it would stick out of it. The whole
// capture is kept when the emission has no band, reaches the capture's
// edge, or with its guard fills more than half of it.
func planSnippetBand(rateHz, tuneHz float64, r *pipeline.Result) snippetBand {
	whole := snippetBand{factor: 1, rateHz: rateHz, centerHz: tuneHz, capRateHz: rateHz, capCenterHz: tuneHz}
	lo, hi, ok := emissionBand(tuneHz, r)
	if !ok {
		whole.why = "the detection has no band to keep"
		return whole
	}
	// the annotation's edges: the emission's band, inside the capture
	lo, hi = max(lo, -rateHz/2), min(hi, rateHz/2)
	whole.loHz, whole.hiHz = tuneHz+lo, tuneHz+hi
	guard := max(snippetEdgeGuardHz, snippetEdgeGuardFrac*rateHz)
	if lo < -rateHz/2+guard || hi > rateHz/2-guard {
		whole.why = "its emission reaches the capture's edge"
		return whole
	}
	w := hi - lo
	dMax := int(rateHz / max(snippetKeepFactor*w, snippetMinKeepHz))
	if dMax < 2 {
		// no room for a guard of its width each side: what is left
		dMax = int(rateHz / max(w/(2*snippetEdgeFrac), snippetMinKeepHz))
	}
	for d := dMax; d >= 2; d-- {
		out := rateHz / float64(d)
		c := (lo + hi) / 2
		if snippetKeepFactor*w < snippetMinKeepHz {
			c = lo - snippetDCClearFrac*out
		}
		c = min(max(c, -rateHz/2+out/2), rateHz/2-out/2)
		if lo >= c-snippetEdgeFrac*out && hi <= c+snippetEdgeFrac*out {
			return snippetBand{loHz: tuneHz + lo, hiHz: tuneHz + hi, factor: d, rateHz: out, centerHz: tuneHz + c, shiftHz: c, capRateHz: rateHz, capCenterHz: tuneHz,
				dec: dsp.NewDecimator(d, snippetPassFrac, snippetStopFrac, snippetAttenDB)}
		}
	}
	whole.why = "its emission with a guard band beside it fills more than half of it"
	return whole
}

// outLen is how many samples the snippet keeps of n captured ones.
func (b snippetBand) outLen(n int64) int64 {
	if b.factor <= 1 {
		return n
	}
	return (n + int64(b.factor) - 1) / int64(b.factor)
}

// apply returns the kept band of x, captured samples: x itself for the
// whole capture, else x shifted by −shiftHz (dsp.FreqShift), low-passed
// and decimated (dsp.Decimator), in new memory; sample m of it is at the
// time of x[m·factor].
func (b snippetBand) apply(x []complex64) []complex64 {
	if b.factor <= 1 {
		return x
	}
	return b.dec.Decimate(nil, dsp.FreqShift(nil, x, -b.shiftHz, b.capRateHz))
}

// floor returns the detector's floor src (dBFS per bin of width
// capRateHz/len(src), lowest frequency first, DC at the middle) over the
// kept band: M bins (a power of two, at least pipeline's 16, about as
// fine as src's), each the power density of the src bins it overlaps,
// weighted by the overlap, times its own width. src itself for the
// whole capture.
func (b snippetBand) floor(src []float64) []float64 {
	n := len(src)
	if b.factor <= 1 || n == 0 {
		return src
	}
	inHz := b.capRateHz / float64(n)
	m := 16
	for m < 1<<16 && float64(m)*inHz < b.rateHz {
		m *= 2
	}
	outHz := b.rateHz / float64(m)
	out := make([]float64, m)
	for j := range out {
		a := b.shiftHz - b.rateHz/2 + float64(j)*outHz // Hz from the capture's centre
		e := a + outHz
		var p, cov float64
		k0 := max(int(math.Floor(a/inHz+float64(n)/2+0.5)), 0)
		k1 := min(int(math.Floor(e/inHz+float64(n)/2+0.5)), n-1)
		for k := k0; k <= k1; k++ {
			kLo := (float64(k-n/2) - 0.5) * inHz
			ov := min(e, kLo+inHz) - max(a, kLo)
			if ov > 0 {
				p += math.Pow(10, src[k]/10) * ov / inHz
				cov += ov
			}
		}
		if cov <= 0 { // outside src: the nearest bin's density
			k := min(max(int(math.Floor((a+e)/2/inHz+float64(n)/2+0.5)), 0), n-1)
			p, cov = math.Pow(10, src[k]/10)*outHz/inHz, outHz
		}
		out[j] = 10 * math.Log10(p*outHz/cov)
	}
	return out
}

// filterText is BandFilterKey's value: what apply did.
func (b snippetBand) filterText() string {
	return fmt.Sprintf("shifted by %+.0f Hz (the kept band's centre to DC), low-passed by a %d-tap Kaiser-windowed sinc FIR "+
		"(flat within ±0.003 dB to ±%.0f Hz, at least 68.5 dB down from ±%.0f Hz) and decimated by %d, from %.0f to %.0f samples per second",
		-b.shiftHz, 2*b.dec.Delay()+1, snippetPassFrac*b.rateHz, snippetStopFrac*b.rateHz, b.factor, b.capRateHz, b.rateHz)
}

// describe is the sentence of the snippet's description on its band.
func (b snippetBand) describe() string {
	if b.factor <= 1 {
		return fmt.Sprintf("It keeps the whole %.3f MHz capture at %.6f MHz: %s.", b.capRateHz/1e6, b.capCenterHz/1e6, b.why)
	}
	return fmt.Sprintf("It keeps only the band of its emission, %.3f MHz around %.6f MHz (flat over the middle %.3f MHz), "+
		"cut from a %.3f MHz capture at %.6f MHz (%s, %s; how: %s).",
		b.rateHz/1e6, b.centerHz/1e6, 2*snippetPassFrac*b.rateHz/1e6, b.capRateHz/1e6, b.capCenterHz/1e6, CaptureRateKey, CaptureCenterKey, BandFilterKey)
}
