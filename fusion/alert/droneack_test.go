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
