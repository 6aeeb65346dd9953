package dsp

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// The plain energy detector as dsp exposes it: a Welch PSD averaged over K
// non-overlapping frames, tested bin by bin against a known noise floor by
// CFAR (psd[k] > Threshold()·floor[k]). Each bin of a frame is one complex
// sample of the bin's sub-band (the DFT is a filter bank), so a bin averaged
// over K frames is the energy of N = K complex samples of that sub-band.
//
// Theory (Urkowitz, "Energy detection of unknown deterministic signals",
// Proc. IEEE 55(4), 1967; Kay, "Fundamentals of Statistical Signal
// Processing, vol. II: Detection Theory", §5.3 and §7.6): for N complex
// samples x = s + w with w circular Gaussian of power σ² (σ²/2 per real
// component), E = Σ|x|² gives
//
//	2E/σ² ~ χ²(2N)               under H0,
//	2E/σ² ~ χ'²(2N, λ = 2N·SNR)  under H1, SNR = (Σ|s|²/N)/σ²,
//
// so E/σ² itself is Gamma(N, 1) (half a chi-squared), not χ²(2N): the
// factor 2 is the normalisation the tests below check. In the PSD's units
// (mean of K frames, noise mean σ_bin) psd/σ_bin = E/(Nσ²), and CFAR's
// threshold T = Q_χ²(2K)(1 − Pfa)/(2K) is exactly the H0 quantile. SNR is
// in the bin's own bandwidth: the expected signal reading over the expected
// noise reading of the bin (A²·n/σ² for a bin-centred tone of amplitude A
// and a rectangular window, divided by the window's ENBW otherwise).

// ncChiSquaredSurvival returns P(X > x) for X ~ χ'²(k, λ), the noncentral
// chi-squared law with k degrees of freedom and noncentrality λ, as the
// Poisson mixture Σ_j Pois(j; λ/2)·P(χ²(k+2j) > x) (Johnson, Kotz &
// Balakrishnan, "Continuous Univariate Distributions" vol. 2, eq. 29.2),
// summed over the Poisson terms within 12 standard deviations of λ/2.
func ncChiSquaredSurvival(x, k, lambda float64) float64 {
	if lambda == 0 {
		return distuv.ChiSquared{K: k}.Survival(x)
	}
	m := lambda / 2
	sd := math.Sqrt(m)
	lo := max(0, int(m-12*sd-10))
	hi := int(m + 12*sd + 10)
	var s float64
	for j := lo; j <= hi; j++ {
		lg, _ := math.Lgamma(float64(j) + 1)
		w := math.Exp(float64(j)*math.Log(m) - m - lg)
		s += w * distuv.ChiSquared{K: k + 2*float64(j)}.Survival(x)
	}
	return min(s, 1)
}

// energyPd is the theoretical detection probability of the energy of
// n complex samples at snrDB (in the signal's own bandwidth) and design
// false-alarm probability pfa.
func energyPd(n int, snrDB, pfa float64) float64 {
	k := 2 * float64(n)
	thr := distuv.ChiSquared{K: k}.Quantile(1 - pfa)
	return ncChiSquaredSurvival(thr, k, k*math.Pow(10, snrDB/10))
}

// snrAtPd returns the SNR in dB at which the increasing curve pd(snr)
// reaches p, by linear interpolation between the grid points snrs (or
// bisection when pd is a function); NaN when the curve never crosses p.
func snrAtPd(snrs, pd []float64, p float64) float64 {
	for i := 1; i < len(snrs); i++ {
		if pd[i-1] < p && pd[i] >= p {
			return snrs[i-1] + (p-pd[i-1])/(pd[i]-pd[i-1])*(snrs[i]-snrs[i-1])
		}
	}
	return math.NaN()
}

func theorySNRAtPd(n int, pfa, p float64) float64 {
	lo, hi := -30.0, 40.0
	for range 60 {
		mid := (lo + hi) / 2
		if energyPd(n, mid, pfa) < p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

func TestNCChiSquaredKnownValues(t *testing.T) {
	// χ'²(2, λ) survival is the Marcum Q1(√λ, √x); for λ = 0 it is e^(−x/2).
	if got, want := ncChiSquaredSurvival(3, 2, 0), math.Exp(-1.5); math.Abs(got-want) > 1e-12 {
		t.Errorf("central: %g, want %g", got, want)
	}
	// Mean k + λ, so for large k and λ the median is near it (Patnaik's
	// approximation: within 1% of the mean at k = 200, λ = 100).
	if p := ncChiSquaredSurvival(300, 200, 100); math.Abs(p-0.5) > 0.02 {
		t.Errorf("survival at the mean of χ'²(200, 100) = %g, want about 0.5", p)
	}
	// Q1(a, b) = e^(−(a²+b²)/2)·Σ_k (a/b)^k·I_k(ab); for a = 1, b = 2
	// (λ = 1, x = 4) the Bessel series gives e^(−2.5)·3.2772 = 0.26901.
	if got := ncChiSquaredSurvival(4, 2, 1); math.Abs(got-0.26901) > 1e-4 {
		t.Errorf("χ'²(2, 1) survival at 4 = %g, want 0.26901", got)
	}
}

// energyCase is one configuration of the per-bin energy detector.
type energyCase struct {
	name   string
	window WindowKind
	frames int // K: complex samples per bin statistic
	every  int // tones at every `every`-th bin (2 for Hann: no leakage into a tone's neighbour bin centre)
}

// measureEnergyPd runs the Welch + known-floor CFAR energy detector over
// blocks PSDs of frames frames each, with bin-centred tones of random
// phase at every c.every-th bin (each an independent H1 trial at snrDB in
// its bin) over complex Gaussian noise of power 1, and returns the share of
// tone bins detected. With snrDB = -Inf it returns the share of all bins
// that fire (Pfa).
func measureEnergyPd(rng *rand.Rand, c energyCase, n, blocks int, snrDB, pfa float64) float64 {
	w := NewWelch(n, c.window, 0)
	enbw := ENBW(w.Window())
	// noise of power σ² = 1 reads σ²·ENBW/n per bin (see Welch)
	floor := make([]float32, n)
	for i := range floor {
		floor[i] = float32(enbw / float64(n))
	}
	cf := NewCFAR(n, pfa, 1, 1, c.frames)
	// a tone of amplitude A reads A²; SNR in the bin = A²·n/ENBW
	amp := math.Sqrt(math.Pow(10, snrDB/10) * enbw / float64(n))
	sig := make([]complex128, n)
	var tones []int
	if snrDB > math.Inf(-1) {
		for k := 0; k < n; k += c.every {
			tones = append(tones, k)
			ph := 2 * math.Pi * rng.Float64()
			for t := range sig {
				sig[t] += cmplx.Rect(amp, ph+2*math.Pi*float64(k*t)/float64(n))
			}
		}
	}
	frame := make([]complex64, n)
	psd := make([]float32, n)
	hits := make([]bool, n)
	s := math.Sqrt(0.5)
	var got, trials int
	for range blocks {
		w.Reset()
		for range c.frames {
			for t := range frame {
				frame[t] = complex64(sig[t] + complex(s*rng.NormFloat64(), s*rng.NormFloat64()))
			}
			w.Write(frame)
		}
		cf.Detect(hits, w.PSD(psd), floor)
		if tones == nil {
			for _, h := range hits {
				if h {
					got++
				}
			}
			trials += n
			continue
		}
		for _, k := range tones {
			if hits[k] {
				got++
			}
		}
		trials += len(tones)
	}
	return float64(got) / float64(trials)
}

// TestEnergyDetectorNormalisation checks the law the theory rests on: in
// noise, 2K·psd/σ_bin of a bin averaged over K frames has the χ²(2K) mean
// 2K and variance 4K (so E/σ² is Gamma(K, 1), half a χ²(2K)).
func TestEnergyDetectorNormalisation(t *testing.T) {
	const n, k = 64, 4
	blocks := 400
	if testing.Short() {
		blocks = 100
	}
	rng := rand.New(rand.NewPCG(7, 11))
	w := NewWelch(n, WindowRect, 0)
	frame := make([]complex64, n)
	psd := make([]float32, n)
	var sum, sum2 float64
	s := math.Sqrt(0.5)
	for range blocks {
		w.Reset()
		for range k {
			for t := range frame {
				frame[t] = complex(float32(s*rng.NormFloat64()), float32(s*rng.NormFloat64()))
			}
			w.Write(frame)
		}
		for _, v := range w.PSD(psd) {
			x := 2 * k * float64(v) * n // σ_bin = 1/n for σ² = 1
			sum += x
			sum2 += x * x
		}
	}
	cnt := float64(blocks * n)
	mean := sum / cnt
	variance := sum2/cnt - mean*mean
	// relative standard errors: mean √(4K/cnt)/2K ≈ 0.9%, variance ≈ 3% at 400 blocks
	tol := 5 / math.Sqrt(cnt/8)
	if math.Abs(mean/(2*k)-1) > tol || math.Abs(variance/(4*k)-1) > 4*tol {
		t.Errorf("2K·psd/σ: mean %.3f (want %d), variance %.3f (want %d), tolerance %.3f", mean, 2*k, variance, 4*k, tol)
	}
}

// TestEnergyDetectorTheory measures Pd against SNR from -5 to +15 dB and
// Pfa of the plain energy detector and compares them with the chi-squared
// theory for the same number of samples: the measured curve must sit within
// 1.5 dB (horizontal offset at Pd = 0.5 and 0.9) of the theoretical one, and
// the measured Pfa within 5 binomial standard deviations (and a factor 1.5)
// of the design Pfa. The table it logs (-v) is the one in docs/detection.md.
func TestEnergyDetectorTheory(t *testing.T) {
	const n, pfa, maxOffsetDB = 64, 1e-3, 1.5
	blocks, noiseBlocks := 40, 3000 // per SNR point: 2560 (rect) tone trials; Pfa: 192k trials
	if testing.Short() {
		blocks, noiseBlocks = 12, 800
	}
	cases := []energyCase{
		{"rect K=1", WindowRect, 1, 1},
		{"rect K=4", WindowRect, 4, 1},
		{"rect K=16", WindowRect, 16, 1},
		{"hann K=4", WindowHann, 4, 2},
	}
	var snrs []float64
	for s := -5.0; s <= 15; s++ {
		snrs = append(snrs, s)
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(2026, uint64(i)))
			meas := make([]float64, len(snrs))
			for j, s := range snrs {
				meas[j] = measureEnergyPd(rng, c, n, blocks, s, pfa)
			}
			gotPfa := measureEnergyPd(rng, c, n, noiseBlocks, math.Inf(-1), pfa)
			trials := float64(noiseBlocks * n)
			sd := math.Sqrt(pfa * (1 - pfa) / trials)
			if d := math.Abs(gotPfa - pfa); d > 5*sd && d > 0.5*pfa {
				t.Errorf("Pfa %.2e, design %.0e (±%.1e at 5σ)", gotPfa, pfa, 5*sd)
			}
			t.Logf("%s: N = %d samples per statistic, Pfa measured %.2e (design %.0e, %g trials)", c.name, c.frames, gotPfa, pfa, trials)
			for _, p := range []float64{0.5, 0.9} {
				mSNR, tSNR := snrAtPd(snrs, meas, p), theorySNRAtPd(c.frames, pfa, p)
				off := mSNR - tSNR
				t.Logf("  Pd=%.1f: measured %.2f dB, theory %.2f dB, offset %+.2f dB", p, mSNR, tSNR, off)
				if math.IsNaN(off) || math.Abs(off) > maxOffsetDB {
					t.Errorf("Pd=%.1f reached at %.2f dB, theory %.2f dB: offset %+.2f dB, want within ±%.1f dB", p, mSNR, tSNR, off, maxOffsetDB)
				}
			}
			if testing.Verbose() {
				for j, s := range snrs {
					t.Logf("  %+5.0f dB  Pd measured %.3f  theory %.3f", s, meas[j], energyPd(c.frames, s, pfa))
				}
			}
		})
	}
}
