package registry_test

import (
	"context"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/registry"
)

// TestSiteWideDroneEntryWarned: an entry that authorises a drone class
// (it names one, or is of kind authorised_drone) with no rooms or zones
// authorises every drone of that class in its band anywhere on the site,
// outside the wall included: a hostile drone's controller, DroneID or
// video there raises nothing. The registry warns of the phone equivalent
// ("authorises phone uplinks in every cell on the site", TestPhoneBandWarning)
// but takes these with no word. Two of them are what the docs advise:
// the drone-band warning tells an admin with a class-less 868 MHz alarm
// pendant to "set class rc_fhss to keep authorising it" (docs/alerts.md
// "Upgrading a registry with class-less entries"), and the site's own
// inspection drone is entered as authorised_drone over the 2.4 GHz band.
// Each Match below shows what the entry silences; each entry should be
// taken with a warning saying so, as the phone one is.
func TestSiteWideDroneEntryWarned(t *testing.T) {
	ctx := context.Background()
	from := monday.Add(-24 * time.Hour)
	outside := registry.Place{Room: "OUTSIDE", Zones: []string{"outside"}}
	tests := []struct {
		name string
		e    registry.Entry
		d    event.Detection // a hostile drone's emission the entry authorises
	}{
		{"alarm pendants given class rc_fhss as the warning advises: every ELRS/FrSky 868 MHz controller",
			registry.Entry{Name: "Landing alarm pendants", Kind: registry.KindStaffRadio, ValidFrom: from,
				Signature: registry.Signature{Class: event.ClassRCFHSS, FreqMinHz: 863e6, FreqMaxHz: 870e6}},
			det(event.ClassRCFHSS, 868.4e6, 0.5e6)},
		{"inspection drone, kind authorised_drone, 2.4 GHz, anywhere, always: every DJI's DroneID",
			registry.Entry{Name: "inspection drone", Kind: registry.KindAuthorisedDrone, ValidFrom: from,
				Signature: registry.Signature{FreqMinHz: 2400e6, FreqMaxHz: 2483.5e6}},
			det(event.ClassDroneID, 2429.5e6, 9e6)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := openRegistry(t)
			got, err := r.Add(ctx, tt.e, "admin")
			if err != nil {
				t.Fatal(err)
			}
			m, ok := r.Match(tt.d, outside, monday.Add(22*time.Hour))
			if !ok {
				t.Fatalf("Match(%s at %.1f MHz outside the wall) = false: the entry does not authorise it, nothing to warn of", tt.d.Class, tt.d.CenterHz/1e6)
			}
			if len(got.Warnings) == 0 {
				t.Errorf("entry %q (no rooms, no zones, no schedule) authorises a %s at %.1f MHz outside the wall at 22:00 (matched %q), and was taken with no warning; want one saying it authorises every drone of that class in its band anywhere on the site, as an entry that authorises phones in every cell is warned of",
					tt.e.Name, tt.d.Class, tt.d.CenterHz/1e6, m.Name)
			}
		})
	}
}

// TestYardDroneEntryAuthorisesNoDroneOverPerimeter: the prison's own
// inspection drone is registered for the yard (kind authorised_drone,
// zone yard), as an admin limits it after reading docs/alerts.md. A
// hostile DJI over the perimeter strip, heard by the yard sensor alone
// (most drones are: docs/localisation.md, 2062 of 2611), has a fix that
// cannot tell the yard from the perimeter: the demo's read "near
// perimeter PERIM, 39%, or yard YARD, 39%" (this review's demo run), its
// controller outside the wall "PERIM 39%, YARD 39%, OUTSIDE 9%". The
// registry's rule for a vague fix (RoomShare: the entry's best room at
// least half as likely as the top; FixShare: a quarter of the mass)
// authorises both: a drone over the perimeter, and its pilot outside the
// wall, raise no alert for as long as the inspection drone's entry is
// valid. For phones that rule keeps a registered tablet authorised when
// a fix cannot tell its cell from the next; for a drone class it makes
// the entry's zone cover every outdoor room the one yard sensor confuses
// with it.
func TestYardDroneEntryAuthorisesNoDroneOverPerimeter(t *testing.T) {
	ctx := context.Background()
	r, _ := openRegistry(t)
	if _, err := r.Add(ctx, registry.Entry{Name: "inspection drone", Kind: registry.KindAuthorisedDrone, ValidFrom: monday.Add(-24 * time.Hour),
		Zones: []string{"yard"}, Signature: registry.Signature{FreqMinHz: 2400e6, FreqMaxHz: 2483.5e6}}, "admin"); err != nil {
		t.Fatal(err)
	}
	zoneOf := func(room string) string {
		return map[string]string{"YARD": "yard", "PERIM": "perimeter", "OUTSIDE": "outside"}[room]
	}
	tests := []struct {
		name  string
		d     event.Detection
		probs map[string]float64
	}{
		{"DroneID over the perimeter, heard by s5 alone", det(event.ClassDroneID, 2429.5e6, 9e6),
			map[string]float64{"PERIM": 0.3802, "YARD": 0.3798, "OUTSIDE": 0.09, "L1-S05": 0.03, "L1-S06": 0.03, "L2-S05": 0.03, "L2-S06": 0.03, "L1-S07": 0.03}},
		{"its controller outside the wall, heard by s5 alone", det(event.ClassRCFHSS, 2440e6, 0.5e6),
			map[string]float64{"PERIM": 0.3892, "YARD": 0.3886, "OUTSIDE": 0.087, "L1-S05": 0.0192, "L1-S06": 0.0195, "L1-S07": 0.0195, "L2-S06": 0.0189, "L2-S07": 0.0189}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := registry.Place{Room: "PERIM", Zones: []string{"perimeter"}, RoomProbs: tt.probs, ZoneOf: zoneOf}
			if e, ok := r.Match(tt.d, p, monday.Add(22*time.Hour)); ok {
				t.Errorf("Match(%s, most likely in PERIM %.0f%%, YARD %.0f%%) authorised by %q (zone yard): a drone the fix places over the perimeter as much as over the yard raises no alert",
					tt.d.Class, 100*tt.probs["PERIM"], 100*tt.probs["YARD"], e.Name)
			}
		})
	}
}

// TestYardDroneEntryKeepsYardFix: the other side of
// TestYardDroneEntryAuthorisesNoDroneOverPerimeter. The inspection drone's
// yard-only entry still authorises a drone class whose fix tells the yard
// from every room outside it (the most likely other room under RoomShare
// of the yard), whether Match or StillAuthorises judges it; and for a
// class that is not a drone's (the entry names no class, so it authorises
// the Wi-Fi of the drone's ground station too) the tablet rules stand: a
// fix that cannot tell the yard from the perimeter is authorised.
func TestYardDroneEntryKeepsYardFix(t *testing.T) {
	ctx := context.Background()
	r, _ := openRegistry(t)
	e, err := r.Add(ctx, registry.Entry{Name: "inspection drone", Kind: registry.KindAuthorisedDrone, ValidFrom: monday.Add(-24 * time.Hour),
		Zones: []string{"yard"}, Signature: registry.Signature{FreqMinHz: 2400e6, FreqMaxHz: 2483.5e6}}, "admin")
	if err != nil {
		t.Fatal(err)
	}
	zoneOf := func(room string) string {
		return map[string]string{"YARD": "yard", "PERIM": "perimeter", "OUTSIDE": "outside"}[room]
	}
	tie := map[string]float64{"PERIM": 0.38, "YARD": 0.38, "OUTSIDE": 0.09, "L1-S05": 0.15}
	tests := []struct {
		name  string
		d     event.Detection
		probs map[string]float64
		want  bool
	}{
		{"DroneID placed in the yard (PERIM under half)", det(event.ClassDroneID, 2429.5e6, 9e6),
			map[string]float64{"YARD": 0.6, "PERIM": 0.2, "OUTSIDE": 0.1, "L1-S05": 0.1}, true},
		{"DroneID with PERIM exactly half the yard", det(event.ClassDroneID, 2429.5e6, 9e6),
			map[string]float64{"YARD": 0.6, "PERIM": 0.3, "OUTSIDE": 0.1}, false},
		{"drone video, a cell beside the yard as likely", det(event.ClassDroneVideo, 2440e6, 10e6),
			map[string]float64{"YARD": 0.45, "L1-S05": 0.45, "PERIM": 0.1}, false},
		{"DroneID, yard and perimeter alike", det(event.ClassDroneID, 2429.5e6, 9e6), tie, false},
		{"Wi-Fi, yard and perimeter alike: the tablet rule", det(event.ClassWiFi, 2437e6, 20e6), tie, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			top := "YARD"
			if tt.probs["PERIM"] > tt.probs["YARD"] {
				top = "PERIM"
			}
			p := registry.Place{Room: top, Zones: []string{zoneOf(top)}, RoomProbs: tt.probs, ZoneOf: zoneOf}
			at := monday.Add(22 * time.Hour)
			if _, got := r.Match(tt.d, p, at); got != tt.want {
				t.Errorf("Match(%s, %v) = %v, want %v", tt.d.Class, tt.probs, got, tt.want)
			}
			if got := r.StillAuthorises(e.ID, tt.d, p, at); got != tt.want {
				t.Errorf("StillAuthorises(%s, %v) = %v, want %v", tt.d.Class, tt.probs, got, tt.want)
			}
		})
	}
}
