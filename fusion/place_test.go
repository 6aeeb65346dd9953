package fusion

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

// TestVagueFixIsNotPlaced: a drone controller heard by one sensor may be
// anywhere within reach, and its fix spreads over many rooms; its
// detections are stored with no room (the heatmap does not paint the room
// that won the tie), while its location keeps every room's probability. An
// emission heard by every sensor is placed in its room.
func TestVagueFixIsNotPlaced(t *testing.T) {
	s := wing(t)
	t0 := time.Date(2026, 12, 3, 21, 0, 0, 0, time.UTC)
	run := func(placeMin float64, heardBy []string, class string) (*storetest.Recorder, float64) {
		ts := &storetest.Recorder{}
		e, err := New(Config{PlaceMinProb: placeMin, ListenWindow: -1}, Deps{Site: s, TimeSeries: ts})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		p := site.Point{X: 12, Y: 9}
		for i, id := range heardBy {
			sn, ok := s.Sensor(id)
			if !ok {
				t.Fatalf("no sensor %s", id)
			}
			pw, err := e.Locator().PredictDBm(sn.ID, sn.Floor, p, 10-e.Locator().RefLossDB(1.75e9))
			if err != nil {
				t.Fatal(err)
			}
			d := testDet(fmt.Sprintf("d%d", i), sn.ID, t0, pw)
			d.Site, d.Class = s.ID, class
			if class == event.ClassRCFHSS {
				d.Link = event.LinkUnknown
			}
			if err := e.HandleDetection(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.Tick(ctx, t0.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := e.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if len(ts.Locs) != 1 || len(ts.Dets) != len(heardBy) {
			t.Fatalf("%d locations, %d detections stored; want 1 and %d", len(ts.Locs), len(ts.Dets), len(heardBy))
		}
		return ts, ts.Locs[0].RoomProb
	}
	var all []string
	for _, sn := range s.Sensors {
		all = append(all, sn.ID)
	}
	one := all[:1]

	vague, p := run(0, one, event.ClassRCFHSS)
	t.Logf("controller heard by %v: %s at %.3f", one, vague.Locs[0].Room, p)
	if p >= 0.1 {
		t.Fatalf("one sensor placed the controller in %s at %.2f: not a vague fix, the test shows nothing", vague.Locs[0].Room, p)
	}
	if vague.Locs[0].Room == "" || len(vague.Locs[0].RoomProbs) < 5 {
		t.Errorf("location %+v: want its most likely room and every room's probability kept", vague.Locs[0])
	}
	for _, d := range vague.Dets {
		if d.Room != "" || d.RoomProb != 0 {
			t.Errorf("detection %s stored in %s at %.2f, want no room", d.ID, d.Room, d.RoomProb)
		}
	}

	if placed, _ := run(-1, one, event.ClassRCFHSS); placed.Dets[0].Room != placed.Locs[0].Room {
		t.Errorf("PlaceMinProb -1: detection in %q, want the fix's room %q", placed.Dets[0].Room, placed.Locs[0].Room)
	}

	sharp, p := run(0, all, event.ClassLTE)
	t.Logf("handset heard by %v: %s at %.3f", all, sharp.Locs[0].Room, p)
	if p < 0.1 {
		t.Fatalf("every sensor placed the handset at only %.2f", p)
	}
	for _, d := range sharp.Dets {
		if d.Room != sharp.Locs[0].Room || d.RoomProb != p {
			t.Errorf("detection %s stored in %q at %.2f, want %s at %.2f", d.ID, d.Room, d.RoomProb, sharp.Locs[0].Room, p)
		}
	}
}

// TestPlacementTies: fusion stores a fix's detections in its room by the
// alert engine's rule (store.Places) and a margin (store.Counts): not when
// more than three rooms tie for most likely (four cells at 20%: the alert
// says "position unknown", and until 2026-12-05 the heatmap counted the
// first of them), nor under PlaceMinProb, nor under 50% when the room is
// under twice the next (11% against 9%: until 2026-12-07 the heatmap
// counted it); a negative PlaceMinProb places every fix.
func TestPlacementTies(t *testing.T) {
	for _, tc := range []struct {
		name     string
		probs    map[string]float64
		minProb  float64
		wantRoom string
	}{
		{"four cells at 20%", map[string]float64{"B2-01": 0.2, "B2-02": 0.2, "B2-03": 0.2, "B2-04": 0.2, "B2-05": 0.2}, 0.1, ""},
		{"three cells at 30%", map[string]float64{"B2-01": 0.3, "B2-02": 0.3, "B2-03": 0.3, "B2-04": 0.1}, 0.1, "B2-01"},
		{"one cell at 9%", map[string]float64{"B2-01": 0.09, "B2-02": 0.08}, 0.1, ""},
		{"11% against 9%", map[string]float64{"B2-01": 0.11, "B2-09": 0.09, "B2-02": 0.08}, 0.1, ""},
		{"40% against 20%", map[string]float64{"B2-01": 0.4, "B2-09": 0.2, "B2-02": 0.2}, 0.1, "B2-01"},
		{"50% against 45%", map[string]float64{"B2-01": 0.5, "B2-09": 0.45}, 0.1, "B2-01"},
		{"negative, 11% against 9%", map[string]float64{"B2-01": 0.11, "B2-09": 0.09}, -1, "B2-01"},
		{"negative, four at 20%", map[string]float64{"B2-01": 0.2, "B2-02": 0.2, "B2-03": 0.2, "B2-04": 0.2, "B2-05": 0.2}, -1, "B2-01"},
	} {
		room, p := placement("B2-01", tc.probs["B2-01"], tc.probs, tc.minProb)
		if room != tc.wantRoom || room == "" && p != 0 || room != "" && p != tc.probs[room] {
			t.Errorf("%s: placed in %q at %v, want %q", tc.name, room, p, tc.wantRoom)
		}
	}
}
