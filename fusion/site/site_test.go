package site

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoadFiles(t *testing.T) {
	wantErr := map[string]string{
		"duplicate-room.bad.yaml":   `duplicate id "c1"`,
		"polygon-short.bad.yaml":    "at least 3 points",
		"polygon-bowtie.bad.yaml":   "self-intersecting",
		"room-kind.bad.yaml":        `kind "kitchen"`,
		"room-floor.bad.yaml":       `floor "f9" does not exist`,
		"sensor-floor.bad.yaml":     `sensor "s1": floor "f2" does not exist`,
		"sensor-duplicate.bad.yaml": `duplicate id "s1"`,
		"wall-loss.bad.yaml":        "walls[0].loss_db: must be in (0, 200]",
		"unknown-field.bad.yaml":    "colour",
		"no-floors.bad.yaml":        "at least one floor",
		"id-topic.bad.yaml":         "one MQTT topic level",
		"id-dot.bad.yaml":           `id "hmp.north": not a valid ID`,
		"sensor-id.bad.yaml":        `sensors[1].id: "wing a.1" is not a valid ID`,
		"sensor-zone.bad.yaml":      `sensor "s2": zone "wing_north" is not the zone of any room (zones: wing-north, yard)`,
	}
	files, err := siteFiles()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			_, err := LoadFile(f)
			if !strings.HasSuffix(name, ".bad.yaml") {
				if err != nil {
					t.Fatalf("LoadFile: %v", err)
				}
				return
			}
			want, ok := wantErr[name]
			if !ok {
				t.Fatalf("bad file %s has no expected error in the table", name)
			}
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("got error %v, want it to contain %q", err, want)
			}
		})
	}
}

// sharedSites holds the site models other packages' tests load too (the
// repository's testdata/); testdata/ here holds this package's bad ones.
const sharedSites = "../../testdata/sites"

// siteFiles returns the site YAML files LoadFile is tested on: the shared
// good ones and this package's bad ones (*.bad.yaml).
func siteFiles() ([]string, error) {
	good, err := filepath.Glob(sharedSites + "/*.yaml")
	if err != nil || len(good) == 0 {
		return nil, fmt.Errorf("glob %s: %v (%d files)", sharedSites, err, len(good))
	}
	bad, err := filepath.Glob("testdata/*.bad.yaml")
	if err != nil || len(bad) == 0 {
		return nil, fmt.Errorf("glob testdata: %v (%d files)", err, len(bad))
	}
	return append(good, bad...), nil
}

func TestLoadInvalidWrapsErrInvalid(t *testing.T) {
	_, err := Load(strings.NewReader("id: x\nfloors: []\n"))
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("got %v, want ErrInvalid", err)
	}
}

// TestLoadErrorLines: a site that decodes but does not validate is
// refused with the line and column of the offending item and its key as
// written, as a decode error is; Validate, on a site built in Go, names
// the object without a position.
func TestLoadErrorLines(t *testing.T) {
	const head = "id: tiny\nfloors:\n  - id: f1\nrooms:\n"
	const room = "  - {id: c1, floor: f1, kind: cell, zone: z, polygon: [{x: 0, y: 0}, {x: 3, y: 0}, {x: 3, y: 3}]}\n"
	tests := []struct {
		name string
		doc  string
		want []string // in Load's error
	}{
		{"duplicate room", head + room + room,
			[]string{"[6:10] rooms[1].id:", `duplicate id "c1"`, "6 |   - {id: c1"}},
		{"room on an unknown floor", head + "  - id: c2\n    floor: f9\n    kind: cell\n    polygon: [{x: 0, y: 0}, {x: 3, y: 0}, {x: 3, y: 3}]\n",
			[]string{"[6:12] rooms[0].floor:", `room "c2": floor "f9" does not exist`, "6 |     floor: f9"}},
		{"duplicate floor", "id: tiny\nfloors:\n  - id: f1\n  - id: f1\n",
			[]string{"[4:9] floors[1].id:", `duplicate id "f1"`}},
		{"room kind", head + "  - {id: c1, floor: f1, kind: kitchen, polygon: [{x: 0, y: 0}, {x: 3, y: 0}, {x: 3, y: 3}]}\n",
			[]string{"[5:31] rooms[0].kind:", `room "c1": kind "kitchen" is not one of cell, landing`}},
		{"sensor floor", head + room + "sensors:\n  - id: s1\n    floor: f2\n    pos: {x: 1, y: 1}\n",
			[]string{"[8:12] sensors[0].floor:", `sensor "s1": floor "f2" does not exist`}},
		{"sensor zone", head + room + "sensors:\n  - id: s1\n    floor: f1\n    zones: [z, Z]\n",
			[]string{"[9:16] sensors[0].zones[1]:", `sensor "s1": zone "Z" is not the zone of any room (zones: z)`}},
		{"wall loss", head + room + "walls:\n  - {floor: f1, a: {x: 0, y: 0}, b: {x: 1, y: 0}, loss_db: 0}\n",
			[]string{"walls[0].loss_db: must be in (0, 200]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tt.doc))
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
	s := &Site{ID: "tiny", Floors: []Floor{{ID: "f1"}}, Rooms: []Room{{ID: "c1", Floor: "f9"}}}
	if err := s.Validate(); !errors.Is(err, ErrInvalid) || err.Error() != `invalid site: rooms[0].floor: room "c1": floor "f9" does not exist` {
		t.Errorf("Validate: got %v", err)
	}
}

func loadWing(t testing.TB) *Site {
	t.Helper()
	s, err := LoadFile(sharedSites + "/wing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRoomAt(t *testing.T) {
	s := loadWing(t)
	tests := []struct {
		p      Point
		want   string
		wantOK bool
	}{
		{Point{2.5, 2}, "B2-01", true},
		{Point{37.5, 9}, "B2-16", true},
		{Point{20, 5.5}, "B2-landing", true},
		{Point{20, -5}, "yard", true},
		{Point{100, 100}, "", false},
	}
	for _, tt := range tests {
		got, ok := s.RoomAt("g", tt.p)
		if ok != tt.wantOK || got.ID != tt.want {
			t.Errorf("RoomAt(%v) = %q, %v; want %q, %v", tt.p, got.ID, ok, tt.want, tt.wantOK)
		}
	}
	if _, ok := s.RoomAt("nofloor", Point{2.5, 2}); ok {
		t.Error("RoomAt on a missing floor found a room")
	}
}

func TestWallLossDB(t *testing.T) {
	s := loadWing(t)
	tests := []struct {
		a, b Point
		want float64
	}{
		{Point{2.5, 2}, Point{2.5, 3}, 0},            // inside one cell
		{Point{2.5, 2}, Point{2.5, 5.5}, 8},          // cell to landing
		{Point{2.5, 2}, Point{12.5, 2}, 12},          // two cell walls
		{Point{2.5, 2}, Point{2.5, 9}, 16},           // across the landing
		{Point{2.5, 2}, Point{2.5, -5}, 12},          // out through the back wall
		{Point{2.5, 2}, Point{17.5, 9}, 8 + 8 + 6*2}, // diagonal: 2 corridor walls, cell walls at x=5 and x=15
	}
	for _, tt := range tests {
		if got := s.WallLossDB("g", tt.a, tt.b); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("WallLossDB(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestLookups(t *testing.T) {
	s := loadWing(t)
	if got := s.ZoneOf("B2-14"); got != "wing-b" {
		t.Errorf("ZoneOf(B2-14) = %q, want wing-b", got)
	}
	if got := s.ZoneOf("nope"); got != "" {
		t.Errorf("ZoneOf(nope) = %q, want empty", got)
	}
	if sn, ok := s.Sensor("s3"); !ok || sn.Pos != (Point{12.5, 2}) {
		t.Errorf("Sensor(s3) = %+v, %v", sn, ok)
	}
	if got := s.SensorsInZone("wing-b"); len(got) != 6 {
		t.Errorf("SensorsInZone(wing-b) = %v, want 6 sensors", got)
	}
	// 17 rooms in wing-b and one in the yard: each zone once, sorted.
	if got, want := s.Zones(), []string{"wing-b", "yard"}; !slices.Equal(got, want) {
		t.Errorf("Zones() = %q, want %q", got, want)
	}
	if got := (&Site{}).Zones(); len(got) != 0 {
		t.Errorf("Zones() of a site without rooms = %q, want none", got)
	}
	// The yard encloses the wing: floor g spans it.
	if lo, hi, ok := s.FloorBounds("g"); !ok || lo != (Point{-20, -20}) || hi != (Point{60, 31}) {
		t.Errorf("FloorBounds(g) = %v, %v, %v, want (-20,-20), (60,31)", lo, hi, ok)
	}
	if _, _, ok := s.FloorBounds("nope"); ok {
		t.Error("FloorBounds of a floor without rooms says it has some")
	}
	// A room in no zone names none.
	odd := &Site{Rooms: []Room{{ID: "r1", Zone: "wing-c"}, {ID: "r2"}, {ID: "r3", Zone: "wing-a"}, {ID: "r4", Zone: "wing-c"}}}
	if got, want := odd.Zones(), []string{"wing-a", "wing-c"}; !slices.Equal(got, want) {
		t.Errorf("Zones() = %q, want %q", got, want)
	}
}

func TestSelfIntersects(t *testing.T) {
	tests := []struct {
		name string
		p    []Point
		want bool
	}{
		{"square", []Point{{0, 0}, {1, 0}, {1, 1}, {0, 1}}, false},
		{"bowtie", []Point{{0, 0}, {1, 1}, {1, 0}, {0, 1}}, true},
		{"concave L", []Point{{0, 0}, {2, 0}, {2, 1}, {1, 1}, {1, 2}, {0, 2}}, false},
		{"triangle", []Point{{0, 0}, {1, 0}, {0, 1}}, false},
	}
	for _, tt := range tests {
		if got := selfIntersects(tt.p); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func FuzzLoad(f *testing.F) {
	files, err := siteFiles()
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Load(bytes.NewReader(data))
		if err != nil {
			if s != nil {
				t.Fatal("non-nil site with an error")
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("loaded site fails validation: %v", err)
		}
		for _, r := range s.Rooms {
			lo, hi := Bounds(r.Polygon)
			s.RoomAt(r.Floor, Point{(lo.X + hi.X) / 2, (lo.Y + hi.Y) / 2})
			s.WallLossDB(r.Floor, lo, hi)
		}
	})
}

// TestWallFan: a WallFan's loss equals WallLossDB's, to the bit, from
// points in the test wing's rooms, on its walls, at their ends and next to
// them, and in random sites where walls pass through, end at or point at
// the fan's point and paths run along walls.
func TestWallFan(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	wing := loadWing(t)
	grid := func() float64 { return float64(rng.IntN(41)-20) / 2 } // on a 0.5 m lattice, like the walls
	random := func() float64 { return 40*rng.Float64() - 20 }
	crossed := 0
	for i := range 400 {
		s := wing
		if i%2 == 1 {
			s = &Site{}
			for range 1 + rng.IntN(60) {
				w := Wall{Floor: "g", A: Point{grid(), grid()}, LossDB: float64(1+rng.IntN(20)) + rng.Float64()}
				switch rng.IntN(3) {
				case 0: // axis-aligned
					w.B = w.A
					if rng.IntN(2) == 0 {
						w.B.X = grid()
					} else {
						w.B.Y = grid()
					}
				case 1:
					w.B = Point{grid(), grid()}
				default:
					w.A, w.B = Point{random(), random()}, Point{random(), random()}
				}
				s.Walls = append(s.Walls, w, Wall{Floor: "other", A: w.A, B: w.B, LossDB: 100})
			}
		}
		var from Point
		switch w := s.Walls[rng.IntN(len(s.Walls))]; rng.IntN(4) {
		case 0:
			from = Point{grid(), grid()}
		case 1:
			from = Point{random(), random()}
		case 2: // on a wall, or on its line
			t := float64(rng.IntN(5)-1) / 2
			from = Point{w.A.X + t*(w.B.X-w.A.X), w.A.Y + t*(w.B.Y-w.A.Y)}
		default:
			from = w.A
		}
		if i%2 == 1 && rng.IntN(3) == 0 { // a wall through the point, one ending at it, one pointing at it
			d := Point{random(), random()}
			s.Walls = append(s.Walls,
				Wall{Floor: "g", A: Point{from.X - d.X, from.Y - d.Y}, B: Point{from.X + d.X, from.Y + d.Y}, LossDB: 3},
				Wall{Floor: "g", A: from, B: d, LossDB: 5},
				Wall{Floor: "g", A: Point{from.X + d.X, from.Y + d.Y}, B: Point{from.X + 2*d.X, from.Y + 2*d.Y}, LossDB: 7})
		}
		fan := s.WallFan("g", from)
		for range 200 {
			var b Point
			switch w := s.Walls[rng.IntN(len(s.Walls))]; rng.IntN(5) {
			case 0:
				b = Point{grid(), grid()}
			case 1:
				b = Point{random(), random()}
			case 2: // on a wall's line, its ends and beyond
				t := float64(rng.IntN(9)-2) / 4
				b = Point{w.A.X + t*(w.B.X-w.A.X), w.A.Y + t*(w.B.Y-w.A.Y)}
			case 3: // along the direction of a wall's end, before and beyond it
				t := []float64{0.5, 0.999999, 1, 1.000001, 2}[rng.IntN(5)]
				b = Point{from.X + t*(w.B.X-from.X), from.Y + t*(w.B.Y-from.Y)}
			default:
				b = from
			}
			got, want := fan.LossDB(b), s.WallLossDB("g", from, b)
			if math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("site %d, from %v to %v: fan %v, WallLossDB %v", i, from, b, got, want)
			}
			if want > 0 {
				crossed++
			}
		}
	}
	if crossed < 20000 {
		t.Errorf("only %d of 80000 paths crossed a wall", crossed)
	}
}

// TestOverlaps: rooms that share area overlap, those that only meet along
// a wall or a corner do not.
func TestOverlaps(t *testing.T) {
	sq := func(x, y, w, h float64) []Point {
		return []Point{{X: x, Y: y}, {X: x + w, Y: y}, {X: x + w, Y: y + h}, {X: x, Y: y + h}}
	}
	for _, tc := range []struct {
		name string
		a, b []Point
		want bool
	}{
		{"yard around a cell", sq(0, 0, 4, 3), sq(-15, -15, 42, 36), true},
		{"cell around nothing: the yard inside out", sq(-15, -15, 42, 36), sq(0, 0, 4, 3), true},
		{"cells sharing a wall", sq(0, 0, 4, 3), sq(4, 0, 4, 3), false},
		{"cells sharing a corner", sq(0, 0, 4, 3), sq(4, 3, 4, 3), false},
		{"cell in the yard's corner", sq(0, 0, 4, 3), sq(0, 0, 10, 10), true},
		{"the same cell twice", sq(0, 0, 4, 3), sq(0, 0, 4, 3), true},
		{"crossing in part", sq(0, 0, 4, 3), sq(2, 1, 4, 3), true},
		{"a cross", sq(0, 1, 6, 1), sq(2, 0, 1, 4), true},
		{"apart", sq(0, 0, 4, 3), sq(10, 0, 4, 3), false},
	} {
		if got := Overlaps(tc.a, tc.b); got != tc.want {
			t.Errorf("%s: Overlaps = %v, want %v", tc.name, got, tc.want)
		}
	}
}
