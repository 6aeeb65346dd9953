package dsp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestDetectorSmoothingDoesNotWrap feeds the detector's CFAR, run and merge
// stages (accumulate, detect) a hand-made periodogram: every bin at a flat
// seeded floor except one hot bin k near an edge of the band, strong (10⁴×
// the floor) or weak (5% over the level at which the 2·SmoothBins+1-bin
// single-frame test fires, derived from the detector's own threshold). The
// frequency smoothing averages the bins [k−h, k+h] that exist, so only bins
// within h of k may be on, and every emission must lie within them: a window
// taken modulo N (a circular smoothing, run or DC-notch bridge across
// ±fs/2) would put bins or an emission at the other edge. The spectrum has
// no window leakage here, so this isolates the detector from the DFT. The
// one emission must hold the hot bin; but bin 0, at −fs/2 and +fs/2 at
// once, is not judged: hot there, no bin is on and there is no emission.
func TestDetectorSmoothingDoesNotWrap(t *testing.T) {
	const fs, nfft, frames = 4e6, 64, 8
	const binHz = fs / nfft
	for _, k := range []int{0, 1, 2, 3, nfft - 4, nfft - 3, nfft - 2, nfft - 1} {
		for _, strong := range []bool{true, false} {
			t.Run(fmt.Sprintf("bin%d/strong=%v", k, strong), func(t *testing.T) {
				d, err := NewDetector(DetectorConfig{SampleRateHz: fs, NFFT: nfft})
				if err != nil {
					t.Fatal(err)
				}
				if err := d.SeedFloorDBFS(make([]float64, nfft)); err != nil { // floor 1 (0 dBFS) in every bin
					t.Fatal(err)
				}
				h := d.cfg.SmoothBins
				w := 2*h + 1
				// one hot bin of level L among w−1 at the floor fires the
				// w-cell test when (w−1+L)/w > thrCells[w]
				level := 1.05 * (float64(w)*d.thrCells[w] - float64(w-1))
				if strong {
					level = 1e4
				}
				P := make([]float64, nfft)
				var ems []Emission
				onAny := false
				for f := range frames {
					for i := range P {
						P[i] = 1
					}
					P[k] = level
					d.accumulate(P)
					ems = d.detect(P, int64(f*nfft), ems)
					for i, v := range d.on[:nfft] {
						if v == 0 {
							continue
						}
						onAny = true
						if i < k-h || i > k+h {
							t.Errorf("frame %d: bin %d on, hot bin %d: farther than SmoothBins %d", f, i, k, h)
						}
					}
				}
				ems = d.Flush(ems)
				if k == nyquistBin {
					if onAny || len(ems) > 0 {
						t.Errorf("hot bin %d at -fs/2: a bin on (%v) or emissions %+v, want neither", k, onAny, ems)
					}
					return
				}
				if !onAny {
					t.Fatalf("hot bin %d (level %.3g) set no bin on: the test tested nothing", k, level)
				}
				// The emission is where the power is: until 2026-12-05 a run
				// cut by the band's edge was trimmed on that side too, onto
				// bins at the floor (hot bins 0, 62 and 63 made no emission).
				kHz := float64(k-nfft/2) * binHz
				if len(ems) != 1 || ems[0].FreqLowHz > kHz || ems[0].FreqHighHz < kHz {
					t.Errorf("hot bin %d (%g Hz): emissions %+v, want one holding it", k, kHz, ems)
				}
				lo := (float64(max(0, k-h)-nfft/2) - 0.5) * binHz
				hi := (float64(min(nfft-1, k+h)-nfft/2) + 0.5) * binHz
				for _, e := range ems {
					if e.FreqLowHz < lo || e.FreqHighHz > hi {
						t.Errorf("emission %g..%g Hz, hot bin %d: want inside %g..%g Hz", e.FreqLowHz, e.FreqHighHz, k, lo, hi)
					}
				}
			})
		}
	}
}

// TestDetectorEdgeToneNothingAtOtherEdge: a tone on a bin centre two or
// three bins inside either edge of the band (−fs/2 + 2·fs/N, fs/2 − 3·fs/N,
// ...) has Hann-window power in its own bin and its two neighbours only (the
// window's transform is 0 at whole bins beyond), so nothing of it reaches
// the other half of the band, through the FFT or the detector. Strong
// (−10.5 dBFS) and weak (0.01 over the synthetic default noise of 1e-3,
// about 8 dB per bin, detected in some captures only) tones, over that noise
// and over 1e-6, must each be detected somewhere and never in the half of
// the band away from them. (A tone at exactly −fs/2 is also at +fs/2: its
// power legitimately reaches the top bin, fs/2 − fs/N, as that bin's
// neighbour; and a strong tone between bins near an edge spreads window
// leakage around the circular spectrum to the other edge, as it spreads it
// to the bins around it: both are in the periodogram, not made by the
// detector, and are not tested here.)
func TestDetectorEdgeToneNothingAtOtherEdge(t *testing.T) {
	const fs, nfft = 4e6, 64
	const binHz = fs / nfft
	for _, bins := range []float64{2, 3, -3, -4} { // from −fs/2 when ≥ 0, from +fs/2 when < 0
		offHz := -fs/2 + bins*binHz
		if bins < 0 {
			offHz = fs/2 + bins*binHz
		}
		for _, amp := range []float64{0.3, 0.01} {
			for _, noise := range []float64{1e-3, 1e-6} {
				found := 0
				for seed := range 4 {
					rng := rand.New(rand.NewPCG(21, uint64(seed)))
					x := noiseIQ(rng, 1<<17, noise)
					addTone(x, fs, offHz, amp, 1<<15, 1<<17)
					for _, e := range runDetector(t, DetectorConfig{SampleRateHz: fs, NFFT: nfft}, x, 4096) {
						if math.Signbit(e.FreqLowHz) != math.Signbit(offHz) || math.Signbit(e.FreqHighHz) != math.Signbit(offHz) {
							t.Errorf("tone %g Hz, amplitude %g, noise %g, seed %d: emission %g..%g Hz reaches the other half of the band",
								offHz, amp, noise, seed, e.FreqLowHz, e.FreqHighHz)
							continue
						}
						if e.FreqLowHz <= offHz+binHz && e.FreqHighHz >= offHz-binHz {
							found++
						}
					}
				}
				if found == 0 {
					t.Errorf("tone %g Hz, amplitude %g, noise %g: never detected, the test tested nothing", offHz, amp, noise)
				}
			}
		}
	}
}
