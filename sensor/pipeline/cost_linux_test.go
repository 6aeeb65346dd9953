//go:build linux

package pipeline_test

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/benchcpu"
	"github.com/rfwarden/rfwarden/internal/realiq"
	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// streamS is how much signal time BenchmarkRealStream feeds per recording.
const streamS = 1.0

// streamBlock is the block length (as rfwarden scan reads files).
const streamBlock = 1 << 16

// loopStream cuts streamS seconds of rec's samples, the recording repeated
// end to end, into Blocks of streamBlock samples.
func loopStream(tb testing.TB, path string) []sensor.Block {
	rec, err := sigmf.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer rec.Close()
	iq := make([]complex64, rec.NumSamples())
	if n, err := rec.Read(iq); n != len(iq) {
		tb.Fatalf("%s: read %d of %d samples: %v", path, n, len(iq), err)
	}
	fs, fc := rec.SampleRateHz(), rec.CenterHzAt(0)
	total := int(streamS * fs)
	x := make([]complex64, 0, total)
	for len(x) < total {
		x = append(x, iq[:min(len(iq), total-len(x))]...)
	}
	var out []sensor.Block
	t0 := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	for i := 0; i < len(x); i += streamBlock {
		out = append(out, sensor.Block{Samples: x[i:min(len(x), i+streamBlock)], CenterHz: fc, SampleRateHz: fs,
			FirstSample: int64(i), Time: t0.Add(time.Duration(float64(i) / fs * 1e9)), Device: "file", Retuned: i == 0})
	}
	return out
}

// runStream runs blocks through a new Pipeline with classifier inner and
// label reuse, and returns the thread CPU time of the whole run, the part
// spent in Classify calls, and the results.
func runStream(tb testing.TB, blocks []sensor.Block, inner pipeline.Classifier, reuse time.Duration) (total, class time.Duration, n int) {
	timed := pipeline.ClassifierFunc(func(in pipeline.ClassifierInput) pipeline.Label {
		t0 := benchcpu.Thread()
		l := inner.Classify(in)
		class += benchcpu.Thread() - t0
		return l
	})
	p := pipeline.New(pipeline.Config{Classifier: timed, LabelReuse: reuse})
	var res []pipeline.Result
	t0 := benchcpu.Thread()
	for _, b := range blocks {
		var err error
		if res, err = p.Process(b, res[:0]); err != nil {
			tb.Fatal(err)
		}
		n += len(res)
	}
	res = p.Flush(res[:0])
	return benchcpu.Thread() - t0, class, n + len(res)
}

// BenchmarkRealStream measures what classification costs in the sensor
// pipeline on each real recording played as a 1 s stream (the recording
// looped, since each is only 4.5–80 ms long), in CPU time of the one
// locked thread: class/det is the time inside Classify calls over the rest
// of the pipeline's (the DSP core: detector, sample ring, results), with
// the label reuse rfwarden sensor runs (pipeline.DefaultLabelReuse);
// class/det-all the same when every emission is classified (rfwarden
// scan). In a stream a carrier that never stops is one emission until the
// detector's MaxEmissionDur (500 ms), so it is classified twice a second,
// not once per short capture as in BenchmarkRealBusyBand (dsp/classify).
// The loop's seam is a jump in phase and content every recording length,
// which ends and starts some emissions: em/s counts them.
func BenchmarkRealStream(b *testing.B) {
	dir := realiq.Dir(b)
	metas, _ := filepath.Glob(filepath.Join(dir, "*.sigmf-meta"))
	for _, m := range metas {
		blocks := loopStream(b, m)
		b.Run(strings.TrimSuffix(filepath.Base(m), ".sigmf-meta"), func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			// One classifier for the whole benchmark, warmed by a first
			// stream, as a sensor's lives for hours: its FFT plans and
			// scratch memory are made once.
			cl := pipeline.DefaultClassifier()
			runStream(b, blocks, cl, 0)
			var total, class, totalAll, classAll time.Duration
			var ems int
			for b.Loop() {
				t, c, n := runStream(b, blocks, cl, pipeline.DefaultLabelReuse)
				total += t
				class += c
				ems += n
				t, c, _ = runStream(b, blocks, cl, 0)
				totalAll += t
				classAll += c
			}
			b.ReportMetric(float64(class)/float64(total-class), "class/det")
			b.ReportMetric(float64(classAll)/float64(totalAll-classAll), "class/det-all")
			b.ReportMetric(float64((total-class).Milliseconds())/float64(b.N)/streamS, "core-ms/s")
			b.ReportMetric(float64(class.Milliseconds())/float64(b.N)/streamS, "class-ms/s")
			b.ReportMetric(float64(ems)/float64(b.N)/streamS, "em/s")
		})
	}
}
