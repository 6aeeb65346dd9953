package dashboard

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/internal/sitedoc"
)

func TestFloorSVG(t *testing.T) {
	s := testSite()
	s.Rooms = append(s.Rooms, site.Room{ID: `x"><script>`, Name: "<b>evil</b>", Floor: "g", Kind: site.KindCell, Zone: "z",
		Polygon: []site.Point{{X: 20, Y: 0}, {X: 21, Y: 0}, {X: 21, Y: 1}}})
	b, err := FloorSVG(s, "g")
	if err != nil {
		t.Fatal(err)
	}
	// Well-formed XML, every room present once, markup in names escaped.
	dec := xml.NewDecoder(strings.NewReader(string(b)))
	rooms := map[string]string{}
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polygon" {
			var id, pts string
			for _, a := range se.Attr {
				switch a.Name.Local {
				case "data-room":
					id = a.Value
				case "points":
					pts = a.Value
				}
			}
			rooms[id] = pts
		}
	}
	if len(rooms) != len(s.Rooms) {
		t.Fatalf("got %d room polygons, want %d: %s", len(rooms), len(s.Rooms), b)
	}
	if strings.Contains(string(b), "<script>") || strings.Contains(string(b), "<b>") {
		t.Error("room names are not escaped")
	}
	// y is flipped: yflip = minY+maxY = 0+10; room a-101 spans y 0..4 -> 10..6.
	if got, want := rooms["a-101"], "0.000,10.000 3.000,10.000 3.000,6.000 0.000,6.000"; got != want {
		t.Errorf("a-101 points: got %q, want %q", got, want)
	}
	if _, err := FloorSVG(s, "roof"); err == nil {
		t.Error("unknown floor: want an error")
	}
	if _, err := FloorSVG(nil, "g"); err == nil {
		t.Error("nil site: want an error")
	}
}

func TestFloorSVGFitsTheBuilding(t *testing.T) {
	s := testSite()
	// a catch-all around the site, 200 m across against the 15 m building
	s.Rooms = append(s.Rooms, site.Room{ID: "out", Name: "Outside the wall", Floor: "g", Kind: site.KindOutside, Zone: "outside",
		Polygon: []site.Point{{X: -100, Y: -100}, {X: 100, Y: -100}, {X: 100, Y: 100}, {X: -100, Y: 100}}})
	// a 3 × 4 m cell whose name cannot be read at the drawing's size
	s.Rooms[0].Name = "Cell A1 south, one of twelve"
	b, err := FloorSVG(s, "g")
	if err != nil {
		t.Fatal(err)
	}
	var root struct {
		ViewBox string `xml:"viewBox,attr"`
		Polys   []struct {
			Room string `xml:"data-room,attr"`
		} `xml:"polygon"`
	}
	if err := xml.Unmarshal(b, &root); err != nil {
		t.Fatal(err)
	}
	// rooms span x 0..15, y 0..10; 1 m of padding
	if root.ViewBox != "-1.00 -1.00 17.00 12.00" {
		t.Errorf("viewBox %q, want the building's -1.00 -1.00 17.00 12.00", root.ViewBox)
	}
	if len(root.Polys) != len(s.Rooms) {
		t.Errorf("%d room polygons, want %d (outside drawn too)", len(root.Polys), len(s.Rooms))
	}
	labels := svgLabels(t, b)
	if _, ok := labels["Outside the wall"]; ok {
		t.Error("the outside room is labelled (its centroid may fall anywhere)")
	}
	if _, ok := labels["a-101"]; !ok {
		t.Errorf("the cell with the long name is not labelled with its ID: %v", labels)
	}
	// every label fits its room: 3 m cells, at 0.6 em per character
	for _, name := range []string{"a-101", "A1-02", "B1-01"} {
		size, ok := labels[name]
		if !ok || size <= 0 || 0.6*size*float64(len(name)) > 3 {
			t.Errorf("label %q at %.2f m (present %v): wants to fit 3 m", name, size, ok)
		}
	}
}

// TestFloorSVGWideFloorReadable: a long, shallow floor (the standard
// site's Landing 2, 48 × 12 m of 4 m cells) is drawn to the page's width,
// and its cells' names fitted only at a 40th of its depth, about 6 px on
// screen: its labels are sized to its width, and a cell whose name would
// be small is labelled with its ID, larger.
func TestFloorSVGWideFloorReadable(t *testing.T) {
	s := &site.Site{ID: "hmp1", Floors: []site.Floor{{ID: "L2", Name: "Landing 2"}}}
	for i := range 12 {
		x := float64(4 * i)
		for j, side := range []string{"south", "north"} {
			y := float64(8 * j)
			s.Rooms = append(s.Rooms, site.Room{ID: fmt.Sprintf("L2-%c%02d", strings.ToUpper(side)[0], i+1), Name: fmt.Sprintf("Cell L2 %s %d", side, i+1),
				Floor: "L2", Kind: site.KindCell, Zone: "wing-a", Polygon: []site.Point{{X: x, Y: y}, {X: x + 4, Y: y}, {X: x + 4, Y: y + 4}, {X: x, Y: y + 4}}})
		}
	}
	b, err := FloorSVG(s, "L2")
	if err != nil {
		t.Fatal(err)
	}
	labels := svgLabels(t, b)
	// 50 m wide with its padding: a 70th is 0.71 m, where a 40th of its
	// 14 m depth was the 0.4 m floor
	if size, ok := labels["L2-N07"]; !ok || size < 0.7 {
		t.Errorf("cell L2-N07 labelled %v: want its ID at 0.7 m or more (a 70th of the floor's width)", labels)
	}
}

// svgLabels returns the font size of each text of floor drawing b, by its
// text (the rooms' labels).
func svgLabels(t *testing.T, b []byte) map[string]float64 {
	t.Helper()
	var root struct {
		Texts []struct {
			Size  float64 `xml:"font-size,attr"`
			Label string  `xml:",chardata"`
		} `xml:"text"`
	}
	if err := xml.Unmarshal(b, &root); err != nil {
		t.Fatal(err)
	}
	labels := map[string]float64{}
	for _, x := range root.Texts {
		labels[x.Label] = x.Size
	}
	return labels
}

// TestFloorSVGEnclosingRoomUnder: docs/site.md's example floor c1, whose
// yard C-YARD is listed after the rooms it encloses (the first listed
// room holds a point): the yard is drawn first, under them, and the rooms
// in file order after it, each with its label right after it; the yard's
// label sits in the yard, on no room. Drawn in file order, the opaque
// yard hid every room of the wing (a 396-room site showed one room,
// "Grounds").
func TestFloorSVGEnclosingRoomUnder(t *testing.T) {
	_, example := sitedoc.Example(t, "..")
	s, err := site.Load(bytes.NewReader(example))
	if err != nil {
		t.Fatal(err)
	}
	b, err := FloorSVG(s, "c1")
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	labels := map[string][2]float64{}
	var last string
	dec := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		attr := map[string]string{}
		for _, a := range se.Attr {
			attr[a.Name.Local] = a.Value
		}
		switch {
		case se.Name.Local == "polygon":
			last = attr["data-room"]
			order = append(order, last)
		case se.Name.Local == "text" && attr["class"] == "room-label":
			var x, y float64
			fmt.Sscan(attr["x"], &x)
			fmt.Sscan(attr["y"], &y)
			labels[last] = [2]float64{x, y}
		}
	}
	if got, want := strings.Join(order, " "), "C-YARD C1-01 C1-02 C1-OFF C1-LAND C-OUT"; got != want {
		t.Errorf("rooms drawn in order %q, want %q (the yard, which encloses rooms listed before it, first; C-OUT only meets it)", got, want)
	}
	yard, ok := labels["C-YARD"]
	if !ok {
		t.Fatalf("C-YARD has no label: %v", labels)
	}
	var yflip float64
	fmt.Sscanf(string(b[bytes.Index(b, []byte(`data-yflip="`))+len(`data-yflip="`):]), "%g", &yflip)
	at := site.Point{X: yard[0], Y: yflip - yard[1]}
	if r, _ := s.RoomAt("c1", at); r.ID != "C-YARD" {
		t.Errorf("C-YARD's label at (%v, %v) m is in room %q, want in the yard, on no room of the wing", at.X, at.Y, r.ID)
	}
	for _, id := range []string{"C1-01", "C1-02", "C1-OFF", "C1-LAND"} {
		if _, ok := labels[id]; !ok {
			t.Errorf("room %s has no label", id)
		}
	}
}
