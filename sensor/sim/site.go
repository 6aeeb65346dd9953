package sim

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/rfwarden/rfwarden/internal/yamlstrict"
)

// MaxSiteBytes bounds a site file FromSite reads (as fusion/site does).
const MaxSiteBytes = 4 << 20

// ErrNoCell is returned by FromSite for a site without a room of kind
// cell: the simulated phones sit in cells, so there would be nothing to find.
var ErrNoCell = errors.New("no room of kind cell")

// FromSite returns a simulated wing made from a site file (the YAML of
// docs/site.md that fusion/site loads): its floors, rooms, walls and
// sensors as the file gives them, its ID and name, and a cast of emitters
// placed in its rooms by kind, drawn from cfg.Seed (cfg.SiteID is not
// used; a zero cfg.Start means DefaultStart()). The cast is the standard
// wing's emitters (New), moved:
//
//   - its four illicit phones (phone-lte-1, phone-gsm-1, phone-lte-2,
//     phone-nr-1), each in a cell picked at random, in different cells
//     while there are enough, on the standard night schedule (1 to 3
//     sessions every 20 minutes from 20:00 to 07:00 UTC, 0 or 1 by day);
//   - a staff radio (radio-1, authorised) in a landing or office, if the
//     site has one;
//   - if the site has an outdoor room (yard, perimeter or outside), the
//     drone (drone-id, drone-video) hovering 15 m over a yard, else a
//     perimeter, else the outside, and its controller (drone-rc) in the
//     outside, else a perimeter, else the yard, from where the drone flies
//     in.
//
// The points are drawn inside each room where it is the room named there
// (the first listed). It refuses a file that is not strict YAML of that
// shape, one whose rooms, walls or sensors name a floor it does not list,
// a room of fewer than 3 points, a site without sensors, and one without
// a cell (ErrNoCell). fusion validates a site file fully
// (`rfwarden fusion --check`); FromSite checks what the simulation needs.
func FromSite(data []byte, cfg Config) (*Wing, error) {
	if len(data) > MaxSiteBytes {
		return nil, fmt.Errorf("site file larger than %d bytes", MaxSiteBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("site file is empty: give a site file as docs/site.md describes")
	}
	var s siteYAML
	if err := yamlstrict.Decode(data, &s); err != nil {
		return nil, fmt.Errorf("decode site file: %w", err)
	}
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("site %q: %w", s.ID, err)
	}
	if cfg.Start.IsZero() {
		cfg.Start = DefaultStart()
	}
	w := &Wing{SiteID: s.ID, Name: s.Name + " (simulated)", Seed: cfg.Seed, Start: cfg.Start.UTC(),
		Floors: s.Floors, Rooms: s.Rooms, Walls: s.Walls, sensors: s.Sensors}
	if s.Name == "" {
		w.Name = s.ID + " (simulated)"
	}
	if err := w.castFromStandard(); err != nil {
		return nil, fmt.Errorf("site %q: %w", s.ID, err)
	}
	return w, nil
}

// check reports what would make the simulation of s wrong or empty.
func (s siteYAML) check() error {
	if len(s.Floors) == 0 {
		return errors.New("floors: none: list the site's floors (docs/site.md)")
	}
	floors := make(map[string]bool, len(s.Floors))
	for _, f := range s.Floors {
		floors[f.ID] = true
	}
	for i, r := range s.Rooms {
		switch {
		case !floors[r.Floor]:
			return fmt.Errorf("rooms[%d] (%s): floor %q is not one of floors:", i, r.ID, r.Floor)
		case len(r.Polygon) < 3:
			return fmt.Errorf("rooms[%d] (%s): polygon has %d points, want at least 3", i, r.ID, len(r.Polygon))
		}
	}
	for i, wl := range s.Walls {
		if !floors[wl.Floor] {
			return fmt.Errorf("walls[%d]: floor %q is not one of floors:", i, wl.Floor)
		}
	}
	if len(s.Sensors) == 0 {
		return errors.New("sensors: none: list the sensors' antennas, or nothing hears the simulated emitters")
	}
	for i, se := range s.Sensors {
		if !floors[se.Floor] {
			return fmt.Errorf("sensors[%d] (%s): floor %q is not one of floors:", i, se.ID, se.Floor)
		}
	}
	if !slices.ContainsFunc(s.Rooms, func(r Room) bool { return r.Kind == "cell" }) {
		return fmt.Errorf("%w: the simulator places its phones in cells, so it would have nothing to find: add the cells (kind: cell, docs/site.md)", ErrNoCell)
	}
	return nil
}

// castFromStandard places the standard wing's phones, staff radio and
// drone in w's rooms (FromSite).
func (w *Wing) castFromStandard() error {
	rng := rand.New(rand.NewPCG(mix64(w.Seed, "site-cast", w.SiteID), 2))
	std := New(Config{Seed: w.Seed}).emit
	template := func(id string) Emitter { return std[slices.IndexFunc(std, func(e Emitter) bool { return e.ID == id })] }
	roomsOf := func(kinds ...string) []Room {
		var out []Room
		for _, k := range kinds {
			for _, r := range w.Rooms {
				if r.Kind == k {
					out = append(out, r)
				}
			}
		}
		return out
	}
	place := func(e Emitter, r Room, p Point) {
		e.Floor, e.Pos, e.Room = r.Floor, p, r.ID
		w.emit = append(w.emit, e)
	}
	// phones, in shuffled cells that have a point of their own
	var cells []Room
	var cellPts []Point
	for _, r := range roomsOf("cell") {
		if p, ok := w.pointIn(r, rng); ok {
			cells = append(cells, r)
			cellPts = append(cellPts, p)
		}
	}
	if len(cells) == 0 {
		return fmt.Errorf("%w of its own: every cell lies inside a room listed before it (docs/site.md)", ErrNoCell)
	}
	rng.Shuffle(len(cells), func(i, j int) {
		cells[i], cells[j] = cells[j], cells[i]
		cellPts[i], cellPts[j] = cellPts[j], cellPts[i]
	})
	for i, id := range []string{"phone-lte-1", "phone-gsm-1", "phone-lte-2", "phone-nr-1"} {
		place(template(id), cells[i%len(cells)], cellPts[i%len(cells)])
	}
	// a staff radio on a landing or in an office
	staff := roomsOf("landing", "office")
	rng.Shuffle(len(staff), func(i, j int) { staff[i], staff[j] = staff[j], staff[i] })
	if p, r, ok := w.firstPointIn(staff, rng); ok {
		place(template("radio-1"), r, p)
	}
	// the drone over the yard, its controller outside
	hover, hoverRoom, okH := w.firstPointIn(roomsOf("yard", "perimeter", "outside"), rng)
	ctl, ctlRoom, okC := w.firstPointIn(roomsOf("outside", "perimeter", "yard"), rng)
	if okH && okC {
		rc := template("drone-rc")
		place(rc, ctlRoom, ctl)
		for _, id := range []string{"drone-id", "drone-video"} {
			d := template(id)
			from := ctl
			d.ApproachFrom = &from
			place(d, hoverRoom, hover)
		}
	}
	return nil
}

// firstPointIn returns a point of the first of rooms that has one of its own.
func (w *Wing) firstPointIn(rooms []Room, rng *rand.Rand) (Point, Room, bool) {
	for _, r := range rooms {
		if p, ok := w.pointIn(r, rng); ok {
			return p, r, true
		}
	}
	return Point{}, Room{}, false
}

// pointIn draws a point of room r that RoomAt names r (a room inside one
// listed before it has none), away from its edges where it can: within the
// middle 60% of its bounding box, else anywhere in it.
func (w *Wing) pointIn(r Room, rng *rand.Rand) (Point, bool) {
	lo, hi := r.Polygon[0], r.Polygon[0]
	for _, p := range r.Polygon {
		lo.X, lo.Y = min(lo.X, p.X), min(lo.Y, p.Y)
		hi.X, hi.Y = max(hi.X, p.X), max(hi.Y, p.Y)
	}
	for _, margin := range []float64{0.2, 0} {
		for range 200 {
			p := Point{X: lo.X + (hi.X-lo.X)*(margin+(1-2*margin)*rng.Float64()),
				Y: lo.Y + (hi.Y-lo.Y)*(margin+(1-2*margin)*rng.Float64())}
			if w.RoomAt(r.Floor, p) == r.ID {
				return p, true
			}
		}
	}
	return Point{}, false
}

// SensorIDs returns the IDs of the wing's sensors, in order, joined by ", ".
func (w *Wing) SensorIDs() string {
	ids := make([]string, len(w.sensors))
	for i, s := range w.sensors {
		ids[i] = s.ID
	}
	return strings.Join(ids, ", ")
}
