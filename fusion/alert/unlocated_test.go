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
	"github.com/rfwarden/rfwarden/fusion/store"
)

// demoSite is the demo's standard wing (sensor/sim): two floors of cells,
// the yard, the perimeter and outside.
func demoSite(t *testing.T) *site.Site {
	t.Helper()
	s, err := site.LoadFile("../../testdata/sites/standard.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// controllerTie is the room probabilities of the demo's drone controller
// heard by s5 alone (120 m outside the wall, no silences): the transmit
// power bounds leave a range of distances, every room within it alike at
// 4.41%, the rest less likely.
func controllerTie() (map[string]float64, []string) {
	tied := []string{"L1-N06", "L1-N07", "L1-S04", "L1-S05", "L1-S06", "L1-S07", "L1-N05", "L1-N08",
		"L2-S04", "L2-S05", "L2-S06", "L2-S07", "L2-N06", "L2-N07", "L2-LAND", "L1-LAND", "YARD", "PERIM", "OUTSIDE"}
	probs := map[string]float64{}
	for _, r := range tied {
		probs[r] = 0.0441
	}
	for _, r := range []string{"L1-N03", "L1-N04", "L1-S03", "L1-S08", "L2-N05", "L2-N08"} {
		probs[r] = 0.0198
	}
	return probs, tied
}

// TestUnlocatedDroneNamesNoRoom: the demo's drone controller heard by one
// sensor, its room probabilities a tie of nineteen rooms, raises a drone
// alert that names no room ("position unknown … 19 rooms alike", room and
// zone empty, no probability), and keeps it so while the tie lasts, the
// tied room that locate puts first changing from fix to fix: no move is
// announced. Until 2026-12-05 it named the first of them by ID ("near
// cell L1-N06, 4%"), and moved between them.
func TestUnlocatedDroneNamesNoRoom(t *testing.T) {
	rec := &whyRecorder{}
	e, t0 := onlineEngineFor(t, demoSite(t), rec)
	ctx := context.Background()
	probs, tied := controllerTie()
	for i := range 60 {
		at := t0.Add(time.Duration(i) * time.Second)
		top := tied[(i*7)%len(tied)] // locate puts first the tied room holding its position
		loc := Location{Track: "rc", Class: event.ClassRCFHSS, Link: event.LinkUnknown, Room: top, Prob: probs[top],
			RoomProbs: probs, Pos: site.Point{X: 24, Y: 20}, At: at, FreqHz: 2.44e9, Confidence: 0.9, Sensors: []string{"s5"}}
		if err := e.ObserveLocation(ctx, loc); err != nil {
			t.Fatal(err)
		}
		if err := e.Tick(ctx, at); err != nil {
			t.Fatal(err)
		}
	}
	if len(rec.got) == 0 {
		t.Fatal("no alert for the drone's controller")
	}
	for i, a := range rec.got {
		if rec.whys[i] == WhyMoved {
			t.Errorf("publication %d: a move announced between tied rooms (to %q: %s)", i, a.Room, a.Summary)
		}
		if a.Room != "" || a.Zone != "" || a.Probability != 0 {
			t.Errorf("publication %d: room %q zone %q probability %v, want none: the fix names no room", i, a.Room, a.Zone, a.Probability)
		}
	}
	want := "drone remote control (pilot's controller, 2.4 GHz band), position unknown: heard by s5 only, 19 rooms alike in wing-a, yard, perimeter, outside"
	if got := rec.got[0].Summary; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	act := e.Active()
	if len(act) != 1 || act[0].Room != "" {
		t.Fatalf("active %+v, want the one drone alert, in no room", act)
	}
	incs := e.Incidents()
	if len(incs) != 1 || len(incs[0].Rooms) != 0 {
		t.Fatalf("incidents %+v, want one drop incident in no room", incs)
	}
	if want := "drone, position unknown: drone remote control (pilot's controller) heard"; incs[0].Summary != want {
		t.Errorf("incident summary %q, want %q", incs[0].Summary, want)
	}
}

// TestUnlocatedFixKeepsVisitRoom: a drone visit placed at the perimeter
// by its DroneID (heard by three sensors) stays there while its
// controller, heard by s5 alone, gives fixes that name no room: no move,
// its drop incident lists the perimeter only, and a new phone in a cell
// the controller's fixes tied in does not join the drop. Until 2026-12-05
// each controller fix moved the alert to the first tied room by ID and
// back ("alert moved … near cell L1-N06, 4% (was in PERIM)"), the
// incident gathered those rooms, and the drone's path took in the
// position of the tied room's mean.
func TestUnlocatedFixKeepsVisitRoom(t *testing.T) {
	rec := &whyRecorder{}
	e, t0 := onlineEngineFor(t, demoSite(t), rec)
	ctx := context.Background()
	probs, tied := controllerTie()
	perim := map[string]float64{"PERIM": 0.62, "YARD": 0.2, "OUTSIDE": 0.18}
	cellN06 := site.Point{X: 22, Y: 10} // L1-N06's middle
	for i := range 60 {
		at := t0.Add(time.Duration(i) * time.Second)
		id := Location{Track: "id", Class: event.ClassDroneID, Link: event.LinkUnknown, Room: "PERIM", Prob: 0.62,
			RoomProbs: perim, Pos: site.Point{X: 24, Y: -25}, At: at, FreqHz: 2.4295e9, Sensors: []string{"s5", "s1", "s2"}}
		top := tied[(i*5)%len(tied)]
		rc := Location{Track: "rc", Class: event.ClassRCFHSS, Link: event.LinkUnknown, Room: top, Prob: probs[top],
			RoomProbs: probs, Pos: cellN06, At: at.Add(500 * time.Millisecond), FreqHz: 2.44e9, Sensors: []string{"s5"}}
		for _, loc := range []Location{id, rc} {
			if err := e.ObserveLocation(ctx, loc); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.Tick(ctx, at.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	for i, a := range rec.got {
		if rec.whys[i] == WhyMoved || a.Room != "PERIM" {
			t.Errorf("publication %d (why %d): in %q (%s), want the drone alert in PERIM throughout", i, rec.whys[i], a.Room, a.Summary)
		}
	}
	act := e.Active()
	if len(act) != 1 || act[0].Room != "PERIM" || act[0].Zone != "perimeter" || act[0].Probability != 0.62 {
		t.Fatalf("active %+v, want the drone alert in PERIM (zone perimeter, 62%%)", act)
	}
	// A new phone in L1-N06, tied in the controller's fixes, 10 m from
	// none of the drone's positions.
	phone := map[string]float64{"L1-N06": 0.8, "L1-N07": 0.1}
	for i := range 15 {
		at := t0.Add(time.Duration(61+i) * time.Second)
		loc := Location{Track: "ph", Class: event.ClassLTE, Link: event.LinkUplink, Room: "L1-N06", Prob: 0.8,
			RoomProbs: phone, Pos: cellN06, At: at, Sensors: []string{"s1", "s2", "s6"}}
		if err := e.ObserveLocation(ctx, loc); err != nil {
			t.Fatal(err)
		}
	}
	var drop, phones int
	for _, inc := range e.Incidents() {
		switch inc.Kind {
		case "drone_drop":
			drop++
			if !slices.Equal(inc.Rooms, []string{"PERIM"}) || len(inc.Alerts) != 1 {
				t.Errorf("drop incident rooms %v, alerts %v: want PERIM and the drone alert only", inc.Rooms, inc.Alerts)
			}
		case "illicit_phone":
			phones++
		}
	}
	if drop != 1 || phones != 1 {
		t.Errorf("incidents %+v: want one drop and the phone's own", e.Incidents())
	}
}

// TestRoomNamedOnlyWhenLocated: an uplink alert names its room when the
// fix picks it: its most likely room of the rule's kinds at least
// PlaceMinProb likely and tied with no more rooms than the summary names
// (MaxRunnersUp besides it); a tie names the room locate put first (the
// stored fix's room, holding its position). Otherwise it names none,
// and its zone is the zone of the rooms alike when they share one.
func TestRoomNamedOnlyWhenLocated(t *testing.T) {
	wingB := map[string]float64{}
	for i := 1; i <= 16; i++ {
		wingB[fmt.Sprintf("B2-%02d", i)] = 0.06
	}
	wingB["yard"] = 0.04
	for _, tc := range []struct {
		name     string
		room     string // locate's most likely room
		probs    map[string]float64
		sensors  []string
		wantRoom string
		wantZone string
		want     string
	}{
		{"clear winner", "B2-14", map[string]float64{"B2-14": 0.6, "B2-13": 0.2}, []string{"s5"}, "B2-14", "wing-b",
			"unauthorised lte uplink in cell B2-14, 60% (in a cell: 80%)"},
		{"two tied, locate's first", "B2-14", map[string]float64{"B2-13": 0.45, "B2-14": 0.45}, []string{"s5"}, "B2-14", "wing-b",
			"unauthorised lte uplink in cell B2-14, 45%, or cell B2-13, 45% (in a cell: 90%)"},
		{"three tied", "B2-12", map[string]float64{"B2-11": 0.3, "B2-12": 0.3, "B2-13": 0.3}, []string{"s5"}, "B2-12", "wing-b",
			"unauthorised lte uplink in cell B2-12, 30%, or cell B2-11, 30%, or cell B2-13, 30% (in a cell: 90%)"},
		{"four tied", "B2-14", map[string]float64{"B2-14": 0.25, "B2-13": 0.25, "B2-03": 0.25, "B2-12": 0.25}, []string{"s5"}, "", "wing-b",
			"unauthorised lte uplink, position unknown: heard by s5 only, 4 cells alike in wing-b (in a cell: 100%)"},
		{"under the floor", "B2-14", map[string]float64{"B2-14": 0.09, "B2-13": 0.08, "B2-12": 0.07, "B2-11": 0.06, "B2-10": 0.04, "yard": 0.2}, []string{"s3", "s7"}, "", "wing-b",
			"unauthorised lte uplink, position unknown: heard by s3, s7, 4 cells alike in wing-b (in a cell: 34%)"},
		{"one sensor, sixteen alike", "B2-07", wingB, []string{"s3"}, "", "wing-b",
			"unauthorised lte uplink, position unknown: heard by s3 only, 16 cells alike in wing-b (in a cell: 96%)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, rec, t0 := onlineEngine(t)
			loc := Location{Track: "t1", Class: event.ClassLTE, Link: event.LinkUplink, Room: tc.room, Prob: tc.probs[tc.room],
				RoomProbs: tc.probs, At: t0, Sensors: tc.sensors}
			if err := e.ObserveLocation(context.Background(), loc); err != nil {
				t.Fatal(err)
			}
			if len(rec.got) != 1 {
				t.Fatalf("published %v, want one pending alert", rec.states())
			}
			a := rec.got[0]
			if a.Room != tc.wantRoom || a.Zone != tc.wantZone || a.Summary != tc.want {
				t.Errorf("room %q zone %q summary %q\nwant room %q zone %q summary %q", a.Room, a.Zone, a.Summary, tc.wantRoom, tc.wantZone, tc.want)
			}
			if tc.wantRoom == "" && a.Probability != 0 {
				t.Errorf("probability %v, want none: no room named", a.Probability)
			}
		})
	}
}

// TestUnlocatedPhoneFollowsFirstPlacedFix: a phone heard by one sensor
// whose fixes name no room fires "position unknown" and, at its first fix
// that places it, takes that room without hysteresis, announced as a move
// of the same alert, fired or not: it had named no room to move from.
// Vague fixes after that do not take it back to no room.
func TestUnlocatedPhoneFollowsFirstPlacedFix(t *testing.T) {
	uniform := map[string]float64{}
	for i := 1; i <= 16; i++ {
		uniform[fmt.Sprintf("B2-%02d", i)] = 0.0625
	}
	placed := map[string]float64{"B2-13": 0.37, "B2-14": 0.26, "B2-01": 0.22}
	for _, tc := range []struct {
		name  string
		vague int // vague fixes before the placed ones, one a second
		state string
	}{
		{"while pending", 3, event.AlertPending},
		{"after firing", 15, event.AlertFiring},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, rec, t0 := onlineEngine(t)
			fixes := slices.Repeat([]map[string]float64{uniform}, tc.vague)
			fixes = append(fixes, placed)
			fixes = append(fixes, slices.Repeat([]map[string]float64{uniform}, 5)...)
			observeFixes(t, e, t0, fixes)
			var rooms []string
			for _, a := range rec.got {
				if a.ID != rec.got[0].ID {
					t.Fatalf("published %v: want one alert", rec.states())
				}
				if len(rooms) == 0 || rooms[len(rooms)-1] != a.Room {
					rooms = append(rooms, a.Room)
				}
			}
			if !slices.Equal(rooms, []string{"", "B2-13"}) {
				t.Errorf("rooms %q, want none, then B2-13", rooms)
			}
			act := e.Active()
			if len(act) != 1 || act[0].Room != "B2-13" || !strings.Contains(act[0].Summary, "in cell B2-13, 37%") {
				t.Errorf("active %+v, want the alert in B2-13", act)
			}
			if got := rec.got[len(rec.got)-1].State; got != event.AlertFiring && tc.state == event.AlertFiring {
				t.Errorf("last published %s, want firing", got)
			}
		})
	}
}

// TestPlaceMinProbSetsFloor: the floor under which an alert names no room
// is fusion's PlaceMinProb (SetPlaceMinProb), so that alerts and the
// stored fixes agree on which fixes place their emitter. B2-14 is twice
// the next cell, so the margin a weak fix's first room needs
// (TestWeakFixNamesNoFirstRoom) holds whatever the floor.
func TestPlaceMinProbSetsFloor(t *testing.T) {
	probs := map[string]float64{"B2-14": 0.09, "B2-13": 0.04, "B2-12": 0.04, "B2-11": 0.04, "B2-10": 0.04, "B2-09": 0.04, "B2-08": 0.04}
	for _, tc := range []struct {
		name     string
		floor    float64
		wantRoom string
	}{
		{"default, 10%", 0, ""},
		{"5%", 0.05, "B2-14"},
		{"negative: every fix", -1, "B2-14"},
		{"20%", 0.2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, rec, t0 := onlineEngine(t)
			if tc.floor != 0 {
				e.SetPlaceMinProb(tc.floor)
			}
			loc := Location{Track: "t1", Class: event.ClassLTE, Link: event.LinkUplink, Room: "B2-14", Prob: 0.09, RoomProbs: probs, At: t0}
			if err := e.ObserveLocation(context.Background(), loc); err != nil {
				t.Fatal(err)
			}
			if len(rec.got) != 1 || rec.got[0].Room != tc.wantRoom {
				t.Errorf("published %+v, want one alert in %q", rec.got, tc.wantRoom)
			}
		})
	}
}

// TestZoneStatusUnlocatedAlert: a critical phone alert firing in no room,
// its alike cells all in wing-b (its Zone wing-b, docs: "the zone filter
// finds it"); the zone's status reads alert. Until 2026-12-05 it read
// clear: only an alert naming a room counted.
func TestZoneStatusUnlocatedAlert(t *testing.T) {
	e, _, t0 := onlineEngine(t)
	ctx := context.Background()
	for s := 0; s <= 30; s++ {
		if err := e.ObserveLocation(ctx, phoneFix("trk-1", vagueCells(nil), s, t0)); err != nil {
			t.Fatal(err)
		}
		if err := e.Tick(ctx, t0.Add(time.Duration(s)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	act := e.Active()
	if len(act) != 1 || act[0].State != event.AlertFiring || act[0].Zone != "wing-b" || act[0].Room != "" {
		t.Fatalf("active %+v, want one firing alert in no room, zone wing-b", act)
	}
	if got := e.ZoneStatus("wing-b"); got != ZoneAlert {
		t.Errorf("ZoneStatus(wing-b) = %q with %s firing there (%q), want %q", got, act[0].ID, act[0].Summary, ZoneAlert)
	}
}

// TestPlacementAgreesWithStore: an alert names a room by store.Places, the
// rule fusion's store.Counts applies before it stores a fix's detections
// in that room: the ties it allows are the rooms the summary names, and a
// negative floor names a room of every fix, as fusion then places every
// fix.
func TestPlacementAgreesWithStore(t *testing.T) {
	if store.MaxPlacedTie != 1+MaxRunnersUp {
		t.Errorf("store.MaxPlacedTie %d, want the alert's room and its MaxRunnersUp (%d)", store.MaxPlacedTie, MaxRunnersUp)
	}
	for _, tc := range []struct {
		name     string
		floor    float64
		wantRoom string
	}{
		{"default", 0, ""},
		{"negative: every fix", -1, "B2-01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, rec, t0 := onlineEngine(t)
			if tc.floor != 0 {
				e.SetPlaceMinProb(tc.floor)
			}
			if err := e.ObserveLocation(context.Background(), phoneFix("t1", vagueCells(nil), 0, t0)); err != nil {
				t.Fatal(err)
			}
			if len(rec.got) != 1 || rec.got[0].Room != tc.wantRoom {
				t.Errorf("published %+v, want one alert in %q", rec.got, tc.wantRoom)
			}
		})
	}
}
