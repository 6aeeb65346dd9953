package fusion

import (
	"cmp"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/alert"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

// TestRegistryRoomShareIsRunnerUpShare: a fix authorises a device in its
// room when that room is as likely, against the top one, as a room the
// alert summaries name beside it.
func TestRegistryRoomShareIsRunnerUpShare(t *testing.T) {
	if registry.RoomShare != alert.RunnerUpShare {
		t.Errorf("registry.RoomShare %v, alert.RunnerUpShare %v: want them equal", registry.RoomShare, alert.RunnerUpShare)
	}
}

// TestAuthorisedDeviceVagueFix: an authorised LTE device registered for
// one cell. A fix that cannot tell that cell from the top one beside it
// (two sensors hear it, and leave two or three cells alike) leaves it
// authorised: it used to be unauthorised whenever the top room was
// another, and a critical alert fired for a registered tablet. A fix that
// cannot tell many cells apart (one sensor hears it: ten cells alike at
// 9% each) authorises no device of one of them (registry.FixShare): such
// a fix of a phone across the wing was silenced by a tablet registered in
// one of the ten (TestRedFaintPhoneAuthorisedByFarTablet), and the
// registered device heard so raises the alert too, the price of it. A
// confident fix in another cell, where the registered one is unlikely,
// still raises the alert.
func TestAuthorisedDeviceVagueFix(t *testing.T) {
	s := wing(t)
	t0 := time.Date(2026, 12, 3, 21, 0, 0, 0, time.UTC)
	var all []string
	for _, sn := range s.Sensors {
		all = append(all, sn.ID)
	}
	b211 := site.Point{X: 12, Y: 9} // in B2-11

	// run emits an LTE uplink at pos heard by heardBy every 2 s for 40 s
	// and returns the first fix's room probabilities and the firing
	// alerts, with the registry (nil: none) authorising its rooms.
	run := func(t *testing.T, pos site.Point, heardBy []string, rooms []string) (map[string]float64, []event.Alert) {
		t.Helper()
		ctx := context.Background()
		var auth Authorizer
		if rooms != nil {
			auth, _ = testRegistry(t, s, tabletEntry(rooms, event.ClassLTE, t0))
		}
		ts := &storetest.Recorder{}
		e, err := New(Config{ListenWindow: -1}, Deps{Site: s, TimeSeries: ts, Authorizer: auth, Clock: func() time.Time { return t0 }})
		if err != nil {
			t.Fatal(err)
		}
		feedPhone(t, e, s, pos, heardBy, 10, t0, 20)
		if err := e.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if len(ts.Locs) == 0 {
			t.Fatal("never located")
		}
		var firing []event.Alert
		for _, a := range e.Alerts().Active() {
			if a.State == event.AlertFiring {
				firing = append(firing, a)
			}
		}
		return ts.Locs[0].RoomProbs, firing
	}
	// byProb lists the rooms of probs, most likely first.
	byProb := func(probs map[string]float64) []string {
		var ids []string
		for id := range probs {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, func(a, b string) int { return cmp.Or(cmp.Compare(probs[b], probs[a]), cmp.Compare(a, b)) })
		return ids
	}

	// alikeCell returns the least likely cell but the top, top, that is at
	// least RoomShare as likely as it, with its share of the fix.
	alikeCell := func(t *testing.T, probs map[string]float64) (reg, top string, share float64) {
		t.Helper()
		ids := byProb(probs)
		top = ids[0]
		var total float64
		for _, p := range probs {
			total += p
		}
		for _, id := range ids[1:] {
			if rm, _ := s.Room(id); rm.Kind == site.KindCell && probs[id] >= registry.RoomShare*probs[top] {
				reg = id
			}
		}
		if reg == "" {
			t.Fatalf("no cell at least %.0f%% as likely as %s (%.3f): %v", 100*registry.RoomShare, top, probs[top], probs)
		}
		return reg, top, probs[reg] / total
	}

	for _, tc := range []struct {
		name    string
		pos     site.Point
		heardBy []string
		// authorised: the registered cell's share of the fix is at least
		// FixShare (a cell beside the top), and the fix raises nothing;
		// else it is under it (one of many alike), and the alert fires
		authorised bool
	}{
		{"vague fix, registered cell beside the top: two sensors", site.Point{X: 7.5, Y: 9}, []string{"s5", "s6"}, true}, // in B2-10
		{"vague fix, ten cells alike: one sensor", b211, all[:1], false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			probs, firing := run(t, tc.pos, tc.heardBy, nil)
			if len(firing) == 0 {
				t.Fatal("unregistered, the vague fix raised no alert: the test shows nothing")
			}
			reg, top, share := alikeCell(t, probs)
			if probs[top] >= 0.5 {
				t.Fatalf("%v placed it in %s at %.2f: not a vague fix, the test shows nothing", tc.heardBy, top, probs[top])
			}
			if got := share >= registry.FixShare; got != tc.authorised {
				t.Fatalf("registered %s holds %.3f of the fix (FixShare %.2f): not the case the test is for", reg, share, registry.FixShare)
			}
			t.Logf("top %s %.3f, registered %s %.3f", top, probs[top], reg, probs[reg])
			_, firing = run(t, tc.pos, tc.heardBy, []string{reg})
			switch {
			case tc.authorised && len(firing) != 0:
				t.Errorf("a device registered for %s (%.3f) raised %q with %s at %.3f", reg, probs[reg], firing[0].Summary, top, probs[top])
			case !tc.authorised && len(firing) == 0:
				t.Errorf("a fix of ten cells alike (%s %.3f, %s %.3f, %.0f%% of the fix) was authorised by the entry of %s", top, probs[top], reg, probs[reg], 100*share, reg)
			}
		})
	}

	t.Run("confident fix elsewhere", func(t *testing.T) {
		probs, _ := run(t, b211, all, nil)
		ids := byProb(probs)
		top := ids[0]
		if probs[top] < 0.5 {
			t.Fatalf("every sensor placed it in %s at only %.2f: not a confident fix", top, probs[top])
		}
		// the registered cell: another cell, unlikely against the top
		reg := ""
		for _, rm := range s.Rooms {
			if rm.Kind == site.KindCell && rm.ID != top && probs[rm.ID] < registry.RoomShare*probs[top] {
				reg = rm.ID
				if probs[rm.ID] > 0 {
					break // prefer a cell the fix gives some chance
				}
			}
		}
		t.Logf("top %s %.3f, registered %s %.3f", top, probs[top], reg, probs[reg])
		_, firing := run(t, b211, all, []string{reg})
		if len(firing) == 0 || firing[0].Room != top {
			t.Errorf("a device registered for %s, located in %s at %.2f: firing %v, want the alert in %s", reg, top, probs[top], firing, top)
		}
		if _, firing := run(t, b211, all, []string{top}); len(firing) != 0 {
			t.Errorf("registered for %s and located there: %q", top, firing[0].Summary)
		}
	})
}
