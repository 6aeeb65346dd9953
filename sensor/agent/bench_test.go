package agent

import (
	"context"
	"io"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/benchcpu"
	"github.com/rfwarden/rfwarden/internal/realiq"
	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// benchBlock is the block length of the end-to-end benchmarks (13 ms at 20 Msps).
const benchBlock = 1 << 18

// loopSource replays a capture held in memory in blocks of benchBlock
// samples, wrapping around, n blocks in all, so the benchmark measures the
// agent and pipeline, not the generator or the disk.
type loopSource struct {
	buf    []complex64
	rateHz float64
	center float64
	n, i   int
}

// newLoopSource loops a synthetic 20 Msps block: noise and a bursty carrier.
func newLoopSource(n int) *loopSource {
	rng := rand.New(rand.NewPCG(3, 4))
	buf := make([]complex64, benchBlock)
	for i := range buf {
		buf[i] = complex(float32(rng.NormFloat64()*0.01), float32(rng.NormFloat64()*0.01))
	}
	// A bursty carrier so the pipeline has something to detect.
	for i := 50000; i < 90000; i++ {
		buf[i] += complex(0.2, 0)
	}
	return &loopSource{buf: buf, rateHz: 20e6, center: 905e6, n: n}
}

func (s *loopSource) Next(context.Context) (sensor.Block, error) {
	if s.i >= s.n {
		return sensor.Block{}, io.EOF
	}
	first := int64(s.i) * benchBlock
	off := int(first % int64(len(s.buf)))
	s.i++
	return sensor.Block{Samples: s.buf[off : off+benchBlock], CenterHz: s.center, SampleRateHz: s.rateHz, GainDB: 30,
		FirstSample: first, Time: simStart.Add(time.Duration(float64(first) / s.rateHz * 1e9)), Device: "bench"}, nil
}

func (s *loopSource) Close() error { return nil }

// BenchmarkAgentEndToEnd runs 20 Msps blocks through the real pipeline, the
// outbox and a fake MQTT client. Reported: Msps (must be >= 40) and the heap
// in use before and after, to show memory stays flat.
func BenchmarkAgentEndToEnd(b *testing.B) {
	benchAgent(b, newLoopSource(b.N), pipeline.Config{})
}

// BenchmarkAgentEndToEndRecording replays a real 19.2 Msps HackRF capture
// (LTE band 3 downlink and GSM-1800 bursts, 80 ms) end to end, looped,
// with the classifiers rfwarden sensor runs.
func BenchmarkAgentEndToEndRecording(b *testing.B) {
	rec, err := sigmf.Open(filepath.Join(realiq.Dir(b), "lte-fdd-gsm1800-1852M-hackrf.sigmf-meta"))
	if err != nil {
		b.Fatal(err)
	}
	defer rec.Close()
	// Whole blocks only, so a block never wraps.
	buf := make([]complex64, rec.NumSamples()/benchBlock*benchBlock)
	if n, err := rec.Read(buf); n != len(buf) {
		b.Fatalf("read %d of %d samples: %v", n, len(buf), err)
	}
	benchAgent(b, &loopSource{buf: buf, rateHz: rec.SampleRateHz(), center: rec.CenterHzAt(0), n: b.N},
		pipeline.Config{Classifier: pipeline.DefaultClassifier(), LabelReuse: pipeline.DefaultLabelReuse})
}

func benchAgent(b *testing.B, src *loopSource, pc pipeline.Config) {
	cfg := testConfig(b)
	cfg.Source.SampleRateHz = src.rateHz
	cfg.SpectrumDur = time.Second
	rc := &countClient{}
	a, err := New(cfg, Deps{Source: src, Pipeline: pipeline.New(pc), ClientFactory: rc.factory()})
	if err != nil {
		b.Fatal(err)
	}
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	b.SetBytes(benchBlock * 8)
	b.ReportAllocs()
	cpu0 := benchcpu.Process()
	b.ResetTimer()
	if err := a.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	cpu := benchcpu.Process() - cpu0
	runtime.GC()
	runtime.ReadMemStats(&m1)
	samples := float64(b.N) * benchBlock
	b.ReportMetric(samples/b.Elapsed().Seconds()/1e6, "Msps")
	// On a shared machine wall time understates the rate: also report samples
	// per CPU-second of the whole process (all goroutines).
	b.ReportMetric(samples/cpu.Seconds()/1e6, "Msps/cpu-s")
	b.ReportMetric(float64(a.Stats().Detections)/float64(b.N), "detections/block")
	b.ReportMetric(float64(rc.published.Load())/float64(b.N), "published/block")
	b.ReportMetric(float64(m0.HeapInuse)/(1<<20), "heapMiB-before")
	b.ReportMetric(float64(m1.HeapInuse)/(1<<20), "heapMiB-after")
}
