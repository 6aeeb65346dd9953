package synth

import (
	"math"
	"math/rand/v2"
)

// DefaultNoisePower is the total white noise power (E|x|^2, full scale 1)
// assumed when Params.NoisePower is zero.
const DefaultNoisePower = 1e-3

// Params sets where and how strongly a waveform is rendered into dst.
type Params struct {
	SampleRateHz float64 // complex samples per second of dst
	OffsetHz     float64 // carrier (or hop-centre) offset from DC
	// SNRDB is the signal to noise ratio in the signal's own occupied
	// bandwidth, against white noise of total power NoisePower (see package doc).
	SNRDB float64
	// PowerFS, when positive, overrides SNRDB: the mean power E|x|^2 of each
	// burst while on, full scale |x| = 1.
	PowerFS float64
	// StartSample is the index in dst of the transmission's first sample; it
	// may be negative (the transmission began before dst) or beyond len(dst).
	StartSample int
	// DurationSamples bounds the transmission; 0 means until the end of dst.
	DurationSamples int
	Seed            uint64  // seeds the content of every burst (with the burst index)
	NoisePower      float64 // total noise power over SampleRateHz; default DefaultNoisePower
	// BandwidthHz picks the channel bandwidth where a class has several
	// (LTE 1.4..20 MHz, NR 5..100 MHz, Wi-Fi 20/40 MHz, drone video 10/20 MHz).
	BandwidthHz float64
	SCSHz       float64 // NR subcarrier spacing, 15e3 or 30e3 (default 30e3)
	TDD         bool    // LTE: uplink subframes of TDD configuration 1 only
	// BurstLenS and BurstPeriodS override the class's default burst timing
	// (e.g. a Wi-Fi packet every 102.4 ms); 0 keeps the default.
	BurstLenS    float64
	BurstPeriodS float64
	// HopSpanHz is the span hoppers spread over, centred on OffsetHz; 0 keeps
	// the class default (Bluetooth 79 MHz, RC 80 MHz, drone video no hopping).
	HopSpanHz float64
}

// Truth is the ground truth of one burst, or of a run of back-to-back bursts
// on the same frequency. Frequencies are baseband (relative to DC of dst).
type Truth struct {
	Class       string  `json:"class"`
	StartSample int     `json:"start_sample"` // index in dst; may be negative for a burst begun earlier
	SampleCount int     `json:"sample_count"`
	FreqLowHz   float64 `json:"freq_low_hz"`
	FreqHighHz  float64 `json:"freq_high_hz"`
	SNRDB       float64 `json:"snr_db"`
}

// Noise adds complex white Gaussian noise of total power E|x|^2 = power to dst.
func Noise(dst []complex64, rng *rand.Rand, power float64) {
	s := math.Sqrt(power / 2)
	for i := range dst {
		dst[i] += complex(float32(s*rng.NormFloat64()), float32(s*rng.NormFloat64()))
	}
}

// burst is one scheduled burst: start sample in dst, length, and band.
type burst struct {
	start, n int
	index    int64   // burst number since the transmission began
	offsetHz float64 // carrier offset of this burst (after hopping)
	lowHz    float64 // occupied band relative to offsetHz
	highHz   float64
}

// renderFunc fills buf (len b.n, zeroed) with the burst at baseband, already
// shifted to b.offsetHz, and returns the fraction of the signal's power that
// it rendered (1 unless part of the band was left out).
type renderFunc func(buf []complex64, b burst, fs float64, rng *rand.Rand) float64

// schedule describes periodic bursts: lengths and periods in samples.
type schedule struct {
	lenS, periodS float64 // seconds
	phaseS        float64 // first burst begins this long after the transmission starts
	merge         bool    // back-to-back bursts form one truth record
}

func (p Params) noisePower() float64 {
	if p.NoisePower > 0 {
		return p.NoisePower
	}
	return DefaultNoisePower
}

// onPower is the mean burst power for an occupied bandwidth bwHz.
func (p Params) onPower(bwHz float64) float64 {
	if p.PowerFS > 0 {
		return p.PowerFS
	}
	return math.Pow(10, p.SNRDB/10) * p.noisePower() * bwHz / p.SampleRateHz
}

func (p Params) snrDB(bwHz float64) float64 {
	if p.PowerFS > 0 {
		return 10 * math.Log10(p.PowerFS*p.SampleRateHz/(p.noisePower()*bwHz))
	}
	return p.SNRDB
}

func (p Params) timing(def schedule) schedule {
	if p.BurstLenS > 0 {
		def.lenS = p.BurstLenS
	}
	if p.BurstPeriodS > 0 {
		def.periodS = p.BurstPeriodS
	}
	if def.lenS > def.periodS {
		def.lenS = def.periodS
	}
	def.merge = def.merge && def.lenS >= def.periodS
	return def
}

// burstRNG is the content generator of burst index of a transmission.
func burstRNG(seed uint64, index int64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(index)^0x9e3779b97f4a7c15))
}

// hop returns the carrier offset of burst index for a hopper over span with
// channels spaced stepHz.
func hop(p Params, index int64, spanHz, stepHz float64) float64 {
	if spanHz <= 0 || stepHz <= 0 {
		return p.OffsetHz
	}
	n := int(spanHz/stepHz + 0.5)
	if n < 1 {
		n = 1
	}
	r := rand.New(rand.NewPCG(p.Seed^0xa5a5, uint64(index)))
	ch := r.IntN(n)
	return p.OffsetHz + (float64(ch)-float64(n-1)/2)*stepHz
}

// generate renders every burst of the schedule that overlaps dst and the
// band ±fs/2, and returns their truth.
func generate(dst []complex64, p Params, class string, sch schedule, lowHz, highHz float64,
	hopFn func(index int64) float64, render renderFunc) []Truth {
	fs := p.SampleRateHz
	if fs <= 0 || len(dst) == 0 || sch.periodS <= 0 || sch.lenS <= 0 {
		return nil
	}
	period := sch.periodS * fs
	blen := int(math.Round(sch.lenS * fs))
	if blen < 1 {
		blen = 1
	}
	phase := sch.phaseS * fs
	end := len(dst) // exclusive end of the transmission, in dst indices
	if p.DurationSamples > 0 && p.StartSample+p.DurationSamples < end {
		end = p.StartSample + p.DurationSamples
	}
	// First burst that may end after sample 0.
	k0 := int64(math.Floor((float64(-p.StartSample) - phase - float64(blen)) / period))
	if k0 < 0 {
		k0 = 0
	}
	bw := highHz - lowHz
	on := p.onPower(math.Max(bw, 1))
	snr := p.snrDB(math.Max(bw, 1))
	var truth []Truth
	var buf []complex64
	for k := k0; ; k++ {
		start := p.StartSample + int(math.Round(phase+float64(k)*period))
		if start >= end {
			break
		}
		n := blen
		if start+n > end {
			n = end - start
		}
		if start+n <= 0 {
			continue
		}
		b := burst{start: start, n: n, index: k, offsetHz: p.OffsetHz, lowHz: lowHz, highHz: highHz}
		if hopFn != nil {
			b.offsetHz = hopFn(k)
		}
		lo, hi := b.offsetHz+lowHz, b.offsetHz+highHz
		if hi < -fs/2 || lo > fs/2 {
			continue
		}
		if cap(buf) < blen {
			buf = make([]complex64, blen)
		}
		full := buf[:blen]
		clear(full)
		frac := render(full, b, fs, burstRNG(p.Seed, k))
		scaleTo(full[:n], on*frac)
		i0 := max(0, -start)
		i1 := min(n, len(dst)-start)
		for i := i0; i < i1; i++ {
			dst[start+i] += full[i]
		}
		t := Truth{Class: class, StartSample: start, SampleCount: n, FreqLowHz: lo, FreqHighHz: hi, SNRDB: snr}
		if l := len(truth) - 1; sch.merge && l >= 0 && truth[l].StartSample+truth[l].SampleCount >= start-1 &&
			truth[l].FreqLowHz == lo && truth[l].FreqHighHz == hi {
			truth[l].SampleCount = start + n - truth[l].StartSample
			continue
		}
		truth = append(truth, t)
	}
	return truth
}

// scaleTo scales x so that its mean power is power.
func scaleTo(x []complex64, power float64) {
	var s float64
	for _, v := range x {
		s += float64(real(v))*float64(real(v)) + float64(imag(v))*float64(imag(v))
	}
	if s == 0 || len(x) == 0 {
		return
	}
	g := float32(math.Sqrt(power * float64(len(x)) / s))
	for i := range x {
		x[i] *= complex(g, 0)
	}
}

// overlapFrac is the fraction of [lo,hi] inside ±fs/2.
func overlapFrac(lo, hi, fs float64) float64 {
	if hi <= lo {
		if lo >= -fs/2 && lo <= fs/2 {
			return 1
		}
		return 0
	}
	a, b := math.Max(lo, -fs/2), math.Min(hi, fs/2)
	if b <= a {
		return 0
	}
	return (b - a) / (hi - lo)
}

// mix multiplies x by exp(j2π f n/fs), n counted from n0.
func mix(x []complex64, f, fs float64, n0 int) {
	if f == 0 {
		return
	}
	w := 2 * math.Pi * f / fs
	// Recompute exactly every 1024 samples to bound rounding drift.
	for i := 0; i < len(x); i += 1024 {
		s, c := math.Sincos(w * float64(n0+i))
		ds, dc := math.Sincos(w)
		ph := complex(c, s)
		step := complex(dc, ds)
		for j := i; j < min(i+1024, len(x)); j++ {
			x[j] *= complex64(ph)
			ph *= step
		}
	}
}
