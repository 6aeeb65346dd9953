package alert

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// nearTie is one drone fix, s seconds after t0, giving B2-03 and B2-04
// the probabilities p03 and p04 (one sensor hears the drone: its rooms
// are those around it, alike).
type nearTie struct {
	s        int
	p03, p04 float64
}

// TestDroneAlertHoldsNearTiedRoom: a drone alert stays in its room while
// that room is among the fix's rooms nearly as likely as its top room
// (runnersUp: RunnerUpShare of it), as a phone alert stays in its room
// (RoomHysteresis): a drone heard by one sensor, whose fixes put it now in
// one room, now in the next, by a point or two, is one announcement, not
// a "move" every MoveAnnounceEvery. Its room's probability is that room's
// in the latest fix. A real move (its room no longer nearly as likely as
// the fix's top room) is announced. Until 2026-12-07 the demo's drone,
// heard by the yard sensor alone, was announced moving YARD→PERIM→YARD
// every 10 s or so (YARD 46% against PERIM 44%, then 39% against 39%).
func TestDroneAlertHoldsNearTiedRoom(t *testing.T) {
	var flicker []nearTie // top room B2-03, then B2-04, alternating every 12 s, for 94 s
	for s := 0; s <= 94; s += 2 {
		if s/12%2 == 0 {
			flicker = append(flicker, nearTie{s, 0.46, 0.44})
		} else {
			flicker = append(flicker, nearTie{s, 0.39, 0.40})
		}
	}
	moved := append(flicker[:len(flicker):len(flicker)], nearTie{96, 0.05, 0.8}, nearTie{98, 0.04, 0.85})
	tests := []struct {
		name      string
		fixes     []nearTie
		wantRoom  string  // of the alert at the end
		wantProb  float64 // its probability at the end: its room's in the last fix
		wantMoves int     // publications as a move (WhyMoved)
		wantInSum string  // its summary names
	}{
		{"near-tied rooms alternating", flicker, "B2-03", 0.39, 0, "cell B2-03, 39%, or cell B2-04, 40%"},
		{"then a real move", moved, "B2-04", 0.85, 1, "near cell B2-04, 80%"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, rec := runDroneFixes(t, len(tt.fixes), func(i int, t0 time.Time) (int, Location) {
				f := tt.fixes[i]
				top := "B2-03"
				if f.p04 > f.p03 {
					top = "B2-04"
				}
				loc := Location{Track: "dr", Class: event.ClassDroneVideo, Link: event.LinkUnknown, Room: top, Prob: max(f.p03, f.p04),
					RoomProbs: map[string]float64{"B2-03": f.p03, "B2-04": f.p04, "B2-landing": 0.1},
					Sensors:   []string{"s3"}, Pos: site.Point{X: 15, Y: 2}, At: t0.Add(time.Duration(f.s) * time.Second)}
				return f.s, loc
			})
			rooms, moves := droneMoves(t, rec)
			if moves != tt.wantMoves {
				t.Errorf("%d moves announced (rooms published %v), want %d", moves, rooms, tt.wantMoves)
			}
			if rooms[0] != "B2-03" || rooms[len(rooms)-1] != tt.wantRoom {
				t.Errorf("rooms published %v, want B2-03 first, %s last", rooms, tt.wantRoom)
			}
			act := e.Active()
			if len(act) != 1 || act[0].Room != tt.wantRoom {
				t.Fatalf("active %+v, want one drone alert in %s", act, tt.wantRoom)
			}
			if got := act[0].Probability; got != tt.wantProb {
				t.Errorf("probability %v, want %v (its room's in the last fix)", got, tt.wantProb)
			}
			if !strings.Contains(act[0].Summary, tt.wantInSum) {
				t.Errorf("summary %q, want it to name %q", act[0].Summary, tt.wantInSum)
			}
			// its drop incident lists both rooms, searched for a drop,
			// though the alert never moved between them
			if inc := e.incidents[act[0].Incident]; inc == nil || !slices.Equal(slices.Sorted(slices.Values(inc.Rooms)), []string{"B2-03", "B2-04"}) {
				t.Errorf("incident %q: %+v, want it to list B2-03 and B2-04", act[0].Incident, inc)
			}
		})
	}
}

// TestDroneControllerDoesNotMoveAircraftsAlert: the pilot's controller,
// heard while the aircraft is (its fixes within reannounce_after), says
// where the pilot is, not the aircraft: the drone alert stays in the room
// its aircraft's link placed it in, with that link's class, probability
// and summary, and no move is announced. Once the aircraft has not been
// heard for reannounce_after, the controller is all the visit has left,
// and its fix moves the alert as before. Until 2026-12-07 the demo's drone
// alert moved from the perimeter to "near cell L1-N09, range unknown" and
// back with the fixes of the controller, 120 m south of the wall, heard by
// s8 alone.
func TestDroneControllerDoesNotMoveAircraftsAlert(t *testing.T) {
	type fix struct {
		s     int
		class string
	}
	var both []fix // video every 2 s, the controller in between, for 40 s
	for s := 0; s <= 40; s += 2 {
		both = append(both, fix{s, event.ClassDroneVideo}, fix{s + 1, event.ClassRCFHSS})
	}
	alone := slices.Clone(both) // then the controller alone, past reannounce_after (45 s)
	for s := 45; s <= 101; s += 4 {
		alone = append(alone, fix{s, event.ClassRCFHSS})
	}
	tests := []struct {
		name      string
		fixes     []fix
		wantRoom  string
		wantClass string
		wantProb  float64
		wantMoves int
		// wantNearPilot: the pilot's cell is within the drop rule's
		// radius of the drone's path (a phone there joins its case)
		wantNearPilot bool
		// wantPilot: the summary says where the pilot's controller is
		// (while the aircraft placed the alert)
		wantPilot bool
	}{
		{"aircraft heard", both, "yard", event.ClassDroneVideo, 0.7, 0, false, true},
		{"aircraft unheard for reannounce_after", alone, "B2-03", event.ClassRCFHSS, 0.6, 1, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, rec := runDroneFixes(t, len(tt.fixes), func(i int, t0 time.Time) (int, Location) {
				f := tt.fixes[i]
				at := t0.Add(time.Duration(f.s) * time.Second)
				loc := Location{Track: "video", Class: f.class, Link: event.LinkUnknown, Room: "yard", Prob: 0.7,
					RoomProbs: map[string]float64{"yard": 0.7, "B2-landing": 0.2}, Sensors: []string{"s7", "s3", "s4"},
					Pos: site.Point{X: 20, Y: -15}, At: at, FreqHz: 5.76e9} // 16 m from B2-03
				if f.class == event.ClassRCFHSS {
					// The controller, heard by s3 alone: its rooms those
					// around it (a pilot at a cell window).
					loc = Location{Track: "rc", Class: f.class, Link: event.LinkUnknown, Room: "B2-03", Prob: 0.6,
						RoomProbs: map[string]float64{"B2-03": 0.6, "B2-04": 0.2}, Sensors: []string{"s3"},
						Pos: site.Point{X: 12.5, Y: 2}, At: at, FreqHz: 2.44e9}
				}
				return f.s, loc
			})
			rooms, moves := droneMoves(t, rec)
			if moves != tt.wantMoves || rooms[len(rooms)-1] != tt.wantRoom {
				t.Errorf("%d moves announced (rooms published %v), want %d, the last in %s", moves, rooms, tt.wantMoves, tt.wantRoom)
			}
			act := openDroneAlerts(e)
			if len(act) != 1 {
				t.Fatalf("drone alerts %+v, want one", act)
			}
			a := act[0]
			if a.Room != tt.wantRoom || a.Class != tt.wantClass || a.Probability != tt.wantProb {
				t.Errorf("alert in %s, class %s, %v, want in %s, class %s, %v", a.Room, a.Class, a.Probability, tt.wantRoom, tt.wantClass, tt.wantProb)
			}
			if w, _, _ := strings.Cut(DroneWhat(a.Class, 0), " ("); !strings.HasPrefix(a.Summary, w) || !strings.Contains(a.Summary, " "+tt.wantRoom+", ") {
				t.Errorf("summary %q, want it to name the alert's link, %q, and room, %s", a.Summary, w, tt.wantRoom)
			}
			if said := strings.Count(a.Summary, "pilot's controller near cell B2-03"); said != map[bool]int{true: 1}[tt.wantPilot] || strings.HasSuffix(a.Summary, ";") {
				t.Errorf("summary %q says where the pilot's controller is %d times, want %d (pilot's controller near cell B2-03)", a.Summary, said, map[bool]int{true: 1}[tt.wantPilot])
			}
			// Its drop incident's summary, what the control room's
			// incident list shows, says it as the alert's does, after
			// the links heard (still named: namedLinks).
			var inc *store.Incident
			for _, i := range e.Incidents() {
				if slices.Contains(i.Alerts, a.ID) {
					inc = &i
				}
			}
			if inc == nil {
				t.Fatalf("alert %s in no incident: %+v", a.ID, e.Incidents())
			}
			if said := strings.Count(inc.Summary, "; pilot's controller near cell B2-03"); said != map[bool]int{true: 1}[tt.wantPilot] ||
				!strings.HasSuffix(inc.Summary, map[bool]string{true: "; pilot's controller near cell B2-03", false: " heard"}[tt.wantPilot]) {
				t.Errorf("incident summary %q says where the pilot's controller is %d times, want %d, at its end", inc.Summary, said, map[bool]int{true: 1}[tt.wantPilot])
			}
			if links := namedLinks(inc.Summary); !slices.Contains(links, DroneWhat(event.ClassDroneVideo, 0)) || !slices.Contains(links, DroneWhat(event.ClassRCFHSS, 0)) {
				t.Errorf("incident summary %q names links %q, want the video link and the controller", inc.Summary, links)
			}
			st := e.find(a.ID)
			if st == nil {
				t.Fatalf("alert %s not held", a.ID)
			}
			if near := e.nearDroneRoom("B2-03", st, e.dropRule().RadiusM); near != tt.wantNearPilot {
				t.Errorf("the pilot's cell B2-03 near the drone's path %v: %v, want %v", st.path, near, tt.wantNearPilot)
			}
		})
	}
}

// droneMoves returns the rooms of the drone rule's publications rec got,
// in order, and how many were announced as a move (WhyMoved); it fails
// the test unless they are all of one alert.
func droneMoves(t *testing.T, rec *whyRecorder) (rooms []string, moves int) {
	t.Helper()
	ids := map[string]bool{}
	for i, a := range rec.got {
		if a.Rule != "drone" {
			continue
		}
		ids[a.ID] = true
		rooms = append(rooms, a.Room)
		if rec.whys[i] == WhyMoved {
			moves++
		}
	}
	if len(ids) != 1 {
		t.Fatalf("%d drone alerts (%v), want one", len(ids), rec.states())
	}
	return rooms, moves
}

// runDroneFixes gives a new engine, its sensors online at t0, n fixes:
// fix(i, t0) returns the i-th's second after t0 and the fix, the engine
// ticking every second between them and for 11 s after the last (a due
// move is announced).
func runDroneFixes(t *testing.T, n int, fix func(i int, t0 time.Time) (int, Location)) (*Engine, *whyRecorder) {
	t.Helper()
	rec := &whyRecorder{}
	e, t0 := onlineEngineFor(t, wing(t), rec)
	ctx := context.Background()
	tick := func(from, to int) {
		for s := from; s <= to; s++ {
			if err := e.Tick(ctx, t0.Add(time.Duration(s)*time.Second)); err != nil {
				t.Fatal(err)
			}
		}
	}
	last := 0
	for i := range n {
		at, loc := fix(i, t0)
		tick(last+1, at-1)
		last = at
		if err := e.ObserveLocation(ctx, loc); err != nil {
			t.Fatal(err)
		}
	}
	tick(last+1, last+11)
	return e, rec
}
