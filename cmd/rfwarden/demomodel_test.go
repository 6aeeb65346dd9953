package main

import (
	"math"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/fusion/locate"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/sensor/sim"
)

// TestDemoModelLocatesPhones: with the mean power each sensor hears from
// each of the demo's illicit phones (heard above fusion's threshold, 6 dB
// over the noise in the phone's bandwidth; the others silent), the demo's
// locator model puts every phone that two sensors or more hear in the cell
// the simulator put it in. With the model's
// defaults (antennas at floor level, 15 dB floors) the LTE B20 handset in
// L1-S03 went to L1-N03, across the landing.
func TestDemoModelLocatesPhones(t *testing.T) {
	w, _, l := demoWingLocator(t)
	asked := 0
	for _, e := range w.Emitters() {
		if e.Kind != sim.KindPhone {
			continue
		}
		// as fusion asks: who heard it, and who listened and did not
		var q locate.Query
		q.Heard, q.Silent = demoHearing(w, e)
		want := w.RoomAt(e.Floor, e.Pos)
		if len(q.Heard) < 2 {
			// one sensor gives a distance, not a cell
			t.Logf("%s (in %s): heard by %d sensor, not asked", e.ID, want, len(q.Heard))
			continue
		}
		asked++
		r, err := l.LocateQuery(q)
		if err != nil {
			t.Errorf("%s (in %s, heard by %d sensors): %v", e.ID, want, len(q.Heard), err)
			continue
		}
		if room, p := r.Room(); room != want {
			t.Errorf("%s: located in %s (%.0f%%), want %s", e.ID, room, 100*p, want)
		} else {
			t.Logf("%s: %s (%.0f%%) from %d sensors", e.ID, room, 100*p, len(q.Heard))
		}
	}
	if asked < 3 {
		t.Fatalf("%d phones of the standard wing heard by two sensors, want 3 or more", asked)
	}
}

// demoWingLocator returns the demo's standard wing (seed 1), its site
// model and a locator with the demo's model.
func demoWingLocator(t *testing.T) (*sim.Wing, *site.Site, *locate.Locator) {
	t.Helper()
	w := sim.StandardWing(1)
	st, err := site.Load(strings.NewReader(string(w.SiteYAML())))
	if err != nil {
		t.Fatal(err)
	}
	l, err := locate.New(st, demoModel())
	if err != nil {
		t.Fatal(err)
	}
	return w, st, l
}

// demoHearing returns, at the mean power each sensor of w hears from em,
// the sensors that hear it above fusion's threshold (6 dB over the noise
// in its bandwidth) and the others, silent at that threshold.
func demoHearing(w *sim.Wing, em sim.Emitter) (heard []locate.Measurement, silent []locate.Silence) {
	threshold := sim.NoiseDBmPerMHz + 10*math.Log10(em.BandwidthHz/1e6) + 6
	for _, sn := range w.Sensors() {
		if p := w.ReceivedPowerDBm(em.ID, sn.ID); p > threshold {
			heard = append(heard, locate.Measurement{Sensor: sn.ID, PowerDBm: p, CenterHz: em.CenterHz})
		} else {
			silent = append(silent, locate.Silence{Sensor: sn.ID, ThresholdDBm: threshold})
		}
	}
	return heard, silent
}
