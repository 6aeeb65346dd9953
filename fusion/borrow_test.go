package fusion

import (
	"reflect"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/locate"
)

// TestRecentLend: a group borrows, per other sensor, the median power of
// that sensor's detections of the same class, link and channel within the
// window, in sensor order, and those sensors are no longer silent; it
// borrows nothing from its own sensors, other channels, classes or links,
// detections outside the window, or for drones.
func TestRecentLend(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	det := func(sensor string, s, dBm float64, mod func(*event.Detection)) event.Detection {
		d := testDet(sensor, sensor, at(s), dBm)
		if mod != nil {
			mod(&d)
		}
		return d
	}
	drone := func(d *event.Detection) { d.Class, d.Link = event.ClassDroneID, event.LinkUnknown }
	g := func(start float64, mod func(*event.Detection), sensors ...string) *group {
		gr := &group{class: event.ClassLTE, link: event.LinkUplink, centerHz: 1.75e9, bwHz: 5e6, start: at(start)}
		if mod != nil {
			d := det("x", 0, 0, mod)
			gr.class, gr.link = d.Class, d.Link
		}
		for _, s := range sensors {
			gr.dets = append(gr.dets, det(s, start, -70, mod))
		}
		return gr
	}
	m := func(sensor string, dBm float64) locate.Measurement {
		return locate.Measurement{Sensor: sensor, PowerDBm: dBm, CenterHz: 1.75e9}
	}
	for _, tc := range []struct {
		name   string
		window time.Duration
		dets   []event.Detection
		g      *group
		want   []locate.Measurement // added to the group's own s1 at -70
	}{
		{"median per sensor, sensor order", 3 * time.Second, []event.Detection{
			det("s3", 10, -80, nil), det("s2", 10.5, -90, nil), det("s3", 11, -82, nil), det("s3", 11.5, -81, nil), det("s2", 12, -92, nil),
		}, g(12, nil, "s1"), []locate.Measurement{m("s1", -70), m("s2", -91), m("s3", -81)}},
		{"not its own sensors", 3 * time.Second, []event.Detection{det("s1", 11, -75, nil), det("s2", 11, -90, nil)},
			g(12, nil, "s1"), []locate.Measurement{m("s1", -70), m("s2", -90)}},
		{"not outside the window", 3 * time.Second, []event.Detection{det("s2", 8.9, -90, nil), det("s3", 15.1, -80, nil), det("s4", 14.9, -85, nil)},
			g(12, nil, "s1"), []locate.Measurement{m("s1", -70), m("s4", -85)}},
		{"not another channel, class or link", 3 * time.Second, []event.Detection{
			det("s2", 11, -90, func(d *event.Detection) { d.CenterHz = 1.76e9 }), // 10 MHz away: beyond 2.5 MHz + 200 kHz
			det("s3", 11, -80, func(d *event.Detection) { d.Class = event.ClassNR }),
			det("s4", 11, -85, func(d *event.Detection) { d.Link = event.LinkDownlink }),
			det("s5", 11, -88, func(d *event.Detection) { d.CenterHz = 1.752e9 }), // 2 MHz away: the same carrier
		}, g(12, nil, "s1"), []locate.Measurement{m("s1", -70), m("s5", -88)}},
		{"drones borrow nothing", 3 * time.Second, []event.Detection{det("s2", 11, -90, drone)},
			g(12, drone, "s1"), []locate.Measurement{m("s1", -70)}},
		{"disabled", -1, []event.Detection{det("s2", 11, -90, nil)},
			g(12, nil, "s1"), []locate.Measurement{m("s1", -70)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := recentDets{window: tc.window, tolHz: 200e3}
			for _, d := range tc.dets {
				r.add(d, d.Time())
			}
			q := locate.Query{Heard: []locate.Measurement{m("s1", -70)},
				Silent: []locate.Silence{{Sensor: "s2", ThresholdDBm: -95}, {Sensor: "s6", ThresholdDBm: -95}}}
			n := r.lend(&q, tc.g)
			if !reflect.DeepEqual(q.Heard, tc.want) || n != len(tc.want)-1 {
				t.Fatalf("lend added %d: heard %v, want %v", n, q.Heard, tc.want)
			}
			var wantSilent []locate.Silence
			for _, sn := range []string{"s2", "s6"} {
				if !containsSensor(tc.want, sn) {
					wantSilent = append(wantSilent, locate.Silence{Sensor: sn, ThresholdDBm: -95})
				}
			}
			if !reflect.DeepEqual(q.Silent, wantSilent) {
				t.Errorf("silent %v, want %v (a sensor lent a power is not silent)", q.Silent, wantSilent)
			}
		})
	}
}

func containsSensor(ms []locate.Measurement, s string) bool {
	for _, m := range ms {
		if m.Sensor == s {
			return true
		}
	}
	return false
}

// TestRecentPrunes: a class's detections older than the window before the
// newest are dropped as detections arrive, so the history stays bounded.
func TestRecentPrunes(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	r := recentDets{window: 3 * time.Second, tolHz: 200e3}
	for i := range 100 {
		at := t0.Add(time.Duration(i) * 100 * time.Millisecond)
		r.add(testDet("d", "s1", at, -70), at)
	}
	if n := len(r.by[event.ClassLTE]); n != 31 {
		t.Errorf("kept %d detections of 10 s at 10/s with a 3 s window, want 31", n)
	}
}
