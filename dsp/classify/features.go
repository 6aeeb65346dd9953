package classify

import (
	"cmp"
	"math"
	"math/bits"
	"math/cmplx"
	"slices"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/dsp/bandplan"
)

// MaxAnalysisSamples caps the samples one emission's features are computed
// over (from the emission's first sample), bounding classification cost:
// 1.6 ms at 20 Msps (24 LTE symbols, a whole DroneID burst, 3 GSM
// timeslots), 16 ms at 2 Msps (3.5 GSM frames). It was 2^17 until the
// labels of every real recording and synthetic test were shown unchanged
// at 2^15 (docs/classifiers.md); the cost is about linear in it.
const MaxAnalysisSamples = 1 << 15

// MaxAnalysisS caps the analysed duration too, where MaxAnalysisSamples
// would reach further (rates under 1.64 Msps): ≤ 16 ms is 3.5 GSM frames and
// 220 LTE symbols, plenty for every feature (the TDMA frame periodicity
// needs 1.5 frames).
const MaxAnalysisS = 10e-3

// analysisSamples is the most samples analysed at rate fs: MaxAnalysisSamples,
// or fewer at low rates, the smallest power of two covering MaxAnalysisS.
func analysisSamples(fs float64) int {
	n := 16
	for n < MaxAnalysisSamples && float64(n) < MaxAnalysisS*fs {
		n *= 2
	}
	return n
}

// Numerologies the OFDM features test, as useful-symbol durations Tu.
const (
	tuLTE15S = 1 / 15e3     // LTE / NR 15 kHz SCS / DJI DroneID: 66.67 µs (TS 36.211 §6.12)
	tuNR30S  = 1 / 30e3     // NR 30 kHz SCS: 33.33 µs (TS 38.211 §5.3)
	tuWiFiS  = 3.2e-6       // 802.11a/n 64-point FFT at 20 MHz (IEEE 802.11 §17.3.2)
	tuSTFS   = 0.8e-6       // 802.11 legacy short training field period
	chipUMTS = 3.84e6       // UTRA chip rate (TS 25.213)
	cpFrac   = 144.0 / 2048 // normal CP over Tu: LTE, NR, DroneID (72/1024)
	minCPHz  = 1 / 70e-6    // shortest emission worth a CP test is ~1.05 LTE symbols
	// envMinBWHz is the narrowest band the time-domain features are
	// filtered to: one GSM channel.
	envMinBWHz = 200e3
	gsmFrameS  = 60e-3 / 13 // GSM TDMA frame, 8 timeslots (TS 45.002)
	// decOversample is how many times wider than the filter band the
	// decimated time-domain signal's rate stays: the envelope windows
	// (one symbol ≈ fs/occupied samples) keep ≥ 4 samples, so their
	// rounding moves the envelope CV by under ~0.02.
	decOversample = 4
	// cpOversample is the same for the cyclic-prefix tests: a CP lag
	// rounded by up to half a sample still correlates by sinc(0.5/2) ≈ 0.9.
	cpOversample = 2
)

// features are the measurements every classifier reads, computed once per
// emission by measure.
type features struct {
	em         dsp.Emission
	fs         float64 // sample rate, Hz
	fsY        float64 // sample rate of the band-passed, decimated signal the time features read, Hz
	dec        int     // fs / fsY
	rfHz       float64 // RF centre of the occupied band, Hz
	durS       float64 // emission duration from the detector, s
	pktS       float64 // typical packet length (packetS), s
	emPacketS  float64 // pktS of the whole emission, also when one of its bursts is measured, s
	besideS    float64 // Input.besideS: shortest burst of the emission just beside the one measured, s (0: none)
	n          int     // samples analysed
	nEff       int     // independent samples: n·occupied/fs
	occLoHz    float64 // own occupied-band edges (-10 dB from the 90th percentile), Hz from DC
	occHiHz    float64
	occBWHz    float64
	fill       float64 // fraction of unsmoothed bins of the occupied band above its threshold
	flatness   float64 // geometric / arithmetic mean of the smoothed PSD over the occupied band (1: flat; NaN: not measured, outside FPV bands)
	excessBWHz float64 // width holding 90% of the power above the noise reference, Hz (0: unknown)
	contrastDB float64 // median in-band PSD over median PSD outside the span; NaN when no outside
	envSNRDB   float64 // (S+N)/N within the time-domain filter band while on (gated PSD), dB (NaN: unknown)
	lineFrac   float64 // fraction of the in-band excess power within ±3 bins of the strongest bin (1: a line)
	excessUHz  float64 // excess_bw_hz on the ungated PSD, measured with shoulder where its core stands out (NaN: not)
	shoulder   float64 // GMSK shape: excess PSD 125–225 kHz off the centre over that within ±50 kHz, ungated (see shoulderRatio; NaN: not measured or too weak to tell)

	// The time-domain features, measured when a classifier first reads
	// them (through the methods of the same names) from ts, and kept in t.
	t    timeFeatures
	have int        // which of t are measured (the need bits; needEnv: the envelope's four)
	ts   *timeState // nil once closed or when there is nothing to measure

	// The band-plan lookup around the occupied band, made once for the
	// whole table (see lookup).
	lookPlan *bandplan.Plan
	lookAt   [2]float64
	looked   []bandplan.Band
}

// timeFeatures are the time-domain features (see features.t).
type timeFeatures struct {
	envCV     float64 // std/mean of |y|² over the active samples (1 for Gaussian, ~0 for constant envelope)
	duty      float64 // active fraction of the analysed samples
	bursts    []float64
	firstOn   float64  // seconds from the segment's start to the envelope's first on (NaN: none; see firstOnS)
	frame     float64  // TDMA frame periodicity of the power: r(4.615 ms) − r(2.308 ms) (NaN: under two frames)
	frameSpan float64  // the same over up to frameSpanFrames of the whole emission, decimated (see frameCorrSpan; NaN: not measured or under 1.5 frames)
	cp15      float64  // cyclic-prefix correlation contrast at Tu = 66.67 µs (NaN: too short or not measured)
	cp30      float64  // same at 33.33 µs
	cpWiFi    float64  // same at 3.2 µs
	stf       float64  // 802.11 STF periodicity contrast at 0.8 µs over the first 16 µs
	chip      float64  // |cyclic autocorrelation of |y|² at 3.84 MHz|, normalised
	zc        zcResult // DroneID's ZC sync symbols (see zcBank.measure; zero: not measured)
}

// timeState is what the time-domain features are measured from, kept
// until a classifier asks for them: the segment's spectrum and PSD, the
// band-pass plan, and the band-passed signals once made. It holds ws
// memory, so it is good until ws is next reset (features.close drops it).
type timeState struct {
	ws       *workspace
	fftOf    func(n int) *dsp.FFT
	spec     []complex64 // the segment's DFT, natural order
	sp       *spectrum   // its (ungated) Hann PSD, shifted order
	nfft     int
	binHz    float64
	fs       float64
	wideband bool        // the occupied band is ≥ 1 MHz: lines are cut anywhere in it, not only at DC
	dcHz     float64     // half-width of the DC region whose lines are cut
	wideW    int         // the line test's reference window, bins
	oLo, oHi float64     // the occupied band plus 2%, Hz from DC
	fLo, fHi float64     // the same widened to envMinBWHz
	m        int         // points of y (the inverse FFT)
	need     int         // the features the band plan wants (need bits)
	emIQ     []complex64 // the emission's samples in view, from its first (for frameSpan)
	zcIQ     []complex64 // the same with up to zcMarginS either side (for zc)
	occMidHz float64     // centre of the occupied band, Hz from DC
	noiseU   float64     // the noise reference of sp's smoothed PSD (for shoulder)
	kMid     int         // bin of the median of the gated PSD's excess power in the widened span (-1: none)
	rlo, rhi int         // the bins sp.sm is valid on
	wlo, whi int         // the widened span, bins

	y, yw []complex64 // band-passed and decimated: the occupied band, and at least envMinBWHz of it (nil: not yet)
	py    []float64   // |y|² (nil: not yet)
	yc    []complex64 // the occupied band for the CP tests (nil: not yet)
	ycR   []float64   // real(yc), imag(yc) in float64, for the CP tests' products
	ycI   []float64
	pc    []float64 // |yc|²
	fsC   float64   // sample rate of yc, Hz
}

// needEnv marks the envelope features (envCV, duty, bursts, frame) in
// features.have.
const needEnv = needAll + 1

// needFrameSpan marks frameSpan in features.have (any classifier may ask:
// it is measured only when asked).
const needFrameSpan = needEnv << 1

// needShoulder marks shoulder in features.have (measured only when asked).
const needShoulder = needEnv << 2

// needZC marks zc in features.have (measured only when asked).
const needZC = needEnv << 3

// close ends lazy measurement: features not measured by now stay
// unmeasured (their defaults). Call it before ws is reused.
func (f *features) close() { f.ts = nil }

// measured reports that feature bit k is available, measuring the
// features of the k group first if needed and still possible.
func (f *features) measured(k int) bool {
	if f.have&k != 0 {
		return true
	}
	ts := f.ts
	if ts == nil || (k != needEnv && k != needFrameSpan && k != needShoulder && k != needZC && ts.need&k == 0) {
		return false
	}
	f.have |= k
	switch k {
	case needEnv:
		ts.bandpassY()
		ts.envSignals()
		f.envelope(ts.y, ts.yw, ts.py, ts.ws)
	case needZC:
		f.t.zc = measureZC(ts.zcIQ, ts.fs, ts.occMidHz, ts.fftOf, ts.ws)
	case needFrameSpan:
		f.t.frameSpan = frameCorrSpan(ts.emIQ, ts.fs, ts.occMidHz, ts.ws)
	case needShoulder:
		f.shoulder = shoulderRatio(ts.sp.sm, ts.noiseU, ts.kMid, ts.rlo, ts.rhi, ts.binHz)
		if !math.IsNaN(f.shoulder) {
			f.excessUHz = excessWidth(ts.sp.sm, ts.noiseU, ts.wlo, ts.whi) * ts.binHz
		}
	case needCP15, needCP30, needCPWiFi:
		yr, yi, pc, fsC := ts.cpSignal()
		switch k {
		case needCP15:
			f.t.cp15 = cpContrast(yr, yi, pc, tuLTE15S*fsC, cpFrac*tuLTE15S*fsC, ts.ws)
		case needCP30:
			f.t.cp30 = cpContrast(yr, yi, pc, tuNR30S*fsC, cpFrac*tuNR30S*fsC, ts.ws)
		default:
			f.t.cpWiFi = cpContrast(yr, yi, pc, tuWiFiS*fsC, tuWiFiS*fsC/4, ts.ws)
		}
	case needSTF:
		if n := int(16e-6 * f.fsY); n > 0 {
			ts.bandpassY()
			f.t.stf = stfContrast(ts.y[:min(len(ts.y), n)], tuSTFS*f.fsY)
		}
	case needChip:
		if chipUMTS < f.fsY {
			ts.bandpassY()
			f.t.chip = cyclic(ts.y, chipUMTS/f.fsY)
		}
	}
	return true
}

// envCV is the power's coefficient of variation (see timeFeatures).
func (f *features) envCV() float64 { f.measured(needEnv); return f.t.envCV }

// duty is the active fraction of the analysed samples.
func (f *features) duty() float64 { f.measured(needEnv); return f.t.duty }

// bursts are the own-measured burst durations, s.
func (f *features) bursts() []float64 { f.measured(needEnv); return f.t.bursts }

// onAvgS is the averaging time of firstOnS: a quarter of lateOnS.
const onAvgS = 25e-6

// firstOnS is the time from the analysed segment's start (the emission's
// first detected frame) to where its own envelope's power, averaged over
// onAvgS, first comes within 6 dB of its on level; NaN when the envelope
// has no on and off (under 6 dB between them).
func (f *features) firstOnS() float64 { f.measured(needEnv); return f.t.firstOn }

// frame is the TDMA frame periodicity of the power.
func (f *features) frame() float64 { f.measured(needEnv); return f.t.frame }

// frameSpan is the TDMA frame periodicity of the power over a longer,
// decimated span of the emission (see frameCorrSpan).
func (f *features) frameSpan() float64 { f.measured(needFrameSpan); return f.t.frameSpan }

// shoulderPSD is the GMSK shape test (see shoulderRatio).
func (f *features) shoulderPSD() float64 { f.measured(needShoulder); return f.shoulder }

// cp15 is the CP contrast at 66.67 µs.
func (f *features) cp15() float64 { f.measured(needCP15); return f.t.cp15 }

// cp30 is the CP contrast at 33.33 µs.
func (f *features) cp30() float64 { f.measured(needCP30); return f.t.cp30 }

// cpWiFi is the CP contrast at 3.2 µs.
func (f *features) cpWiFi() float64 { f.measured(needCPWiFi); return f.t.cpWiFi }

// stf is the 802.11 STF contrast.
func (f *features) stf() float64 { f.measured(needSTF); return f.t.stf }

// zc is DroneID's ZC sync-symbol feature (see zcBank.measure).
func (f *features) zc() zcResult { f.measured(needZC); return f.t.zc }

// chip is the power's cyclic autocorrelation at the UMTS chip rate.
func (f *features) chip() float64 { f.measured(needChip); return f.t.chip }

// lookup returns p.Lookup(f.rfHz, f.occBWHz), computed once per plan and
// features (every classifier asks it).
func (f *features) lookup(p *bandplan.Plan) []bandplan.Band {
	at := [2]float64{f.rfHz, f.occBWHz}
	if f.lookPlan != p || f.lookAt != at {
		f.lookPlan, f.lookAt, f.looked = p, at, p.Lookup(f.rfHz, f.occBWHz)
	}
	return f.looked
}

// toMap exports the features for Label.Features.
func (f *features) toMap() map[string]float64 {
	m := map[string]float64{
		"occ_bw_hz":    f.occBWHz,
		"excess_bw_hz": f.excessBWHz,
		"rf_hz":        f.rfHz,
		"dur_s":        f.durS,
		"contrast_db":  f.contrastDB,
		"line_frac":    f.lineFrac,
		"env_snr_db":   f.envSNRDB,
		"snr_db":       f.em.SNRDB,
	}
	// The time-domain features no classifier read are not measured (and
	// not exported); toMap measures none.
	if f.have&needEnv != 0 {
		m["env_cv"], m["duty"], m["n_bursts"], m["frame_corr"] = f.t.envCV, f.t.duty, float64(len(f.t.bursts)), f.t.frame
		if len(f.t.bursts) > 0 {
			m["burst_med_s"] = median(f.t.bursts)
		}
		m["first_on_s"] = f.t.firstOn
	}
	if f.have&needFrameSpan != 0 {
		m["frame_span_corr"] = f.t.frameSpan
	}
	if f.have&needZC != 0 && f.t.zc.measured {
		m["zc600_rho"], m["zc147_rho"], m["zc_thr"] = f.t.zc.rho4, max(f.t.zc.rho6, f.t.zc.rho6All), f.t.zc.thr4
	}
	if f.have&needShoulder != 0 {
		m["shoulder_ratio"] = f.shoulder
		m["excess_bw_ungated_hz"] = f.excessUHz
	}
	for _, e := range [...]struct {
		k    int
		name string
		v    float64
	}{{needCP15, "cp15", f.t.cp15}, {needCP30, "cp30", f.t.cp30}, {needCPWiFi, "cp_wifi", f.t.cpWiFi},
		{needSTF, "stf", f.t.stf}, {needChip, "chip_384", f.t.chip}} {
		if f.have&e.k != 0 {
			m[e.name] = e.v
		}
	}
	for k, v := range m {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			delete(m, k)
		}
	}
	return m
}

// cutByEdge reports that the occupied band reaches the anti-alias roll-off
// (the outer 5% of the capture, at least 25 kHz): part of the emission
// lies outside the capture, so its width is a lower bound.
func (f *features) cutByEdge() bool {
	guard := math.Max(25e3, 0.05*f.fs)
	return f.occHiHz > f.fs/2-guard || f.occLoHz < -f.fs/2+guard
}

// tdmaFramed reports that the detector found the emission's bursts
// repeating at the GSM TDMA frame, 4.615 ms (within 2%): a GSM carrier's
// active timeslots, which no hopper (ELRS at 250 Hz repeats every 4 ms, on
// another frequency) and no LTE/NR or UMTS uplink shows.
func (f *features) tdmaFramed() bool {
	p := float64(f.em.PeriodSamples) / f.fs
	return p > 0 && math.Abs(p/gsmFrameS-1) < 0.02
}

// medianBurstS is the median own-measured burst duration, or 0. A single
// burst on for the whole analysed segment, where the segment is shorter
// than the emission, lasted as long as the emission: the segment is a
// power of two samples, so what it shows of a burst depends on the rate
// (a 0.56 ms GSM burst analysed alone reads 8192 samples: 0.43 ms at
// 19.2 Msps, 0.34 ms at 24 Msps, under minGSMBurstS; lte-fdd-gsm1800
// resampled to 5/4 its rate lost 75 of its 76 GSM labels so).
func (f *features) medianBurstS() float64 {
	b := f.bursts()
	if len(b) == 0 {
		return 0
	}
	if len(b) == 1 && f.duty() >= 0.9 && float64(f.n)/f.fs < f.durS {
		return f.durS
	}
	return median(b)
}

// measure computes the features of in, with FFT plans from fftOf (a
// power-of-two length) and scratch memory from ws (nil: a fresh one);
// plan, when not nil, limits the OFDM and chip-rate features to those a
// classifier for the band's technologies reads. It never panics on any
// input; an emission outside the IQ window yields n == 0. The spectral
// features are measured here; the time-domain ones when first read, from
// ws memory, so the features hold ws until f.close (call it before ws is
// reset by another measure; what was not read by then stays unmeasured).
func measure(in Input, fftOf func(n int) *dsp.FFT, plan *bandplan.Plan, ws *workspace) *features {
	f := &features{em: in.Em, fs: in.SampleRateHz, contrastDB: math.NaN(), envSNRDB: math.NaN(), flatness: math.NaN(), shoulder: math.NaN(), excessUHz: math.NaN(),
		t: timeFeatures{firstOn: math.NaN(), frame: math.NaN(), frameSpan: math.NaN(), cp15: math.NaN(), cp30: math.NaN(), cpWiFi: math.NaN(), stf: math.NaN()}}
	if !(in.SampleRateHz > 0) || math.IsInf(in.SampleRateHz, 0) {
		return f
	}
	f.durS = float64(in.Em.SampleCount) / in.SampleRateHz
	f.pktS = packetS(f)
	if f.emPacketS = in.packetS; !(f.emPacketS > 0) {
		f.emPacketS = f.pktS
	}
	f.besideS = in.besideS
	f.rfHz = in.CenterHz + in.Em.CenterOffsetHz
	start := in.Em.StartSample - in.IQStart
	end := start + in.Em.SampleCount
	start = max(start, 0)
	end = min(end, int64(len(in.IQ)))
	if end-start < 16 {
		return f
	}
	if ws == nil {
		ws = &workspace{}
	}
	ws.reset()
	seg := in.IQ[start:min(end, start+int64(analysisSamples(in.SampleRateHz)))]

	// FFT length: the largest power of two not above the segment (no zero
	// padding, so a Hann window is a 3-tap kernel on the spectrum).
	nfft := 1
	for nfft*2 <= len(seg) {
		nfft *= 2
	}
	seg = seg[:nfft]
	f.n = nfft
	fft := fftOf(nfft)
	spec := fft.Coefficients(ws.complexes(nfft), seg)
	// Gate: when the detector's bursts cover under 90% of the segment, the
	// spectral features (occupied band, contrast, noise reference) are taken
	// over the bursts only, so a bursty carrier's gaps do not dilute its SNR.
	pspec := spec
	segStart := in.IQStart + start
	gated := false
	if gbuf := gateSegment(seg, in.Em.Bursts, segStart, int(gateRampS*in.SampleRateHz), ws); gbuf != nil {
		pspec = fft.Coefficients(gbuf, gbuf)
		gated = true
	}
	binHz := in.SampleRateHz / float64(nfft)
	bin := func(hz float64) int { return shiftedBin(hz, binHz, nfft) }
	lo, hi := in.Em.FreqLowHz, in.Em.FreqHighHz
	if !(hi > lo) {
		c, b := in.Em.CenterOffsetHz, math.Max(in.Em.BandwidthHz, 4*binHz)
		lo, hi = c-b/2, c+b/2
	}
	// The span is the detected band, widened, so that the noise reference
	// lies outside it. A detected band that leaves too little outside for
	// a reference (spectrum.smooth) while the detector's occupied band
	// (99% of the excess power) fills under half the capture is no
	// emission's width: over a floor under one LSB of the ADC (digital
	// silence) a strong burst's own quantisation noise, 40 dB under it,
	// is detected in every bin. There the occupied band is the span.
	widened := func(lo, hi float64) (int, int) {
		pad := 0.05*(hi-lo) + 50e3
		return bin(lo - pad), bin(hi + pad)
	}
	leaves := func(wlo, whi int) bool { return nfft-(whi-wlo+1) >= max(8, nfft/20) }
	if ol, oh := in.Em.OccupiedLowHz, in.Em.OccupiedHighHz; oh > ol && oh-ol < in.SampleRateHz/2 &&
		!leaves(widened(lo, hi)) && leaves(widened(ol, oh)) {
		lo, hi = ol, oh
	}
	wlo, whi := widened(lo, hi)
	slo, shi := bin(lo), bin(hi)
	if shi < slo {
		slo, shi = shi, slo
	}
	if whi < wlo {
		wlo, whi = whi, wlo
	}
	smoothBins := max(16, (shi-slo)/64)
	// The smoothed PSD is read inside the widened span, and around it as
	// far as the time-domain filter band reaches (the occupied band, which
	// lies within the span, plus 2% and 2 bins, widened to envMinBWHz).
	reach := int(math.Ceil(envMinBWHz/binHz)) + (whi-wlo)/50 + 4
	rlo, rhi := max(0, wlo-reach), min(nfft-1, whi+reach)
	// PSD in shifted order, Hann-windowed (X_w[k] = ½X[k] − ¼X[k−1] − ¼X[k+1])
	// so a strong tone's leakage does not widen its band. gsp is the gated
	// PSD (the same as sp when there is no gate).
	sp := newSpectrum(spec, ws)
	wOcc := max(64, (shi-slo)/8)
	noiseU := sp.smooth(wOcc, smoothBins, wlo, whi, rlo, rhi, ws)
	gsp := sp
	if gated {
		gsp = newSpectrum(pspec, ws)
		gsp.smooth(wOcc, smoothBins, wlo, whi, rlo, rhi, ws)
	}
	psd, gpsd := sp.psd, gsp.psd
	sm, noiseRef := gsp.sm, gsp.noise
	smU := sp.sm

	inSpan := sm[slo : shi+1]
	level := percentileWS(inSpan, 0.9, ws)
	peak := slices.Max(inSpan)
	level = math.Max(level, peak*1e-3) // a narrow line in a wide span: do not take noise as the level
	if !(level > 0) {
		return f // nothing at all in the span
	}
	// Noise reference: the median PSD outside the widened span, when there
	// is enough of it. The occupied band is where the PSD stands 6 dB over
	// the noise, or 10 dB under the strong part (90th percentile) if that is
	// lower but still 3 dB over the noise (a weak carrier keeps its skirts),
	// never more than 30 dB under the strong part (an SSB does not hide a
	// weaker data region, but a tone's leakage is not a band); without a
	// noise reference, -10 dB from the strong part.
	thr := level / 10
	if noiseRef > 0 {
		thr = math.Max(2*noiseRef, math.Min(level/10, math.Max(4*noiseRef, level/1000)))
	}
	// Expand from the span centre (or its strongest bin) while above thr,
	// bridging gaps up to 1% of the span (DC notches, pilots).
	c := bin(in.Em.CenterOffsetHz)
	if c < wlo || c > whi || sm[c] < thr {
		c = slo
		for k := slo; k <= shi; k++ {
			if sm[k] > sm[c] {
				c = k
			}
		}
	}
	gap := max(2, (shi-slo)/100)
	a, b := c, c
	for k, miss := c-1, 0; k >= wlo && miss <= gap; k-- {
		if sm[k] >= thr {
			a, miss = k, 0
		} else {
			miss++
		}
	}
	for k, miss := c+1, 0; k <= whi && miss <= gap; k++ {
		if sm[k] >= thr {
			b, miss = k, 0
		} else {
			miss++
		}
	}
	f.occLoHz = float64(a-nfft/2)*binHz - binHz/2
	f.occHiHz = float64(b-nfft/2)*binHz + binHz/2
	f.occBWHz = f.occHiHz - f.occLoHz
	// Lines: if under a quarter of the unsmoothed bins in the band reach
	// the threshold, the band is a smoothing footprint around a line (tone,
	// DC, spur): its width is what the bins themselves cover.
	fillThr := math.Max(thr, 1e-3*percentileWS(gpsd[a:b+1], 0.99, ws)) // a Hann line's skirts end 30 dB down; one strong line (a GSM FCCH) does not set it
	above := 0
	for k := a; k <= b; k++ {
		if gpsd[k] >= fillThr {
			above++
		}
	}
	if f.fill = float64(above) / float64(b-a+1); f.fill < 0.25 {
		f.occBWHz = float64(above) * binHz
	}
	f.rfHz = in.CenterHz + (f.occLoHz+f.occHiHz)/2
	// The costlier features are measured only where the band plan deploys
	// a technology whose classifier reads them (left NaN, "not measured",
	// elsewhere).
	need := needAll
	if plan != nil {
		need = needed(plan, f)
	}
	if need&needFlat != 0 {
		f.flatness = signalFlatness(sm[a:b+1], noiseRef, gsp.sw)
	}

	// Excess-power bandwidth: the span holding the middle 90% of the power
	// above the noise reference inside the widened span. Robust at low SNR,
	// where the occupied band shrinks to the strongest bins. kMid is the
	// median of that power (the centre the GMSK shape test reads around).
	kMid := -1
	if noiseRef > 0 {
		var klo, khi int
		klo, kMid, khi = excessSpan(sm, noiseRef, wlo, whi)
		if klo >= 0 && khi >= klo {
			f.excessBWHz = float64(khi-klo+1) * binHz
		}
	}

	// Contrast: occupied band against everything outside the widened span,
	// on the ungated PSD: the SNR averaged over the whole emission, so a
	// weak bursty carrier is still judged as weak.
	if !math.IsNaN(noiseU) {
		inMed := percentileWS(smU[a:b+1], 0.5, ws)
		outMed := noiseU
		if outMed > 0 && inMed > 0 {
			f.contrastDB = 10 * math.Log10(inMed/outMed)
		} else if inMed > 0 {
			f.contrastDB = 100
		}
	}
	f.lineFrac = lineFraction(psd[a:b+1], noiseU)

	// Filter to the occupied band (plus 2%) and return to time. Spectral
	// lines (bins 30× above their wide neighbourhood) are cut too, so they
	// do not mask the correlation features: at DC always (the HackRF/zero-IF
	// DC spike), elsewhere only in emissions ≥ 1 MHz wide (spurs inside an
	// OFDM carrier); a narrow periodic signal (a GSM BCCH full of dummy
	// bursts) has a line spectrum of its own.
	dcHz := 2e3 + 3*binHz
	wideband := f.occBWHz >= 1e6
	fpad := 0.02*f.occBWHz + 2*binHz
	// The filter is at least envMinBWHz wide around the occupied band: a
	// weak carrier's occupied band shrinks to its strongest bins, and a
	// GMSK/GFSK signal cut to those is no longer constant-envelope.
	oLo, oHi := f.occLoHz-fpad, f.occHiHz+fpad
	fLo, fHi := oLo, oHi
	if w := fHi - fLo; w < envMinBWHz {
		fLo, fHi = fLo-(envMinBWHz-w)/2, fHi+(envMinBWHz-w)/2
	}
	f.envSNRDB = f.contrastDB
	if noiseRef > 0 {
		var sum float64
		ka, kb := bin(fLo), bin(fHi)
		for k := ka; k <= kb; k++ {
			sum += sm[k]
		}
		f.envSNRDB = 10 * math.Log10(math.Max(1e-3, sum/float64(kb-ka+1)/noiseRef))
	}
	// The time-domain signal: the occupied band (and the envelope's band)
	// decimated to M = nfft/dec points, the smallest power of two at
	// least decOversample times the band's bins (see timeState.bandpass).
	ka, kb := bin(oLo)-nfft/2, bin(oHi)-nfft/2
	if fLo < oLo || fHi > oHi {
		ka, kb = min(ka, bin(fLo)-nfft/2), max(kb, bin(fHi)-nfft/2)
	}
	m := 16
	for m < decOversample*(kb-ka+1) && m < nfft {
		m *= 2
	}
	m = min(m, nfft)
	dec := nfft / m
	f.nEff = int(float64(len(seg)) * math.Min(1, f.occBWHz/in.SampleRateHz))
	f.fsY, f.dec = in.SampleRateHz/float64(dec), dec
	zcMargin := int64(zcMarginS * in.SampleRateHz)
	// The time-domain features are measured when first read: a
	// classifier that rejects the emission by its band, width or
	// duration reads none of them.
	f.ts = &timeState{ws: ws, fftOf: fftOf, spec: spec, sp: sp, nfft: nfft, binHz: binHz, fs: in.SampleRateHz,
		wideband: wideband, dcHz: dcHz, wideW: max(64, (b-a)/8), oLo: oLo, oHi: oHi, fLo: fLo, fHi: fHi, m: m, need: need,
		emIQ: in.IQ[start:end], zcIQ: in.IQ[max(0, start-zcMargin):min(int64(len(in.IQ)), end+zcMargin)], occMidHz: (f.occLoHz + f.occHiHz) / 2,
		wlo: wlo, whi: whi, noiseU: noiseU, kMid: kMid, rlo: rlo, rhi: rhi}
	return f
}

// bin is the shifted index (0..nfft−1, DC at nfft/2) of the bin nearest
// hz.
func (ts *timeState) bin(hz float64) int { return shiftedBin(hz, ts.binHz, ts.nfft) }

// shiftedBin is the shifted index (0..nfft−1, DC at nfft/2) of the bin of
// width binHz nearest hz, clamped to the spectrum.
func shiftedBin(hz, binHz float64, nfft int) int {
	k := int(math.Round(hz/binHz)) + nfft/2
	return min(max(k, 0), nfft-1)
}

// powerY makes py, the power of y, once (y made).
func (ts *timeState) powerY() {
	if ts.py == nil {
		ts.py = power(ts.y, ts.ws)
	}
}

// bandpassY makes y, once.
func (ts *timeState) bandpassY() {
	if ts.y == nil {
		ts.y = ts.bandpass(ts.oLo, ts.oHi, ts.m)
	}
}

// envSignals makes what the envelope reads besides y, once: yw and py.
func (ts *timeState) envSignals() {
	if ts.yw == nil {
		ts.yw = ts.y
		if ts.fLo < ts.oLo || ts.fHi > ts.oHi {
			ts.yw = ts.bandpass(ts.fLo, ts.fHi, ts.m)
		}
	}
	ts.powerY()
}

// cpSignal returns the signal the CP tests read, made once: the occupied
// band decimated to at least cpOversample times its width, not
// decOversample (the CP correlations cost most: three sliding
// correlations each, over every sample), as real and imaginary parts in
// float64, its power and its rate.
func (ts *timeState) cpSignal() (re, im, pow []float64, fsHz float64) {
	if ts.yc == nil {
		mc := 16
		for mc < cpOversample*(ts.bin(ts.oHi)-ts.bin(ts.oLo)+1) && mc < ts.m {
			mc *= 2
		}
		if mc < ts.m {
			ts.yc = ts.bandpass(ts.oLo, ts.oHi, mc)
			ts.pc, ts.fsC = power(ts.yc, ts.ws), ts.fs/float64(ts.nfft/mc)
		} else {
			ts.bandpassY()
			ts.powerY()
			ts.yc, ts.pc, ts.fsC = ts.y, ts.py, ts.fs/float64(ts.nfft/ts.m)
		}
		ts.ycR, ts.ycI = ts.ws.floats(len(ts.yc)), ts.ws.floats(len(ts.yc))
		for i, v := range ts.yc {
			ts.ycR[i], ts.ycI[i] = float64(real(v)), float64(imag(v))
		}
	}
	return ts.ycR, ts.ycI, ts.pc, ts.fsC
}

// bandpass returns the bins of [lo, hi] (Hz from DC) through an m-point
// inverse FFT: band-pass and decimate in one step. The bins go to k mod
// m, so the output is exactly every (nfft/m)-th sample of the band-passed
// segment (the band shifted by a multiple of fs·m/nfft, which no feature
// sees: they use |y| and lagged products y·y*). Spectral lines (bins 30×
// above their wideW-bin neighbourhood) are cut: at DC always (the
// HackRF/zero-IF DC spike), elsewhere only in a wideband emission (spurs
// inside an OFDM carrier).
func (ts *timeState) bandpass(lo, hi float64, m int) []complex64 {
	nfft, spec, psd, binHz := ts.nfft, ts.spec, ts.sp.psd, ts.binHz
	x := ts.ws.complexes(m)
	clear(x)
	scale := float32(1 / float64(nfft)) // the 1/N of the inverse transform, on the few bins kept
	// k is the signed bin (fk = k·binHz), sk = k+nfft/2 its index in the
	// shifted PSD, k mod nfft in spec, k mod m in x. The bins kept are
	// those of [k0, k1] (the bins nearest lo and hi) whose frequency lies
	// in [lo, hi]: fk grows with k, so they are one run [ka, kb].
	k0, k1 := ts.bin(lo)-nfft/2, ts.bin(hi)-nfft/2
	ka, kb := k0, k1
	for ka <= kb && !(float64(ka)*binHz >= lo) {
		ka++
	}
	for kb >= ka && !(float64(kb)*binHz <= hi) {
		kb--
	}
	if ka > kb {
		return ts.fftOf(m).Sequence(x, x)
	}
	// Lines are tested at every bin of a wideband emission, else only at
	// the bins within dcHz of DC (|fk| grows away from 0: one run).
	ta, tb := ka, kb
	if !ts.wideband {
		ta, tb = kb+1, kb
		for k := max(ka, -int(ts.dcHz/binHz)-2); k <= min(kb, int(ts.dcHz/binHz)+2); k++ {
			if math.Abs(float64(k)*binHz) <= ts.dcHz {
				ta, tb = min(ta, k), k
			}
		}
	}
	var ref []float64 // the line test's reference at the tested bins
	if ta <= tb {
		ref = ts.ws.floats(tb - ta + 1)
		windowMeans(ref, ts.sp.cum, ts.wideW, ta+nfft/2)
	}
	for k := ka; k <= kb; k++ {
		sk := k + nfft/2
		if k >= ta && k <= tb && psd[sk] > 30*ref[k-ta] {
			continue
		}
		v := spec[k&(nfft-1)]
		x[k&(m-1)] = complex(real(v)*scale, imag(v)*scale)
	}
	return ts.fftOf(m).Sequence(x, x)
}

// workspace is scratch memory for one measure call at a time: slices are
// handed out from large chunks and all taken back by reset, so the
// per-emission buffers (tens of thousands of samples each) are not
// allocated, zeroed and collected anew for every emission and burst.
// Slices handed out are not zeroed.
type workspace struct {
	f64     []float64
	nf      int
	c64     []complex64
	nc      int
	wantF64 int // largest total asked for since the chunk was made
	wantC64 int
	// ramps are the gate's ramp weights by length (see rampWeights),
	// kept across resets.
	ramps map[int][]float64
	// zc holds the ZC templates by capture rate, kept across resets.
	zc map[float64]*zcBank
}

// zcBank returns the ZC templates for rate fs, made once per workspace
// (a few rates at most: a sensor's).
func (w *workspace) zcBank(fs float64, fftOf func(int) *dsp.FFT) *zcBank {
	b, ok := w.zc[fs]
	if !ok {
		if w.zc == nil || len(w.zc) >= 8 {
			w.zc = map[float64]*zcBank{}
		}
		b = newZCBank(fs, fftOf)
		w.zc[fs] = b
	}
	return b
}

// reset takes every slice back; a chunk that ran short grows to what was asked.
func (w *workspace) reset() {
	if w.wantF64 > len(w.f64) {
		w.f64 = make([]float64, w.wantF64)
	}
	if w.wantC64 > len(w.c64) {
		w.c64 = make([]complex64, w.wantC64)
	}
	w.nf, w.nc, w.wantF64, w.wantC64 = 0, 0, 0, 0
}

// floats returns n float64s (not zeroed).
func (w *workspace) floats(n int) []float64 {
	w.wantF64 += n
	if w.nf+n > len(w.f64) {
		return make([]float64, n) // the chunk grows at the next reset
	}
	s := w.f64[w.nf : w.nf+n : w.nf+n]
	w.nf += n
	return s
}

// complexes returns n complex64s (not zeroed).
func (w *workspace) complexes(n int) []complex64 {
	w.wantC64 += n
	if w.nc+n > len(w.c64) {
		return make([]complex64, n)
	}
	s := w.c64[w.nc : w.nc+n : w.nc+n]
	w.nc += n
	return s
}

// spectrum is a Hann-windowed PSD in shifted order (DC at len/2) with the
// prefix sums its centred moving averages are read from, so a moving
// average costs O(1) wherever it is needed instead of a pass over every bin.
type spectrum struct {
	psd   []float64
	cum   []float64 // cum[k] = Σ psd[:k]
	sm    []float64 // smoothed clipped PSD, valid on the range smooth was given
	noise float64   // median of sm outside the widened span (see smooth)
	sw    int       // smoothing window of sm
}

// newSpectrum computes |X_w[k]|² of spec (X_w[k] = ½X[k] − ¼X[k−1] −
// ¼X[k+1]) in shifted order and its prefix sums.
func newSpectrum(spec []complex64, ws *workspace) *spectrum {
	n := len(spec)
	s := &spectrum{psd: ws.floats(n), cum: ws.floats(n + 1)}
	h := n / 2
	psd, cum := s.psd[:n], s.cum[:n+1]
	// In shifted order j (spectrum index k = j+h below h, j−h above), so
	// the prefix sums run in the same pass. Bin k's value is
	// |½X[k] − ¼(X[k−1] + X[k+1])|², the X[k±1] wrapping round.
	var acc float64
	cum[0] = 0
	j := 0
	// band runs the bins k = k0..k1 (1 ≤ k0, k1 ≤ n−2) into psd[j:].
	band := func(k0, k1 int) {
		x := spec[k0+1 : k1+2]
		out := psd[j : j+k1-k0+1]
		c := cum[j+1 : j+k1-k0+2]
		out, c = out[:len(x)], c[:len(x)]
		// The neighbours' parts roll over from bin to bin.
		ar, ai := float64(real(spec[k0-1])), float64(imag(spec[k0-1]))
		br, bi := float64(real(spec[k0])), float64(imag(spec[k0]))
		a := acc
		for i, d := range x {
			dr, di := float64(real(d)), float64(imag(d))
			re := 0.5*br - 0.25*(ar+dr)
			im := 0.5*bi - 0.25*(ai+di)
			v := re*re + im*im
			out[i] = v
			a += v
			c[i] = a
			ar, ai, br, bi = br, bi, dr, di
		}
		acc = a
		j += k1 - k0 + 1
	}
	one := func(a, b, c complex64) {
		re := 0.5*float64(real(b)) - 0.25*(float64(real(a))+float64(real(c)))
		im := 0.5*float64(imag(b)) - 0.25*(float64(imag(a))+float64(imag(c)))
		v := re*re + im*im
		psd[j] = v
		acc += v
		cum[j+1] = acc
		j++
	}
	if n < 4 { // no interior: every bin wraps
		for j < n {
			k := (j + h) % n
			one(spec[(k+n-1)%n], spec[k], spec[(k+1)%n])
		}
		return s
	}
	band(h, n-2)
	one(spec[n-2], spec[n-1], spec[0])
	one(spec[n-1], spec[0], spec[1])
	band(1, h-1)
	return s
}

// windowMean is the centred moving average of x over w samples at index
// j (windows cut at the ends average what they hold, as movingAvg), from
// cum, the prefix sums of x.
func windowMean(cum []float64, w, j int) float64 {
	n := len(cum) - 1
	if w <= 1 {
		return cum[j+1] - cum[j]
	}
	h := w / 2
	lo, hi := max(0, j+h-w+1), min(j+h, n-1)
	return (cum[hi+1] - cum[lo]) / float64(hi-lo+1)
}

// windowMeans sets dst[i] to windowMean(cum, w, j0+i): the same values,
// with the windows that lie wholly inside x (all but w at the ends) taken
// without windowMean's clamping.
func windowMeans(dst, cum []float64, w, j0 int) {
	n := len(cum) - 1
	if w <= 1 {
		for i := range dst {
			dst[i] = windowMean(cum, w, j0+i)
		}
		return
	}
	h := w / 2
	// Window j is whole for j+h−w+1 ≥ 0 and j+h ≤ n−1.
	a := min(max(w-1-h-j0, 0), len(dst))
	b := max(min(n-1-h-j0+1, len(dst)), a)
	for i := 0; i < a; i++ {
		dst[i] = windowMean(cum, w, j0+i)
	}
	if b > a {
		fw := float64(w)
		hiC := cum[j0+a+h+1 : j0+b+h+1]
		loC := cum[j0+a+h-w+1 : j0+b+h-w+1]
		out := dst[a:b]
		loC = loC[:len(hiC)]
		out = out[:len(hiC)]
		for i, c := range hiC {
			out[i] = (c - loC[i]) / fw
		}
	}
	for i := b; i < len(dst); i++ {
		dst[i] = windowMean(cum, w, j0+i)
	}
}

// mean is the centred moving average of the PSD over w bins at bin k.
func (s *spectrum) mean(w, k int) float64 { return windowMean(s.cum, w, k) }

// smooth clips narrow lines (bins 30× above their moving average over
// wOcc bins: spurs, distant carriers) and smooths the result over
// smoothBins, so a spur beside a weak burst neither sets the band nor
// starts the search. The smoothed PSD s.sm is computed on bins [rlo, rhi]
// only. s.noise, the noise reference, is the median of the PSD smoothed
// over smoothBins outside the widened span [wlo, whi] (the mean noise
// density; read on at most ~4096 evenly strided bins, unclipped: a median
// over thousands of bins does not see a few lines), NaN when too little
// lies outside. It returns s.noise.
func (s *spectrum) smooth(wOcc, smoothBins, wlo, whi, rlo, rhi int, ws *workspace) float64 {
	n := len(s.psd)
	s.sm, s.sw = ws.floats(n), smoothBins
	// The clipped PSD's prefix sums over the bins the smoothing windows
	// of [rlo, rhi] read: ccum[k-clo] = Σ clipped[clo:k].
	clo, chi := max(0, rlo-smoothBins), min(n-1, rhi+smoothBins)
	ccum := ws.floats(chi - clo + 2)
	var acc float64
	ccum[0] = 0
	ref := ws.floats(chi - clo + 1)
	windowMeans(ref, s.cum, wOcc, clo)
	for i, v := range s.psd[clo : chi+1] {
		acc += min(v, 30*ref[i])
		ccum[i+1] = acc
	}
	h := smoothBins / 2
	for k := rlo; k <= rhi; k++ {
		lo, hi := max(0, k+h-smoothBins+1), min(k+h, n-1)
		s.sm[k] = (ccum[hi-clo+1] - ccum[lo-clo]) / float64(hi-lo+1)
	}
	// The bins outside [wlo, whi], in order, seen as one slice: out(j).
	skip := 0
	if wlo <= whi && whi >= 0 && wlo < n {
		skip = min(whi, n-1) - max(wlo, 0) + 1
	}
	nOut := n - skip
	s.noise = math.NaN()
	if nOut >= max(8, n/20) {
		stride := 1
		if nOut > 4096 {
			stride = nOut / 4096
		}
		sub := ws.floats(nOut/stride + 1)[:0]
		for j := 0; j < nOut; j += stride {
			k := j
			if j >= wlo {
				k = j + skip
			}
			sub = append(sub, windowMean(s.cum, smoothBins, k))
		}
		s.noise = nthSmallest(sub, min(max(int(0.5*float64(len(sub)-1)), 0), len(sub)-1))
	}
	return s.noise
}

// power returns |y|² per sample, in float64.
func power(y []complex64, ws *workspace) []float64 {
	p := ws.floats(len(y))
	for i, v := range y {
		p[i] = float64(real(v))*float64(real(v)) + float64(imag(v))*float64(imag(v))
	}
	return p
}

// Time-domain features measured only where a classifier needs them.
const (
	needCP15 = 1 << iota
	needCP30
	needCPWiFi
	needSTF
	needChip
	needFlat
	needAll = needCP15 | needCP30 | needCPWiFi | needSTF | needChip | needFlat
)

// techNeeds returns the features the classifiers of one band-plan
// technology read (ofdmcell.go, umts.go, wifi.go, droneid.go,
// dronevideo.go, fpv.go); the other classifiers read none of them.
func techNeeds(tech string) int {
	switch tech {
	case "lte", "nr":
		return needCP15 | needCP30
	case "umts":
		return needCP15 | needCP30 | needChip
	case "wifi":
		return needCPWiFi | needSTF
	case "droneid":
		return needCP15 | needCPWiFi
	case "fpv":
		return needCP15 | needCPWiFi | needFlat
	case "drone":
		return needCP15 | needCPWiFi | needSTF
	}
	return 0
}

// needed returns the features the classifiers of the technologies deployed
// around f's occupied band read (the same lookup as bandFor).
func needed(p *bandplan.Plan, f *features) int {
	need := 0
	for _, b := range f.lookup(p) {
		for _, tech := range [...]string{"lte", "nr", "umts", "wifi", "droneid", "drone", "fpv"} {
			if b.HasTech(tech) {
				need |= techNeeds(tech)
			}
		}
	}
	return need
}

// GMSK shape test bands (shoulderRatio), from the carrier's centre. GSM's
// GMSK (BT 0.3, 270.833 kbit/s) holds ~90% of its power within ±80 kHz,
// and its spectrum is 30 dB down 200 kHz from the carrier (3GPP TS 45.005
// §4.2.1, modulation spectrum); synthetic GMSK reads a shoulder ratio of
// about 0.01 at 12 dB.
const (
	shoulderCoreHz = 50e3
	shoulderLoHz   = 125e3
	shoulderHiHz   = 225e3
	// shoulderMinCore is the smallest mean excess PSD in the core, as a
	// fraction of the noise density (1.8 dB over the noise), at which the
	// ratio is read: below it the analysed segment holds too little of the
	// emission to show its shape (a handset's one burst in eight, in a
	// 1.6 ms segment at 20 Msps that may hold none of it, read 0.02–0.4
	// and ratios up to 9 from the noise alone).
	shoulderMinCore = 0.5
)

// shoulderRatio is the mean excess PSD (over the noise density noiseRef)
// in the shoulders shoulderLoHz–shoulderHiHz either side of bin kMid over
// the mean excess PSD within ±shoulderCoreHz of it, on the smoothed PSD sm
// (valid on bins [rlo, rhi]; bins outside it are left out). A GMSK
// carrier reads about 0.01 (its skirts are 10–35 dB down there; weak
// synthetic carriers up to 0.21 from the noise); a spectrum flat over
// ≥ 450 kHz (a LoRa chirp, a piece of an OFDM carrier) about 1. NaN
// without a noise reference, a centre or shoulder bins, or where the
// core's excess is under shoulderMinCore of the noise.
func shoulderRatio(sm []float64, noiseRef float64, kMid, rlo, rhi int, binHz float64) float64 {
	if !(noiseRef > 0) || kMid < rlo || kMid > rhi || !(binHz > 0) {
		return math.NaN()
	}
	core := int(shoulderCoreHz / binHz)
	a, b := int(math.Ceil(shoulderLoHz/binHz)), int(shoulderHiHz/binHz)
	sum := func(lo, hi int) (float64, int) {
		lo, hi = max(lo, rlo), min(hi, rhi)
		var s float64
		for k := lo; k <= hi; k++ {
			s += sm[k] - noiseRef
		}
		return s, max(0, hi-lo+1)
	}
	cs, cn := sum(kMid-core, kMid+core)
	ls, ln := sum(kMid-b, kMid-a)
	us, un := sum(kMid+a, kMid+b)
	if cn == 0 || ln+un == 0 {
		return math.NaN()
	}
	c := cs / float64(cn)
	if !(c >= shoulderMinCore*noiseRef) {
		return math.NaN()
	}
	return (ls + us) / float64(ln+un) / c
}

// excessWidth is the number of bins holding the middle 90% of the power
// of sm over noiseRef within bins [lo, hi] (0: none).
func excessWidth(sm []float64, noiseRef float64, lo, hi int) float64 {
	klo, _, khi := excessSpan(sm, noiseRef, lo, hi)
	if klo < 0 || khi < klo {
		return 0
	}
	return float64(khi - klo + 1)
}

// excessSpan returns the bins of [lo, hi] where the power of sm over
// noiseRef, summed from lo, first reaches 5%, 50% and 95% of its total
// (-1 each when there is none).
func excessSpan(sm []float64, noiseRef float64, lo, hi int) (klo, kMid, khi int) {
	var tot float64
	for k := lo; k <= hi; k++ {
		tot += max(0, sm[k]-noiseRef)
	}
	var cum float64
	klo, kMid, khi = -1, -1, -1
	for k := lo; k <= hi && tot > 0; k++ {
		cum += max(0, sm[k]-noiseRef)
		if klo < 0 && cum >= 0.05*tot {
			klo = k
		}
		if kMid < 0 && cum >= 0.5*tot {
			kMid = k
		}
		if khi < 0 && cum >= 0.95*tot {
			khi = k
		}
	}
	return klo, kMid, khi
}

// lineFraction is the share of the excess power (over noise density
// noise) of band that lies within ±3 bins of its strongest bin: near 1 for
// a line (tone, spur, unmodulated carrier), near 7/len(band) for a
// modulated carrier. 0 when there is no excess or no noise reference.
func lineFraction(band []float64, noise float64) float64 {
	if len(band) == 0 || !(noise > 0) {
		return 0
	}
	var tot float64
	pk := 0
	for k, v := range band {
		tot += max(0, v-noise)
		if v > band[pk] {
			pk = k
		}
	}
	if !(tot > 0) {
		return 0
	}
	var line float64
	for k := max(0, pk-3); k <= min(len(band)-1, pk+3); k++ {
		line += max(0, band[k]-noise)
	}
	return line / tot
}

// gateRampS is the raised-cosine ramp at each end of a gate window: it
// keeps a strong line's spectrum from spreading through the gate's edges
// (beyond ~2/gateRampS = 40 kHz the leakage is over 40 dB down).
const gateRampS = 50e-6

// gate returns weights for a segment of n samples starting at absolute
// sample segStart: 1 inside the bursts, 0 outside, with raised-cosine ramps
// of up to ramp samples inside each burst's ends. It returns nil when there
// are no bursts, when they cover at least 90% of the segment (nothing to
// gain) or under 5% (a spectrum of a few detector frames is too noisy to
// set the band: a weak carrier the detector caught in two 20 µs blips
// stays judged on the whole segment). The weights are ws memory.
func gate(bursts []dsp.Burst, segStart int64, n, ramp int, ws *workspace) []float64 {
	if len(bursts) == 0 {
		return nil
	}
	// Coverage first: most gates are refused, and cheaply so.
	on, end := int64(0), int64(0)
	for _, b := range bursts {
		lo := max(b.StartSample-segStart, 0, end)
		hi := min(b.StartSample+b.SampleCount-segStart, int64(n))
		if hi > lo {
			on += hi - lo
			end = hi
		}
	}
	sorted := slices.IsSortedFunc(bursts, func(a, b dsp.Burst) int { return cmp.Compare(a.StartSample, b.StartSample) })
	if sorted && (float64(on) < 0.05*float64(n) || float64(on) >= 0.9*float64(n)) {
		return nil
	}
	g := ws.floats(n)
	clear(g)
	rampTab := rampWeights(ramp, ws)
	on = 0
	for _, b := range bursts {
		lo := max(b.StartSample-segStart, 0)
		hi := min(b.StartSample+b.SampleCount-segStart, int64(n))
		if hi <= lo {
			continue
		}
		r := min(int64(ramp), (hi-lo)/2)
		rw := rampTab
		if r != int64(ramp) {
			rw = rampWeights(int(r), ws) // bursts shorter than two ramps: often of equal lengths
		}
		// Ramp up over [lo, lo+r), 1, ramp down over [hi−r, hi): the
		// weight at distance d = min(i−lo, hi−1−i) from the nearer end is
		// rw[d] within r of it (r ≤ (hi−lo)/2), else 1.
		put := func(i int64, w float64) {
			if g[i] == 0 {
				on++
			}
			g[i] = max(g[i], w)
		}
		for d := int64(0); d < r; d++ {
			put(lo+d, rw[d])
		}
		for i := lo + r; i < hi-r; i++ {
			put(i, 1)
		}
		for d := r - 1; d >= 0; d-- {
			put(hi-1-d, rw[d])
		}
	}
	if float64(on) < 0.05*float64(n) || float64(on) >= 0.9*float64(n) {
		return nil
	}
	return g
}

// gateSegment returns seg times the gate of bursts (g[i]·seg[i], g from
// gate, as complex64 products with g[i] rounded to float32), in ws
// memory, or nil where gate returns nil. When the bursts that reach into
// the segment come in order without overlapping (the detector's do) the
// weights are not made: between the bursts the samples times 0, inside
// them the samples themselves (times 1), the ramps' products at their
// ends: the same values in one pass.
func gateSegment(seg []complex64, bursts []dsp.Burst, segStart int64, ramp int, ws *workspace) []complex64 {
	n := len(seg)
	if len(bursts) == 0 {
		return nil
	}
	on, end := int64(0), int64(0)
	disjoint := true
	for _, b := range bursts {
		lo := max(b.StartSample-segStart, 0)
		hi := min(b.StartSample+b.SampleCount-segStart, int64(n))
		if hi <= lo {
			continue
		}
		if lo < end {
			disjoint = false
			break
		}
		on, end = on+hi-lo, hi
	}
	gb := ws.complexes(n)
	scaled := func(i int, w float64) {
		v, wf := seg[i], float32(w)
		gb[i] = complex(real(v)*wf, imag(v)*wf)
	}
	if !disjoint {
		g := gate(bursts, segStart, n, ramp, ws)
		if g == nil {
			return nil
		}
		for i, w := range g[:n] {
			scaled(i, w)
		}
		return gb
	}
	if float64(on) < 0.05*float64(n) || float64(on) >= 0.9*float64(n) {
		return nil
	}
	rampTab := rampWeights(ramp, ws)
	prev := 0
	for _, b := range bursts {
		lo := int(max(b.StartSample-segStart, 0))
		hi := int(min(b.StartSample+b.SampleCount-segStart, int64(n)))
		if hi <= lo {
			continue
		}
		for i := prev; i < lo; i++ {
			scaled(i, 0)
		}
		r := min(ramp, (hi-lo)/2)
		rw := rampTab
		if r != ramp {
			rw = rampWeights(r, ws)
		}
		for d := 0; d < r; d++ {
			scaled(lo+d, rw[d])
		}
		copy(gb[lo+r:hi-r], seg[lo+r:hi-r])
		for d := r - 1; d >= 0; d-- {
			scaled(hi-1-d, rw[d])
		}
		prev = hi
	}
	for i := prev; i < n; i++ {
		scaled(i, 0)
	}
	return gb
}

// rampWeights returns the raised-cosine ramp of r samples the gate puts
// at a burst's ends: w(d) = ½ − ½·cos(π(d+½)/r), d = 0..r−1. The ramps
// are kept in ws across measurements (the same few lengths recur: the
// full ramp at the capture's rate, the bursts shorter than two ramps);
// callers must not change them.
func rampWeights(r int, ws *workspace) []float64 {
	r = max(r, 0)
	if w, ok := ws.ramps[r]; ok {
		return w
	}
	w := make([]float64, r)
	for d := range w {
		w[d] = 0.5 - 0.5*math.Cos(math.Pi*(float64(d)+0.5)/float64(r))
	}
	if ws.ramps == nil || len(ws.ramps) >= maxRamps {
		ws.ramps = map[int][]float64{}
	}
	ws.ramps[r] = w
	return w
}

// maxRamps bounds the gate ramps a workspace keeps.
const maxRamps = 64

// envelope measures the active samples (smoothed power above the geometric
// middle of its 10th and 95th percentiles when they differ by > 6 dB), their
// power's coefficient of variation and the bursts they form.
//
// Bursts and duty are read from y, the envelope CV from yw (y over a band
// at least envMinBWHz wide; the same slice when the band is that wide).
func (f *features) envelope(y, yw []complex64, p []float64, ws *workspace) {
	w := 1
	if f.occBWHz > 0 {
		w = max(1, min(len(y)/8, int(4*f.fsY/f.occBWHz)))
	}
	sm := movingAvgInto(ws.floats(len(p)), p, w)
	step := max(1, 8/f.dec)
	sub := ws.floats(len(sm)/step + 1)[:0]
	for i := 0; i < len(sm); i += step {
		sub = append(sub, sm[i])
	}
	noise, sig := percentileWS(sub, 0.1, ws), percentileWS(sub, 0.95, ws)
	thr := 0.0
	if sig > 4*noise {
		thr = math.Sqrt(math.Max(noise, sig*1e-6) * sig)
	}
	w1 := 1
	if f.occBWHz > 0 {
		w1 = max(1, min(len(y)/8, int(f.fsY/f.occBWHz)))
	}
	pw := p
	if &yw[0] != &y[0] {
		pw = power(yw, ws)
	}
	sym := movingAvgInto(ws.floats(len(pw)), pw, w1) // power over one symbol: takes the out-of-band-free noise down
	// Winsorise at the 99.5th percentile: a receiver's start-up transient
	// or one impulse must not dominate the envelope statistics.
	step = max(1, 4/f.dec)
	subSym := ws.floats(len(sym)/step + 1)[:0]
	for i := 0; i < len(sym); i += step {
		subSym = append(subSym, sym[i])
	}
	if c := percentileWS(subSym, 0.995, ws); c > 0 {
		for i, v := range sym {
			sym[i] = min(v, c)
		}
	}
	// The CV is taken within each burst and averaged (weighted by length):
	// bursts of different power (GSM downlink power control per timeslot,
	// several handsets) must not read as envelope variation.
	var sum, sum2 float64 // current run
	var cvSum, cvW float64
	var allSum, allSum2 float64
	var nAct int
	run := 0
	minRun := 2 * w
	endRun := func() {
		if run >= minRun {
			f.t.bursts = append(f.t.bursts, float64(run)/f.fsY)
			if m := sum / float64(run); m > 0 {
				cvSum += float64(run) * math.Sqrt(math.Max(0, sum2/float64(run)-m*m)) / m
				cvW += float64(run)
			}
		}
		run, sum, sum2 = 0, 0, 0
	}
	for i, v := range sm {
		if v > thr || (thr == 0 && sig > 0) {
			nAct++
			sum += sym[i]
			sum2 += sym[i] * sym[i]
			allSum += sym[i]
			allSum2 += sym[i] * sym[i]
			run++
			continue
		}
		endRun()
	}
	endRun()
	if nAct == 0 || allSum == 0 {
		f.t.envCV = math.NaN()
		return
	}
	f.t.duty = float64(nAct) / float64(len(y))
	// The first on: where the power averaged over onAvgS first comes
	// within 6 dB of the on level (the 95th percentile). An OFDM
	// envelope's dips and single noise peaks, which cut the runs above
	// into µs pieces, average out; a spectral line cut from y leaves a
	// residue at the segment's ends (its leakage, decaying over ~150 µs:
	// a tone 10 dB under a 20 MHz slot left 0.68 of the slot's 8.2 in the
	// first 25 µs, over the runs' threshold of 0.21), which stays under
	// that.
	if thr > 0 {
		thrOn := math.Max(thr, sig/4)
		wa := max(1, int(onAvgS*f.fsY))
		var acc float64
		for i, v := range p {
			acc += v
			if i >= wa {
				acc -= p[i-wa]
			}
			if i >= wa-1 && acc/float64(wa) > thrOn {
				f.t.firstOn = float64(i+1-wa) / f.fsY
				break
			}
		}
	}
	f.t.frame = frameCorr(sm, gsmFrameS*f.fsY, max(1, 16/f.dec), ws)
	if cvW > 0 {
		f.t.envCV = cvSum / cvW
		return
	}
	mean := allSum / float64(nAct)
	f.t.envCV = math.Sqrt(math.Max(0, allSum2/float64(nAct)-mean*mean)) / mean
}

// frameCorr is the Pearson correlation of the power envelope p with itself
// one lag later, minus that at half the lag (over at least 1.5 lags of p): a TDMA carrier whose active
// timeslots repeat every frame gives ≈ 1 − r(½ frame) (≈ 1.3 for half the
// slots on, ≈ 0.8 for three); continuous signals and noise ≈ 0. The
// envelope is read every step-th sample (lagF is in samples of p). NaN when p holds under 1.5 lags.
func frameCorr(p []float64, lagF float64, step int, ws *workspace) float64 {
	lag := int(math.Round(lagF / float64(step)))
	if lag < 4 || len(p) < lag*step*3/2 {
		return math.NaN()
	}
	sub := ws.floats(len(p)/step + 1)[:0]
	for i := 0; i < len(p); i += step {
		sub = append(sub, p[i])
	}
	r := func(l int) float64 {
		var ma, mb float64
		n := len(sub) - l
		for i := 0; i < n; i++ {
			ma += sub[i]
			mb += sub[i+l]
		}
		ma /= float64(n)
		mb /= float64(n)
		var ab, aa, bb float64
		for i := 0; i < n; i++ {
			a, b := sub[i]-ma, sub[i+l]-mb
			ab += a * b
			aa += a * a
			bb += b * b
		}
		if aa == 0 || bb == 0 {
			return 0
		}
		return ab / math.Sqrt(aa*bb)
	}
	return r(lag) - r(lag/2)
}

// Long-span frame periodicity (frameCorrSpan).
const (
	// frameSpanFrames bounds the samples frameCorrSpan reads: 4 TDMA
	// frames (18.5 ms) from the emission's start, so r(frame) averages
	// over 3 frames of overlap; 370 k samples at 20 Msps.
	frameSpanFrames = 4
	// frameSpanRateHz is the rate frameCorrSpan decimates to: blocks of
	// D = fs/100 kHz samples, each through a 4-term Blackman-Harris
	// window mixed to the carrier (one bin of a D-point STFT hopping by
	// D, bins of 100 kHz). Its response is 3 dB down at ±95 kHz (GMSK's
	// 90% band is ±80 kHz; the 99% edge, ±125 kHz, is 5.3 dB down), 14 dB
	// at ±200 kHz, nulls at ±400 kHz and stays ≥ 91 dB down beyond (noise
	// bandwidth 200 kHz). GSM carriers lie 200 kHz apart and a BTS's
	// carriers differ by tens of dB: a rectangular window (sidelobes −13
	// dB) let a carrier 1 MHz away set the envelope, and a Hann one of
	// 200 kHz bins (−32 dB) one 550 kHz away, 50 dB over the noise
	// (TestFrameCorrSpan), at the same cost.
	frameSpanRateHz = 100e3
	// frameSpanSmoothS is the power envelope's smoothing: a quarter of a
	// GSM timeslot (144 µs, 14 blocks), so a one-slot burst keeps its
	// full height for three quarters of its length. The correlations'
	// spread on signals without frame timing grows with the smoothing
	// (fewer independent points per frame): over 30 seeds of noise, LTE,
	// UMTS, FSK and an RC hopper at 4 and 20 Msps their highest read 0.62 /
	// 0.48 / 0.37 with a half / quarter / eighth of a slot, a one-slot GSM
	// burst at 3 dB its lowest 0.87 / 0.79 / 0.67 (measured with a Hann
	// window of 200 kHz bins): a quarter parts them widest.
	frameSpanSmoothS = 15.0 / 104 * 1e-3
)

// frameCorrSpan is the TDMA frame periodicity (frameCorr: r(4.615 ms) −
// r(2.308 ms) of the power envelope) of the signal near offHz (Hz from DC)
// in x, sampled at fs Hz, over at most frameSpanFrames frames of x. It
// reads a longer span than the analysed segment (1.6 ms at 20 Msps holds a
// third of a frame) at a low rate:
//
//	y[b] = Σ_{k<D} x[bD+k]·w[k]·e^{−j2π·offHz·k/fs},  D = round(fs/frameSpanRateHz),
//	w[k] = a0 − a1·cos(2πu) + a2·cos(4πu) − a3·cos(6πu),  u = (k+½)/D
//
// (4-term Blackman-Harris, a = 0.35875, 0.48829, 0.14128, 0.01168; Harris,
// Proc. IEEE 66(1), 1978), that is x mixed to offHz = 0 through the window
// over each block of D samples (a low-pass of 200 kHz noise bandwidth, see
// frameSpanRateHz), decimated by D; the phase of each block's start, e^{−j2π·offHz·bD/fs},
// is left out, since |y[b]|² does not see it. |y|² is smoothed over
// frameSpanSmoothS. Cost: one complex multiply-add per input sample. NaN
// when x holds under 1.5 frames, or fs or offHz is not finite.
func frameCorrSpan(x []complex64, fs, offHz float64, ws *workspace) float64 {
	if !(fs > 0) || math.IsInf(fs, 0) || math.IsNaN(offHz) {
		return math.NaN()
	}
	if lim := frameSpanFrames * gsmFrameS * fs; float64(len(x)) > lim {
		x = x[:int(lim)]
	}
	if float64(len(x)) < 1.5*gsmFrameS*fs {
		return math.NaN()
	}
	d := max(1, int(math.Round(fs/frameSpanRateHz)))
	nb := len(x) / d
	fsd := fs / float64(d)
	if float64(nb) < 1.5*gsmFrameS*fsd {
		return math.NaN()
	}
	wr, wi := ws.floats(d), ws.floats(d)
	for k := range d {
		u := 2 * math.Pi * (float64(k) + 0.5) / float64(d)
		h := 0.35875 - 0.48829*math.Cos(u) + 0.14128*math.Cos(2*u) - 0.01168*math.Cos(3*u)
		s, c := math.Sincos(-2 * math.Pi * offHz * float64(k) / fs)
		wr[k], wi[k] = h*c, h*s
	}
	p := ws.floats(nb)
	for b := range nb {
		blk := x[b*d : b*d+d]
		var re, im float64
		for k, v := range blk {
			xr, xi := float64(real(v)), float64(imag(v))
			re += xr*wr[k] - xi*wi[k]
			im += xr*wi[k] + xi*wr[k]
		}
		p[b] = re*re + im*im
	}
	sm := movingAvgInto(ws.floats(nb), p, max(1, int(frameSpanSmoothS*fsd)))
	return frameCorr(sm, gsmFrameS*fsd, max(1, int(frameSpanSmoothS*fsd/16)), ws)
}

// rho is the normalised autocorrelation magnitude of y at integer lag:
// |Σ y[n]·y*[n+lag]| / √(Σ|y[n]|²·Σ|y[n+lag]|²). It is NaN when y is shorter
// than two lags.
func rho(y []complex64, lag int) float64 {
	if lag <= 0 || len(y) < 2*lag {
		return math.NaN()
	}
	var acc complex128
	var e0, e1 float64
	for n := 0; n+lag < len(y); n++ {
		a, b := complex128(y[n]), complex128(y[n+lag])
		acc += a * cmplx.Conj(b)
		e0 += real(a)*real(a) + imag(a)*imag(a)
		e1 += real(b)*real(b) + imag(b)*imag(b)
	}
	if e0 == 0 || e1 == 0 {
		return 0
	}
	return cmplx.Abs(acc) / math.Sqrt(e0*e1)
}

// cpContrast measures cyclic-prefix structure at useful-symbol length
// lagF with CP length cpF (samples), after van de Beek et al., "ML
// estimation of time and frequency offset in OFDM systems", IEEE Trans. SP
// 1997: γ(n) = |Σ_{k<L} y[n+k]·y*[n+k+N]| / Σ_{k<L} ½(|y[n+k]|²+|y[n+k+N]|²)
// is ≈ SNR/(1+SNR) where n starts a cyclic prefix. The input is cut into
// blocks of one symbol period; the score at a lag is the mean, over the
// active blocks (energy ≥ half the 90th percentile: TDD uplink gaps and
// idle symbols are left out), of the block's largest γ. The contrast is the
// score at N minus the larger score at 0.87·N and 1.13·N over the same
// blocks. CP-OFDM gives 0.1–0.9; noise ≈ 0; a tone or DC correlates at
// every lag and gives ≈ 0. NaN when y holds fewer than two symbols. y is
// given as its real and imaginary parts yr, yi (float64), p is |y|² per
// sample.
func cpContrast(yr, yi, p []float64, lagF, cpF float64, ws *workspace) float64 {
	lag := int(math.Round(lagF))
	if lag < 4 || len(yr) < 2*int(lagF+cpF)+lag/8 {
		return math.NaN()
	}
	period := lagF + cpF
	lags := []int{lag, int(math.Round(0.87 * lagF)), int(math.Round(1.13 * lagF))}
	maxLag := lags[2]
	L := max(1, int(math.Round(cpF)))
	m := len(yr) - maxLag - L
	nb := int(float64(m) / period)
	if nb < 1 {
		return math.NaN()
	}
	// Block energies pick the active blocks.
	energy := ws.floats(nb)
	for i := 0; i < nb; i++ {
		var e float64
		for n := int(float64(i) * period); n < int(float64(i+1)*period) && n < len(yr); n++ {
			e += p[n]
		}
		energy[i] = e
	}
	thr := 0.5 * percentileWS(energy, 0.9, ws)
	var meanE float64
	for _, v := range p {
		meanE += v
	}
	meanE /= float64(len(yr))
	active := ws.floats(nb)[:0] // indices of the active blocks, as float64
	for i, e := range energy {
		if e >= thr && e > 0 {
			active = append(active, float64(i))
		}
	}
	if len(active) == 0 {
		return 0
	}
	best := ws.floats(nb)
	var scores [3]float64
	for j, lg := range lags {
		blockMaxGamma(yr, yi, p, meanE, lg, L, period, nb, active, best, ws)
		var sum float64
		for _, i := range active {
			sum += best[int(i)]
		}
		scores[j] = sum / float64(len(active))
	}
	return scores[0] - math.Max(scores[1], scores[2])
}

// blockMaxGamma sets best[i], for each active block i of nb blocks of
// period samples, to the largest γ(n) (see cpContrast) at lag with window
// L over the block's starts n; γ is not evaluated where the window's
// energy is under 10⁻³ of meanE·L (meanE: the mean |y|²). y is yr + i·yi,
// p is |y|².
// Inactive blocks are skipped: their values are never read.
func blockMaxGamma(yr, yi, p []float64, meanE float64, lag, L int, period float64, nb int, active, best []float64, ws *workspace) {
	tiny := 1e-3 * meanE * float64(L)
	end := min(int(float64(nb)*period), len(yr)-L-lag)
	// blockRange returns block i's starts [n, stop): the n with
	// int(n/period) == i, below end.
	blockRange := func(i int) (int, int) {
		n := int(math.Ceil(float64(i) * period))
		for n > 0 && int(float64(n-1)/period) >= i {
			n--
		}
		for n < end && int(float64(n)/period) < i {
			n++
		}
		stop := end
		if i+1 < nb {
			stop = min(end, int(math.Ceil(float64(i+1)*period)))
			for stop > n && int(float64(stop-1)/period) > i {
				stop--
			}
			for stop < end && int(float64(stop)/period) <= i {
				stop++
			}
		}
		return n, stop
	}
	// The terms y[k]·y*[k+lag] and ½(|y[k]|²+|y[k+lag]|²) of each active
	// block's windows, [n, stop+L), each computed once as it enters the
	// window and kept until it leaves, on slices of one length (no bounds
	// checks in the loops).
	zr, zi, q := ws.floats(end+L), ws.floats(end+L), ws.floats(end+L)
	for _, fi := range active {
		i := int(fi)
		n, stop := blockRange(i)
		if n >= stop {
			best[i] = 0
			continue
		}
		ar0, ai0 := yr[n:stop+L], yi[n:stop+L]
		br0, bi0 := yr[n+lag:stop+L+lag], yi[n+lag:stop+L+lag]
		pa, pb := p[n:stop+L], p[n+lag:stop+L+lag]
		tr, ti, tq := zr[n:stop+L], zi[n:stop+L], q[n:stop+L]
		w := len(ar0)
		ai0, br0, bi0, pa, pb, tr, ti, tq = ai0[:w], br0[:w], bi0[:w], pa[:w], pb[:w], tr[:w], ti[:w], tq[:w]
		// The window's sums over [n, n+L), then slid sample by sample:
		// at each start the term at its first sample leaves, the one L
		// later enters.
		var accR, accI, e float64
		for k := 0; k < L; k++ {
			ar, ai, br, bi := ar0[k], ai0[k], br0[k], bi0[k]
			tr[k], ti[k], tq[k] = ar*br+ai*bi, ai*br-ar*bi, 0.5*(pa[k]+pb[k])
			accR += tr[k]
			accI += ti[k]
			e += tq[k]
		}
		cnt := stop - n
		outR, outI, outQ := tr[:cnt], ti[:cnt], tq[:cnt]
		inR, inI, inQ := tr[L:L+cnt], ti[L:L+cnt], tq[L:L+cnt]
		iar, iai, ibr, ibi := ar0[L:L+cnt], ai0[L:L+cnt], br0[L:L+cnt], bi0[L:L+cnt]
		ipa, ipb := pa[L:L+cnt], pb[L:L+cnt]
		g := 0.0
		for k := range outR {
			if e > tiny {
				if num := accR*accR + accI*accI; num > g*e*e {
					g = num / (e * e)
				}
			}
			ar, ai, br, bi := iar[k], iai[k], ibr[k], ibi[k]
			vr, vi, vq := ar*br+ai*bi, ai*br-ar*bi, 0.5*(ipa[k]+ipb[k])
			inR[k], inI[k], inQ[k] = vr, vi, vq
			accR += vr - outR[k]
			accI += vi - outI[k]
			e += vq - outQ[k]
		}
		best[i] = math.Sqrt(g)
	}
}

// stfContrast is the 802.11 short-training-field periodicity: correlation
// at one STF period minus the larger of those at 0.5 and 1.5 periods, where
// the STF (tones every 4th subcarrier) correlates to zero.
func stfContrast(y []complex64, lagF float64) float64 {
	lag := int(math.Round(lagF))
	r := rho(y, lag)
	if math.IsNaN(r) || lag < 4 {
		return math.NaN()
	}
	r1, r2 := rho(y, int(math.Round(0.5*lagF))), rho(y, int(math.Round(1.5*lagF)))
	if math.IsNaN(r2) {
		r2 = 0
	}
	return r - math.Max(r1, r2)
}

// cyclic is |Σ|y[n]|²·e^{-j2π·alpha·n}| / Σ|y[n]|², the cyclic
// autocorrelation of the power at cycle frequency alpha (cycles/sample):
// linear modulations with excess bandwidth show a line at their symbol rate.
func cyclic(y []complex64, alpha float64) float64 {
	var acc complex128
	var e float64
	step := cmplx.Exp(complex(0, -2*math.Pi*alpha))
	rot := complex(1, 0)
	for n, v := range y {
		p := float64(real(v))*float64(real(v)) + float64(imag(v))*float64(imag(v))
		acc += complex(p, 0) * rot
		e += p
		rot *= step
		if n&1023 == 1023 { // renormalise the rotator
			rot /= complex(cmplx.Abs(rot), 0)
		}
	}
	if e == 0 {
		return 0
	}
	return cmplx.Abs(acc) / e
}

// movingAvg returns the centred moving average of x over w samples
// (windows are cut at the ends and average what they hold).
func movingAvg(x []float64, w int) []float64 { return movingAvgInto(make([]float64, len(x)), x, w) }

// movingAvgInto is movingAvg into out (len(x) long), which it returns.
func movingAvgInto(out, x []float64, w int) []float64 {
	if w <= 1 {
		copy(out, x)
		return out
	}
	n := len(x)
	h := w / 2
	// out[i-h] = mean of x[max(0, i-w+1) .. min(i, n-1)], for i in [h, n+h).
	var s float64
	i := 0
	for ; i < min(h, n); i++ {
		s += x[i]
	}
	edge := func(i int) {
		if i < n {
			s += x[i]
		}
		if j := i - w; j >= 0 {
			s -= x[j]
		}
		if i >= w-1 && i < n {
			out[i-h] = s / float64(w)
			return
		}
		out[i-h] = s / float64(min(i, n-1)-max(0, i-w+1)+1)
	}
	mid := max(h, w)
	for i = h; i < min(mid, n+h); i++ {
		edge(i)
	}
	// Every window full: the same operations in the same order, unbranched.
	fw := float64(w)
	for i = mid; i < n; i++ {
		s += x[i]
		s -= x[i-w]
		out[i-h] = s / fw
	}
	for i = max(mid, n); i < n+h; i++ {
		edge(i)
	}
	return out
}

// percentile returns the q-quantile of x (0 for empty x): its
// ⌊q·(len−1)⌋-th smallest value, NaN ordered first. x is not changed.
//
// Above 4096 values it works on an evenly strided subsample (cost bound).
func percentile(x []float64, q float64) float64 { return percentileWS(x, q, &workspace{}) }

// percentileWS is percentile with its copy in ws memory.
func percentileWS(x []float64, q float64, ws *workspace) float64 {
	if len(x) == 0 {
		return 0
	}
	stride := 1
	if len(x) > 4096 {
		stride = len(x) / 4096
	}
	n := (len(x) + stride - 1) / stride
	k := min(max(int(q*float64(n-1)), 0), n-1)
	if h := min(k+1, n-k); h <= n/64 {
		return extreme(x, stride, n, k, ws.floats(h))
	}
	sub := ws.floats(n)[:0]
	for i := 0; i < len(x); i += stride {
		sub = append(sub, x[i])
	}
	return nthSmallest(sub, k)
}

// extreme returns the k-th smallest (0-based, NaN first) of the n values
// x[0], x[stride], x[2·stride], … when k is near either end: it keeps the
// k+1 smallest (or n−k largest) in a heap whose root is the answer, so
// most values are turned away by one comparison. heap holds
// min(k+1, n−k) values.
func extreme(x []float64, stride, n, k int, heap []float64) float64 {
	less := func(a, b float64) bool { return a < b || (a != a && b == b) }
	top := n-k < k+1 // keep the largest; the root is their smallest
	// above(a, b): a belongs nearer the root (further from the kept end).
	above := func(a, b float64) bool {
		if top {
			return less(a, b)
		}
		return less(b, a)
	}
	h := len(heap)
	down := func(i int) {
		for {
			c := 2*i + 1
			if c >= h {
				return
			}
			if c+1 < h && above(heap[c+1], heap[c]) {
				c++
			}
			if !above(heap[c], heap[i]) {
				return
			}
			heap[i], heap[c] = heap[c], heap[i]
			i = c
		}
	}
	for i := 0; i < h; i++ {
		heap[i] = x[i*stride]
		for j := i; j > 0 && above(heap[j], heap[(j-1)/2]); j = (j - 1) / 2 {
			heap[j], heap[(j-1)/2] = heap[(j-1)/2], heap[j]
		}
	}
	for i := h * stride; i < len(x); i += stride {
		if v := x[i]; above(heap[0], v) {
			heap[0] = v
			down(0)
		}
	}
	return heap[0]
}

// nthSmallest returns the k-th smallest value of x (0-based; NaN before
// every number, as slices.Sort orders them), reordering and overwriting x.
// Above 512 values it is a radix select on the order-preserving integer
// image of the floats, 8 bits a pass over the values still in the
// running (a few passes over ever fewer values instead of quickselect's
// compares and swaps); the last few go to quickSelect.
func nthSmallest(x []float64, k int) float64 {
	if len(x) <= 512 {
		return quickSelect(x, k)
	}
	// NaNs out, and the bits where the keys differ: the bits above the
	// highest of them are common, so the first pass starts below them.
	n := 0
	var diff uint64
	k0 := floatKey(x[0])
	if x[0] != x[0] {
		k0 = floatKey(0) // any number's key: NaNs are not kept
	}
	for _, v := range x {
		x[n] = v
		if v == v {
			diff |= floatKey(v) ^ k0
			n++
		}
	}
	nan := len(x) - n
	if k < nan {
		return math.NaN()
	}
	k -= nan
	x = x[:n]
	if diff == 0 {
		return x[k]
	}
	// Four histograms, summed after: runs of equal digits (a flat noise
	// floor) would otherwise queue on one counter.
	var hist [256]int
	var h4 [4][256]int32
	for shift := max(bits.Len64(diff)-8, 0); len(x) > 64; shift = max(shift-8, 0) {
		clear(h4[:])
		i := 0
		for ; i+4 <= len(x); i += 4 {
			h4[0][(floatKey(x[i])>>shift)&255]++
			h4[1][(floatKey(x[i+1])>>shift)&255]++
			h4[2][(floatKey(x[i+2])>>shift)&255]++
			h4[3][(floatKey(x[i+3])>>shift)&255]++
		}
		for ; i < len(x); i++ {
			h4[0][(floatKey(x[i])>>shift)&255]++
		}
		for j := range hist {
			hist[j] = int(h4[0][j]) + int(h4[1][j]) + int(h4[2][j]) + int(h4[3][j])
		}
		d := 0
		for ; k >= hist[d]; d++ {
			k -= hist[d]
		}
		if hist[d] < len(x) { // keep the values of digit d (branch-free)
			m := 0
			for _, v := range x {
				x[m] = v
				if (floatKey(v)>>shift)&255 == uint64(d) {
					m++
				}
			}
			x = x[:m]
		}
		if shift == 0 { // every key left is the same
			return x[k]
		}
	}
	return quickSelect(x, k)
}

// floatKey maps a float64 to a uint64 in the same order (−0 just before
// +0; NaNs are not ordered): a negative's bits all flipped, a positive's
// sign bit set.
func floatKey(v float64) uint64 {
	b := math.Float64bits(v)
	return b ^ (uint64(int64(b)>>63) | 1<<63)
}

// quickSelect is nthSmallest by Hoare's selection (FIND): the NaNs moved
// to the front first, then Hoare partitions around the median of three
// with plain comparisons, both scans stopping at values equal to the
// pivot (so runs of equal values, zeros or a flat floor, split evenly and
// stay linear), and an insertion sort once a dozen values are left.
func quickSelect(x []float64, k int) float64 {
	nan := 0
	for i, v := range x {
		if v != v {
			x[i], x[nan] = x[nan], v
			nan++
		}
	}
	if k < nan {
		return math.NaN()
	}
	lo, hi := nan, len(x)-1
	for hi-lo > 12 {
		a, p, c := x[lo], x[lo+(hi-lo)/2], x[hi]
		if p < a {
			a, p = p, a
		}
		if c < p {
			p = max(c, a) // the median of the three (no NaN is left)
		}
		// x[lo:i] ≤ p ≤ x[j+1:hi+1]; the scans stop at the pivot's value.
		i, j := lo, hi
		for i <= j {
			for x[i] < p {
				i++
			}
			for p < x[j] {
				j--
			}
			if i <= j {
				x[i], x[j] = x[j], x[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default: // j < k < i: x[k] equals the pivot
			return x[k]
		}
	}
	for i := lo + 1; i <= hi; i++ {
		v, j := x[i], i
		for ; j > lo && v < x[j-1]; j-- {
			x[j] = x[j-1]
		}
		x[j] = v
	}
	return x[k]
}

// median returns the median of x (0 for empty x); x is not changed.
func median(x []float64) float64 { return percentile(x, 0.5) }

// flatness is the spectral flatness (geometric over arithmetic mean) of p.
func flatness(p []float64) float64 {
	var lg, sum float64
	n := 0
	for _, v := range p {
		if v > 0 {
			lg += math.Log(v)
			sum += v
			n++
		}
	}
	if n == 0 || sum == 0 {
		return 0
	}
	return math.Exp(lg/float64(n)) / (sum / float64(n))
}

// hannSmoothVar is the relative variance of the mean of L adjacent bins
// of a Hann-windowed periodogram of a locally white spectrum, times L:
// each bin is exponential (relative variance 1) and correlated with its
// neighbours by the window (X_w[k] = ½X[k] − ¼X[k±1]: power correlation
// (2/3)² one bin apart, (1/6)² two apart), so 1 + 2·(4/9 + 1/36).
const hannSmoothVar = 1 + 2*(4.0/9+1.0/36)

// signalFlatness is the spectral flatness of the signal alone over the
// smoothed PSD bins p (each the mean of sw periodogram bins), the noise
// reference noise taken out.
//
// Noise adds the same density to every bin, which whitens what is
// measured: a shaped spectrum S plus noise N is flatter than S, the more
// so the lower the SNR (synthetic FM video's central 6 MHz read 0.93–0.96
// at 6 dB and 0.96–0.98 at 3 dB in its own band, 0.73–0.90 at 20 dB), while
// a white signal stays white at any SNR. So the flatness is taken over the
// excess P − N, each bin at least N (the occupied band holds bins 3 dB over
// the noise, so only bridged gaps reach that floor), and the
// estimator's own noise is taken out too: the smoothed bin P has relative
// variance v = hannSmoothVar/sw, which in the excess is (P/(P−N))²·v and
// biases its logarithm by −½ of that (second order), so a white
// emitter reads ≈ 1 at any SNR and smoothing, not less as its SNR falls.
// Without a noise reference (NaN or 0) it is the flatness of p.
func signalFlatness(p []float64, noise float64, sw int) float64 {
	if !(noise > 0) || len(p) == 0 {
		return flatness(p)
	}
	v := hannSmoothVar / float64(max(sw, 1))
	var lg, sum float64
	for _, pk := range p {
		x := math.Max(pk-noise, noise)
		r := pk / x
		lg += math.Log(x) + 0.5*v*r*r
		sum += x
	}
	n := float64(len(p))
	return math.Exp(lg/n) / (sum / n)
}
