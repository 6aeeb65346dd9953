package synth

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Artefacts are HackRF-like receiver impairments applied by Apply. The zero
// value applies nothing.
type Artefacts struct {
	SampleRateHz float64 // needed for SpursHz
	// DCSpikeDB is the power of the LO leakage at DC relative to the block's
	// mean power, in dB; 0 means no spike.
	DCSpikeDB float64
	// IQGainImbalanceDB and IQPhaseDeg distort Q relative to I:
	// Q' = g (Q cos φ + I sin φ) with g = 10^(dB/20).
	IQGainImbalanceDB, IQPhaseDeg float64
	// IQSkewS delays Q relative to I by this many seconds (needs
	// SampleRateHz), before the imbalance above: the mismatch of the I and
	// Q paths' baseband filters, which makes the phase imbalance depend on
	// frequency, φ(f) = IQPhaseDeg − 360°·f·IQSkewS (f in Hz from DC; 0.42
	// ns: ±1.5° at ±10 MHz). A 33-tap windowed-sinc fractional delay, flat
	// within 0.1 dB to 0.45·SampleRateHz; |IQSkewS| at most one sample.
	IQSkewS float64
	// Quantise8Bit rounds I and Q to the HackRF's signed 8-bit grid (full
	// scale 1 = 128 LSB) and clips at full scale, as the ci8 stream does.
	Quantise8Bit bool
	SpursHz      []float64 // baseband frequencies of spurious tones
	SpurDB       float64   // each spur's power relative to the block's mean power, dB
	// QuantisePeakLSB, when positive, sets the receiver's gain before the
	// 8-bit quantisation (which it implies): the block is scaled so that
	// the 99.9th percentile of |I| and |Q| together stands at this many
	// LSB of 128 (16: a HackRF at a low gain, the signal's peaks in 5
	// bits with the sign, a noise floor 40 dB under them below one LSB).
	// The scale is applied after the other artefacts, as a gain stage
	// before the ADC would; a block of zeros stays zeros.
	QuantisePeakLSB float64
}

// Apply applies a to dst in place. rng sets the phases of the DC spike and
// spurs (a nil rng uses zero phases).
func Apply(dst []complex64, a Artefacts, rng *rand.Rand) {
	if len(dst) == 0 {
		return
	}
	var mean float64
	if a.DCSpikeDB != 0 || len(a.SpursHz) > 0 {
		for _, v := range dst {
			mean += float64(real(v))*float64(real(v)) + float64(imag(v))*float64(imag(v))
		}
		mean /= float64(len(dst))
	}
	phase := func() float64 {
		if rng == nil {
			return 0
		}
		return 2 * math.Pi * rng.Float64()
	}
	if a.DCSpikeDB != 0 {
		amp := math.Sqrt(mean * math.Pow(10, a.DCSpikeDB/10))
		s, c := math.Sincos(phase())
		dc := complex64(complex(amp*c, amp*s))
		for i := range dst {
			dst[i] += dc
		}
	}
	if len(a.SpursHz) > 0 && a.SampleRateHz > 0 {
		amp := math.Sqrt(mean * math.Pow(10, a.SpurDB/10))
		tmp := make([]complex64, len(dst))
		for _, f := range a.SpursHz {
			s, c := math.Sincos(phase())
			for i := range tmp {
				tmp[i] = complex64(complex(amp*c, amp*s))
			}
			mix(tmp, f, a.SampleRateHz, 0)
			for i := range dst {
				dst[i] += tmp[i]
			}
		}
	}
	if a.IQSkewS != 0 && a.SampleRateHz > 0 {
		skewQ(dst, a.IQSkewS*a.SampleRateHz)
	}
	if a.IQGainImbalanceDB != 0 || a.IQPhaseDeg != 0 {
		g := math.Pow(10, a.IQGainImbalanceDB/20)
		s, c := math.Sincos(a.IQPhaseDeg * math.Pi / 180)
		gs, gc := float32(g*s), float32(g*c)
		for i, v := range dst {
			dst[i] = complex(real(v), gc*imag(v)+gs*real(v))
		}
	}
	if a.QuantisePeakLSB > 0 {
		if pk := peakIQ(dst); pk > 0 {
			g := float32(a.QuantisePeakLSB / 128 / pk)
			for i := range dst {
				dst[i] *= complex(g, 0)
			}
		}
	}
	if a.Quantise8Bit || a.QuantisePeakLSB > 0 {
		q := func(x float32) float32 {
			v := math.Round(float64(x) * 128)
			v = math.Max(-128, math.Min(127, v))
			return float32(v / 128)
		}
		for i, v := range dst {
			dst[i] = complex(q(real(v)), q(imag(v)))
		}
	}
}

// peakIQ is the 99.9th percentile of |I| and |Q| over x (2·len(x) values).
func peakIQ(x []complex64) float64 {
	a := make([]float64, 0, 2*len(x))
	for _, v := range x {
		a = append(a, math.Abs(float64(real(v))), math.Abs(float64(imag(v))))
	}
	slices.Sort(a)
	return a[min(len(a)-1, len(a)*999/1000)]
}

// skewQ delays the Q of x by d samples (|d| ≤ 1) with a 33-tap
// Blackman-windowed sinc, I left as it is; the ends see zeros beyond x.
func skewQ(x []complex64, d float64) {
	const half = 16
	d = math.Max(-1, math.Min(1, d))
	var h [2*half + 1]float64
	var sum float64
	for k := range h {
		t := float64(k-half) - d
		sinc := 1.0
		if t != 0 {
			sinc = math.Sin(math.Pi*t) / (math.Pi * t)
		}
		u := (t + half + 1) / (2*half + 2) // Blackman over (−half−1, half+1)
		w := 0.42 - 0.5*math.Cos(2*math.Pi*u) + 0.08*math.Cos(4*math.Pi*u)
		h[k] = sinc * w
		sum += h[k]
	}
	q := make([]float64, len(x))
	for i, v := range x {
		q[i] = float64(imag(v))
	}
	for i := range x {
		var acc float64
		for k := range h {
			if j := i - (k - half); j >= 0 && j < len(q) {
				acc += h[k] * q[j]
			}
		}
		x[i] = complex(real(x[i]), float32(acc/sum))
	}
}
