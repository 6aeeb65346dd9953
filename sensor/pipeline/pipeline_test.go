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

// runAll processes bs in order and flushes p, returning every result.
func runAll(t *testing.T, p *Pipeline, bs []sensor.Block) []Result {
	t.Helper()
	var res []Result
	var err error
	for _, b := range bs {
		if res, err = p.Process(b, res); err != nil {
			t.Fatal(err)
		}
	}
	return p.Flush(res)
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
	// KeepIQImbalance: the IQ is compared sample for sample with the
	// stream's (TestClassifierSeesCorrectedIQ checks the corrected IQ).
	p := New(Config{KeepIQImbalance: true, Classifier: ClassifierFunc(func(in ClassifierInput) Label {
		in.IQ = append([]complex64(nil), in.IQ...)
		seen = append(seen, in)
		return Label{Class: "lte", Link: "downlink", Text: "lte downlink", Confidence: 0.9}
	})})
	res := runAll(t, p, blocks(x, 30000, fc, fs, t0, 1000))
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

// TestLabelReuse: bursts that keep returning on the same band edges are
// classified about once per LabelReuse when it is set, every time when it
// is not; returns after more than ReuseGap of silence are classified anew,
// and so is a burst longer than the one whose unknown label it would take.
func TestLabelReuse(t *testing.T) {
	const fs = 2e6
	const burst, period = 10000, 60000 // 5 ms every 30 ms
	rng := rand.New(rand.NewPCG(5, 6))
	n := int(2.2 * fs)
	x := make([]complex64, n)
	s := math.Sqrt(1e-6 / 2)
	for i := range x {
		x[i] = complex(float32(rng.NormFloat64()*s), float32(rng.NormFloat64()*s))
	}
	tone := func(from, to int, offHz float64) { // with 0.2 ms raised-cosine ramps, as a transmitter's
		const ramp = 400
		for i := from; i < min(to, n); i++ {
			a := 0.01
			if d := min(i-from, to-1-i); d < ramp {
				a *= 0.5 - 0.5*math.Cos(math.Pi*float64(d)/ramp)
			}
			sn, c := math.Sincos(2 * math.Pi * offHz * float64(i) / fs)
			x[i] += complex(float32(a*c), float32(a*sn))
		}
	}
	// "A" at +300 kHz: 5 ms every 30 ms from 50 ms, silent 0.5-0.7 s.
	// "B" at -500 kHz, the classifier's unknown: the same rhythm, without
	// the silence; one burst at 1.5 s lasts 12 ms.
	var nA, nB int
	const longB = 3000000
	for st := 100000; st+burst < n; st += period {
		if st < 1000000 || st > 1400000 {
			tone(st, st+burst, 300e3)
			nA++
		}
		if b := st + 20000; b == longB {
			tone(b, b+24000, -500e3)
		} else {
			tone(b, b+burst, -500e3)
		}
		nB++
	}
	for _, tc := range []struct {
		reuse time.Duration
		maxA  int // classifier calls on A's bursts at most
	}{
		{0, nA},
		{time.Second, 3}, // the first burst, the first after the silence, once more 1 s after that
	} {
		var callsA, callsB int
		longClassified := false
		cl := ClassifierFunc(func(in ClassifierInput) Label {
			if in.Em.CenterOffsetHz > 0 {
				callsA++
				return Label{Class: "gsm", Link: "uplink", Text: "gsm uplink", Confidence: 0.8}
			}
			callsB++
			longClassified = longClassified || in.Em.SampleCount > 2*burst
			return Unknown
		})
		p := New(Config{Classifier: cl, LabelReuse: tc.reuse})
		res := runAll(t, p, blocks(x, 65536, 900e6, fs, time.Time{}, 0))
		var gotA, gotB int
		for _, r := range res {
			switch {
			case r.Em.CenterOffsetHz > 0:
				gotA++
				if r.Label.Class != "gsm" {
					t.Errorf("reuse %v: burst A at sample %d labelled %+v", tc.reuse, r.Em.StartSample, r.Label)
				}
			default:
				gotB++
			}
		}
		if gotA < nA-1 || gotB < nB-1 {
			t.Fatalf("reuse %v: %d and %d results, want about %d and %d bursts", tc.reuse, gotA, gotB, nA, nB)
		}
		if !longClassified {
			t.Errorf("reuse %v: the 12 ms burst B was not classified", tc.reuse)
		}
		if tc.reuse == 0 && callsB != gotB {
			t.Errorf("no reuse: unknown bursts classified %d times for %d results, want every one", callsB, gotB)
		}
		if tc.reuse > 0 && (callsB < 3 || callsB > 5) {
			t.Errorf("reuse %v: unknown bursts classified %d times, want 3-5 (first, the long one, then once a second)", tc.reuse, callsB)
		}
		if tc.reuse == 0 && callsA != gotA {
			t.Errorf("no reuse: %d calls for %d bursts, want one each", callsA, gotA)
		}
		if tc.reuse > 0 && (callsA > tc.maxA || callsA < 3) {
			t.Errorf("reuse %v: %d calls for %d bursts, want 3 (first, after the 200 ms silence, 1 s after that)", tc.reuse, callsA, gotA)
		}
		t.Logf("reuse %v: %d bursts A, %d classified; %d bursts B, %d classified", tc.reuse, gotA, callsA, gotB, callsB)
	}
}
