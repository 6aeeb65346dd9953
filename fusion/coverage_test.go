package fusion

import (
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/internal/english"
)

// coverageSite has three sensors around the cell near, the cell far
// 300 m away on their floor, and the floor u above with the cell up and
// no sensor.
const coverageSite = `id: cov
floors:
  - {id: g, name: Ground, elevation_m: 0}
  - {id: u, name: Upper, elevation_m: 3}
rooms:
  - {id: near, name: Near, floor: g, kind: cell, zone: z, polygon: [{x: 0, y: 0}, {x: 4, y: 0}, {x: 4, y: 3}, {x: 0, y: 3}]}
  - {id: land, name: Landing, floor: g, kind: landing, zone: z, polygon: [{x: 0, y: 3}, {x: 4, y: 3}, {x: 4, y: 6}, {x: 0, y: 6}]}
  - {id: far, name: Far, floor: g, kind: cell, zone: z, polygon: [{x: 300, y: 0}, {x: 304, y: 0}, {x: 304, y: 3}, {x: 300, y: 3}]}
  - {id: off, name: Office, floor: g, kind: office, zone: z, polygon: [{x: 400, y: 0}, {x: 404, y: 0}, {x: 404, y: 3}, {x: 400, y: 3}]}
  - {id: up, name: Up, floor: u, kind: cell, zone: z, polygon: [{x: 0, y: 0}, {x: 4, y: 0}, {x: 4, y: 3}, {x: 0, y: 3}]}
sensors:
  - {id: s1, floor: g, pos: {x: 0, y: -1}, zones: [z]}
  - {id: s2, floor: g, pos: {x: 4, y: -1}, zones: [z]}
  - {id: s3, floor: g, pos: {x: 2, y: 7}, zones: [z]}
`

// TestCoverageNotes: fusion --check's coverage notes name the cells and
// landings fewer than three sensors would hear a phone in (far: none; not
// the office, whatever its sensors), with how many, and a floor with rooms
// and no sensor; a site whose rooms three sensors hear has none. --check
// said nothing of coverage: a 396-room site's cells heard by two sensors
// went unremarked.
func TestCoverageNotes(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		cfg  Config
		want []string // in the notes; nil: none
	}{
		{"far cell, floor without sensor", coverageSite, Config{}, []string{
			`floors: floor "u" has 1 room and no sensor (up)`,
			"sensors: 1 of 4 cells and landings are heard by fewer than 3 sensors (far (0):"}},
		{"every cell near", strings.Replace(coverageSite, "{x: 300, y: 0}, {x: 304, y: 0}, {x: 304, y: 3}, {x: 300, y: 3}", "{x: 4, y: 0}, {x: 8, y: 0}, {x: 8, y: 3}, {x: 4, y: 3}", 1) +
			"  - {id: s4, floor: u, pos: {x: 2, y: 1}, zones: [z]}\n", Config{}, nil}, // the office at 400 m is no cell
		{"noisier sensors hear less", coverageSite, Config{NoiseDBmPerMHz: -20}, []string{
			"sensors: 4 of 4 cells and landings are heard by fewer than 3 sensors (near (0), land (0), far (0), up (0):"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := site.Load(strings.NewReader(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			e, err := New(tc.cfg, Deps{Site: s})
			if err != nil {
				t.Fatal(err)
			}
			notes := e.CoverageNotes()
			all := strings.Join(notes, "\n")
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("notes %q: want %q", notes, w)
				}
			}
			if tc.want == nil && len(notes) > 0 {
				t.Errorf("notes %q, want none", notes)
			}
		})
	}
}

// TestCoverageNotesNameAFew: a note names the first five rooms and
// counts the rest.
func TestCoverageNotesNameAFew(t *testing.T) {
	if got, want := english.Some([]string{"a", "b", "c", "d", "e", "f", "g"}, coverageNamed), "a, b, c, d, e and 2 more"; got != want {
		t.Errorf("english.Some(…, coverageNamed) = %q, want %q", got, want)
	}
}
