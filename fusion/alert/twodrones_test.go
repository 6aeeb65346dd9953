package alert

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// linkFix is one fix of a drone-class link: track, class, room and
// position at s seconds after t0; sensors is how many sensors heard it
// (1: "range unknown", its position only the room's; 0: as 3).
type linkFix struct {
	s       int
	track   string
	class   string
	room    string
	x, y    float64
	sensors int
}

// loc is f as fusion gives it to the engine.
func (f linkFix) loc(t0 time.Time) Location {
	n := f.sensors
	if n == 0 {
		n = 3
	}
	var sensors []string
	for i := range n {
		sensors = append(sensors, fmt.Sprint("s", i+1))
	}
	return Location{Track: f.track, Class: f.class, Link: event.LinkUnknown, Room: f.room, Prob: 0.9,
		RoomProbs: map[string]float64{f.room: 0.9}, Pos: site.Point{X: f.x, Y: f.y}, Sensors: sensors,
		Evidence: []string{fmt.Sprintf("%s-%d", f.track, f.s)}, At: t0.Add(time.Duration(f.s) * time.Second)}
}

// every repeats fix f every step seconds from from to to (inclusive),
// moving it by dx, dy metres each time.
func every(f linkFix, from, to, step int, dx, dy float64) []linkFix {
	var out []linkFix
	for s := from; s <= to; s += step {
		g := f
		g.s, g.x, g.y = s, f.x+dx*float64(s-from)/float64(step), f.y+dy*float64(s-from)/float64(step)
		out = append(out, g)
	}
	return out
}

// playFixes feeds fixes (sorted by time) to e, ticking every second from
// t0 to the last fix plus tail seconds; at ackS (seconds, 0: none) it
// calls ack.
func playFixes(t *testing.T, e *Engine, t0 time.Time, fixes []linkFix, tail int, ackS int, ack func(now time.Time)) {
	t.Helper()
	ctx := context.Background()
	slices.SortStableFunc(fixes, func(a, b linkFix) int { return a.s - b.s })
	end := tail
	if len(fixes) > 0 {
		end += fixes[len(fixes)-1].s
	}
	i := 0
	for s := 0; s <= end; s++ {
		now := t0.Add(time.Duration(s) * time.Second)
		for ; i < len(fixes) && fixes[i].s == s; i++ {
			if err := e.ObserveLocation(ctx, fixes[i].loc(t0)); err != nil {
				t.Fatal(err)
			}
		}
		if s == ackS && ack != nil {
			ack(now)
		}
		if err := e.Tick(ctx, now); err != nil {
			t.Fatal(err)
		}
	}
}

// droneRooms returns, by drone alert ID, the rooms its publications
// named, in order, without repeats in a row.
func droneRooms(rec *recorder) (ids []string, rooms map[string][]string) {
	rooms = map[string][]string{}
	for _, a := range rec.got {
		if a.Rule != "drone" {
			continue
		}
		if _, ok := rooms[a.ID]; !ok {
			ids = append(ids, a.ID)
		}
		if l := rooms[a.ID]; len(l) == 0 || l[len(l)-1] != a.Room {
			rooms[a.ID] = append(l, a.Room)
		}
	}
	return ids, rooms
}

// TestTwoDronesTwoVisits: a drone-class fix joins the open visit of its
// track, or one within the rule's visit separation (DefaultVisitSeparationM)
// of a link's latest fix; a fix beyond it from every open visit is another
// aircraft: a visit of its own, its own alert and room. Until 2026-12-05 a
// drone rule had one alert at a time: a decoy at one side of the prison and
// a drop drone at the other were one alert, which named whichever was
// located last, and the perimeter officer was never told of the second.
func TestTwoDronesTwoVisits(t *testing.T) {
	decoy := linkFix{track: "a", class: event.ClassDroneVideo, room: "yard", x: 10, y: -15}
	drop := linkFix{track: "b", class: event.ClassDroneID, room: "B2-16", x: 510, y: -15}
	var twoAtOnce []linkFix
	twoAtOnce = append(twoAtOnce, every(decoy, 0, 60, 2, 0, 0)...)
	twoAtOnce = append(twoAtOnce, every(drop, 1, 61, 2, 0, 0)...)

	// One drone over the yard: its DroneID, video link and controller,
	// each its own track, their fixes scattered as a drone's are (35 m
	// RMSE, docs/localisation.md), the controller with the pilot 120 m off.
	var threeLinks []linkFix
	for i, off := range []struct{ x, y float64 }{{0, 0}, {40, -30}, {-35, 25}, {60, 10}, {-50, -40}, {20, 55}} {
		s := 3 * i
		threeLinks = append(threeLinks,
			linkFix{s: s, track: "id", class: event.ClassDroneID, room: "yard", x: 20 + off.x, y: -5 + off.y},
			linkFix{s: s + 1, track: "video", class: event.ClassDroneVideo, room: "yard", x: 20 - off.y, y: -5 + off.x},
			linkFix{s: s + 2, track: "rc", class: event.ClassRCFHSS, room: "yard", x: 20 + 120 + off.x/2, y: -5 - off.y/2})
	}

	// One drone flies 400 m in 40 s (its one track): the alert follows.
	fast := every(linkFix{track: "f", class: event.ClassDroneVideo, room: "yard", x: 0, y: -10}, 0, 40, 2, 20, 0)

	// The decoy leaves, its visit resolves (resolve_after 2 min), then
	// the drop drone comes at the other side: two alerts, one after the
	// other, as before.
	var oneThenOther []linkFix
	oneThenOther = append(oneThenOther, every(decoy, 0, 20, 2, 0, 0)...)
	oneThenOther = append(oneThenOther, every(drop, 200, 220, 2, 0, 0)...)

	// Two drones 100 m apart: within the separation, one visit (the
	// limit of what fixes 35 m out can tell apart).
	var twoClose []linkFix
	twoClose = append(twoClose, every(decoy, 0, 30, 2, 0, 0)...)
	twoClose = append(twoClose, every(linkFix{track: "c", class: event.ClassDroneID, room: "yard", x: 110, y: -15}, 1, 31, 2, 0, 0)...)

	// While the two visits are open a third link is heard by one sensor
	// only (range unknown: its position is only its room's), 238 m from
	// the drop drone and 312 m from the decoy: it joins a visit, the
	// nearest, and opens none. Placed there, it would be a third drone.
	oneSensor := slices.Clone(twoAtOnce)
	oneSensor = append(oneSensor, every(linkFix{track: "rc2", class: event.ClassRCFHSS, room: "B2-16", x: 300, y: 100, sensors: 1}, 10, 40, 3, 0, 0)...)
	thirdDrone := slices.Clone(twoAtOnce)
	thirdDrone = append(thirdDrone, every(linkFix{track: "rc2", class: event.ClassRCFHSS, room: "B2-08", x: 300, y: 100}, 10, 40, 3, 0, 0)...)

	tests := []struct {
		name      string
		fixes     []linkFix
		wantIDs   int      // drone alerts published
		wantRooms []string // rooms of the drone alerts, in order first published, each one room throughout
		wantOpen  int      // drone alerts open at the end
	}{
		{"two drones 500 m apart at once", twoAtOnce, 2, []string{"yard", "B2-16"}, 2},
		{"one drone, three links scattered", threeLinks, 1, []string{"yard"}, 1},
		{"one drone flies 400 m", fast, 1, []string{"yard"}, 1},
		{"one leaves, its visit resolves, another comes elsewhere", oneThenOther, 2, []string{"yard", "B2-16"}, 1},
		{"two drones 100 m apart", twoClose, 1, []string{"yard"}, 1},
		{"a one-sensor link while two visits are open", oneSensor, 2, []string{"yard", "B2-16"}, 2},
		{"a third drone while two visits are open", thirdDrone, 3, []string{"yard", "B2-16", "B2-08"}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _, rec, t0 := storedEngine(t)
			playFixes(t, e, t0, tt.fixes, 11, 0, nil)
			ids, rooms := droneRooms(rec)
			if len(ids) != tt.wantIDs {
				t.Fatalf("%d drone alerts %v, want %d", len(ids), rooms, tt.wantIDs)
			}
			for i, id := range ids {
				if want := tt.wantRooms[i]; !slices.Equal(rooms[id], []string{want}) {
					t.Errorf("drone alert %d named rooms %v, want %s only", i+1, rooms[id], want)
				}
			}
			open := 0
			for _, a := range e.Active() {
				if a.Rule == "drone" {
					open++
					if a.State != event.AlertFiring {
						t.Errorf("open drone alert %s in %s is %s, want firing", a.ID, a.Room, a.State)
					}
				}
			}
			if open != tt.wantOpen {
				t.Errorf("%d drone alerts open at the end, want %d", open, tt.wantOpen)
			}
		})
	}
}

// TestTwoVisitsAcknowledgedApart: each visit is its own alert to
// acknowledge, remind and announce again. The decoy's alert is
// acknowledged, the drop drone's is not; both go quiet for a minute and
// come back: the decoy's acknowledged alert is announced anew (a new alert,
// reannounce_after), the drop drone's, never acknowledged, stays one alert
// and is reminded of (escalate_after) while the decoy's is not.
func TestTwoVisitsAcknowledgedApart(t *testing.T) {
	e, _, rec, t0 := storedEngine(t)
	ctx := context.Background()
	decoy := linkFix{track: "a", class: event.ClassDroneVideo, room: "yard", x: 10, y: -15}
	drop := linkFix{track: "b", class: event.ClassDroneID, room: "B2-16", x: 510, y: -15}
	var fixes []linkFix
	fixes = append(fixes, every(decoy, 0, 20, 2, 0, 0)...)
	fixes = append(fixes, every(drop, 1, 21, 2, 0, 0)...)
	fixes = append(fixes, every(decoy, 80, 400, 4, 0, 0)...)
	fixes = append(fixes, every(drop, 81, 401, 4, 0, 0)...)
	var decoyID, dropID string
	playFixes(t, e, t0, fixes, 0, 25, func(now time.Time) {
		for _, a := range e.Active() {
			switch a.Room {
			case "yard":
				decoyID = a.ID
			case "B2-16":
				dropID = a.ID
			}
		}
		if decoyID == "" || dropID == "" || decoyID == dropID {
			t.Fatalf("at 25 s active %+v, want one drone alert in the yard and another in B2-16", e.Active())
		}
		if _, err := e.Ack(ctx, decoyID, "officer1", "decoy, watching", now); err != nil {
			t.Fatal(err)
		}
	})
	ids, rooms := droneRooms(rec)
	if len(ids) != 3 {
		t.Fatalf("drone alerts %v, want three: the decoy's, the drop drone's, the decoy's anew", rooms)
	}
	var decoyAgain string
	for _, id := range ids {
		if id != decoyID && id != dropID {
			decoyAgain = id
		}
	}
	if !slices.Equal(rooms[decoyAgain], []string{"yard"}) {
		t.Errorf("the new alert named %v, want the decoy's yard", rooms[decoyAgain])
	}
	reminders := map[string]int{}
	var last = map[string]event.Alert{}
	for _, a := range rec.got {
		if a.Rule == "drone" {
			reminders[a.ID] = max(reminders[a.ID], a.Escalations)
			last[a.ID] = a
		}
	}
	if got := last[decoyID]; got.State != event.AlertResolved || got.AckBy != "officer1" {
		t.Errorf("decoy's first alert last published %s acknowledged by %q, want resolved, acknowledged by officer1", got.State, got.AckBy)
	}
	if got := last[dropID]; got.State != event.AlertFiring || got.AckNS != 0 {
		t.Errorf("drop drone's alert last published %s acknowledged by %q, want firing, unacknowledged", got.State, got.AckBy)
	}
	if reminders[dropID] == 0 {
		t.Errorf("drop drone's unacknowledged alert was not reminded of after %d s", 401)
	}
}

// TestTwoVisitsDropIncident: a phone that comes on in the cell the drop
// drone hovered at joins the drop incident, while the decoy, 500 m off,
// has its own alert.
func TestTwoVisitsDropIncident(t *testing.T) {
	e, _, _, t0 := storedEngine(t)
	ctx := context.Background()
	decoy := linkFix{track: "a", class: event.ClassDroneVideo, room: "yard", x: 500, y: -15}
	drop := linkFix{track: "b", class: event.ClassDroneID, room: "B2-03", x: 12.5, y: 2}
	var fixes []linkFix
	fixes = append(fixes, every(decoy, 0, 40, 2, 0, 0)...)
	fixes = append(fixes, every(drop, 1, 41, 2, 0, 0)...)
	playFixes(t, e, t0, fixes, 5, 0, nil)
	phone := Location{Track: "ph", Class: event.ClassGSM, Link: event.LinkUplink, Room: "B2-03", Prob: 0.9,
		RoomProbs: map[string]float64{"B2-03": 0.9}, Pos: site.Point{X: 12, Y: 2}, Evidence: []string{"ph-1"}}
	for s := 60; s <= 80; s += 5 {
		phone.At = t0.Add(time.Duration(s) * time.Second)
		if err := e.ObserveLocation(ctx, phone); err != nil {
			t.Fatal(err)
		}
		if err := e.Tick(ctx, phone.At); err != nil {
			t.Fatal(err)
		}
	}
	var dropAlert, phoneAlert event.Alert
	drones := 0
	for _, a := range e.Active() {
		switch {
		case a.Rule == "drone":
			drones++
			if a.Room == "B2-03" {
				dropAlert = a
			}
		case a.Room == "B2-03":
			phoneAlert = a
		}
	}
	if drones != 2 || dropAlert.ID == "" {
		t.Fatalf("active %+v, want two drone alerts, one in B2-03", e.Active())
	}
	if phoneAlert.ID == "" || phoneAlert.State != event.AlertFiring {
		t.Fatalf("active %+v, want the phone's alert firing in B2-03", e.Active())
	}
	if phoneAlert.Incident == "" || phoneAlert.Incident != dropAlert.Incident {
		t.Errorf("phone's incident %q, want the drop drone's %q", phoneAlert.Incident, dropAlert.Incident)
	}
}

// TestTwoVisitsAfterRestart: fusion restarts with two drone visits open,
// the yard's acknowledged; both drones are still heard. Each visit goes
// on as it was (holdOrphan): the same alert, in its own room, nothing
// announced anew. The new run cannot know the earlier run's tracks or
// positions: a drone's first fix joins the earlier visit named in its
// room (droneVisit, preferUnplaced). After a restart short against
// reannounce_after the yard's alert stays acknowledged; after a longer
// one (its last fix 90 s before the drone is heard again) it is
// announced anew, as an acknowledged drone back after a gap is
// (backAfterAck), and the unacknowledged B2-16 visit goes on. Until
// 2026-12-05 the new run resolved both at its first tick and raised two
// visits anew, unacknowledged, in new incidents.
func TestTwoVisitsAfterRestart(t *testing.T) {
	for _, tc := range []struct {
		restartS int
		yardNew  bool // the yard's alert announced anew
	}{
		{40, false},
		{120, true},
	} {
		t.Run(fmt.Sprint("restart at ", tc.restartS, " s"), func(t *testing.T) {
			twoVisitsAfterRestart(t, tc.restartS, tc.yardNew)
		})
	}
}

func twoVisitsAfterRestart(t *testing.T, restartS int, yardNew bool) {
	ctx := context.Background()
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "alerts.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	t0 := time.Unix(1_800_000_000, 0)
	decoy := linkFix{track: "a", class: event.ClassDroneVideo, room: "yard", x: 10, y: -15}
	drop := linkFix{track: "b", class: event.ClassDroneID, room: "B2-16", x: 510, y: -15}
	run := func(from int, ack bool) (*recorder, []event.Alert) {
		rec := &recorder{}
		e, err := New(DefaultConfig(), wing(t), db, rec, nil)
		if err != nil {
			t.Fatal(err)
		}
		start := t0.Add(time.Duration(from) * time.Second)
		online(t, e, start)
		var fixes []linkFix
		fixes = append(fixes, every(decoy, 0, 30, 2, 0, 0)...)
		fixes = append(fixes, every(drop, 1, 31, 2, 0, 0)...)
		var ackYard func(now time.Time)
		if ack {
			ackYard = func(now time.Time) {
				for _, a := range e.Active() {
					if a.Rule == "drone" && a.Room == "yard" {
						if _, err := e.Ack(ctx, a.ID, "officer1", "yard searched", now); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
		}
		playFixes(t, e, start, fixes, 0, 25, ackYard)
		return rec, e.Active()
	}
	_, before := run(0, true)
	rec, after := run(restartS, false)
	byRoom := func(l []event.Alert) map[string]event.Alert {
		out := map[string]event.Alert{}
		for _, a := range l {
			if a.Rule == "drone" {
				out[a.Room] = a
			}
		}
		return out
	}
	was, got := byRoom(before), byRoom(after)
	if len(was) != 2 || was["yard"].ID == "" || was["B2-16"].ID == "" || was["yard"].AckBy != "officer1" {
		t.Fatalf("before the restart drone alerts %+v, want B2-16's and the yard's, acknowledged", was)
	}
	if len(got) != 2 || got["B2-16"].ID != was["B2-16"].ID || (got["yard"].ID == was["yard"].ID) == yardNew {
		t.Fatalf("after the restart drone alerts %+v, want B2-16's of the earlier run and the yard's (anew: %v)", got, yardNew)
	}
	if a := got["yard"]; a.State != event.AlertFiring || (a.AckBy == "officer1") == yardNew {
		t.Errorf("after the restart the yard's alert %+v, want firing, acknowledged unless anew (%v)", a, yardNew)
	}
	var announced []string // rooms of the alerts announced, one per alert
	seen := map[string]bool{}
	for _, a := range rec.got {
		if a.Rule == "drone" && a.State != event.AlertResolved && !seen[a.ID] {
			seen[a.ID] = true
			announced = append(announced, a.Room)
		}
	}
	if want := map[bool]int{false: 0, true: 1}[yardNew]; len(announced) != want || want == 1 && announced[0] != "yard" {
		t.Errorf("after the restart announced drone alerts in %v, want %d in the yard", announced, want)
	}
	firing, err := db.Alerts(ctx, store.AlertFilter{Site: "hmp-test", State: event.AlertFiring})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(firing); n != 2 {
		t.Errorf("%d alerts firing in the store, want the two visits", n)
	}
}
