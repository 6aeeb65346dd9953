package alert

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
)

// TestAcknowledgedDroneComesBack: a drone hovers over the yard for an
// hour, its DroneID and its controller each located every 5 s, and an
// officer acknowledges its critical alert a minute after it fires. The
// alert stayed one acknowledged alert, silent for the whole hour:
// reannounce_after measures a gap unheard, and a drone that stays has
// none. Now, as for a phone (TestAcknowledgedPhoneComesBack), a fix
// ack_lasts (10 min by default for a drone) after the acknowledgement
// resolves the acknowledged alert, keeping who acknowledged it, and
// raises a new alert for the same visit that fires at once, naming them,
// in the same drone-drop case; nothing is published between, and the
// visit stays one alert (its controller's fixes join the new one).
func TestAcknowledgedDroneComesBack(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ackLasts time.Duration // 0: the default
		want     int           // alerts raised anew in the hour
	}{
		// fires at 0, acknowledged at 1 min, raised anew at 11, 22, 33, 44, 55 min
		{"default, 10 min", 0, 5},
		// raised anew at 21 and 42 min
		{"ack_lasts 20m", 20 * time.Minute, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			cfg := DefaultConfig()
			var rule *Rule
			for i := range cfg.Rules {
				if cfg.Rules[i].Kind == KindDrone {
					rule = &cfg.Rules[i]
				}
			}
			rule.AckLasts = Duration(tc.ackLasts)
			rule.applyDefaults()
			lasts := time.Duration(rule.AckLasts)
			if tc.ackLasts == 0 && lasts != DefaultDroneAckLasts {
				t.Fatalf("default drone rule: ack_lasts %v, want %v", lasts, DefaultDroneAckLasts)
			}
			rec := &recorder{}
			e, err := New(cfg, wing(t), nil, rec, nil)
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Unix(1_800_000_000, 0)
			online(t, e, t0)
			links := []struct {
				track, class string
				pos          site.Point
			}{
				{"dr", event.ClassDroneID, site.Point{X: 15, Y: -8}},
				{"rc", event.ClassRCFHSS, site.Point{X: 25, Y: -9}},
			}
			var acked []time.Time
			var ackedIDs []string
			for s := 0; s <= 3600; s++ {
				now := t0.Add(time.Duration(s) * time.Second)
				if s%5 == 0 {
					l := links[(s/5)%2]
					loc := Location{Track: l.track, Class: l.class, Link: event.LinkUnknown, Room: "yard", Prob: 0.95,
						RoomProbs: map[string]float64{"yard": 0.95}, Pos: l.pos, At: now, Evidence: []string{fmt.Sprintf("d%d", s)}}
					if err := e.ObserveLocation(ctx, loc); err != nil {
						t.Fatal(err)
					}
				}
				if err := e.Tick(ctx, now); err != nil {
					t.Fatal(err)
				}
				var open []event.Alert
				for _, a := range e.Active() {
					if a.Rule == rule.Name && a.State != event.AlertResolved {
						open = append(open, a)
					}
				}
				if len(open) > 1 {
					t.Fatalf("%v in: %d drone alerts open, want one (one visit): %+v", now.Sub(t0), len(open), open)
				}
				// Each alert that fires is acknowledged a minute later.
				for _, a := range open {
					if a.State == event.AlertFiring && a.AckNS == 0 && now.Sub(time.Unix(0, a.UpdatedNS)) >= time.Minute {
						if _, err := e.Ack(ctx, a.ID, fmt.Sprintf("officer%d", len(acked)), "", now); err != nil {
							t.Fatal(err)
						}
						acked, ackedIDs = append(acked, now), append(ackedIDs, a.ID)
					}
				}
			}
			raised := checkRaisedAnew(t, rec.got, rule.Name, acked, ackedIDs, lasts, 5*time.Second, tc.want)
			for _, a := range raised {
				if !strings.HasPrefix(a.Summary, "DJI DroneID telemetry") && !strings.HasPrefix(a.Summary, "drone remote control") {
					t.Errorf("summary %q does not say what was heard", a.Summary)
				}
				if a.Severity != event.SeverityCritical {
					t.Errorf("alert raised anew: severity %s; want critical", a.Severity)
				}
			}
			var drops []string
			for _, inc := range e.Incidents() {
				if inc.Kind == "drone_drop" {
					drops = append(drops, inc.ID)
					if len(inc.DroneAlerts) != tc.want+1 {
						t.Errorf("drone-drop case lists %d drone alerts, want all %d: %+v", len(inc.DroneAlerts), tc.want+1, inc)
					}
				}
			}
			if len(drops) != 1 {
				t.Errorf("drone-drop cases %v: want one for the visit", drops)
			}
		})
	}
}

// TestDroneRaisedAnewOnVagueFixKeepsRoom: a drone placed over the
// perimeter by its DroneID (three sensors, PERIM 62%), its controller
// heard by s5 alone (a tie of nineteen rooms: no room named), is
// acknowledged a minute after it fires. Its DroneID goes quiet 20 s
// before ack_lasts (10 min) runs out, so the fix that raises the alert
// anew is the controller's, 21 s after the DroneID's last. The new alert read "position unknown: heard
// by s5 only, 19 rooms alike", as if the drone had no known position,
// while the visit it continues was at the perimeter 20 s before. Now it
// stays where the visit was placed, with how long ago: PERIM, zone
// perimeter, 62%, "placed there 21 s before; this fix, heard by s5 only,
// places it nowhere", as a vague fix leaves any open visit where it is.
// Its DroneID heard again in PERIM changes nothing.
func TestDroneRaisedAnewOnVagueFixKeepsRoom(t *testing.T) {
	ctx := context.Background()
	rec := &whyRecorder{}
	e, t0 := onlineEngineFor(t, demoSite(t), rec)
	probs, tied := controllerTie()
	perim := map[string]float64{"PERIM": 0.62, "YARD": 0.2, "OUTSIDE": 0.18}
	var first string
	for s := 0; s <= 720; s++ {
		at := t0.Add(time.Duration(s) * time.Second)
		if s%5 == 0 && (s <= 640 || s >= 700) {
			id := Location{Track: "id", Class: event.ClassDroneID, Link: event.LinkUnknown, Room: "PERIM", Prob: 0.62,
				RoomProbs: perim, Pos: site.Point{X: 24, Y: -25}, At: at, FreqHz: 2.4295e9, Sensors: []string{"s5", "s1", "s2"}}
			if err := e.ObserveLocation(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		top := tied[(s*5)%len(tied)]
		rc := Location{Track: "rc", Class: event.ClassRCFHSS, Link: event.LinkUnknown, Room: top, Prob: probs[top],
			RoomProbs: probs, Pos: site.Point{X: 22, Y: 10}, At: at.Add(500 * time.Millisecond), FreqHz: 2.44e9, Sensors: []string{"s5"}}
		if err := e.ObserveLocation(ctx, rc); err != nil {
			t.Fatal(err)
		}
		if err := e.Tick(ctx, at.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		if s == 60 {
			act := e.Active()
			if len(act) != 1 || act[0].State != event.AlertFiring {
				t.Fatalf("a minute in: %+v, want the drone alert firing", act)
			}
			first = act[0].ID
			if _, err := e.Ack(ctx, first, "officer0", "", at); err != nil {
				t.Fatal(err)
			}
		}
	}
	var anew []event.Alert
	for _, a := range rec.got {
		if a.ID != first && a.Rule == "drone" {
			anew = append(anew, a)
		}
	}
	if len(anew) == 0 {
		t.Fatal("the drone still heard 10 min after its acknowledgement was not raised anew")
	}
	for i, a := range anew {
		if a.Room != "PERIM" || a.Zone != "perimeter" || a.Probability != 0.62 {
			t.Errorf("publication %d of the alert raised anew: room %q zone %q %v%% (%s), want PERIM, perimeter, 62%%: where its visit was placed",
				i, a.Room, a.Zone, 100*a.Probability, a.Summary)
		}
	}
	// The DroneID's last fix at 640 s, the controller's at 660.5 s.
	want := fmt.Sprintf("drone remote control (pilot's controller, 2.4 GHz band) in perimeter PERIM, 62%% (placed there 21 s before; this fix, heard by s5 only, places it nowhere); still heard 10 min after alert %s was acknowledged by officer0", first)
	if got := anew[0].Summary; got != want {
		t.Errorf("summary %q\nwant %q", got, want)
	}
	if last := anew[len(anew)-1]; last.State != event.AlertFiring || last.UpdatedNS != anew[0].UpdatedNS {
		t.Errorf("raised anew: %s at %v, want firing at once", last.State, time.Unix(0, last.UpdatedNS).Sub(time.Unix(0, anew[0].UpdatedNS)))
	}
	for _, inc := range e.Incidents() {
		if len(inc.Rooms) != 1 || inc.Rooms[0] != "PERIM" {
			t.Errorf("drop incident rooms %v, want PERIM only", inc.Rooms)
		}
	}
}

// TestPhoneRaisedAnewOnVagueFixKeepsRoom: a phone in B2-14, placed there
// every 30 s, acknowledged a minute after it fires, is heard by s6 alone
// from just before ack_lasts (1 h) runs out: sixteen cells alike, none
// named. The alert raised anew read "in cell B2-14, 0%" (the room kept,
// the vague fix's probability of none). Now it reads the probability its
// fixes placed it there with, and how long ago.
func TestPhoneRaisedAnewOnVagueFixKeepsRoom(t *testing.T) {
	ctx := context.Background()
	e, rec, t0 := onlineEngine(t)
	vague := map[string]float64{}
	for i := 1; i <= 16; i++ {
		vague[fmt.Sprintf("B2-%02d", i)] = 0.06
	}
	var first string
	for s := 0; s <= 3700; s++ {
		at := t0.Add(time.Duration(s) * time.Second)
		if s%30 == 0 {
			loc := Location{Track: "t1", Class: event.ClassLTE, Link: event.LinkUplink, Room: "B2-14", Prob: 0.95,
				RoomProbs: map[string]float64{"B2-14": 0.95, "B2-13": 0.05}, At: at, Sensors: []string{"s4", "s6", "s2"}}
			if s > 3630 {
				loc.Prob, loc.RoomProbs, loc.Sensors = 0.06, vague, []string{"s6"}
			}
			if err := e.ObserveLocation(ctx, loc); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.Tick(ctx, at); err != nil {
			t.Fatal(err)
		}
		if s == 60 {
			act := e.Active()
			if len(act) != 1 || act[0].State != event.AlertFiring {
				t.Fatalf("a minute in: %+v, want the phone's alert firing", act)
			}
			first = act[0].ID
			if _, err := e.Ack(ctx, first, "officer0", "", at); err != nil {
				t.Fatal(err)
			}
		}
	}
	var anew []event.Alert
	for _, a := range rec.got {
		if a.ID != first && a.Rule == "unauthorised-uplink-in-cell" {
			anew = append(anew, a)
		}
	}
	if len(anew) == 0 {
		t.Fatal("the phone still heard 1 h after its acknowledgement was not raised anew")
	}
	want := fmt.Sprintf("unauthorised lte uplink in cell B2-14, 95%% (placed there 30 s before; this fix, heard by s6 only, places it nowhere); still heard 1 h after alert %s was acknowledged by officer0", first)
	for i, a := range anew {
		if a.Room != "B2-14" || a.Probability != 0.95 || a.Summary != want {
			t.Errorf("publication %d of the alert raised anew: room %q %v%% %q\nwant B2-14, 95%%, %q", i, a.Room, 100*a.Probability, a.Summary, want)
		}
	}
}
