package fusion

import (
	"cmp"
	"fmt"
	"strings"
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

// TestTrackerChannel: a group continues a track on the track's own channel
// (the spectrum its groups cover, from its first group's, never wider than
// its class's widest carrier), not within 20 MHz of its latest centre, which
// let a track walk across neighbouring phones' uplinks 2 MHz apart; a group
// one sensor heard in the same capture as the track's latest group, on a
// spectrum apart from it, is another emitter, unless one of the two is a
// piece of a burst (a frame or two of the detector); fragments of one wide
// carrier (sensors tuned narrower than it) are one track; a hopping class
// keeps its track anywhere in its hop span.
func TestTrackerChannel(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	type grp struct {
		class, link string
		hz, bwHz    float64
		at          time.Duration
		sensors     []string      // each reports it at the group's time for dur
		dur         time.Duration // 0: 1 ms
	}
	mk := func(g grp) *group {
		out := &group{class: g.class, link: g.link, centerHz: g.hz, bwHz: g.bwHz, start: t0.Add(g.at)}
		dur := cmp.Or(g.dur, time.Millisecond)
		for _, sn := range g.sensors {
			out.dets = append(out.dets, event.Detection{Sensor: sn, TimeNS: t0.Add(g.at).UnixNano(), DurationNS: int64(dur),
				CenterHz: g.hz, BandwidthHz: g.bwHz, Class: g.class, Link: g.link})
		}
		return out
	}
	// piece is a burst of an LTE/NR uplink the classifiers could not
	// name (class unknown, as "LTE/NR uplink (…, 15 kHz SCS)" and "…,
	// unconfirmed: too short" are), lasting dur; cell is one of 1 ms.
	piece := func(hz, bwHz float64, at, dur time.Duration, sensors ...string) grp {
		return grp{"unknown", "uplink", hz, bwHz, at, sensors, dur}
	}
	cell := func(hz, bwHz float64, at time.Duration, sensors ...string) grp {
		return grp{"unknown", "uplink", hz, bwHz, at, sensors, 0}
	}
	lte := func(hz, bwHz float64, at time.Duration, sensors ...string) grp {
		return grp{"lte", "uplink", hz, bwHz, at, sensors, 0}
	}
	gsm := func(hz, bwHz float64, at time.Duration, sensors ...string) grp {
		return grp{"gsm", "uplink", hz, bwHz, at, sensors, 0}
	}
	tetra := func(hz float64) grp { return grp{"unknown", "unknown", hz, 229e3, time.Second, []string{"s1"}, 0} }
	bt := func(hz float64, at time.Duration) grp {
		return grp{"bluetooth", "unknown", hz, 1e6, at, []string{"s1"}, 0}
	}
	tests := []struct {
		name  string
		heard []grp // the track's groups: the first opens it
		g     grp
		want  bool
	}{
		{"the phone's own uplink", []grp{lte(1711e6, 1.08e6, 0, "s1")}, lte(1711.1e6, 1.08e6, time.Second, "s1"), true},
		{"the next phone's uplink, 2 MHz up", []grp{lte(1711e6, 1.08e6, 0, "s1")}, lte(1713e6, 1.08e6, time.Second, "s1"), false},
		{"no walking: its channel does not follow its latest centre",
			[]grp{lte(1711e6, 1.08e6, 0, "s1"), lte(1711.6e6, 1.08e6, time.Second, "s1")}, lte(1713e6, 1.08e6, 2*time.Second, "s1"), false},
		{"staff radios 2.5 MHz apart", []grp{tetra(390.0125e6)}, tetra(392.5125e6), false},
		{"the same staff radio", []grp{tetra(390.0125e6)}, tetra(390.0125e6), true},
		{"fragments of a 4.5 MHz carrier in 1.6 MHz tunings",
			[]grp{lte(846.4e6, 1.6e6, 0, "s1"), lte(848e6, 1.6e6, time.Second, "s1"), lte(845.175e6, 0.85e6, 2*time.Second, "s2")},
			lte(849.025e6, 0.45e6, 3*time.Second, "s1"), true},
		{"touching spectra wider together than an LTE carrier",
			[]grp{lte(1720e6, 18e6, 0, "s1")}, lte(1733e6, 8e6, time.Second, "s1"), false},
		{"inside its spectrum", []grp{lte(1720e6, 18e6, 0, "s1")}, lte(1715e6, 1e6, time.Second, "s1"), true},
		{"one capture, two spectra apart: two emitters",
			[]grp{lte(1720e6, 18e6, 0, "s1"), lte(1713e6, 2e6, time.Second, "s1", "s2")}, lte(1727e6, 2e6, time.Second, "s2", "s3"), false},
		{"one capture, two pieces of a burst apart: one emitter (the demo's L2-S02 handset)",
			[]grp{cell(1747.5e6, 4.4e6, 0, "s1", "s3"), piece(1748.809e6, 1.537e6, time.Second, 25600*time.Nanosecond, "s1")},
			piece(1746.237e6, 1.309e6, time.Second+12800*time.Nanosecond, 12800*time.Nanosecond, "s1"), true},
		{"one capture, a piece beside a subframe: one emitter",
			[]grp{cell(1720e6, 18e6, 0, "s1"), cell(1713e6, 2e6, time.Second, "s1", "s2")}, piece(1727e6, 2e6, time.Second, 66*time.Microsecond, "s2"), true},
		{"one capture, a short burst of a named class beside a subframe: two emitters",
			[]grp{lte(1720e6, 18e6, 0, "s1"), lte(1713e6, 2e6, time.Second, "s1", "s2")},
			grp{"lte", "uplink", 1727e6, 2e6, time.Second, []string{"s2"}, 66 * time.Microsecond}, false},
		{"one capture, two subframes apart, two LTE symbols long: two emitters",
			[]grp{cell(1720e6, 18e6, 0, "s1"), piece(1713e6, 2e6, time.Second, 143*time.Microsecond, "s1", "s2")},
			piece(1727e6, 2e6, time.Second, 143*time.Microsecond, "s2"), false},
		{"two sensors' captures at once, apart: fragments of one",
			[]grp{lte(1720e6, 18e6, 0, "s1"), lte(1713e6, 2e6, time.Second, "s1")}, lte(1727e6, 2e6, time.Second, "s2"), true},
		{"the same sensor, the next capture", []grp{lte(1720e6, 18e6, 0, "s1"), lte(1713e6, 2e6, time.Second, "s1")},
			lte(1727e6, 2e6, time.Second+20*time.Millisecond, "s1"), true},
		{"a GSM handset clipping a sensor 2 m off, heard 1.5 MHz wide (the demo's L2-N07 handset at s7)",
			[]grp{gsm(902.404e6, 276e3, 0, "s2"), gsm(902.413e6, 261e3, time.Second, "s6")}, gsm(902.396e6, 1.51e6, 2*time.Second, "s7"), true},
		{"the GSM channel 400 kHz up, heard 1.5 MHz wide",
			[]grp{gsm(902.404e6, 276e3, 0, "s2")}, gsm(902.804e6, 1.51e6, time.Second, "s7"), false},
		{"a GSM handset 500 kHz up, after the wide one: the track did not take its width",
			[]grp{gsm(902.404e6, 276e3, 0, "s2"), gsm(902.396e6, 1.51e6, time.Second, "s7")}, gsm(902.904e6, 276e3, 2*time.Second, "s2"), false},
		{"other class on its channel", []grp{lte(1711e6, 1.08e6, 0, "s1")}, grp{"gsm", "uplink", 1711e6, 1.08e6, time.Second, []string{"s1"}, 0}, false},
		{"other link on its channel", []grp{lte(1711e6, 1.08e6, 0, "s1")}, grp{"lte", "unknown", 1711e6, 1.08e6, time.Second, []string{"s1"}, 0}, false},
		{"bluetooth hops across its band", []grp{bt(2402e6, 0), bt(2441e6, time.Second)}, bt(2480e6, 2*time.Second), true},
		{"bluetooth hops at once", []grp{bt(2402e6, 0)}, bt(2480e6, 0), true},
		{"rc controller hops", []grp{{"rc_fhss", "uplink", 2405e6, 500e3, 0, nil, 0}}, grp{"rc_fhss", "uplink", 2475e6, 500e3, time.Second, nil, 0}, true},
		{"drone video hops at 5.8 GHz", []grp{{"drone_video", "downlink", 5735e6, 9e6, 0, nil, 0}}, grp{"drone_video", "downlink", 5840e6, 9e6, time.Second, nil, 0}, true},
		{"droneid at 2.4 and 5.8 GHz", []grp{{"droneid", "unknown", 2429.5e6, 9e6, 0, nil, 0}}, grp{"droneid", "unknown", 5756.5e6, 9e6, time.Second, nil, 0}, false},
		{"after the gap", []grp{lte(1711e6, 1.08e6, 0, "s1")}, lte(1711e6, 1.08e6, 2*time.Minute, "s1"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := tracker{gap: time.Minute, radiusM: 12, tolHz: 200e3, hopSpanHz: defaultHopSpanHz}
			first := mk(tt.heard[0])
			trk := tr.newTrack(first)
			trk.heard(first, time.Second)
			for _, h := range tt.heard[1:] {
				if !tr.carries(trk, mk(h)) {
					t.Fatalf("the track does not carry its own group at %.4f MHz", h.hz/1e6)
				}
				trk.heard(mk(h), time.Second)
			}
			g := mk(tt.g)
			if got := tr.carries(trk, g); got != tt.want {
				t.Errorf("carries %.4f MHz: got %v, want %v", tt.g.hz/1e6, got, tt.want)
			}
			if got := tr.match(g, "", site.Point{}, false, 0) == trk; got != tt.want {
				t.Errorf("match %.4f MHz: got %v, want %v", tt.g.hz/1e6, got, tt.want)
			}
		})
	}
}

// TestTrackerReusable: which located track a group may take the position
// of without being located (Config.LocateEvery). A hopper's group from
// other sensors than its track's latest is located: two controllers at
// the two ends of the wing were one track.
func TestTrackerReusable(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	heard := func(class string, hz float64, at time.Duration, powers ...any) *group {
		g := &group{class: class, link: event.LinkUnknown, centerHz: hz, bwHz: 500e3, start: t0.Add(at)}
		for i := 0; i < len(powers); i += 2 {
			g.dets = append(g.dets, event.Detection{Sensor: powers[i].(string), PowerDBm: powers[i+1].(float64), Class: class, CenterHz: hz})
		}
		return g
	}
	tests := []struct {
		name  string
		first *group // the located track's latest group
		g     *group
		reuse bool
	}{
		{"phone, any sensors", heard(event.ClassLTE, 1.75e9, 0, "s1", -60.0, "s2", -70.0), heard(event.ClassLTE, 1.75e9, time.Second, "s7", -60.0), true},
		{"controller, same sensors and strongest", heard(event.ClassRCFHSS, 2.41e9, 0, "s1", -60.0, "s2", -70.0),
			heard(event.ClassRCFHSS, 2.45e9, time.Second, "s2", -72.0, "s1", -61.0), true},
		{"controller, other sensors", heard(event.ClassRCFHSS, 2.41e9, 0, "s1", -60.0, "s2", -70.0),
			heard(event.ClassRCFHSS, 2.47e9, time.Second, "s7", -60.0, "s8", -70.0), false},
		{"controller, a sensor more", heard(event.ClassRCFHSS, 2.41e9, 0, "s1", -60.0, "s2", -70.0),
			heard(event.ClassRCFHSS, 2.47e9, time.Second, "s1", -60.0, "s2", -70.0, "s3", -75.0), false},
		{"controller, other strongest", heard(event.ClassRCFHSS, 2.41e9, 0, "s1", -60.0, "s2", -70.0),
			heard(event.ClassRCFHSS, 2.47e9, time.Second, "s1", -70.0, "s2", -60.0), false},
		{"bluetooth, same sensors", heard(event.ClassBluetooth, 2.402e9, 0, "s3", -50.0),
			heard(event.ClassBluetooth, 2.48e9, time.Second, "s3", -55.0), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := tracker{gap: time.Minute, radiusM: 12, tolHz: 200e3, hopSpanHz: defaultHopSpanHz}
			a := tr.newTrack(tt.first)
			a.located = true
			m := tr.match(tt.g, "", site.Point{}, false, 0)
			if m != a {
				t.Fatalf("match: got %v, want the track", m)
			}
			if got := tr.reusable(m, tt.g) == a; got != tt.reuse {
				t.Errorf("reusable: got %v, want %v", got, tt.reuse)
			}
		})
	}
}

// TestTrackerContinues: a journaled detection is taken for one of an open
// phone alert's track (journaler.markAlerted) when it is of the alert's
// class, taken after the alert became active, and its spectrum touches
// the alert's latest fix's centre, FreqTolHz allowed (a hopping class:
// within its hop span), and its sensor heard the alert's evidence (when
// that is known); never for an alert with no track or frequency.
func TestTrackerContinues(t *testing.T) {
	tr := tracker{tolHz: 200e3, hopSpanHz: defaultHopSpanHz}
	at := time.Unix(1_800_000_000, 0)
	a := event.Alert{Track: "trk-1", Class: event.ClassLTE, FreqHz: 1.75e9, ActiveNS: at.UnixNano()}
	d := testDet("d1", "s1", at.Add(time.Second), -60) // LTE, 1.75 GHz, 5 MHz wide
	for _, tc := range []struct {
		name    string
		a       func(*event.Alert)
		d       func(*event.Detection)
		heardBy map[string]bool
		want    bool
	}{
		{"same carrier", nil, nil, nil, true},
		{"same carrier, a sensor of its evidence", nil, nil, map[string]bool{"s1": true, "s3": true}, true},
		{"same carrier, no sensor of its evidence", nil, nil, map[string]bool{"s2": true, "s4": true}, false},
		{"centre at its edge, tolerance allowed", nil, func(d *event.Detection) { d.CenterHz += 2.5e6 + 150e3 }, nil, true},
		{"another carrier", nil, func(d *event.Detection) { d.CenterHz += 2.5e6 + 250e3 }, nil, false},
		{"another class", nil, func(d *event.Detection) { d.Class = event.ClassGSM }, nil, false},
		{"before the alert", nil, func(d *event.Detection) { d.TimeNS = at.Add(-time.Second).UnixNano() }, nil, false},
		{"alert of no track", func(a *event.Alert) { a.Track = "" }, nil, nil, false},
		{"alert with no frequency", func(a *event.Alert) { a.FreqHz = 0 }, nil, nil, false},
		{"hopping class within its span", func(a *event.Alert) { a.Class = event.ClassBluetooth; a.FreqHz = 2.402e9 },
			func(d *event.Detection) { d.Class = event.ClassBluetooth; d.CenterHz = 2.480e9; d.BandwidthHz = 1e6 }, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, d := a, d
			if tc.a != nil {
				tc.a(&a)
			}
			if tc.d != nil {
				tc.d(&d)
			}
			if got := tr.continues(a, tc.heardBy, d); got != tc.want {
				t.Errorf("continues = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestAssociatorStreamTime: a detection closes the groups opened a window
// or more before the stream's time (the second newest of the sensors'
// latest stamps) and its own sensor's groups a window or more before its
// stamp; one sensor's stamp far from the open groups (behind, ahead, an
// outbox's hour-old backlog) closes none of the others'.
func TestAssociatorStreamTime(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	det := func(sensor string, dt time.Duration) event.Detection {
		return event.Detection{ID: sensor + dt.String(), Sensor: sensor, Class: "lte", TimeNS: t0.Add(dt).UnixNano(), CenterHz: 1e9, BandwidthHz: 1e6}
	}
	tests := []struct {
		name string
		dets []event.Detection
		want []string // the groups the detections closed, by their sensors, in order
	}{
		{"one sensor behind", []event.Detection{det("s1", 0), det("s2", 0), det("s3", -600*time.Millisecond), det("s4", 0)}, []string{"s3"}},
		{"one sensor ahead", []event.Detection{det("s1", 0), det("s2", 0), det("s3", 600*time.Millisecond), det("s4", 0)}, nil},
		{"one sensor far ahead", []event.Detection{det("s1", 0), det("s2", 0), det("s3", time.Hour), det("s4", 0)}, nil},
		{"a backlog", []event.Detection{det("s1", 0), det("s2", 0), det("s7", -time.Hour), det("s3", 0), det("s7", -time.Hour+time.Second)}, []string{"s7"}},
		{"the stream moves on", []event.Detection{det("s1", 0), det("s2", 0), det("s1", time.Second), det("s2", time.Second)}, []string{"s1,s2"}},
		{"its own sensor moves on", []event.Detection{det("s1", 0), det("s1", time.Second), det("s1", 2*time.Second)}, []string{"s1", "s1"}},
		// One sensor's detection of the next emission leaves the group
		// open for a late one of this; a later detection of one of its
		// own sensors closes it.
		{"a late detection still joins", []event.Detection{det("s1", 0), det("s2", 0), det("s3", time.Second), det("s4", 0), det("s1", time.Second)}, []string{"s1,s2,s4"}},
		{"clocks stepped back", []event.Detection{det("s1", time.Hour), det("s2", time.Hour), det("s1", 0), det("s2", 0), det("s3", 0), det("s1", time.Second), det("s2", time.Second)},
			[]string{"s1,s2,s3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := associator{window: 500 * time.Millisecond, tolHz: 200e3}
			var got []string
			for _, d := range tt.dets {
				for _, g := range a.add(d) {
					var ss []string
					for _, d := range g.dets {
						ss = append(ss, d.Sensor)
					}
					got = append(got, strings.Join(ss, ","))
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("closed %v, want %v", got, tt.want)
			}
		})
	}
}

// TestAssociatorStreamSensorsBounded: the sensors' latest stamps are kept
// for maxStreamSensors sensors at most; a new sensor past them takes the
// place of the one whose latest stamp is the oldest.
func TestAssociatorStreamSensorsBounded(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	a := associator{window: 500 * time.Millisecond, tolHz: 200e3}
	for i := range maxStreamSensors + 1 {
		a.streamTime(fmt.Sprintf("s%d", i), t0.Add(time.Duration(i)*time.Millisecond))
	}
	if len(a.latest) != maxStreamSensors || a.latest[0].sensor != fmt.Sprintf("s%d", maxStreamSensors) {
		t.Errorf("%d sensors kept, the first %q; want %d, s%d in s0's place", len(a.latest), a.latest[0].sensor, maxStreamSensors, maxStreamSensors)
	}
}
