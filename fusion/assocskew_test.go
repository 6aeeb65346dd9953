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
func TestOneSensorSkewKeepsGroups(t *testing.T) {
	all := "s1,s2,s3,s4,s5,s6"
	for _, tc := range []struct {
		name    string
		s3      time.Duration  // s3's clock against the others'
		backlog bool           // s7 sends an hour-old detection before each of s4's
		want    map[string]int // LTE fixes by the sensors that heard them
		// alertsIn are the rooms alerts are published in, besides
		// B2-landing. Ten seconds behind, s3's detections are alone in
		// their groups, located at s3 (cell B2-03) and their alert fires
		// there: association cannot tell which emission they belong to
		// (s3's clock alert tells the staff).
		alertsIn []string
	}{
		{"clocks agree", 0, false, map[string]int{all: 60}, nil},
		{"s3 300ms ahead", 300 * time.Millisecond, false, map[string]int{all: 60}, nil},
		{"s3 600ms behind", -600 * time.Millisecond, false, map[string]int{"s1,s2,s4,s5,s6": 60, "s3": 60}, nil},
		{"s3 10s behind", -10 * time.Second, false, map[string]int{"s1,s2,s4,s5,s6": 60, "s3": 60}, []string{"B2-03"}},
		{"s7 drains its outbox", 0, true, map[string]int{all: 60}, nil},
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
				for _, id := range []string{"s1", "s2", "s3", "s4", "s5", "s6"} {
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
			fired := false
			for _, a := range alerts.got {
				if a.Track == "" { // the sensors' alerts
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
		})
	}
}
