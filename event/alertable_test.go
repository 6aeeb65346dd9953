package event_test

import (
	"testing"

	"github.com/rfwarden/rfwarden/event"
)

// TestAlertable checks every class on every link against what
// event.Alertable documents: a phone class on any link but downlink; an
// emission no class names on an uplink or TDD link only (a TDD handset
// the classifiers could not name is a phone, so its snippets are saved
// and its room ranks in the search list); every drone class on any link;
// nothing else.
func TestAlertable(t *testing.T) {
	phone := map[string]bool{event.ClassGSM: true, event.ClassUMTS: true, event.ClassLTE: true, event.ClassNR: true}
	drone := map[string]bool{event.ClassDroneID: true, event.ClassDroneVideo: true, event.ClassRCFHSS: true, event.ClassFPVAnalog: true}
	for _, class := range event.Classes {
		for _, link := range event.Links {
			var want bool
			switch {
			case phone[class]:
				want = link != event.LinkDownlink
			case drone[class]:
				want = true
			case class == event.ClassUnknown:
				want = link == event.LinkUplink || link == event.LinkTDD
			}
			if got := event.Alertable(class, link); got != want {
				t.Errorf("Alertable(%q, %q) = %v, want %v", class, link, got, want)
			}
		}
	}
	// The table above must have seen each kind of class, or it checks nothing.
	for name, set := range map[string]map[string]bool{"phone": phone, "drone": drone} {
		for c := range set {
			found := false
			for _, k := range event.Classes {
				found = found || k == c
			}
			if !found {
				t.Errorf("%s class %q is not in event.Classes", name, c)
			}
		}
	}
}
