package registry_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestOverlapWarning: an entry of the same kind of device as a live one,
// in an overlapping band and places (a room in the other's zone
// included), is taken with a warning naming the other, in Add's answer
// and, once loaded, on both entries; one of another kind, class, band or
// rooms, or beside an expired entry, carries none. Until 2026-12-07 such
// entries were taken without a word.
func TestOverlapWarning(t *testing.T) {
	ctx := context.Background()
	wing, err := site.LoadFile("../../testdata/sites/wing.yaml") // zone wing-b: cells B2-01..B2-16
	if err != nil {
		t.Fatal(err)
	}
	from := monday.Add(-24 * time.Hour)
	kiosk := func(name, kind, class string, loHz, hiHz float64, rooms, zones []string) registry.Entry {
		return registry.Entry{Name: name, Kind: kind, Rooms: rooms, Zones: zones, ValidFrom: from,
			Signature: registry.Signature{Class: class, FreqMinHz: loHz, FreqMaxHz: hiHz}}
	}
	first := kiosk("kiosk A", registry.KindKiosk, "", 2400e6, 2420e6, []string{"B2-03", "B2-04"}, nil)
	tests := []struct {
		name       string
		firstClass string // the first entry's class
		second     registry.Entry
		expire     bool // the first entry expired before the second is added
		overlap    bool
	}{
		{name: "same kind, band and a room", second: kiosk("kiosk B", registry.KindKiosk, "", 2410e6, 2430e6, []string{"B2-04"}, nil), overlap: true},
		{name: "anywhere", second: kiosk("kiosk B", registry.KindKiosk, event.ClassWiFi, 2410e6, 2430e6, nil, nil), overlap: true},
		{name: "a room in its zone", second: kiosk("kiosk B", registry.KindKiosk, "", 2410e6, 2430e6, nil, []string{"wing-b"}), overlap: true},
		{name: "another kind", second: kiosk("tablet", registry.KindInCellTablet, "", 2410e6, 2430e6, []string{"B2-04"}, nil)},
		{name: "another class", firstClass: event.ClassLTE, second: kiosk("kiosk B", registry.KindKiosk, event.ClassWiFi, 2410e6, 2430e6, []string{"B2-04"}, nil)},
		{name: "bands apart", second: kiosk("kiosk B", registry.KindKiosk, "", 2420e6, 2440e6, []string{"B2-04"}, nil)},
		{name: "rooms apart", second: kiosk("kiosk B", registry.KindKiosk, "", 2410e6, 2430e6, []string{"B2-05"}, nil)},
		{name: "the other expired", second: kiosk("kiosk B", registry.KindKiosk, "", 2410e6, 2430e6, []string{"B2-04"}, nil), expire: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "r.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			r, err := registry.Open(ctx, db.DB(), db, registry.Options{Location: time.UTC, Now: testClock, Site: wing})
			if err != nil {
				t.Fatal(err)
			}
			f := first
			f.Signature.Class = tt.firstClass
			a, err := r.Add(ctx, f, "admin")
			if err != nil {
				t.Fatal(err)
			}
			if tt.expire {
				if _, err := r.Expire(ctx, a.ID, "admin", testClock()); err != nil {
					t.Fatal(err)
				}
			}
			b, err := r.Add(ctx, tt.second, "admin")
			if err != nil {
				t.Fatalf("Add: %v: want it taken", err)
			}
			overlapOf := func(ws []string) string {
				for _, w := range ws {
					if strings.HasPrefix(w, "overlaps ") {
						return w
					}
				}
				return ""
			}
			a, _ = r.Get(ctx, a.ID)
			for _, c := range []struct {
				what  string
				ws    []string
				other string
			}{{"Add's answer", b.Warnings, `entry 1 "kiosk A" (2400–2420 MHz)`}, {"the first entry", a.Warnings, `entry 2 "` + tt.second.Name + `"`}} {
				w := overlapOf(c.ws)
				switch {
				case !tt.overlap && w != "":
					t.Errorf("%s: %q; want no overlap warning", c.what, w)
				case tt.overlap && !strings.Contains(w, c.other):
					t.Errorf("%s: warnings %q; want an overlap warning naming %s", c.what, c.ws, c.other)
				}
			}
		})
	}
}

// TestImportOverlapWarning: a CSV import's answer names the entry an
// imported row overlaps, by line.
func TestImportOverlapWarning(t *testing.T) {
	r, _ := openRegistry(t)
	res, err := importCSV(r, csvHead+radioRow(0, "radio 1", "")+radioRow(0, "radio 2", ""), registry.ImportOptions{})
	if err != nil || res.Added != 2 {
		t.Fatalf("import = %+v, %v; want 2 added", res, err)
	}
	want := []string{`line 2: entry 1 "radio 1": overlaps entry 2 "radio 2" (380–400 MHz)`, `line 3: entry 2 "radio 2": overlaps entry 1 "radio 1" (380–400 MHz)`}
	if len(res.Warnings) != 2 || !strings.HasPrefix(res.Warnings[0], want[0]) || !strings.HasPrefix(res.Warnings[1], want[1]) {
		t.Errorf("import warnings %q; want them to begin %q", res.Warnings, want)
	}
}
