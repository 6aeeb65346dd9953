package fusion

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

// tabletEngine returns an engine over the test wing whose registry holds
// one in-cell tablet, an LTE device on band 3's uplink registered for
// room, and the recorder of what it stores.
func tabletEngine(t *testing.T, s *site.Site, room string, t0 time.Time) (*Engine, *storetest.Recorder) {
	t.Helper()
	reg, _ := testRegistry(t, s, tabletEntry([]string{room}, event.ClassLTE, t0))
	ts := &storetest.Recorder{}
	e, err := New(Config{ListenWindow: -1}, Deps{Site: s, TimeSeries: ts, Authorizer: reg, Clock: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	return e, ts
}

// firingAlerts returns e's location alerts firing (not those of a
// sensor: the tests feed detections only).
func firingAlerts(e *Engine) []event.Alert {
	var firing []event.Alert
	for _, a := range e.Alerts().Active() {
		if a.State == event.AlertFiring && a.Sensor == "" {
			firing = append(firing, a)
		}
	}
	return firing
}

// TestAuthorisedTrackThroughVagueFixes: an LTE tablet registered for
// cell B2-13, in use there. Located by every sensor it is placed in
// B2-13 and authorised. While the other sensors are tuned to other
// bands, s6 (in B2-14, the nearest in its row) hears it alone: once the
// others' detections are too old to borrow, that fix spreads over many
// cells (B2-13 15%, under registry.FixShare), and until 2026-12-06 it
// was unauthorised and raised a critical alert for the registered
// tablet ("in cell B2-13, 15%, or cell B2-15, 15%, ..."). Now a track a
// fix authorised on its own stays authorised through its vague fixes
// for AuthorisedTrackHold after that fix, unless a fix rules the
// registered cell out (places it elsewhere); a track never authorised
// so, or vague for longer, is judged fix by fix as before.
func TestAuthorisedTrackThroughVagueFixes(t *testing.T) {
	s := wing(t)
	t0 := time.Date(2026, 12, 3, 21, 0, 0, 0, time.UTC)
	all := sensorIDs(s)
	b213, b215 := site.Point{X: 22.5, Y: 9}, site.Point{X: 32.5, Y: 9}
	type phase struct {
		pos     site.Point
		heardBy []string
		rounds  int // bursts, 2 s apart
	}
	for _, tc := range []struct {
		name   string
		phases []phase
		// firing: an alert fires for the tablet
		firing bool
	}{
		{"placed by every sensor, then heard by s6 alone for 40 s", []phase{{b213, all, 5}, {b213, []string{"s6"}, 20}}, false},
		{"heard by s6 alone from the start: never clearly authorised", []phase{{b213, []string{"s6"}, 20}}, true},
		{"placed by every sensor, then heard by s6 alone for 2 min", []phase{{b213, all, 5}, {b213, []string{"s6"}, 60}}, true},
		{"placed by every sensor, carried to B2-15 and placed there once, then heard by s6 alone",
			[]phase{{b213, all, 5}, {b215, all, 1}, {b215, []string{"s6"}, 20}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, ts := tabletEngine(t, s, "B2-13", t0)
			at := t0
			for _, p := range tc.phases {
				at = feedPhone(t, e, s, p.pos, p.heardBy, 10, at, p.rounds)
			}
			if err := e.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			if len(ts.Locs) == 0 {
				t.Fatal("never located")
			}
			// One track throughout: the test is about a track's fixes.
			// Each fix is judged by the registry's rules for B2-13: on
			// its own (B2-13 at least RoomShare of the top room and
			// FixShare of the fix), not at all (B2-13 ruled out: it is
			// elsewhere), or vague (B2-13 not ruled out, under FixShare):
			// authorised when a fix on its own authorised the track
			// within AuthorisedTrackHold before, none since ruling B2-13
			// out.
			var lastClear time.Time
			vagueFixes := 0
			for _, l := range ts.Locs {
				if l.Track != ts.Locs[0].Track {
					t.Fatalf("the tablet's fixes made tracks %s and %s: want one", ts.Locs[0].Track, l.Track)
				}
				var topP, total float64
				for _, p := range l.RoomProbs {
					topP, total = max(topP, p), total+p
				}
				own := l.RoomProbs["B2-13"]
				at := time.Unix(0, l.TimeNS)
				switch {
				case own >= registry.RoomShare*topP && own >= registry.FixShare*total:
					if !l.Authorised {
						t.Fatalf("fix at %v in %s (B2-13 %.2f) unauthorised: the test shows nothing", at.Sub(t0), l.Room, own)
					}
					lastClear = at
				case own < registry.RoomShare*topP:
					if l.Authorised {
						t.Errorf("fix at %v in %s %.2f, B2-13 %.2f ruled out: authorised", at.Sub(t0), l.Room, l.RoomProb, own)
					}
					lastClear = time.Time{}
				case lastClear.IsZero() || at.Sub(lastClear) > AuthorisedTrackHold:
					vagueFixes++
					if l.Authorised {
						t.Errorf("vague fix at %v (%s %.2f, B2-13 %.2f) authorised with no fix authorising its track in the %v before",
							at.Sub(t0), l.Room, l.RoomProb, own, AuthorisedTrackHold)
					}
				default:
					vagueFixes++
					if !l.Authorised {
						t.Errorf("vague fix at %v (%s %.2f, B2-13 %.2f), %v after a fix authorised its track: unauthorised",
							at.Sub(t0), l.Room, l.RoomProb, own, at.Sub(lastClear))
					}
				}
			}
			if vagueFixes < 5 {
				t.Fatalf("%d vague fixes of %d: not the case the test is for", vagueFixes, len(ts.Locs))
			}
			firing := firingAlerts(e)
			switch {
			case tc.firing && len(firing) == 0:
				t.Errorf("no alert fired: want one for the tablet's unauthorised fixes")
			case !tc.firing && len(firing) > 0:
				t.Errorf("the registered tablet raised %q", firing[0].Summary)
			}
		})
	}
}

// TestRedPhoneCannotBorrowTabletsAuthorisation: a contraband phone in
// B2-15, two cells from an in-cell tablet registered for B2-13 on band 3,
// heard by s6 alone (in B2-14, between them), while the tablet is in use
// and placed in B2-13 by every sensor, fix after fix. The phone's fix
// spreads over many cells, B2-13 among the likeliest, as the tablet's
// own vague fixes do. On the carrier beside the tablet's it is another
// track, and the tablet's track's authorisation is the tablet's alone.
// On the tablet's very carrier, heard between the tablet's bursts, the
// tracker takes it for the tablet (the same track), but kept faint, 10
// dB under the tablet, s6 hears it weaker than it hears the tablet
// (AuthorisedPowerTolDB), and its fixes are judged alone. Either way its
// alert fires.
func TestRedPhoneCannotBorrowTabletsAuthorisation(t *testing.T) {
	s := wing(t)
	t0 := time.Date(2026, 12, 3, 21, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		centerHz  float64
		txDBm     float64
		after     []time.Duration // the phone's bursts after each of the tablet's, 8 s apart
		sameTrack bool
	}{
		{"next carrier, as loud as the tablet", 1.7575e9, 10, []time.Duration{2 * time.Second, 6 * time.Second}, false},
		{"the tablet's carrier, 10 dB fainter, between its bursts", 1.75e9, 0, []time.Duration{4 * time.Second, 6 * time.Second}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, ts := tabletEngine(t, s, "B2-13", t0)
			tune := func(d *event.Detection) { d.CenterHz = tc.centerHz }
			at := t0
			for range 10 {
				feedPhone(t, e, s, site.Point{X: 22.5, Y: 9}, sensorIDs(s), 10, at, 1) // the tablet
				for _, after := range tc.after {
					feedPhone(t, e, s, site.Point{X: 32.5, Y: 9}, []string{"s6"}, tc.txDBm, at.Add(after), 1, tune) // the phone
				}
				at = at.Add(8 * time.Second)
			}
			if err := e.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			var tablet, phone []store.LocationRecord
			for _, l := range ts.Locs {
				if slices.Equal(l.Sensors, []string{"s6"}) {
					phone = append(phone, l)
				} else {
					tablet = append(tablet, l)
				}
			}
			if len(tablet) == 0 || len(phone) == 0 {
				t.Fatalf("%d fixes of the tablet, %d of the phone: want both located", len(tablet), len(phone))
			}
			for _, l := range tablet {
				if !l.Authorised {
					t.Fatalf("the tablet's fix in %s (%.2f) unauthorised: the test shows nothing", l.Room, l.RoomProb)
				}
			}
			for _, l := range phone {
				var topP, total float64
				for _, v := range l.RoomProbs {
					topP, total = max(topP, v), total+v
				}
				if own := l.RoomProbs["B2-13"]; (l.Track == tablet[0].Track) != tc.sameTrack || own < registry.RoomShare*topP || own >= registry.FixShare*total {
					t.Fatalf("phone's fix: track %s (the tablet's %s), B2-13 %.3f of top %.3f: not the case the test is for",
						l.Track, tablet[0].Track, own, topP)
				}
				if l.Authorised {
					t.Errorf("the phone's vague fix at %v (%s %.2f) authorised: it borrowed the tablet's", time.Unix(0, l.TimeNS).Sub(t0), l.Room, l.RoomProb)
				}
			}
			firing := firingAlerts(e)
			if len(firing) != 1 || firing[0].Track != phone[0].Track {
				t.Fatalf("firing %+v: want one alert, the phone's (track %s)", firing, phone[0].Track)
			}
			t.Logf("phone: %q", firing[0].Summary)
		})
	}
}
