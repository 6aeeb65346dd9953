package dashboard

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"unicode/utf8"

	"github.com/rfwarden/rfwarden/fusion/site"
)

// FloorSVG draws one floor of the site as SVG in metres. Site y points
// north (up), SVG y points down, so every y is drawn as yflip-y where yflip
// (minY+maxY) is stored in the root's data-yflip attribute for scripts that
// add emitters. Each room is a <polygon class="room" data-room=ID
// data-zone=ZONE>; sensors are <circle class="sensor">. Unknown-zone hatching
// uses the pattern #hatch (light) or #hatch-dark: see-through lines, drawn
// over a room's heat colour, the dark ones over the light colours.
//
// The view is fitted to the floor's rooms and sensors but for the "outside"
// rooms: those are catch-alls around the site (the demo's reaches 150 m out,
// against a 48 m wing) and are drawn, cut off by the view's edge. Each room's
// label is sized to fit inside it, at most the floor's label size (labelFont),
// and a room whose name would be drawn under 3/4 of that size is labelled
// with its ID when the ID reads larger (the name stays in its tooltip).
func FloorSVG(s *site.Site, floor string) ([]byte, error) {
	if s == nil {
		return nil, fmt.Errorf("no site model loaded")
	}
	found := false
	for _, f := range s.Floors {
		found = found || f.ID == floor
	}
	if !found {
		return nil, fmt.Errorf("floor %q not in site %q", floor, s.ID)
	}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	grow := func(p site.Point) {
		minX, minY = math.Min(minX, p.X), math.Min(minY, p.Y)
		maxX, maxY = math.Max(maxX, p.X), math.Max(maxY, p.Y)
	}
	for _, r := range s.Rooms {
		if r.Floor == floor && r.Kind != site.KindOutside {
			for _, p := range r.Polygon {
				grow(p)
			}
		}
	}
	for _, sn := range s.Sensors {
		if sn.Floor == floor {
			grow(sn.Pos)
		}
	}
	if math.IsInf(minX, 0) { // only outside rooms, or none
		for _, r := range s.Rooms {
			if r.Floor == floor {
				for _, p := range r.Polygon {
					grow(p)
				}
			}
		}
	}
	if math.IsInf(minX, 0) {
		minX, minY, maxX, maxY = 0, 0, 10, 10
	}
	const pad = 1.0
	yflip := minY + maxY
	w, h := maxX-minX+2*pad, maxY-minY+2*pad
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="floor" viewBox="%.2f %.2f %.2f %.2f" data-floor="%s" data-yflip="%.3f" preserveAspectRatio="xMidYMid meet">`,
		minX-pad, minY-pad, w, h, html.EscapeString(floor), yflip)
	// light lines over the dark heat colours, dark over the green and the
	// yellow: 3:1 against each (TestTUIHeatOverlayContrast)
	b.WriteString(`<defs><pattern id="hatch" width="1" height="1" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="1" stroke="#fff" stroke-opacity="0.8" stroke-width="0.3"/></pattern>`)
	b.WriteString(`<pattern id="hatch-dark" width="1" height="1" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="1" stroke="#000" stroke-opacity="0.7" stroke-width="0.3"/></pattern></defs>`)
	font := labelFont(w, h)
	order := drawOrder(s.Rooms, floor)
	for n, i := range order {
		r := s.Rooms[i]
		fmt.Fprintf(&b, `<polygon class="room kind-%s" data-room="%s" data-zone="%s" fill="#1d2633" stroke="#8aa" stroke-width="%.3f" points="`,
			html.EscapeString(r.Kind), html.EscapeString(r.ID), html.EscapeString(r.Zone), font/10)
		var cx, cy float64
		for i, p := range r.Polygon {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%.3f,%.3f", p.X, yflip-p.Y)
			cx += p.X
			cy += p.Y
		}
		cx /= float64(len(r.Polygon))
		cy /= float64(len(r.Polygon))
		name := r.Name
		if name == "" {
			name = r.ID
		}
		fmt.Fprintf(&b, `"><title>%s (%s)</title></polygon>`, html.EscapeString(name), html.EscapeString(r.Zone))
		if r.Kind == site.KindOutside {
			// its centroid can lie anywhere, even inside the building
			continue
		}
		lo, hi := site.Bounds(r.Polygon)
		label, size := name, labelSize(name, hi.X-lo.X, hi.Y-lo.Y, font)
		if size < 0.75*font {
			if idSize := labelSize(r.ID, hi.X-lo.X, hi.Y-lo.Y, font); idSize > size {
				label, size = r.ID, idSize
			}
		}
		above := make([]site.Room, 0, len(order)-n-1)
		for _, j := range order[n+1:] {
			above = append(above, s.Rooms[j])
		}
		at, ok := labelSpot(r.Polygon, above, site.Point{X: cx, Y: cy}, label, size)
		if !ok {
			continue // a yard full of rooms: its name is in its tooltip
		}
		fmt.Fprintf(&b, `<text class="room-label" x="%.3f" y="%.3f" font-size="%.3f" text-anchor="middle" dominant-baseline="middle" fill="#dde" pointer-events="none">%s</text>`,
			at.X, yflip-at.Y, size, html.EscapeString(label))
	}
	for _, sn := range s.Sensors {
		if sn.Floor != floor {
			continue
		}
		fmt.Fprintf(&b, `<circle class="sensor" data-sensor="%s" cx="%.3f" cy="%.3f" r="%.3f" fill="#4af" stroke="#fff" stroke-width="%.3f"><title>sensor %s</title></circle>`,
			html.EscapeString(sn.ID), sn.Pos.X, yflip-sn.Pos.Y, font/2, font/12, html.EscapeString(sn.ID))
	}
	b.WriteString(`<g id="emitters"></g></svg>`)
	return b.Bytes(), nil
}

// labelFont is the floor's label size, in metres, for a drawing of w × h
// metres: a 40th of its short side, and at least a 70th of its width. The
// page fits the drawing to a wide box (the floor plan's column, 70% of the
// window high), so a long, shallow floor is drawn to its width: a 40th of
// its depth alone made Landing 2's labels (50 × 14 m) about 6 px high
// (TestFloorSVGWideFloorReadable). Never under 0.4 m.
func labelFont(w, h float64) float64 {
	return math.Max(0.4, math.Max(math.Min(w, h)/40, w/70))
}

// labelSize is the font size, in metres, at which label fits a room of
// w × h metres (its bounding box): at most maxSize, 90% of the width at
// about 0.6 em per character, and half the height.
func labelSize(label string, w, h, maxSize float64) float64 {
	n := float64(max(1, utf8.RuneCountInString(label)))
	return math.Min(maxSize, math.Min(0.9*w/(0.6*n), h/2))
}

// drawOrder returns the indexes in rooms of floor's rooms (of 3 points or
// more) in the order they are drawn, each over those before it: a room
// that overlaps one listed before it (site.Overlaps: a yard around the
// wing, listed after it as docs/site.md asks) under every room listed
// before it, so the room drawn on top at a point is the one localisation
// gives the point (site.RoomAt: the first listed). Such rooms come first,
// the last listed first, then the others in file order, which is also
// the order Tab takes them in: the rooms as the site file lists them,
// after the yards and grounds around them. Drawn in file order, a yard
// listed last hid every room inside it.
func drawOrder(rooms []site.Room, floor string) []int {
	var idx []int
	for i, r := range rooms {
		if r.Floor == floor && len(r.Polygon) >= 3 {
			idx = append(idx, i)
		}
	}
	under := make([]bool, len(idx))
	for m := range idx {
		for k := range m {
			if site.Overlaps(rooms[idx[k]].Polygon, rooms[idx[m]].Polygon) {
				under[m] = true
				break
			}
		}
	}
	order := make([]int, 0, len(idx))
	for m := len(idx) - 1; m >= 0; m-- {
		if under[m] {
			order = append(order, idx[m])
		}
	}
	for m, i := range idx {
		if !under[m] {
			order = append(order, i)
		}
	}
	return order
}

// labelSpot returns where to centre a room's label of size (metres) in
// the room of polygon p, with the count line the page writes under it
// (roomCount in app.js): at centre, the mean of its corners, as ever,
// unless a room drawn over it (above) hides part of them; then the
// highest spot inside p that no room above hides, the nearest centre's x
// of its row (a yard's band above the wing). False when there is none.
func labelSpot(p []site.Point, above []site.Room, centre site.Point, label string, size float64) (site.Point, bool) {
	w := 0.6 * float64(max(1, utf8.RuneCountInString(label))) * size
	free := func(c site.Point, inside bool) bool {
		for _, dx := range []float64{-w / 2, 0, w / 2} {
			for _, dy := range []float64{size / 2, 0, -0.6 * size, -1.15 * size, -1.65 * size} {
				q := site.Point{X: c.X + dx, Y: c.Y + dy}
				if inside && !site.Contains(p, q) {
					return false
				}
				for _, r := range above {
					if site.Contains(r.Polygon, q) {
						return false
					}
				}
			}
		}
		return true
	}
	if free(centre, false) {
		return centre, true
	}
	lo, hi := site.Bounds(p)
	step := size / 2
	for y := hi.Y - size/2; y-1.65*size >= lo.Y; y -= step {
		for d := 0.0; centre.X-d-w/2 >= lo.X || centre.X+d+w/2 <= hi.X; d += step {
			for _, x := range []float64{centre.X - d, centre.X + d} {
				if c := (site.Point{X: x, Y: y}); free(c, true) {
					return c, true
				}
			}
		}
	}
	return site.Point{}, false
}
