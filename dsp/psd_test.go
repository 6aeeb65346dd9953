package dsp

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// coreTone returns n samples of amp·exp(2πi·bin·t/nfft).
func coreTone(n int, bin float64, nfft int, amp float64) []complex64 {
	x := make([]complex64, n)
	for i := range x {
		x[i] = complex64(complex(amp, 0) * cmplx.Exp(complex(0, 2*math.Pi*bin*float64(i)/float64(nfft))))
	}
	return x
}

// coreNoise returns n samples of seeded complex Gaussian noise of power pow.
func coreNoise(seed uint64, n int, pow float64) []complex64 {
	rng := rand.New(rand.NewPCG(seed, 2))
	s := math.Sqrt(pow / 2)
	x := make([]complex64, n)
	for i := range x {
		x[i] = complex(float32(s*rng.NormFloat64()), float32(s*rng.NormFloat64()))
	}
	return x
}

func db(v float64) float64 { return 10 * math.Log10(v) }

func TestWindowGains(t *testing.T) {
	// Known values: Harris 1978 table I (ENBW, coherent gain) for large N.
	tests := []struct {
		kind      WindowKind
		cg, enbw  float64
		tolCG, tE float64
	}{
		{WindowRect, 1, 1, 1e-6, 1e-6},
		{WindowHann, 0.5, 1.5, 1e-6, 1e-6},
		{WindowBlackmanHarris, 0.35875, 2.0044, 1e-6, 1e-3},
		{WindowFlatTop, 0.21557895, 3.7702, 1e-6, 1e-3},
	}
	for _, tc := range tests {
		w := NewWindow(tc.kind, 4096)
		if got := CoherentGain(w); math.Abs(got-tc.cg) > tc.tolCG {
			t.Errorf("%v: CoherentGain = %g, want %g", tc.kind, got, tc.cg)
		}
		if got := ENBW(w); math.Abs(got-tc.enbw) > tc.tE {
			t.Errorf("%v: ENBW = %g, want %g", tc.kind, got, tc.enbw)
		}
	}
	if CoherentGain(nil) != 0 || ENBW(nil) != 0 || ENBW(make([]float32, 4)) != 0 {
		t.Error("empty or zero window gains not 0")
	}
	if !panics(func() { NewWindow(WindowKind(99), 8) }) || !panics(func() { NewWindow(WindowHann, 0) }) {
		t.Error("bad NewWindow did not panic")
	}
}

func TestWelchTonePower(t *testing.T) {
	const n = 1024
	tests := []struct {
		kind WindowKind
		bin  float64
		amp  float64
		tol  float64 // dB
	}{
		{WindowRect, 100, 1, 0.01},
		{WindowHann, 100, 1, 0.01},
		{WindowBlackmanHarris, 100, 1, 0.01},
		{WindowFlatTop, 100, 1, 0.01},
		{WindowHann, 900, 0.01, 0.01},       // negative frequency, -40 dBFS
		{WindowFlatTop, 300.5, 0.1, 0.05},   // half-bin off: flat top has < 0.01 dB scalloping
		{WindowBlackmanHarris, 7.5, 1, 0.9}, // half-bin: 0.83 dB scalloping (Harris table I)
	}
	for _, tc := range tests {
		w := NewWelch(n, tc.kind, 0.5)
		w.Write(coreTone(8*n, tc.bin, n, tc.amp))
		psd := w.PSD(nil)
		k := int(math.Round(tc.bin)) % n
		if tc.bin != math.Trunc(tc.bin) {
			// Half-bin: power is highest in either neighbour.
			k = int(tc.bin)
			if psd[k+1] > psd[k] {
				k++
			}
		}
		got := db(float64(psd[k]))
		want := db(tc.amp * tc.amp)
		if math.Abs(got-want) > tc.tol {
			t.Errorf("%v tone at bin %v amp %v: %.3f dBFS in bin %d, want %.3f ± %v", tc.kind, tc.bin, tc.amp, got, k, want, tc.tol)
		}
		for i, v := range psd {
			if v > psd[k] {
				t.Errorf("%v: bin %d (%g) above the tone's bin %d (%g)", tc.kind, i, v, k, psd[k])
			}
		}
	}
}

func TestWelchWhiteNoiseLevel(t *testing.T) {
	const n, pow = 256, 0.01
	for _, kind := range []WindowKind{WindowRect, WindowHann, WindowBlackmanHarris} {
		w := NewWelch(n, kind, 0)
		w.Write(coreNoise(11, 400*n, pow))
		psd := w.PSD(nil)
		var sum float64
		for _, v := range psd {
			sum += float64(v)
		}
		enbw := ENBW(w.Window())
		// Σ PSD = σ²·ENBW, each bin σ²·ENBW/N.
		if got, want := db(sum), db(pow*enbw); math.Abs(got-want) > 0.1 {
			t.Errorf("%v: Σ PSD = %.3f dB, want σ²·ENBW = %.3f dB", kind, got, want)
		}
		if got, want := db(sum/n), db(pow*enbw/n); math.Abs(got-want) > 0.1 {
			t.Errorf("%v: mean bin = %.3f dB, want %.3f dB", kind, got, want)
		}
	}
}

func TestWelchStreamingMatchesOneShot(t *testing.T) {
	const n = 64
	x := coreNoise(3, 1000, 1)
	for _, overlap := range []float64{0, 0.25, 0.5, 0.75} {
		one := NewWelch(n, WindowHann, overlap)
		one.Write(x)
		want := one.PSD(nil)
		wantFrames := (len(x)-n)/one.Hop() + 1
		if one.Frames() != wantFrames {
			t.Errorf("overlap %v: Frames = %d, want %d", overlap, one.Frames(), wantFrames)
		}
		rng := rand.New(rand.NewPCG(1, uint64(overlap*100)))
		chunked := NewWelch(n, WindowHann, overlap)
		for rest := x; len(rest) > 0; {
			k := min(len(rest), rng.IntN(3*n)+1)
			chunked.Write(rest[:k])
			rest = rest[k:]
		}
		if chunked.Frames() != wantFrames {
			t.Errorf("overlap %v: chunked Frames = %d, want %d", overlap, chunked.Frames(), wantFrames)
		}
		got := chunked.PSD(nil)
		for k := range got {
			if math.Abs(float64(got[k]-want[k])) > 1e-6*float64(want[k]) {
				t.Fatalf("overlap %v: bin %d chunked %g, one-shot %g", overlap, k, got[k], want[k])
			}
		}
	}
}

func TestWelchFrameMatchesPSDAndReset(t *testing.T) {
	const n = 128
	x := coreNoise(5, n, 1)
	w := NewWelch(n, WindowBlackmanHarris, 0.5)
	frame := w.Frame(nil, x)
	w.Write(x)
	psd := w.PSD(nil)
	for k := range psd {
		if math.Abs(float64(psd[k]-frame[k])) > 1e-6*float64(frame[k]) {
			t.Fatalf("bin %d: PSD %g, Frame %g", k, psd[k], frame[k])
		}
	}
	w.Reset()
	if w.Frames() != 0 {
		t.Errorf("Frames after Reset = %d", w.Frames())
	}
	for k, v := range w.PSD(psd) {
		if v != 0 {
			t.Fatalf("bin %d after Reset = %g, want 0", k, v)
		}
	}
}

func TestWelchZeroAllocs(t *testing.T) {
	w := NewWelch(1024, WindowHann, 0.5)
	x := coreNoise(1, 5000, 1)
	psd := make([]float32, 1024)
	if a := testing.AllocsPerRun(20, func() { w.Write(x); w.PSD(psd); w.Frame(psd, x[:1024]) }); a != 0 {
		t.Errorf("allocs per run = %v, want 0", a)
	}
}

func TestPowerDB(t *testing.T) {
	src := []float32{1, 1e-3, 100, 0, -1, float32(math.NaN()), float32(math.Inf(1)), 1e-40}
	want := []float32{0, -30, 20, -300, -300, -300, float32(math.Inf(1)), -300}
	got := PowerDB(nil, src)
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-4 && got[i] != want[i] {
			t.Errorf("PowerDB(%g) = %g, want %g", src[i], got[i], want[i])
		}
	}
}

func TestDegenerateInputNoNaN(t *testing.T) {
	const n = 256
	inputs := map[string][]byte{
		"zeros":     make([]byte, 8*n),
		"full +":    fill(8*n, 0x7f),
		"full -":    fill(8*n, 0x80),
		"alternate": alternate(8 * n),
	}
	for name, raw := range inputs {
		x := FromCI8(nil, raw)
		w := NewWelch(n, WindowHann, 0.5)
		w.Write(x)
		psd := w.PSD(nil)
		NotchDC(psd, 2)
		floor := FloorPerBinFrames(nil, psd, 15, w.Frames())
		nf := NewNoiseFloor(n, 4, 0.5, 15, w.Frames())
		nf.Update(psd)
		nf.Floor(floor)
		est := FloorEstimate(psd, make([]float32, n))
		hits := NewCFAR(n, 1e-3, 2, 8, w.Frames()).Detect(nil, psd, nil)
		_ = hits
		dbs := PowerDB(nil, psd)
		for k := range psd {
			for _, v := range []float32{psd[k], floor[k], est, dbs[k]} {
				if v != v || math.IsInf(float64(v), 0) {
					t.Fatalf("%s: bin %d: NaN or Inf (psd %g floor %g est %g dB %g)", name, k, psd[k], floor[k], est, dbs[k])
				}
			}
		}
	}
}

func fill(n int, b byte) []byte {
	s := make([]byte, n)
	for i := range s {
		s[i] = b
	}
	return s
}

func alternate(n int) []byte {
	s := make([]byte, n)
	for i := range s {
		s[i] = byte(0x7f + (i/2%2)*1) // 0x7f, 0x80 pairs
	}
	return s
}
