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
// and its schedule, every fix perfect: the drone's DroneID placed where
// the simulator flies it every 2 s, the handset in its room from when it
// comes on for two minutes; its alert must join the drone's drop.
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
	// Where the drone is at: flying in from ApproachFrom over
	// ApproachDur, then hovering.
	dronePos := func(at time.Time) sim.Point {
		f := min(1, float64(at.Sub(flight.Start))/float64(drone.ApproachDur))
		a := *drone.ApproachFrom
		return sim.Point{X: a.X + f*(drone.Pos.X-a.X), Y: a.Y + f*(drone.Pos.Y-a.Y)}
	}
	end := call.Start.Add(2 * time.Minute)
	for at := flight.Start; !at.After(end); at = at.Add(2 * time.Second) {
		var fixes []alert.Location
		if at.Before(flight.End) {
			p := dronePos(at)
			room := wing.RoomAt(drone.Floor, p)
			if room != "" {
				fixes = append(fixes, alert.Location{Track: "id", Class: drone.Class, Link: drone.Link, Room: room, Prob: 0.95,
					RoomProbs: map[string]float64{room: 0.95}, Pos: site.Point{X: p.X, Y: p.Y}, At: at, FreqHz: drone.CenterHz,
					Confidence: 0.9, Sensors: []string{"s5", "s6", "s2"}})
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
}
