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

// TestRedSiteWidePhoneBandEntryIsFlagged: one entry, saved by an admin
// talked into "registering the new staff phones" (kind official_phone, no
// class as docs/alerts.md advises for phones, a band from LTE B3 up to
// 2.69 GHz, no rooms or zones: "anywhere on site"), authorises every
// phone on those bands in every cell, and the unauthorised-uplink alert
// never fires again. docs/alerts.md tells why an entry with no band was
// refused (it "authorised every phone ... on the site within seconds");
// a band 1 GHz wide over the cellular uplinks does the same for them,
// and is taken with no refusal and no warning. An entry that authorises
// phone uplinks in cells site-wide must at least carry a warning (as a
// class-less entry in a drone band does), or be refused.
func TestRedSiteWidePhoneBandEntryIsFlagged(t *testing.T) {
	ctx := context.Background()
	s, err := site.LoadFile("../../testdata/sites/wing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r, err := registry.Open(ctx, db.DB(), db, registry.Options{Site: s, Location: time.UTC, Now: testClock})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		minHz, max float64
	}{
		{"LTE B3 uplink", 1.71e9, 1.785e9},
		{"1.71-2.69 GHz: B3, B1, B7 uplinks", 1.71e9, 2.69e9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := r.Add(ctx, registry.Entry{Name: "staff phones " + tc.name, Kind: registry.KindOfficialPhone,
				Signature: registry.Signature{FreqMinHz: tc.minHz, FreqMaxHz: tc.max}, ValidFrom: monday}, "admin")
			if err != nil {
				return // refused: the gap is closed
			}
			phone := event.Detection{Schema: 1, ID: "p", Site: s.ID, Sensor: "s6", TimeNS: testClock().UnixNano(), CenterHz: 1.75e9,
				BandwidthHz: 5e6, PowerDBm: -50, Link: event.LinkUplink, Class: event.ClassLTE, Confidence: 0.9}
			_, authorised := r.Match(phone, registry.Place{Room: "B2-14", Zones: []string{"wing-b"},
				RoomProbs: map[string]float64{"B2-14": 0.99, "B2-13": 0.01}}, testClock())
			if !authorised {
				t.Fatal("the entry does not authorise a phone located in cell B2-14 at 99%: the test shows nothing")
			}
			if len(e.Warnings) == 0 || !strings.Contains(strings.Join(e.Warnings, " "), "cell") {
				t.Errorf("entry %d (no class, %s, anywhere on site) silences every phone in every cell on its band, taken with warnings %q; want it refused or warned of",
					e.ID, tc.name, e.Warnings)
			}
		})
	}
}
