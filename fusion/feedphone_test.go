package fusion

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
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

// testRegistry opens a registry of site s on a new SQLite database, with
// entries added by "admin", and returns it and its database.
func testRegistry(t testing.TB, s *site.Site, entries ...registry.Entry) (*registry.Registry, *store.SQLite) {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	reg, err := registry.Open(ctx, db.DB(), db, registry.Options{Site: s})
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if _, err := reg.Add(ctx, en, "admin"); err != nil {
			t.Fatal(err)
		}
	}
	return reg, db
}

// tabletEntry is an in-cell tablet registered for rooms from an hour
// before t0, on band 3's uplink (1710-1785 MHz), of class (any: "").
func tabletEntry(rooms []string, class string, t0 time.Time) registry.Entry {
	return registry.Entry{Name: "tablet", Kind: registry.KindInCellTablet, Rooms: rooms, ValidFrom: t0.Add(-time.Hour),
		Signature: registry.Signature{Class: class, FreqMinHz: 1.71e9, FreqMaxHz: 1.785e9}}
}
