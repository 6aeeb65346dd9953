package locate

import (
	"fmt"
	"math"
	"testing"

	"github.com/rfwarden/rfwarden/fusion/site"
)

// genSite returns a prison of wings side by side, three per row, like the
// 396-room site of issue e16: wing w has floors[w] floors of 22 cells, a
// landing and an office (walls between the cells, along the landing,
// around the office and around the wing), with three sensors per floor
// and one in the ground-floor office; each wing has a yard with a sensor;
// grounds, perimeter strips and "outside" enclose them, watched by four
// perimeter sensors.
func genSite(floors []int) *site.Site {
	s := &site.Site{ID: "gen", Name: "Generated"}
	for fi := range 3 {
		s.Floors = append(s.Floors, site.Floor{ID: fmt.Sprintf("F%d", fi+1), Name: fmt.Sprintf("Floor %d", fi+1), ElevationM: 3.5 * float64(fi)})
	}
	rect := func(x0, y0, x1, y1 float64) []site.Point {
		return []site.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
	}
	room := func(id, floor, kind, zone string, p []site.Point) {
		s.Rooms = append(s.Rooms, site.Room{ID: id, Name: id, Floor: floor, Kind: kind, Zone: zone, Polygon: p})
	}
	wall := func(floor string, ax, ay, bx, by, loss float64) {
		s.Walls = append(s.Walls, site.Wall{Floor: floor, A: site.Point{X: ax, Y: ay}, B: site.Point{X: bx, Y: by}, LossDB: loss})
	}
	sensor := func(id, floor string, x, y float64, zone string) {
		s.Sensors = append(s.Sensors, site.Sensor{ID: id, Floor: floor, Pos: site.Point{X: x, Y: y}, Zones: []string{zone}})
	}
	maxX, maxY := 0.0, 0.0
	for w, nf := range floors {
		x0, y0 := float64(w%3)*70, float64(w/3)*40
		maxX, maxY = max(maxX, x0+52), max(maxY, y0+30)
		z := fmt.Sprintf("wing-%c", 'a'+w)
		for fi := range nf {
			f := s.Floors[fi].ID
			p := fmt.Sprintf("%c%d", 'A'+w, fi+1)
			for c := range 11 {
				x := x0 + 4*float64(c)
				room(fmt.Sprintf("%s-S%02d", p, c+1), f, site.KindCell, z, rect(x, y0, x+4, y0+4))
				room(fmt.Sprintf("%s-N%02d", p, c+1), f, site.KindCell, z, rect(x, y0+8, x+4, y0+12))
				if c > 0 {
					wall(f, x, y0, x, y0+4, 12)
					wall(f, x, y0+8, x, y0+12, 12)
				}
			}
			room(p+"-LAND", f, site.KindLanding, z, rect(x0, y0+4, x0+44, y0+8))
			room(p+"-OFF", f, site.KindOffice, z, rect(x0+44, y0, x0+52, y0+12))
			wall(f, x0, y0+4, x0+44, y0+4, 10)
			wall(f, x0, y0+8, x0+44, y0+8, 10)
			wall(f, x0+44, y0, x0+44, y0+12, 12)
			wall(f, x0, y0, x0+52, y0, 15)
			wall(f, x0, y0+12, x0+52, y0+12, 15)
			wall(f, x0, y0, x0, y0+12, 15)
			wall(f, x0+52, y0, x0+52, y0+12, 15)
			for j, x := range []float64{8, 22, 36} {
				sensor(fmt.Sprintf("%s-c%d", p, j+1), f, x0+x, y0+7.8-3.6*float64(j%2), z)
			}
			if fi == 0 {
				sensor(p+"-off", f, x0+48, y0+11.8, z)
			}
		}
		yz := fmt.Sprintf("yard-%c", 'a'+w)
		room(fmt.Sprintf("Y-%c", 'A'+w), "F1", site.KindYard, yz, rect(x0, y0+14, x0+52, y0+30))
		sensor(yz, "F1", x0+26, y0+22, yz)
	}
	// The grounds enclose the wings and yards (listed after them).
	room("GROUNDS", "F1", site.KindYard, "grounds", rect(-10, -10, maxX+10, maxY+10))
	room("PER-S", "F1", site.KindPerimeter, "perimeter", rect(-20, -20, maxX+20, -10))
	room("PER-N", "F1", site.KindPerimeter, "perimeter", rect(-20, maxY+10, maxX+20, maxY+20))
	room("PER-W", "F1", site.KindPerimeter, "perimeter", rect(-20, -10, -10, maxY+10))
	room("PER-E", "F1", site.KindPerimeter, "perimeter", rect(maxX+10, -10, maxX+20, maxY+10))
	room("OUT-S", "F1", site.KindOutside, "outside", rect(-20, -40, maxX+20, -20))
	midX, midY := maxX/2, maxY/2
	for i, p := range []site.Point{{X: midX, Y: -15}, {X: midX, Y: maxY + 15}, {X: -15, Y: midY}, {X: maxX + 15, Y: midY}} {
		sensor(fmt.Sprintf("per-%d", i+1), "F1", p.X, p.Y, "perimeter")
	}
	return s
}

// loadDemo returns the demo's site, the standard wing.
func loadDemo(t testing.TB) *site.Site {
	t.Helper()
	return loadSite(t, "standard.yaml")
}

// Generated sites of the benchmarks: a small one (100 rooms, 16 sensors)
// and the 396-room, 64-sensor, 6-wing site of issue e16.
var (
	genSmall = []int{2, 2}
	genLarge = []int{3, 3, 3, 3, 2, 2}
)

// refWallLossDB is site.WallLossDB as it was before the wall index: every
// wall of the site, its floor compared by name, in site order.
func refWallLossDB(s *site.Site, floor string, a, b site.Point) float64 {
	cross := func(o, a, b site.Point) float64 { return (a.X-o.X)*(b.Y-o.Y) - (a.Y-o.Y)*(b.X-o.X) }
	var loss float64
	for _, w := range s.Walls {
		d1, d2 := cross(w.A, w.B, a), cross(w.A, w.B, b)
		d3, d4 := cross(a, b, w.A), cross(a, b, w.B)
		if w.Floor == floor && ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
			loss += w.LossDB
		}
	}
	return loss
}

// refTables is the grid (floor, point, room of every point, block by
// block) and path-loss table New built before it was made fast: RoomAt
// over all rooms for each point, refWallLossDB for every sensor and point.
func refTables(s *site.Site, m Model) (grid []gridPoint, loss [][]float64) {
	m = m.withDefaults()
	h := m.GridStepM
	roomIdx := map[string]int{}
	for i, r := range s.Rooms {
		roomIdx[r.ID] = i
	}
	for fi, f := range s.Floors {
		lo, hi, ok := s.FloorBounds(f.ID)
		if !ok {
			continue
		}
		nx, ny := int((hi.X-lo.X)/h)+1, int((hi.Y-lo.Y)/h)+1
		for bx := 0; bx < nx; bx += blockSide {
			for by := 0; by < ny; by += blockSide {
				for ix := bx; ix < min(bx+blockSide, nx); ix++ {
					for iy := by; iy < min(by+blockSide, ny); iy++ {
						p := site.Point{X: lo.X + (float64(ix)+0.5)*h, Y: lo.Y + (float64(iy)+0.5)*h}
						if r, ok := s.RoomAt(f.ID, p); ok {
							grid = append(grid, gridPoint{floor: fi, p: p, room: roomIdx[r.ID]})
						}
					}
				}
			}
		}
	}
	floorIdx := map[string]int{}
	for i, f := range s.Floors {
		floorIdx[f.ID] = i
	}
	for _, sn := range s.Sensors {
		sf := floorIdx[sn.Floor]
		row := make([]float64, len(grid))
		for j, g := range grid {
			dx, dy := g.p.X-sn.Pos.X, g.p.Y-sn.Pos.Y
			dz := s.Floors[g.floor].ElevationM + m.EmitterHeightM - s.Floors[sf].ElevationM - m.SensorHeightM
			d := max(math.Sqrt(dx*dx+dy*dy+dz*dz), m.RefDistM)
			v := 10*m.Exponent*math.Log10(d/m.RefDistM) + refWallLossDB(s, sn.Floor, sn.Pos, g.p)
			if g.floor != sf {
				v += m.FloorLossDB * math.Abs(float64(g.floor-sf))
			}
			row[j] = v
		}
		loss = append(loss, row)
	}
	return grid, loss
}

// TestNewTablesExact: New's grid and path-loss tables (and the per-block
// loss ranges built from them) are, to the bit, those of the slow
// reference, on the demo site, the test wing and a generated three-wing
// site (one wing of two floors), with sensor and emitter heights.
func TestNewTablesExact(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    *site.Site
		m    Model
	}{
		{"demo", loadDemo(t), Model{}},
		{"wing", loadWing(t), Model{SensorHeightM: 2.5, EmitterHeightM: 1}},
		{"generated", genSite([]int{2, 1, 1}), Model{GridStepM: 1.5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.s.Validate(); err != nil {
				t.Fatal(err)
			}
			l, err := New(tc.s, tc.m)
			if err != nil {
				t.Fatal(err)
			}
			grid, loss := refTables(tc.s, tc.m)
			if len(l.grid) != len(grid) {
				t.Fatalf("%d grid points, reference %d", len(l.grid), len(grid))
			}
			for j, g := range grid {
				if got := l.grid[j]; got.floor != g.floor || got.p != g.p || got.room != g.room {
					t.Fatalf("grid point %d: %+v, reference %+v", j, got, g)
				}
			}
			if len(l.loss) != len(loss) {
				t.Fatalf("%d loss rows, reference %d", len(l.loss), len(loss))
			}
			for i, row := range loss {
				for j, v := range row {
					if math.Float64bits(l.loss[i][j]) != math.Float64bits(v) {
						t.Fatalf("sensor %s, point %v: loss %v, reference %v", tc.s.Sensors[i].ID, grid[j].p, l.loss[i][j], v)
					}
				}
				for b, bl := range l.blocks {
					lo, hi := math.Inf(1), math.Inf(-1)
					for _, v := range row[bl.lo:bl.hi] {
						lo, hi = min(lo, v), max(hi, v)
					}
					if l.blockMid[i][b] != (lo+hi)/2 || l.blockHalf[i][b] != (hi-lo)/2 {
						t.Fatalf("sensor %s, block %d: range %v±%v, reference %v±%v", tc.s.Sensors[i].ID, b, l.blockMid[i][b], l.blockHalf[i][b], (lo+hi)/2, (hi-lo)/2)
					}
				}
			}
		})
	}
}

// BenchmarkNew builds the locator of the demo site, a generated 104-room,
// 20-sensor site and the 396-room, 64-sensor site of issue e16.
func BenchmarkNew(b *testing.B) {
	for _, bc := range []struct {
		name string
		s    *site.Site
	}{
		{"demo", loadDemo(b)},
		{"rooms104", genSite(genSmall)},
		{"rooms396", genSite(genLarge)},
	} {
		b.Run(fmt.Sprintf("%s-sensors%d", bc.name, len(bc.s.Sensors)), func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				if _, err := New(bc.s, Model{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
