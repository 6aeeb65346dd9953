package eval

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
)

func testPipeline() pipeline.Config {
	return pipeline.Config{Detector: dsp.DetectorConfig{}, Classifier: pipeline.DefaultClassifier()}
}

func specOf(t *testing.T, class string) CaseSpec {
	t.Helper()
	for _, s := range DefaultSpecs() {
		if s.Class == class {
			return s
		}
	}
	t.Fatalf("no spec for %q", class)
	return CaseSpec{}
}

func TestDefaultSpecsCoverEveryClass(t *testing.T) {
	var got []string
	for _, s := range DefaultSpecs() {
		got = append(got, s.Class)
		if s.SampleRateHz <= 0 || s.SampleRateHz > 30.72e6 || s.Samples <= 0 || s.CenterHz <= 0 {
			t.Errorf("%s: bad tuning %+v", s.Class, s)
		}
	}
	if !slices.Equal(got, Classes()) {
		t.Errorf("specs cover %v, want %v", got, Classes())
	}
}

func TestPlan(t *testing.T) {
	c := GenConfig{Specs: DefaultSpecs()[:3], SNRsDB: []float64{0, 10}, Cases: 2, NoiseCases: 4, NoiseS: 0.01, Seed: 7}
	plan := slices.Collect(c.Planned())
	if len(plan) != 3*2*2+4 {
		t.Fatalf("%d cases, want 16", len(plan))
	}
	seeds := map[uint64]bool{}
	for i, k := range plan {
		if k.Index != i || seeds[k.Seed] {
			t.Errorf("case %d: index %d seed %d (duplicate %v)", i, k.Index, k.Seed, seeds[k.Seed])
		}
		seeds[k.Seed] = true
		if k.Noise != math.IsNaN(k.SNRDB) {
			t.Errorf("case %s: noise %v with SNR %v", k.Name, k.Noise, k.SNRDB)
		}
	}
	// noise cases take each spec's tuning in turn
	for i, k := range plan[12:] {
		s := c.Specs[i%3]
		if !k.Noise || k.Spec.CenterHz != s.CenterHz || k.Spec.Samples != int(0.01*s.SampleRateHz) {
			t.Errorf("noise case %d: %+v", i, k)
		}
	}
	if other := slices.Collect((GenConfig{Specs: c.Specs, SNRsDB: c.SNRsDB, Cases: 2, NoiseCases: 4, NoiseS: 0.01, Seed: 8}).Planned()); other[0].Seed == plan[0].Seed {
		t.Error("another seed plans the same case seeds")
	}
	// a subset plans the same cases with the same seeds
	sub := slices.Collect(GenConfig{Specs: c.Specs[1:2], SNRsDB: []float64{10}, Cases: 2, NoiseCases: -1, Seed: 7}.Planned())
	for _, k := range sub {
		i := slices.IndexFunc(plan, func(p Case) bool { return p.Name == k.Name })
		if i < 0 || plan[i].Seed != k.Seed {
			t.Errorf("subset case %s: seed %d, full plan has %+v", k.Name, k.Seed, plan[max(i, 0)])
		}
	}
	if n := len(slices.Collect((GenConfig{Cases: -1, NoiseCases: -1}).Planned())); n != 0 {
		t.Errorf("negative counts plan %d cases, want none", n)
	}
	if n, err := c.NumPlanned(); n != len(plan) || err != nil {
		t.Errorf("NumPlanned = %d, %v; the plan has %d cases", n, err, len(plan))
	}
	if n := len(slices.Collect((GenConfig{}).Planned())); n != len(DefaultSpecs())*len(DefaultSNRsDB())*2+10 {
		t.Errorf("default plan has %d cases", n)
	}
}

func TestRender(t *testing.T) {
	k := Case{Name: "gsm", Spec: specOf(t, event.ClassGSM), SNRDB: 10, Seed: 3}
	a, ta, err := Render(k, GenConfig{})
	if err != nil {
		t.Fatal(err)
	}
	b, tb, _ := Render(k, GenConfig{})
	if !slices.Equal(a, b) || !slices.EqualFunc(ta, tb, func(x, y Truth) bool { return x.String() == y.String() }) {
		t.Error("same case rendered twice differs")
	}
	k.Seed++
	if c, _, _ := Render(k, GenConfig{}); slices.Equal(a, c) {
		t.Error("another seed renders the same samples")
	}
	if len(ta) < 5 {
		t.Fatalf("%d GSM bursts in %d samples, want a burst per 4.6 ms frame", len(ta), len(a))
	}
	s := k.Spec
	for _, tr := range ta {
		if tr.Kind != KindTarget || tr.Class != event.ClassGSM || tr.SNRDB != 10 || tr.StartSample < 0 || tr.end() > int64(s.Samples) ||
			tr.FreqLowHz < s.CenterHz-s.SampleRateHz/2 || tr.FreqHighHz > s.CenterHz+s.SampleRateHz/2 || tr.FreqHighHz <= tr.FreqLowHz {
			t.Errorf("truth %v outside the capture", tr)
		}
	}
	// 8-bit quantisation: every sample on the 1/128 grid
	for _, v := range a[:1000] {
		if r := float64(real(v)) * 128; r != math.Round(r) {
			t.Fatalf("sample %v is not quantised to 8 bits", v)
		}
	}
	noise := Case{Name: "noise", Spec: CaseSpec{CenterHz: 2441e6, SampleRateHz: 20e6, Samples: 1000}, SNRDB: math.NaN(), Noise: true, Seed: 1}
	_, tn, err := Render(noise, GenConfig{NoArtefacts: true})
	if err != nil || len(tn) != 1 || tn[0].Kind != KindNoise || tn[0].SampleCount != 1000 || tn[0].FreqHighHz-tn[0].FreqLowHz != 20e6 {
		t.Errorf("noise truth %v, %v", tn, err)
	}
	if _, _, err := Render(Case{Spec: CaseSpec{Class: "martian", SampleRateHz: 1e6, Samples: 10}}, GenConfig{}); err == nil {
		t.Error("unknown class rendered")
	}
	if _, _, err := Render(Case{Spec: CaseSpec{Class: "gsm"}}, GenConfig{}); err == nil {
		t.Error("empty capture rendered")
	}
}

// TestPlannedLazy: a plan of a hundred million cases is counted and its
// cases yielded without building it, so memory does not grow with --cases.
func TestPlannedLazy(t *testing.T) {
	c := GenConfig{Specs: DefaultSpecs()[:1], SNRsDB: []float64{0}, Cases: 100_000_000, NoiseCases: 3, Seed: 1}
	n, err := c.NumPlanned()
	if err != nil || n != 100_000_003 {
		t.Fatalf("NumPlanned = %d, %v; want 100000003", n, err)
	}
	first := func() []Case {
		var out []Case
		for k := range c.Planned() {
			if out = append(out, k); len(out) == 3 {
				break
			}
		}
		return out
	}
	got := first()
	small := slices.Collect(GenConfig{Specs: c.Specs, SNRsDB: c.SNRsDB, Cases: 3, NoiseCases: -1, Seed: 1}.Planned())
	if len(got) != 3 || got[2].Name != "gsm@0dB#2" || got[2].Index != 2 || got[2].Seed != small[2].Seed {
		t.Errorf("first cases %+v, want those of a 3-case plan %+v", got, small)
	}
	if a := testing.AllocsPerRun(5, func() { first() }); a > 50 {
		t.Errorf("the first 3 cases of a 1e8-case plan cost %.0f allocations, want a few", a)
	}
	tests := []struct {
		name string
		c    GenConfig
	}{
		{"cases", GenConfig{Cases: math.MaxInt / 2}},
		{"cases and noise", GenConfig{Specs: DefaultSpecs()[:1], SNRsDB: []float64{0}, Cases: math.MaxInt - 1, NoiseCases: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if n, err := tc.c.NumPlanned(); !errors.Is(err, ErrTooManyCases) {
				t.Errorf("NumPlanned = %d, %v; want ErrTooManyCases", n, err)
			}
		})
	}
}

// TestGeneratedSmallRun runs LTE at high SNR and pure noise with HackRF
// artefacts through the real pipeline: LTE must be found and named, and the
// noise must raise no named alarm.
func TestGeneratedSmallRun(t *testing.T) {
	// DC spikes up to -10 dB, the wing simulator's level; stronger ones
	// (the default range reaches -5 dB) break through the DC notch
	c := GenConfig{Specs: []CaseSpec{specOf(t, event.ClassLTE)}, SNRsDB: []float64{15, 21}, Cases: 2, NoiseCases: 4, NoiseS: 0.05, Seed: 1,
		DCSpikeDB: [2]float64{-20, -10}}
	if testing.Short() {
		c.SNRsDB, c.NoiseCases, c.NoiseS = []float64{21}, 2, 0.03
	}
	var done int
	tl, err := RunGenerated(context.Background(), c, testPipeline(), func(CaseResult) { done++ })
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := c.NumPlanned(); done != n {
		t.Errorf("step called %d times for %d cases", done, n)
	}
	r := tl.Report()
	var lte *ClassStats
	for i := range r.Classes {
		if r.Classes[i].Class == event.ClassLTE {
			lte = &r.Classes[i]
		}
	}
	if lte == nil || lte.Truths == 0 {
		t.Fatalf("no LTE truth scored: %+v", r.Classes)
	}
	if lte.Recall == nil || *lte.Recall <= 0.9 || lte.Precision == nil || *lte.Precision <= 0.9 {
		t.Errorf("LTE at high SNR: recall %s precision %s (%d/%d right), want > 0.9", fmtRatio(lte.Recall), fmtRatio(lte.Precision), lte.Correct, lte.Truths)
	}
	wantNoiseS := float64(c.NoiseCases) * c.NoiseS
	if math.Abs(r.Noise.Seconds-wantNoiseS) > 1e-6 {
		t.Errorf("noise time %.4f s, want %.4f", r.Noise.Seconds, wantNoiseS)
	}
	if r.Noise.ClassedAlarms != 0 || r.Noise.Alarms > 1 {
		t.Errorf("noise: %d alarms, %d named; want at most 1 and none named", r.Noise.Alarms, r.Noise.ClassedAlarms)
	}
	if len(r.PdVsSNR) != 1 || r.PdVsSNR[0].Points[len(r.PdVsSNR[0].Points)-1].Pd < 0.9 {
		t.Errorf("Pd vs SNR %+v", r.PdVsSNR)
	}
}

// TestScanSamplesMatchesRecording: the in-memory path scores generated
// cases exactly as the file path (the one scan uses) would.
func TestScanSamplesMatchesRecording(t *testing.T) {
	k := Case{Name: "gsm", Spec: specOf(t, event.ClassGSM), SNRDB: 15, Seed: 5}
	iq, truth, err := Render(k, GenConfig{})
	if err != nil {
		t.Fatal(err)
	}
	base := writeRecording(t, t.TempDir(), "gsm", k.Spec, iq, truth)
	cfg := testPipeline()
	mem, err := ScanSamples(context.Background(), iq, k.Spec.CenterHz, k.Spec.SampleRateHz, cfg)
	if err != nil {
		t.Fatal(err)
	}
	f, err := RunCorpusFile(context.Background(), base, CorpusConfig{Pipeline: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if len(mem) == 0 || len(mem) != len(f.Dets) {
		t.Fatalf("%d detections in memory, %d from the file", len(mem), len(f.Dets))
	}
	for i, r := range mem {
		if got := DetectionOf(r); got.StartSample != f.Dets[i].StartSample || got.SampleCount != f.Dets[i].SampleCount ||
			got.Class != f.Dets[i].Class || math.Abs(got.FreqLowHz-f.Dets[i].FreqLowHz) > 1e-3 {
			t.Errorf("detection %d: memory %+v, file %+v", i, got, f.Dets[i])
		}
	}
	if len(f.Truth) != len(truth) || f.Matched.Targets[0].Truth.Class != event.ClassGSM {
		t.Errorf("truth read back: %d records (want %d), first %v", len(f.Truth), len(truth), f.Truth[0])
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ScanSamples(ctx, iq, k.Spec.CenterHz, k.Spec.SampleRateHz, cfg); err == nil {
		t.Error("cancelled context: no error")
	}
}
