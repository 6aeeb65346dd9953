package fusion

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/site"
)

// TestAuthorisedDetectionStoredWithoutRegistryEntry: a detection the
// registry authorised is stored marked authorised and no more.
// docs/data-protection.md lists what a stored detection holds (signal
// metadata, the located room, `authorised`) and says the registry matches
// devices "not by identity": the stored body must not name the registry
// entry that matched (until 2026-12-06 it held registry_id, tying every
// stored fix of a staff radio or in-cell tablet to its named entry, a
// per-device movement log kept history_days). The bodies are read back
// as SQLite stored them.
func TestAuthorisedDetectionStoredWithoutRegistryEntry(t *testing.T) {
	s := wing(t)
	t0 := time.Date(2026, 12, 3, 21, 0, 0, 0, time.UTC)
	ctx := context.Background()
	reg, db := testRegistry(t, s, registry.Entry{Name: "radio of officer J. Smith", Kind: registry.KindStaffRadio, ValidFrom: t0.Add(-time.Hour),
		Signature: registry.Signature{Class: event.ClassLTE, FreqMinHz: 1.71e9, FreqMaxHz: 1.785e9}, Notes: "J. Smith, B wing"})
	e, err := New(Config{ListenWindow: -1}, Deps{Site: s, TimeSeries: db, Authorizer: reg, Clock: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	feedPhone(t, e, s, site.Point{X: 12, Y: 9}, sensorIDs(s), 10, t0, 3)
	if err := e.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := db.DB().QueryContext(ctx, `SELECT id, body FROM detection WHERE authorised = 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	authorised := 0
	for rows.Next() {
		var id, body string
		if err := rows.Scan(&id, &body); err != nil {
			t.Fatal(err)
		}
		authorised++
		var fields map[string]any
		if err := json.Unmarshal([]byte(body), &fields); err != nil {
			t.Fatalf("detection %s: body %q: %v", id, body, err)
		}
		if fields["authorised"] != true {
			t.Errorf("detection %s: body %s is not marked authorised", id, body)
		}
		if v, ok := fields["registry_id"]; ok {
			t.Errorf("detection %s stored with registry_id %v: it names the registry entry of the device heard, not only that one authorised it", id, v)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if authorised == 0 {
		t.Fatal("no stored detection was authorised: the test shows nothing")
	}
}
