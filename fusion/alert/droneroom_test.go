package alert

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
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
			rec := &whyRecorder{}
			e, err := New(DefaultConfig(), wing(t), nil, rec, nil)
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Unix(1_800_000_000, 0)
			online(t, e, t0)
			ctx := context.Background()
			last := 0
			for _, f := range tt.fixes {
				for s := last + 1; s < f.s; s++ { // the engine ticks every second
					if err := e.Tick(ctx, t0.Add(time.Duration(s)*time.Second)); err != nil {
						t.Fatal(err)
					}
				}
				last = f.s
				top := "B2-03"
				if f.p04 > f.p03 {
					top = "B2-04"
				}
				loc := Location{Track: "dr", Class: event.ClassDroneVideo, Link: event.LinkUnknown, Room: top, Prob: max(f.p03, f.p04),
					RoomProbs: map[string]float64{"B2-03": f.p03, "B2-04": f.p04, "B2-landing": 0.1},
					Sensors:   []string{"s3"}, Pos: site.Point{X: 15, Y: 2}, At: t0.Add(time.Duration(f.s) * time.Second)}
				if err := e.ObserveLocation(ctx, loc); err != nil {
					t.Fatal(err)
				}
			}
			for s := last + 1; s <= last+11; s++ { // a due move is announced
				if err := e.Tick(ctx, t0.Add(time.Duration(s)*time.Second)); err != nil {
					t.Fatal(err)
				}
			}
			ids, moves := map[string]bool{}, 0
			var rooms []string
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
		})
	}
}
