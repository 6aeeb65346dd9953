package fusion

import (
	"testing"

	"github.com/rfwarden/rfwarden/fusion/site"
)

// TestRedPhoneNextToRegisteredTabletAlerts: a contraband phone used in
// a cell, heard by every sensor of the wing, on the band of an in-cell
// tablet registered for the cell next door. The fix puts the phone in its
// own cell, most likely by far; it must raise the cell alert. A phone in
// the cell beside any registered tablet (or, for a tablet in every cell,
// any phone on its band) is otherwise silenced: the registry authorises
// the tablet's cell whenever the fix gives it half the top cell's
// probability (registry.RoomShare), however confident the fix is.
func TestRedPhoneNextToRegisteredTabletAlerts(t *testing.T) {
	s := wing(t)
	var all []string
	for _, sn := range s.Sensors {
		all = append(all, sn.ID)
	}
	for _, tc := range []struct {
		phoneRoom, tabletRoom string
		pos                   site.Point
	}{
		{"B2-11", "B2-12", site.Point{X: 12.5, Y: 9}},
		{"B2-14", "B2-13", site.Point{X: 27.5, Y: 9}},
		{"B2-05", "B2-04", site.Point{X: 22.5, Y: 2}},
		{"B2-10", "B2-11", site.Point{X: 7.5, Y: 9}},
	} {
		t.Run(tc.phoneRoom+" beside tablet in "+tc.tabletRoom, func(t *testing.T) {
			probs, firing := redPhoneRun(t, s, tc.pos, all, "")
			if len(firing) != 1 || firing[0].Room != tc.phoneRoom {
				t.Fatalf("unregistered: firing %v, want one alert in %s: the test shows nothing", firing, tc.phoneRoom)
			}
			t.Logf("fix: %s %.2f, %s %.2f", tc.phoneRoom, probs[tc.phoneRoom], tc.tabletRoom, probs[tc.tabletRoom])
			if _, firing := redPhoneRun(t, s, tc.pos, all, tc.tabletRoom); len(firing) == 0 {
				t.Errorf("phone in %s (%.0f%%) raised no alert: authorised by the tablet of %s (%.0f%%)",
					tc.phoneRoom, 100*probs[tc.phoneRoom], tc.tabletRoom, 100*probs[tc.tabletRoom])
			}
		})
	}
}
