package classify

import (
	"math"
	"testing"
)

// TestShoulderRatio checks the GMSK shape test on model spectra: 1 kHz
// bins, noise density 1, a carrier centred on bin 1000.
func TestShoulderRatio(t *testing.T) {
	const n, c, binHz = 2001, 1000, 1e3
	psd := func(excess func(dHz float64) float64) []float64 {
		sm := make([]float64, n)
		for k := range sm {
			sm[k] = 1 + excess(float64(k-c)*binHz)
		}
		return sm
	}
	bell := func(peak float64) func(float64) float64 { // ~GMSK: 90% of the power within ±80 kHz
		return func(d float64) float64 { return peak * math.Exp(-d*d/(2*48e3*48e3)) }
	}
	flat := func(level, halfHz float64) func(float64) float64 {
		return func(d float64) float64 {
			if math.Abs(d) <= halfHz {
				return level
			}
			return 0
		}
	}
	tests := []struct {
		name       string
		sm         []float64
		noise      float64
		kMid       int
		lo, hi     float64 // the ratio's expected range (NaN: NaN)
		widthKHzLo float64 // excessWidth over the whole spectrum, kHz, expected range
		widthKHzHi float64
	}{
		{"GMSK-like bell at 3 dB", psd(bell(2)), 1, c, 0, 0.05, 150, 165},
		{"flat 500 kHz (LoRa chirp)", psd(flat(2, 250e3)), 1, c, 0.95, 1.05, 440, 460},
		{"flat beyond the window (a slice of LTE)", psd(flat(1, 1e6)), 1, c, 0.95, 1.05, 1790, 1810},
		{"16 kHz FSK line", psd(flat(5, 8e3)), 1, c, 0, 0.01, 14, 17},
		{"core under half the noise: too weak to tell", psd(flat(0.4, 250e3)), 1, c, math.NaN(), math.NaN(), 440, 460},
		{"no noise reference", psd(bell(2)), 0, c, math.NaN(), math.NaN(), 0, 0},
		{"no centre", psd(bell(2)), 1, -1, math.NaN(), math.NaN(), 150, 165},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := shoulderRatio(tt.sm, tt.noise, tt.kMid, 0, n-1, binHz)
			switch {
			case math.IsNaN(tt.lo):
				if !math.IsNaN(r) {
					t.Errorf("ratio %.3f, want NaN", r)
				}
			case !(r >= tt.lo && r <= tt.hi):
				t.Errorf("ratio %.3f, want %.2f–%.2f", r, tt.lo, tt.hi)
			}
			if tt.noise > 0 {
				if w := excessWidth(tt.sm, tt.noise, 0, n-1) * binHz / 1e3; w < tt.widthKHzLo || w > tt.widthKHzHi {
					t.Errorf("90%%-power width %.0f kHz, want %.0f–%.0f", w, tt.widthKHzLo, tt.widthKHzHi)
				}
			}
		})
	}
}
