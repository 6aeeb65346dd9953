package site

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// sweepSite is a site that loads; a sweep row appends to it.
const sweepSite = `id: tiny
floors:
  - {id: f1, name: Ground}
rooms:
  - {id: c1, name: Cell 1, floor: f1, kind: cell, zone: z, polygon: [{x: 0, y: 0}, {x: 3, y: 0}, {x: 0, y: 3}]}
`

// TestSiteSweep: site values that loaded and could not work are refused
// naming the item and its line: two rooms of one name (an alert for
// "Cell 1" could be either), a floor elevation beyond what a distance
// squared holds (1e300 made every distance infinite); and what a site
// may write loads (rooms and floors without names, a floor below ground).
func TestSiteSweep(t *testing.T) {
	const cell2 = "  - {id: c2, name: %s, floor: f1, kind: cell, polygon: [{x: 3, y: 0}, {x: 6, y: 0}, {x: 3, y: 3}]}\n"
	for _, tc := range []struct {
		name     string
		from, to string // replaced in sweepSite
		extra    string // appended to it (more rooms)
		wantKey  string // "": it loads
		wantMsg  string
	}{
		{name: "second room", extra: fmt.Sprintf(cell2, "Cell 2")},
		{name: "rooms without names", extra: strings.Replace(fmt.Sprintf(cell2, "''"), "name: '', ", "", 1) +
			"  - {id: c3, floor: f1, kind: cell, polygon: [{x: 6, y: 0}, {x: 9, y: 0}, {x: 6, y: 3}]}\n"},
		{name: "room name twice", extra: fmt.Sprintf(cell2, "Cell 1"), wantKey: "rooms[1].name", wantMsg: `"Cell 1" is also the name of room "c1"`},
		{name: "room name twice spaced", extra: fmt.Sprintf(cell2, "' cell 1'"), wantKey: "rooms[1].name", wantMsg: `is also the name of room "c1"`},
		{name: "floor name twice", from: "  - {id: f1, name: Ground}\n", to: "  - {id: f1, name: Ground}\n  - {id: f2, name: Ground}\n",
			wantKey: "floors[1].name", wantMsg: `"Ground" is also the name of floor "f1"`},
		{name: "floors without names", from: "  - {id: f1, name: Ground}\n", to: "  - {id: f1}\n  - {id: f2}\n"},
		{name: "elevation", from: "name: Ground}", to: "name: Ground, elevation_m: -12.5}"},
		{name: "elevation huge", from: "name: Ground}", to: "name: Ground, elevation_m: 1e300}", wantKey: "floors[0].elevation_m", wantMsg: "within ±1e6 m"},
		{name: "elevation inf", from: "name: Ground}", to: "name: Ground, elevation_m: .inf}", wantKey: "floors[0].elevation_m", wantMsg: "within ±1e6 m"},
		{name: "elevation nan", from: "name: Ground}", to: "name: Ground, elevation_m: .nan}", wantKey: "floors[0].elevation_m", wantMsg: "within ±1e6 m"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := sweepSite + tc.extra
			if tc.from != "" {
				doc = strings.Replace(doc, tc.from, tc.to, 1)
			}
			_, err := Load(strings.NewReader(doc))
			if tc.wantKey == "" {
				if err != nil {
					t.Fatalf("refused: %v; a site may write it", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("loaded; want it refused naming %s", tc.wantKey)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.wantKey+":") || !strings.Contains(msg, tc.wantMsg) || !strings.Contains(msg, "[") {
				t.Errorf("got %q; want it to name %s, its line and %q", msg, tc.wantKey, tc.wantMsg)
			}
		})
	}
}
