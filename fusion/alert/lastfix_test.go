package alert

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
)

// TestRestartDroneAckedByLastFix: a drone hovers over the yard for five
// minutes, located every 3 s, its alert acknowledged at 20 s; its fixes
// bring nothing new after the first 50 detections (the same room, the
// same probability), so the store's update of its alert stops moving
// about 150 s in. Fusion restarts (a clean stop, or a crash) and hears
// the drone again: within reannounce_after (45 s) of its last fix, its
// alert goes on acknowledged, nothing announced; after a longer gap it is
// announced anew, as an acknowledged drone back after a gap is. Until
// 2026-12-05 the restart judged the gap from the alert's last stored
// update, not its last fix, and the drone heard 8 s before was announced
// anew, unacknowledged.
func TestRestartDroneAckedByLastFix(t *testing.T) {
	for _, tc := range []struct {
		name  string
		clean bool // the earlier run stops cleanly (StoreLastFixes), else it crashes
		gapS  int  // the first fix after the restart, seconds after the last before it
		anew  bool
		// old: the stored alert has no last fix, as one stored before
		// 2026-12-05: its last stored update stands in, as then.
		old bool
	}{
		{"clean stop, heard 8 s after its last fix", true, 8, false, false},
		{"crash, heard 8 s after its last fix", false, 8, false, false},
		{"crash, heard 30 s after its last fix", false, 30, false, false}, // within reannounce_after less its LastFixShare
		{"clean stop, heard 60 s after its last fix", true, 60, true, false},
		{"crash, heard 60 s after its last fix", false, 60, true, false},
		{"stored with no last fix, heard 8 s after it", true, 8, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db := alertDB(t)
			t0 := time.Unix(1_800_000_000, 0)
			drone := linkFix{track: "a", class: event.ClassDroneVideo, room: "yard", x: 10, y: -15}
			first, err := New(DefaultConfig(), wing(t), db, &recorder{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			online(t, first, t0)
			const lastS = 300
			var was event.Alert
			playFixes(t, first, t0, every(drone, 0, lastS, 3, 0, 0), 0, 20, func(now time.Time) {
				act := first.Active()
				if len(act) != 1 || act[0].State != event.AlertFiring {
					t.Fatalf("at 20 s active %+v, want the drone's alert firing", act)
				}
				was = act[0]
				if _, err := first.Ack(ctx, was.ID, "officer1", "yard searched", now); err != nil {
					t.Fatal(err)
				}
			})
			stored, err := db.Alert(ctx, was.ID)
			if err != nil {
				t.Fatal(err)
			}
			if upd := time.Unix(0, stored.UpdatedNS).Sub(t0); upd > 200*time.Second {
				t.Fatalf("stored update at %v, want it to stop moving once the evidence is full (the case under test)", upd)
			}
			if tc.clean {
				if err := first.StoreLastFixes(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if tc.old {
				stored, err := db.Alert(ctx, was.ID)
				if err != nil {
					t.Fatal(err)
				}
				if stored.LastFixNS != t0.Add(lastS*time.Second).UnixNano() {
					t.Fatalf("stored last fix %v, want %v", time.Unix(0, stored.LastFixNS).Sub(t0), lastS*time.Second)
				}
				stored.LastFixNS = 0
				if err := db.UpsertAlert(ctx, stored); err != nil {
					t.Fatal(err)
				}
			}

			rec := &recorder{}
			second, err := New(DefaultConfig(), wing(t), db, rec, nil)
			if err != nil {
				t.Fatal(err)
			}
			from := lastS + tc.gapS
			restart := t0.Add(time.Duration(from-2) * time.Second)
			online(t, second, restart)
			for s := from - 2; s <= from+30; s++ {
				if s >= from && (s-from)%3 == 0 {
					f := drone
					f.s = s
					if err := second.ObserveLocation(ctx, f.loc(t0)); err != nil {
						t.Fatal(err)
					}
				}
				if err := second.Tick(ctx, t0.Add(time.Duration(s)*time.Second)); err != nil {
					t.Fatal(err)
				}
			}
			var got []event.Alert
			for _, a := range second.Active() {
				if a.Rule == "drone" {
					got = append(got, a)
				}
			}
			var announced []string
			for _, a := range rec.got {
				if a.Rule == "drone" && a.State != event.AlertResolved {
					announced = append(announced, a.ID)
				}
			}
			if len(got) != 1 {
				t.Fatalf("after the restart drone alerts %+v, want one", got)
			}
			if tc.anew {
				if got[0].ID == was.ID || got[0].AckBy != "" || len(announced) == 0 {
					t.Errorf("after a gap of %d s: alert %s (acknowledged by %q), announced %v; want a new alert announced, unacknowledged",
						tc.gapS, got[0].ID, got[0].AckBy, announced)
				}
				return
			}
			if got[0].ID != was.ID || got[0].AckBy != "officer1" || got[0].State != event.AlertFiring || len(announced) != 0 {
				t.Errorf("%d s after its last fix: alert %s %s (acknowledged by %q), announced %v; want %s going on acknowledged, nothing announced",
					tc.gapS, got[0].ID, got[0].State, got[0].AckBy, announced, was.ID)
			}
		})
	}
}

// TestRestartPhonesKeepTheirAlerts: two phones of one class (LTE) in one
// cell, one on band B3, the other on B20, each alerted (and acknowledged,
// with its own note) before fusion restarts. Heard again after it, in
// either order, each phone continues its own alert: the held alert whose
// stored band is its fix's comes first. Until 2026-12-05 the match was by
// rule, class and room alone, and the phone heard first took whichever
// alert was updated last: heard in the other order, the two swapped
// alerts (and notes). A phone on a band no held alert has (it changed
// band) still continues one.
func TestRestartPhonesKeepTheirAlerts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		order []string // bands heard after the restart, in order
		class string   // event.ClassLTE when ""
		// labelOnly: the fixes name no band, only a label (a sensor
		// that gives none), as an unknown-class uplink's may.
		labelOnly bool
	}{
		{"B3 first", []string{"LTE B3 UL", "LTE B20 UL"}, "", false},
		{"B20 first", []string{"LTE B20 UL", "LTE B3 UL"}, "", false},
		{"one phone on a new band", []string{"LTE B1 UL"}, "", false},
		{"unknown class, labels only, B3 first", []string{"LTE B3 UL", "LTE B20 UL"}, event.ClassUnknown, true},
		{"unknown class, labels only, B20 first", []string{"LTE B20 UL", "LTE B3 UL"}, event.ClassUnknown, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db := alertDB(t)
			t0 := time.Unix(1_800_000_000, 0)
			phone := func(track, band string, s int) Location {
				probs := map[string]float64{"B2-14": 0.8, "B2-13": 0.1}
				freq := map[string]float64{"LTE B3 UL": 1747.5e6, "LTE B20 UL": 847e6, "LTE B1 UL": 1950e6}[band]
				l := Location{Track: track, Class: cmp.Or(tc.class, event.ClassLTE), Link: event.LinkUplink, Room: "B2-14", Prob: 0.8, RoomProbs: probs,
					Band: band, Label: "LTE/NR uplink (" + band + ", 15 kHz SCS)", FreqHz: freq,
					Evidence: []string{fmt.Sprintf("%s-%d", track, s)}, At: t0.Add(time.Duration(s) * time.Second)}
				if tc.labelOnly {
					l.Band = ""
				}
				return l
			}
			firstRec := &recorder{}
			first, err := New(DefaultConfig(), wing(t), db, firstRec, nil)
			if err != nil {
				t.Fatal(err)
			}
			online(t, first, t0)
			for s := 0; s <= 30; s++ {
				for _, l := range []Location{phone("trk-old-b3", "LTE B3 UL", s), phone("trk-old-b20", "LTE B20 UL", s)} {
					if err := first.ObserveLocation(ctx, l); err != nil {
						t.Fatal(err)
					}
				}
				if err := first.Tick(ctx, t0.Add(time.Duration(s)*time.Second)); err != nil {
					t.Fatal(err)
				}
			}
			was := map[string]string{} // band → alert ID
			for _, a := range first.Active() {
				band := map[string]string{"trk-old-b3": "LTE B3 UL", "trk-old-b20": "LTE B20 UL"}[a.Track]
				if a.State != event.AlertFiring || a.Room != "B2-14" || band == "" {
					t.Fatalf("before the restart %+v, want two alerts firing in B2-14", first.Active())
				}
				was[band] = a.ID
				if _, err := first.Ack(ctx, a.ID, "officer1", "phone on "+band, t0.Add(30*time.Second)); err != nil {
					t.Fatal(err)
				}
			}
			if len(was) != 2 {
				t.Fatalf("before the restart alerts %v, want one per phone", was)
			}

			rec := &recorder{}
			second, err := New(DefaultConfig(), wing(t), db, rec, nil)
			if err != nil {
				t.Fatal(err)
			}
			online(t, second, t0.Add(35*time.Second))
			for s := 35; s <= 60; s++ {
				for i, band := range tc.order {
					if s >= 40+i { // the first band heard first, the second a second later
						if err := second.ObserveLocation(ctx, phone("trk-new-"+band, band, s)); err != nil {
							t.Fatal(err)
						}
					}
				}
				if err := second.Tick(ctx, t0.Add(time.Duration(s)*time.Second)); err != nil {
					t.Fatal(err)
				}
			}
			got := map[string]event.Alert{} // band heard → its alert
			for _, a := range second.Active() {
				if a.Track != "" && a.Track[:8] == "trk-new-" {
					got[a.Track[8:]] = a
				}
			}
			for _, a := range rec.got {
				if a.State == event.AlertPending {
					t.Errorf("after the restart a new alert %s (%q) published, want the earlier ones continued", a.ID, a.Summary)
				}
			}
			for _, a := range firstRec.got {
				if a.Band != "" || a.Label != "" || a.FreqHz != 0 || a.LastFixNS != 0 {
					t.Errorf("published %+v, want no band, label, frequency or last fix (the store's only)", a)
				}
			}
			if len(tc.order) == 1 {
				a := got[tc.order[0]]
				if a.ID != was["LTE B3 UL"] && a.ID != was["LTE B20 UL"] {
					t.Errorf("the phone on a new band has alert %q, want it to continue one of %v", a.ID, was)
				}
				if a.Band != tc.order[0] || !strings.Contains(a.Label, tc.order[0]) {
					t.Errorf("its alert's band %q, want the fix's %q", a.Band, tc.order[0])
				}
				return
			}
			for _, band := range tc.order {
				if a := got[band]; a.ID != was[band] || a.AckNote != "phone on "+band {
					t.Errorf("the phone on %s continues alert %s (note %q), want its own, %s", band, a.ID, a.AckNote, was[band])
				}
				stored, err := db.Alert(ctx, was[band])
				if err != nil {
					t.Fatal(err)
				}
				if !tc.labelOnly && stored.Band != band || !strings.Contains(stored.Label, band) {
					t.Errorf("stored alert %s band %q, label %q, want %q's", stored.ID, stored.Band, stored.Label, band)
				}
			}
		})
	}
}
