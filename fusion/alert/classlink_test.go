package alert

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
)

// TestPhoneAlertByClassAndLink checks which emissions located in a cell
// raise the cell rule's phone alert under the default rules (alertsOn): a
// phone class on an uplink, TDD or unknown link; an emission no class names
// on an uplink or TDD link (a TD-LTE or NR handset the classifiers could not
// tell apart is still a phone); not a downlink, unnamed energy on no
// cellular uplink, another class, or an authorised device.
func TestPhoneAlertByClassAndLink(t *testing.T) {
	const fired = "unauthorised-uplink-in-cell:pending,unauthorised-uplink-in-cell:firing"
	for _, tc := range []struct {
		name        string
		class, link string
		authorised  bool
		want        string // transitions, "" for none
	}{
		{"lte uplink", event.ClassLTE, event.LinkUplink, false, fired},
		{"nr tdd", event.ClassNR, event.LinkTDD, false, fired},
		{"gsm link unknown", event.ClassGSM, event.LinkUnknown, false, fired},
		{"unnamed uplink", event.ClassUnknown, event.LinkUplink, false, fired},
		{"unnamed tdd", event.ClassUnknown, event.LinkTDD, false, fired},
		{"unnamed, link unknown", event.ClassUnknown, event.LinkUnknown, false, ""},
		{"unnamed downlink", event.ClassUnknown, event.LinkDownlink, false, ""},
		{"lte downlink", event.ClassLTE, event.LinkDownlink, false, ""},
		{"wifi", event.ClassWiFi, event.LinkUnknown, false, ""},
		{"lte uplink, authorised", event.ClassLTE, event.LinkUplink, true, ""},
		{"unnamed tdd, authorised", event.ClassUnknown, event.LinkTDD, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, rec, t0 := onlineEngine(t)
			ctx := context.Background()
			loc := Location{Track: "t1", Class: tc.class, Link: tc.link, Room: "B2-14", Prob: 0.9,
				Authorised: tc.authorised, Evidence: []string{"d1"}}
			for s := 0; s <= 20; s += 5 { // heard for 20 s, past the cell rule's For of 10 s
				loc.At = t0.Add(time.Duration(s) * time.Second)
				if err := e.ObserveLocation(ctx, loc); err != nil {
					t.Fatal(err)
				}
			}
			if err := e.Tick(ctx, t0.Add(21*time.Second)); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(rec.states(), ","); got != tc.want {
				t.Errorf("%s on %s link (authorised %v): transitions %q, want %q", tc.class, tc.link, tc.authorised, got, tc.want)
			}
		})
	}
}
