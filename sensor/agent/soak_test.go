package agent

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/internal/benchcpu"
	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/config"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/sim"
)

// soakSource is the wing simulator's source, on the test's clock, ending
// after dur of simulated time; it records the heap in use each simulated
// minute and logs progress.
type soakSource struct {
	*sim.Source
	t        *testing.T
	clock    *simClock
	start    time.Time
	dur      time.Duration
	nextMark time.Duration
	heapMiB  []float64 // HeapInuse after a GC, at 0, 1, 2, ... minutes
	wall     time.Time
}

func (s *soakSource) Next(ctx context.Context) (sensor.Block, error) {
	b, err := s.Source.Next(ctx)
	if err != nil {
		return b, err
	}
	s.clock.ns.Store(b.Time.UnixNano())
	el := b.Time.Sub(s.start)
	if el >= s.nextMark {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		s.heapMiB = append(s.heapMiB, float64(m.HeapInuse)/(1<<20))
		s.t.Logf("soak: %v of %v simulated (%v wall): heap in use %.1f MiB", el.Round(time.Second), s.dur,
			time.Since(s.wall).Round(time.Second), s.heapMiB[len(s.heapMiB)-1])
		s.nextMark += time.Minute
	}
	if el >= s.dur {
		return sensor.Block{}, io.EOF
	}
	return b, nil
}

// TestAgentSoak runs the agent over the wing simulator's sensor s7 for
// RFW_SOAK of simulated time (e.g. RFW_SOAK=10m) with the full scan plan,
// classifiers, AGC, snippets, health and spectrum, and checks that the heap
// in use after the first minute (warm: every tuning's detector exists) does
// not grow by the end. Skipped unless RFW_SOAK is set; it takes several
// minutes of CPU.
func TestAgentSoak(t *testing.T) {
	v := os.Getenv("RFW_SOAK")
	if v == "" {
		t.Skip("set RFW_SOAK=10m to run the memory soak")
	}
	dur, err := time.ParseDuration(v)
	if err != nil || dur < 2*time.Minute {
		t.Fatalf("RFW_SOAK=%q: want a duration of at least 2m", v)
	}
	w := sim.StandardWing(1)
	src, err := w.NewSource("s7", sim.SourceOptions{SampleRateHz: 2e6, BlockSamples: 20000})
	if err != nil {
		t.Fatal(err)
	}
	clock := &simClock{}
	ss := &soakSource{Source: src, t: t, clock: clock, start: src.Time(), dur: dur, wall: time.Now()}
	cfg := testConfig(t)
	cfg.Source.SampleRateHz = 2e6
	cfg.Snippets.Dir = filepath.Join(t.TempDir(), "snippets")
	cfg.Snippets.MaxCount = 50
	cfg.SpectrumDur = 2 * time.Second
	cfg.Bands = []config.Band{
		{Name: "b20-ul", LowHz: 839e6, HighHz: 855e6, Dwell: 10 * time.Millisecond, Kind: config.KindDwell, MaxRevisit: 5 * time.Second},
		{Name: "gsm900-ul", LowHz: 896e6, HighHz: 909e6, Dwell: 10 * time.Millisecond, Kind: config.KindDwell, MaxRevisit: 5 * time.Second},
		{Name: "tetra", LowHz: 388e6, HighHz: 395e6, Dwell: 10 * time.Millisecond, Kind: config.KindSweep, MaxRevisit: 5 * time.Second},
		{Name: "ism2400", LowHz: 2405e6, HighHz: 2445e6, Dwell: 10 * time.Millisecond, Kind: config.KindSweep, MaxRevisit: 5 * time.Second},
	}
	cal := dsp.GainTable{Device: "sim", Points: []dsp.GainPoint{{FreqHz: 1e9, OffsetDB: sim.RefFullScaleDBm}}}
	cc := &countClient{}
	a, err := New(cfg, Deps{Source: ss, Clock: clock, ClientFactory: cc.factory(),
		Pipeline: pipeline.New(pipeline.Config{Calibrator: cal, Classifier: pipeline.DefaultClassifier()})})
	if err != nil {
		t.Fatal(err)
	}
	cpu0 := benchcpu.Process()
	if err := a.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := a.Stats()
	h := ss.heapMiB
	t.Logf("soak: %v simulated in %v wall, %v CPU: %d blocks, %.0f Msamples, %d detections, %d published, %d snippets, %d AGC changes",
		dur, time.Since(ss.wall).Round(time.Second), (benchcpu.Process() - cpu0).Round(time.Second), st.Blocks, float64(st.Samples)/1e6,
		st.Detections, cc.published.Load(), st.Snippets, st.AGCChanges)
	t.Logf("soak: heap in use per simulated minute (MiB): %.1f", h)
	if len(h) < 3 || st.Detections == 0 {
		t.Fatalf("soak too short to judge: %d heap samples, %d detections", len(h), st.Detections)
	}
	// Warm at one minute; the end may be a little above it from GC timing
	// and map growth, never by a leak's steady climb.
	if warm, end := h[1], h[len(h)-1]; end > warm*1.2+2 {
		t.Errorf("heap in use grew from %.1f MiB at 1 min to %.1f MiB at %v", warm, end, dur)
	}
}
