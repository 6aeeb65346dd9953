package dsp

import (
	"fmt"
	"math"
)

// NotchDC replaces the bins within halfWidthBins of DC of a spectrum in
// natural FFT order (bin 0 is DC, bin n-1 is just below it) by the mean of
// the halfWidthBins+1 bins just outside the notch on each side, hiding a
// zero-IF receiver's DC spike (HackRF, RTL-SDR) from detection. A
// halfWidthBins of 0 replaces bin 0 only. It does nothing to an empty psd
// and panics with "dsp: ..." if halfWidthBins < 0 or the notch and its
// neighbours do not fit (2·(2h+1)+1 > len(psd) bins).
func NotchDC(psd []float32, halfWidthBins int) {
	n := len(psd)
	h := halfWidthBins
	if h < 0 {
		panic(fmt.Sprintf("dsp: NotchDC half width %d < 0", h))
	}
	if n == 0 {
		return
	}
	m := h + 1 // neighbours each side
	if 2*(h+m)+1 > n {
		panic(fmt.Sprintf("dsp: NotchDC half width %d too wide for %d bins", h, n))
	}
	var s float64
	for i := h + 1; i <= h+m; i++ {
		s += float64(psd[i]) + float64(psd[n-i])
	}
	v := float32(s / float64(2*m))
	psd[0] = v
	for i := 1; i <= h; i++ {
		psd[i] = v
		psd[n-i] = v
	}
}

// SpurMask learns persistent narrow spurs: receiver-internal tones (HackRF
// clock harmonics, for example) that sit in the same bin or two in every
// frame at a steady level. Update takes single-frame power spectra; a bin
// is a spur once, over at least minFrames frames, its mean power exceeds
// ratio times the median of the bin means around it and its coefficient of
// variation (std/mean) is below 0.5 (noise gives 1 for a single
// periodogram, on/off bursts more), within a run of at most maxWidth
// adjacent flagged bins (wider steady signals are real carriers, not spurs).
//
// A SpurMask is not safe for concurrent use.
type SpurMask struct {
	n, minFrames, maxWidth int
	ratio                  float64
	sum, sum2              []float64
	frames                 int
	mean, floor            []float32
	flag                   []bool
}

// NewSpurMask returns a SpurMask for spectra of n bins. Sensible values are
// minFrames 64, ratio 4 (6 dB) and maxWidth 3. It panics with "dsp: ..." on
// n < 8, minFrames < 2, ratio ≤ 1 or maxWidth < 1.
func NewSpurMask(n, minFrames int, ratio float64, maxWidth int) *SpurMask {
	if n < 8 || minFrames < 2 || !(ratio > 1) || maxWidth < 1 {
		panic(fmt.Sprintf("dsp: SpurMask n=%d minFrames=%d ratio=%v maxWidth=%d out of range", n, minFrames, ratio, maxWidth))
	}
	return &SpurMask{
		n: n, minFrames: minFrames, ratio: ratio, maxWidth: maxWidth,
		sum: make([]float64, n), sum2: make([]float64, n),
		mean: make([]float32, n), floor: make([]float32, n), flag: make([]bool, n),
	}
}

// Update adds one single-frame power spectrum. It panics with "dsp: ..." if
// len(frame) != n.
func (m *SpurMask) Update(frame []float32) {
	if len(frame) != m.n {
		panic(fmt.Sprintf("dsp: SpurMask frame length %d, want %d", len(frame), m.n))
	}
	for k, v := range frame {
		f := float64(v)
		m.sum[k] += f
		m.sum2[k] += f * f
	}
	m.frames++
}

// Frames returns the number of frames seen since the last Reset.
func (m *SpurMask) Frames() int { return m.frames }

// Spurs appends the spur bins found so far, in increasing order, to dst[:0]
// and returns it; none before minFrames frames.
func (m *SpurMask) Spurs(dst []int) []int {
	dst = dst[:0]
	if m.frames < m.minFrames {
		return dst
	}
	inv := 1 / float64(m.frames)
	for k := range m.mean {
		m.mean[k] = float32(m.sum[k] * inv)
	}
	span := min(4*m.maxWidth+1, m.n-1) | 1
	if span > m.n {
		span -= 2
	}
	FloorPerBinFrames(m.floor, m.mean, span, max(1, m.frames))
	for k := range m.flag {
		mu := m.sum[k] * inv
		v := m.sum2[k]*inv - mu*mu
		cv := math.Sqrt(math.Max(v, 0)) / mu
		m.flag[k] = mu > m.ratio*float64(m.floor[k]) && cv < 0.5
	}
	for k := 0; k < m.n; {
		if !m.flag[k] {
			k++
			continue
		}
		e := k
		for e < m.n && m.flag[e] {
			e++
		}
		if e-k <= m.maxWidth {
			for i := k; i < e; i++ {
				dst = append(dst, i)
			}
		}
		k = e
	}
	return dst
}

// Reset forgets everything learned.
func (m *SpurMask) Reset() {
	clear(m.sum)
	clear(m.sum2)
	m.frames = 0
}

// MaskSpurs replaces each bin of psd listed in spurs (in increasing order,
// as SpurMask.Spurs returns them) by the mean of the nearest bins on either
// side that are not listed. Indices outside psd are ignored.
func MaskSpurs(psd []float32, spurs []int) {
	n := len(psd)
	for i := 0; i < len(spurs); {
		k := spurs[i]
		if k < 0 || k >= n {
			i++
			continue
		}
		// Run of consecutive listed bins k..e-1.
		j := i + 1
		e := k + 1
		for j < len(spurs) && spurs[j] == e {
			j++
			e++
		}
		e = min(e, n)
		var s float32
		c := 0
		if k > 0 {
			s += psd[k-1]
			c++
		}
		if e < n {
			s += psd[e]
			c++
		}
		if c > 0 {
			v := s / float32(c)
			for b := k; b < e; b++ {
				psd[b] = v
			}
		}
		i = j
	}
}
