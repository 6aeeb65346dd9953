package site

import (
	"fmt"
	"math"
	"math/bits"
)

// FarFromRoomsM is how far from every room of its floor a sensor may be
// before Notes takes its position for a mistake.
const FarFromRoomsM = 20.0

// MinOverlapM2 is the smallest overlap of two rooms Notes reports: less
// is a wall's thickness typed twice, which localisation's grid hardly sees.
const MinOverlapM2 = 1.0

// maxNotePoints bounds the points Notes samples a floor with: the step
// grows from 0.25 m on a floor larger than this many of them.
const maxNotePoints = 200_000

// Notes returns what in a valid site is most likely a mistake, one
// sentence each, naming the key as written in the site file: a sensor
// more than FarFromRoomsM from every room of its floor (x: 130 for
// rooms spanning 0-40); two floors at the same elevation_m, or floors
// not listed in order of elevation_m (localisation counts the floors
// between two by their order in floors:); rooms of one floor that
// overlap in part (the overlap is the room listed first's: RoomAt), or a
// room inside another listed before it, which no location can ever name.
// A room inside one listed after it (a yard around the wing) is by design
// and not noted. None of them is refused: fusion logs them at its start
// and fusion --check prints them.
func (s *Site) Notes() []string {
	var notes []string
	notes = append(notes, s.floorNotes()...)
	notes = append(notes, s.sensorNotes()...)
	notes = append(notes, s.overlapNotes()...)
	return notes
}

// floorNotes notes floors at one elevation, and floors out of order.
func (s *Site) floorNotes() []string {
	var notes []string
	for i, f := range s.Floors {
		for j := range i {
			if g := s.Floors[j]; g.ElevationM == f.ElevationM {
				notes = append(notes, fmt.Sprintf("floors[%d].elevation_m: floor %q is at %v m, as floor %q: localisation takes them for one height apart by a floor; give each floor its own height", i, f.ID, f.ElevationM, g.ID))
			}
		}
	}
	up, down := true, true
	for i := 1; i < len(s.Floors); i++ {
		up = up && s.Floors[i].ElevationM >= s.Floors[i-1].ElevationM
		down = down && s.Floors[i].ElevationM <= s.Floors[i-1].ElevationM
	}
	if !up && !down {
		notes = append(notes, "floors: not listed in order of elevation_m: localisation counts the floors a signal crosses (model.floor_loss_db each) by their order in floors:; list them from the lowest up")
	}
	return notes
}

// sensorNotes notes sensors far from every room of their floor.
func (s *Site) sensorNotes() []string {
	var notes []string
	for i, sn := range s.Sensors {
		lo, hi, any := s.FloorBounds(sn.Floor)
		d := math.Inf(1)
		for _, r := range s.Rooms {
			if r.Floor == sn.Floor {
				d = min(d, DistanceM(r.Polygon, sn.Pos))
			}
		}
		if any && d > FarFromRoomsM {
			notes = append(notes, fmt.Sprintf("sensors[%d].pos: sensor %q at (%v, %v) is %.0f m from the nearest room of floor %q (its rooms span x %v to %v, y %v to %v): localisation takes the sensor to be there; correct pos (or floor) if it is mistyped",
				i, sn.ID, sn.Pos.X, sn.Pos.Y, d, sn.Floor, lo.X, hi.X, lo.Y, hi.Y))
		}
	}
	return notes
}

// overlapNotes notes rooms of one floor that overlap in part, and rooms
// inside one listed before them, sampling each floor on a grid (as
// localisation does).
func (s *Site) overlapNotes() []string {
	var notes []string
	for _, f := range s.Floors {
		var idx []int
		for i, r := range s.Rooms {
			if r.Floor == f.ID {
				idx = append(idx, i)
			}
		}
		if len(idx) < 2 {
			continue
		}
		lo, hi, _ := s.FloorBounds(f.ID)
		step := max(0.25, math.Sqrt((hi.X-lo.X)*(hi.Y-lo.Y)/maxNotePoints))
		nx, ny := int((hi.X-lo.X)/step)+1, int((hi.Y-lo.Y)/step)+1
		// in[k] has a bit for each grid point inside room idx[k], and
		// count[k] counts them
		in := make([][]uint64, len(idx))
		count := make([]int, len(idx))
		for k, i := range idx {
			in[k] = make([]uint64, (nx*ny+63)/64)
			a, b := Bounds(s.Rooms[i].Polygon)
			for ix := max(0, int((a.X-lo.X)/step)-1); ix < min(nx, int((b.X-lo.X)/step)+1); ix++ {
				for iy := max(0, int((a.Y-lo.Y)/step)-1); iy < min(ny, int((b.Y-lo.Y)/step)+1); iy++ {
					if Contains(s.Rooms[i].Polygon, Point{X: lo.X + (float64(ix)+0.5)*step, Y: lo.Y + (float64(iy)+0.5)*step}) {
						n := ix*ny + iy
						in[k][n/64] |= 1 << (n % 64)
						count[k]++
					}
				}
			}
		}
		for k := range idx {
			for m := k + 1; m < len(idx); m++ {
				both := 0
				for w := range in[k] {
					both += bits.OnesCount64(in[k][w] & in[m][w])
				}
				area := float64(both) * step * step
				first, later := s.Rooms[idx[k]], s.Rooms[idx[m]]
				switch {
				case both == 0 || area < MinOverlapM2:
				case both == count[m]:
					notes = append(notes, fmt.Sprintf("rooms[%d]: room %q lies inside room %q, listed before it: every point of it is %q's (the first room listed that holds a point has it), so no location or alert can name %q; list %q after %q",
						idx[m], later.ID, first.ID, first.ID, later.ID, first.ID, later.ID))
				case both == count[k]: // a yard listed after the wing it encloses: by design
				default:
					notes = append(notes, fmt.Sprintf("rooms[%d]: room %q overlaps room %q by about %.0f m² (neither holds the other): localisation gives the overlap to %q, listed first; correct the polygons if the rooms should only meet",
						idx[m], later.ID, first.ID, area, first.ID))
				}
			}
		}
	}
	return notes
}
