package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/alert"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/sensor/sim"
)

// discardAlerts is an alert.Publisher that publishes nowhere.
type discardAlerts struct{}

func (discardAlerts) PublishAlert(context.Context, event.Alert) error { return nil }

// TestDemoDropJoinsPhone: the demo's banner promises "a drone at the
// perimeter and a new phone inside (one drone-drop incident)". Its
// scenario (seed 1) flies the drone in from 120 m outside the wall to
// hover over the perimeter strip at (24, -21), 15 m up, and the GSM
// handset in L2-N07 at (26, 10) comes on three minutes later, 29 m from
// the hover point. With the default drop radius (10 m) a drone over the
// perimeter joins no cell's phone however well it is located, and the
// demo showed the GSM handset's case apart from the drone's (the
// review's finding 5). Here the demo's own rules (demoAlerts), its site
// and its schedule, the handset in its room from when it comes on for two
// minutes, and the drone placed two ways; its alert must join the
// drone's drop either way:
//   - perfect: the drone's DroneID placed where the simulator flies it
//     every 2 s, by three sensors;
//   - heard by s5 alone, as the demo's fusion hears it: the yard sensor is
//     the only one that hears the drone, and a fix of one sensor is placed
//     at its top room's centre, the perimeter strip's (24, -25), 33 m from
//     L2-N07. With a radius of 30 m, taken from the hover point, the demo
//     still opened an illicit_phone case for the handset (2026-12-06).
func TestDemoDropJoinsPhone(t *testing.T) {
	wing := sim.StandardWing(1)
	st, err := site.Load(strings.NewReader(string(wing.SiteYAML())))
	if err != nil {
		t.Fatal(err)
	}
	emitters := map[string]sim.Emitter{}
	for _, em := range wing.Emitters() {
		emitters[em.ID] = em
	}
	drone, gsm := emitters["drone-id"], emitters["phone-gsm-1"]
	// The first flight, and the GSM handset's first session after it
	// came, as the demo plays them (demoStart: 30 s before the flight).
	var flight, call sim.TruthEvent
	for _, ev := range wing.GroundTruth(wing.Start, wing.Start.Add(24*time.Hour)) {
		switch {
		case ev.EmitterID == drone.ID && flight.Start.IsZero():
			flight = ev
		case ev.EmitterID == gsm.ID && !flight.Start.IsZero() && call.Start.IsZero() && ev.Start.After(flight.Start):
			call = ev
		}
	}
	if flight.Start.IsZero() || call.Start.IsZero() {
		t.Fatalf("no drone flight (%v) or no GSM call after it (%v) in the demo's day", flight.Start, call.Start)
	}
	t.Logf("drone %s-%s over %s %v; GSM handset on %s in %s", flight.Start.Format("15:04:05"), flight.End.Format("15:04:05"),
		flight.Room, flight.Pos, call.Start.Format("15:04:05"), call.Room)

	// Where the drone is at: flying in from ApproachFrom over
	// ApproachDur, then hovering.
	dronePos := func(at time.Time) sim.Point {
		f := min(1, float64(at.Sub(flight.Start))/float64(drone.ApproachDur))
		a := *drone.ApproachFrom
		return sim.Point{X: a.X + f*(drone.Pos.X-a.X), Y: a.Y + f*(drone.Pos.Y-a.Y)}
	}
	perim, ok := st.Room("PERIM")
	if !ok {
		t.Fatal("the wing has no PERIM")
	}
	var centre site.Point // of the strip's corners
	for _, p := range perim.Polygon {
		centre.X += p.X / float64(len(perim.Polygon))
		centre.Y += p.Y / float64(len(perim.Polygon))
	}
	fixes := map[string]func(at time.Time) (alert.Location, bool){
		"perfect": func(at time.Time) (alert.Location, bool) {
			p := dronePos(at)
			room := wing.RoomAt(drone.Floor, p)
			return alert.Location{Track: "id", Class: drone.Class, Link: drone.Link, Room: room, Prob: 0.95,
				RoomProbs: map[string]float64{room: 0.95}, Pos: site.Point{X: p.X, Y: p.Y}, At: at, FreqHz: drone.CenterHz,
				Confidence: 0.9, Sensors: []string{"s5", "s6", "s2"}}, room != ""
		},
		"heard by s5 alone": func(at time.Time) (alert.Location, bool) {
			// The demo's fixes of the drone (its video link and DroneID,
			// seed 1): the strip, the yard and outside nearly alike.
			return alert.Location{Track: "id", Class: drone.Class, Link: drone.Link, Room: "PERIM", Prob: 0.29,
				RoomProbs: map[string]float64{"PERIM": 0.29, "YARD": 0.28, "OUTSIDE": 0.26, "L1-S06": 0.014, "L2-S06": 0.014},
				Pos:       centre, At: at, FreqHz: drone.CenterHz, Confidence: 0.9, Sensors: []string{"s5"}}, true
		},
	}
	for name, droneFix := range fixes {
		t.Run(name, func(t *testing.T) {
			cfg := demoAlerts(1)
			e, err := alert.New(*cfg, st, nil, discardAlerts{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			t0 := flight.Start.Add(-30 * time.Second)
			for _, sn := range st.Sensors {
				if err := e.ObserveStatus(ctx, sn.ID, event.StatusOnline, t0); err != nil {
					t.Fatal(err)
				}
			}
			end := call.Start.Add(2 * time.Minute)
			for at := flight.Start; !at.After(end); at = at.Add(2 * time.Second) {
				var fixes []alert.Location
				if at.Before(flight.End) {
					if loc, ok := droneFix(at); ok {
						fixes = append(fixes, loc)
					}
				}
				if !at.Before(call.Start) && at.Before(call.End) {
					fixes = append(fixes, alert.Location{Track: "gsm", Class: gsm.Class, Link: gsm.Link, Room: call.Room, Prob: 0.95,
						RoomProbs: map[string]float64{call.Room: 0.95}, Pos: site.Point{X: gsm.Pos.X, Y: gsm.Pos.Y}, At: at.Add(time.Second),
						FreqHz: gsm.CenterHz, Confidence: 0.9, Sensors: []string{"s7", "s2", "s3"}})
				}
				for _, loc := range fixes {
					if err := e.ObserveLocation(ctx, loc); err != nil {
						t.Fatal(err)
					}
				}
				if err := e.Tick(ctx, at.Add(time.Second)); err != nil {
					t.Fatal(err)
				}
			}
			var kinds []string
			for _, inc := range e.Incidents() {
				kinds = append(kinds, inc.Kind+": "+inc.Summary)
			}
			want := "drone drop followed by unauthorised phone in " + call.Room
			for _, inc := range e.Incidents() {
				if inc.Kind == alert.KindDroneDrop && inc.Summary == want {
					return
				}
			}
			t.Errorf("incidents %q: want the banner's one drone-drop incident, %q", kinds, want)
		})
	}
}
