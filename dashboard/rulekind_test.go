package dashboard

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestAlertSaysDroneRule: GET /alerts/:id says rule_kind "drone" of an
// alert a drone rule raised, whatever its class, as closing its drone
// drop incident judges it (its incident's drone_alerts, else its class),
// and nothing of a phone's. The page went by four drone classes: a drone
// rule's alert on a Wi-Fi video link said its summary was "at firing".
func TestAlertSaysDroneRule(t *testing.T) {
	ev := newEnv(t)
	base := ev.al.alerts["al1"]
	add := func(id, class, incident string) {
		a := base
		a.ID, a.Class, a.Incident = id, class, incident
		ev.al.alerts[id] = a
	}
	ev.al.incidents["drop1"] = store.Incident{ID: "drop1", Site: "hmp1", Kind: "drone_drop", State: "open", DroneAlerts: []string{"wifi1"}}
	ev.al.incidents["drop0"] = store.Incident{ID: "drop0", Site: "hmp1", Kind: "drone_drop", State: "open"} // stored before drone_alerts
	add("wifi1", event.ClassWiFi, "drop1")                                                                  // a drone rule watching Wi-Fi video
	add("phone1", event.ClassLTE, "drop1")                                                                  // a phone that came on near the drone
	add("rc1", event.ClassRCFHSS, "drop0")                                                                  // an old incident: by its class
	add("did1", event.ClassDroneID, "")                                                                     // pending: no incident yet
	add("lte1", event.ClassLTE, "")                                                                         // a phone's, pending
	add("gone1", event.ClassDroneID, "nope")                                                                // its incident not found: by its class
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	viewer := login(t, e, RoleViewer, "viewer-password")
	for _, tc := range []struct{ id, want string }{
		{"wifi1", "drone"}, {"phone1", ""}, {"rc1", "drone"}, {"did1", "drone"}, {"lte1", ""}, {"gone1", "drone"},
	} {
		rec := do(e, http.MethodGet, "/api/v1/alerts/"+tc.id, "", "", &viewer, false)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /alerts/%s: %d %s", tc.id, rec.Code, rec.Body)
		}
		var d struct {
			RuleKind *string `json:"rule_kind"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		got := ""
		if d.RuleKind != nil {
			got = *d.RuleKind
		}
		if got != tc.want {
			t.Errorf("GET /alerts/%s: rule_kind %q, want %q", tc.id, got, tc.want)
		}
	}
}
