package agent

import (
	"context"
	"io"
	"math"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/config"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/sim"
)

// blockLog wraps the simulator's source and records each block's gain and
// clipped fraction, ending the run after until.
type blockLog struct {
	*sim.Source
	clock *simClock
	until time.Time
	gains []float64
	clips []float64
	times []time.Time
	meter BlockMeter
	// agent, when set, is asked for its health state before each block,
	// kept in states.
	agent  *Agent
	states []string
}

func (l *blockLog) Next(ctx context.Context) (sensor.Block, error) {
	b, err := l.Source.Next(ctx)
	if err != nil {
		return b, err
	}
	if b.Time.After(l.until) {
		return sensor.Block{}, io.EOF
	}
	l.clock.ns.Store(b.Time.UnixNano())
	if l.agent != nil {
		l.states = append(l.states, l.agent.Health().State)
	}
	st := l.meter.Measure(b.Samples)
	l.gains = append(l.gains, b.GainDB)
	l.clips = append(l.clips, st.ClipFraction)
	l.times = append(l.times, b.Time)
	return b, nil
}

// handsetRun runs the agent on sensor s7 of the standard wing, tuned to the
// GSM-900 uplink of phone-gsm-1 (a handset 3 m away on the same landing)
// during one of its calls, and returns the block log and the handset's
// detections.
func handsetRun(t *testing.T, gainDB float64, agc bool, from, until time.Time) (*blockLog, []event.Detection) {
	t.Helper()
	w := sim.StandardWing(1)
	src, err := w.NewSource("s7", sim.SourceOptions{CenterHz: 902e6, SampleRateHz: 2e6, GainDB: gainDB, Start: from})
	if err != nil {
		t.Fatal(err)
	}
	clock := &simClock{}
	lg := &blockLog{Source: src, clock: clock, until: until}
	cfg := testConfig(t)
	cfg.Source.SampleRateHz = 2e6
	cfg.Bands = []config.Band{{Name: "gsm900-ul", LowHz: 901.2e6, HighHz: 902.8e6, Dwell: time.Second,
		Kind: config.KindDwell, MaxRevisit: 10 * time.Second}}
	cfg.AGC.Enabled = agc
	rc := &recClient{connected: true}
	// The simulator's calibration: dBm = dBFS - gain + RefFullScaleDBm.
	cal := dsp.GainTable{Device: "sim", Points: []dsp.GainPoint{{FreqHz: 902e6, OffsetDB: sim.RefFullScaleDBm}}}
	a, err := New(cfg, Deps{Source: lg, Pipeline: pipeline.New(pipeline.Config{Calibrator: cal}), Clock: clock,
		ClientFactory: rc.factory()})
	if err != nil {
		t.Fatal(err)
	}
	lg.agent = a
	if err := a.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var dets []event.Detection
	for _, d := range rc.detections(t) {
		if math.Abs(d.CenterHz-902.4e6) < 150e3 {
			dets = append(dets, d)
		}
	}
	return lg, dets
}

// handsetCall returns a time one second into phone-gsm-1's first call of
// at least 10 s.
func handsetCall(t *testing.T, w *sim.Wing) time.Time {
	t.Helper()
	call, ok := w.FirstSession("phone-gsm-1", 10*time.Second, 4*time.Hour)
	if !ok {
		t.Fatal("phone-gsm-1 makes no call of 10 s in the first 4 hours")
	}
	return call.Start.Add(time.Second)
}

func medianPower(ds []event.Detection) float64 {
	p := make([]float64, len(ds))
	for i, d := range ds {
		p[i] = d.PowerDBm
	}
	sort.Float64s(p)
	return p[len(p)/2]
}

// TestAGCStrongHandset: at the simulator's automatic gain, a GSM handset a
// few metres from the sensor clips the 8-bit ADC and its reported power
// falls short. With the AGC on, clipping stops within a few blocks, and the
// handset's reported power from then on stays within 1 dB of what an
// unclipped receiver (a fixed gain 20 dB lower) reports.
func TestAGCStrongHandset(t *testing.T) {
	w := sim.StandardWing(1)
	from := handsetCall(t, w)
	until := from.Add(3 * time.Second)
	auto := sim.AutoGainDB(2e6)
	truthDBm := w.ReceivedPowerDBm("phone-gsm-1", "s7")
	t.Logf("handset received at %.1f dBm; full scale at auto gain %.0f dB is %.1f dBm", truthDBm, auto, sim.FullScaleDBm(auto))

	refLog, ref := handsetRun(t, auto-20, false, from, until)
	if maxClip(refLog.clips) > 0 {
		t.Fatalf("reference run at %v dB clips (%.4f): choose a lower gain", auto-20, maxClip(refLog.clips))
	}
	if len(ref) < 6 {
		t.Fatalf("reference run: %d handset detections", len(ref))
	}
	refDBm := medianPower(ref)

	clipLog, clipped := handsetRun(t, 0, false, from, until)
	if len(clipped) == 0 || maxClip(clipLog.clips[len(clipLog.clips)/2:]) == 0 {
		t.Fatalf("without AGC: %d detections, clipping %v; the scenario does not clip", len(clipped), clipLog.clips)
	}
	t.Logf("without AGC: median %.1f dBm (reference %.1f dBm, truth %.1f dBm), clipping in %d of %d blocks",
		medianPower(clipped), refDBm, truthDBm, countAbove(clipLog.clips, 0), len(clipLog.clips))

	agcLog, dets := handsetRun(t, 0, true, from, until)
	settled := -1 // first block from which no block clips
	for i := len(agcLog.clips) - 1; i >= 0 && agcLog.clips[i] == 0; i-- {
		settled = i
	}
	t.Logf("with AGC: gains %v; clipping stops at block %d", agcLog.gains, settled)
	if settled < 0 || settled > 8 {
		t.Fatalf("with AGC clipping stopped at block %d (clip fractions %v), want within 8 blocks", settled, agcLog.clips)
	}
	if g := agcLog.gains[len(agcLog.gains)-1]; g >= auto {
		t.Errorf("final gain %v dB, want below the automatic %v dB", g, auto)
	}
	n := 0
	for _, d := range dets {
		if time.Unix(0, d.TimeNS).Before(agcLog.times[settled]) {
			continue
		}
		n++
		if math.Abs(d.PowerDBm-refDBm) > 1 {
			t.Errorf("detection at %v: %.2f dBm, want within 1 dB of the unclipped %.2f dBm",
				time.Unix(0, d.TimeNS).Sub(from), d.PowerDBm, refDBm)
		}
	}
	if n < len(ref)/2 {
		t.Errorf("with AGC: %d handset detections after settling, want at least half the reference's %d", n, len(ref))
	}
	t.Logf("with AGC: %d detections after settling, median %.1f dBm", n, medianPower(dets[len(dets)-n:]))
}

func maxClip(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		m = math.Max(m, v)
	}
	return m
}

func countAbove(x []float64, v float64) int {
	n := 0
	for _, y := range x {
		if y > v {
			n++
		}
	}
	return n
}

// TestAGCClippingIsNotOverload: the handset 3 m from s7 clips the ADC at
// the automatic gain until the AGC has taken gain away, a few blocks; the
// node is not "overloaded" meanwhile, since the AGC is curing it. Without
// the AGC the clipping lasts, and the node says so.
func TestAGCClippingIsNotOverload(t *testing.T) {
	from := handsetCall(t, sim.StandardWing(1))
	until := from.Add(2 * time.Second)
	for _, tc := range []struct {
		agc  bool
		want bool // some block's health is overloaded
	}{{true, false}, {false, true}} {
		lg, _ := handsetRun(t, 0, tc.agc, from, until)
		if maxClip(lg.clips) == 0 {
			t.Fatalf("agc %v: no block clips; the scenario does not test overload", tc.agc)
		}
		over := slices.Index(lg.states, event.StateOverloaded)
		t.Logf("agc %v: %d of %d blocks clip; first overloaded state before block %d", tc.agc, countAbove(lg.clips, 0), len(lg.clips), over)
		if (over >= 0) != tc.want {
			t.Errorf("agc %v: overloaded seen %v (states %v), want %v", tc.agc, over >= 0, lg.states[:min(len(lg.states), 20)], tc.want)
		}
	}
}
