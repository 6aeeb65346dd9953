package registry_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/alert"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestPhoneBandWarning: an entry that may authorise a phone's uplink (no
// class, or a phone class) over a cellular uplink band, and that names no
// places, zones holding cells, or cells, authorises phone uplinks in every
// one of those cells: it is taken (staff phones that roam the site, an
// in-cell phone system, are a real need), still authorises, and carries a
// warning saying so, in Add's, Get's and Update's answers and in the log
// at load; one naming cells says a contraband phone there on that band
// raises no alert, and, wider than a carrier, to register the system's
// own carrier. Until 2026-12-07 ten cells named one by one with the whole
// LTE B20 uplink passed silently. An entry limited to rooms that are no
// cells, to zones without cells, or naming a class no phone sends, and
// one outside the uplinks, carry none. Without a site model the registry
// cannot tell which rooms are cells or which zones hold cells, and warns
// of entries with no places only.
func TestPhoneBandWarning(t *testing.T) {
	ctx := context.Background()
	wing, err := site.LoadFile("../../testdata/sites/wing.yaml") // zone wing-b: 16 cells; zone yard: none
	if err != nil {
		t.Fatal(err)
	}
	from := monday.Add(-24 * time.Hour)
	phone := func(name string, class string, loHz, hiHz float64, rooms, zones []string) registry.Entry {
		return registry.Entry{Name: name, Kind: registry.KindOfficialPhone, Rooms: rooms, Zones: zones, ValidFrom: from,
			Signature: registry.Signature{Class: class, FreqMinHz: loHz, FreqMaxHz: hiHz}}
	}
	cells := func(from, to int) []string { // B2-05..B2-14
		var ids []string
		for i := from; i <= to; i++ {
			ids = append(ids, fmt.Sprintf("B2-%02d", i))
		}
		return ids
	}
	tests := []struct {
		name   string
		site   *site.Site
		e      registry.Entry
		want   []string // substrings of the phone warning; nil: none
		others int      // warnings besides it (the drone band's, the class's)
	}{
		{name: "staff phones, LTE B3 uplink, anywhere", site: wing, e: phone("staff phones", "", 1710e6, 1785e6, nil, nil),
			want: []string{"authorises phone uplinks in every cell on the site", "no signature class", "1710–1785 MHz", "LTE B3 UL", "roam the site"}},
		{name: "staff phones, 1.71-2.69 GHz, anywhere", site: wing, e: phone("staff phones wide", "", 1710e6, 2690e6, nil, nil),
			want: []string{"every cell on the site", "LTE B3 UL", "LTE B1 UL", "LTE B7 UL", "LTE B40"}, others: 1},
		{name: "one LTE channel, class lte, anywhere", site: wing, e: phone("governor's phone", event.ClassLTE, 1745e6, 1750e6, nil, nil),
			want: []string{"every cell on the site", "class lte"}, others: 1}, // techClassWarning's
		{name: "class unknown (unconfirmed LTE/NR), B20, anywhere", site: wing, e: phone("b20 phones", event.ClassUnknown, 832e6, 862e6, nil, nil),
			want: []string{"every cell on the site", "LTE B20 UL"}},
		{name: "zone holding cells", site: wing, e: phone("wing phones", "", 1710e6, 1785e6, nil, []string{"wing-b"}),
			want: []string{"every cell of zones wing-b (16 cells)"}},
		{name: "zone without cells", site: wing, e: phone("yard phones", "", 1710e6, 1785e6, nil, []string{"yard"})},
		{name: "a cell", site: wing, e: phone("in-cell phone", "", 1710e6, 1785e6, []string{"B2-14"}, nil),
			want: []string{"authorises phone uplinks in the 1 cell it names (B2-14)", "a contraband phone there on that band raises no alert", "not the whole band (75 MHz wide)"}},
		{name: "ten cells one by one, LTE B20", site: wing, e: phone("in-cell phones", "", 832e6, 862e6, cells(5, 14), nil),
			want: []string{"the 10 cells it names (B2-05, B2-06, B2-07, B2-08, B2-09 and 5 more)", "LTE B20 UL, NR n20 UL 832–862 MHz",
				"a contraband phone there on that band raises no alert", "register the system's own carrier (its channel, e.g. 10 MHz), not the whole band (30 MHz wide)"}},
		{name: "the system's own carrier in ten cells", site: wing, e: phone("in-cell carrier", "", 847e6, 857e6, cells(5, 14), nil),
			want: []string{"the 10 cells it names", "it cannot tell the system's own phones from a contraband phone on that band there"}},
		{name: "a landing", site: wing, e: phone("landing phone", "", 1710e6, 1785e6, []string{"B2-landing"}, nil)},
		{name: "no site model: cells unchecked", e: phone("in-cell phones", "", 832e6, 862e6, cells(5, 14), nil)},
		{name: "rooms and a zone holding cells", site: wing, e: phone("tablet and wing", "", 1710e6, 1785e6, []string{"B2-14"}, []string{"wing-b"}),
			want: []string{"every cell of zones wing-b"}},
		{name: "downlink only", site: wing, e: phone("downlink", "", 1805e6, 1880e6, nil, nil)},
		{name: "class wifi over LTE B40", site: wing, e: phone("ap", event.ClassWiFi, 2300e6, 2483.5e6, nil, nil)},
		{name: "TETRA radio, no class", site: wing, e: registry.Entry{Name: "radio", Kind: registry.KindStaffRadio, ValidFrom: from,
			Signature: registry.Signature{FreqMinHz: 380e6, FreqMaxHz: 400e6}}},
		{name: "no site model: anywhere", e: phone("staff phones", "", 1710e6, 1785e6, nil, nil), want: []string{"every cell on the site"}},
		{name: "no site model: zones unchecked", e: phone("wing phones", "", 1710e6, 1785e6, nil, []string{"wing-b"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logb bytes.Buffer
			db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "r.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			opts := registry.Options{Location: time.UTC, Now: testClock, Site: tt.site, Logger: slog.New(slog.NewTextHandler(&logb, nil))}
			r, err := registry.Open(ctx, db.DB(), db, opts)
			if err != nil {
				t.Fatal(err)
			}
			check := func(what string, ws []string) {
				t.Helper()
				var phoneW []string
				for _, w := range ws {
					if strings.HasPrefix(w, "authorises phone uplinks") {
						phoneW = append(phoneW, w)
					}
				}
				if got := len(ws) - len(phoneW); got != tt.others {
					t.Errorf("%s: %d other warnings, want %d: %q", what, got, tt.others, ws)
				}
				if tt.want == nil {
					if len(phoneW) != 0 {
						t.Errorf("%s: phone warning %q, want none", what, phoneW)
					}
					return
				}
				if len(phoneW) != 1 {
					t.Fatalf("%s: warnings %q, want one phone warning", what, ws)
				}
				for _, sub := range tt.want {
					if !strings.Contains(phoneW[0], sub) {
						t.Errorf("%s: warning %q does not say %q", what, phoneW[0], sub)
					}
				}
			}
			got, err := r.Add(ctx, tt.e, "admin")
			if err != nil {
				t.Fatalf("Add: %v: want it taken", err)
			}
			check("Add", got.Warnings)
			listed, err := r.Get(ctx, got.ID)
			if err != nil {
				t.Fatal(err)
			}
			check("Get", listed.Warnings)
			got.Notes = "changed"
			upd, err := r.Update(ctx, got, "admin")
			if err != nil {
				t.Fatal(err)
			}
			check("Update", upd.Warnings)
			logb.Reset()
			if _, err := registry.Open(ctx, db.DB(), db, opts); err != nil {
				t.Fatal(err)
			}
			if logged := strings.Contains(logb.String(), "authorises phone uplinks"); logged != (tt.want != nil) {
				t.Errorf("a load logged %q; want the phone warning logged: %v", logb.String(), tt.want != nil)
			}
			if tt.want == nil || tt.e.Signature.Class == event.ClassWiFi {
				return
			}
			// warned, not refused: it authorises a phone uplink in a cell
			// (B2-14 in zone wing-b) at its band's centre
			mid := (tt.e.Signature.FreqMinHz + tt.e.Signature.FreqMaxHz) / 2
			class := tt.e.Signature.Class
			if class == "" {
				class = event.ClassLTE
			}
			d := event.Detection{Schema: 1, ID: "p", Site: wing.ID, Sensor: "s6", TimeNS: testClock().UnixNano(), CenterHz: mid,
				BandwidthHz: 1e6, PowerDBm: -50, Link: event.LinkUplink, Class: class, Confidence: 0.9}
			p := registry.Place{Room: "B2-14", Zones: []string{"wing-b"}, RoomProbs: map[string]float64{"B2-14": 0.99, "B2-13": 0.01}, ZoneOf: wing.ZoneOf}
			if _, ok := r.Match(d, p, testClock()); !ok {
				t.Errorf("the warned entry does not authorise a phone uplink at %.1f MHz in cell B2-14: want it taken as it was saved", mid/1e6)
			}
		})
	}
}

// TestImportWarnings: a CSV import answers with the warnings of the
// entries it added or updated, each naming its line and entry (the
// dashboard shows them after an import): a site-wide phone entry is
// imported, and said to authorise phone uplinks in every cell; a staff
// radio carries no warning, and a row left unchanged is not warned of
// again.
func TestImportWarnings(t *testing.T) {
	r, _ := openRegistry(t)
	phones := ",Staff phones,official_phone,,1710000000,1785000000,,,,,,,,,,,\n"
	res, err := importCSV(r, csvHead+radioRow(0, "radio 1", "")+phones, registry.ImportOptions{})
	if err != nil || res.Added != 2 {
		t.Fatalf("import = %+v, %v; want 2 added", res, err)
	}
	if len(res.Warnings) != 1 || !strings.HasPrefix(res.Warnings[0], `line 3: entry 2 "Staff phones": authorises phone uplinks in every cell on the site`) {
		t.Errorf("import warnings %q; want one, for line 3's entry 2", res.Warnings)
	}
	// updated: warned again; unchanged: not
	res, err = importCSV(r, csvHead+radioRow(1, "radio 1", "")+"2"+strings.Replace(phones, ",,,,,,,,,,,\n", ",,,,,,,,,,,moved to the new contract\n", 1), registry.ImportOptions{})
	if err != nil || res.Updated != 1 || res.Unchanged != 1 {
		t.Fatalf("import = %+v, %v; want 1 updated, 1 unchanged", res, err)
	}
	if len(res.Warnings) != 1 || !strings.HasPrefix(res.Warnings[0], `line 3: entry 2 "Staff phones": authorises phone uplinks`) {
		t.Errorf("import warnings %q; want one, for the updated entry 2", res.Warnings)
	}
}

// TestPhoneWarningFollowsAlertPhoneClasses: the classes that make the
// phone warning apply are the ones the phone rules alert on
// (alert.PhoneClasses) and unknown, every one of them; a class the phone
// rules do not alert on (wifi) carries none.
func TestPhoneWarningFollowsAlertPhoneClasses(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r, err := registry.Open(ctx, db.DB(), db, registry.Options{Location: time.UTC, Now: testClock})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{event.ClassWiFi: false, event.ClassUnknown: true}
	for _, c := range alert.PhoneClasses {
		want[c] = true
	}
	for class, warned := range want {
		t.Run(class, func(t *testing.T) {
			e := registry.Entry{Name: "phones " + class, Kind: registry.KindOfficialPhone, ValidFrom: monday.Add(-24 * time.Hour),
				Signature: registry.Signature{Class: class, FreqMinHz: 1710e6, FreqMaxHz: 1785e6}}
			got, err := r.Add(ctx, e, "admin")
			if err != nil {
				t.Fatalf("Add: %v", err)
			}
			has := false
			for _, w := range got.Warnings {
				has = has || strings.HasPrefix(w, "authorises phone uplinks")
			}
			if has != warned {
				t.Errorf("class %s, 1710–1785 MHz, anywhere: warnings %q; want the phone warning: %v", class, got.Warnings, warned)
			}
		})
	}
}
