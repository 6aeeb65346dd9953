package agent

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rfwarden/rfwarden/internal/syncbuf"
	"github.com/rfwarden/rfwarden/sensor"
)

// steppingSource is a synthSource whose sample clock is re-anchored to the
// host clock at the given blocks (Block.ClockStep).
type steppingSource struct {
	*synthSource
	steps map[int]time.Duration
	calls int
}

func (s *steppingSource) Next(ctx context.Context) (sensor.Block, error) {
	b, err := s.synthSource.Next(ctx)
	b.ClockStep = s.steps[s.calls]
	s.calls++
	return b, err
}

// TestClockStepsLoggedAndCounted: a source that re-anchors its sample
// clock to the host clock (a HackRF after an NTP step) says so in
// Block.ClockStep; the agent logs each step once, with its size, and
// counts it in rfwarden_clock_steps_total and Stats.ClockSteps.
func TestClockStepsLoggedAndCounted(t *testing.T) {
	cfg := testConfig(t)
	cfg.MQTT.AckTimeout = 10 * time.Millisecond // bounds Run's final drain wait
	src := &steppingSource{synthSource: newSynth(nil, 40), steps: map[int]time.Duration{5: 5 * time.Second, 20: -3 * time.Second}}
	var log syncbuf.Buffer
	reg := prometheus.NewRegistry()
	a, err := New(cfg, Deps{Source: src, Pipeline: &everyPipeline{}, Registry: reg,
		ClientFactory: (&recClient{connected: true}).factory(),
		Logger:        slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Count(log.String(), "source clock re-anchored to the host clock")
	if lines != 2 || !strings.Contains(log.String(), "step=5s") || !strings.Contains(log.String(), "step=-3s") {
		t.Errorf("%d clock-step lines, want 2 with step=5s and step=-3s:\n%s", lines, log.String())
	}
	if got, ok := metricValue(t, reg, "rfwarden_clock_steps_total"); !ok || got != 2 {
		t.Errorf("rfwarden_clock_steps_total = %v (registered: %v), want 2", got, ok)
	}
	if got := a.Stats().ClockSteps; got != 2 {
		t.Errorf("Stats.ClockSteps = %d, want 2", got)
	}
}
