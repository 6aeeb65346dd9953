package agent

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/config"
	"github.com/rfwarden/rfwarden/sensor/sim"
)

// cutter wraps the simulator's source: it cuts the antenna at cutAt
// (simulated) and samples the agent's health state once per simulated second.
type cutter struct {
	*sim.Source
	clock   *simClock
	cutAt   time.Time
	endAt   time.Time
	onBlock func(now time.Time)
}

func (c *cutter) Next(ctx context.Context) (sensor.Block, error) {
	b, err := c.Source.Next(ctx)
	if err != nil {
		return b, err
	}
	c.clock.ns.Store(b.Time.UnixNano())
	c.Source.CutAntenna(!b.Time.Before(c.cutAt))
	if c.onBlock != nil {
		c.onBlock(b.Time)
	}
	if b.Time.After(c.endAt) {
		return sensor.Block{}, io.EOF
	}
	return b, nil
}

// TestSimCutAntenna runs the agent on the wing simulator with its scan plan;
// cutting the simulated antenna must change the health state within 30 s of
// simulated time, and not before.
func TestSimCutAntenna(t *testing.T) {
	w := sim.StandardWing(1)
	ss := w.Sensors()
	if len(ss) == 0 {
		t.Skip("wing has no sensors")
	}
	src, err := w.NewSource(ss[0].ID, sim.SourceOptions{SampleRateHz: 2e6, BlockSamples: 20000})
	if err != nil {
		t.Fatal(err)
	}
	start := src.Time()
	cfg := testConfig(t)
	cfg.Source.SampleRateHz = 2e6
	cfg.Bands = []config.Band{
		{Name: "gsm900-ul", LowHz: 880e6, HighHz: 882e6, Dwell: 50 * time.Millisecond, Kind: config.KindDwell, MaxRevisit: 2 * time.Second},
		{Name: "ism2400", LowHz: 2430e6, HighHz: 2432e6, Dwell: 50 * time.Millisecond, Kind: config.KindSweep, MaxRevisit: 2 * time.Second},
	}
	clock := &simClock{}
	c := &cutter{Source: src, clock: clock, cutAt: start.Add(15 * time.Second), endAt: start.Add(47 * time.Second)}
	a, err := New(cfg, Deps{Source: c, Pipeline: &everyPipeline{}, Clock: clock,
		ClientFactory: (&recClient{connected: true}).factory()})
	if err != nil {
		t.Fatal(err)
	}
	var changed time.Time
	var last time.Time
	c.onBlock = func(now time.Time) {
		if now.Sub(last) < time.Second {
			return
		}
		last = now
		if h := a.Health(); h.State != event.StateOK && changed.IsZero() {
			changed = now
			t.Logf("at %v: %s %v", now.Sub(start), h.State, h.Reasons)
			if h.State != event.StateTampered {
				t.Errorf("state %q, want tampered", h.State)
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_ = a.Run(ctx) // ends with the source's error at endAt
	switch {
	case changed.IsZero():
		t.Fatalf("state never changed; health %+v", a.Health())
	case changed.Before(c.cutAt):
		t.Fatalf("state changed %v before the cut", c.cutAt.Sub(changed))
	case changed.Sub(c.cutAt) > 30*time.Second:
		t.Fatalf("state changed %v after the cut, want within 30 s", changed.Sub(c.cutAt))
	}
}
