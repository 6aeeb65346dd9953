package eval

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/dsp/synth"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// This file holds TestRealRobustness's held-out perturbations: each makes a
// real recording look like a different capture of the same air (another
// sample rate, another tuning, a shorter capture, another emitter on the
// air), with its truth moved into the new capture's frame. A detector
// whose constants are fitted to one recording's rate, length, band
// position or spectrum loses labels here.

// origKeyExtra tags a moved truth annotation with its original's key
// (label@start@low edge in the unperturbed recording), so compare finds
// it however its window and edges moved. scorePy reads only a truth's
// label, window and edges, so the tag changes no score.
const origKeyExtra = "rfwtest:orig"

// addedExtra marks the truth of an emitter a perturbation put on the air.
const addedExtra = "rfwtest:added"

func origKey(a sigmf.Annotation) string {
	return fmt.Sprintf("%s@%d@%.0f", a.Label, a.SampleStart, a.FreqLowerHz)
}

// tagged returns a copy of a carrying its own key as origKeyExtra.
func tagged(a sigmf.Annotation) sigmf.Annotation {
	e := map[string]any{}
	for k, v := range a.Extra {
		e[k] = v
	}
	e[origKeyExtra] = origKey(a)
	a.Extra = e
	return a
}

// clipFreq keeps the part of a's band inside [lo, hi] Hz. When less than
// half of it is left the rest cannot be expected to be named: it becomes
// `other` (not a target; a detection of it is explained, not scored) and
// loses its tag. ok is false when nothing of it is left.
func clipFreq(a sigmf.Annotation, lo, hi float64) (sigmf.Annotation, bool) {
	if !a.HasFreq {
		return a, true
	}
	l, h := max(a.FreqLowerHz, lo), min(a.FreqUpperHz, hi)
	if h <= l {
		return a, false
	}
	if a.Label != "noise" && a.Label != "other" && h-l < 0.5*(a.FreqUpperHz-a.FreqLowerHz) {
		a.Label = "other"
		delete(a.Extra, origKeyExtra)
	}
	a.FreqLowerHz, a.FreqUpperHz = l, h
	return a, true
}

// clipTime keeps the part of a's window inside samples [k0, k1) and moves
// it to start at k0. ok is false when nothing of it is left.
func clipTime(a sigmf.Annotation, k0, k1 int64) (sigmf.Annotation, bool) {
	s, e := max(a.SampleStart, k0), min(a.SampleStart+a.SampleCount, k1)
	if e <= s {
		return a, false
	}
	a.SampleStart, a.SampleCount = s-k0, e-s
	return a, true
}

// lowPass returns x low-passed to |f| ≤ passHz (flat) with |f| ≥ stopHz
// attenuated by 70 dB, at rate fsHz, with the filter's delay taken off.
func lowPass(x []complex64, passHz, stopHz, fsHz float64) []complex64 {
	return dsp.NewDecimator(1, passHz/fsHz, stopHz/fsHz, 70).Decimate(nil, x)
}

// bandPass returns x filtered to the band centred on centreHz, flat over
// ±passHz and 70 dB down beyond ±stopHz.
func bandPass(x []complex64, centreHz, passHz, stopHz, fsHz float64) []complex64 {
	y := dsp.FreqShift(nil, x, -centreHz, fsHz)
	y = lowPass(y, passHz, stopHz, fsHz)
	return dsp.FreqShift(y, y, centreHz, fsHz)
}

// resampleRational returns x at up/down times its rate: zero-stuffed by
// up, low-passed at the upsampled rate (polyphase: only the taps on
// nonzero samples are summed), kept every down-th sample, with the
// filter's delay taken off so output n is at time n·down/up of x's
// samples. The low-pass keeps |f| ≤ passFrac·min(fs, fs') flat and takes
// |f| ≥ stopFrac·min(fs, fs') 70 dB down: with 0.4 and 0.5 nothing folds
// into the middle 80% of the narrower band (a receiver's anti-alias
// filter).
func resampleRational(x []complex64, up, down int, passFrac, stopFrac float64) []complex64 {
	// At the upsampled rate up·fs, min(fs, fs') is up·fs/max(up, down).
	f := max(up, down)
	h := dsp.NewDecimator(f, passFrac, stopFrac, 70).Taps(nil)
	m := (len(h) - 1) / 2
	n := len(x) * up / down
	y := make([]complex64, n)
	g := float32(up)
	for o := range y {
		// upsampled index of output o, delay taken off: t = o·down; the
		// sum is over k with (t + m − k) a multiple of up.
		t := o*down + m
		k0 := t % up
		var re, im float32
		for k := k0; k < len(h); k += up {
			i := (t - k) / up
			if i < 0 {
				break
			}
			if i >= len(x) {
				continue
			}
			re += h[k] * real(x[i])
			im += h[k] * imag(x[i])
		}
		y[o] = complex(g*re, g*im)
	}
	return y
}

// resampled is the recording captured at up/down of its rate: resampled
// with a receiver's anti-alias low-pass (flat to 0.4 of the narrower
// rate, 70 dB down at 0.5). Going up, the new band beyond the old one is
// filled with white noise at the recording's floor density (a receiver
// at the higher rate sees its noise there, not zeros). Truth windows move
// to the new rate; edges are clipped to ±0.45 of the narrower rate, and a
// target with less than half its band left becomes `other`.
func resampled(up, down int) (func(robustRec) (float64, float64), func([]complex64, robustRec, *rand.Rand) ([]complex64, []sigmf.Annotation)) {
	q := float64(up) / float64(down)
	frame := func(r robustRec) (float64, float64) { return r.fs * q, r.fc }
	apply := func(x []complex64, r robustRec, rng *rand.Rand) ([]complex64, []sigmf.Annotation) {
		fs2 := r.fs * q
		y := resampleRational(x, up, down, 0.4, 0.5)
		// Truth is kept to ±0.45 of the narrower rate, the middle of the
		// low-pass's transition (6 dB down and more beyond): going up,
		// what lay beyond it was in the source's own anti-alias roll-off
		// (gsm900-band-937M's carriers at its ±2.0 MHz edges, half
		// outside the source), which no resampling brings back.
		edge := 0.45 * min(r.fs, fs2)
		if up > down {
			// Noise in the new band beyond the old: white at the floor's
			// density (n0 per sample at fs), less its part under the old band.
			w := make([]complex64, len(y))
			synth.Noise(w, rng, r.n0*q)
			lw := lowPass(w, 0.4*r.fs, 0.5*r.fs, fs2)
			for i := range y {
				y[i] += w[i] - lw[i]
			}
		}
		var out []sigmf.Annotation
		for _, a := range r.annots {
			a = tagged(a)
			s := int64(math.Floor(float64(a.SampleStart) * q))
			e := min(int64(math.Ceil(float64(a.SampleStart+a.SampleCount)*q)), int64(len(y)))
			a.SampleStart, a.SampleCount = s, e-s
			a, ok := clipFreq(a, r.fc-edge, r.fc+edge)
			if ok && a.SampleCount > 0 {
				out = append(out, a)
			}
		}
		return y, out
	}
	return frame, apply
}

// retuned is the same air with the receiver tuned shiftFrac·fs lower
// (shiftFrac > 0) or higher: every emission moves up by shiftFrac·fs in
// the capture and the centre frequency down by as much, so absolute
// frequencies stay. The receiver's own DC offset (receiverDC) stays at
// DC. What the shift carries past the band edge would wrap around to
// the other edge; a real receiver never sees it, so that strip (shiftFrac
// of the band) is replaced by white noise at the floor. Truth keeps its
// absolute edges, clipped to the strip-free band; a target the source's
// own edge cut (beyond ±0.45·fs) becomes `other`.
func retuned(shiftFrac float64) (func(robustRec) (float64, float64), func([]complex64, robustRec, *rand.Rand) ([]complex64, []sigmf.Annotation)) {
	frame := func(r robustRec) (float64, float64) { return r.fs, r.fc - shiftFrac*r.fs }
	apply := func(x []complex64, r robustRec, rng *rand.Rand) ([]complex64, []sigmf.Annotation) {
		s := shiftFrac * r.fs
		dc := receiverDC(x)
		for i := range x {
			x[i] -= dc
		}
		y := dsp.FreqShift(x, x, s, r.fs)
		// The wrapped strip: [−fs/2, −fs/2+s] for s > 0, [fs/2+s, fs/2] for s < 0.
		half := math.Abs(s) / 2
		centre := -r.fs/2 + s/2
		if s < 0 {
			centre = r.fs/2 + s/2
		}
		by := bandPass(y, centre, half-0.01*r.fs, half+0.01*r.fs, r.fs)
		w := make([]complex64, len(y))
		synth.Noise(w, rng, r.n0)
		bw := bandPass(w, centre, half-0.01*r.fs, half+0.01*r.fs, r.fs)
		for i := range y {
			y[i] += bw[i] - by[i] + dc
		}
		fc2 := r.fc - s
		lo, hi := fc2-0.5*r.fs+s+0.01*r.fs, fc2+0.5*r.fs
		if s < 0 {
			lo, hi = fc2-0.5*r.fs, fc2+0.5*r.fs+s-0.01*r.fs
		}
		var out []sigmf.Annotation
		for _, a := range r.annots {
			a = tagged(a)
			if a.HasFreq && a.Label != "noise" && a.Label != "other" &&
				(a.FreqLowerHz < r.fc-0.45*r.fs || a.FreqUpperHz > r.fc+0.45*r.fs) {
				// Cut by the source's own band edge (gsm900-band-937M's
				// carriers at 935.0 and 939.0 MHz): moved inward it is
				// half a carrier in mid-band, which no capture of the air
				// shows. Not a target; a detection of it is explained.
				a.Label = "other"
				delete(a.Extra, origKeyExtra)
			}
			if a, ok := clipFreq(a, lo, hi); ok {
				out = append(out, a)
			}
		}
		return y, out
	}
	return frame, apply
}

// receiverDC estimates the receiver's own DC offset: the median, in I and
// in Q, of the means of 1024-sample blocks. Not the recording's mean: a
// strong burst's own mean over the recording (nr-n78-ul-strong: about 10
// dB over the whole band's noise) is no offset, and moved off DC with the
// rest it became a line for the whole capture.
func receiverDC(x []complex64) complex64 {
	const n = 1024
	var re, im []float64
	for i := 0; i+n <= len(x); i += n {
		var m complex128
		for _, v := range x[i : i+n] {
			m += complex128(v)
		}
		re, im = append(re, real(m)/n), append(im, imag(m)/n)
	}
	if len(re) == 0 {
		return 0
	}
	slices.Sort(re)
	slices.Sort(im)
	return complex(float32(re[len(re)/2]), float32(im[len(im)/2]))
}

// window is a shorter capture of length frac·n of the recording's n
// samples, or lenS seconds when lenS > 0, starting at from·(n − length):
// from 0 the first samples, 1 the last, 0.5 the middle.
// Nil (the cell is n/a) when the recording is shorter than minS seconds.
func window(from, frac, lenS, minS float64) func([]complex64, robustRec, *rand.Rand) ([]complex64, []sigmf.Annotation) {
	return func(x []complex64, r robustRec, _ *rand.Rand) ([]complex64, []sigmf.Annotation) {
		if float64(len(x)) < minS*r.fs {
			return nil, nil
		}
		n := int64(frac * float64(len(x)))
		if lenS > 0 {
			n = int64(lenS * r.fs)
		}
		k0 := int64(from * float64(int64(len(x))-n))
		var out []sigmf.Annotation
		for _, a := range r.annots {
			if a, ok := clipTime(tagged(a), k0, k0+n); ok {
				out = append(out, a)
			}
		}
		return x[k0 : k0+n], out
	}
}

// quietBand returns the centre, as an offset from DC in Hz, of the widest
// stretch of the recording's mean spectrum (256 bins) that lies at its
// floor (under 2× the 10th percentile bin), away from DC (±5% of the
// band), the outer 10% each side and every truth annotation's band other
// than a noise window's. ok is false when there is no stretch of minBins.
func quietBand(r robustRec, minBins int) (offsetHz, widthHz float64, ok bool) {
	const n = 256
	f := dsp.NewFFT(n)
	buf := make([]complex64, n)
	var psd [n]float64
	for i := 0; i+n <= len(r.iq); i += n {
		f.Coefficients(buf, r.iq[i:i+n])
		for k, v := range buf {
			psd[k] += float64(real(v))*float64(real(v)) + float64(imag(v))*float64(imag(v))
		}
	}
	// bin k (FFT order) is at offset (k or k−n)·fs/n; use shifted order.
	off := func(j int) float64 { return float64(j-n/2) * r.fs / n }
	pow := func(j int) float64 { return psd[(j+n/2)%n] }
	sorted := slices.Clone(psd[:])
	slices.Sort(sorted)
	floor := sorted[n/10]
	free := func(j int) bool {
		fo := off(j)
		if j < n/10 || j >= n-n/10 || math.Abs(fo) < 0.05*r.fs || pow(j) > 2*floor {
			return false
		}
		for _, a := range r.annots {
			if a.HasFreq && a.Label != "noise" && r.fc+fo+r.fs/n >= a.FreqLowerHz && r.fc+fo-r.fs/n <= a.FreqUpperHz {
				return false
			}
		}
		return true
	}
	best, bestLen := 0, 0
	for j := 0; j < n; {
		if !free(j) {
			j++
			continue
		}
		k := j
		for k < n && free(k) {
			k++
		}
		if k-j > bestLen {
			best, bestLen = j, k-j
		}
		j = k
	}
	if bestLen < minBins {
		return 0, 0, false
	}
	return off(best) + float64(bestLen-1)/2*r.fs/n, float64(bestLen) * r.fs / n, true
}

// withEmitter puts another emitter on the air in the recording's widest
// quiet stretch (quietBand): a strong CW tone (tone, 30 dB over the
// whole band's noise power, so some 54 dB over a 256-bin floor) for the
// whole capture, or a staff radio's 2-GFSK burst (synth.Narrowband, 16
// kHz wide, 30 dB SNR in its band) over the middle third. Its truth is an
// `other` annotation marked addedExtra, as wide as the detector can
// resolve it (4 bins of 1024 each side): the recording's own labels must
// hold and a detection of it must not be called a phone or a drone.
func withEmitter(tone bool) func([]complex64, robustRec, *rand.Rand) ([]complex64, []sigmf.Annotation) {
	return func(x []complex64, r robustRec, rng *rand.Rand) ([]complex64, []sigmf.Annotation) {
		fo, _, ok := quietBand(r, 3)
		if !ok {
			return nil, nil
		}
		p := synth.Params{SampleRateHz: r.fs, OffsetHz: fo, NoisePower: r.n0, Seed: rng.Uint64()}
		var truths []synth.Truth
		if tone {
			p.PowerFS = 1000 * r.n0
			truths = synth.Tone(x, p)
		} else {
			p.SNRDB = 30
			p.StartSample = len(x) / 3
			p.DurationSamples = len(x) / 3
			truths = synth.Narrowband(x, p)
		}
		out := slices.Clone(r.annots)
		pad := 4 * r.fs / 1024
		for _, tr := range truths {
			s, e := max(0, tr.StartSample), min(len(x), tr.StartSample+tr.SampleCount)
			if e <= s {
				continue
			}
			out = append(out, sigmf.Annotation{SampleStart: int64(s), SampleCount: int64(e - s), HasFreq: true,
				FreqLowerHz: r.fc + tr.FreqLowHz - pad, FreqUpperHz: r.fc + tr.FreqHighHz + pad,
				Label: "other", Extra: map[string]any{addedExtra: true}})
		}
		return x, out
	}
}

// addedFalses returns a false class for each predicted annotation that
// overlaps an added emitter (addedExtra), is called a phone or a drone and
// overlaps no target of the recording (a detection holding both a target
// and the added emitter is the target's: scorePy scores its label).
func addedFalses(truth, pred []sigmf.Annotation) []string {
	var out []string
	onTarget := func(p sigmf.Annotation) bool {
		return slices.ContainsFunc(truth, func(t sigmf.Annotation) bool {
			return t.Label != "other" && t.Label != "noise" && pyOverlapI(pySpan(p), pySpan(t)) && pyOverlapF(p, t)
		})
	}
	for _, t := range truth {
		if t.Extra[addedExtra] != true {
			continue
		}
		for _, p := range pred {
			k := pyToks(pyText(p))
			if pyOverlapI(pySpan(p), pySpan(t)) && pyOverlapF(p, t) && (pyAny(k, pyCell...) || pyAny(k, pyDrone...)) && !onTarget(p) {
				out = append(out, fmt.Sprintf("added emitter called %q@%d", pyText(p), p.SampleStart))
			}
		}
	}
	return out
}

// heldOutPerturbations are the captures of the same air TestRealRobustness
// adds to robustPerturbations. Each must hold: none changes what is on the
// air within the new capture's band and window, nor its SNR. The cells
// that do not hold yet are in robustKnown.
func heldOutPerturbations() []perturbation {
	var ps []perturbation
	for _, q := range []struct {
		name     string
		up, down int
	}{{"rate×4/5", 4, 5}, {"rate×5/4", 5, 4}} {
		frame, apply := resampled(q.up, q.down)
		ps = append(ps, perturbation{name: q.name, mustHold: true, frame: frame, apply: apply})
	}
	for _, s := range []struct {
		name string
		frac float64
	}{{"tune+fs/10", 0.1}, {"tune-fs/10", -0.1}} {
		frame, apply := retuned(s.frac)
		ps = append(ps, perturbation{name: s.name, mustHold: true, frame: frame, apply: apply})
	}
	ps = append(ps,
		perturbation{name: "first-half", mustHold: true, apply: window(0, 0.5, 0, 10e-3)},
		perturbation{name: "last-half", mustHold: true, apply: window(1, 0.5, 0, 10e-3)},
		perturbation{name: "mid-20ms", mustHold: true, apply: window(0.5, 0, 20e-3, 40e-3)},
		perturbation{name: "+tone", mustHold: true, apply: withEmitter(true)},
		perturbation{name: "+radio-burst", mustHold: true, apply: withEmitter(false)},
	)
	return ps
}
