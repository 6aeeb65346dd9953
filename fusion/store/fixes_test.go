package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

// TestSQLiteFixHeadsUpgrade: a store written before the location table
// had its head columns gets them when it is opened (also by fusion and
// the dashboard at once); its fixes, and an older binary's written after
// (a rollback), are read from their bodies, the others from the columns,
// and the heads and whole fixes are what Locations gives.
func TestSQLiteFixHeadsUpgrade(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	fix := func(i int) store.LocationRecord {
		return store.LocationRecord{Site: "site1", Track: fmt.Sprintf("t%d", i%3), Class: event.ClassLTE, Link: event.LinkUplink,
			TimeNS: storetest.Base.Add(time.Duration(i) * time.Second).UnixNano(), Room: "A", RoomProb: 0.6,
			RoomProbs: map[string]float64{"A": 0.6, "B": 0.4}, Authorised: i%2 == 0}
	}
	s, err := store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteLocations(ctx, []store.LocationRecord{fix(0), fix(1), fix(2)}); err != nil {
		t.Fatal(err)
	}
	for _, col := range []string{"track", "class", "link", "authorised"} {
		if _, err := s.DB().ExecContext(ctx, `ALTER TABLE location DROP COLUMN `+col); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	openTwiceAtOnce(t, path)
	s, err = store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.WriteLocations(ctx, []store.LocationRecord{fix(3), fix(4)}); err != nil {
		t.Fatal(err)
	}
	old, err := json.Marshal(fix(5))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO location(site, time_ns, body) VALUES(?,?,?)`, "site1", fix(5).TimeNS, old); err != nil {
		t.Fatalf("an older binary's location insert: %v", err)
	}
	want, err := s.Locations(ctx, "site1", storetest.Base, storetest.Base.Add(time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	heads, err := s.LocationHeads(ctx, "site1", storetest.Base, storetest.Base.Add(time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(heads) != 6 || len(want) != 6 {
		t.Fatalf("%d heads, %d fixes, want 6", len(heads), len(want))
	}
	// newest first: fix 5 (an older binary's), 4 and 3 (this one's), 2, 1, 0 (before the upgrade)
	for i, fromBody := range []bool{true, false, false, true, true, true} {
		h, w := heads[i], want[i]
		if h.TimeNS != w.TimeNS || h.Track != w.Track || h.Class != w.Class || h.Link != w.Link || h.Authorised != w.Authorised {
			t.Errorf("head %d = %+v, want the fields of %+v", i, h, w)
		}
		if got := h.Record != nil; got != fromBody {
			t.Errorf("head %d read from its body: %v, want %v", i, got, fromBody)
		}
	}
	got, err := s.LocationsOf(ctx, "site1", heads)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LocationsOf every head:\n got %+v\nwant %+v", got, want)
	}
}
