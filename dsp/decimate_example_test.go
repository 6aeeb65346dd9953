package dsp_test

import (
	"fmt"
	"math"

	"github.com/rfwarden/rfwarden/dsp"
)

// Keep the band around a 1.2 MHz tone of a 10 Msps capture at 1 Msps: the
// tone comes to DC at its power (-6 dBFS), and another at 3 MHz, outside
// the kept band, is gone (more than 60 dB down).
func ExampleDecimator() {
	const fs, n = 10e6, 100000
	x := make([]complex64, n)
	for i := range x {
		for _, f := range []float64{1.2e6, 3e6} {
			s, c := math.Sincos(2 * math.Pi * f / fs * float64(i))
			x[i] += complex(float32(0.5*c), float32(0.5*s))
		}
	}
	d := dsp.NewDecimator(10, 0.4, 0.5, 70)
	y := d.Decimate(nil, dsp.FreqShift(nil, x, -1.2e6, fs))
	// away from the edges' transient: the mean (the tone at DC) and the rest
	var mean complex128
	mid := y[100 : len(y)-100]
	for _, v := range mid {
		mean += complex128(v)
	}
	mean /= complex(float64(len(mid)), 0)
	var rest float64
	for _, v := range mid {
		e := complex128(v) - mean
		rest += real(e)*real(e) + imag(e)*imag(e)
	}
	rest /= float64(len(mid))
	p := real(mean)*real(mean) + imag(mean)*imag(mean)
	fmt.Printf("%d taps, %d samples at %.0f Msps\n", len(d.Taps(nil)), len(y), fs/10/1e6)
	fmt.Printf("tone at DC: %.1f dBFS; the 3 MHz tone below -60 dBFS: %v\n", 10*math.Log10(p), 10*math.Log10(rest) < -60)
	// Output:
	// 435 taps, 10000 samples at 1 Msps
	// tone at DC: -6.0 dBFS; the 3 MHz tone below -60 dBFS: true
}
