package agent

import (
	"context"
	"io"
	"math/rand/v2"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
)

// loopSource replays one pre-generated 20 Msps block n times, so the
// benchmark measures the agent and pipeline, not the generator.
type loopSource struct {
	buf  []complex64
	n, i int
}

func newLoopSource(n int) *loopSource {
	rng := rand.New(rand.NewPCG(3, 4))
	buf := make([]complex64, 1<<18)
	for i := range buf {
		buf[i] = complex(float32(rng.NormFloat64()*0.01), float32(rng.NormFloat64()*0.01))
	}
	// A bursty carrier so the pipeline has something to detect.
	for i := 50000; i < 90000; i++ {
		buf[i] += complex(0.2, 0)
	}
	return &loopSource{buf: buf, n: n}
}

func (s *loopSource) Next(context.Context) (sensor.Block, error) {
	if s.i >= s.n {
		return sensor.Block{}, io.EOF
	}
	first := int64(s.i) * int64(len(s.buf))
	s.i++
	return sensor.Block{Samples: s.buf, CenterHz: 905e6, SampleRateHz: 20e6, GainDB: 30, FirstSample: first,
		Time: simStart.Add(time.Duration(first) * 50), Device: "bench"}, nil
}

func (s *loopSource) Close() error { return nil }

// BenchmarkAgentEndToEnd runs 20 Msps blocks through the real pipeline, the
// outbox and a fake MQTT client. Reported: Msps (must be >= 40) and the heap
// in use before and after, to show memory stays flat.
func BenchmarkAgentEndToEnd(b *testing.B) {
	cfg := testConfig(b)
	cfg.Source.SampleRateHz = 20e6
	cfg.SpectrumDur = time.Second
	rc := &recClient{connected: true}
	src := newLoopSource(b.N)
	a, err := New(cfg, Deps{Source: src, Pipeline: pipeline.New(pipeline.Config{}), ClientFactory: rc.factory()})
	if err != nil {
		b.Fatal(err)
	}
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	b.SetBytes(int64(len(src.buf)) * 8)
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	if err := a.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	runtime.GC()
	runtime.ReadMemStats(&m1)
	b.ReportMetric(float64(b.N)*float64(len(src.buf))/b.Elapsed().Seconds()/1e6, "Msps")
	// On a shared machine wall time understates the rate: also report samples
	// per CPU-second of the whole process (all goroutines).
	b.ReportMetric(float64(b.N)*float64(len(src.buf))/cpu.Seconds()/1e6, "Msps/cpu-s")
	b.ReportMetric(float64(m0.HeapInuse)/(1<<20), "heapMiB-before")
	b.ReportMetric(float64(m1.HeapInuse)/(1<<20), "heapMiB-after")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
