//go:build integration

package faults

import (
	"syscall"
	"testing"
	"time"
)

// TestBrokerRestart injects a broker restart while the sensor publishes:
// mosquitto (persistence on) is stopped, kept down
// for 500 ms and started again on the same port, twice per case. The sensor
// agent keeps detecting throughout (its outbox holds what the broker cannot
// take); fusion is connected with a persistent session.
//
// With fusion on its default plain subscription, after a clean stop
// (SIGTERM) it asserts that every detection the agent enqueued is processed
// by fusion exactly once, with no gap in the sequence: the broker's and the
// outbox's redeliveries are dropped by ID. After a crash (SIGKILL) mosquitto
// loses the QoS 1 messages it had acknowledged but not yet saved (it saves
// every autosaveChanges changes; at-least-once ends at its PUBACK), so it
// asserts no duplicates, that delivery resumes, and that the loss stays
// within that bound, and logs it.
//
// With fusion on a shared subscription ($share/..., which fusion.yaml's
// subscription may set; the default until 2026-12-03) mosquitto 2.0 forgets
// the subscription on restart. It asserts that
// fusion subscribes again (Resubscriber) and keeps processing — the last
// detection arrives — and that nothing is processed twice; what reached the
// broker before fusion had subscribed again is lost there, and the test logs
// how many.
func TestBrokerRestart(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sig    syscall.Signal
		shared bool
	}{
		{"plain subscription SIGTERM", syscall.SIGTERM, false},
		{"plain subscription SIGKILL", syscall.SIGKILL, false},
		{"shared subscription SIGTERM", syscall.SIGTERM, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := startMosquitto(t)
			l := newLedger(nil)
			f := newFusion(t, m.url(), l)
			f.shared = tc.shared
			f.start()
			ag := startAgent(t, sensorConfig(m.url(), t.TempDir()), newPacedSource(wallClock{}, 5*time.Millisecond), 1, nil)
			for round := range 2 {
				ag.waitDetections(t, int64(100*(round+1)))
				m.stop(tc.sig)
				before := ag.a.Stats().Detections
				time.Sleep(500 * time.Millisecond)
				if ag.a.Stats().Detections-before < 20 {
					t.Fatalf("the agent stopped detecting while the broker was down")
				}
				m.start()
			}
			var mayLose int64 // a crashed mosquitto loses what it had not saved
			if tc.sig == syscall.SIGKILL {
				mayLose = 2 * autosaveChanges
			}
			made := ag.drain(t, l, mayLose)
			boot := ag.a.BootID()
			if tc.shared {
				if l.snapshot()[detIDString(boot, made)] == 0 {
					t.Fatalf("fusion did not resume after the broker restart: %d of %d processed", l.unique(), made)
				}
				for id, n := range l.snapshot() {
					if n > 1 {
						t.Errorf("%s processed %d times", id, n)
					}
				}
				t.Logf("shared subscription: made %d, processed %d, lost at the broker before resubscribing %d",
					made, l.unique(), made-int64(l.unique()))
				return
			}
			if tc.sig == syscall.SIGKILL {
				// A crashed mosquitto loses what it had acknowledged but not
				// yet saved: at most autosaveChanges changes per crash. The
				// last detection is made after both crashes: wait for it.
				waitProgress(20*time.Second, 3*time.Minute, l.unique, func() bool { return l.snapshot()[detIDString(boot, made)] > 0 })
				counts := l.snapshot()
				var lost []int64
				for s := int64(1); s <= made; s++ {
					switch n := counts[detIDString(boot, s)]; {
					case n == 0:
						lost = append(lost, s)
					case n > 1:
						t.Errorf("seq %d processed %d times", s, n)
					}
				}
				if len(lost) > 2*autosaveChanges || counts[detIDString(boot, made)] == 0 {
					t.Errorf("lost %d detections in two broker crashes (bound %d), last delivered %v",
						len(lost), 2*autosaveChanges, counts[detIDString(boot, made)] > 0)
				}
				t.Logf("made %d, lost in the broker crashes %d %v, duplicates dropped %v", made, len(lost), lost[:min(len(lost), 5)], f.duplicates())
				return
			}
			checkExactlyOnce(t, l.snapshot(), boot, seqRange(1, made))
			t.Logf("made %d, fusion dropped %v redeliveries as duplicates", made, f.duplicates())
		})
	}
}

// TestBrokerRestartWhileFusionDown: fusion is stopped, the broker is
// restarted (SIGTERM, persistence on) and the agent keeps publishing; the
// broker acknowledges those detections while fusion is away, so the agent's
// outbox lets them go. Fusion then starts again on its persistent session.
//
// On fusion's default plain subscription mosquitto restored the
// subscription from its persistence file and queued the detections for
// fusion: every one is processed exactly once. On a shared subscription
// (a fusion.yaml override) mosquitto forgot it, so what was published
// before fusion came back had no subscriber: the test asserts only that
// fusion resumes without duplicates, and logs the loss. This is the window
// that lost a restarted sensor's outbox in TestAgentCrash while the shared
// group was the default.
func TestBrokerRestartWhileFusionDown(t *testing.T) {
	for _, shared := range []bool{false, true} {
		name := "plain subscription"
		if shared {
			name = "shared subscription"
		}
		t.Run(name, func(t *testing.T) {
			m := startMosquitto(t)
			l := newLedger(nil)
			f := newFusion(t, m.url(), l)
			f.shared = shared
			f.start()
			ag := startAgent(t, sensorConfig(m.url(), t.TempDir()), newPacedSource(wallClock{}, 5*time.Millisecond), 1, nil)
			ag.waitDetections(t, 100)
			f.stop()
			seen := l.unique()
			m.stop(syscall.SIGTERM)
			time.Sleep(300 * time.Millisecond)
			m.start()
			// Wait until the broker has taken detections made after its
			// restart: the outbox is empty again some way past that.
			after := ag.a.Stats().Detections + 50
			if !waitUntil(30*time.Second, func() bool {
				return ag.a.Stats().Detections >= after && ag.a.Health().OutboxDepth == 0
			}) {
				t.Fatalf("the agent's outbox did not drain to the restarted broker: %d made, depth %d", ag.a.Stats().Detections, ag.a.Health().OutboxDepth)
			}
			if n := l.unique(); n != seen {
				t.Fatalf("fusion processed %d detections while stopped", n-seen)
			}
			f.start()
			boot := ag.a.BootID()
			if shared {
				made := ag.drain(t, l, ag.a.Stats().Detections) // any loss
				waitProgress(5*time.Second, time.Minute, l.unique, func() bool { return l.snapshot()[detIDString(boot, made)] > 0 })
				counts := l.snapshot()
				if counts[detIDString(boot, made)] == 0 {
					t.Fatalf("fusion did not resume on its shared subscription: %d of %d processed", l.unique(), made)
				}
				for id, n := range counts {
					if n > 1 {
						t.Errorf("%s processed %d times", id, n)
					}
				}
				t.Logf("shared subscription: made %d, processed %d, lost at the broker while fusion was away %d", made, l.unique(), made-int64(l.unique()))
				return
			}
			made := ag.drain(t, l, 0)
			checkExactlyOnce(t, l.snapshot(), boot, seqRange(1, made))
			t.Logf("plain subscription: made %d, all processed once, %v redeliveries dropped", made, f.duplicates())
		})
	}
}
