package classify

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/dsp/bandplan"
)

// lazyInput is a 9 MHz noise-like burst with a 15 kHz-SCS cyclic prefix in
// a 20 Msps capture at 2.44 GHz (a band whose plan wants every CP test, the
// STF and the envelope), in noise.
func lazyInput() Input {
	const fs, n = 20e6, 1 << 15
	rng := rand.New(rand.NewPCG(9, 10))
	iq := make([]complex64, n)
	for i := range iq {
		iq[i] = complex(float32(0.05*rng.NormFloat64()), float32(0.05*rng.NormFloat64()))
	}
	const tu, cp = 1333, 94 // 66.67 µs and its CP at 20 Msps
	for s := 4000; s+tu+cp < 28000; s += tu + cp {
		sym := make([]complex64, tu)
		for k := range sym {
			sym[k] = complex(float32(rng.NormFloat64()), float32(rng.NormFloat64()))
		}
		for k := 0; k < tu+cp; k++ {
			iq[s+k] += sym[(k+tu-cp)%tu]
		}
	}
	return Input{IQ: iq, SampleRateHz: fs, CenterHz: 2.44e9,
		Em: dsp.Emission{StartSample: 0, SampleCount: n, FreqLowHz: -9e6, FreqHighHz: 9e6, BandwidthHz: 18e6, SNRDB: 20}}
}

// TestLazyFeaturesOrderFree: a time-domain feature has the same value
// whichever is read first (each group is measured once, from the same
// state), and after close the unread ones stay unmeasured, out of the
// exported map.
func TestLazyFeaturesOrderFree(t *testing.T) {
	in := lazyInput()
	ffts := map[int]*dsp.FFT{}
	fftOf := func(n int) *dsp.FFT {
		if ffts[n] == nil {
			ffts[n] = dsp.NewFFT(n)
		}
		return ffts[n]
	}
	plan := bandplan.Default()
	read := func(f *features) []float64 {
		return []float64{f.envCV(), f.duty(), float64(len(f.bursts())), f.frame(), f.cp15(), f.cp30(), f.cpWiFi(), f.stf(), f.chip()}
	}
	a := read(measure(in, fftOf, plan, &workspace{}))
	fb := measure(in, fftOf, plan, &workspace{})
	fb.chip()
	fb.stf()
	fb.cpWiFi()
	fb.cp15()
	fb.envCV()
	b := read(fb)
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			t.Errorf("feature %d: %v read first, %v read later", i, a[i], b[i])
		}
	}
	if !(a[4] > 0.1) {
		t.Errorf("cp15 = %v, want the CP found (> 0.1)", a[4])
	}

	fc := measure(in, fftOf, plan, &workspace{})
	if got := fc.cp15(); got != a[4] {
		t.Errorf("cp15 = %v, want %v", got, a[4])
	}
	fc.close()
	if v := fc.cpWiFi(); !math.IsNaN(v) {
		t.Errorf("cpWiFi after close = %v, want NaN (not measured)", v)
	}
	m := fc.toMap()
	if _, ok := m["cp15"]; !ok {
		t.Error("cp15 was measured but is not in the map")
	}
	for _, k := range []string{"cp_wifi", "env_cv", "duty", "stf"} {
		if _, ok := m[k]; ok {
			t.Errorf("%s in the map, never measured", k)
		}
	}
}
