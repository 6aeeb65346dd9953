package dsp

import (
	"math"
	"testing"
)

// FuzzFromCI8 feeds outside bytes through the conversion and one Welch
// frame: odd lengths must panic with "dsp: ...", everything else must give
// finite values of magnitude ≤ sqrt(2) and a finite spectrum.
func FuzzFromCI8(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x80, 0x7f})
	f.Add([]byte{0, 0, 0x7f, 0x80, 0xff, 1})
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw)%2 != 0 {
			if !panics(func() { FromCI8(nil, raw) }) {
				t.Fatalf("odd length %d did not panic", len(raw))
			}
			return
		}
		x := FromCI8(nil, raw)
		if len(x) != len(raw)/2 {
			t.Fatalf("len = %d, want %d", len(x), len(raw)/2)
		}
		for i, v := range x {
			if m := math.Hypot(float64(real(v)), float64(imag(v))); m > math.Sqrt2 || m != m {
				t.Fatalf("sample %d = %v", i, v)
			}
		}
		w := NewWelch(16, WindowHann, 0.5)
		w.Write(x)
		for k, p := range PowerDB(nil, w.PSD(nil)) {
			if p != p || math.IsInf(float64(p), 0) || p > 10 {
				t.Fatalf("bin %d = %v dB", k, p)
			}
		}
	})
}
