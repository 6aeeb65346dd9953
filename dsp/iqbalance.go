package dsp

import (
	"fmt"
	"math"
)

// IQImbalance is a zero-IF receiver's gain and phase mismatch between its
// I and Q paths, in the model
//
//	I' = I,  Q' = g·(Q·cos φ + I·sin φ)
//
// (synth.Artefacts' model; any mismatch of both paths is this one times a
// complex gain common to every frequency, which a detector does not see).
// A signal x = I + jQ at +f Hz from DC then also appears, as its complex
// conjugate, at −f Hz: x' = μ·x + ν·x* with μ = (1 + g·e^{jφ})/2 and
// ν = (1 − g·e^{−jφ})/2. The zero value is not balanced; use
// IQImbalance{Gain: 1}.
type IQImbalance struct {
	Gain     float64 // g: amplitude of Q' over I' for a balanced signal, linear (1: no gain mismatch)
	PhaseRad float64 // φ: Q's phase error, radians (0: quadrature)
}

// GainDB returns the gain mismatch 20·log10(g), dB.
func (m IQImbalance) GainDB() float64 { return 20 * math.Log10(m.Gain) }

// PhaseDeg returns the phase mismatch φ in degrees.
func (m IQImbalance) PhaseDeg() float64 { return m.PhaseRad * 180 / math.Pi }

// ImageRejectionDB returns how far the image at −f lies under a signal at
// +f, |μ|²/|ν|² = (1 + 2g·cos φ + g²) / (1 − 2g·cos φ + g²) in dB: +Inf when
// balanced, about 24 dB at 1 dB and 3° (a HackRF One), 18 dB at 2 dB and
// 5°.
func (m IQImbalance) ImageRejectionDB() float64 {
	g, c := m.Gain, math.Cos(m.PhaseRad)
	return 10 * math.Log10((1+2*g*c+g*g)/(1-2*g*c+g*g))
}

// IQStats accumulates the second-order statistics of a stream's I and Q
// from which IQImbalance is estimated (Imbalance): the samples' sums, and
// those of y[n] = x'[n] + x'[n−1] over the consecutive pairs within each
// Add (see Imbalance for why). The zero value is empty and ready to use.
// Sums are kept in float64, so a DC offset many times the signal's
// amplitude costs no precision worth speaking of.
type IQStats struct {
	N          float64 // samples accumulated (weighted, see Scale)
	SumI, SumQ float64 // Σ I', Σ Q'
	SumP       float64 // Σ |x'|², for EffectiveN
	SumP2      float64 // Σ |x'|⁴, for EffectiveN
	// Pairs counts the consecutive pairs (n−1, n) within each Add
	// (weighted, see Scale), over which the sums of y run.
	Pairs                  float64
	SumYI, SumYQ           float64 // Σ y_I, Σ y_Q, y = x'[n] + x'[n−1]
	SumYII, SumYQQ, SumYIQ float64 // Σ y_I², Σ y_Q², Σ y_I·y_Q
}

// Add accumulates the samples x and their consecutive pairs: x[0] is not
// paired with the previous Add's last sample, so blocks that do not
// follow one another may be added.
func (s *IQStats) Add(x []complex64) {
	if len(x) == 0 {
		return
	}
	pi, pq := float64(real(x[0])), float64(imag(x[0]))
	si, sq := pi, pq
	sp := pi*pi + pq*pq
	sp2 := sp * sp
	var syii, syqq, syiq float64
	for _, v := range x[1:] {
		i, q := float64(real(v)), float64(imag(v))
		si += i
		sq += q
		p := i*i + q*q
		sp += p
		sp2 += p * p
		yi, yq := i+pi, q+pq
		syii += yi * yi
		syqq += yq * yq
		syiq += yi * yq
		pi, pq = i, q
	}
	s.N += float64(len(x))
	s.SumI += si
	s.SumQ += sq
	s.SumP += sp
	s.SumP2 += sp2
	s.Pairs += float64(len(x) - 1)
	// Every sample is in two pairs but the first and the last, in one.
	s.SumYI += 2*si - float64(real(x[0])) - pi
	s.SumYQ += 2*sq - float64(imag(x[0])) - pq
	s.SumYII += syii
	s.SumYQQ += syqq
	s.SumYIQ += syiq
}

// EffectiveN returns how many samples the statistics really rest on,
// weighted by power: (Σ|x'|²)² / Σ|x'|⁴. For white Gaussian noise it is
// about N/2; when a short strong burst carries most of the power it is
// about the burst's length, however many quieter samples surround it.
// Imbalance's scatter (about 1.2/√N for noise) grows as 1/√EffectiveN: the
// pseudo-covariance of 384 samples of a 5 MHz OFDM burst 55 dB over the
// noise scatters by a few percent of its power, an "imbalance" whose
// correction would put an image 25–30 dB under the burst, over the noise.
// It is 0 when nothing is accumulated.
func (s IQStats) EffectiveN() float64 {
	p := s.SumP
	if !(s.SumP2 > 0) {
		return 0
	}
	return p * p / s.SumP2
}

// Scale multiplies every sum by f: Scale(0.5) before each Add of n samples
// weighs the past with a half-life of n samples (exponential forgetting,
// to follow an imbalance that changes with the receiver's gain or
// temperature). It panics with "dsp: ..." unless 0 ≤ f ≤ 1.
func (s *IQStats) Scale(f float64) {
	if !(f >= 0 && f <= 1) {
		panic(fmt.Sprintf("dsp: IQStats scale %v outside [0, 1]", f))
	}
	s.N *= f
	s.SumI *= f
	s.SumQ *= f
	s.SumP *= f
	s.SumP2 *= f
	s.Pairs *= f
	s.SumYI *= f
	s.SumYQ *= f
	s.SumYII *= f
	s.SumYQQ *= f
	s.SumYIQ *= f
}

// Imbalance estimates the receiver's IQ imbalance blindly from the
// accumulated statistics. After DC removal (the means of I' and Q'
// subtracted), a proper (circular) signal, which receiver noise and every
// licensed or ISM emission averaged over many samples is, has E[I²] =
// E[Q²] = P and E[I·Q] = 0, so in the model of IQImbalance
//
//	E[I'²] = P,  E[Q'²] = g²·P,  E[I'·Q'] = g·P·sin φ
//
// and
//
//	g = √(E[Q'²] / E[I'²]),  sin φ = E[I'·Q'] / √(E[I'²]·E[Q'²])
//
// (the statistics of a Gram-Schmidt orthogonalisation of Q against I:
// F. E. Churchill, G. W. Ogar, B. J. Thompson, "The correction of I and Q
// errors in a coherent processor", IEEE Trans. AES-17(1), 1981; L.
// Anttila, M. Valkama, M. Renfors, "Circularity-based I/Q imbalance
// compensation in wideband direct-conversion receivers", IEEE Trans.
// Vehicular Technology 57(4), 2008).
//
// The expectations are those of y[n] = x'[n] + x'[n−1] (its mean
// removed), which the model maps alike,
// as a real filter commutes with the imbalance's real 2×2 map of I and
// Q (E[y_I²] = 2·(E[I'²] + E[I'[n]·I'[n−1]]) and so on). The filter
// weighs the spectrum by cos²(π·f/fs): 1 at DC, 0.5 at fs/4, nothing at
// ±fs/2. Only a signal whose mirror
// image lands on itself biases the estimate, as the image of a signal off
// DC rotates at twice its offset and averages out; the two frequencies
// that are their own mirror are DC and ±fs/2, and the capture's edges, in
// the anti-alias filters' roll-off where aliased neighbours and the I and
// Q filters' mismatch lie, are where the improper part of a real HackRF
// capture was: lte-tdd-b39-1890M-hackrf's 65536-sample blocks read
// −0.16 to −0.64 dB and −4.2° to +1.9° without the filter, from the 0.6
// MHz under ±fs/2, and −0.13 to +0.09 dB and −0.9° to +0.5° with it. On
// white noise the filter costs √1.5 in scatter: the estimates scatter by
// about 1.2/√N in sin φ and in ln g (0.005 rad, 0.04 dB at N = 65536):
// the image a correction by them leaves stays near 45 dB under the
// signal. A signal that is not proper over the samples (a real-valued or
// BPSK signal centred on DC, a tone at DC after a DC offset that changes)
// biases the estimate; a DC offset that holds does not (the means are
// removed), nor a proper OFDM carrier across DC (TestIQEstimateCarrierAcrossDC).
//
// With fewer than two samples, no variance in I' or Q' (zeros, DC alone),
// I' and Q' fully correlated or any sum not finite, it returns
// IQImbalance{Gain: 1}: nothing to correct, or nothing that can be.
func (s IQStats) Imbalance() IQImbalance {
	balanced := IQImbalance{Gain: 1}
	if !(s.N >= 2) || !(s.Pairs >= 1) {
		return balanced
	}
	mi, mq := s.SumYI/s.Pairs, s.SumYQ/s.Pairs // y's means
	pii := s.SumYII/s.Pairs - mi*mi
	pqq := s.SumYQQ/s.Pairs - mq*mq
	piq := s.SumYIQ/s.Pairs - mi*mq
	if !(pii > 0) || !(pqq > 0) || math.IsInf(pii, 0) || math.IsInf(pqq, 0) || math.IsNaN(piq) || math.IsInf(piq, 0) {
		return balanced
	}
	sin := piq / math.Sqrt(pii*pqq)
	if !(math.Abs(sin) < 1) {
		return balanced
	}
	return IQImbalance{Gain: math.Sqrt(pqq / pii), PhaseRad: math.Asin(sin)}
}

// EstimateIQImbalance estimates the IQ imbalance of the receiver that
// recorded x from x alone (IQStats.Imbalance over x).
func EstimateIQImbalance(x []complex64) IQImbalance {
	var s IQStats
	s.Add(x)
	return s.Imbalance()
}

// CorrectIQ sets dst to src with the IQ imbalance m undone and returns dst:
//
//	I = a·I',  Q = a·(Q'/g − I'·sin φ) / cos φ,  a = √((1 + g²)/2)
//
// which maps the model of IQImbalance back to I and Q up to the common
// scale a, chosen so a proper signal keeps its power (E[|x|²] is
// (1 + g²)·P before and 2·a²·P after). The image at −f falls by the image
// rejection of the error left in m. A DC offset is mapped like any sample,
// so it stays at DC. dst may be src (in place); a nil dst is allocated. It
// panics with "dsp: ..." when len(dst) != len(src), or when m's gain is not
// positive and finite or its phase not within (−π/2, π/2).
func CorrectIQ(dst, src []complex64, m IQImbalance) []complex64 {
	if !(m.Gain > 0) || math.IsInf(m.Gain, 0) || !(math.Abs(m.PhaseRad) < math.Pi/2) {
		panic(fmt.Sprintf("dsp: CorrectIQ gain %v, phase %v rad", m.Gain, m.PhaseRad))
	}
	if dst == nil {
		dst = make([]complex64, len(src))
	}
	if len(dst) != len(src) {
		panic(fmt.Sprintf("dsp: CorrectIQ dst length %d != src length %d", len(dst), len(src)))
	}
	g := m.Gain
	s, c := math.Sincos(m.PhaseRad)
	a := math.Sqrt((1 + g*g) / 2)
	ci := float32(a)            // I' → I
	cqq := float32(a / (g * c)) // Q' → Q
	cqi := float32(-a * s / c)  // I' → Q
	for n, v := range src {
		i, q := real(v), imag(v)
		dst[n] = complex(ci*i, cqq*q+cqi*i)
	}
	return dst
}
