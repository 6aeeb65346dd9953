package classify

import (
	"math"
	"slices"
	"sync"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/dsp/bandplan"
)

// MinConfidence is the confidence a classifier must reach to name an emission.
const MinConfidence = 0.5

// Class names used in Label.Class: the event schema's class names (see
// package event), which a sensor publishes as they are, plus ClassCellular,
// which the schema lacks (a detection carries it as "unknown" with the
// label's text).
const (
	ClassUnknown    = "unknown"
	ClassGSM        = "gsm"
	ClassUMTS       = "umts"
	ClassLTE        = "lte"
	ClassNR         = "nr"
	ClassCellular   = "cellular" // LTE or NR, numerology not confirmed
	ClassWiFi       = "wifi"
	ClassBluetooth  = "bluetooth"
	ClassDroneID    = "droneid"
	ClassDroneVideo = "drone_video"
	ClassRCFHSS     = "rc_fhss"
	ClassAnalogFPV  = "fpv_analog"
)

// Classes returns every class a Label can name (all but ClassUnknown), in
// a fixed order.
func Classes() []string {
	return []string{ClassGSM, ClassLTE, ClassNR, ClassCellular, ClassUMTS, ClassWiFi, ClassDroneID,
		ClassDroneVideo, ClassBluetooth, ClassRCFHSS, ClassAnalogFPV}
}

// Input is one detected emission and the IQ samples around it.
type Input struct {
	IQ           []complex64  // baseband samples; IQ[0] is absolute sample IQStart
	IQStart      int64        // absolute index of IQ[0]
	SampleRateHz float64      // sample rate of IQ, Hz
	CenterHz     float64      // RF frequency of DC, Hz
	Em           dsp.Emission // the detection, in absolute samples and Hz from DC

	// packetS is the typical packet length of the emission Em is a burst
	// of, when burstVerdict measures that burst on its own (0: Em is the
	// whole emission).
	packetS float64
	// besideS is, when burstVerdict measures a burst on its own, the
	// length of the shortest other burst of the emission less than
	// packetGapS before or after it (0: none, or Em is the whole
	// emission): a piece of the same packet, when it is short.
	besideS float64
}

// Label is what Classify concluded.
type Label struct {
	Class      string             // one of the Class constants
	Link       string             // "uplink", "downlink", "tdd" or "" (licence-exempt / unknown)
	Band       string             // band-plan name, or ""
	Confidence float64            // 0..1
	Text       string             // human-readable label, e.g. "LTE downlink (LTE B3 DL)"
	Features   map[string]float64 // the measurements behind the decision
}

// Classifier recognises one kind of emitter.
type Classifier struct {
	// Name is the classifier's short name.
	Name string
	// Emitter says what it recognises, for docs and listings.
	Emitter string
	fn      func(f *features, p *bandplan.Plan) Label
}

// Set is an ordered table of classifiers with a band plan. It is safe for
// concurrent use.
type Set struct {
	plan *bandplan.Plan
	list []Classifier

	mu   sync.Mutex
	ffts map[int]*dsp.FFT // FFT plans by length; an FFT is read-only, so shared
	// free holds scratch memory for Classify calls to take and give back
	// (at most maxFreeWorkspaces kept; a sync.Pool would drop them at
	// every GC, and a fresh workspace costs the allocation and page
	// faults it is there to save).
	free []*workspace
}

// maxFreeWorkspaces bounds the scratch memory a Set keeps (a few MB each).
const maxFreeWorkspaces = 4

// table is THE ordered list of classifiers (one line each).
func table() []Classifier {
	return []Classifier{
		{"gsm", "GSM BTS or handset: 200 kHz GMSK, 577 µs TDMA bursts", classifyGSM},
		{"ofdm-cellular", "LTE / NR carrier: OFDM with 15 or 30 kHz SCS cyclic prefix", classifyOFDMCell},
		{"umts", "UMTS (W-CDMA): 3.84 Mcps, 5 MHz RRC-shaped", classifyUMTS},
		{"wifi", "802.11a/g/n/ac OFDM: 3.2 µs symbols, 0.8 µs STF", classifyWiFi},
		{"droneid", "DJI DroneID: ~9 MHz OFDM bursts of ~640 µs at 15 kHz SCS", classifyDroneID},
		{"drone-video", "OcuSync-like drone video/control: wideband OFDM bursts in ISM", classifyDroneVideo},
		{"bluetooth", "Bluetooth BR/BLE: 1–2 MHz GFSK packets ≤ 3 ms", classifyBluetooth},
		{"rc-fhss", "RC FHSS (ELRS/FrSky-like): narrow constant-envelope hops", classifyRC},
		{"fpv-analog", "analog FPV video at 5.8 GHz: 6–20 MHz FM, continuous", classifyFPV},
		{cellShortName, "LTE/NR burst too short to confirm numerology, in a cellular band", classifyCellShort},
	}
}

// cellShortName names classifyCellShort in the table; the burst vote
// leaves it out for emissions long enough for the CP test.
const cellShortName = "cellular-short"

// New returns the default classifier table over plan.
func New(plan *bandplan.Plan) *Set {
	return &Set{plan: plan, list: table(), ffts: map[int]*dsp.FFT{}}
}

// fft returns the Set's FFT plan of length n (a power of two), made once.
func (s *Set) fft(n int) *dsp.FFT {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.ffts[n]
	if !ok {
		f = dsp.NewFFT(n)
		s.ffts[n] = f
	}
	return f
}

// measure computes the features of in with the Set's FFT plans and the
// scratch memory ws.
func (s *Set) measure(in Input, ws *workspace) *features { return measure(in, s.fft, s.plan, ws) }

// workspace takes scratch memory from the Set (give it back with
// s.release).
func (s *Set) workspace() *workspace {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.free); n > 0 {
		w := s.free[n-1]
		s.free = s.free[:n-1]
		return w
	}
	return &workspace{}
}

// release gives scratch memory back to the Set.
func (s *Set) release(w *workspace) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.free) < maxFreeWorkspaces {
		s.free = append(s.free, w)
	}
}

// Default returns the ordered table with the default band plan.
func Default() *Set { return New(bandplan.Default()) }

// Classifiers lists the table in order.
func (s *Set) Classifiers() []Classifier { return append([]Classifier(nil), s.list...) }

// MaxBurstsAnalysed bounds how many of an emission's bursts Classify
// measures on their own (the longest ones).
const MaxBurstsAnalysed = 6

// Classify names the emission in. It never panics: an emission that fits no
// classifier, or input it cannot measure, is ClassUnknown with its features.
//
// A detector may merge many bursts on nearby frequencies into one emission
// (GSM timeslots, DroneID bursts among other ISM traffic). So besides the
// whole emission, the longest MaxBurstsAnalysed of its bursts are measured
// on their own; a class that wins at least two bursts (or the only one)
// competes with the whole-emission verdict, the more confident winning.
func (s *Set) Classify(in Input) (lab Label) {
	defer func() {
		if r := recover(); r != nil { // last line of defence: outside bytes must not crash a sensor
			lab = Label{Class: ClassUnknown, Text: "unknown (classifier error)", Features: map[string]float64{}}
		}
	}()
	ws := s.workspace()
	defer s.release(ws)
	f := s.measure(in, ws)
	best := s.best(f, "")
	f.close() // the burst measurements reuse ws: what the table did not read stays unmeasured
	// A burst verdict must be strictly more confident to win: at full
	// confidence the bursts need not be measured (a long TD-LTE or Wi-Fi
	// emission's bursts cost up to 6 more measurements).
	if best.Confidence < 1 {
		if bl, ok := s.burstVerdict(in, f.emPacketS, ws); ok && bl.Confidence > best.Confidence {
			best = bl
		}
	}
	best.Features = f.toMap()
	if best.Class == ClassUnknown {
		best.Confidence = 0
		// No band either: an unknown must not read as a phone or drone to
		// anything that scans the label's fields for words.
		best.Text = "unknown"
	}
	return best
}

// best runs the table over f, but for the classifier named skip, and
// returns the most confident label at or above MinConfidence (earlier
// entries win ties), or ClassUnknown.
func (s *Set) best(f *features, skip string) Label {
	best := Label{Class: ClassUnknown}
	if f.n == 0 {
		return best
	}
	for _, c := range s.list {
		if c.Name == skip {
			continue
		}
		l := c.fn(f, s.plan)
		if l.Confidence >= MinConfidence && l.Confidence > best.Confidence {
			best = l
		}
	}
	return best
}

// burstVerdict classifies the longest bursts of in.Em on their own and
// returns the class most of them agree on (at least two, or the only
// burst analysed), with its most confident label.
func (s *Set) burstVerdict(in Input, packetS float64, ws *workspace) (Label, bool) {
	if len(in.Em.Bursts) < 2 {
		return Label{}, false
	}
	picked := longestBursts(in.Em.Bursts, in.IQStart, in.IQStart+int64(len(in.IQ)))
	// The too-short LTE/NR rule stands in for the cyclic-prefix test only
	// where an emission is too short for it. An emission long enough for
	// that test, which its bursts' own measurements have not passed, is not
	// named LTE/NR by the band plan alone through pieces of it (a LoRa RC
	// hop in a GSM band, cut by the gate into 50–80 µs pieces).
	skip := ""
	if float64(in.Em.SampleCount)/in.SampleRateHz >= 2*tuLTE15S {
		skip = cellShortName
	}
	gap := int64(packetGapS * in.SampleRateHz) // the longest gap inside one packet, samples
	votes := map[string]int{}
	bestOf := map[string]Label{}
	for i, b := range picked {
		sub := in
		sub.Em.StartSample, sub.Em.SampleCount, sub.Em.Bursts = b.StartSample, b.SampleCount, nil
		sub.packetS = packetS
		sub.besideS = besideS(in.Em.Bursts, b, gap, in.SampleRateHz)
		l := s.best(s.measure(sub, ws), skip)
		if l.Class == ClassUnknown {
			continue
		}
		votes[l.Class]++
		if l.Confidence > bestOf[l.Class].Confidence {
			bestOf[l.Class] = l
		}
		if decided(votes, l.Class, len(picked)-1-i) && bestOf[l.Class].Confidence >= 1 {
			break // no later burst can change the winner or its label
		}
	}
	var win Label
	winVotes := 0
	for _, c := range Classes() {
		if v := votes[c]; v > winVotes || (v == winVotes && v > 0 && bestOf[c].Confidence > win.Confidence) {
			win, winVotes = bestOf[c], v
		}
	}
	if winVotes >= 2 || (winVotes == 1 && len(picked) == 1) {
		return win, true
	}
	return Label{}, false
}

// besideS returns the length in seconds, at fs samples/s, of the shortest
// burst of bursts other than b that ends less than gap samples before b
// starts or starts less than gap samples after b ends (overlapping it
// included); 0 when there is none.
func besideS(bursts []dsp.Burst, b dsp.Burst, gap int64, fs float64) float64 {
	shortest := int64(-1)
	for _, o := range bursts {
		if o == b || o.StartSample+o.SampleCount+gap <= b.StartSample || o.StartSample >= b.StartSample+b.SampleCount+gap {
			continue
		}
		if shortest < 0 || o.SampleCount < shortest {
			shortest = o.SampleCount
		}
	}
	if shortest < 0 {
		return 0
	}
	return float64(shortest) / fs
}

// longestBursts returns the MaxBurstsAnalysed longest of the bursts of at
// least 16 samples that lie within the samples [start, end), longest first,
// bursts of equal length in their order in bursts (what a stable sort by
// length would put first). One pass keeping the best few: an emission
// held for 500 ms carries thousands of bursts.
func longestBursts(bursts []dsp.Burst, start, end int64) []dsp.Burst {
	picked := make([]dsp.Burst, 0, MaxBurstsAnalysed)
	for _, b := range bursts {
		if b.SampleCount < 16 || b.StartSample < start || b.StartSample+b.SampleCount > end {
			continue
		}
		if len(picked) == MaxBurstsAnalysed && b.SampleCount <= picked[len(picked)-1].SampleCount {
			continue // not longer than the shortest kept, which came first
		}
		// Insert after every kept burst at least as long (the earlier of
		// equals stays first), dropping the last when full.
		i := len(picked)
		for i > 0 && picked[i-1].SampleCount < b.SampleCount {
			i--
		}
		if len(picked) < MaxBurstsAnalysed {
			picked = append(picked, dsp.Burst{})
		}
		copy(picked[i+1:], picked[i:len(picked)-1])
		picked[i] = b
	}
	return picked
}

// decided reports that class c has won the burst vote whatever the left
// remaining bursts say: it holds at least two votes and more than any
// other class can reach. (Its label can still change to a more confident
// one of the same class; the caller checks that.)
func decided(votes map[string]int, c string, left int) bool {
	v := votes[c]
	if v < 2 || v <= left {
		return false
	}
	for k, o := range votes {
		if k != c && o+left >= v {
			return false
		}
	}
	return true
}

// ClassifyOne runs only the named classifier (for tests and the corpus
// runner); ok is false for an unknown name.
func (s *Set) ClassifyOne(name string, in Input) (Label, bool) {
	for i, c := range s.list {
		if c.Name == name {
			return s.ClassifyEach(in)[i], true
		}
	}
	return Label{}, false
}

// ClassifyEach runs every classifier of the table, in order, on one
// measurement of in (for cross-classifier tests and corpus runners).
func (s *Set) ClassifyEach(in Input) []Label {
	ws := s.workspace()
	defer s.release(ws)
	f := s.measure(in, ws)
	out := make([]Label, len(s.list))
	for i, c := range s.list {
		if f.n == 0 {
			out[i] = Label{Class: ClassUnknown}
			continue
		}
		out[i] = c.fn(f, s.plan)
	}
	return out
}

// clamp01 limits x to [0, 1], mapping NaN to 0.
func clamp01(x float64) float64 {
	if math.IsNaN(x) {
		return 0
	}
	return math.Min(1, math.Max(0, x))
}

// ramp is 0 at lo, 1 at hi, linear between (NaN: 0).
func ramp(x, lo, hi float64) float64 { return clamp01((x - lo) / (hi - lo)) }

// ok reports x >= thr, false for NaN.
func ok(x, thr float64) bool { return !math.IsNaN(x) && x >= thr }

// cpThreshold is the smallest CP contrast (see cpContrast) taken as
// evidence: 0.1, plus more for few independent samples nEff (n·occupied/fs),
// where the block maxima of noise scatter more.
func cpThreshold(nEff int) float64 { return 0.1 + 3/math.Sqrt(float64(max(nEff, 1))) }

// bandFor returns the best band deploying any of techs around f's occupied
// band. Of bands with the same edges and link (one spectrum under several
// names: DCS-1800 UL, LTE B3 UL, NR n3 UL) it takes the one deploying the
// fewest technologies, the name that tells the most: an LTE handset at
// 1747 MHz is in "LTE B3 UL", not in the band's GSM name.
func bandFor(p *bandplan.Plan, f *features, techs ...string) (bandplan.Band, bool) {
	var best bandplan.Band
	found := false
	for _, b := range f.lookup(p) {
		if !slices.ContainsFunc(techs, b.HasTech) {
			continue
		}
		switch {
		case !found:
			best, found = b, true
		case b.LowHz == best.LowHz && b.HighHz == best.HighHz && b.Link == best.Link && len(b.Tech) < len(best.Tech):
			best = b
		}
	}
	return best, found
}

// strongEnough says the emission stands out of the noise: median in-band
// PSD ≥ 2 dB over the median outside when there is spectrum outside it,
// else the detector's SNR ≥ 6 dB.
func strongEnough(f *features) bool {
	if !math.IsNaN(f.contrastDB) {
		return f.contrastDB >= 2
	}
	return f.em.SNRDB >= 6
}
