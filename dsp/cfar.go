package dsp

import (
	"fmt"

	"gonum.org/v1/gonum/stat/distuv"
)

// CFAR is a constant-false-alarm-rate detector across frequency for a PSD
// that is the mean of frames periodograms (Richards, "Fundamentals of Radar
// Signal Processing", 2nd ed., ch. 7).
//
// In noise of mean level σ each bin is Gamma(K, σ/K), K = frames, that is
// σ/(2K) times chi-squared with 2K degrees of freedom. Detect runs in one of
// two modes:
//
//   - With a known floor (from NoiseFloor or FloorPerBin): bin k is a hit
//     when psd[k] > T·floor[k], T = Q_{χ²(2K)}(1 - Pfa)/(2K), the
//     chi-squared quantile. Threshold returns T.
//   - Without (floor nil), cell-averaging: the level is the mean Z of the
//     train bins on each side of bin k beyond guard bins (the window is
//     moved inward at the ends). With M = 2·train independent cells,
//     psd[k]/Z is F(2K, 2MK) distributed, so the hit threshold is
//     T_CA = Q_{F(2K,2MK)}(1 - Pfa), exact for independent bins (a
//     rectangular window; windowed bins are correlated with their
//     neighbours, which guard ≥ 2 absorbs). ThresholdCA returns T_CA.
//
// The quantiles come from gonum's stat/distuv at construction; Detect is
// allocation-free. A CFAR is safe for concurrent use.
type CFAR struct {
	n, guard, train, frames int
	pfa                     float64
	t, tCA                  float32
}

// NewCFAR returns a CFAR for PSDs of n bins, each the mean of frames
// periodograms, with design false-alarm probability per bin pfa, guard
// bins and train bins on each side for the cell-averaging mode. It panics
// with "dsp: ..." unless n ≥ 1, 0 < pfa < 1, guard ≥ 0, train ≥ 1,
// frames ≥ 1 and 2·(guard+train)+1 ≤ n.
func NewCFAR(n int, pfa float64, guard, train int, frames int) *CFAR {
	if n < 1 || !(pfa > 0 && pfa < 1) || guard < 0 || train < 1 || frames < 1 || 2*(guard+train)+1 > n {
		panic(fmt.Sprintf("dsp: CFAR n=%d pfa=%v guard=%d train=%d frames=%d out of range", n, pfa, guard, train, frames))
	}
	k := float64(frames)
	m := float64(2 * train)
	t := distuv.ChiSquared{K: 2 * k}.Quantile(1-pfa) / (2 * k)
	tCA := distuv.F{D1: 2 * k, D2: 2 * m * k}.Quantile(1 - pfa)
	return &CFAR{n: n, guard: guard, train: train, frames: frames, pfa: pfa, t: float32(t), tCA: float32(tCA)}
}

// Threshold returns the linear factor T over a known floor (see CFAR).
func (c *CFAR) Threshold() float64 { return float64(c.t) }

// ThresholdCA returns the linear factor over the cell average (see CFAR).
func (c *CFAR) ThresholdCA() float64 { return float64(c.tCA) }

// Pfa returns the design false-alarm probability per bin.
func (c *CFAR) Pfa() float64 { return c.pfa }

// Len returns the number of bins.
func (c *CFAR) Len() int { return c.n }

// Detect writes per-bin hits to dst and returns it; a nil dst is allocated.
// With floor non-nil a bin is a hit when psd[k] > Threshold()·floor[k];
// with floor nil the cell-averaging mode is used (see CFAR). It panics with
// "dsp: ..." if psd, a non-nil dst or a non-nil floor is not Len() long.
func (c *CFAR) Detect(dst []bool, psd []float32, floor []float32) []bool {
	n := c.n
	if len(psd) != n {
		panic(fmt.Sprintf("dsp: CFAR PSD length %d, want %d", len(psd), n))
	}
	if dst == nil {
		dst = make([]bool, n)
	} else if len(dst) != n {
		panic(fmt.Sprintf("dsp: CFAR destination length %d, want %d", len(dst), n))
	}
	if floor != nil {
		if len(floor) != n {
			panic(fmt.Sprintf("dsp: CFAR floor length %d, want %d", len(floor), n))
		}
		t := c.t
		floor = floor[:n]
		dst = dst[:n]
		for k, v := range psd {
			dst[k] = v > t*floor[k]
		}
		return dst
	}
	c.detectCA(dst, psd)
	return dst
}

// detectCA is the cell-averaging mode. The training sum is kept as running
// sums over a prefix array of float64, recomputed from the prefix for each
// cell to avoid drift.
func (c *CFAR) detectCA(dst []bool, psd []float32) {
	n, g, tr := c.n, c.guard, c.train
	t := float64(c.tCA) / float64(2*tr)
	// Running window sums: left window [k-g-tr, k-g), right (k+g, k+g+tr].
	// Cells near the ends use a window shifted inward: the 2·tr cells
	// nearest k outside the guard, all on one side if need be.
	var left, right float64
	lo := func(k int) int { return k - g - tr } // start of left window
	// Initial windows for k = 0 are computed directly per cell at the ends.
	edge := g + tr
	for k := range n {
		if k < edge || k >= n-edge {
			dst[k] = float64(psd[k]) > t*edgeSum(psd, k, g, tr)
			continue
		}
		if k == edge || left == 0 && right == 0 {
			left, right = 0, 0
			for i := lo(k); i < k-g; i++ {
				left += float64(psd[i])
			}
			for i := k + g + 1; i <= k+g+tr; i++ {
				right += float64(psd[i])
			}
		} else {
			left += float64(psd[k-g-1]) - float64(psd[k-g-tr-1])
			right += float64(psd[k+g+tr]) - float64(psd[k+g])
		}
		dst[k] = float64(psd[k]) > t*(left+right)
	}
}

// edgeSum returns the sum of 2·tr training cells for bin k near an end:
// the cells outside the guard on both sides where they exist, the missing
// ones taken further out on the other side.
func edgeSum(psd []float32, k, g, tr int) float64 {
	n := len(psd)
	var s float64
	need := 2 * tr
	// Left cells available.
	l := min(tr, max(0, k-g))
	r := min(tr, max(0, n-1-k-g))
	if l < tr {
		r = min(need-l, max(0, n-1-k-g))
	} else if r < tr {
		l = min(need-r, max(0, k-g))
	}
	for i := 1; i <= l; i++ {
		s += float64(psd[k-g-i])
	}
	for i := 1; i <= r; i++ {
		s += float64(psd[k+g+i])
	}
	if l+r == 0 {
		return 0
	}
	return s * float64(need) / float64(l+r)
}

// Hysteresis debounces per-bin hits in time: a bin turns on after on
// consecutive hits and off after off consecutive misses.
//
// A Hysteresis is not safe for concurrent use.
type Hysteresis struct {
	on, off int
	state   []bool
	run     []int32 // consecutive hits while off, misses while on
}

// NewHysteresis returns a Hysteresis for n bins, all off. It panics with
// "dsp: ..." unless n ≥ 0, on ≥ 1 and off ≥ 1.
func NewHysteresis(n, on, off int) *Hysteresis {
	if n < 0 || on < 1 || off < 1 {
		panic(fmt.Sprintf("dsp: Hysteresis n=%d on=%d off=%d out of range", n, on, off))
	}
	return &Hysteresis{on: on, off: off, state: make([]bool, n), run: make([]int32, n)}
}

// Update takes one frame's hits and returns the debounced on/off state
// per bin. The returned slice is owned by the Hysteresis and changes with
// the next Update. It panics with "dsp: ..." if len(hits) is not n.
func (h *Hysteresis) Update(hits []bool) []bool {
	if len(hits) != len(h.state) {
		panic(fmt.Sprintf("dsp: Hysteresis hits length %d, want %d", len(hits), len(h.state)))
	}
	on, off := int32(h.on), int32(h.off)
	run := h.run[:len(hits)]
	state := h.state[:len(hits)]
	for k, hit := range hits {
		if hit == state[k] {
			run[k] = 0
			continue
		}
		run[k]++
		if (hit && run[k] >= on) || (!hit && run[k] >= off) {
			state[k] = hit
			run[k] = 0
		}
	}
	return state
}

// State returns the current per-bin state (owned by the Hysteresis).
func (h *Hysteresis) State() []bool { return h.state }

// Reset turns every bin off.
func (h *Hysteresis) Reset() {
	clear(h.state)
	clear(h.run)
}
