package hackrf

import "testing"

func TestSplitGain(t *testing.T) {
	for _, tc := range []struct {
		total    float64
		lna, vga int
	}{{0, 0, 0}, {7, 0, 6}, {40, 40, 0}, {50, 40, 10}, {51, 40, 10}, {102, 40, 62}, {200, 40, 62}, {-5, 0, 0}, {37.6, 32, 6}} {
		if l, v := SplitGain(tc.total); l != tc.lna || v != tc.vga {
			t.Errorf("SplitGain(%v) = %d, %d; want %d, %d", tc.total, l, v, tc.lna, tc.vga)
		}
	}
}
