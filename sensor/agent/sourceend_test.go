package agent

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
)

// TestRecordingEndIsNoStall: a file source that ended made health
// "stalled: no samples for 6s" while the agent drained its outbox for
// mqtt.ack_timeout. Given a finite source, no broker (the drain lasts the
// whole ack_timeout, many times tamper.stall), expect health never
// stalled, and degraded saying the recording ended.
func TestRecordingEndIsNoStall(t *testing.T) {
	cfg := testConfig(t)
	cfg.Tamper.StallDur = 200 * time.Millisecond
	cfg.MQTT.AckTimeout = 2 * time.Second
	rc := &recClient{}
	a, err := New(cfg, Deps{Source: newSynth(nil, 5), Pipeline: &everyPipeline{every: 1}, ClientFactory: rc.factory()})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(context.Background()) }()
	var ended bool
	for {
		h := a.Health()
		if h.State == event.StateStalled {
			t.Fatalf("health %s %q after the recording ended, want no stall", h.State, h.Reasons)
		}
		if strings.Contains(strings.Join(h.Reasons, ";"), "the recording ended") {
			ended = true
			if h.State != event.StateDegraded {
				t.Errorf("health %s %q, want degraded", h.State, h.Reasons)
			}
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if !ended {
				t.Error("health never said the recording ended")
			}
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}
