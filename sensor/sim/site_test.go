package sim

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/sitedoc"
)

// siteDocExample returns docs/site.md's example site.
func siteDocExample(t *testing.T) []byte {
	_, example := sitedoc.Example(t, "../..")
	return example
}

// TestFromSiteDocExample: the wing made from docs/site.md's example has
// its floors, rooms and sensors, its cast sits in rooms of the right
// kinds, and every phone is on in its cell within the first 20 minutes
// of the (night-time) start.
func TestFromSiteDocExample(t *testing.T) {
	w, err := FromSite(siteDocExample(t), Config{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if w.SiteID != "hmp-example" || len(w.Floors) != 2 || len(w.Rooms) != 9 || len(w.Walls) != 7 {
		t.Fatalf("site %q: %d floors, %d rooms, %d walls; want hmp-example, 2, 9, 7", w.SiteID, len(w.Floors), len(w.Rooms), len(w.Walls))
	}
	if got := w.SensorIDs(); got != "c-1, c-2, c-3, c-yard" {
		t.Errorf("sensors %s, want c-1, c-2, c-3, c-yard", got)
	}
	s, _ := w.sensor("c-3")
	if s.AntennaGainDB != 2 || s.OffsetDB != 1.5 || s.Floor != "c2" {
		t.Errorf("sensor c-3 = %+v, want the file's floor c2, antenna_gain_db 2 and offset_db 1.5", s)
	}
	// c-3 reads its offset_db low, what its calibration corrects
	e := w.Emitters()[0]
	if got, want := w.ReceivedPowerDBm(e.ID, "c-3"), e.TxPowerDBm+2-1.5-w.PathLossDB(e.CenterHz, e.Floor, e.Pos, e.HeightM, s)+w.ShadowDB(e.ID, "c-3"); math.Abs(got-want) > 1e-9 {
		t.Errorf("c-3 receives %v dBm from %s, want %v (antenna gain 2 dB, offset 1.5 dB)", got, e.ID, want)
	}
	kindOf := map[string]string{}
	for _, r := range w.Rooms {
		kindOf[r.ID] = r.Kind
	}
	wantKinds := map[string][]string{
		"phone-lte-1": {"cell"}, "phone-gsm-1": {"cell"}, "phone-lte-2": {"cell"}, "phone-nr-1": {"cell"},
		"radio-1":  {"landing", "office"},
		"drone-id": {"yard"}, "drone-video": {"yard"}, "drone-rc": {"outside"},
	}
	cells := map[string]bool{}
	for _, e := range w.Emitters() {
		want, ok := wantKinds[e.ID]
		if !ok {
			t.Errorf("emitter %s not in the site's cast", e.ID)
			continue
		}
		delete(wantKinds, e.ID)
		if at := w.RoomAt(e.Floor, e.Pos); at != e.Room || !strings.Contains(strings.Join(want, " "), kindOf[e.Room]) || e.Room == "" {
			t.Errorf("%s in room %q (%s, RoomAt %q), want a room of kind %v", e.ID, e.Room, kindOf[e.Room], at, want)
		}
		if e.Kind == KindPhone {
			cells[e.Room] = true
		}
	}
	for id := range wantKinds {
		t.Errorf("no emitter %s", id)
	}
	if len(cells) != 4 {
		t.Errorf("phones in %d cells, want 4 different (the site has 4)", len(cells))
	}
	on := map[string]string{}
	for _, ev := range w.GroundTruth(w.Start, w.Start.Add(20*time.Minute)) {
		if ev.Kind == KindPhone {
			on[ev.EmitterID] = ev.Room
		}
	}
	for _, e := range w.Emitters() {
		if e.Kind == KindPhone && on[e.ID] != e.Room {
			t.Errorf("phone %s: in the ground truth of the first 20 min in room %q, want its cell %s", e.ID, on[e.ID], e.Room)
		}
	}
	// the same seed places the same cast; the sensors hear it
	again, _ := FromSite(siteDocExample(t), Config{Seed: 7})
	if a, b := w.Emitters(), again.Emitters(); a[0].Pos != b[0].Pos || a[0].Room != b[0].Room {
		t.Errorf("seed 7 placed phone-lte-1 at %v then %v", a[0].Pos, b[0].Pos)
	}
	src, err := w.NewSource("c-1", SourceOptions{CenterHz: 847e6, BlockSamples: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := src.Next(context.Background()); err != nil || len(b.Samples) != 4096 {
		t.Fatalf("c-1's first block: %d samples, %v", len(b.Samples), err)
	}
}

// TestFromSiteRefuses: a site the simulator cannot place its cast in, or
// that is not a site file, is refused with what to do.
func TestFromSiteRefuses(t *testing.T) {
	const floor = "id: s\nfloors: [{id: f}]\n"
	const cell = "rooms: [{id: C, floor: f, kind: cell, polygon: [{x: 0, y: 0}, {x: 4, y: 0}, {x: 4, y: 3}]}]\n"
	const sensor = "sensors: [{id: a, floor: f, pos: {x: 1, y: 1}}]\n"
	for _, tc := range []struct{ name, yaml, want string }{
		{"empty", "", "site file is empty"},
		{"unknown key", floor + cell + sensor + "wals: []\n", "wals"},
		{"no floors", "id: s\n" + cell + sensor, "floors: none"},
		{"no cell", floor + "rooms: [{id: L, floor: f, kind: landing, polygon: [{x: 0, y: 0}, {x: 4, y: 0}, {x: 4, y: 3}]}]\n" + sensor,
			`site "s": no room of kind cell: the simulator places its phones in cells`},
		{"no sensors", floor + cell, "sensors: none"},
		{"room floor", floor + strings.Replace(cell, "floor: f", "floor: g", 1) + sensor, `rooms[0] (C): floor "g" is not one of floors:`},
		{"sensor floor", floor + cell + strings.Replace(sensor, "floor: f", "floor: g", 1), `sensors[0] (a): floor "g"`},
		{"cell hidden", floor + "rooms: [{id: Y, floor: f, kind: yard, polygon: [{x: -9, y: -9}, {x: 9, y: -9}, {x: 9, y: 9}, {x: -9, y: 9}]}, {id: C, floor: f, kind: cell, polygon: [{x: 0, y: 0}, {x: 4, y: 0}, {x: 4, y: 3}]}]\n" + sensor,
			"no room of kind cell of its own"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromSite([]byte(tc.yaml), Config{Seed: 1})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("FromSite: %v, want an error containing %q", err, tc.want)
			}
			if strings.HasPrefix(tc.name, "no cell") || tc.name == "cell hidden" {
				if !errors.Is(err, ErrNoCell) {
					t.Errorf("%v is not ErrNoCell", err)
				}
			}
		})
	}
}
