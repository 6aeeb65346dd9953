package hackrf

import (
	"math"
	"strings"
	"testing"
)

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

// TestCheckGain: the totals a HackRF sets as written (even dB, 0 to 102)
// pass; what SplitGain would hold or round down is refused with the gain
// it would set.
func TestCheckGain(t *testing.T) {
	for _, tc := range []struct {
		db   float64
		want string // "": taken
	}{
		{0, ""}, {2, ""}, {40, ""}, {46, ""}, {102, ""},
		{41, "41 dB is not on a HackRF's 2 dB steps"},
		{40.5, "it would be set as 40 dB"},
		{103, "not in 0..102 dB"},
		{-2, "not in 0..102 dB"},
		{math.NaN(), "NaN dB not in 0..102 dB"},
		{math.Inf(1), "not in 0..102 dB"},
	} {
		err := CheckGain(tc.db)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckGain(%v) = %v, want it taken", tc.db, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("CheckGain(%v) = %v, want %q", tc.db, err, tc.want)
		}
		if err == nil {
			if l, v := SplitGain(tc.db); float64(l+v) != tc.db {
				t.Errorf("CheckGain(%v) took a gain SplitGain sets as %d", tc.db, l+v)
			}
		}
	}
}
