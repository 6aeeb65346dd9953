//go:build integration

package faults

import (
	"testing"
	"time"
)

// TestSensorBeforeFusion starts the agent on a new mosquitto on which
// fusion has never subscribed, and fusion only after the agent has made
// detections for a while: mosquitto would accept them and drop them (no
// session holds a subscription yet), so the agent holds them in its
// outbox until fusion's session marker arrives on its cmd topic, and
// fusion processes every one exactly once.
func TestSensorBeforeFusion(t *testing.T) {
	m := startMosquitto(t)
	l := newLedger(nil)
	ag := startAgent(t, sensorConfig(m.url(), t.TempDir()), newPacedSource(wallClock{}, 5*time.Millisecond), 1, nil)
	ag.waitDetections(t, 100)
	time.Sleep(500 * time.Millisecond)
	made := ag.a.Stats().Detections // then the depth: it only grows while nothing is sent
	if d := ag.a.Health().OutboxDepth; d < made {
		t.Fatalf("outbox holds %d of %d detections before fusion's first subscription, want all", d, made)
	}
	f := newFusion(t, m.url(), l)
	f.start()
	made = ag.drain(t, l, 0)
	checkExactlyOnce(t, l.snapshot(), ag.a.BootID(), seqRange(1, made))
}
