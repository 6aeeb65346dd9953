package alert

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
)

// TestDroneBackVagueFirstFixJoinsItsCase: the demo's drone (seed 1,
// 21:04:59–21:12:34) heard by the yard sensor s5 alone, placed over the
// perimeter ("range unknown: near perimeter PERIM"), goes unheard for
// longer than resolve_after (its alert resolves) and is heard again three
// minutes later: the new alert's first fix names no room (its controller's
// tie, "position unknown"), the next ones place it over the perimeter
// where it was. It is the drone that left and came back within the drop
// rule's window, its path by the first's: one drone_drop case
// (docs/alerts.md "Incidents"). Today the new alert fires on its vague
// first fix with an empty path, nearDrone finds no path near, it opens a
// case of its own, and placing it beside the first a few seconds later
// changes nothing: in the demo one flight made three drop cases, and a
// phone after the drop joins only the latest.
func TestDroneBackVagueFirstFixJoinsItsCase(t *testing.T) {
	e, err := New(DefaultConfig(), demoSite(t), nil, &recorder{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1_800_000_000, 0)
	online(t, e, t0)
	ctx := context.Background()
	perim := map[string]float64{"PERIM": 0.39, "YARD": 0.39, "OUTSIDE": 0.09}
	over := site.Point{X: 24, Y: -25} // over PERIM
	placed := func(track, class string, at time.Time) Location {
		return Location{Track: track, Class: class, Link: event.LinkUnknown, Room: "PERIM", Prob: 0.39, RoomProbs: perim,
			Pos: over, At: at, FreqHz: 5.76e9, Confidence: 0.9, Sensors: []string{"s5"}}
	}
	step := func(loc Location) {
		t.Helper()
		if err := e.ObserveLocation(ctx, loc); err != nil {
			t.Fatal(err)
		}
		if err := e.Tick(ctx, loc.At); err != nil {
			t.Fatal(err)
		}
	}
	// The first visit: a minute over the perimeter.
	for i := range 60 {
		step(placed("video-1", event.ClassDroneVideo, t0.Add(time.Duration(i)*time.Second)))
	}
	// Unheard for resolve_after and more: the alert resolves.
	if err := e.Tick(ctx, t0.Add(59*time.Second+3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := len(openDroneAlerts(e)); n != 0 {
		t.Fatalf("%d drone alerts open after 3 minutes unheard, want the first resolved", n)
	}
	// Back 3 minutes later: a vague first fix (the controller's tie),
	// then fixes over the perimeter again.
	back := t0.Add(4 * time.Minute)
	probs, tied := controllerTie()
	step(Location{Track: "rc-2", Class: event.ClassRCFHSS, Link: event.LinkUnknown, Room: tied[0], Prob: probs[tied[0]],
		RoomProbs: probs, Pos: site.Point{X: 22, Y: 10}, At: back, FreqHz: 2.44e9, Confidence: 0.8, Sensors: []string{"s5"}})
	for i := range 30 {
		step(placed("video-2", event.ClassDroneVideo, back.Add(time.Duration(1+i)*time.Second)))
	}
	var drops []string
	for _, inc := range e.Incidents() {
		if inc.Kind == "drone_drop" {
			drops = append(drops, inc.ID+" "+inc.Summary)
		}
	}
	if len(drops) != 1 {
		t.Errorf("drone_drop incidents %q: want one, the same drone back over the perimeter 3 minutes later, within the drop window, its path by the first's", drops)
	}
}

// TestVagueFirstFixCaseFollowsPlacement: a drone alert whose first fix
// places it nowhere (its controller heard by one sensor, twenty rooms
// alike) joins the case of the latest drone seen within the drop rule's
// window, as such a fix joins an open visit; its first placed fix checks
// that: beside that drone's path it stays (the same drone back,
// TestDroneBackVagueFirstFixJoinsItsCase), far from it (a second drone)
// it leaves for a case of its own, taking its alert, rooms and evidence
// with it; never placed, it stays.
func TestVagueFirstFixCaseFollowsPlacement(t *testing.T) {
	tests := []struct {
		name      string
		room      string
		pos       site.Point
		sensors   []string
		fixes     int // placed fixes after the vague one
		wantCases int
	}{
		{"back over the perimeter", "PERIM", site.Point{X: 24, Y: -25}, []string{"s5", "s6", "s2"}, 30, 1},
		{"a second drone 375 m off", "OUTSIDE", site.Point{X: 24, Y: -400}, []string{"s5", "s6", "s2"}, 30, 2},
		{"never placed", "", site.Point{}, nil, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := New(DefaultConfig(), demoSite(t), nil, &recorder{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Unix(1_800_000_000, 0)
			online(t, e, t0)
			ctx := context.Background()
			step := func(loc Location) {
				t.Helper()
				if err := e.ObserveLocation(ctx, loc); err != nil {
					t.Fatal(err)
				}
				if err := e.Tick(ctx, loc.At); err != nil {
					t.Fatal(err)
				}
			}
			perim := map[string]float64{"PERIM": 0.9, "YARD": 0.1}
			for i := range 60 {
				step(Location{Track: "video-1", Class: event.ClassDroneVideo, Link: event.LinkUnknown, Room: "PERIM", Prob: 0.9, RoomProbs: perim,
					Pos: site.Point{X: 24, Y: -25}, At: t0.Add(time.Duration(i) * time.Second), FreqHz: 5.76e9, Confidence: 0.9,
					Sensors: []string{"s5", "s6", "s2"}, Evidence: []string{fmt.Sprint("video-1-", i)}})
			}
			if err := e.Tick(ctx, t0.Add(59*time.Second+3*time.Minute)); err != nil {
				t.Fatal(err)
			}
			back := t0.Add(4 * time.Minute)
			probs, tied := controllerTie()
			for i := range 10 {
				step(Location{Track: "rc-2", Class: event.ClassRCFHSS, Link: event.LinkUnknown, Room: tied[0], Prob: probs[tied[0]],
					RoomProbs: probs, Pos: site.Point{X: 22, Y: 10}, At: back.Add(time.Duration(i) * time.Second), FreqHz: 2.44e9,
					Confidence: 0.8, Sensors: []string{"s5"}, Evidence: []string{fmt.Sprint("rc-2-", i)}})
			}
			for i := range tt.fixes {
				step(Location{Track: "id-2", Class: event.ClassDroneID, Link: event.LinkUnknown, Room: tt.room, Prob: 0.9,
					RoomProbs: map[string]float64{tt.room: 0.9}, Pos: tt.pos, At: back.Add(time.Duration(10+i) * time.Second),
					FreqHz: 2.4295e9, Confidence: 0.9, Sensors: tt.sensors, Evidence: []string{fmt.Sprint("id-2-", i)}})
			}
			act := openDroneAlerts(e)
			if len(act) != 1 || act[0].Incident == "" {
				t.Fatalf("open drone alerts %+v, want the one back, in a case", act)
			}
			second := act[0]
			var drops []string
			for _, inc := range e.Incidents() {
				if inc.Kind != "drone_drop" {
					continue
				}
				drops = append(drops, inc.ID+" "+inc.Summary)
				in := slices.Contains(inc.Alerts, second.ID)
				if in != (inc.ID == second.Incident) || slices.Contains(inc.DroneAlerts, second.ID) != in {
					t.Errorf("incident %s lists alert %s: %v, drone alert: %v; the alert's case is %s", inc.ID, second.ID[:6], in,
						slices.Contains(inc.DroneAlerts, second.ID), second.Incident)
				}
				if inc.ID != second.Incident && slices.Contains(inc.Detections, "rc-2-0") {
					t.Errorf("incident %s keeps the evidence of alert %s, which left it: %v", inc.ID, second.ID[:6], inc.Detections)
				}
				if inc.ID == second.Incident && !slices.Contains(inc.Detections, "rc-2-0") {
					t.Errorf("incident %s lacks the evidence of its alert %s: %v", inc.ID, second.ID[:6], inc.Detections)
				}
				if tt.wantCases == 2 && inc.ID != second.Incident && strings.Contains(inc.Summary, "remote control") {
					t.Errorf("incident %s summary %q names the controller heard by the drone that left it", inc.ID, inc.Summary)
				}
			}
			if len(drops) != tt.wantCases {
				t.Errorf("drone_drop incidents %q, want %d", drops, tt.wantCases)
			}
		})
	}
}

// ackOpenDrones acknowledges, as officer1 at now, every open drone alert
// of e, and returns the ID of the last ("" when none is open).
func ackOpenDrones(t *testing.T, e *Engine, now time.Time) string {
	t.Helper()
	var id string
	for _, a := range openDroneAlerts(e) {
		id = a.ID
		if _, err := e.Ack(context.Background(), a.ID, "officer1", "staff sent to the yard", now); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// openDroneAlerts returns e's open drone alerts.
func openDroneAlerts(e *Engine) []event.Alert {
	var out []event.Alert
	for _, a := range e.Active() {
		if a.Rule == "drone" {
			out = append(out, a)
		}
	}
	return out
}

// TestDroneReturnAnnouncedWhileControllerOn: a drop run. The aircraft
// (its DroneID, placed over the yard by three sensors) comes, the control
// room acknowledges its alert, it leaves after a minute; its pilot stays
// outside the wall with the controller on, heard by the yard sensor alone
// ("range unknown"), as a pilot reloading for the next run does. Five
// minutes later the aircraft is back over the yard. It went and came back
// (docs/alerts.md "A drone back after an acknowledgement": gone for
// reannounce_after, 45 s, then heard again: a new alert that fires at
// once, with the banner and the beep). Today nothing is published: the
// controller's one-sensor fixes join the visit (droneVisit rule 3) and
// keep its lastSeen fresh, so backAfterAck never sees a gap, and the
// returning DroneID, its earlier link expired, joins the acknowledged
// visit as one with no live link (rule 4). The control room hears of the
// second run only when ack_lasts (10 min) lapses, four minutes later.
func TestDroneReturnAnnouncedWhileControllerOn(t *testing.T) {
	e, rec, t0 := onlineEngineOn(t, demoSite(t))
	ctx := context.Background()
	yard := map[string]float64{"YARD": 0.8, "PERIM": 0.15, "OUTSIDE": 0.05}
	pilot := map[string]float64{"OUTSIDE": 0.6, "PERIM": 0.3, "YARD": 0.1}
	aircraft := func(track string, at time.Time) Location {
		return Location{Track: track, Class: event.ClassDroneID, Link: event.LinkUnknown, Room: "YARD", Prob: 0.8, RoomProbs: yard,
			Pos: site.Point{X: 24, Y: -10}, At: at, FreqHz: 2.4295e9, Confidence: 0.9, Sensors: []string{"s5", "s1", "s6"}}
	}
	controller := func(at time.Time) Location {
		return Location{Track: "rc", Class: event.ClassRCFHSS, Link: event.LinkUnknown, Room: "OUTSIDE", Prob: 0.6, RoomProbs: pilot,
			Pos: site.Point{X: 24, Y: -100}, At: at, FreqHz: 2.44e9, Confidence: 0.8, Sensors: []string{"s5"}}
	}
	back := t0.Add(6 * time.Minute)
	var acked string
	for s := 0; s <= 7*60; s += 2 {
		at := t0.Add(time.Duration(s) * time.Second)
		fixes := []Location{controller(at)}
		if s <= 60 {
			fixes = append(fixes, aircraft("id-1", at.Add(time.Second)))
		}
		if !at.Before(back) {
			fixes = append(fixes, aircraft("id-2", at.Add(time.Second)))
		}
		for _, loc := range fixes {
			if err := e.ObserveLocation(ctx, loc); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.Tick(ctx, at.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		if s == 30 {
			act := openDroneAlerts(e)
			if len(act) != 1 || act[0].State != event.AlertFiring {
				t.Fatalf("drone alerts open after 30 s: %+v, want one firing", act)
			}
			acked = act[0].ID
			if _, err := e.Ack(ctx, acked, "officer1", "staff sent to the yard", at.Add(time.Second)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, a := range rec.got {
		if a.Rule == "drone" && a.State == event.AlertFiring && a.ID != acked && a.ActiveNS >= back.UnixNano() && a.ActiveNS < back.Add(time.Minute).UnixNano() {
			return // announced anew as it came back
		}
	}
	var seen []string
	for _, a := range rec.got {
		if a.Rule == "drone" {
			seen = append(seen, time.Unix(0, a.UpdatedNS).Sub(t0).String()+" "+a.State+" "+a.ID[:6]+" ack="+a.AckBy)
		}
	}
	t.Errorf("the aircraft back over the yard 5 minutes after it left (its controller on outside all along) was not announced anew within a minute; drone publications: %q", seen)
}

// TestSecondDroneFarOffNotSwallowed: drone A over the yard, leaves after
// a minute; its pilot's controller stays on, heard by one sensor ("range
// unknown"). Two minutes after A's last fix a second drone B comes to the
// far side of the prison, 500 m off, placed by three sensors. Two drones
// far apart are two visits, two alerts (docs/alerts.md "Two drones at
// once are two visits"); B is nowhere near where A was. Until 2026-12-06
// B's fixes joined A's visit: the controller's one-sensor fixes keep A
// open but are no links (rule 3), A's aircraft link expired after
// resolve_after, and a visit with no live link took any fix (rule 4),
// however far. A acknowledged: nothing was published for B but refreshes
// of A's acknowledged alert; A not acknowledged: one alert for both
// drones, moving between B2-16 and the yard, no second banner.
func TestSecondDroneFarOffNotSwallowed(t *testing.T) {
	for _, ack := range []bool{true, false} {
		t.Run(fmt.Sprintf("acknowledged=%v", ack), func(t *testing.T) {
			e, _, rec, t0 := storedEngine(t)
			ctx := context.Background()
			var fixes []linkFix
			fixes = append(fixes, every(linkFix{track: "a-id", class: event.ClassDroneID, room: "yard", x: 10, y: -15}, 0, 60, 2, 0, 0)...)
			fixes = append(fixes, every(linkFix{track: "a-rc", class: event.ClassRCFHSS, room: "yard", x: 10, y: -40, sensors: 1}, 1, 300, 2, 0, 0)...)
			fixes = append(fixes, every(linkFix{track: "b-id", class: event.ClassDroneID, room: "B2-16", x: 510, y: -15}, 200, 260, 2, 0, 0)...)
			var first string
			playFixes(t, e, t0, fixes, 2, 30, func(now time.Time) {
				for _, a := range openDroneAlerts(e) {
					first = a.ID
					if !ack {
						continue
					}
					if _, err := e.Ack(ctx, a.ID, "officer1", "staff sent to the yard", now); err != nil {
						t.Fatal(err)
					}
				}
			})
			if first == "" {
				t.Fatal("no drone alert for drone A")
			}
			var pubs []string
			second, swallowed := false, false
			for _, a := range rec.got {
				if a.Rule != "drone" {
					continue
				}
				pubs = append(pubs, a.ID[:6]+" "+a.State+" in "+a.Room+" ack="+a.AckBy)
				if a.ID != first && a.State == event.AlertFiring && a.Room == "B2-16" {
					second = true
				}
				if a.ID == first && a.Room == "B2-16" {
					swallowed = true
				}
			}
			if swallowed {
				t.Errorf("drone A's alert %s named B2-16, where drone B is, 500 m off; drone publications %q", first[:6], pubs)
			}
			if !second {
				t.Errorf("a second drone 500 m off, placed by three sensors, raised no alert of its own in B2-16; drone publications %q", pubs)
			}
		})
	}
}

// TestConvergingDroneNotSilencedByMerge: a decoy hovers over the yard and
// its alert is acknowledged (staff sent there); a second aircraft comes
// in from 400 m off, a visit and a critical alert of its own, and flies
// to the decoy. Within visit_separation_m (200 m) of the decoy's links
// its visit is merged into the older one (docs/alerts.md "Visits merge")
// and its alert resolves; the older alert is acknowledged, so from then
// on nothing sounds for the second aircraft, which is still flying in,
// until ack_lasts lapses on the decoy's acknowledgement. The merge was
// made for one aircraft's wild first fix; here it hands a live,
// unacknowledged alert to an acknowledged one. Expected: the drone the
// control room has not acknowledged stays before it (the merged visit
// raised anew, or the merge keeps the unacknowledged alert).
func TestConvergingDroneNotSilencedByMerge(t *testing.T) {
	e, _, rec, t0 := storedEngine(t)
	var fixes []linkFix
	fixes = append(fixes, every(linkFix{track: "decoy", class: event.ClassDroneVideo, room: "yard", x: 10, y: -15}, 0, 240, 2, 0, 0)...)
	fixes = append(fixes, every(linkFix{track: "drop", class: event.ClassDroneID, room: "B2-16", x: 410, y: -15}, 60, 240, 2, -8, 0)...)
	var acked string
	playFixes(t, e, t0, fixes, 0, 30, func(now time.Time) {
		if id := ackOpenDrones(t, e, now); id != "" {
			acked = id
		}
	})
	if acked == "" {
		t.Fatal("no decoy alert to acknowledge")
	}
	var second string
	for _, a := range rec.got {
		if a.Rule == "drone" && a.ID != acked && a.State == event.AlertFiring {
			second = a.ID
			break
		}
	}
	if second == "" {
		t.Fatal("the second aircraft raised no alert of its own 400 m off")
	}
	for _, a := range e.Active() {
		if a.Rule == "drone" && a.AckNS == 0 {
			return // something unacknowledged still before the control room
		}
	}
	var last []string
	for _, a := range rec.got {
		if a.Rule == "drone" && a.ID == second {
			last = append(last, a.State+": "+a.Summary)
		}
	}
	t.Errorf("four minutes in, the second aircraft still flying (now beside the decoy), every open drone alert is acknowledged: its own alert went %q", last[len(last)-1])
}

// TestWildFirstFixAfterAckKeepsUnacknowledged is the cost of
// TestConvergingDroneNotSilencedByMerge's fix: one drone, its DroneID
// over the yard, acknowledged at 10 s; its video link's first fix (20 s)
// wild, 400 m off in B2-16, opens a second visit, whose alert fires (the
// banner); the video's next fixes, beside the DroneID, merge the two. The
// acknowledged visit is merged into the one not acknowledged (before
// 2026-12-06 the other way): the drone's one open alert is then the wild
// fix's, moved to the yard, and the control room acknowledges the drone
// once more.
func TestWildFirstFixAfterAckKeepsUnacknowledged(t *testing.T) {
	e, _, rec, t0 := storedEngine(t)
	var fixes []linkFix
	fixes = append(fixes, every(linkFix{track: "id", class: event.ClassDroneID, room: "yard", x: 20, y: -5}, 0, 120, 2, 0, 0)...)
	fixes = append(fixes, linkFix{s: 20, track: "video", class: event.ClassDroneVideo, room: "B2-16", x: 420, y: -5})
	fixes = append(fixes, every(linkFix{track: "video", class: event.ClassDroneVideo, room: "yard", x: 25, y: -5}, 23, 121, 2, 0, 0)...)
	var acked string
	playFixes(t, e, t0, fixes, 5, 10, func(now time.Time) {
		if id := ackOpenDrones(t, e, now); id != "" {
			acked = id
		}
	})
	if acked == "" {
		t.Fatal("no drone alert to acknowledge")
	}
	open := openDroneAlerts(e)
	if len(open) != 1 || open[0].ID == acked || open[0].AckNS != 0 || open[0].Room != "yard" {
		t.Fatalf("drone alerts open %+v, want one: the wild fix's, not acknowledged, moved to the yard", open)
	}
	last := lastPublished(rec)[acked]
	if last.State != event.AlertResolved || !strings.Contains(last.Summary, "merged into alert "+open[0].ID) {
		t.Errorf("the acknowledged alert last published %s %q, want resolved, merged into %s", last.State, last.Summary, open[0].ID)
	}
}
