package classify

import (
	"math"
	"math/cmplx"

	"github.com/rfwarden/rfwarden/dsp"
)

// DJI DroneID's sync symbols (RUB-SysSec DroneSecurity, NDSS 2023): the
// 4th and 6th of its nine OFDM symbols carry Zadoff-Chu sequences of
// length 601, roots 600 and 147, on its subcarriers 15 kHz apart.
// Symbol timing at the native 15.36 Msps: 1024 samples useful (Tu =
// 66.67 µs), cyclic prefix 72 samples (4.69 µs).
const (
	zcLen      = 601                // ZC sequence length N
	zcRoot4    = 600                // root of symbol 4
	zcRoot6    = 147                // root of symbol 6
	zcSCSHz    = 15e3               // subcarrier spacing, Hz
	zcTuS      = 1 / zcSCSHz        // useful symbol duration, 66.67 µs
	zcCPS      = 72 / 15.36e6       // short cyclic prefix, 4.69 µs
	zcSpacingS = 2 * 1096 / 15.36e6 // start of symbol 4 to start of symbol 6: 142.7 µs
	// zcMinFsHz is the lowest capture rate measured: below it the
	// 9.015 MHz burst does not fit the capture (the ZC is "not measured").
	zcMinFsHz = 10e6
	// zcRateHz caps the correlation's rate fs/D, D = ⌈fs/zcRateHz⌉:
	// 3.07–3.4 Msps at 10, 15.36, 20, 30.72 and 50 Msps, so that zcFFT
	// samples hold zcWindowS.
	zcRateHz = 3.4e6
	// zcFFT is the correlation's FFT length: 0.6–0.8 ms at fs/D.
	zcFFT = 2048
	// zcMarginS is how far before the detection the window reaches, where
	// the IQ holds those samples (a detection's edges may miss the
	// burst's by a frame of the detector).
	zcMarginS = 50e-6
	// zcWindowS is the longest window correlated (at most zcFFT samples):
	// the margin and 0.55 ms of the detection; the pair ends 0.43 ms into
	// a burst, so a burst starting up to 0.12 ms after the detection is
	// still seen whole.
	zcWindowS = zcMarginS + 0.55e-3
	// zcMinSpanS is the shortest window measured: the pair ends 0.43 ms
	// into a burst; a DroneID candidate lasts at least droneIDMinS.
	zcMinSpanS = droneIDMinS
	// zcFracHz is the second carrier-offset hypothesis: with 0 Hz it
	// leaves at most 3.75 kHz of fractional offset (a whole subcarrier
	// only moves a ZC's peak, see zcBank.measure), a loss of at most
	// sinc(0.25) = 0.90.
	zcFracHz = zcSCSHz / 2
	// zcPfa is the false-alarm probability of each peak search over a
	// window of noise or of OFDM data (see zcThreshold).
	zcPfa = 1e-3
	// zcPairPadS bounds where the root-147 peak lies relative to the
	// root-600 peak plus zcSpacingS: an integer carrier offset k moves a
	// root-u peak by (−u·k mod 601)/601·Tu, which for root 147 can be
	// anywhere in a symbol (up to Tu plus the CP either way), for root
	// 600 by k·Tu/601 (≤ 25 µs for a centre 3.3 MHz off).
	zcPairPadS = zcTuS + zcCPS + 25e-6
)

// zcBank holds the two sync symbols' correlation templates for one capture
// rate, made once per rate and kept in the workspace (workspace.zc).
type zcBank struct {
	dec      int            // D = ⌈fs/zcRateHz⌉
	fsd      float64        // fs/D, Hz
	l        int            // template length: round(Tu·fsd) samples
	conjT    [2][]complex64 // conj(DFT_zcFFT) of each unit-energy template (roots 600, 147)
	leff     float64        // independent samples of a correlation (see zcThreshold)
	fracBins int            // zcFracHz in bins of fsd/zcFFT
	tab      []complex64    // exp(−j·2π·f·j/fs) for j < D, remade per mixing frequency f
	tabHz    float64        // the f of tab
}

// zcResult is the ZC sync-symbol feature of one emission.
type zcResult struct {
	measured   bool
	rho4, rho6 float64 // peak normalised correlations with roots 600 and 147 (rho6 near the root-600 peak)
	rho6All    float64 // the root-147 peak anywhere in the window
	thr4, thr6 float64 // their thresholds (thr4 also for rho6All: the same search)
	gapS       float64 // root-147 peak minus root-600 peak, s
}

// pair reports the ZC pair: both sync symbols' correlations over their
// thresholds, two symbols apart (within zcPairPadS).
func (z zcResult) pair() bool { return z.measured && z.rho4 >= z.thr4 && z.rho6 >= z.thr6 }

// absent reports that the window was measured and neither sync symbol is
// in it.
func (z zcResult) absent() bool {
	return z.measured && !(z.rho4 >= z.thr4) && !(z.rho6All >= z.thr4)
}

// zcThreshold is the smallest normalised correlation ρ taken as a ZC peak
// in a search over m lags and hypotheses. For a window of white noise (or
// OFDM data, Gaussian by the central limit) against a unit-energy template
// of L samples, ρ² = |Σ y·t*|² / Σ|y|² is exponential with mean 1/L; a
// coloured window can raise the mean to at most max|T(f)|²/L (T the
// template's spectrum, mean |T|² = 1): white noise reads 1/L; OFDM data
// wider than fs/D, folded through the same boxcar as the template, has
// the template's |T|² shape and reads mean(|T|⁴)/L, so
// leff = L/max(1, mean |T|⁴) (mean |T|⁴ is 1.34–1.51 at 10–50 Msps). A
// narrowband interferer reads one value, ρ² ≤ max|T|²/L, with no
// exponential tail (TestZCNotDroneID: a tone and DC stay under the
// threshold). The largest of m such values exceeds ρ with probability at
// most m·exp(−leff·ρ²); setting that to zcPfa gives
//
//	ρ_thr = √(ln(m/zcPfa) / leff).
//
// At 10–50 Msps (L = 205–222, leff 147–153) this is 0.30–0.33; a
// DroneID burst at an SNR s (in its band) reads about √(s/(1+s)) (0.82 at
// 3 dB) times the offset and timing losses (≥ 0.5 for root 147).
func zcThreshold(m int, leff float64) float64 {
	return math.Sqrt(math.Log(float64(max(m, 1))/zcPfa) / leff)
}

// zcSeq is the ZC sequence of root u and length zcLen:
// z[q] = exp(−jπ·u·q·(q+1)/N), q = 0..N−1.
func zcSeq(u, q int) complex128 {
	// u·q·(q+1) mod 2N keeps the phase exact for large q.
	p := (u * q % (2 * zcLen)) * (q + 1) % (2 * zcLen)
	return cmplx.Exp(complex(0, -math.Pi*float64(p)/zcLen))
}

// zcCarrier is the ZC element subcarrier m (−300..300) carries; DC (m =
// 0) is empty.
func zcCarrier(u, m int) complex128 {
	if m == 0 {
		return 0
	}
	return zcSeq(u, m+(zcLen-1)/2)
}

// newZCBank makes the templates for capture rate fs (≥ zcMinFsHz): each
// sync symbol's useful part, t(n) = Σ_m z[m+300]·exp(j2π·m·15 kHz·n/fs),
// passed through the same D-sample integrate-and-dump as the received
// window (so its sum over each block of D samples:
// Σ_m z·H_m·exp(j2π·m·15 kHz·D·i/fs), H_m = Σ_{j<D} exp(j2π·m·15 kHz·j/fs)),
// scaled to unit energy, as the conjugate of its zcFFT-point DFT.
func newZCBank(fs float64, fftOf func(int) *dsp.FFT) *zcBank {
	d := max(1, int(math.Ceil(fs/zcRateHz)))
	b := &zcBank{dec: d, fsd: fs / float64(d)}
	b.l = int(math.Round(zcTuS * b.fsd))
	b.fracBins = int(math.Round(zcFracHz / (b.fsd / zcFFT)))
	fft := fftOf(zcFFT)
	kurt := 0.0
	for r, u := range [2]int{zcRoot4, zcRoot6} {
		t := make([]complex128, b.l)
		for m := -(zcLen - 1) / 2; m <= (zcLen-1)/2; m++ {
			z := zcCarrier(u, m)
			if z == 0 {
				continue
			}
			w := 2 * math.Pi * float64(m) * zcSCSHz / fs
			var h complex128
			for j := range d {
				h += cmplx.Exp(complex(0, w*float64(j)))
			}
			step := cmplx.Exp(complex(0, w*float64(d)))
			p := z * h
			for i := range t {
				t[i] += p
				p *= step
			}
		}
		var e float64
		for _, v := range t {
			e += real(v)*real(v) + imag(v)*imag(v)
		}
		x := make([]complex64, zcFFT)
		for i, v := range t {
			x[i] = complex64(v / complex(math.Sqrt(e), 0))
		}
		fft.Coefficients(x, x)
		var m4 float64
		for k, v := range x {
			p2 := float64(real(v)*real(v) + imag(v)*imag(v))
			m4 += p2 * p2
			x[k] = complex(real(v), -imag(v))
		}
		// Σ|T_k|² = zcFFT (unit energy): mean |T|⁴ over mean² |T|².
		kurt = math.Max(kurt, m4/zcFFT)
		b.conjT[r] = x
	}
	b.leff = float64(b.l) / math.Max(1, kurt)
	return b
}

// measureZC measures the ZC sync symbols in x, samples at fs, with the
// burst's centre at mixHz from DC, with templates from ws (see
// zcBank.measure); not measured under zcMinFsHz.
func measureZC(x []complex64, fs, mixHz float64, fftOf func(int) *dsp.FFT, ws *workspace) zcResult {
	if !(fs >= zcMinFsHz) || math.IsInf(fs, 0) || math.IsNaN(mixHz) {
		return zcResult{}
	}
	return ws.zcBank(fs, fftOf).measure(x, fs, mixHz, fftOf, ws)
}

// measure measures the ZC sync symbols in x, samples at fs whose first
// is at time 0, with the burst's centre at mixHz from DC.
//
// The window is mixed down by mixHz and integrated and dumped over D
// samples (a boxcar, first null at fs/D: the centre ~3.3 MHz of the 9 MHz
// burst, the rest folded in with the templates' own, so it still
// correlates), zcWindowS or zcFFT samples at fs/D at most. Its correlation with each
// template, c(τ) = Σ_n y(τ+n)·t*(n), by FFT, is normalised by the
// window's energy under the template, ρ(τ) = |c(τ)| / √(Σ_n |y(τ+n)|²),
// and searched over every lag where the template lies inside the window,
// for two carrier-offset hypotheses (0 and zcFracHz: the template's
// spectrum shifted). A whole-subcarrier offset k leaves a ZC's
// correlation whole but moves its peak by (−u·k mod 601)/601 of a symbol
// (the delay-Doppler coupling), so the centre need not be the burst's:
// the root-147 peak is looked for within zcPairPadS of the root-600 peak
// plus two symbols.
func (b *zcBank) measure(x []complex64, fs, mixHz float64, fftOf func(int) *dsp.FFT, ws *workspace) zcResult {
	d := b.dec
	nd := min(zcFFT, len(x)/d, int(zcWindowS*b.fsd))
	// Whole blocks of D samples only: a window of exactly zcMinSpanS
	// (a DroneID-long detection with no margin, cut by the end of the
	// IQ) holds ⌊zcMinSpanS·fsd⌋ of them and is measured.
	if nd < int(zcMinSpanS*b.fsd) || nd <= b.l {
		return zcResult{}
	}
	if b.tab == nil || b.tabHz != mixHz {
		b.tab, b.tabHz = make([]complex64, d), mixHz
		for j := range d {
			b.tab[j] = complex64(cmplx.Exp(complex(0, -2*math.Pi*mixHz*float64(j)/fs)))
		}
	}
	// y[i] = exp(−j2π·f·D·i/fs) · Σ_{j<D} x[iD+j]·tab[j], and cum[i] =
	// Σ_{n<i} |y[n]|².
	y := ws.complexes(zcFFT)
	clear(y[nd:])
	blockStep := cmplx.Exp(complex(0, -2*math.Pi*mixHz*float64(d)/fs))
	ph := complex128(1)
	cum := ws.floats(nd + 1)
	cum[0] = 0
	tab := b.tab
	for i := range nd {
		acc := dotC64(x[i*d:i*d+d], tab)
		v := complex64(complex128(acc) * ph)
		y[i] = v
		cum[i+1] = cum[i] + float64(real(v))*float64(real(v)) + float64(imag(v))*float64(imag(v))
		ph *= blockStep
		if i&255 == 255 {
			ph /= complex(cmplx.Abs(ph), 0)
		}
	}
	fft := fftOf(zcFFT)
	yf := fft.Coefficients(ws.complexes(zcFFT), y)
	prod := ws.complexes(zcFFT)
	c := ws.complexes(zcFFT)
	lags := nd - b.l + 1
	// peak returns the largest ρ of root r over lags [lo, hi] and its lag,
	// trying the carrier-offset hypotheses in turn until one reaches thr.
	peak := func(r, lo, hi int, thr float64) (float64, int) {
		lo, hi = max(lo, 0), min(hi, lags-1)
		bestP, bestE, at := 0.0, 1.0, -1 // the best |c|² and its window energy
		for h := range 2 {
			s, t := h*b.fracBins, b.conjT[r]
			for k := range yf {
				prod[k] = yf[k] * t[(k-s+zcFFT)&(zcFFT-1)]
			}
			fft.Sequence(c, prod)
			for tau := lo; tau <= hi; tau++ {
				e := cum[tau+b.l] - cum[tau]
				v := c[tau]
				p := float64(real(v))*float64(real(v)) + float64(imag(v))*float64(imag(v))
				if p*bestE > bestP*e && e > 0 { // p/e > bestP/bestE
					bestP, bestE, at = p, e, tau
				}
			}
			if math.Sqrt(bestP/bestE)/zcFFT >= thr {
				break
			}
		}
		return math.Sqrt(bestP/bestE) / zcFFT, at
	}
	z := zcResult{measured: true}
	z.thr4 = zcThreshold(2*lags, b.leff)
	var p4, p6 int
	z.rho4, p4 = peak(0, 0, lags-1, z.thr4)
	if p4 >= 0 {
		sp, pad := int(math.Round(zcSpacingS*b.fsd)), int(math.Ceil(zcPairPadS*b.fsd))
		lo, hi := max(0, p4+sp-pad), min(lags-1, p4+sp+pad)
		z.thr6 = zcThreshold(2*max(1, hi-lo+1), b.leff)
		if hi >= lo {
			z.rho6, p6 = peak(1, lo, hi, z.thr6)
			z.gapS = float64(p6-p4) / b.fsd
		}
	}
	z.rho6All = z.rho6
	if !(z.rho4 >= z.thr4) { // the absence test looks for root 147 anywhere too
		z.rho6All, _ = peak(1, 0, lags-1, z.thr4)
	}
	return z
}

// dotC64 returns Σ x[j]·w[j] (len(w) ≥ len(x)), in float32 with two
// partial sums.
func dotC64(x, w []complex64) complex64 {
	var ar0, ai0, ar1, ai1 float32
	w = w[:len(x)]
	j := 0
	for ; j+1 < len(x); j += 2 {
		a, b := x[j], w[j]
		ar0 += real(a)*real(b) - imag(a)*imag(b)
		ai0 += real(a)*imag(b) + imag(a)*real(b)
		a, b = x[j+1], w[j+1]
		ar1 += real(a)*real(b) - imag(a)*imag(b)
		ai1 += real(a)*imag(b) + imag(a)*real(b)
	}
	if j < len(x) {
		a, b := x[j], w[j]
		ar0 += real(a)*real(b) - imag(a)*imag(b)
		ai0 += real(a)*imag(b) + imag(a)*real(b)
	}
	return complex(ar0+ar1, ai0+ai1)
}
