package synth

import (
	"math"
	"math/cmplx"
	"math/rand/v2"

	"gonum.org/v1/gonum/dsp/fourier"
)

// Kinds of OFDM symbol content.
const (
	symQPSK = iota // random QPSK on every subcarrier
	symSTF         // 802.11 short training: every 4th subcarrier, 0.8 µs periodic
	symLTF         // 802.11 long training: BPSK on every subcarrier
	symZC          // Zadoff-Chu sequence of root symSpec.root, as DJI DroneID
)

// symSpec is one OFDM symbol: content, cyclic prefix and total length as
// fractions of the FFT length (so they scale with the native rate).
type symSpec struct {
	kind    int
	root    int
	cpFrac  float64
	lenFrac float64 // total length including the prefix, in FFT lengths
}

// ofdmShape is an OFDM modem: nsc used subcarriers (DC left empty) at scsHz.
type ofdmShape struct {
	scsHz float64
	nsc   int
	pre   []symSpec // sent once at the start of each burst
	body  []symSpec // then repeated to fill the burst
}

func nextPow2(n int) int {
	p := 1
	for p < n {
		p <<= 1
	}
	return p
}

// renderOFDM renders the burst at a native rate N*scs (N a power of two, at
// least 1.5 fs), keeps only subcarriers that land inside ±0.47 fs, and
// resamples to fs with cubic interpolation.
func renderOFDM(buf []complex64, s ofdmShape, offsetHz, fs float64, rng *rand.Rand, sc *ofdmScratch) float64 {
	bw := float64(s.nsc) * s.scsHz
	n := nextPow2(int(math.Ceil(math.Max(1.5*fs, 1.25*bw) / s.scsHz)))
	r0 := float64(n) * s.scsHz
	kOff := int(math.Round(offsetHz / s.scsHz))
	resid := offsetHz - float64(kOff)*s.scsHz
	half := s.nsc / 2
	visible := 0
	vis := func(m int) bool {
		return math.Abs(float64(m+kOff)*s.scsHz) <= 0.47*fs && m+kOff > -n/2 && m+kOff < n/2
	}
	for m := -half; m <= half; m++ {
		if m != 0 && vis(m) {
			visible++
		}
	}
	if visible == 0 {
		return 0
	}
	if sc.fft == nil || sc.fft.Len() != n {
		sc.fft = fourier.NewCmplxFFT(n)
		sc.X = make([]complex128, n)
		sc.x = make([]complex128, n)
	}
	fft, X, x := sc.fft, sc.X, sc.x
	need := int(float64(len(buf))*r0/fs) + 4
	native := sc.native[:0]
	qpsk := func() complex128 {
		return complex(float64(2*rng.IntN(2)-1), float64(2*rng.IntN(2)-1)) / math.Sqrt2
	}
	for i := 0; len(native) < need; i++ {
		var sp symSpec
		if i < len(s.pre) {
			sp = s.pre[i]
		} else if len(s.body) > 0 {
			sp = s.body[(i-len(s.pre))%len(s.body)]
		} else {
			break
		}
		clear(X)
		for m := -half; m <= half; m++ {
			if m == 0 {
				continue
			}
			var v complex128
			switch sp.kind {
			case symQPSK:
				v = qpsk()
			case symSTF:
				if m%4 == 0 {
					v = qpsk() * 2 // every 4th carrier, boosted to the same symbol power
				}
			case symLTF:
				v = complex(float64(2*rng.IntN(2)-1), 0)
			case symZC:
				// Subcarrier m carries z[m+nsc/2] of the nsc+1 long
				// sequence (DC's element unsent), as DJI DroneID does
				// (checked against the Mavic Air 2 recording:
				// dsp/classify's ZC feature reads 0.74–0.98 with this
				// mapping, 0.42–0.65 with the elements packed over DC).
				q := float64(m + half)
				v = cmplx.Exp(complex(0, -math.Pi*float64(sp.root)*q*(q+1)/float64(s.nsc+1)))
			}
			if vis(m) {
				X[(m+kOff+n)%n] = v
			}
		}
		fft.Sequence(x, X)
		cp := int(math.Round(sp.cpFrac * float64(n)))
		l := int(math.Round(sp.lenFrac * float64(n)))
		for j := 0; j < l; j++ {
			v := x[((j-cp)%n+n)%n]
			native = append(native, complex64(v))
		}
	}
	sc.native = native
	resample(buf, native, r0, fs)
	mix(buf, resid, fs, 0)
	return float64(visible) / float64(s.nsc)
}

// ofdmScratch holds buffers reused across the bursts of one generator call.
type ofdmScratch struct {
	fft    *fourier.CmplxFFT
	X, x   []complex128
	native []complex64
}

// resample fills dst (at fs) from src (at r0, same start time) by
// Catmull-Rom cubic interpolation; samples beyond src are zero.
func resample(dst, src []complex64, r0, fs float64) {
	at := func(i int) complex64 {
		if i < 0 || i >= len(src) {
			return 0
		}
		return src[i]
	}
	step := r0 / fs
	for i := range dst {
		pos := float64(i) * step
		j := int(pos)
		mu := float32(pos - float64(j))
		p0, p1, p2, p3 := at(j-1), at(j), at(j+1), at(j+2)
		m := complex(mu, 0)
		dst[i] = p1 + 0.5*m*(p2-p0+m*(2*p0-5*p1+4*p2-p3+m*(3*(p1-p2)+p3-p0)))
	}
}

// rrc is the root-raised-cosine impulse response at t chips, roll-off a.
func rrc(t, a float64) float64 {
	switch {
	case t == 0:
		return 1 - a + 4*a/math.Pi
	case math.Abs(math.Abs(t)-1/(4*a)) < 1e-9:
		return a / math.Sqrt2 * ((1+2/math.Pi)*math.Sin(math.Pi/(4*a)) + (1-2/math.Pi)*math.Cos(math.Pi/(4*a)))
	}
	return (math.Sin(math.Pi*t*(1-a)) + 4*a*t*math.Cos(math.Pi*t*(1+a))) /
		(math.Pi * t * (1 - 16*a*a*t*t))
}

// renderRRC renders RRC-filtered QPSK chips at chipHz, roll-off a.
func renderRRC(buf []complex64, chipHz, a, offsetHz, fs float64, rng *rand.Rand) {
	const span = 6
	sps := max(4, int(math.Ceil(2*fs/chipHz)))
	r0 := chipHz * float64(sps)
	nchips := int(float64(len(buf))*chipHz/fs) + 2*span + 4
	taps := make([]float64, 2*span*sps+1)
	for i := range taps {
		taps[i] = rrc(float64(i-span*sps)/float64(sps), a)
	}
	chips := make([]complex64, nchips)
	for i := range chips {
		chips[i] = complex(float32(2*rng.IntN(2)-1), float32(2*rng.IntN(2)-1))
	}
	native := make([]complex64, (nchips-2*span)*sps)
	for i := range native {
		// native[i] is at chip time i/sps + span (skip the filter's ramp-up).
		c := i/sps + span
		var acc complex64
		for k := c - span; k <= c+span; k++ {
			ti := (k-c)*sps - i%sps + span*sps
			if ti < 0 || ti >= len(taps) || k < 0 || k >= nchips {
				continue
			}
			acc += chips[k] * complex(float32(taps[ti]), 0)
		}
		native[i] = acc
	}
	resample(buf, native, r0, fs)
	mix(buf, offsetHz, fs, 0)
}
