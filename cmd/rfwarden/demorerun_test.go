package main

import (
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/sensor/sim"
)

// TestDemoTrackPrefix: two demos on one --dir start at the same simulated
// time (the default start is fixed by the seed), so fusion's default
// track-ID prefix, its clock at start, would be the same in both and the
// second run would reuse the first's track IDs. The demo names its fusion
// run by the wall clock instead.
func TestDemoTrackPrefix(t *testing.T) {
	w := sim.StandardWing(1)
	st, err := site.Load(strings.NewReader(string(w.SiteYAML())))
	if err != nil {
		t.Fatal(err)
	}
	wall := time.Now()
	tests := []struct {
		name         string
		wallA, wallB time.Time
		wantSame     bool
	}{
		{"runs a minute apart", wall, wall.Add(time.Minute), false},
		{"runs a millisecond apart", wall, wall.Add(time.Millisecond), false},
		{"one run", wall, wall, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := demoTrackPrefix(tt.wallA), demoTrackPrefix(tt.wallB)
			if (a == b) != tt.wantSame {
				t.Errorf("prefixes %q and %q: same %v, want %v", a, b, a == b, tt.wantSame)
			}
			// fusion takes it
			if _, err := fusion.New(fusion.Config{}, fusion.Deps{Site: st, TrackPrefix: a}); err != nil {
				t.Errorf("fusion.New with TrackPrefix %q: %v", a, err)
			}
		})
	}
}

// TestDemoLoginNote: the banner's login. A second demo on the same --dir
// found the admin made by the first and printed "log in as admin / " with
// no password; it then said to run `rfwarden users reset-password`, which
// stamps the wall clock (the next demo continued 11 months ahead). It now
// says the account exists and its password is unchanged, and with
// --new-admin-password prints the new one (TestDemoRerunSameDir runs it).
func TestDemoLoginNote(t *testing.T) {
	tests := []struct {
		name     string
		password string
		created  bool
		want     string
	}{
		{"first run", "5mwWrQEGMZVvIvQVcTpq", true, "log in as admin / 5mwWrQEGMZVvIvQVcTpq (the demo's own account: no password change asked)"},
		{"admin exists", "", false, "log in as admin: existing account; password unchanged — run the demo with --new-admin-password to be given a new one"},
		{"admin exists, --new-admin-password", "Qx7kLm2Np9Rs4Tv6Wy8Z", false, "log in as admin / Qx7kLm2Np9Rs4Tv6Wy8Z (a new password for the folder's admin, --new-admin-password: change asked at first login)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := demoLoginNote(tt.password, tt.created); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
