package fusion

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

// TestRedPhoneBesideTabletOnItsCarrier: an in-cell tablet registered
// for B2-03 and a contraband phone next door in B2-04 on the same
// operator's LTE uplink carrier (handsets of one operator share it), both
// in use for two minutes. Every sensor hears both, each in its own
// bursts, a few milliseconds apart, in either order. The phone must
// raise the cell alert in B2-04.
func TestRedPhoneBesideTabletOnItsCarrier(t *testing.T) {
	s := wing(t)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 3, 21, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		phone  site.Point
		room   string
		tablet site.Point
	}{
		{"phone in B2-04, tablet in B2-03", site.Point{X: 17.5, Y: 2}, "B2-04", site.Point{X: 12.5, Y: 2}},
		{"phone in B2-11, tablet in B2-03 across the landing", site.Point{X: 12.5, Y: 9.5}, "B2-11", site.Point{X: 12.5, Y: 1.5}},
		{"phone in B2-14, tablet in B2-13", site.Point{X: 27.5, Y: 9}, "B2-14", site.Point{X: 22.5, Y: 9}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rm, _ := s.RoomAt("g", tc.tablet)
			tabletRoom := rm.ID
			reg, _ := testRegistry(t, s, tabletEntry([]string{tabletRoom}, "", t0))
			ts := &storetest.Recorder{}
			e, err := New(Config{ListenWindow: -1}, Deps{Site: s, TimeSeries: ts, Authorizer: reg, Clock: func() time.Time { return t0 }})
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			n := 0
			for i := range 120 {
				at := t0.Add(time.Duration(i) * time.Second)
				for _, sn := range s.Sensors {
					first, second := tc.tablet, tc.phone
					if rng.IntN(2) == 0 {
						first, second = second, first
					}
					for k, pos := range []site.Point{first, second} {
						d := testDet(fmt.Sprintf("d%d", n), sn.ID, at.Add(time.Duration(k)*3*time.Millisecond), heardDBm(t, e, s, sn.ID, pos, 10, 1.75e9))
						d.Site = s.ID
						n++
						if err := e.HandleDetection(ctx, d); err != nil {
							t.Fatal(err)
						}
					}
				}
				if err := e.Tick(ctx, at.Add(time.Second)); err != nil {
					t.Fatal(err)
				}
			}
			if err := e.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			rooms := map[string]int{}
			for _, l := range ts.Locs {
				rooms[fmt.Sprintf("%s authorised=%v", l.Room, l.Authorised)]++
			}
			var firing []string
			for _, a := range e.Alerts().Active() {
				if a.State == event.AlertFiring {
					firing = append(firing, a.Room)
				}
			}
			t.Logf("fixes: %v; firing in %v", rooms, firing)
			found := false
			for _, r := range firing {
				found = found || r == tc.room
			}
			if !found {
				t.Errorf("phone in %s beside a tablet registered in %s on its carrier: firing alerts in %v, want one in %s (fixes %v)", tc.room, tabletRoom, firing, tc.room, rooms)
			}
		})
	}
}
