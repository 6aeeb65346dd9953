package fusion

import (
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
)

func TestAssociator(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	det := func(sensor, class string, dt time.Duration, hz float64) event.Detection {
		return event.Detection{ID: sensor + class, Sensor: sensor, Class: class, TimeNS: t0.Add(dt).UnixNano(), CenterHz: hz, BandwidthHz: 1e6}
	}
	withLink := func(d event.Detection, link string) event.Detection { d.Link = link; return d }
	tests := []struct {
		name       string
		dets       []event.Detection
		wantGroups []int // sizes, in opening order
	}{
		{"same emission three sensors", []event.Detection{det("s1", "lte", 0, 1e9), det("s2", "lte", 100*time.Millisecond, 1e9), det("s3", "lte", 400*time.Millisecond, 1.0001e9)}, []int{3}},
		{"other class", []event.Detection{det("s1", "lte", 0, 1e9), det("s2", "gsm", 0, 1e9)}, []int{1, 1}},
		{"frequency apart", []event.Detection{det("s1", "lte", 0, 1e9), det("s2", "lte", 0, 1.01e9)}, []int{1, 1}},
		{"outside window", []event.Detection{det("s1", "lte", 0, 1e9), det("s2", "lte", 600*time.Millisecond, 1e9)}, []int{1, 1}},
		{"same sensor twice", []event.Detection{det("s1", "lte", 0, 1e9), det("s1", "lte", 10*time.Millisecond, 1e9)}, []int{1, 1}},
		// An unnamed uplink (a handset the classifiers called "LTE/NR") and
		// a sensor's noise blip on its frequency are both class unknown.
		{"unknown uplink and a noise blip", []event.Detection{withLink(det("s1", "unknown", 0, 1e9), event.LinkUplink),
			det("s8", "unknown", 10*time.Millisecond, 1.0003e9), withLink(det("s3", "unknown", 20*time.Millisecond, 1e9), event.LinkUplink)}, []int{2, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := associator{window: 500 * time.Millisecond, tolHz: 200e3}
			var got []*group
			for _, d := range tt.dets {
				got = append(got, a.add(d)...)
			}
			got = append(got, a.flush(t0.Add(time.Hour))...)
			if len(got) != len(tt.wantGroups) {
				t.Fatalf("got %d groups, want %d", len(got), len(tt.wantGroups))
			}
			for i, g := range got {
				if len(g.dets) != tt.wantGroups[i] {
					t.Errorf("group %d: %d detections, want %d", i, len(g.dets), tt.wantGroups[i])
				}
			}
		})
	}
}

func TestTracker(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	tr := tracker{gap: time.Minute, radiusM: 10, tolHz: 20e6}
	g := &group{class: "lte", centerHz: 1.75e9, start: t0}
	a := tr.newTrack(g) // link "" against LinkUnknown below
	a.floor, a.pos, a.located, a.lastSeen = "g", site.Point{X: 0, Y: 0}, true, t0
	tests := []struct {
		name  string
		g     group
		pos   site.Point
		floor string
		want  *track
	}{
		{"near, same class", group{class: "lte", centerHz: 1.75e9, start: t0.Add(10 * time.Second)}, site.Point{X: 3, Y: 4}, "g", a},
		{"too far", group{class: "lte", centerHz: 1.75e9, start: t0.Add(10 * time.Second)}, site.Point{X: 30, Y: 0}, "g", nil},
		{"other floor", group{class: "lte", centerHz: 1.75e9, start: t0.Add(10 * time.Second)}, site.Point{X: 1, Y: 0}, "f2", nil},
		{"other class", group{class: "gsm", centerHz: 1.75e9, start: t0.Add(10 * time.Second)}, site.Point{X: 1, Y: 0}, "g", nil},
		{"after gap", group{class: "lte", centerHz: 1.75e9, start: t0.Add(2 * time.Minute)}, site.Point{X: 1, Y: 0}, "g", nil},
		{"frequency jump", group{class: "lte", centerHz: 2.6e9, start: t0.Add(10 * time.Second)}, site.Point{X: 1, Y: 0}, "g", nil},
		{"other link", group{class: "lte", link: event.LinkUnknown, centerHz: 1.75e9, start: t0.Add(10 * time.Second)}, site.Point{X: 1, Y: 0}, "g", nil},
	}
	for _, tt := range tests {
		if got := tr.match(&tt.g, tt.floor, tt.pos, true, 0); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
	// Uncertain locations (a phone heard by one sensor) widen the radius by
	// both uncertainties, and may cross floors; certain ones do not.
	a.slackM = 8
	far := group{class: "lte", centerHz: 1.75e9, start: t0.Add(10 * time.Second)}
	for _, tt := range []struct {
		name   string
		pos    site.Point
		floor  string
		slackM float64
		want   *track
	}{
		{"far, both uncertain", site.Point{X: 25, Y: 0}, "g", 10, a},
		{"far, beyond both uncertainties", site.Point{X: 40, Y: 0}, "g", 10, nil},
		{"other floor, uncertain", site.Point{X: 2, Y: 0}, "f2", 10, a},
		{"far, new location certain", site.Point{X: 25, Y: 0}, "g", 0, nil},
	} {
		if got := tr.match(&far, tt.floor, tt.pos, true, tt.slackM); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
	a.slackM = 0
	tr.expire(t0.Add(2 * time.Minute))
	if len(tr.tracks) != 0 {
		t.Errorf("expire left %d tracks", len(tr.tracks))
	}
}
