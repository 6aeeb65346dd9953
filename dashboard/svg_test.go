package dashboard

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/fusion/site"
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
