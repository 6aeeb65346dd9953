package alert

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
)

// The reviewer's tests of findings 3, 5 and 7 (docs/alerts.md); branch
// review-drone holds them in revdrone_test.go with those of findings 1,
// 4, 6 and 8, fixed on another branch: this file defines no helper of
// that one's (openDroneAlerts), so the two merge side by side.

// TestDroneAlertSaysDrone: the control room's banner is "CRITICAL: " and
// the alert's summary (dashboard/web/app.js raiseBanner), and the
// webhook, syslog and MQTT outputs carry the summary: it must say the
// alert is a drone, for every drone class, to an officer who does not
// know radio jargon. An analog FPV drone's reads "analog FPV video (5800
// MHz) in yard YARD, 90%" (DroneWhat): no "drone" anywhere, and nothing
// says an aircraft is over the yard. The other classes say it ("drone
// video link", "drone remote control", "DJI DroneID telemetry").
func TestDroneAlertSaysDrone(t *testing.T) {
	tests := []struct {
		class  string
		freqHz float64
	}{
		{event.ClassDroneID, 2.4295e9},
		{event.ClassDroneVideo, 5.76e9},
		{event.ClassRCFHSS, 868.4e6},
		{event.ClassFPVAnalog, 5.8e9},
	}
	for _, tt := range tests {
		t.Run(tt.class, func(t *testing.T) {
			rec := &recorder{}
			e, err := New(DefaultConfig(), demoSite(t), nil, rec, nil)
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Unix(1_800_000_000, 0)
			online(t, e, t0)
			loc := Location{Track: "d", Class: tt.class, Link: event.LinkUnknown, Room: "YARD", Prob: 0.9,
				RoomProbs: map[string]float64{"YARD": 0.9, "PERIM": 0.1}, Pos: site.Point{X: 24, Y: -10}, At: t0,
				FreqHz: tt.freqHz, Confidence: 0.9, Sensors: []string{"s5", "s1", "s6"}}
			if err := e.ObserveLocation(context.Background(), loc); err != nil {
				t.Fatal(err)
			}
			if len(rec.got) == 0 {
				t.Fatalf("no alert for a %s over the yard", tt.class)
			}
			if s := rec.got[0].Summary; !strings.Contains(strings.ToLower(s), "drone") {
				t.Errorf("the %s alert's summary (the banner's text) %q does not say drone", tt.class, s)
			}
		})
	}
}

// TestNamedLinksOldFPVWording: a drop incident's summary stored before
// analog FPV was renamed (TestDroneAlertSaysDrone) names the link in the
// old words; droneSummary keeps the links its summary names and adds
// DroneWhat of each class heard, so the old words must read as the new
// ones, or a visit continued after the upgrade names the link twice
// ("analog FPV video, FPV drone analog video heard").
func TestNamedLinksOldFPVWording(t *testing.T) {
	got := namedLinks("drone in YARD: DJI DroneID telemetry, analog FPV video heard")
	want := []string{DroneWhat(event.ClassDroneID, 0), DroneWhat(event.ClassFPVAnalog, 0)}
	if !slices.Equal(got, want) {
		t.Errorf("namedLinks of a summary in the old words = %q, want %q", got, want)
	}
}
