//go:build linux

package classify_test

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/dsp/classify"
	"github.com/rfwarden/rfwarden/internal/benchcpu"
)

// BenchmarkRealBusyBand runs the detector over each real recording (64 Ki
// sample blocks, as rfwarden scan does), then classifies every emission
// with the samples the sensor pipeline would hand over (at most 2^20, the
// latest), and reports the classification's CPU time over the detector's
// (class/det), CPU ns per emission (cpu-ns/em) and emissions per pass.
// CPU time of the one locked thread is used, not wall time.
func BenchmarkRealBusyBand(b *testing.B) {
	dir := realDir(b)
	metas, _ := filepath.Glob(filepath.Join(dir, "*.sigmf-meta"))
	set := classify.Default()
	for _, m := range metas {
		r := loadRecording(b, m)
		b.Run(r.name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var detNs, clsNs, nEm int64
			for b.Loop() {
				det, err := dsp.NewDetector(dsp.DetectorConfig{SampleRateHz: r.fs})
				if err != nil {
					b.Fatal(err)
				}
				t0 := int64(benchcpu.Thread())
				var ems []dsp.Emission
				for s := 0; s < len(r.iq); s += 1 << 16 {
					ems = det.Process(r.iq[s:min(len(r.iq), s+1<<16)], int64(s), ems)
				}
				ems = det.Flush(ems)
				t1 := int64(benchcpu.Thread())
				for _, e := range ems {
					lo := max(e.StartSample, e.EndSample()-1<<20)
					set.Classify(classify.Input{IQ: r.iq[lo:e.EndSample()], IQStart: lo, SampleRateHz: r.fs, CenterHz: r.fc, Em: e})
				}
				detNs += t1 - t0
				clsNs += int64(benchcpu.Thread()) - t1
				nEm += int64(len(ems))
			}
			b.ReportMetric(float64(clsNs)/float64(max(detNs, 1)), "class/det")
			b.ReportMetric(float64(clsNs)/float64(max(nEm, 1)), "cpu-ns/em")
			b.ReportMetric(float64(nEm)/float64(b.N), "em/op")
		})
	}
}
