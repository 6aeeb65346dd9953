package fusion

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
)

// feedPhone feeds engine e rounds bursts, 2 s apart from from, of a phone
// in use in site s: an LTE B3 uplink (testDet) sent at txDBm EIRP from
// pos, each heard by every sensor of heardBy at the power e's propagation
// model predicts there (heardDBm), and ticks e a second after each burst.
// tune, when given, changes each detection before it is fed (another
// channel: its CenterHz). It returns when the next burst would be. A
// detection's ID names its burst's time and its sensor, so bursts fed by
// several calls stay apart.
func feedPhone(t testing.TB, e *Engine, s *site.Site, pos site.Point, heardBy []string, txDBm float64, from time.Time, rounds int, tune ...func(*event.Detection)) time.Time {
	t.Helper()
	ctx := context.Background()
	at := from
	for range rounds {
		for _, id := range heardBy {
			d := testDet(fmt.Sprintf("d%d-%s", at.UnixMilli(), id), id, at, 0)
			d.Site = s.ID
			for _, f := range tune {
				f(&d)
			}
			d.PowerDBm = heardDBm(t, e, s, id, pos, txDBm, d.CenterHz)
			if err := e.HandleDetection(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.Tick(ctx, at.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		at = at.Add(2 * time.Second)
	}
	return at
}

// heardDBm returns the power at which sensor hears an emission of txDBm
// EIRP at centerHz sent from pos, as e's propagation model predicts it.
func heardDBm(t testing.TB, e *Engine, s *site.Site, sensor string, pos site.Point, txDBm, centerHz float64) float64 {
	t.Helper()
	sn, ok := s.Sensor(sensor)
	if !ok {
		t.Fatalf("sensor %q not in site %s", sensor, s.ID)
	}
	pw, err := e.Locator().PredictDBm(sn.ID, sn.Floor, pos, txDBm-e.Locator().RefLossDB(centerHz))
	if err != nil {
		t.Fatal(err)
	}
	return pw
}

// sensorIDs returns the IDs of s's sensors, in the site model's order.
func sensorIDs(s *site.Site) []string {
	ids := make([]string, len(s.Sensors))
	for i, sn := range s.Sensors {
		ids[i] = sn.ID
	}
	return ids
}
