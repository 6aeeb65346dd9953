package dsp_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rfwarden/rfwarden/dsp"
)

// A 1 ms burst of a −40 dBFS tone 2.5 MHz above DC in −60 dBFS noise at 20 Msps.
func ExampleDetector() {
	const fs = 20e6
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]complex64, 100000)
	for i := range x {
		x[i] = complex(float32(rng.NormFloat64()*7.07e-4), float32(rng.NormFloat64()*7.07e-4))
		if i >= 40000 && i < 60000 {
			s, c := math.Sincos(2 * math.Pi * 2.5e6 * float64(i) / fs)
			x[i] += complex(float32(0.01*c), float32(0.01*s))
		}
	}
	d, err := dsp.NewDetector(dsp.DetectorConfig{SampleRateHz: fs})
	if err != nil {
		fmt.Println(err)
		return
	}
	ems := d.Process(x, 0, nil)
	ems = d.Flush(ems)
	for _, e := range ems {
		fmt.Printf("%.2f MHz, %.1f ms, %.0f dBFS\n", e.CenterOffsetHz/1e6, float64(e.SampleCount)/fs*1e3, e.MeanDBFS)
	}
	// Output:
	// 2.50 MHz, 1.0 ms, -40 dBFS
}
