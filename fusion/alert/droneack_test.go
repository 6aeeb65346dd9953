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
			var raised []event.Alert
			firing := map[string]bool{}
			for _, a := range rec.got {
				if a.Rule != rule.Name {
					continue
				}
				if a.State == event.AlertFiring && !firing[a.ID] {
					firing[a.ID] = true
					if len(firing) > 1 {
						raised = append(raised, a)
					}
				}
				if a.State == event.AlertResolved {
					if a.AckBy == "" || a.AckNS == 0 {
						t.Errorf("alert %s resolved without its acknowledgement: %+v", a.ID, a)
					}
					if !strings.Contains(a.Summary, "after its acknowledgement: raised anew") {
						t.Errorf("resolved alert's summary %q does not say it was raised anew", a.Summary)
					}
				}
			}
			if len(raised) != tc.want {
				t.Fatalf("raised anew %d times in the hour, want %d", len(raised), tc.want)
			}
			for i, a := range raised {
				at := time.Unix(0, a.UpdatedNS)
				if got := at.Sub(acked[i]); got < lasts || got > lasts+5*time.Second {
					t.Errorf("alert %d raised anew %v after the acknowledgement, want %v (the next fix)", i+1, got, lasts)
				}
				if want := fmt.Sprintf("; still heard %s after alert %s was acknowledged by officer%d", spoken(lasts), ackedIDs[i], i); !strings.HasSuffix(a.Summary, want) {
					t.Errorf("summary %q\nwant it to end %q", a.Summary, want)
				}
				if !strings.HasPrefix(a.Summary, "DJI DroneID telemetry") && !strings.HasPrefix(a.Summary, "drone remote control") {
					t.Errorf("summary %q does not say what was heard", a.Summary)
				}
				if a.AckNS != 0 || a.Severity != event.SeverityCritical {
					t.Errorf("alert raised anew: acknowledged %d, severity %s; want unacknowledged, critical", a.AckNS, a.Severity)
				}
			}
			// Nothing but the acknowledgement is published between it
			// and ack_lasts.
			for _, a := range rec.got {
				at := time.Unix(0, a.UpdatedNS)
				if a.Rule == rule.Name && (a.State == event.AlertPending || a.State == event.AlertFiring && a.Escalations == 0 && a.AckNS == 0) {
					for _, ak := range acked {
						if at.After(ak) && at.Sub(ak) < lasts {
							t.Errorf("%s published %v after an acknowledgement: %s", a.State, at.Sub(ak), a.Summary)
						}
					}
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
