package site

import "testing"

// BenchmarkWallLossDB: the wall loss of one path across the demo site,
// from each sensor to the centre of each room on its floor (ns/op is per
// path).
func BenchmarkWallLossDB(b *testing.B) {
	s, err := LoadFile("../../testdata/sites/standard.yaml")
	if err != nil {
		b.Fatal(err)
	}
	type path struct {
		floor string
		a, b  Point
	}
	var paths []path
	for _, sn := range s.Sensors {
		for _, r := range s.Rooms {
			if r.Floor == sn.Floor {
				lo, hi := Bounds(r.Polygon)
				paths = append(paths, path{sn.Floor, sn.Pos, Point{X: (lo.X + hi.X) / 2, Y: (lo.Y + hi.Y) / 2}})
			}
		}
	}
	i := 0
	for b.Loop() {
		p := paths[i%len(paths)]
		s.WallLossDB(p.floor, p.a, p.b)
		i++
	}
}
