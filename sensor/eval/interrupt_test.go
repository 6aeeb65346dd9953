package eval

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/internal/ctxtest"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmftest"
)

// toneRecording writes a cf32 recording of n samples at 1 Msps: noise at
// −60 dBFS and a −40 dBFS tone 200 kHz off centre over [from, to).
func toneRecording(t *testing.T, n, from, to int) *sigmf.Recording {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]complex64, n)
	for i := range x {
		x[i] = complex(float32(rng.NormFloat64()*7e-4), float32(rng.NormFloat64()*7e-4))
		if i >= from && i < to {
			s, c := math.Sincos(2 * math.Pi * 0.2 * float64(i))
			x[i] += complex(float32(0.01*c), float32(0.01*s))
		}
	}
	rec, err := sigmf.Open(sigmftest.WriteRecording(t, filepath.Join(t.TempDir(), "tone"), 1e6, 915e6, x))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rec.Close() })
	return rec
}

// TestScanRecordingInterrupted: a scan stopped part way returns what it
// found so far, the emission still open closed where the scan stopped,
// with an error that says how far it got and wraps the context's. It
// returned nothing but "context canceled".
func TestScanRecordingInterrupted(t *testing.T) {
	rec := toneRecording(t, 4*BlockSamples, 100_000, 250_000)
	ctx := &ctxtest.ErrAfter{Context: context.Background(), N: 2} // two blocks, then stop
	res, err := ScanRecording(ctx, rec, pipeline.Config{}, nil)
	var ie *InterruptedError
	if !errors.As(err, &ie) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want an InterruptedError wrapping context.Canceled", err)
	}
	if ie.DoneSamples != 2*BlockSamples || ie.TotalSamples != 4*BlockSamples || ie.Percent() != 50 {
		t.Errorf("interrupted at %d of %d samples (%d%%), want %d of %d (50%%)", ie.DoneSamples, ie.TotalSamples, ie.Percent(), 2*BlockSamples, 4*BlockSamples)
	}
	if len(res) != 1 {
		t.Fatalf("%d results, want the tone found before the interrupt", len(res))
	}
	e := res[0].Em
	if d := e.StartSample - 100_000; d < -256 || d > 256 {
		t.Errorf("tone starts at %d, want 100000", e.StartSample)
	}
	if end := e.StartSample + e.SampleCount; end > 2*BlockSamples || end < 2*BlockSamples-2048 {
		t.Errorf("tone ends at %d, want where the scan stopped (%d)", end, 2*BlockSamples)
	}
	if res[0].Label.Class != event.ClassUnknown && res[0].Label.Class != "" {
		t.Errorf("label %+v without a classifier", res[0].Label)
	}
}

// TestRunGeneratedInterrupted: an interrupted run keeps the tally of the
// cases done and names the case it stopped in ("case gsm@21dB#2: context
// canceled" and nothing else before).
func TestRunGeneratedInterrupted(t *testing.T) {
	c := GenConfig{Specs: []CaseSpec{specOf(t, event.ClassGSM)}, SNRsDB: []float64{21}, Cases: 3, NoiseCases: -1}
	// A GSM case is 80000 samples, two blocks: two cases, then stop.
	ctx := &ctxtest.ErrAfter{Context: context.Background(), N: 4}
	tl, err := RunGenerated(ctx, c, testPipeline(), nil)
	var ri *RunInterruptedError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &ri) || err.Error() != "interrupted at case gsm@21dB#2, after 2 of 3: context canceled" {
		t.Fatalf("err %v, want one naming case gsm@21dB#2 after 2 cases, wrapping context.Canceled", err)
	}
	if tl == nil || tl.Report().Runs != 2 {
		t.Fatalf("tally %+v, want the 2 cases done", tl)
	}
}

// TestRunCorpusInterrupted: an interrupted corpus run keeps the
// recordings scored before the one it stopped in.
func TestRunCorpusInterrupted(t *testing.T) {
	dir := t.TempDir()
	writeTiny(t, dir, "a", "", "lte-dl")
	writeTiny(t, dir, "b", "", "lte-dl")
	c, err := FindCorpus(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := &ctxtest.ErrAfter{Context: context.Background(), N: 2} // a's hash check and its one block, then stop
	run, err := RunCorpus(ctx, c, CorpusConfig{Pipeline: testPipeline()})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "interrupted at b.sigmf-meta, after 1 of 2: context canceled") {
		t.Fatalf("err %v, want one naming b.sigmf-meta after 1 of 2, wrapping context.Canceled", err)
	}
	if run == nil || len(run.Files) != 1 || run.Tally.Report().Runs != 1 {
		t.Fatalf("run %+v, want recording a scored", run)
	}
}

// TestRunCorpusVerifyProgress: the hash check of each recording could not
// be interrupted and showed nothing in the progress (a corpus of large
// recordings sat silent before its first sample was scanned). It reports
// the bytes it hashed (CorpusConfig.VerifyProgress) and stops with the
// run when ctx ends.
func TestRunCorpusVerifyProgress(t *testing.T) {
	dir := t.TempDir()
	var want int64
	for _, name := range []string{"a", "b"} {
		p := writeTiny(t, dir, name, "", "lte-dl")
		st, err := os.Stat(strings.TrimSuffix(p, sigmf.MetaExt) + sigmf.DataExt)
		if err != nil {
			t.Fatal(err)
		}
		want += st.Size()
	}
	c, err := FindCorpus(dir)
	if err != nil {
		t.Fatal(err)
	}
	var hashed, total, done int64
	doneAtHash := int64(-1) // the progress when the first chunk was hashed, before any scan
	if _, err := RunCorpus(context.Background(), c, CorpusConfig{Pipeline: testPipeline(),
		VerifyProgress: func(n int64) {
			hashed += n
			if doneAtHash < 0 {
				doneAtHash = done
			}
		},
		Start:    func(n int64) { total = n },
		Progress: func(n int64) { done += n }}); err != nil {
		t.Fatal(err)
	}
	if hashed != want {
		t.Errorf("hashed %d bytes, want the %d of the data", hashed, want)
	}
	// the sample progress moves while hashing too (a bar sat still
	// through the hash check of a large recording)
	if done != total || doneAtHash <= 0 {
		t.Errorf("progress %d of %d, %d after the first chunk hashed; want all, and some before the scan", done, total, doneAtHash)
	}
	hashed = 0
	ctx, cancel := context.WithCancel(context.Background())
	run, err := RunCorpus(ctx, c, CorpusConfig{Pipeline: testPipeline(), VerifyProgress: func(n int64) { hashed += n; cancel() }})
	var ie *RunInterruptedError
	if !errors.As(err, &ie) || !errors.Is(err, context.Canceled) || ie.At != "a.sigmf-meta" || len(run.Files) != 0 {
		t.Fatalf("cancelled while hashing a: %v, want interrupted at a.sigmf-meta with nothing scored", err)
	}
	if hashed == 0 || hashed >= want {
		t.Errorf("hashed %d bytes before stopping, want some of a's only", hashed)
	}
}
