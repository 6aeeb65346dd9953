package agent

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
	"github.com/rfwarden/rfwarden/sensor/publish"
)

// TestDetectionsWaitForFusionSession: given a connected sensor, when
// fusion's session marker has not arrived on the connection, expect no
// detection published, all of them in the outbox, health degraded saying
// why (after the grace) and one warning; then, per row, when the marker
// comes (or the broker refuses the cmd subscription), expect every
// detection published; a marker for another sensor opens nothing. The log
// is at the sensor's default level, warning: the end of the wait, and of
// the degraded state, are logged as their start was.
func TestDetectionsWaitForFusionSession(t *testing.T) {
	for _, tc := range []struct {
		name      string
		then      func(subs []publish.Subscription)
		published bool
		wantLog   string
	}{
		{"marker arrives", deliverMarker, true, "publishing the detections that waited"},
		{"subscription refused", func(subs []publish.Subscription) { subs[0].Refused(); subs[0].Refused() }, true,
			"pattern read rfw/v1/+/sensor/%u/cmd"},
		{"marker for another sensor", func(subs []publish.Subscription) {
			b, _ := event.Encode(event.Command{Schema: event.SchemaVersion, Site: "site1", Sensor: "s2", TimeNS: 1, Cmd: event.CmdSession, Fusion: "f"})
			subs[0].Handle(b)
		}, false, "command refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			rc := &recClient{connected: true, noMarker: true}
			var logs syncbuf.Buffer
			src := newSynth(nil, 0)
			src.stall = 10 // ten blocks, ten detections, then wait
			src.stalled = make(chan struct{})
			a, err := New(cfg, Deps{Source: src, Pipeline: &everyPipeline{every: 1}, ClientFactory: rc.factory(),
				Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
			if err != nil {
				t.Fatal(err)
			}
			a.gateGraceTest = 50 * time.Millisecond
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- a.Run(ctx) }()
			defer func() { cancel(); <-done }()
			<-src.stalled
			waitAgent(t, func() bool { return a.Health().OutboxDepth == 10 }, "ten detections in the outbox")
			waitAgent(t, func() bool { return strings.Contains(logs.String(), "detections wait for fusion's session") }, "the wait logged")
			// fusion running without this sensor in its site model sends no
			// marker either: the log and the reason say so (until
			// 2026-12-07 only "start fusion").
			const unknown = "start fusion; if it runs, add sensor s1 to its site file's sensors: and restart fusion"
			if !strings.Contains(logs.String(), unknown) {
				t.Errorf("the wait's warning lacks %q:\n%s", unknown, logs.String())
			}
			h := a.Health()
			if h.State != event.StateDegraded || !strings.Contains(strings.Join(h.Reasons, ";"), "waiting for fusion's session on the broker ("+unknown) ||
				!strings.Contains(strings.Join(h.Reasons, ";"), "10 detections wait in the outbox") {
				t.Errorf("health while waiting: %s %q, want degraded saying it waits for fusion's session", h.State, h.Reasons)
			}
			if n := len(rc.detections(t)); n != 0 {
				t.Fatalf("%d detections published before fusion's session marker", n)
			}
			a.publishHealth(true)
			if !strings.Contains(logs.String(), `"health state changed" from=ok to=degraded`) {
				t.Errorf("the degraded state not logged:\n%s", logs.String())
			}
			time.Sleep(200 * time.Millisecond)
			if n := strings.Count(logs.String(), "detections wait for fusion's session"); n != 1 {
				t.Errorf("the wait logged %d times, want once", n)
			}
			rc.mu.Lock()
			subs := rc.subs
			rc.mu.Unlock()
			tc.then(subs)
			if !tc.published {
				time.Sleep(200 * time.Millisecond)
				if n := len(rc.detections(t)); n != 0 {
					t.Fatalf("%d detections published", n)
				}
			} else {
				waitAgent(t, func() bool { return len(rc.detections(t)) == 10 }, "ten detections published")
				waitAgent(t, func() bool { return a.Health().State == event.StateOK }, "health ok again")
				a.publishHealth(true)
				if !strings.Contains(logs.String(), `"health state changed" from=degraded to=ok`) {
					t.Errorf("the recovery not logged at warning:\n%s", logs.String())
				}
			}
			waitAgent(t, func() bool { return strings.Contains(logs.String(), tc.wantLog) }, "log "+tc.wantLog)
			if n := strings.Count(logs.String(), "refused the subscription"); n > 1 {
				t.Errorf("the refusal logged %d times, want once", n)
			}
		})
	}
}

func waitAgent(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
