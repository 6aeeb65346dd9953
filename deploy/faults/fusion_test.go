//go:build integration

package faults

import (
	"testing"
	"time"
)

// TestFusionRestart injects a fusion restart while the sensor publishes:
// the engine is stopped as SIGTERM stops `rfwarden fusion` (Run cancelled,
// which flushes and saves the seen-ID file, then the MQTT client
// disconnects), kept down for 700 ms while the agent keeps publishing, and
// started again with the same client ID (persistent session, clean session
// false) and SeenFile, twice, on its default subscription. It
// asserts that the messages published while fusion was down are delivered
// after it returns and that every detection is processed exactly once across
// the three runs of the engine.
func TestFusionRestart(t *testing.T) {
	m := startMosquitto(t)
	l := newLedger(nil)
	f := newFusion(t, m.url(), l)
	f.start()
	ag := startAgent(t, sensorConfig(m.url(), t.TempDir()), newPacedSource(wallClock{}, 5*time.Millisecond), 1, nil)
	for round := range 2 {
		ag.waitDetections(t, int64(100*(round+1)))
		f.stop()
		before, seen := ag.a.Stats().Detections, l.unique()
		time.Sleep(700 * time.Millisecond)
		if ag.a.Stats().Detections-before < 20 {
			t.Fatal("the agent stopped detecting while fusion was down")
		}
		if n := l.unique(); n != seen {
			t.Fatalf("fusion processed %d detections while stopped", n-seen)
		}
		f.start()
	}
	made := ag.drain(t, l, 0)
	checkExactlyOnce(t, l.snapshot(), ag.a.BootID(), seqRange(1, made))
	t.Logf("made %d, fusion dropped %v redeliveries as duplicates", made, f.duplicates())
}
