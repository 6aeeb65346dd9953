package eval

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/dsp/synth"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// This file measures how brittle the real recordings' labels are: each
// recording of ../shared/testdata/real-iq goes through the path of
// `rfwarden scan --annotate` (ScanSamples with the scan's pipeline), once as
// it is and once after each perturbation a different site or receiver
// would bring, and is scored as ../shared/tools/score.py --labels scores it
// (scorePy, a port). The perturbations are made in memory; nothing is
// written.

// perturbation is one change a different receiver or site would bring. apply
// returns the new samples (it may change x in place) and the truth moved
// into the new samples' frame (time shift, frequency offset).
type perturbation struct {
	name string
	// mustHold: every label that passes unperturbed must still pass, and no
	// new false class appear. detectHold: every target found unperturbed
	// must still be found (labels may go).
	mustHold, detectHold bool
	// apply returns nil samples when the perturbation does not fit the
	// recording (too short to cut, no quiet spectrum): its cell is n/a.
	apply func(x []complex64, r robustRec, rng *rand.Rand) ([]complex64, []sigmf.Annotation)
	// frame, when set, gives the perturbed capture's sample rate and
	// centre frequency (a resampled or retuned capture); nil keeps r's.
	frame func(r robustRec) (fsHz, fcHz float64)
	// why, for a perturbation that is not mustHold, says why it cannot
	// be (docs/detection.md).
	why string
}

// robustRec is one real recording, read once.
type robustRec struct {
	name   string
	fs, fc float64
	iq     []complex64
	annots []sigmf.Annotation
	n0     float64 // estimated noise density, power per sample (noiseFloor)
}

// noiseFloor estimates the receiver noise's power per sample as if it were
// white at the recording's floor: the per-bin 10th percentile over time of
// 256-point periodograms (divided by −ln 0.9, that percentile of an
// exponential over its mean), and of those bins, the 5th percentile,
// leaving out the outer 5% of the band (anti-alias roll-off) and the DC
// bins. Signals that fill most of the band (a 20 MHz carrier in 23 MHz, or
// continuous for the whole recording) still leave 5% of the bins at the
// floor, and a burst on for most of the recording whose skirts reach every
// bin (nr-n78-ul-strong, 55 dB over the floor for 52% of its 1 ms) still
// leaves 10% of the frames: the per-bin median read that recording's
// floor 22 dB high (2.2e-4 against 1.2e-6 over its noise-only first
// 10240 samples), so its noise and DC perturbations were 22 dB stronger
// than they said.
func noiseFloor(x []complex64) float64 {
	const n = 256
	f := dsp.NewFFT(n)
	frames := len(x) / n
	step := 1
	if frames > 2000 {
		step = frames / 2000
	}
	var cols [n][]float64
	buf := make([]complex64, n)
	for i := 0; i+n <= len(x); i += n * step {
		f.Coefficients(buf, x[i:i+n])
		for k, v := range buf {
			cols[k] = append(cols[k], float64(real(v))*float64(real(v))+float64(imag(v))*float64(imag(v)))
		}
	}
	var med []float64
	for k := range n {
		if k <= 2 || k >= n-2 || (k > n/2-n/20 && k < n/2+n/20) {
			continue // DC and the outer 5% each side
		}
		c := cols[k]
		sort.Float64s(c)
		med = append(med, c[len(c)/10]/-math.Log(0.9)/n)
	}
	sort.Float64s(med)
	return med[len(med)/20]
}

// robustPerturbations are the perturbations, each alone. Seeds come from
// the caller's rng.
func robustPerturbations() []perturbation {
	same := func(r robustRec) []sigmf.Annotation { return r.annots }
	noise := func(snrDropDB float64) func([]complex64, robustRec, *rand.Rand) ([]complex64, []sigmf.Annotation) {
		return func(x []complex64, r robustRec, rng *rand.Rand) ([]complex64, []sigmf.Annotation) {
			// N + added = N·10^(drop/10): the SNR in any band at the floor falls by drop.
			synth.Noise(x, rng, r.n0*(math.Pow(10, snrDropDB/10)-1))
			return x, same(r)
		}
	}
	ppm := func(p float64) func([]complex64, robustRec, *rand.Rand) ([]complex64, []sigmf.Annotation) {
		return func(x []complex64, r robustRec, _ *rand.Rand) ([]complex64, []sigmf.Annotation) {
			// A receiver whose oscillator is p ppm low sees every emission
			// p ppm·fc high; the truth moves with it. (The sample rate's
			// own 20 ppm, 0.4 samples in 20 ms, is left out.)
			df := p * 1e-6 * r.fc
			for i := range x {
				s, c := math.Sincos(2 * math.Pi * df * float64(i) / r.fs)
				x[i] *= complex64(complex(c, s))
			}
			out := slices.Clone(r.annots)
			for i := range out {
				if out[i].HasFreq {
					out[i].FreqLowerHz += df
					out[i].FreqUpperHz += df
				}
			}
			return x, out
		}
	}
	gain := func(db float64) func([]complex64, robustRec, *rand.Rand) ([]complex64, []sigmf.Annotation) {
		return func(x []complex64, r robustRec, _ *rand.Rand) ([]complex64, []sigmf.Annotation) {
			g := float32(math.Pow(10, db/20))
			for i := range x {
				x[i] *= complex(g, 0)
			}
			return x, same(r)
		}
	}
	// IQ gain and phase imbalance in synth's model (dsp.IQImbalance): an
	// image of every emission at −f, 24 dB under it at 1 dB and 3°, 18 dB
	// at 2 dB and 5°.
	iq := func(gainDB, phaseDeg float64) func([]complex64, robustRec, *rand.Rand) ([]complex64, []sigmf.Annotation) {
		return func(x []complex64, r robustRec, _ *rand.Rand) ([]complex64, []sigmf.Annotation) {
			synth.Apply(x, synth.Artefacts{IQGainImbalanceDB: gainDB, IQPhaseDeg: phaseDeg}, nil)
			return x, same(r)
		}
	}
	return []perturbation{
		{name: "noise-3dB", detectHold: true, apply: noise(3)},
		{name: "noise-6dB", apply: noise(6)},
		{name: "+20ppm", mustHold: true, apply: ppm(20)},
		{name: "-20ppm", mustHold: true, apply: ppm(-20)},
		{name: "8bit-5bits", apply: func(x []complex64, r robustRec, _ *rand.Rand) ([]complex64, []sigmf.Annotation) {
			// A HackRF at a lower gain: the recording scaled so that its
			// I and Q peaks (99.9th percentile of |I|, |Q|) reach 16 LSB
			// of 128 (5 bits with the sign), then rounded to int8.
			synth.Apply(x, synth.Artefacts{QuantisePeakLSB: 16}, nil)
			return x, same(r)
		}},
		{name: "dc-spike", mustHold: true, apply: func(x []complex64, r robustRec, rng *rand.Rand) ([]complex64, []sigmf.Annotation) {
			// LO leakage as strong as the whole band's noise: in a
			// 1024-point spectrum a line 30 dB over the floor.
			amp := math.Sqrt(r.n0)
			s, c := math.Sincos(2 * math.Pi * rng.Float64())
			dc := complex64(complex(amp*c, amp*s))
			for i := range x {
				x[i] += dc
			}
			return x, same(r)
		}},
		{name: "iq-1dB-3deg", mustHold: true, apply: iq(1, 3)},
		{name: "iq-2dB-5deg", mustHold: true, apply: iq(2, 5)},
		{name: "gain+10dB", mustHold: true, apply: gain(10)},
		{name: "gain-10dB", mustHold: true, apply: gain(-10)},
		{name: "shift", mustHold: true, apply: func(x []complex64, r robustRec, _ *rand.Rand) ([]complex64, []sigmf.Annotation) {
			// Start 1/13 of the recording later (not a multiple of any
			// FFT or block length); the truth moves back with it.
			k := int64(len(x)/13) | 1
			var out []sigmf.Annotation
			for _, a := range r.annots {
				end := a.SampleStart + a.SampleCount
				if end <= k {
					continue
				}
				a.SampleStart = max(0, a.SampleStart-k)
				a.SampleCount = end - k - a.SampleStart
				out = append(out, a)
			}
			return x[k:], out
		}},
	}
}

// allPerturbations are robustPerturbations and then heldOutPerturbations.
func allPerturbations() []perturbation {
	return append(robustPerturbations(), heldOutPerturbations()...)
}

// pyScore is the outcome of scorePy: per truth annotation (index into the
// annotations scored), whether it was found and whether its label was
// right, and the false classes.
type pyScore struct {
	found, labelled map[int]bool // target and Wi-Fi annotations
	falses          []string     // noise-window alarms, false targets, Wi-Fi called cellular or drone
	line            string
	ok              bool
}

var pyTokRE = regexp.MustCompile(`[^a-z0-9.]+`)

func pyToks(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range pyTokRE.Split(s, -1) {
		m[w] = true
	}
	return m
}

func pyAny(k map[string]bool, ws ...string) bool {
	for _, w := range ws {
		if k[w] {
			return true
		}
	}
	return false
}

var (
	pyCell  = []string{"lte", "nr", "5g", "4g", "gsm", "umts", "3g", "2g", "cellular", "phone", "handset", "wcdma"}
	pyDrone = []string{"drone", "droneid", "dji", "uav", "ocusync", "fpv"}
	pyUp    = []string{"uplink", "ul", "up"}
	pyDown  = []string{"downlink", "dl", "down"}
)

// pyLabelOK is score.py's label_ok.
func pyLabelOK(truth, text string) bool {
	k := pyToks(text)
	switch truth {
	case "lte-dl":
		return pyAny(k, "lte", "4g") && pyAny(k, pyDown...)
	case "lte-tdd":
		return pyAny(k, "lte", "4g", "tdd") && !pyAny(k, pyDrone...)
	case "gsm-dl":
		return pyAny(k, "gsm", "2g") && pyAny(k, pyDown...)
	case "nr-dl":
		return pyAny(k, "nr", "5g") && pyAny(k, pyDown...)
	case "nr-ul":
		return pyAny(k, pyCell...) && pyAny(k, pyUp...)
	case "droneid":
		return pyAny(k, pyDrone...)
	case "wifi":
		if pyAny(k, pyCell...) || pyAny(k, pyDrone...) {
			return false
		}
		if k["wifi"] || k["wlan"] || k["wi"] && k["fi"] {
			return true
		}
		for w := range k {
			if strings.HasPrefix(w, "802.11") {
				return true
			}
		}
		return false
	}
	return true
}

// pyText is score.py's text(): every string value of an annotation but its
// window and edges, lower-cased.
func pyText(a sigmf.Annotation) string {
	parts := []string{}
	for _, s := range []string{a.Label, a.Comment, a.Generator} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	keys := make([]string, 0, len(a.Extra))
	for k := range a.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if s, ok := a.Extra[k].(string); ok {
			parts = append(parts, s)
		}
	}
	return strings.ToLower(strings.Join(parts, " "))
}

func pySpan(a sigmf.Annotation) [2]int64 {
	return [2]int64{a.SampleStart, a.SampleStart + max(a.SampleCount, 1)}
}

func pyOverlapI(a, b [2]int64) bool { return a[0] < b[1] && b[0] < a[1] }

func pyOverlapF(a, b sigmf.Annotation) bool {
	if !a.HasFreq || !b.HasFreq {
		return true
	}
	return a.FreqLowerHz < b.FreqUpperHz && b.FreqLowerHz < a.FreqUpperHz
}

// scorePy scores pred against truth as score.py --labels does.
func scorePy(truth, pred []sigmf.Annotation) pyScore {
	pred = slices.DeleteFunc(slices.Clone(pred), func(p sigmf.Annotation) bool { return p.Label == "noise" })
	s := pyScore{found: map[int]bool{}, labelled: map[int]bool{}}
	excused := func(p sigmf.Annotation) bool {
		for _, t := range truth {
			if t.Label == "other" && t.HasFreq && p.HasFreq && pyOverlapI(pySpan(p), pySpan(t)) && pyOverlapF(p, t) &&
				p.FreqUpperHz-p.FreqLowerHz <= 3*(t.FreqUpperHz-t.FreqLowerHz) {
				return true
			}
		}
		return false
	}
	onTarget := func(p sigmf.Annotation, win [2]int64) bool {
		for _, t := range truth {
			ts := pySpan(t)
			if t.Label == "noise" || t.Label == "other" || ts[0] <= win[0] && ts[1] >= win[1] {
				continue
			}
			if pyOverlapI(pySpan(p), ts) && pyOverlapF(p, t) {
				return true
			}
		}
		return false
	}
	inside := func(a, win [2]int64) float64 {
		return float64(max(0, min(a[1], win[1])-max(a[0], win[0]))) / float64(max(1, a[1]-a[0]))
	}
	hits, targets, labOK, labN, wifiN, wifiOK := 0, 0, 0, 0, 0, 0
	for i, t := range truth {
		if t.Label == "other" {
			continue
		}
		ts := pySpan(t)
		var over []sigmf.Annotation
		for _, p := range pred {
			if pyOverlapI(ts, pySpan(p)) && pyOverlapF(t, p) {
				over = append(over, p)
			}
		}
		anyOK := slices.ContainsFunc(over, func(p sigmf.Annotation) bool { return pyLabelOK(t.Label, pyText(p)) })
		switch t.Label {
		case "noise":
			n := 0
			for _, p := range over {
				if !excused(p) && !onTarget(p, ts) && inside(pySpan(p), ts) >= 0.5 {
					n++
				}
			}
			if n > 0 {
				s.falses = append(s.falses, fmt.Sprintf("noise@%d", ts[0]))
			}
			continue
		case "wifi":
			wifiN++
			s.found[i] = len(over) > 0
			s.labelled[i] = anyOK
			if anyOK {
				wifiOK++
			}
			continue
		}
		targets++
		s.found[i] = len(over) > 0
		s.labelled[i] = len(over) > 0 && anyOK
		if len(over) > 0 {
			hits++
			labN++
			if anyOK {
				labOK++
			}
		}
	}
	for _, p := range pred {
		explained := slices.ContainsFunc(truth, func(t sigmf.Annotation) bool {
			return pyOverlapI(pySpan(p), pySpan(t)) && pyOverlapF(t, p)
		})
		k := pyToks(pyText(p))
		if !explained && (pyAny(k, pyCell...) || pyAny(k, pyDrone...)) {
			s.falses = append(s.falses, fmt.Sprintf("false target %q@%d", pyText(p), p.SampleStart))
		}
	}
	if slices.ContainsFunc(truth, func(t sigmf.Annotation) bool { return t.Label == "wifi" }) {
		for _, p := range pred {
			if k := pyToks(pyText(p)); pyAny(k, pyCell...) || pyAny(k, pyDrone...) {
				s.falses = append(s.falses, fmt.Sprintf("wifi file: %q", pyText(p)))
				break
			}
		}
	}
	wifiShort := wifiN > 0 && float64(wifiOK) < 0.9*float64(wifiN)
	s.ok = hits == targets && len(s.falses) == 0 && labOK == labN && !wifiShort
	s.line = fmt.Sprintf("hit %d/%d false %d labels %d/%d", hits, targets, len(s.falses), labOK, labN)
	if wifiN > 0 {
		s.line += fmt.Sprintf(" wifi %d/%d", wifiOK, wifiN)
	}
	return s
}

// loadRobustRec reads a real recording and its ground truth.
func loadRobustRec(t *testing.T, meta string) robustRec {
	t.Helper()
	rec, err := sigmf.Open(meta)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	iq := make([]complex64, rec.NumSamples())
	if n, err := rec.Read(iq); n != len(iq) {
		t.Fatalf("%s: read %d of %d samples: %v", meta, n, len(iq), err)
	}
	r := robustRec{name: strings.TrimSuffix(filepath.Base(meta), sigmf.MetaExt), fs: rec.SampleRateHz(),
		fc: rec.CenterHzAt(0), iq: iq, annots: rec.Meta().Annotations}
	r.n0 = noiseFloor(iq)
	return r
}

// scanAnnotations runs x through the pipeline of `rfwarden scan --annotate`
// and returns the annotations it would write.
func scanAnnotations(t *testing.T, x []complex64, r robustRec) []sigmf.Annotation {
	t.Helper()
	cfg := pipeline.Config{Detector: dsp.DetectorConfig{}, Classifier: pipeline.DefaultClassifier()}
	res, err := ScanSamples(context.Background(), x, r.fc, r.fs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return pipeline.AnnotatedMeta(sigmf.Meta{}, "", res).Annotations
}

// robustCell compares a perturbed score with the unperturbed one: targets
// (and Wi-Fi packets) that were found and lost, labelled right and lost,
// and new false classes.
type robustCell struct {
	lostDet, lostLabel, falseClass int
	detail                         []string
}

func (c robustCell) String() string {
	if c.lostDet+c.lostLabel+c.falseClass == 0 {
		return "kept"
	}
	var p []string
	if c.lostDet > 0 {
		p = append(p, fmt.Sprintf("det-%d", c.lostDet))
	}
	if c.lostLabel > 0 {
		p = append(p, fmt.Sprintf("lab-%d", c.lostLabel))
	}
	if c.falseClass > 0 {
		p = append(p, fmt.Sprintf("false+%d", c.falseClass))
	}
	return strings.Join(p, " ")
}

// compare matches truth annotations of the base and perturbed runs by their
// label, start and low edge in base's frame (key maps a perturbed
// annotation back to that key, "" for none).
func compare(baseTruth []sigmf.Annotation, base pyScore, pertTruth []sigmf.Annotation, pert pyScore,
	key func(sigmf.Annotation) string) robustCell {
	var c robustCell
	idx := map[string]int{}
	for i, a := range pertTruth {
		idx[key(a)] = i
	}
	for i, a := range baseTruth {
		j, ok := idx[fmt.Sprintf("%s@%d@%.0f", a.Label, a.SampleStart, a.FreqLowerHz)]
		if !ok || !base.found[i] {
			continue // not in the perturbed recording (time shift), or not found before
		}
		switch {
		case !pert.found[j]:
			c.lostDet++
			c.detail = append(c.detail, fmt.Sprintf("lost %s@%d", a.Label, a.SampleStart))
		case base.labelled[i] && !pert.labelled[j]:
			c.lostLabel++
			c.detail = append(c.detail, fmt.Sprintf("mislabelled %s@%d", a.Label, a.SampleStart))
		}
	}
	if n := len(pert.falses) - len(base.falses); n > 0 {
		c.falseClass = n
		c.detail = append(c.detail, pert.falses...)
	}
	return c
}

// robustKnown lists the cells of TestRealRobustness that break what must
// hold, with their cause; each is in docs/evaluation.md ("How brittle the
// real labels are") and is open. A listed cell is logged, not failed.
var robustKnown = map[string]string{
	"gsm900-band-937M/shift": "the two edge carriers (935.0, 939.0 MHz) are found from samples 512 and 832 " +
		"only after the recording's first 512 samples, a receiver start-up transient 5 dB stronger than the rest; " +
		"the same recording started at sample 512 loses the 935.0 MHz carrier too (a 64-sample blip, unknown). On " +
		"from the first sample, both are learnt into the detector's floor, which the 10 dB cap (FloorCapDB) leaves " +
		"too close under them at the 3-cell band edge",
	"lte-fdd-gsm1800-1852M-hackrf/shift": "the two bursts lost (1856.6 MHz, at 125184 and 136128) start 7031 and " +
		"17975 samples into the shifted recording: the first inside the detector's warm-up (64 frames, 16384 " +
		"samples), the second right after it",
	// Held-out captures (heldOutPerturbations; docs/detection.md "Held-out
	// captures"). All are the two GSM recordings'.
	"gsm900-band-937M/tune+fs/10": "weak activity at 938.38-938.51 MHz (a 125 kHz, 2.4 ms piece at sample 1088, " +
		"in no annotation; not GSM unperturbed, 1.4 MHz from DC) now lies 0.1 MHz from the new capture edge " +
		"(938.6 MHz), and gsmLabel's edge rule (a carrier cut by the edge needs 25 kHz and timing only) names it GSM",
	"gsm900-band-937M/last-half": "the edge carriers lose their labels: 939.0 MHz is found from sample 32704 " +
		"(8.2 ms of the 10 ms) only and unknown, 935.0 MHz in one 64-sample blip; not diagnosed further",
	"lte-fdd-gsm1800-1852M-hackrf/rate×4/5": "12 bursts of the weak carriers (the 1856.6 MHz bursts at 125184 and " +
		"136128 among them, the ones shift and noise-3dB lose) found but not named GSM, as in first-half (the 1856.6 " +
		"MHz carrier's own emission is unknown; no line is merged with it); the false class is a burst at 1856.0 MHz (unknown unperturbed, on the DCS-1800 " +
		"200 kHz raster and in no annotation) named GSM",
	"lte-fdd-gsm1800-1852M-hackrf/tune+fs/10": "a burst at 1860.0 MHz (unknown unperturbed, on the DCS-1800 raster, " +
		"in no annotation) named GSM (weak): likely an unannotated carrier, not a false class",
	"lte-fdd-gsm1800-1852M-hackrf/first-half": "12 bursts of the weakest carrier (1856.6 MHz) found but not named " +
		"GSM, the same 12 as rate×4/5: its own emission (85 bursts, most under 0.1 ms) is unknown, and unperturbed " +
		"its bursts are named only by the 1857.2 MHz carrier's emission, which then reaches down over 1856.6 MHz; " +
		"no line is merged with it",
	"lte-fdd-gsm1800-1852M-hackrf/last-half": "the 19 bursts of the 1858.8 MHz carrier found but not named GSM: the " +
		"carrier and the line at 1859.2 MHz are both on from the capture's first frames, so they are merged " +
		"before the line has been on alone for lineMinS (1 ms) and the detector keeps lines apart only from " +
		"neighbours that come on after that (dsp splitLines); the emission's features are the line's",
	"lte-fdd-gsm1800-1852M-hackrf/noise-3dB": "the 24 one-slot bursts of the weakest carrier (1856.6 MHz) are all " +
		"lost (21) or no longer named GSM (3); the 51 bursts at 1857.2 and 1858.8 MHz are kept. Not diagnosed further",
}

// TestRealRobustness runs each real recording through scan's pipeline after
// each perturbation alone (robustPerturbations, seeded) and scores it as
// check-real-iq --labels does, against the same recording unperturbed. It
// prints the table docs/evaluation.md records ("How brittle the real
// labels are") and asserts:
//
//   - a gain change of ±10 dB, a ±20 ppm frequency offset, a DC spike and a
//     later start keep every label that passes unperturbed and add no false
//     class: none changes the signal's shape or SNR, so a label that moves
//     is fitted to a level, a frequency or an alignment;
//   - an IQ gain and phase imbalance of 1 dB and 3° (a HackRF One's) or of
//     2 dB and 5° keeps every label and adds no false class: the pipeline
//     undoes it where the samples enter (pipeline.Config.KeepIQImbalance),
//     so a label it moves is a receiver's artefact reaching the classifier
//     (before the correction, the DroneID recording lost all four labels
//     at both, and lte-fdd-gsm1800 two at 2 dB and 5°);
//   - with the SNR lowered by 3 dB every target found unperturbed is still
//     found: the README's weakest targets stand ≥ 6 dB over the floor;
//   - the recordings of a phone's uplink (nr-ul, 52-55 dB over the floor)
//     keep every label under every perturbation;
//   - each held-out capture of the same air (heldOutPerturbations: 4/5
//     and 5/4 the rate, retuned by ±fs/10, the first or last half or a
//     middle 20 ms, a CW tone or a staff radio's burst added in quiet
//     spectrum) keeps every label and adds no false class, and the added
//     emitter is never called a phone or a drone. The cells that do not
//     hold (all on the two GSM recordings) are in robustKnown.
//
// The rest (6 dB less SNR, 5-bit quantisation) is reported, not asserted:
// each can take a weak emission under what a detector can name. Cells
// listed in robustKnown are logged, not failed, while they do not hold; a
// listed cell that holds fails, so the list is taken out of it. Under -short or -race only
// the small recordings run (the HackRF and DroneID ones are left out).
func TestRealRobustness(t *testing.T) {
	dir := realIQDir(t)
	metas, _ := filepath.Glob(filepath.Join(dir, "*"+sigmf.MetaExt))
	if len(metas) == 0 {
		t.Skip("no recordings")
	}
	perts := allPerturbations()
	var table []string
	head := fmt.Sprintf("| %-32s | %-22s |", "recording", "unperturbed")
	for _, p := range perts {
		head += fmt.Sprintf(" %s |", p.name)
	}
	table = append(table, head)
	for fi, m := range metas {
		if (testing.Short() || raceEnabled) && (strings.Contains(m, "hackrf") || strings.Contains(m, "droneid")) {
			continue // the 3 MB HackRF and 1.8 MB DroneID recordings
		}
		r := loadRobustRec(t, m)
		baseTruth := r.annots
		// The contraband-phone case: the recordings of a phone's uplink
		// (nr-ul), whose uplinks the detector sees 52 and 55 dB over the
		// floor, must keep their labels under every perturbation, not
		// only those of mustHold: none of them takes such a burst under
		// what can be named.
		phoneUplink := slices.ContainsFunc(baseTruth, func(a sigmf.Annotation) bool { return a.Label == "nr-ul" })
		base := scorePy(baseTruth, scanAnnotations(t, slices.Clone(r.iq), r))
		row := fmt.Sprintf("| %-32s | %-22s |", r.name, base.line)
		for pi, p := range perts {
			rng := rand.New(rand.NewPCG(uint64(fi+1), uint64(pi+1)))
			x, truth := p.apply(slices.Clone(r.iq), r, rng)
			if x == nil {
				row += " n/a |"
				continue
			}
			pr := r
			if p.frame != nil {
				pr.fs, pr.fc = p.frame(r)
			}
			pred := scanAnnotations(t, x, pr)
			got := scorePy(truth, pred)
			if f := addedFalses(truth, pred); len(f) > 0 {
				got.falses = append(got.falses, f...)
			}
			// Map each perturbed truth annotation back to its original.
			origKey := func(a sigmf.Annotation) string {
				if k, ok := a.Extra[origKeyExtra].(string); ok {
					return k
				}
				// Undo the shift or offset the perturbation applied.
				for _, o := range baseTruth {
					if o.Label == a.Label && o.SampleStart+o.SampleCount == a.SampleStart+a.SampleCount+int64(len(r.iq)-len(x)) &&
						math.Abs((o.FreqUpperHz-o.FreqLowerHz)-(a.FreqUpperHz-a.FreqLowerHz)) < 1 &&
						math.Abs(o.FreqLowerHz-a.FreqLowerHz) <= 25e-6*r.fc {
						return fmt.Sprintf("%s@%d@%.0f", o.Label, o.SampleStart, o.FreqLowerHz)
					}
				}
				return ""
			}
			c := compare(baseTruth, base, truth, got, origKey)
			row += fmt.Sprintf(" %s |", c)
			t.Logf("%s %s: %s; %s %v", r.name, p.name, c, got.line, c.detail)
			why, known := robustKnown[r.name+"/"+p.name]
			lost := c.lostDet+c.lostLabel+c.falseClass > 0
			switch {
			case known && lost:
				t.Logf("KNOWN %s, %s: %s: %s", r.name, p.name, c, why)
			case known:
				// The list stays honest: a cell that holds is asserted.
				t.Errorf("%s, %s now keeps every label: robustKnown's entry (%s) must go", r.name, p.name, why)
			case phoneUplink && lost:
				t.Errorf("%s, %s: %s (%v): a phone's uplink 52-55 dB over the floor must keep its label under every perturbation",
					r.name, p.name, c, c.detail)
			case p.mustHold && lost:
				t.Errorf("%s, %s: %s (%v): a change of level, frequency, DC, IQ balance, start, rate, tuning or length, "+
					"or another emitter in quiet spectrum, must keep every label", r.name, p.name, c, c.detail)
			case p.detectHold && c.lostDet > 0:
				t.Errorf("%s, %s: %s (%v): 3 dB less SNR must keep every detection", r.name, p.name, c, c.detail)
			}
		}
		table = append(table, row)
	}
	t.Logf("real recordings under perturbation (kept, det-N: N targets no longer found, lab-N: N labels lost, false+N: N new false classes):\n%s",
		strings.Join(table, "\n"))
}
