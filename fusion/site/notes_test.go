package site

import (
	"strings"
	"testing"
)

// TestNotes: Notes names a sensor far from every room of its floor, two
// floors at one height, floors out of order, rooms that overlap in part
// and a room hidden inside one listed before it, and nothing in a site
// whose yard, listed last, encloses its rooms, or whose rooms meet with a
// wall's thickness typed twice.
func TestNotes(t *testing.T) {
	const base = `id: t
floors:
  - {id: g, elevation_m: 0}
  - {id: f1, elevation_m: 3.5}
rooms:
  - {id: c1, floor: g, kind: cell, zone: w, polygon: [{x: 0, y: 0}, {x: 5, y: 0}, {x: 5, y: 4}, {x: 0, y: 4}]}
  - {id: c2, floor: g, kind: cell, zone: w, polygon: [{x: 5, y: 0}, {x: 10, y: 0}, {x: 10, y: 4}, {x: 5, y: 4}]}
  - {id: u1, floor: f1, kind: cell, zone: w, polygon: [{x: 0, y: 0}, {x: 10, y: 0}, {x: 10, y: 4}, {x: 0, y: 4}]}
`
	const yard = "  - {id: yard, floor: g, kind: yard, zone: y, polygon: [{x: -20, y: -20}, {x: 40, y: -20}, {x: 40, y: 30}, {x: -20, y: 30}]}\n"
	tests := []struct {
		name string
		yaml string
		want []string // one note containing each, in order; none when empty
	}{
		{"clean, yard listed last", base + yard + "sensors:\n  - {id: s1, floor: g, pos: {x: 2, y: 2}}\n  - {id: s2, floor: g, pos: {x: 30, y: -15}}\n  - {id: s3, floor: f1, pos: {x: 12, y: 2}}\n", nil},
		{"sensor far outside", base + "sensors:\n  - {id: s1, floor: g, pos: {x: 2, y: 2}}\n  - {id: s2, floor: g, pos: {x: 130, y: 2}}\n",
			[]string{`sensors[1].pos: sensor "s2" at (130, 2) is 120 m from the nearest room of floor "g" (its rooms span x 0 to 10, y 0 to 4)`}},
		{"floors at one height", strings.Replace(base, "elevation_m: 3.5", "elevation_m: 0", 1),
			[]string{`floors[1].elevation_m: floor "f1" is at 0 m, as floor "g"`}},
		{"floors out of order", strings.Replace(base, "  - {id: f1, elevation_m: 3.5}\n", "  - {id: f1, elevation_m: 3.5}\n  - {id: f0, elevation_m: 1}\n", 1),
			[]string{"floors: not listed in order of elevation_m"}},
		{"floors from the top down", strings.Replace(base, "elevation_m: 3.5", "elevation_m: -3.5", 1), nil},
		{"partial overlap, edges meeting at corners", base + "  - {id: c3, floor: g, kind: cell, zone: w, polygon: [{x: 7, y: 0}, {x: 15, y: 0}, {x: 15, y: 4}, {x: 7, y: 4}]}\n",
			[]string{`rooms[3]: room "c3" overlaps room "c2" by about 12 m²`}},
		{"partial overlap, edges crossing", base + "  - {id: c3, floor: g, kind: cell, zone: w, polygon: [{x: 8, y: 2}, {x: 15, y: 2}, {x: 15, y: 6}, {x: 8, y: 6}]}\n",
			[]string{`room "c3" overlaps room "c2" by about 4 m²`}},
		{"wall typed twice", base + "  - {id: c3, floor: g, kind: cell, zone: w, polygon: [{x: 9.9, y: 0}, {x: 15, y: 0}, {x: 15, y: 4}, {x: 9.9, y: 4}]}\n", nil},
		{"room hidden by one listed before", strings.Replace(base, "rooms:\n", "rooms:\n"+yard, 1),
			[]string{`rooms[1]: room "c1" lies inside room "yard", listed before it`, `rooms[2]: room "c2" lies inside room "yard"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Load(strings.NewReader(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			got := s.Notes()
			if len(got) != len(tt.want) {
				t.Fatalf("notes %q, want %d", got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("note %d: %q, want %q in it", i, got[i], w)
				}
			}
		})
	}
}
