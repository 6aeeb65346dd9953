package registry_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// perimeterEntries are the two entries of the drone perimeter walkthrough
// (2026-12): a CCTV wireless bridge over 5725–5875 MHz and a staff Wi-Fi
// access point over 2.4 GHz ISM, both wifi_ap with no signature class, in
// the perimeter and yard zones. Before, each authorised every drone,
// drone video and RC fix in its band there, and the drone alert resolved
// while the drone hovered.
func perimeterEntries() []registry.Entry {
	from := monday.Add(-24 * time.Hour)
	return []registry.Entry{
		{Name: "Perimeter CCTV 5.8 GHz wireless bridge", Kind: registry.KindWiFiAP, ValidFrom: from,
			Signature: registry.Signature{FreqMinHz: 5725e6, FreqMaxHz: 5875e6}, Zones: []string{"perimeter", "yard"}},
		{Name: "Yard staff Wi-Fi AP", Kind: registry.KindWiFiAP, ValidFrom: from,
			Signature: registry.Signature{FreqMinHz: 2400e6, FreqMaxHz: 2483.5e6}, Zones: []string{"perimeter", "yard"}},
	}
}

func det(class string, centerHz, bwHz float64) event.Detection {
	return event.Detection{Schema: 1, ID: "d", Site: "s", Sensor: "a", TimeNS: monday.Add(10 * time.Hour).UnixNano(),
		CenterHz: centerHz, BandwidthHz: bwHz, PowerDBm: -60, Link: event.LinkUnknown, Class: class, Confidence: 0.8}
}

// TestClasslessEntryAuthorisesNoDrone: an entry with no signature class
// authorises any class but the drone ones (droneid, drone_video, rc_fhss,
// fpv_analog); a drone is authorised only by an entry naming its class or
// of kind authorised_drone.
func TestClasslessEntryAuthorisesNoDrone(t *testing.T) {
	ctx := context.Background()
	r, _ := openRegistry(t)
	for _, e := range perimeterEntries() {
		if _, err := r.Add(ctx, e, "admin"); err != nil {
			t.Fatal(err)
		}
	}
	named := perimeterEntries()[1]
	named.Name, named.Signature.Class = "Yard staff Wi-Fi AP (named class)", event.ClassWiFi
	if _, err := r.Add(ctx, named, "admin"); err != nil {
		t.Fatal(err)
	}
	inYard := registry.Place{Room: "YARD", Zones: []string{"yard"}}
	at := monday.Add(10 * time.Hour)
	tests := []struct {
		name string
		d    event.Detection
		want bool
	}{
		{"Wi-Fi at 5.8 GHz (the bridge)", det(event.ClassWiFi, 5785e6, 18e6), true},
		{"Wi-Fi at 2.4 GHz (the access point)", det(event.ClassWiFi, 2437e6, 18e6), true},
		{"drone video at 5.8 GHz", det(event.ClassDroneVideo, 5760e6, 9e6), false},
		{"DroneID at 2.4 GHz", det(event.ClassDroneID, 2429.5e6, 9e6), false},
		{"DroneID at 5.8 GHz", det(event.ClassDroneID, 5756.5e6, 9e6), false},
		{"RC hops at 2.4 GHz", det(event.ClassRCFHSS, 2440e6, 0.5e6), false},
		{"analog FPV at 5.8 GHz", det(event.ClassFPVAnalog, 5800e6, 8e6), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, got := r.Match(tt.d, inYard, at)
			if got != tt.want {
				t.Errorf("Match(%s at %.1f MHz) = %v (entry %q), want %v", tt.d.Class, tt.d.CenterHz/1e6, got, e.Name, tt.want)
			}
		})
	}
}

// TestAuthorisedDroneEntries: a drone is authorised by an entry naming its
// class, whatever its kind, and by one of kind authorised_drone with no
// class (the site's own inspection drone: its DroneID, video and
// controller).
func TestAuthorisedDroneEntries(t *testing.T) {
	ctx := context.Background()
	from := monday.Add(-24 * time.Hour)
	tests := []struct {
		name string
		e    registry.Entry
		d    event.Detection
		want bool
	}{
		{"authorised_drone, no class: DroneID", registry.Entry{Name: "inspection drone", Kind: registry.KindAuthorisedDrone, ValidFrom: from,
			Signature: registry.Signature{FreqMinHz: 2400e6, FreqMaxHz: 2483.5e6}}, det(event.ClassDroneID, 2429.5e6, 9e6), true},
		{"authorised_drone, no class: its controller", registry.Entry{Name: "inspection drone", Kind: registry.KindAuthorisedDrone, ValidFrom: from,
			Signature: registry.Signature{FreqMinHz: 2400e6, FreqMaxHz: 2483.5e6}}, det(event.ClassRCFHSS, 2440e6, 0.5e6), true},
		{"wifi_ap naming drone_video", registry.Entry{Name: "video link", Kind: registry.KindWiFiAP, ValidFrom: from,
			Signature: registry.Signature{Class: event.ClassDroneVideo, FreqMinHz: 5725e6, FreqMaxHz: 5875e6}}, det(event.ClassDroneVideo, 5760e6, 9e6), true},
		{"wifi_ap naming drone_video: not DroneID", registry.Entry{Name: "video link", Kind: registry.KindWiFiAP, ValidFrom: from,
			Signature: registry.Signature{Class: event.ClassDroneVideo, FreqMinHz: 5725e6, FreqMaxHz: 5875e6}}, det(event.ClassDroneID, 5756.5e6, 9e6), false},
		{"staff radio, no class: RC at 433 MHz", registry.Entry{Name: "radio", Kind: registry.KindStaffRadio, ValidFrom: from,
			Signature: registry.Signature{FreqMinHz: 433e6, FreqMaxHz: 435e6}}, det(event.ClassRCFHSS, 434e6, 0.3e6), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := openRegistry(t)
			if _, err := r.Add(ctx, tt.e, "admin"); err != nil {
				t.Fatal(err)
			}
			if _, got := r.Match(tt.d, registry.Place{Room: "YARD"}, monday.Add(10*time.Hour)); got != tt.want {
				t.Errorf("Match(%s) = %v, want %v", tt.d.Class, got, tt.want)
			}
		})
	}
}

// TestDroneBandWarning: adding or updating an entry with no class whose
// band overlaps a drone band answers with a warning naming the bands and
// what to do, and logs it; a load logs it once. An entry naming its
// class, one of kind authorised_drone and one outside the drone bands
// carry none.
func TestDroneBandWarning(t *testing.T) {
	ctx := context.Background()
	var logb bytes.Buffer
	lg := slog.New(slog.NewTextHandler(&logb, nil))
	path := filepath.Join(t.TempDir(), "r.db")
	s, err := store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := registry.Open(ctx, s.DB(), s, registry.Options{Location: time.UTC, Now: testClock, Logger: lg})
	if err != nil {
		t.Fatal(err)
	}
	from := monday.Add(-24 * time.Hour)
	tests := []struct {
		name     string
		e        registry.Entry
		wantWarn []string // substrings of the one warning; nil: no warning
	}{
		{"CCTV bridge at 5.8 GHz", perimeterEntries()[0], []string{"5.8 GHz SRD", "5.8 GHz FPV", "no signature class", "authorises no drone", "authorised_drone"}},
		{"staff AP at 2.4 GHz", perimeterEntries()[1], []string{"ISM 2.4 GHz", "no signature class"}},
		{"named class", registry.Entry{Name: "AP wifi", Kind: registry.KindWiFiAP, ValidFrom: from, Rooms: []string{"OFFICE"}, // not the staff AP's places (TestOverlapWarning)
			Signature: registry.Signature{Class: event.ClassWiFi, FreqMinHz: 2400e6, FreqMaxHz: 2483.5e6}}, nil},
		// anywhere, always: since 2026-12-06 warned of (droneSiteWarning);
		// in the yard, not
		{"authorised drone anywhere", registry.Entry{Name: "inspection drone", Kind: registry.KindAuthorisedDrone, ValidFrom: from,
			Signature: registry.Signature{FreqMinHz: 2400e6, FreqMaxHz: 2483.5e6}}, []string{"authorises every drone emission of classes droneid",
			"2400–2483.5 MHz anywhere on the site, outside the wall included, at every hour", "give it the rooms or zones"}},
		{"authorised drone in the yard", registry.Entry{Name: "yard drone", Kind: registry.KindAuthorisedDrone, ValidFrom: from,
			Zones: []string{"yard"}, Signature: registry.Signature{FreqMinHz: 5725e6, FreqMaxHz: 5875e6}}, nil}, // not the inspection drone's band (TestOverlapWarning)
		// in its office: anywhere, it would carry the phone warning
		// (TestPhoneBandWarning)
		{"official phone over E-GSM-900 UL (overlapping ISM 915 only where GSM is)", registry.Entry{Name: "governor's phone", Kind: registry.KindOfficialPhone, ValidFrom: from,
			Rooms: []string{"GOVERNOR"}, Signature: registry.Signature{FreqMinHz: 880e6, FreqMaxHz: 915e6}}, nil},
		{"alarm pendant at 868 MHz", registry.Entry{Name: "pendant", Kind: registry.KindStaffRadio, ValidFrom: from,
			Signature: registry.Signature{FreqMinHz: 868e6, FreqMaxHz: 868.6e6}}, []string{"SRD 868 863–870 MHz", "868–868.6 MHz",
			"critical drone alert wherever it is located", "set class rc_fhss and the rooms or zones where it is used to keep authorising it there as an RC device", "or kind authorised_drone"}},
		{"TETRA radio", registry.Entry{Name: "radio", Kind: registry.KindStaffRadio, ValidFrom: from,
			Signature: registry.Signature{FreqMinHz: 380e6, FreqMaxHz: 400e6}}, nil},
	}
	var warned []int64
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logb.Reset()
			got, err := r.Add(ctx, tt.e, "admin")
			if err != nil {
				t.Fatal(err)
			}
			check := func(what string, ws []string) {
				t.Helper()
				if tt.wantWarn == nil {
					if len(ws) != 0 {
						t.Errorf("%s: warnings %q, want none", what, ws)
					}
					return
				}
				if len(ws) != 1 {
					t.Fatalf("%s: warnings %q, want one", what, ws)
				}
				for _, sub := range tt.wantWarn {
					if !strings.Contains(ws[0], sub) {
						t.Errorf("%s: warning %q does not say %q", what, ws[0], sub)
					}
				}
			}
			check("Add", got.Warnings)
			if tt.wantWarn != nil {
				warned = append(warned, got.ID)
				if n := strings.Count(logb.String(), "entry authorises other than it may seem"); n != 1 || !strings.Contains(logb.String(), "level=WARN") || !strings.Contains(logb.String(), tt.e.Name) {
					t.Errorf("Add logged %q, want one warning naming the entry", logb.String())
				}
			}
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
		})
	}
	// A registry opening the same database logs each warning once, and not
	// again at a reload.
	logb.Reset()
	r2, err := registry.Open(ctx, s.DB(), s, registry.Options{Location: time.UTC, Now: testClock, Logger: lg})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logb.String(), "entry authorises other than it may seem"); n != len(warned) {
		t.Errorf("Open logged %d drone warnings, want %d:\n%s", n, len(warned), logb.String())
	}
	logb.Reset()
	if _, err := s.DB().ExecContext(ctx, `UPDATE registry_version SET v = v + 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := r2.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logb.String(), "entry authorises other than it may seem") {
		t.Errorf("a reload logged the warnings again:\n%s", logb.String())
	}
}

// TestDroneGapsAtStart: fusion's start-up summary names each class-less
// entry whose band overlaps a drone band, in one WARN line, with what to
// do. An upgrade made such entries (a 433/868 MHz alarm pendant, a staff
// remote) stop authorising drone classes while the drone rule came to
// hold in every room: each of their fixes classified rc_fhss became a
// critical drone alert in landings, offices and cells, and the only sign
// was a WARN line per entry whose advice ("name the class it sends, e.g.
// wifi") did not fit a pendant.
func TestDroneGapsAtStart(t *testing.T) {
	ctx := context.Background()
	from := monday.Add(-24 * time.Hour)
	tests := []struct {
		name    string
		entries []registry.Entry
		want    []string // substrings of the one line; nil: no line
	}{
		{"pendant and a bridge", []registry.Entry{
			{Name: "Landing alarm pendants", Kind: registry.KindStaffRadio, ValidFrom: from, Signature: registry.Signature{FreqMinHz: 868e6, FreqMaxHz: 868.6e6}},
			perimeterEntries()[0],
			{Name: "AP wifi", Kind: registry.KindWiFiAP, ValidFrom: from, Signature: registry.Signature{Class: event.ClassWiFi, FreqMinHz: 2400e6, FreqMaxHz: 2483.5e6}},
		}, []string{"level=WARN", "count=2", "Landing alarm pendants", "Perimeter CCTV 5.8 GHz wireless bridge",
			"set class rc_fhss and the rooms or zones where it is used to keep authorising it there as an RC device", "or kind authorised_drone", "critical drone alert"}},
		{"none class-less", []registry.Entry{
			{Name: "AP wifi", Kind: registry.KindWiFiAP, ValidFrom: from, Signature: registry.Signature{Class: event.ClassWiFi, FreqMinHz: 2400e6, FreqMaxHz: 2483.5e6}},
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := openRegistry(t)
			for _, e := range tt.entries {
				if _, err := r.Add(ctx, e, "admin"); err != nil {
					t.Fatal(err)
				}
			}
			var logb bytes.Buffer
			n := r.LogDroneGaps(ctx, slog.New(slog.NewTextHandler(&logb, nil)))
			lines := strings.Count(logb.String(), "\n")
			if tt.want == nil {
				if n != 0 || lines != 0 {
					t.Errorf("LogDroneGaps = %d, logged %q; want nothing", n, logb.String())
				}
				return
			}
			if lines != 1 || n != 2 {
				t.Fatalf("LogDroneGaps = %d, logged %q; want 2 entries in one line", n, logb.String())
			}
			for _, sub := range tt.want {
				if !strings.Contains(logb.String(), sub) {
					t.Errorf("logged %q, want it to say %q", logb.String(), sub)
				}
			}
			if strings.Contains(logb.String(), "AP wifi") {
				t.Errorf("logged %q, naming an entry with a class", logb.String())
			}
		})
	}
}
