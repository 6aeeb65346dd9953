package alert

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
)

// openDrones returns the rooms of e's open drone alerts, by ID.
func openDrones(e *Engine) map[string]string {
	out := map[string]string{}
	for _, a := range e.Active() {
		if a.Rule == "drone" {
			out[a.ID] = a.Room
		}
	}
	return out
}

// lastPublished returns the latest publication of each alert of rec, by ID.
func lastPublished(rec *recorder) map[string]event.Alert {
	out := map[string]event.Alert{}
	for _, a := range rec.got {
		out[a.ID] = a
	}
	return out
}

// TestWildFirstFixMerges: one drone, its DroneID placed over the yard
// throughout, its video link's first fix wild (a group of far sensors),
// 400 m off in B2-16, every later one 5 m from the DroneID's. The wild fix
// opens a second visit (a second drone, as far as one fix tells); the
// video track's next fix, beside the DroneID, leaves that visit with no
// link apart from the first's: it is merged into the first, its alert
// resolved naming the one it joined. Until 2026-12-05 the video track
// kept the second visit (its track's visit) wherever it went: one drone,
// two critical alerts for its whole visit.
func TestWildFirstFixMerges(t *testing.T) {
	e, _, rec, t0 := storedEngine(t)
	var fixes []linkFix
	fixes = append(fixes, every(linkFix{track: "id", class: event.ClassDroneID, room: "yard", x: 20, y: -5}, 0, 300, 2, 0, 0)...)
	fixes = append(fixes, linkFix{s: 1, track: "video", class: event.ClassDroneVideo, room: "B2-16", x: 420, y: -5})
	fixes = append(fixes, every(linkFix{track: "video", class: event.ClassDroneVideo, room: "yard", x: 25, y: -5}, 3, 301, 2, 0, 0)...)
	playFixes(t, e, t0, fixes, 5, 0, nil)
	open := openDrones(e)
	if len(open) != 1 {
		t.Fatalf("one drone, drone alerts open %v after 5 minutes of its two links 5 m apart, want one", open)
	}
	var first string
	for id := range open {
		first = id
	}
	ids, rooms := droneRooms(rec)
	if len(ids) != 2 {
		t.Fatalf("drone alerts %v, want the drone's and the wild fix's", rooms)
	}
	last := lastPublished(rec)
	wild := last[ids[1]]
	if wild.State != event.AlertResolved || !strings.Contains(wild.Summary, "merged into alert "+first) {
		t.Errorf("the wild fix's alert last published %s %q, want resolved, merged into alert %s", wild.State, wild.Summary, first)
	}
	if wild.UpdatedNS > t0.Add(10e9).UnixNano() {
		t.Errorf("the wild fix's alert resolved %v after the start, want within a few fixes", wild.UpdatedNS-t0.UnixNano())
	}
	if l := last[first]; !slices.Contains(l.Evidence, "video-3") {
		t.Errorf("the drone's alert's evidence %v lacks the video link's fixes after the merge", l.Evidence)
	}
}

// TestStaleLinkIgnored: drone A's first DroneID track "a1" ends at (0,0)
// at 20 s (the tracker starts another, "a2", which flies 600 m away and
// stays heard). Drone B comes to (10,0) at 250 s, long after a1 was last
// heard (resolve_after 2 min). A link unheard for resolve_after no longer
// places its visit: B is a visit of its own. Until 2026-12-05 a1's last
// fix pinned A's visit there for ever, and B joined it: one alert for two
// drones 590 m apart.
func TestStaleLinkIgnored(t *testing.T) {
	e, _, _, t0 := storedEngine(t)
	var fixes []linkFix
	fixes = append(fixes, every(linkFix{track: "a1", class: event.ClassDroneID, room: "yard", x: 0, y: 0}, 0, 20, 2, 0, 0)...)
	fixes = append(fixes, every(linkFix{track: "a2", class: event.ClassDroneVideo, room: "yard", x: 0, y: 0}, 1, 61, 2, 20, 0)...)
	fixes = append(fixes, every(linkFix{track: "a2", class: event.ClassDroneVideo, room: "B2-16", x: 600, y: 0}, 63, 400, 2, 0, 0)...)
	fixes = append(fixes, every(linkFix{track: "b", class: event.ClassRCFHSS, room: "B2-03", x: 10, y: 0}, 250, 400, 2, 0, 0)...)
	playFixes(t, e, t0, fixes, 2, 0, nil)
	open := openDrones(e)
	rooms := slices.Sorted(func(yield func(string) bool) {
		for _, r := range open {
			if !yield(r) {
				return
			}
		}
	})
	if !slices.Equal(rooms, []string{"B2-03", "B2-16"}) {
		t.Errorf("two drones 590 m apart, drone alerts open in %v, want B2-03 and B2-16", rooms)
	}
}

// TestVisitLinksBounded: a visit held open for hours by a succession of
// tracks (a drone hovering while the tracker starts a track at each gap;
// an FHSS interferer outside the wall heard all day) keeps the links heard
// within resolve_after, not one per track it ever had; a resolved visit
// keeps none.
func TestVisitLinksBounded(t *testing.T) {
	e, _, _, t0 := storedEngine(t)
	var fixes []linkFix
	for i := range 2000 {
		fixes = append(fixes, linkFix{s: 5 * i, track: fmt.Sprint("t", i), class: event.ClassRCFHSS, room: "yard", x: 10, y: -10})
	}
	playFixes(t, e, t0, fixes, 0, 0, nil)
	check := func(when string, most int) {
		t.Helper()
		e.mu.Lock()
		defer e.mu.Unlock()
		if len(e.visits["drone"]) == 0 {
			t.Fatalf("%s: no drone visit held", when)
		}
		for _, v := range e.visits["drone"] {
			if len(v.links) > most {
				t.Errorf("%s: visit %s (%v) holds %d links after 2000 tracks, want at most %d", when, v.key, v.state, len(v.links), most)
			}
		}
	}
	check("while open", 2*60/5+1) // resolve_after 2 min, a track every 5 s
	if err := e.Tick(context.Background(), t0.Add(5*2000*1e9+3*60*1e9)); err != nil {
		t.Fatal(err)
	}
	check("resolved", 0)
}

// TestNonFiniteDronePos: ObserveLocation is exported; a drone fix whose
// position is not finite (fusion drops those, finiteFix) is refused, with
// an error naming it, and raises nothing, whatever visits are open.
func TestNonFiniteDronePos(t *testing.T) {
	e, _, _, t0 := storedEngine(t)
	playFixes(t, e, t0, []linkFix{{s: 0, track: "a", class: event.ClassDroneID, room: "yard", x: 10, y: -15}}, 0, 0, nil)
	for _, p := range []site.Point{{X: math.Inf(1)}, {Y: math.NaN()}, {X: math.Inf(-1), Y: math.Inf(1)}} {
		l := linkFix{s: 1, track: "b", class: event.ClassDroneID, room: "B2-16"}.loc(t0)
		l.Pos = p
		if err := e.ObserveLocation(context.Background(), l); err == nil || !strings.Contains(err.Error(), "not finite") {
			t.Errorf("drone fix at %v: err %v, want a non-finite position refused", p, err)
		}
		l.Sensors = []string{"s1"} // unplaced: its position is its room's, still not finite
		if err := e.ObserveLocation(context.Background(), l); err == nil {
			t.Errorf("one-sensor drone fix at %v: no error, want it refused", p)
		}
	}
	if open := openDrones(e); len(open) != 1 {
		t.Errorf("drone alerts open %v, want the one finite fix's", open)
	}
}

// TestTwoVisitsTwoIncidents: two drones 500 m apart are two visits and two
// drop incidents, each naming its own drone's room: closing one (the
// dashboard acknowledges its DroneAlerts) leaves the other drone's alert
// unacknowledged. One drone whose acknowledged alert is raised anew (it
// went and came back) stays one incident. Until 2026-12-05 a drone alert
// joined the incident of any drone seen within the drop rule's window:
// both drones were one case, "drone in yard, B2-16".
func TestTwoVisitsTwoIncidents(t *testing.T) {
	e, _, _, t0 := storedEngine(t)
	ctx := context.Background()
	decoy := linkFix{track: "a", class: event.ClassDroneVideo, room: "yard", x: 10, y: -15}
	drop := linkFix{track: "b", class: event.ClassDroneID, room: "B2-16", x: 510, y: -15}
	var fixes []linkFix
	fixes = append(fixes, every(decoy, 0, 20, 2, 0, 0)...)
	fixes = append(fixes, every(drop, 1, 31, 2, 0, 0)...)
	fixes = append(fixes, every(decoy, 80, 100, 2, 0, 0)...) // back after reannounce_after: a new alert
	playFixes(t, e, t0, fixes, 2, 25, func(now time.Time) {
		for id, room := range openDrones(e) {
			if room == "yard" {
				if _, err := e.Ack(ctx, id, "officer1", "decoy", now); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
	byRoom := map[string][]string{}
	for _, inc := range e.Incidents() {
		if inc.Kind != "drone_drop" {
			continue
		}
		t.Logf("incident %s rooms %v drone alerts %v: %s", inc.ID, inc.Rooms, inc.DroneAlerts, inc.Summary)
		if len(inc.Rooms) != 1 {
			t.Errorf("incident %s names rooms %v (%q), want one drone's", inc.ID, inc.Rooms, inc.Summary)
			continue
		}
		byRoom[inc.Rooms[0]] = inc.DroneAlerts
		if want := "drone in " + inc.Rooms[0] + ":"; !strings.HasPrefix(inc.Summary, want) {
			t.Errorf("incident %s summary %q, want %q...", inc.ID, inc.Summary, want)
		}
	}
	if len(byRoom) != 2 || len(byRoom["yard"]) != 2 || len(byRoom["B2-16"]) != 1 {
		t.Errorf("drop incidents' drone alerts by room %v, want the decoy's two (raised anew) in the yard's and the drop drone's one in B2-16's", byRoom)
	}
}
