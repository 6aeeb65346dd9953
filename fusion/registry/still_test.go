package registry_test

import (
	"context"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/registry"
)

// TestStillAuthorises: for a vague fix of a track an entry authorised
// moments before (fusion, AuthorisedTrackHold), the entry is asked again
// with FixShare waived: a fix one sensor made, its registered cell one of
// ten alike, is the device's, where Match refuses it; a fix that rules the
// registered cell out (RoomShare), or a detection the entry does not
// authorise otherwise (another class, outside its schedule, the entry
// expired, another entry's ID), is not.
func TestStillAuthorises(t *testing.T) {
	ctx := context.Background()
	r, _ := openRegistry(t)
	tablet, err := r.Add(ctx, tabletEntry(), "admin") // B2-14, Mondays 08:00-21:00
	if err != nil {
		t.Fatal(err)
	}
	other := tabletEntry()
	other.Name, other.Rooms = "tablet B2-03", []string{"B2-03"}
	if other, err = r.Add(ctx, other, "admin"); err != nil {
		t.Fatal(err)
	}
	at := monday.Add(10 * time.Hour)
	tenAlike := registry.Place{Room: "B2-09", RoomProbs: map[string]float64{"B2-09": 0.095, "B2-14": 0.09, "B2-01": 0.09, "B2-02": 0.09, "B2-03": 0.09,
		"B2-10": 0.09, "B2-11": 0.09, "B2-12": 0.09, "B2-13": 0.09, "B2-15": 0.09, "B2-landing": 0.095}}
	elsewhere := registry.Place{Room: "B2-15", RoomProbs: map[string]float64{"B2-15": 0.6, "B2-13": 0.35, "B2-14": 0.05}}
	gsm := wifiDet(at)
	gsm.Class = event.ClassGSM
	for _, tc := range []struct {
		name  string
		id    int64
		d     event.Detection
		p     registry.Place
		at    time.Time
		match bool // Match's answer
		want  bool
	}{
		{"one sensor: ten cells alike, the registered cell among them", tablet.ID, wifiDet(at), tenAlike, at, false, true},
		{"placed in the registered cell", tablet.ID, wifiDet(at), registry.Place{Room: "B2-14", RoomProbs: map[string]float64{"B2-14": 0.9, "B2-15": 0.1}}, at, true, true},
		{"registered cell ruled out: elsewhere", tablet.ID, wifiDet(at), elsewhere, at, false, false},
		{"another class", tablet.ID, gsm, tenAlike, at, false, false},
		{"outside its schedule", tablet.ID, wifiDet(at.Add(12 * time.Hour)), tenAlike, at.Add(12 * time.Hour), false, false},
		{"another entry's ID: that entry's rooms judge", other.ID, wifiDet(at), elsewhere, at, false, false},
		{"no such entry", 99, wifiDet(at), tenAlike, at, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, got := r.Match(tc.d, tc.p, tc.at); got != tc.match {
				t.Fatalf("Match = %v, want %v: not the case the test is for", got, tc.match)
			}
			if got := r.StillAuthorises(tc.id, tc.d, tc.p, tc.at); got != tc.want {
				t.Errorf("StillAuthorises = %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := r.Expire(ctx, tablet.ID, "admin", at); err != nil {
		t.Fatal(err)
	}
	if r.StillAuthorises(tablet.ID, wifiDet(at.Add(time.Minute)), tenAlike, at.Add(time.Minute)) {
		t.Errorf("StillAuthorises = true after the entry was expired")
	}
}
