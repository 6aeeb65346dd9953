package pipeline

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/sensor"
)

// blocks cuts x into Blocks of n samples at one tuning.
func blocks(x []complex64, n int, centerHz, fs float64, t0 time.Time, first int64) []sensor.Block {
	var out []sensor.Block
	for i := 0; i < len(x); i += n {
		s := int64(i) + first
		out = append(out, sensor.Block{Samples: x[i:min(len(x), i+n)], CenterHz: centerHz, SampleRateHz: fs,
			GainDB: 20, FirstSample: s, Time: t0.Add(time.Duration(float64(i) / fs * 1e9)), Device: "sim", Retuned: i == 0})
	}
	return out
}

func noisyBurst(seed uint64, n, from, to int, fs, offHz, amp float64) []complex64 {
	rng := rand.New(rand.NewPCG(seed, seed))
	x := make([]complex64, n)
	s := math.Sqrt(1e-6 / 2)
	for i := range x {
		x[i] = complex(float32(rng.NormFloat64()*s), float32(rng.NormFloat64()*s))
		if i >= from && i < to {
			sn, c := math.Sincos(2 * math.Pi * offHz * float64(i) / fs)
			x[i] += complex(float32(amp*c), float32(amp*sn))
		}
	}
	return x
}

func TestPipelineResultAndClassifierInput(t *testing.T) {
	const fs, fc = 10e6, 1850e6
	x := noisyBurst(1, 400000, 200000, 250000, fs, 2e6, 0.01)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var seen []ClassifierInput
	p := New(Config{Classifier: ClassifierFunc(func(in ClassifierInput) Label {
		in.IQ = append([]complex64(nil), in.IQ...)
		seen = append(seen, in)
		return Label{Class: "lte", Link: "downlink", Text: "lte downlink", Confidence: 0.9}
	})})
	var res []Result
	var err error
	for _, b := range blocks(x, 30000, fc, fs, t0, 1000) {
		if res, err = p.Process(b, res); err != nil {
			t.Fatal(err)
		}
	}
	res = p.Flush(res)
	if len(res) != 1 {
		t.Fatalf("got %d results, want 1: %+v", len(res), res)
	}
	r := res[0]
	if math.Abs(r.CenterHz-(fc+2e6)) > fs/256 {
		t.Errorf("centre %0.0f Hz, want %0.0f", r.CenterHz, fc+2e6)
	}
	if r.FreqLowHz > fc+2e6 || r.FreqHighHz < fc+2e6 {
		t.Errorf("edges [%0.0f, %0.0f] miss the tone", r.FreqLowHz, r.FreqHighHz)
	}
	wantT := t0.Add(time.Duration(200000 / fs * 1e9))
	if d := r.Time.Sub(wantT); d < -30*time.Microsecond || d > 30*time.Microsecond {
		t.Errorf("time %v, want %v", r.Time, wantT)
	}
	if want := 20*math.Log10(0.01) - 20; math.Abs(r.PowerDBm-want) > 1 {
		t.Errorf("power %0.2f dBm, want %0.2f (uncalibrated dBFS − gain)", r.PowerDBm, want)
	}
	if r.Label.Text != "lte downlink" {
		t.Errorf("label %+v, want the classifier's", r.Label)
	}
	if len(seen) != 1 {
		t.Fatalf("classifier called %d times, want 1", len(seen))
	}
	in := seen[0]
	if in.IQStart != r.Em.StartSample || int64(len(in.IQ)) != r.Em.SampleCount {
		t.Errorf("IQ [%d, +%d), want the emission's [%d, +%d)", in.IQStart, len(in.IQ), r.Em.StartSample, r.Em.SampleCount)
	}
	// The IQ handed over must be the stream's samples at those indexes.
	for i, v := range in.IQ {
		if want := x[in.IQStart-1000+int64(i)]; v != want {
			t.Fatalf("IQ[%d] = %v, want x[%d] = %v", i, v, in.IQStart-1000+int64(i), want)
		}
	}
	if in.CenterHz != fc || in.SampleRateHz != fs {
		t.Errorf("classifier tuning %v/%v, want %v/%v", in.CenterHz, in.SampleRateHz, fc, fs)
	}
}

func TestPipelineRetuneFlushes(t *testing.T) {
	const fs = 10e6
	x := noisyBurst(2, 200000, 150000, 200000, fs, 1e6, 0.01) // burst open at the end
	p := New(Config{})
	var res []Result
	var err error
	for _, b := range blocks(x, 50000, 900e6, fs, time.Time{}, 0) {
		if res, err = p.Process(b, res); err != nil {
			t.Fatal(err)
		}
	}
	if len(res) != 0 {
		t.Fatalf("before retune: %d results, want 0 (emission still open)", len(res))
	}
	y := noisyBurst(3, 50000, 0, 0, fs, 0, 0)
	res, err = p.Process(sensor.Block{Samples: y, CenterHz: 1800e6, SampleRateHz: fs, FirstSample: 200000, Retuned: true}, res)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || math.Abs(res[0].CenterHz-901e6) > fs/256 || res[0].Label != Unknown {
		t.Fatalf("after retune: got %+v, want one unknown result at 901 MHz", res)
	}
}

func TestPipelineRejectsBadBlock(t *testing.T) {
	p := New(Config{})
	if _, err := p.Process(sensor.Block{Samples: make([]complex64, 10)}, nil); err == nil {
		t.Error("zero sample rate: got nil error")
	}
}

// TestDetectorPerTuning checks that a scanning sensor coming back to a tuning
// resumes that tuning's Detector (and so its learnt noise floor), and that
// the cache stays bounded.
func TestDetectorPerTuning(t *testing.T) {
	p := New(Config{})
	x := make([]complex64, 8192)
	for i := range x {
		x[i] = complex(float32(i%7)*1e-3, float32(i%5)*1e-3)
	}
	visit := func(centerHz float64, first int64) *dsp.Detector {
		t.Helper()
		b := sensor.Block{Samples: x, CenterHz: centerHz, SampleRateHz: 10e6, FirstSample: first, Time: time.Unix(0, 0), Retuned: true}
		if _, err := p.Process(b, nil); err != nil {
			t.Fatal(err)
		}
		return p.det
	}
	a1 := visit(900e6, 0)
	b1 := visit(910e6, 8192)
	a2 := visit(900e6, 16384)
	if a1 != a2 || a1 == b1 {
		t.Errorf("revisiting a tuning: same detector %v, distinct from the other tuning %v; want true, true", a1 == a2, a1 != b1)
	}
	for i := range MaxTunings + 10 {
		visit(1e9+float64(i)*1e6, int64(i+3)*8192)
	}
	if len(p.dets) > MaxTunings {
		t.Errorf("%d detectors kept, want at most %d", len(p.dets), MaxTunings)
	}
}
