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
// For later; with the broker up all along the rule is as it was. An
// offline status fusion withdraws as it sees its connection lost (a will
// that reached it just before), or a sensor's will followed by its online
// status a moment later (the broker dropping its old connection as it
// reconnects), announces nothing: each was a sensor-offline alert listed
// pending and resolved a second later.
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
		// wantShown: sensors whose sensor-offline alert was published
		// at all (nil: those of wantFiring)
		wantShown []string
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
			end:   30 * time.Second, wantFiring: []string{"s3"}},
		{name: "a will just before the broker goes",
			steps: []step{
				{at: 0, status: map[string]string{"s1": "offline"}},
				{at: time.Second, link: "down"},
				{at: 30 * time.Second, link: "up"},
				{at: 31 * time.Second, status: map[string]string{"s1": "online"}},
			},
			end: 100 * time.Second},
		{name: "a sensor reconnecting",
			steps: []step{
				{at: 0, status: map[string]string{"s1": "offline"}},
				{at: time.Second, status: map[string]string{"s1": "online"}},
			},
			end: 40 * time.Second},
		{name: "a sensor offline for longer than the settle",
			steps: []step{
				{at: 0, status: map[string]string{"s1": "offline"}},
				{at: 10 * time.Second, status: map[string]string{"s1": "online"}},
			},
			end: 40 * time.Second, wantShown: []string{"s1"}},
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
			want := tc.wantShown
			if want == nil {
				want = tc.wantFiring
			}
			slices.Sort(rec.shown)
			if !slices.Equal(rec.shown, want) && len(rec.shown)+len(want) > 0 {
				t.Errorf("sensor-offline published for %v, want %v", rec.shown, want)
			}
		})
	}
}

// firedRec records the sensors whose sensor-offline alert was published
// firing, and those whose was published at all.
type firedRec struct{ fired, shown []string }

func (r *firedRec) PublishAlert(_ context.Context, a event.Alert) error {
	if a.Rule != "sensor-offline" {
		return nil
	}
	if a.State == event.AlertFiring && !slices.Contains(r.fired, a.Sensor) {
		r.fired = append(r.fired, a.Sensor)
	}
	if !slices.Contains(r.shown, a.Sensor) {
		r.shown = append(r.shown, a.Sensor)
	}
	return nil
}
