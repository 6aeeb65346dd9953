package agent

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/config"
)

func TestTamperStates(t *testing.T) {
	cfg := config.Default().Tamper // collapse 6 dB, rise 15 dB, clip 1 %, persist 3
	for _, tc := range []struct {
		name   string
		floors []float64 // after 10 blocks at -100
		clip   float64
		want   string
	}{
		{"steady", []float64{-100, -101, -99}, 0, event.StateOK},
		{"small dip", []float64{-104, -104, -104, -104}, 0, event.StateOK},
		{"collapse", []float64{-110, -110, -110}, 0, event.StateTampered},
		{"collapse not persistent", []float64{-110, -110, -100, -110}, 0, event.StateOK},
		{"rise", []float64{-80, -80, -80}, 0, event.StateJammed},
		{"clipping", []float64{-100, -100, -100}, 0.05, event.StateOverloaded},
		{"clipping and rise", []float64{-70, -70, -70}, 0.5, event.StateOverloaded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tm := NewTamper(cfg)
			at := simStart
			for range 10 {
				tm.Observe("b", at, BlockStats{FloorDBFS: -100})
				at = at.Add(time.Second)
			}
			for _, f := range tc.floors {
				tm.Observe("b", at, BlockStats{FloorDBFS: f, ClipFraction: tc.clip})
				at = at.Add(time.Second)
			}
			got, reasons := tm.State()
			if got != tc.want {
				t.Errorf("state: got %q (%v), want %q", got, reasons, tc.want)
			}
			if (got == event.StateOK) != (len(reasons) == 0) {
				t.Errorf("reasons %v inconsistent with state %q", reasons, got)
			}
		})
	}
}

// TestTamperNeedsSeveralBands: a raised or collapsed floor in one band of
// several is a strong signal in that band starting or stopping, not a
// jammer or a cut antenna; in two bands at once it is the front end.
func TestTamperNeedsSeveralBands(t *testing.T) {
	cfg := config.Default().Tamper
	for _, tc := range []struct {
		name  string
		floor float64 // of the changed bands, after a baseline at -100
		bands []string
		want  string
	}{
		{"risen in one band of three", -70, []string{"a"}, event.StateOK},
		{"risen in two bands of three", -70, []string{"a", "c"}, event.StateJammed},
		{"risen in all bands", -70, []string{"a", "b", "c"}, event.StateJammed},
		{"collapsed in one band of three", -110, []string{"b"}, event.StateOK},
		{"collapsed in two bands of three", -110, []string{"a", "b"}, event.StateTampered},
		{"collapsed in all bands", -110, []string{"a", "b", "c"}, event.StateTampered},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tm := NewTamper(cfg)
			at := simStart
			for range 10 {
				for _, b := range []string{"a", "b", "c"} {
					tm.Observe(b, at, BlockStats{FloorDBFS: -100})
				}
				at = at.Add(time.Second)
			}
			for range 3 {
				for _, b := range tc.bands {
					tm.Observe(b, at, BlockStats{FloorDBFS: tc.floor})
				}
				at = at.Add(time.Second)
			}
			got, reasons := tm.State()
			if got != tc.want {
				t.Errorf("state %q (%v), want %q", got, reasons, tc.want)
			}
			if got != event.StateOK && len(reasons) != len(tc.bands) {
				t.Errorf("reasons %v: want one per changed band %v", reasons, tc.bands)
			}
		})
	}
}

func TestTamperStall(t *testing.T) {
	tm := NewTamper(config.Default().Tamper)
	tm.Observe("b", simStart, BlockStats{FloorDBFS: -90})
	if tm.CheckStall(simStart.Add(time.Second), "") {
		t.Error("CheckStall after 1 s: stalled")
	}
	if s, _ := tm.State(); s != event.StateOK {
		t.Fatalf("stalled after 1 s: %s", s)
	}
	if !tm.CheckStall(simStart.Add(6*time.Second), "hackrf_open() failed: HackRF not found (-5)") {
		t.Error("CheckStall after 6 s: not newly stalled")
	}
	if tm.CheckStall(simStart.Add(9*time.Second), "hackrf_open() failed: HackRF not found (-5)") {
		t.Error("CheckStall after 9 s: newly stalled again")
	}
	if s, r := tm.State(); s != event.StateStalled || len(r) != 1 || r[0] != "no samples for 9s: hackrf_open() failed: HackRF not found (-5)" {
		t.Fatalf("state %s %q, want stalled for 9 s with the source's error", s, r)
	}
	tm.Observe("b", simStart.Add(10*time.Second), BlockStats{FloorDBFS: -90})
	if s, _ := tm.State(); s != event.StateOK {
		t.Fatalf("state %s after samples resumed, want ok", s)
	}
}

// TestTamperStallWithoutAnyBlock: a receiver that never delivered a block
// stalls tamper.stall after the stream was expected (it stayed ok).
func TestTamperStallWithoutAnyBlock(t *testing.T) {
	tm := NewTamper(config.Default().Tamper)
	tm.Expect(simStart)
	tm.CheckStall(simStart.Add(4*time.Second), "")
	if s, _ := tm.State(); s != event.StateOK {
		t.Fatalf("stalled after 4 s: %s", s)
	}
	tm.CheckStall(simStart.Add(5*time.Second), "")
	if s, r := tm.State(); s != event.StateStalled || r[0] != "no samples for 5s" {
		t.Fatalf("state %s %q, want stalled: no samples for 5s", s, r)
	}
}

func TestMeasureBlock(t *testing.T) {
	x := make([]complex64, 6400)
	for i := range x {
		x[i] = complex(0.1, 0) // -20 dBFS
	}
	for i := range 640 { // 10 % of samples clipped, at the start
		x[i] = complex(1, 0)
	}
	var m BlockMeter
	st := m.Measure(x)
	if math.Abs(st.FloorDBFS-(-20)) > 0.01 {
		t.Errorf("floor: got %.2f dBFS, want -20", st.FloorDBFS)
	}
	if math.Abs(st.ClipFraction-0.1) > 1e-9 || st.Clipped != 640 || st.PeakDBFS != 0 {
		t.Errorf("clip: got %v (%d), peak %v dBFS; want 0.1 (640), 0 dBFS", st.ClipFraction, st.Clipped, st.PeakDBFS)
	}
	// A peak in the trailing part-chunk counts; negative values count by magnitude.
	y := append(make([]complex64, 100), complex(0, -0.5), complex(-0.995, 0))
	for i := range 100 {
		y[i] = complex(0.01, -0.02)
	}
	if st := m.Measure(y); st.Clipped != 1 || math.Abs(st.PeakDBFS-20*math.Log10(0.995)) > 1e-6 {
		t.Errorf("tail: clipped %d, peak %.4f dBFS; want 1, %.4f", st.Clipped, st.PeakDBFS, 20*math.Log10(0.995))
	}
	if st := m.Measure(nil); !math.IsInf(st.FloorDBFS, -1) || st.ClipFraction != 0 || st.SpectralFrames != 0 {
		t.Errorf("empty block: %+v", st)
	}
}

func TestHealthzAndMetrics(t *testing.T) {
	cfg := testConfig(t)
	reg := prometheus.NewRegistry()
	clock := &simClock{}
	src := newSynth(clock, 50)
	a, err := New(cfg, Deps{Source: &tunable{src}, Pipeline: &everyPipeline{every: 10}, Clock: clock,
		ClientFactory: (&recClient{connected: true}).factory(), Registry: reg, Gatherer: reg})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	a.healthz(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("/healthz: got %d, want 200", rec.Code)
	}
	h, err := event.DecodeHealth(rec.Body.Bytes())
	if err != nil {
		t.Fatalf("/healthz body: %v", err)
	}
	if _, ok := h.RevisitS["gsm900"]; !ok {
		t.Errorf("health has no revisit for the scan band: %+v", h)
	}
	rec = httptest.NewRecorder()
	metricsHandler(reg).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{`rfwarden_revisit_seconds{band="gsm900"}`, `rfwarden_detections_total{class="lte"} 5`,
		"rfwarden_samples_total 1e+06"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// tunable makes a synthSource a sensor.Tuner so the scan plan drives it.
type tunable struct{ *synthSource }

func (t *tunable) Tune(centerHz, _ float64) error { t.center = centerHz; return nil }

// TestOutboxQuotaDegrades fills a tiny outbox while the broker is away: the
// oldest detections are dropped, counted, and health says degraded.
func TestOutboxQuotaDegrades(t *testing.T) {
	cfg := testConfig(t)
	cfg.Outbox.SegmentBytes = 4096
	cfg.Outbox.QuotaBytes = 8192
	cfg.MQTT.AckTimeout = 10 * time.Millisecond // bounds Run's final drain wait
	a, err := New(cfg, Deps{Source: newSynth(nil, 200), Pipeline: &everyPipeline{every: 1},
		ClientFactory: (&recClient{}).factory()})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Run closed the outbox; Health still reports the counters it saw last.
	h := a.Health()
	if h.State != event.StateDegraded || h.OutboxDropped == 0 || h.OutboxDropped+h.OutboxDepth != 200 {
		t.Errorf("health: state %q dropped %d depth %d; want degraded with dropped+depth = 200", h.State, h.OutboxDropped, h.OutboxDepth)
	}
}

// noiseBlock returns n samples of complex Gaussian noise of mean power
// 10^(dBFS/10), plus a tone of power 10^(toneDBFS/10) at a quarter of the
// sample rate when toneDBFS > -200.
func noiseBlock(rng *rand.Rand, n int, dBFS, toneDBFS float64) []complex64 {
	a := math.Sqrt(math.Pow(10, dBFS/10) / 2)
	tone := 0.0
	if toneDBFS > -200 {
		tone = math.Sqrt(math.Pow(10, toneDBFS/10))
	}
	phase := rng.Float64() * 2 * math.Pi
	x := make([]complex64, n)
	for i := range x {
		s, c := math.Sincos(phase + math.Pi/2*float64(i))
		x[i] = complex(float32(rng.NormFloat64()*a+tone*c), float32(rng.NormFloat64()*a+tone*s))
	}
	return x
}

// TestSpectralFloor: the spectral floor reads white noise at its mean
// power, and does not rise for a strong carrier that raises every chunk's
// power; broadband noise raises both proxies.
func TestSpectralFloor(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var m BlockMeter
	for _, tc := range []struct {
		name           string
		noise, tone    float64 // dBFS
		floor, specLvl float64 // want, dBFS: FloorDBFS at least, SpectralDBFS within 1.5 dB
	}{
		{"noise", -40, -300, -41.5, -40},
		{"noise and a carrier 30 dB over it", -40, -10, -12, -40},
		{"noise 30 dB up", -10, -300, -11.5, -10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := m.Measure(noiseBlock(rng, 16384, tc.noise, tc.tone))
			if st.SpectralFrames != spectralFrames {
				t.Fatalf("spectral frames %d, want %d", st.SpectralFrames, spectralFrames)
			}
			t.Logf("floor %.2f dBFS, spectral %.2f dBFS", st.FloorDBFS, st.SpectralDBFS)
			if st.FloorDBFS < tc.floor || math.Abs(st.SpectralDBFS-tc.specLvl) > 1.5 {
				t.Errorf("floor %.1f dBFS (want ≥ %.1f), spectral %.1f dBFS (want %.1f ± 1.5)", st.FloorDBFS, tc.floor, st.SpectralDBFS, tc.specLvl)
			}
		})
	}
	if st := m.Measure(make([]complex64, chunkSamples*(minSpectralFrames-1))); st.SpectralFrames != 0 {
		t.Errorf("%d chunks: spectral frames %d, want none", minSpectralFrames-1, st.SpectralFrames)
	}
}

// TestTamperCarrierIsNotJamming: a strong carrier in two bands at once (a
// staff radio's TETRA beside a handset on a long call) raises the chunk
// powers' floor in both, which alone would read as jamming; the spectral
// floor says the noise did not rise. A jammer's noise and a cut antenna
// still move both.
func TestTamperCarrierIsNotJamming(t *testing.T) {
	cfg := config.Default().Tamper
	for _, tc := range []struct {
		name        string
		noise, tone float64 // dBFS in bands a and b after the baseline at -40 dBFS noise
		timeOnly    bool    // drop the spectral floor (the detector before it)
		want        string
	}{
		{"carrier 30 dB over the noise", -40, -10, false, event.StateOK},
		{"carrier, chunk powers only", -40, -10, true, event.StateJammed},
		{"jammer 30 dB", -10, -300, false, event.StateJammed},
		{"jammer 30 dB and a carrier", -10, 0, false, event.StateJammed},
		{"antenna cut 20 dB", -60, -300, false, event.StateTampered},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			var m BlockMeter
			tm := NewTamper(cfg)
			at := simStart
			feed := func(band string, noise, tone float64) {
				st := m.Measure(noiseBlock(rng, 8192, noise, tone))
				if tc.timeOnly {
					st.SpectralFrames = 0
				}
				tm.Observe(band, at, st)
			}
			for range 12 {
				for _, b := range []string{"a", "b", "c"} {
					feed(b, -40, -300)
				}
				at = at.Add(100 * time.Millisecond)
			}
			for range cfg.PersistBlocks + 2 {
				feed("a", tc.noise, tc.tone)
				feed("b", tc.noise, tc.tone)
				feed("c", -40, -300)
				at = at.Add(100 * time.Millisecond)
			}
			if got, reasons := tm.State(); got != tc.want {
				t.Errorf("state %q (%v), want %q", got, reasons, tc.want)
			}
		})
	}
}

// BenchmarkMeasureBlock measures (BlockMeter.Measure) the per-block statistics of the tamper
// detector and the AGC on a 20 Msps block of noise.
func BenchmarkMeasureBlock(b *testing.B) {
	src := newLoopSource(1)
	b.SetBytes(int64(len(src.buf)) * 8)
	var m BlockMeter
	for b.Loop() {
		m.Measure(src.buf)
	}
	b.ReportMetric(float64(len(src.buf))*float64(b.N)/b.Elapsed().Seconds()/1e6, "Msps")
}

// gainSource is a source the agent's AGC can set the gain of; the test
// hands blocks to the agent itself.
type gainSource struct{ synthSource }

func (*gainSource) SetGainDB(float64) error { return nil }

// TestAGCLoweredFloorIsNotTamper: a strong signal made the AGC lower one
// tuning's gain, so its quantised floor reads 40 dB down; with one other
// band's floor 10 dB under its baseline (a handset that was on while it was
// learnt), the node is not tampered: the lowered band's floor is not
// measured. (The demo's s3 reported itself tampered once its TETRA tuning
// went to 2 dB beside a staff radio.) Two bands measured down still are
// tampered, and a jammer's rise still shows in a band at lowered gain.
func TestAGCLoweredFloorIsNotTamper(t *testing.T) {
	cfg := testConfig(t)
	cfg.Bands = []config.Band{
		{Name: "a", LowHz: 880e6, HighHz: 900e6, Dwell: 10 * time.Millisecond, Kind: config.KindDwell, MaxRevisit: 2 * time.Second},
		{Name: "b", LowHz: 400e6, HighHz: 420e6, Dwell: 10 * time.Millisecond, Kind: config.KindDwell, MaxRevisit: 2 * time.Second},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	block := func(i int, centerHz, gainDB, rms float64) sensor.Block {
		x := make([]complex64, 20000)
		for k := range x {
			x[k] = complex(float32(rng.NormFloat64()*rms/math.Sqrt2), float32(rng.NormFloat64()*rms/math.Sqrt2))
		}
		return sensor.Block{Samples: x, CenterHz: centerHz, SampleRateHz: 2e6, GainDB: gainDB,
			FirstSample: int64(i) * 20000, Time: simStart.Add(time.Duration(i) * 10 * time.Millisecond), Device: "synth"}
	}
	for _, tc := range []struct {
		name       string
		gainB      float64 // band b's gain after the baseline
		rmsA, rmsB float64 // after the baseline (0.01)
		want       string
		floorB     int // band b's reported floor afterwards against before: -1 lower, 0 the same, +1 higher
	}{
		// The floor under the quantiser is not reported (it read -304 dBm
		// on the demo's dashboard): the band keeps its last real floor.
		{"band b's gain lowered by the AGC", 14, 0.003, 0.0001, event.StateOK, 0},
		{"band b's floor down at full gain", 30, 0.003, 0.0001, event.StateTampered, -1},
		{"a jammer, band b's gain lowered", 14, 0.5, 0.5, event.StateJammed, +1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := &recClient{connected: true}
			a, err := New(cfg, Deps{Source: &gainSource{}, Pipeline: &everyPipeline{}, Clock: &simClock{}, ClientFactory: rc.factory()})
			if err != nil {
				t.Fatal(err)
			}
			if a.agc == nil {
				t.Fatal("no AGC for a source that takes a gain")
			}
			i := 0
			feed := func(centerHz, gainDB, rms float64) {
				t.Helper()
				if err := a.handle(block(i, centerHz, gainDB, rms)); err != nil {
					t.Fatal(err)
				}
				i++
			}
			for range 12 {
				feed(890e6, 30, 0.01)
				feed(410e6, 30, 0.01)
			}
			before := a.Health().NoiseFloorDBm["b"]
			for range 5 {
				feed(890e6, 30, tc.rmsA)
				feed(410e6, tc.gainB, tc.rmsB)
			}
			h := a.Health()
			if h.State != tc.want {
				t.Errorf("state %q (%v), want %q", h.State, h.Reasons, tc.want)
			}
			after, ok := h.NoiseFloorDBm["b"]
			if d := after - before; !ok || (tc.floorB == 0 && math.Abs(d) > 0.5) || d*float64(tc.floorB) < 0 || (tc.floorB != 0 && math.Abs(d) < 3) {
				t.Errorf("band b's reported floor %.1f dBm (listed %v), %.1f before; want it %+d (0: unchanged)", after, ok, before, tc.floorB)
			}
		})
	}
}

// TestHealthzWithoutBroker: while the broker is out of reach the node's
// own /healthz says so (degraded, HTTP 503, the outbox's depth in the
// reason); it said ok.
func TestHealthzWithoutBroker(t *testing.T) {
	cfg := testConfig(t)
	src := newSynth(nil, 0)
	src.stall = 20
	rc := &recClient{} // never connects
	a, err := New(cfg, Deps{Source: src, Pipeline: &everyPipeline{every: 2}, ClientFactory: rc.factory()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for a.Stats().Detections < 5 && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	rec := httptest.NewRecorder()
	a.healthz(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	h, err := event.DecodeHealth(rec.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusServiceUnavailable || h.State != event.StateDegraded || !strings.Contains(strings.Join(h.Reasons, ";"), "not connected to the MQTT broker") {
		t.Errorf("/healthz without a broker: %d %+v", rec.Code, h)
	}
	rc.mu.Lock()
	rc.connected = true
	rc.mu.Unlock()
	rec = httptest.NewRecorder()
	a.healthz(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("/healthz with the broker back: %d %s", rec.Code, rec.Body)
	}
}

// lossySource is a synthSource whose receiver loses samples (Dropped) and
// fails every every-th call.
type lossySource struct {
	*synthSource
	lost  int64
	every int
	calls int
}

func (s *lossySource) Next(ctx context.Context) (sensor.Block, error) {
	s.calls++
	if s.every > 0 && s.calls%s.every == 0 {
		return sensor.Block{}, errors.New("hackrf: USB transfer failed (LIBUSB_ERROR_IO)")
	}
	b, err := s.synthSource.Next(ctx)
	b.Dropped = s.lost
	return b, err
}

// metricValue returns the value of the metric name (without labels) in reg, and
// whether there is one.
func metricValue(t *testing.T, reg prometheus.Gatherer, name string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			m := mf.GetMetric()[0]
			if c := m.GetCounter(); c != nil {
				return c.GetValue(), true
			}
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

// TestDataLossMetrics: what health counts as lost (detections dropped
// over the outbox's quota, samples the receiver dropped, its errors,
// clipped samples) is a Prometheus counter too, equal to the health field.
// 102 detections dropped over the quota showed in health only.
func TestDataLossMetrics(t *testing.T) {
	cfg := testConfig(t)
	cfg.Outbox.SegmentBytes = 4096
	cfg.Outbox.QuotaBytes = 8192
	cfg.MQTT.AckTimeout = 10 * time.Millisecond // bounds Run's final drain wait
	src := &lossySource{synthSource: newSynth(nil, 200), lost: 500, every: 7}
	src.level = func(i int) float64 { return 0.01 + float64(i%2) } // every other block clips
	reg := prometheus.NewRegistry()
	a, err := New(cfg, Deps{Source: src, Pipeline: &everyPipeline{every: 1}, Registry: reg,
		ClientFactory: (&recClient{}).factory()})
	if err != nil {
		t.Fatal(err)
	}
	a.retryWait = func(context.Context, time.Duration) {}
	if err := a.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	h := a.Health()
	for _, tc := range []struct {
		metric string
		health int64
	}{
		{"rfwarden_outbox_dropped_total", h.OutboxDropped},
		{"rfwarden_dropped_samples_total", h.DroppedSamples},
		{"rfwarden_source_errors_total", h.USBErrors},
		{"rfwarden_overload_total", h.OverloadCount},
	} {
		got, ok := metricValue(t, reg, tc.metric)
		if !ok || tc.health == 0 || got != float64(tc.health) {
			t.Errorf("%s = %v (registered: %v), want the health field's %d (not 0)", tc.metric, got, ok, tc.health)
		}
	}
}
