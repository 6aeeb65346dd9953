package fusion

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
)

// TestBrokerRestartHoldsSensorOffline: when the broker restarts, the
// sensors' wills (offline) reach fusion as it shuts down and again,
// retained, when fusion reconnects; the sensors say online again after
// their backoff. No sensor-offline alert fires for that; it fired for
// every sensor 30 s after the broker went. A sensor still offline when
// the grace after the reconnection ends is raised then and fires its
// For later; with the broker up all along the rule is as it was.
func TestBrokerRestartHoldsSensorOffline(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	type step struct {
		at     time.Duration
		status map[string]string // sensor → online/offline
		link   string            // "down", "up" (connected at this step)
	}
	for _, tc := range []struct {
		name       string
		startDown  bool // fusion not connected yet at the start
		steps      []step
		end        time.Duration
		wantFiring []string // sensors whose sensor-offline alert fired
	}{
		{name: "broker restart",
			steps: []step{
				{at: 0, status: map[string]string{"s1": "offline", "s2": "offline", "s3": "offline"}}, // wills as it shuts down
				{at: 2 * time.Second, link: "down"},
				{at: 50 * time.Second, link: "up"},
				{at: 50 * time.Second, status: map[string]string{"s1": "offline", "s2": "offline", "s3": "offline"}}, // retained
				{at: 70 * time.Second, status: map[string]string{"s1": "online", "s2": "online"}},
			},
			end: 100 * time.Second},
		{name: "a sensor still dead after the grace",
			steps: []step{
				{at: 0, status: map[string]string{"s1": "offline", "s3": "offline"}},
				{at: 2 * time.Second, link: "down"},
				{at: 50 * time.Second, link: "up"},
				{at: 50 * time.Second, status: map[string]string{"s1": "offline", "s3": "offline"}},
				{at: 70 * time.Second, status: map[string]string{"s1": "online"}},
			},
			end: 50*time.Second + BrokerGrace + 31*time.Second, wantFiring: []string{"s3"}},
		// Fusion's first connection has no grace: a sensor that died
		// while fusion was stopped is raised as fusion starts.
		{name: "fusion starting", startDown: true,
			steps: []step{{at: 0, link: "up"}, {at: time.Second, status: map[string]string{"s3": "offline"}}},
			end:   32 * time.Second, wantFiring: []string{"s3"}},
		{name: "broker up all along",
			steps: []step{{at: 0, status: map[string]string{"s3": "offline"}}},
			end:   31 * time.Second, wantFiring: []string{"s3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := t0.Add(-time.Hour)
			rec := &firedRec{}
			e, err := New(Config{}, Deps{Site: wing(t), Clock: func() time.Time { return now }, Publisher: rec})
			if err != nil {
				t.Fatal(err)
			}
			up, since := true, t0.Add(-time.Hour)
			if tc.startDown {
				up, since = false, time.Time{}
			}
			e.SetBrokerState(func() (bool, time.Time) { return up, since })
			ctx := context.Background()
			// Every sensor heard an hour before.
			for _, sn := range e.deps.Site.Sensors {
				if err := e.Handle(ctx, Message{Topic: event.SensorTopic("hmp-test", sn.ID, event.KindStatus), Payload: []byte(event.StatusOnline)}); err != nil {
					t.Fatal(err)
				}
			}
			if err := e.Tick(ctx, now); err != nil {
				t.Fatal(err)
			}
			i := 0
			for d := time.Duration(0); d <= tc.end; d += time.Second {
				now = t0.Add(d)
				for ; i < len(tc.steps) && tc.steps[i].at <= d; i++ {
					s := tc.steps[i]
					switch s.link {
					case "down":
						up = false
					case "up":
						up, since = true, now
					}
					for sensor, st := range s.status {
						if err := e.Handle(ctx, Message{Topic: event.SensorTopic("hmp-test", sensor, event.KindStatus), Payload: []byte(st)}); err != nil {
							t.Fatal(err)
						}
					}
				}
				if err := e.Tick(ctx, now); err != nil {
					t.Fatal(err)
				}
			}
			slices.Sort(rec.fired)
			if !slices.Equal(rec.fired, tc.wantFiring) {
				t.Errorf("sensor-offline fired for %v, want %v", rec.fired, tc.wantFiring)
			}
		})
	}
}

// firedRec records the sensors whose sensor-offline alert was published
// firing.
type firedRec struct{ fired []string }

func (r *firedRec) PublishAlert(_ context.Context, a event.Alert) error {
	if a.Rule == "sensor-offline" && a.State == event.AlertFiring && !slices.Contains(r.fired, a.Sensor) {
		r.fired = append(r.fired, a.Sensor)
	}
	return nil
}
