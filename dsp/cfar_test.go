package dsp

import (
	"math"
	"testing"
)

func TestCFARThresholdKnownValues(t *testing.T) {
	// K = 1: a bin is exponential, P(X > T·σ) = exp(-T), so T = -ln(Pfa).
	for _, pfa := range []float64{1e-2, 1e-3, 1e-6} {
		c := NewCFAR(64, pfa, 1, 4, 1)
		if got, want := c.Threshold(), -math.Log(pfa); math.Abs(got-want) > 1e-4*want {
			t.Errorf("K=1 pfa=%g: Threshold = %g, want %g", pfa, got, want)
		}
		// CA with K = 1, M cells: Pfa = (1 + T/M)^-M (Richards eq. 7.37)
		// with T/M our per-mean factor: T_CA = M·(Pfa^(-1/M) - 1).
		m := 8.0
		if got, want := c.ThresholdCA(), m*(math.Pow(pfa, -1/m)-1); math.Abs(got-want) > 1e-3*want {
			t.Errorf("K=1 pfa=%g: ThresholdCA = %g, want %g", pfa, got, want)
		}
	}
	// More averaging lowers the threshold towards 1.
	if a, b := NewCFAR(64, 1e-3, 1, 4, 4).Threshold(), NewCFAR(64, 1e-3, 1, 4, 64).Threshold(); !(b < a && b > 1) {
		t.Errorf("Threshold K=4 %g, K=64 %g: want 1 < K=64 < K=4", a, b)
	}
}

// TestCFARFalseAlarmRate measures the false-alarm rate on pure Gaussian
// noise (rectangular window, so bins are independent) in both modes and
// checks it is within a factor 2 of the design Pfa.
func TestCFARFalseAlarmRate(t *testing.T) {
	const n, frames = 1024, 2
	count := 1200 // PSDs: 1.2M bin trials, 120 expected hits at 1e-4
	if testing.Short() {
		count = 400
	}
	psds, level := coreNoisePSDs(2024, count, n, frames, 1)
	floor := make([]float32, n)
	for i := range floor {
		floor[i] = float32(level)
	}
	for _, pfa := range []float64{1e-3, 1e-4} {
		c := NewCFAR(n, pfa, 1, 16, frames)
		hits := make([]bool, n)
		var known, ca int
		for _, p := range psds {
			for _, h := range c.Detect(hits, p, floor) {
				if h {
					known++
				}
			}
			for _, h := range c.Detect(hits, p, nil) {
				if h {
					ca++
				}
			}
		}
		trials := float64(count * n)
		for _, m := range []struct {
			name string
			hits int
		}{{"known floor", known}, {"cell-averaging", ca}} {
			rate := float64(m.hits) / trials
			t.Logf("pfa %g %s: %d hits in %.0f trials, rate %.3g", pfa, m.name, m.hits, trials, rate)
			if rate < pfa/2 || rate > 2*pfa {
				t.Errorf("pfa %g %s: measured rate %.3g not within a factor 2", pfa, m.name, rate)
			}
		}
	}
}

func TestCFARDetectsTone(t *testing.T) {
	const n, frames = 512, 8
	x := coreNoise(8, frames*n, 1)
	tone := coreTone(frames*n, 100, n, 0.2) // 0.04 vs noise 1/512 per bin: +13 dB
	for i := range x {
		x[i] += tone[i]
	}
	w := NewWelch(n, WindowHann, 0)
	w.Write(x)
	psd := w.PSD(nil)
	c := NewCFAR(n, 1e-4, 2, 8, frames)
	floor := FloorPerBinFrames(nil, psd, 31, frames)
	for _, fl := range [][]float32{floor, nil} {
		hits := c.Detect(nil, psd, fl)
		if !hits[100] {
			t.Errorf("floor=%v: tone bin not detected", fl != nil)
		}
		var other int
		for k, h := range hits {
			if h && (k < 98 || k > 102) {
				other++
			}
		}
		if other > 0 {
			t.Errorf("floor=%v: %d hits away from the tone", fl != nil, other)
		}
	}
	if !panics(func() { c.Detect(nil, psd[:10], nil) }) || !panics(func() { NewCFAR(10, 1e-3, 2, 8, 1) }) {
		t.Error("bad lengths did not panic")
	}
}

func TestHysteresis(t *testing.T) {
	h := NewHysteresis(1, 2, 3)
	seq := []bool{true, false, true, true, false, false, true, false, false, false, true}
	want := []bool{false, false, false, true, true, true, true, true, true, false, false}
	for i, hit := range seq {
		if got := h.Update([]bool{hit})[0]; got != want[i] {
			t.Errorf("step %d (hit %v): state %v, want %v", i, hit, got, want[i])
		}
	}
	h.Reset()
	if h.State()[0] {
		t.Error("state on after Reset")
	}
}
