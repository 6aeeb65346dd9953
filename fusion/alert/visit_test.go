package alert

import (
	"context"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
)

// droneFix is one fix of a drone-class track in room, s seconds after t0.
type droneFix struct {
	s    int
	room string
}

// TestDroneOneAlertPerVisit: a drone is one alert per visit and rule,
// which follows it from room to room (announced as a move, at most every
// MoveAnnounceEvery), and a new alert is raised only after the visit
// ended: no drone-class fix for resolve_after, or, once acknowledged, for
// reannounce_after. Until 2026-12-05 drone alerts were keyed by room: a
// drone crossing the wing raised one critical alert per cell, each with
// its reminders and its own acknowledgement, and an acknowledged drone
// that went next door and came back was announced anew though it never
// left.
func TestDroneOneAlertPerVisit(t *testing.T) {
	wingRooms := []string{"B2-01", "B2-02", "B2-03", "B2-04", "B2-05", "B2-06", "B2-07", "B2-08", "B2-16", "B2-15", "B2-14", "B2-13"}
	var flyover []droneFix
	for i, r := range wingRooms {
		flyover = append(flyover, droneFix{2 * i, r})
	}
	var hover []droneFix // B2-03 0-20 s, acknowledged at 21 s, B2-04 22-80 s, B2-03 at 82 s
	for s := 0; s <= 20; s += 2 {
		hover = append(hover, droneFix{s, "B2-03"})
	}
	for s := 22; s <= 80; s += 2 {
		hover = append(hover, droneFix{s, "B2-04"})
	}
	hover = append(hover, droneFix{82, "B2-03"})
	tests := []struct {
		name     string
		fixes    []droneFix
		ackAt    int // seconds; 0: none
		wantIDs  int
		wantRoom string // of the open alert at the end
		maxPubs  int    // publications of the first alert at most
	}{
		{"flyover of 12 cells in 24 s", flyover, 0, 1, "B2-13", 6},
		{"acknowledged, next door for a minute, back", hover, 21, 1, "B2-03", 12},
		{"acknowledged, gone for a minute, back next door", []droneFix{{0, "B2-03"}, {2, "B2-03"}, {10, "B2-03"}, {70, "B2-04"}, {72, "B2-04"}}, 11, 2, "B2-04", 4},
		{"gone for resolve_after, back", []droneFix{{0, "B2-03"}, {2, "B2-03"}, {200, "B2-04"}, {202, "B2-04"}}, 0, 2, "B2-04", 4},
		{"next door and back before its move was due", []droneFix{{0, "B2-03"}, {2, "B2-04"}, {4, "B2-03"}, {6, "B2-03"}, {8, "B2-03"}, {12, "B2-03"}}, 0, 1, "B2-03", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _, rec, t0 := storedEngine(t)
			ctx := context.Background()
			last := 0
			for i, f := range tt.fixes {
				if tt.ackAt > 0 && f.s > tt.ackAt && (i == 0 || tt.fixes[i-1].s <= tt.ackAt) {
					if _, err := e.Ack(ctx, e.Active()[0].ID, "officer1", "watching", t0.Add(time.Duration(tt.ackAt)*time.Second)); err != nil {
						t.Fatal(err)
					}
				}
				for s := last + 1; s < f.s; s++ { // the engine ticks every second
					if err := e.Tick(ctx, t0.Add(time.Duration(s)*time.Second)); err != nil {
						t.Fatal(err)
					}
				}
				last = f.s
				loc := Location{Track: "dr", Class: event.ClassDroneVideo, Link: event.LinkUnknown, Room: f.room, Prob: 0.9,
					RoomProbs: map[string]float64{f.room: 0.9}, Pos: site.Point{X: float64(f.s), Y: 2}, At: t0.Add(time.Duration(f.s) * time.Second)}
				if err := e.ObserveLocation(ctx, loc); err != nil {
					t.Fatal(err)
				}
			}
			for s := last + 1; s <= last+11; s++ { // a due move is announced
				if err := e.Tick(ctx, t0.Add(time.Duration(s)*time.Second)); err != nil {
					t.Fatal(err)
				}
			}
			pubs := map[string]int{}
			var first string
			for _, a := range rec.got {
				if a.Rule != "drone" {
					continue
				}
				if first == "" {
					first = a.ID
				}
				pubs[a.ID]++
			}
			if len(pubs) != tt.wantIDs {
				t.Fatalf("%d drone alerts (%v), want %d", len(pubs), rec.states(), tt.wantIDs)
			}
			if pubs[first] > tt.maxPubs {
				t.Errorf("first alert published %d times, want at most %d", pubs[first], tt.maxPubs)
			}
			act := e.Active()
			if len(act) != 1 || act[0].Room != tt.wantRoom {
				t.Fatalf("active %+v, want one drone alert in %s", act, tt.wantRoom)
			}
			if got := rec.got[len(rec.got)-1]; got.ID != act[0].ID || got.Room != tt.wantRoom {
				t.Errorf("last publication %s in %s, want %s in %s", got.ID, got.Room, act[0].ID, tt.wantRoom)
			}
		})
	}
}

// TestDroneVisitIncidentRooms: the drone's one alert brings every room it
// was located in to its drop incident, and its path (the drop rule's
// radius) runs over the whole visit.
func TestDroneVisitIncidentRooms(t *testing.T) {
	e, see, t0 := droneEngine(t, 0)
	ctx := context.Background()
	rooms := []string{"yard", "B2-landing", "B2-03"}
	for i, r := range rooms {
		for j := range 3 {
			at := t0.Add(time.Duration(6*i+2*j) * time.Second)
			see("t1", event.ClassDroneID, r, site.Point{X: float64(5 * i), Y: 0}, at)
		}
	}
	if err := e.Tick(ctx, t0.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	incs := e.Incidents()
	if len(incs) != 1 || len(incs[0].Alerts) != 1 {
		t.Fatalf("incidents %+v, want one with one alert", incs)
	}
	for _, r := range rooms {
		if !containsString(incs[0].Rooms, r) {
			t.Errorf("incident rooms %v, want %s among them", incs[0].Rooms, r)
		}
	}
}

func containsString(l []string, s string) bool {
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}
