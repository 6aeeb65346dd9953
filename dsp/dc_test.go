package dsp

import (
	"math"
	"slices"
	"testing"
)

func TestNotchDC(t *testing.T) {
	psd := []float32{100, 50, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3, 3, 3, 3, 5, 5, 5, 40}
	NotchDC(psd, 1)
	// Neighbours: bins 2,3 (1, 1) and 18,17 (5, 5): mean 3.
	for _, k := range []int{0, 1, 19} {
		if psd[k] != 3 {
			t.Errorf("bin %d = %g, want 3", k, psd[k])
		}
	}
	if psd[2] != 1 || psd[18] != 5 {
		t.Error("bins outside the notch changed")
	}
	if !panics(func() { NotchDC(make([]float32, 4), 1) }) {
		t.Error("too-wide notch did not panic")
	}
}

func TestSpurMask(t *testing.T) {
	const n, frames = 256, 80
	w := NewWelch(n, WindowRect, 0)
	x := coreNoise(12, frames*n, 1)
	spur := coreTone(frames*n, 40, n, 0.3)   // steady narrow spur
	carrier := coreNoise(13, frames*n, 1)    // wide steady signal
	burst := coreTone(frames*n, 150, n, 0.5) // on/off narrow signal
	lowpass := NewFFT(n)                     // shape the carrier to bins 80..119
	for f := range frames {
		seg := carrier[f*n : (f+1)*n]
		X := lowpass.Coefficients(nil, seg)
		for k := range X {
			if k < 80 || k >= 120 {
				X[k] = 0
			}
		}
		lowpass.Sequence(seg, X)
		for i := range seg {
			seg[i] *= complex(float32(1.0/n), 0)
		}
	}
	for i := range x {
		x[i] += spur[i] + carrier[i]*4
		if (i/n)%4 == 0 {
			x[i] += burst[i]
		}
	}
	m := NewSpurMask(n, 64, 4, 3)
	frame := make([]float32, n)
	for f := range frames {
		m.Update(w.Frame(frame, x[f*n:(f+1)*n]))
		if f == 10 && len(m.Spurs(nil)) != 0 {
			t.Error("spurs reported before minFrames")
		}
	}
	got := m.Spurs(nil)
	if !slices.Equal(got, []int{40}) {
		t.Errorf("Spurs = %v, want [40]", got)
	}
	psd := w.Frame(nil, x[:n])
	MaskSpurs(psd, got)
	if want := (psd[39] + psd[41]) / 2; psd[40] != want {
		t.Errorf("masked bin = %g, want %g", psd[40], want)
	}
	if math.IsNaN(float64(psd[40])) {
		t.Error("NaN")
	}
	m.Reset()
	if m.Frames() != 0 {
		t.Error("Reset kept frames")
	}
}

func TestMaskSpursRuns(t *testing.T) {
	psd := []float32{1, 9, 9, 3, 7, 5}
	MaskSpurs(psd, []int{1, 2, 5, 99, -1})
	want := []float32{1, 2, 2, 3, 7, 7}
	if !slices.Equal(psd, want) {
		t.Errorf("got %v, want %v", psd, want)
	}
}
