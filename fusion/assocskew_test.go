package fusion

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/locate"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

// TestOneSensorSkewKeepsGroups: a phone on landing B2-landing, heard by
// s1..s6 once a second for a minute, their detections arriving s1 to s6,
// fusion ticking after each emission. One sensor's clock off, or a sensor
// draining its outbox meanwhile, leaves the other sensors' detections of
// each emission in one group, located on the landing, and alerts nowhere
// else; the odd detections make groups of their own. Until 2026-12-08 each
// detection closed every group a window from its stamp: s3 600 ms behind
// split each emission into {s1,s2} {s3} {s4,s5,s6}, 10 s behind made an
// alert fire in cell B2-13, and s7's hour-old detections, each arriving
// between s3's and s4's, split every fix into {s1,s2,s3} and {s4,s5,s6}.
//
// When the sensors' health reports have given fusion a steady estimate of
// their clocks ("estimated"), s3's detections are grouped by their stamps
// corrected by its offset (more than half the window: Engine.groupTime)
// and join the others' of the same emission: until 2026-12-08 they formed
// groups of their own (the rows without an estimate), and 10 s behind, a
// second alert in cell B2-03. 200 ms is within half the window: nothing
// is corrected, and nothing needs to be.
func TestOneSensorSkewKeepsGroups(t *testing.T) {
	all := "s1,s2,s3,s4,s5,s6"
	for _, tc := range []struct {
		name      string
		s3        time.Duration  // s3's clock against the others'
		backlog   bool           // s7 sends an hour-old detection before each of s4's
		estimated bool           // every sensor sends skewSamples+1 health reports first
		want      map[string]int // LTE fixes by the sensors that heard them
		// alertsIn are the rooms alerts are published in, besides
		// B2-landing. Ten seconds behind, s3's detections are alone in
		// their groups, located at s3 (cell B2-03) and their alert fires
		// there: association cannot tell which emission they belong to
		// (s3's clock alert tells the staff).
		alertsIn []string
	}{
		{"clocks agree", 0, false, false, map[string]int{all: 60}, nil},
		{"s3 300ms ahead", 300 * time.Millisecond, false, false, map[string]int{all: 60}, nil},
		{"s3 600ms behind", -600 * time.Millisecond, false, false, map[string]int{"s1,s2,s4,s5,s6": 60, "s3": 60}, nil},
		{"s3 10s behind", -10 * time.Second, false, false, map[string]int{"s1,s2,s4,s5,s6": 60, "s3": 60}, []string{"B2-03"}},
		{"s7 drains its outbox", 0, true, false, map[string]int{all: 60}, nil},
		{"clocks agree, estimated", 0, false, true, map[string]int{all: 60}, nil},
		{"s3 200ms behind, estimated", -200 * time.Millisecond, false, true, map[string]int{all: 60}, nil},
		{"s3 600ms behind, estimated", -600 * time.Millisecond, false, true, map[string]int{all: 60}, nil},
		{"s3 10s behind, estimated", -10 * time.Second, false, true, map[string]int{all: 60}, nil},
		{"s3 10s ahead, estimated", 10 * time.Second, false, true, map[string]int{all: 60}, nil},
		{"s3 10s behind, estimated, s7 drains its outbox", -10 * time.Second, true, true, map[string]int{all: 60}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := wing(t)
			now := time.Unix(1_800_000_000, 0)
			rec := &storetest.Recorder{}
			alerts := &alertLog{}
			e, err := New(Config{}, Deps{Site: s, TimeSeries: rec, Publisher: alerts, TrackPrefix: "t", Clock: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			ids := []string{"s1", "s2", "s3", "s4", "s5", "s6"}
			if tc.estimated {
				now = reportClocks(t, e, now, ids, "s3", tc.s3)
			}
			phone := [2]float64{20, 5.5} // B2-landing
			n := 0
			handle := func(d event.Detection) {
				n++
				d.ID = fmt.Sprintf("%s-%d", d.Sensor, n)
				if err := e.HandleDetection(ctx, d); err != nil {
					t.Fatal(err)
				}
			}
			for range 60 {
				at := now
				for _, id := range ids {
					if id == "s4" && tc.backlog {
						old := testDet("", "s7", at.Add(-time.Hour), -80)
						old.CenterHz, old.BandwidthHz, old.Class, old.Link, old.Band = 2.44e9, 1e6, event.ClassWiFi, event.LinkUnknown, ""
						handle(old)
					}
					sn, _ := s.Sensor(id)
					stamp := at
					if id == "s3" {
						stamp = at.Add(tc.s3)
					}
					handle(testDet("", id, stamp, -30-20*math.Log10(math.Hypot(sn.Pos.X-phone[0], sn.Pos.Y-phone[1]))))
					now = now.Add(2 * time.Millisecond)
				}
				now = now.Add(time.Second)
				if err := e.Tick(ctx, now); err != nil {
					t.Fatal(err)
				}
			}
			now = now.Add(10 * time.Second)
			if err := e.Close(ctx); err != nil {
				t.Fatal(err)
			}
			got := map[string]int{}
			for _, l := range rec.Locs {
				if l.Class != event.ClassLTE {
					continue
				}
				ss := slices.Sorted(slices.Values(l.Sensors))
				got[strings.Join(ss, ",")]++
				if len(ss) > 1 && l.Room != "B2-landing" {
					t.Errorf("fix of %v in %s, want B2-landing", ss, l.Room)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("LTE fixes by sensors heard: %v, want %v", got, tc.want)
			}
			fired, clockAlert := false, false
			for _, a := range alerts.got {
				if a.Track == "" { // the sensors' alerts
					clockAlert = clockAlert || a.Rule == "sensor-clock" && a.Sensor == "s3"
					continue
				}
				fired = fired || a.State == event.AlertFiring && a.Room == "B2-landing"
				if a.Room != "B2-landing" && !slices.Contains(tc.alertsIn, a.Room) {
					t.Errorf("alert %s %q in %s, want none there", a.State, a.Summary, a.Room)
				}
			}
			if !fired {
				t.Error("no alert fired in B2-landing")
			}
			// the sensor-clock alert's max_offset is 250 ms, and the
			// correction takes nothing from it
			if want := tc.estimated && tc.s3.Abs() > 250*time.Millisecond; clockAlert != want {
				t.Errorf("sensor-clock alert of s3 raised: %v, want %v", clockAlert, want)
			}
		})
	}
}

// reportClocks has each of sensors send skewSamples+1 health reports (the
// first gives no sample), 10 s apart from now, 5 ms on the way, odd's
// stamped off ahead of the others', so that fusion has a steady estimate
// of each clock; it returns the time after them.
func reportClocks(t *testing.T, e *Engine, now time.Time, sensors []string, odd string, off time.Duration) time.Time {
	t.Helper()
	for range skewSamples + 1 {
		for _, id := range sensors {
			stamp := now
			if id == odd {
				stamp = now.Add(off)
			}
			p, err := event.Encode(event.Health{Schema: event.SchemaVersion, Site: e.deps.Site.ID, Sensor: id, TimeNS: stamp.UnixNano(), State: event.StateOK})
			if err != nil {
				t.Fatal(err)
			}
			msg := Message{Topic: event.SensorTopic(e.deps.Site.ID, id, event.KindHealth), Payload: p, Received: now.Add(5 * time.Millisecond)}
			if err := e.Handle(context.Background(), msg); err != nil {
				t.Fatal(err)
			}
		}
		now = now.Add(10 * time.Second)
	}
	return now
}

// TestSkewedSensorLends: a sensor whose clock fusion knows is 10 s behind
// lends its power, heard a second before a group of the others', to that
// group (BorrowWindow 3 s), its time corrected as association's is; until
// 2026-12-08 its detection was kept at its own stamp, 9 s before the group,
// and lent nothing.
func TestSkewedSensorLends(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	e, err := New(Config{}, Deps{Site: wing(t), Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	now = reportClocks(t, e, now, []string{"s1", "s2", "s3", "s4"}, "s3", -10*time.Second)
	ctx := context.Background()
	if err := e.HandleDetection(ctx, testDet("a", "s3", now.Add(-11*time.Second), -80)); err != nil {
		t.Fatal(err)
	}
	g := &group{class: event.ClassLTE, link: event.LinkUplink, centerHz: 1.75e9, bwHz: 5e6, start: now,
		dets: []event.Detection{testDet("b", "s1", now, -70)}}
	e.mu.Lock()
	defer e.mu.Unlock()
	var q locate.Query
	if n := e.recent.lend(&q, g); n != 1 || q.Heard[0].Sensor != "s3" {
		t.Errorf("lent %d: %v, want s3's power", n, q.Heard)
	}
}
