package dsp_test

import (
	"fmt"
	"math"

	"github.com/rfwarden/rfwarden/dsp"
)

// A -20 dBFS tone 100 bins above DC in a 1024-bin Welch PSD reads -20 dBFS
// in its bin; after Shift, DC is bin 512 so the tone is at 612.
func ExampleWelch() {
	const n = 1024
	x := make([]complex64, 8*n)
	for i := range x {
		s, c := math.Sincos(2 * math.Pi * 100 * float64(i) / n)
		x[i] = complex(float32(0.1*c), float32(0.1*s))
	}
	w := dsp.NewWelch(n, dsp.WindowHann, 0.5)
	w.Write(x)
	psd := w.PSD(nil)
	dsp.Shift(psd, psd)
	db := dsp.PowerDB(nil, psd)
	peak := 0
	for k := range db {
		if db[k] > db[peak] {
			peak = k
		}
	}
	fmt.Printf("frames %d, peak bin %d at %.1f dBFS\n", w.Frames(), peak, db[peak])
	// Output: frames 15, peak bin 612 at -20.0 dBFS
}
