package site

import (
	"math"
	"slices"
)

// polygonArea returns the signed area of p (shoelace formula; positive when
// counter-clockwise).
func polygonArea(p []Point) float64 {
	var a float64
	for i := range p {
		j := (i + 1) % len(p)
		a += p[i].X*p[j].Y - p[j].X*p[i].Y
	}
	return a / 2
}

func cross(o, a, b Point) float64 { return (a.X-o.X)*(b.Y-o.Y) - (a.Y-o.Y)*(b.X-o.X) }

// segmentsCross reports whether segments ab and cd properly intersect (cross
// at a point interior to both). Touching at end points does not count.
func segmentsCross(a, b, c, d Point) bool {
	d1 := cross(c, d, a)
	d2 := cross(c, d, b)
	if !((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) {
		return false
	}
	d3 := cross(a, b, c)
	d4 := cross(a, b, d)
	return (d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)
}

// selfIntersects reports whether two non-adjacent edges of polygon p cross.
func selfIntersects(p []Point) bool {
	n := len(p)
	for i := 0; i < n; i++ {
		a, b := p[i], p[(i+1)%n]
		for j := i + 2; j < n; j++ {
			if i == 0 && j == n-1 {
				continue // adjacent through the closing edge
			}
			if segmentsCross(a, b, p[j], p[(j+1)%n]) {
				return true
			}
		}
	}
	return false
}

// Contains reports whether q lies inside polygon p (even-odd rule; points on
// an edge may go either way).
func Contains(p []Point, q Point) bool {
	in := false
	for i, j := 0, len(p)-1; i < len(p); j, i = i, i+1 {
		if (p[i].Y > q.Y) != (p[j].Y > q.Y) &&
			q.X < (p[j].X-p[i].X)*(q.Y-p[i].Y)/(p[j].Y-p[i].Y)+p[i].X {
			in = !in
		}
	}
	return in
}

// DistanceM returns the distance in metres from q to polygon p: 0 inside
// it, else to its nearest edge.
func DistanceM(p []Point, q Point) float64 {
	if Contains(p, q) {
		return 0
	}
	best := math.Inf(1)
	for i := range p {
		a, b := p[i], p[(i+1)%len(p)]
		dx, dy := b.X-a.X, b.Y-a.Y
		t := 0.0
		if l2 := dx*dx + dy*dy; l2 > 0 {
			t = max(0, min(1, ((q.X-a.X)*dx+(q.Y-a.Y)*dy)/l2))
		}
		best = min(best, math.Hypot(q.X-(a.X+t*dx), q.Y-(a.Y+t*dy)))
	}
	return best
}

// Bounds returns the axis-aligned bounding box of p.
func Bounds(p []Point) (lo, hi Point) {
	lo, hi = p[0], p[0]
	for _, q := range p[1:] {
		lo.X, lo.Y = min(lo.X, q.X), min(lo.Y, q.Y)
		hi.X, hi.Y = max(hi.X, q.X), max(hi.Y, q.Y)
	}
	return lo, hi
}

// FloorBounds returns the axis-aligned bounding box of the rooms of
// floor, and false when the floor has none.
func (s *Site) FloorBounds(floor string) (lo, hi Point, ok bool) {
	for _, r := range s.Rooms {
		if r.Floor != floor {
			continue
		}
		a, b := Bounds(r.Polygon)
		if !ok {
			lo, hi, ok = a, b, true
			continue
		}
		lo.X, lo.Y = min(lo.X, a.X), min(lo.Y, a.Y)
		hi.X, hi.Y = max(hi.X, b.X), max(hi.Y, b.Y)
	}
	return lo, hi, ok
}

// RoomAt returns the room on floor that contains p. Rooms are searched in
// file order, so a smaller room listed before a larger enclosing one wins.
func (s *Site) RoomAt(floor string, p Point) (Room, bool) {
	for _, r := range s.Rooms {
		if r.Floor == floor && Contains(r.Polygon, p) {
			return r, true
		}
	}
	return Room{}, false
}

// WallLossDB returns the summed loss in dB of the walls on floor that the
// straight path from a to b crosses.
func (s *Site) WallLossDB(floor string, a, b Point) float64 {
	var loss float64
	for _, w := range s.Walls {
		if w.Floor == floor && segmentsCross(a, b, w.A, w.B) {
			loss += w.LossDB
		}
	}
	return loss
}

// WallFan holds the walls of one floor as seen from one point, sorted into
// sectors by their direction from it, for many wall losses from that point
// (a sensor's path-loss table): LossDB tests only the walls of the sector
// its end point lies in.
type WallFan struct {
	from Point
	// start[k]:start[k+1] are sector k's walls in walls, in site order.
	start []int32
	walls []fanWall
}

// fanWall is one wall of a WallFan.
type fanWall struct {
	a, b   Point
	lossDB float64
	// near2 is less than the squared distance from the fan's point to the
	// wall: a path shorter than its root cannot reach the wall.
	near2 float64
}

// fanSectors is the number of sectors of a WallFan (each 0.4-1.4°: they
// are equal steps of pseudoAngle).
const fanSectors = 512

// pseudoAngle returns a number in [0, 4) that grows with the direction of
// (dx, dy) counter-clockwise from +x, without atan2's cost; NaN for (0, 0).
func pseudoAngle(dx, dy float64) float64 {
	p := dy / (math.Abs(dx) + math.Abs(dy))
	switch {
	case dx < 0:
		return 2 - p
	case dy < 0:
		return 4 + p
	}
	return p
}

// fanSector returns the sector of the direction (dx, dy) ((0, 0): 0).
func fanSector(dx, dy float64) int {
	k := int(pseudoAngle(dx, dy) * (fanSectors / 4))
	if k < 0 || k >= fanSectors { // NaN, or 4 by rounding
		k = 0
	}
	return k
}

// WallFan returns the walls of floor indexed for paths from point from.
// Its LossDB(b) is WallLossDB(floor, from, b), to the bit.
//
// A wall goes into the sectors its end points' directions span (the
// shorter way round) and one more on each side, which absorbs any rounding
// of a direction many times over; a wall that spans 90° or more (one near
// the point) goes into every sector. A path can only cross a wall in
// a direction between the wall's end points, so LossDB tests every wall
// that path can cross, and adds their losses in the same (site) order.
func (s *Site) WallFan(floor string, from Point) *WallFan {
	type span struct{ k0, n int } // sectors k0, k0+1, ... (mod fanSectors), n of them
	var walls []fanWall
	var spans []span
	count := make([]int32, fanSectors+1)
	for _, w := range s.Walls {
		if w.Floor != floor {
			continue
		}
		ax, ay, bx, by := w.A.X-from.X, w.A.Y-from.Y, w.B.X-from.X, w.B.Y-from.Y
		sp := span{0, fanSectors}
		if ax*bx+ay*by > 0 { // less than 90° apart
			ka, kb := fanSector(ax, ay), fanSector(bx, by)
			if ax*by-ay*bx < 0 { // B is clockwise of A: go from B to A
				ka, kb = kb, ka
			}
			if kb < ka {
				kb += fanSectors
			}
			if n := kb - ka + 3; n < fanSectors {
				sp = span{ka - 1 + fanSectors, n}
			}
		}
		near := DistanceM([]Point{w.A, w.B}, from)
		near2 := 0.0 // a path shorter than 1 mm is tested anyway
		if near > 1e-3 {
			near2 = 0.99 * near * near
		}
		walls = append(walls, fanWall{a: w.A, b: w.B, lossDB: w.LossDB, near2: near2})
		spans = append(spans, sp)
		for i := range sp.n {
			count[(sp.k0+i)%fanSectors+1]++
		}
	}
	f := &WallFan{from: from, start: count}
	for k := range fanSectors {
		f.start[k+1] += f.start[k]
	}
	f.walls = make([]fanWall, f.start[fanSectors])
	next := slices.Clone(f.start[:fanSectors])
	for i, sp := range spans {
		for j := range sp.n {
			k := (sp.k0 + j) % fanSectors
			f.walls[next[k]] = walls[i]
			next[k]++
		}
	}
	return f
}

// LossDB returns the summed loss in dB of the fan's walls that the straight
// path from its point to b crosses.
func (f *WallFan) LossDB(b Point) float64 {
	dx, dy := b.X-f.from.X, b.Y-f.from.Y
	k := fanSector(dx, dy)
	r2 := dx*dx + dy*dy
	var loss float64
	for _, w := range f.walls[f.start[k]:f.start[k+1]] {
		if r2 >= w.near2 && segmentsCross(f.from, b, w.a, w.b) {
			loss += w.lossDB
		}
	}
	return loss
}

// Zones returns the zones of the site's rooms, sorted, each once: those an
// alert can name (a sensor's zones are among them: Validate).
func (s *Site) Zones() []string {
	var zones []string
	for _, r := range s.Rooms {
		if r.Zone != "" {
			zones = append(zones, r.Zone)
		}
	}
	slices.Sort(zones)
	return slices.Compact(zones)
}

// ZoneOf returns the zone of the room with the given ID, "" when unknown.
func (s *Site) ZoneOf(room string) string {
	for _, r := range s.Rooms {
		if r.ID == room {
			return r.Zone
		}
	}
	return ""
}

// Room returns the room with the given ID.
func (s *Site) Room(id string) (Room, bool) {
	for _, r := range s.Rooms {
		if r.ID == id {
			return r, true
		}
	}
	return Room{}, false
}

// Sensor returns the sensor with the given ID.
func (s *Site) Sensor(id string) (Sensor, bool) {
	for _, sn := range s.Sensors {
		if sn.ID == id {
			return sn, true
		}
	}
	return Sensor{}, false
}

// SensorsInZone returns the IDs of the sensors that cover zone.
func (s *Site) SensorsInZone(zone string) []string {
	var ids []string
	for _, sn := range s.Sensors {
		for _, z := range sn.Zones {
			if z == zone {
				ids = append(ids, sn.ID)
				break
			}
		}
	}
	return ids
}

// Overlaps reports whether polygons a and b share some area, as far as
// their outlines tell: two of their edges cross, or one holds a point
// inside the other (InnerPoint). Rooms that only meet along a wall do not overlap; two
// that coincide do. Two outlines that share area only through edges
// running along each other and corners on edges (a square and the same
// square slid by part of a side) can be missed.
func Overlaps(a, b []Point) bool {
	alo, ahi := Bounds(a)
	blo, bhi := Bounds(b)
	if alo.X >= bhi.X || blo.X >= ahi.X || alo.Y >= bhi.Y || blo.Y >= ahi.Y {
		return false
	}
	for i := range a {
		for j := range b {
			if segmentsCross(a[i], a[(i+1)%len(a)], b[j], b[(j+1)%len(b)]) {
				return true
			}
		}
	}
	return insideOf(a, b) || insideOf(b, a)
}

// insideOf reports whether an inner point of polygon p (InnerPoint)
// lies inside q.
func insideOf(p, q []Point) bool {
	m, ok := InnerPoint(p)
	return ok && Contains(q, m)
}

// InnerPoint returns a point inside polygon p: the mean of its corners,
// or, for a polygon that does not hold it (an L), the point of a 20 × 20
// grid over its bounding box nearest it that p holds; false when none is.
func InnerPoint(p []Point) (Point, bool) {
	var m Point
	for _, v := range p {
		m.X += v.X / float64(len(p))
		m.Y += v.Y / float64(len(p))
	}
	if Contains(p, m) {
		return m, true
	}
	lo, hi := Bounds(p)
	best, bestD := m, math.Inf(1)
	dx, dy := (hi.X-lo.X)/20, (hi.Y-lo.Y)/20
	for i := range 20 {
		for j := range 20 {
			q := Point{X: lo.X + (float64(i)+0.5)*dx, Y: lo.Y + (float64(j)+0.5)*dy}
			if d := math.Hypot(q.X-m.X, q.Y-m.Y); d < bestD && Contains(p, q) {
				best, bestD = q, d
			}
		}
	}
	return best, !math.IsInf(bestD, 1)
}
