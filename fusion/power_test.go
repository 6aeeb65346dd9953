package fusion

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/site"
)

// TestPowerWindowKeepsOneLowReading: a phone heard every second by the
// sensors near it, then once by only two or three of them (the others tuned
// elsewhere), one reading 6 dB low (a fragment at a dwell's edge whose
// frames are part noise). With the track's recent powers (PowerWindow) that
// group is located as if the reading were right; with each group alone
// (PowerWindow disabled) the low reading changes the room half the time.
func TestPowerWindowKeepsOneLowReading(t *testing.T) {
	s := wing(t)
	type fix struct {
		room string
		pos  site.Point
	}
	// The last group is heard only by the sensors in last (the others are
	// tuned elsewhere at that moment), one of them low.
	run := func(window time.Duration, phone site.Point, last []string, low string) fix { // low "": none
		// Borrowing off: it too brings the other sensors' earlier readings
		// into the last group, and would hide what PowerWindow does.
		e, err := New(Config{PowerWindow: window, BorrowWindow: -1, ListenWindow: -1}, Deps{Site: s})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		t0 := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
		profiled := 10 - e.Locator().RefLossDB(1.75e9)
		n := 0
		for i := range 6 {
			at := t0.Add(time.Duration(i) * time.Second)
			for _, sn := range s.Sensors {
				p, err := e.Locator().PredictDBm(sn.ID, sn.Floor, phone, profiled)
				if err != nil {
					t.Fatal(err)
				}
				if p < -95 || (i == 5 && !slices.Contains(last, sn.ID)) {
					continue
				}
				if i == 5 && sn.ID == low {
					p -= 6
				}
				n++
				d := testDet(fmt.Sprintf("d%d", n), sn.ID, at, p)
				d.Site = s.ID
				if err := e.HandleDetection(ctx, d); err != nil {
					t.Fatal(err)
				}
			}
			if err := e.Tick(ctx, at.Add(900*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
		}
		fixes := e.Located()
		room, _ := fixes[len(fixes)-1].Result.Room()
		return fix{room, fixes[len(fixes)-1].Result.Pos}
	}
	moved := 0
	for _, phone := range []site.Point{{X: 8, Y: 3}, {X: 16, Y: 8}, {X: 24, Y: 3}, {X: 32, Y: 8}} {
		for _, last := range [][]string{{"s1", "s3", "s5"}, {"s3", "s4", "s5"}, {"s4", "s5", "s6"}, {"s3", "s5"}, {"s4", "s6"}} {
			low := last[0]
			clean := run(0, phone, last, "")
			with := run(0, phone, last, low)
			if with.room != clean.room || math.Hypot(with.pos.X-clean.pos.X, with.pos.Y-clean.pos.Y) > 1 {
				t.Errorf("phone at %v heard by %v, %s 6 dB low: located in %s at %v with the track's powers; %s at %v without the low reading",
					phone, last, low, with.room, with.pos, clean.room, clean.pos)
			}
			cleanAlone := run(-1, phone, last, "")
			alone := run(-1, phone, last, low)
			if alone.room != cleanAlone.room {
				moved++
			}
		}
	}
	if moved == 0 {
		t.Errorf("no low reading moved a fix without the track's powers: the test shows nothing")
	}
	t.Logf("%d of 20 low readings changed the room without the track's powers", moved)
}
