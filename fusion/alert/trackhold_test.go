package alert

import (
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
)

// TestTrackHold: how long fusion's tracker holds a track unheard is the
// longest resolve_after of the unauthorised_uplink rules that would alert
// on its class and link, so that a phone back while its alert is open
// continues its track and its alert; drone rules and emissions no phone
// rule alerts on hold nothing.
func TestTrackHold(t *testing.T) {
	const m = time.Minute
	withCellResolve := DefaultConfig()
	withCellResolve.Rules[0].ResolveAfter = Duration(10 * m) // unauthorised-uplink-in-cell
	gsmOnly := DefaultConfig()
	gsmOnly.Rules = append(gsmOnly.Rules, Rule{Name: "gsm-long", Kind: KindUnauthorisedUplink, Classes: []string{event.ClassGSM},
		RoomKinds: []string{site.KindCell}, ResolveAfter: Duration(15 * m)})
	droneLong := Config{Rules: []Rule{{Name: "drone", Kind: KindDrone, ResolveAfter: Duration(10 * m)}}}
	bare := Config{Rules: []Rule{{Name: "phones", Kind: KindUnauthorisedUplink, RoomKinds: []string{site.KindCell}}}}
	cases := []struct {
		name        string
		cfg         Config
		class, link string
		want        time.Duration
	}{
		{"defaults, lte uplink", DefaultConfig(), event.ClassLTE, event.LinkUplink, 2 * m},
		{"defaults, nr tdd", DefaultConfig(), event.ClassNR, event.LinkTDD, 2 * m},
		{"defaults, gsm link unknown", DefaultConfig(), event.ClassGSM, event.LinkUnknown, 2 * m},
		{"defaults, unnamed uplink", DefaultConfig(), event.ClassUnknown, event.LinkUplink, 2 * m},
		{"defaults, unnamed energy off an uplink", DefaultConfig(), event.ClassUnknown, event.LinkUnknown, 0},
		{"defaults, lte downlink", DefaultConfig(), event.ClassLTE, event.LinkDownlink, 0},
		{"defaults, drone class", DefaultConfig(), event.ClassDroneID, event.LinkUnknown, 0},
		{"defaults, wifi", DefaultConfig(), event.ClassWiFi, event.LinkUnknown, 0},
		{"cell rule 10m: the longest", withCellResolve, event.ClassLTE, event.LinkUplink, 10 * m},
		{"cell rule 10m, unnamed uplink", withCellResolve, event.ClassUnknown, event.LinkUplink, 10 * m},
		{"cell rule 10m, downlink", withCellResolve, event.ClassLTE, event.LinkDownlink, 0},
		{"gsm rule 15m, gsm", gsmOnly, event.ClassGSM, event.LinkUplink, 15 * m},
		{"gsm rule 15m, lte", gsmOnly, event.ClassLTE, event.LinkUplink, 2 * m},
		{"drone rule 10m, drone class", droneLong, event.ClassDroneVideo, event.LinkUnknown, 0},
		{"rule without defaults applied", bare, event.ClassUMTS, event.LinkUplink, 2 * m},
		{"no rules", Config{}, event.ClassLTE, event.LinkUplink, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.cfg.TrackHold(c.class, c.link); got != c.want {
				t.Errorf("TrackHold(%s, %s) = %v, want %v", c.class, c.link, got, c.want)
			}
		})
	}
}
