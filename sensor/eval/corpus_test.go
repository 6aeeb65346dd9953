package eval

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/internal/realiq"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// writeRecording writes iq as a cf32 SigMF recording dir/name with truth as
// labelled annotations (class and link words) and returns the meta path.
func writeRecording(t *testing.T, dir, name string, s CaseSpec, iq []complex64, truth []Truth) string {
	t.Helper()
	w, err := sigmf.NewWriter(filepath.Join(dir, name), "cf32_le", s.SampleRateHz, s.CenterHz, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(iq); err != nil {
		t.Fatal(err)
	}
	for _, tr := range truth {
		label := "noise"
		if tr.Kind == KindTarget {
			label = strings.TrimSpace(tr.Class + " " + tr.Link)
		}
		w.Annotate(sigmf.Annotation{SampleStart: tr.StartSample, SampleCount: tr.SampleCount, Label: label,
			FreqLowerHz: tr.FreqLowHz, FreqUpperHz: tr.FreqHighHz, HasFreq: true})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name+sigmf.MetaExt)
}

func TestTruthOf(t *testing.T) {
	m := sigmf.Meta{Annotations: []sigmf.Annotation{
		{SampleStart: 0, SampleCount: 10, Label: "lte-dl", FreqLowerHz: 1, FreqUpperHz: 2, HasFreq: true},
		{SampleStart: 5, SampleCount: 10, Label: "noise"},
		{SampleStart: 5, SampleCount: 10, Label: "LTE downlink", Generator: OwnGenerator},    // our own detection
		{SampleStart: 5, SampleCount: 10, Label: "LTE downlink", Generator: SensorGenerator}, // a sensor's, on an evidence clip
		{SampleStart: 5, SampleCount: 10, Label: "  "},                                       // blank: other, naming no class
		{SampleStart: 7, SampleCount: 1, Label: "other", FreqLowerHz: 3, FreqUpperHz: 4, HasFreq: true},
	}}
	got := TruthOf(m, false)
	if len(got) != 4 {
		t.Fatalf("%d truth records, want 4: %v", len(got), got)
	}
	if got[0].Class != event.ClassLTE || got[0].Link != event.LinkDownlink || got[0].Kind != KindTarget || got[0].FreqLowHz != 1 || !math.IsNaN(got[0].SNRDB) {
		t.Errorf("lte-dl read as %+v", got[0])
	}
	if got[1].Kind != KindNoise || !math.IsInf(got[1].FreqLowHz, -1) || !math.IsInf(got[1].FreqHighHz, 1) {
		t.Errorf("band-less noise read as %+v", got[1])
	}
	if got[2].Kind != KindOther || got[2].Class != event.ClassUnknown || !Unmapped(got[2].Label) {
		t.Errorf("blank label read as %+v", got[2])
	}
	if got[3].Kind != KindOther {
		t.Errorf("other read as %+v", got[3])
	}
}

func TestRunCorpusSynthetic(t *testing.T) {
	dir := t.TempDir()
	k := Case{Name: "lte", Spec: specOf(t, event.ClassLTE), SNRDB: 21, Seed: 2}
	iq, truth, err := Render(k, GenConfig{})
	if err != nil {
		t.Fatal(err)
	}
	// a noise window over the first 2 ms, before the first LTE burst
	truth = append([]Truth{{Kind: KindNoise, SampleCount: int64(2e-3 * k.Spec.SampleRateHz),
		FreqLowHz: k.Spec.CenterHz - 5e6, FreqHighHz: k.Spec.CenterHz + 5e6}}, truth...)
	writeRecording(t, dir, "lte", k.Spec, iq, truth)
	// a recording without labels is skipped, a stray file ignored
	writeRecording(t, filepath.Join(dir), "unlabelled", k.Spec, iq[:1000], nil)
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("hi"), 0o644); err != nil {
		t.Fatal(err)
	}
	var total, done int64
	run, err := runCorpusDir(dir, CorpusConfig{Pipeline: testPipeline(), Start: func(n int64) { total = n }, Progress: func(n int64) { done += n }})
	if err != nil {
		t.Fatal(err)
	}
	// the hash check counts as reading the samples once more
	if total != 2*int64(len(iq)) || done != total || len(run.Files) != 1 || run.Count(SkipNoLabels) != 1 {
		t.Fatalf("progress %d of %d samples (want %d), %d files scored, skipped %v", done, total, 2*len(iq), len(run.Files), run.Skipped)
	}
	r := run.Tally.Report()
	if len(r.Files) != 1 || r.Files[0].Name != "lte" || r.Files[0].Targets != len(truth)-1 || r.Files[0].Detected != r.Files[0].Targets {
		t.Errorf("files %+v", r.Files)
	}
	// the window covers 10 MHz of the recorded band: its 2 ms count as that
	// share of a whole-band hour (MatchIn), its own span stays 2 ms
	wantS := 2e-3 * 10e6 / k.Spec.SampleRateHz
	if math.Abs(r.Noise.Seconds-wantS) > 1e-9 || math.Abs(r.Noise.WindowSeconds-2e-3) > 1e-9 || r.Noise.Alarms != 0 {
		t.Errorf("noise %+v, want %g s of the whole band and 0.002 s of window", r.Noise, wantS)
	}
	if _, err := runCorpusDir(t.TempDir(), CorpusConfig{Pipeline: testPipeline()}); !errors.Is(err, ErrNoCorpus) {
		t.Errorf("empty folder: %v, want ErrNoCorpus", err)
	}
	if _, err := runCorpusDir(filepath.Join(dir, "absent"), CorpusConfig{Pipeline: testPipeline()}); err == nil {
		t.Error("absent folder: no error")
	}
}

// runCorpusDir is FindCorpus and RunCorpus of dir.
func runCorpusDir(dir string, cc CorpusConfig) (*CorpusRun, error) {
	c, err := FindCorpus(dir)
	if err != nil {
		return nil, err
	}
	return RunCorpus(context.Background(), c, cc)
}

// realIQDir finds ../shared/testdata/real-iq beside the directory holding
// go.mod, or skips the test.
func realIQDir(t *testing.T) string {
	return realiq.Dir(t)
}

// TestRealIQCorpus scores the real recordings: every target annotation
// (every label but noise and other) must be found, and nothing may be
// reported in a noise window.
func TestRealIQCorpus(t *testing.T) {
	dir := realIQDir(t)
	run, err := runCorpusDir(dir, CorpusConfig{Pipeline: testPipeline()})
	if err != nil {
		t.Fatal(err)
	}
	tl, files := run.Tally, run.Files
	if len(files) < 10 {
		t.Errorf("%d recordings scored, want the 10 of the README", len(files))
	}
	r := tl.Report()
	targets := 0
	for _, f := range r.Files {
		targets += f.Targets
		if f.Detected != f.Targets {
			t.Errorf("%s: %d of %d targets found; missed %v", f.Name, f.Detected, f.Targets, f.Missed)
		}
		if f.NoiseAlarms != 0 {
			t.Errorf("%s: %d detections in noise windows", f.Name, f.NoiseAlarms)
		}
	}
	if targets < 100 {
		t.Errorf("%d targets in the corpus, want the README's (over 100)", targets)
	}
	// Wi-Fi must never be called cellular or drone
	for _, f := range files {
		for _, o := range f.Matched.Dets {
			if o.Truth == event.ClassWiFi && o.Det.Class != event.ClassWiFi && o.Det.Class != event.ClassUnknown {
				t.Errorf("%s: Wi-Fi packet called %q", filepath.Base(f.Path), o.Det.Text)
			}
		}
	}
}
