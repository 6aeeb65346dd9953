package fusion

import (
	"context"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

func TestTopicMatches(t *testing.T) {
	for _, tc := range []struct {
		filter, topic string
		want          bool
	}{
		{SiteTopic("hmp-test"), "rfw/v1/hmp-test/sensor/s1/detection", true},
		{SiteTopic("hmp-test"), "rfw/v1/hmp-other/sensor/s1/detection", false},
		{"rfw/v1/+/sensor/+/+", "rfw/v1/hmp-test/sensor/s1/detection", true},
		{"rfw/v1/+/sensor/+/+", "rfw/v1/hmp-test/sensor/s1", false},
		{"rfw/v1/+/sensor/+/+", "rfw/v1/hmp-test/sensor/s1/detection/x", false},
		{"rfw/#", "rfw/v1/a", true},
		{"rfw/v1/x/alert", "rfw/v1/y/alert", false},
		{"$share/g/a/b", "a/b", true},
	} {
		if got := TopicMatches(tc.filter, tc.topic); got != tc.want {
			t.Errorf("TopicMatches(%q, %q) = %v, want %v", tc.filter, tc.topic, got, tc.want)
		}
	}
}

// TestRunClosesGroupsAtWindowEnd: with no tick (TickEvery an hour) and no
// later detection, Run still closes an emission's group when its window
// ends and locates it once, with every sensor that heard it, also when the
// detections arrive late (stamped seconds ago) or stamped ahead of fusion's
// clock, and a little apart.
func TestRunClosesGroupsAtWindowEnd(t *testing.T) {
	for _, tc := range []struct {
		name  string
		age   time.Duration // how old the detections are when they arrive
		apart time.Duration // between arrivals
	}{
		{"live", 0, 0},
		{"live, apart", 0, 50 * time.Millisecond},
		{"late", 5 * time.Second, 0},
		{"late, apart", 5 * time.Second, 50 * time.Millisecond},
		{"stamped ahead (sensor clock fast)", -3 * time.Second, 50 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := wing(t)
			ts := &storetest.Recorder{}
			// MaxAhead wider than the 3 s a fast clock stamps ahead (a
			// sensor_clock max_offset of 2.5 s would give 10 s).
			e, err := New(Config{TickEvery: time.Hour, AssocWindow: 2 * time.Second, BatchSize: 1, MaxAhead: 10 * time.Second}, Deps{Site: s, TimeSeries: ts})
			if err != nil {
				t.Fatal(err)
			}
			sub := &fakeSub{}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- e.Run(ctx, sub) }()
			h := waitHandler(t, sub)
			at := time.Now().Add(-tc.age)
			sensors := s.Sensors[:3]
			for _, sn := range sensors {
				pw, err := e.Locator().PredictDBm(sn.ID, "g", site.Point{X: 12, Y: 9}, 10-e.Locator().RefLossDB(1.75e9))
				if err != nil {
					t.Fatal(err)
				}
				m := detMsg(t, testDet("w-"+sn.ID, sn.ID, at, pw), sn.ID)
				h(m.Topic, m.Payload)
				time.Sleep(tc.apart)
			}
			// A flush writes the detections, then the location: wait for
			// both (reading between the two writes, under load, saw the
			// detections stored and no location yet).
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
				ts.Mu.Lock()
				n, nl := len(ts.Dets), len(ts.Locs)
				ts.Mu.Unlock()
				if n == len(sensors) && nl > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("stored %d of %d detections and %d locations without a tick", n, len(sensors), nl)
				}
			}
			ts.Mu.Lock()
			locs := append([]store.LocationRecord(nil), ts.Locs...)
			ts.Mu.Unlock()
			var heard [][]string
			for _, l := range locs {
				heard = append(heard, l.Sensors)
			}
			if len(locs) != 1 || len(locs[0].Sensors) != len(sensors) {
				t.Errorf("located %d times, by sensors %v; want once by %d sensors", len(locs), heard, len(sensors))
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}

func waitHandler(t *testing.T, sub *fakeSub) func(string, []byte) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		sub.mu.Lock()
		h, n := sub.handler, len(sub.topics)
		sub.mu.Unlock()
		if n == 2 { // the sensor topics and the acknowledgements
			return h
		}
		if time.Now().After(deadline) {
			t.Fatal("no subscription")
		}
	}
}
