package dashboard

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestAlertSaysDroneRule: GET /alerts/:id says the rule_kind of an alert
// that says its own (fusion since 2026-12-07), whatever its class and
// incident: a drone rule's alert on a Wi-Fi video link in no drone_drop
// incident (pending, or in one stored before drone_alerts) was judged by
// its class, a phone's, and its card said its summary was "at firing".
// Of an older alert it says "drone" of one a drone rule raised, as closing
// its drone drop incident judges it (its incident's drone_alerts, else
// its class), and nothing of a phone's. The page went by four drone
// classes: a drone rule's alert on a Wi-Fi video link said "at firing".
func TestAlertSaysDroneRule(t *testing.T) {
	ev := newEnv(t)
	base := ev.al.alerts["al1"]
	add := func(id, class, incident string) {
		a := base
		a.ID, a.Class, a.Incident = id, class, incident
		ev.al.alerts[id] = a
	}
	addKind := func(id, class, incident, kind string) {
		add(id, class, incident)
		a := ev.al.alerts[id]
		a.RuleKind = kind
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
	addKind("wifi2", event.ClassWiFi, "", "drone")                                                          // a drone rule's, pending: its own kind
	addKind("wifi3", event.ClassWiFi, "drop0", "drone")                                                     // a drone rule's in an old incident
	addKind("rcph", event.ClassRCFHSS, "", "unauthorised_uplink")                                           // a phone rule's of a drone class
	addKind("off1", "", "", "sensor_offline")                                                               // a dead sensor's
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	viewer := login(t, e, RoleViewer, "viewer-password")
	for _, tc := range []struct{ id, want string }{
		{"wifi1", "drone"}, {"phone1", ""}, {"rc1", "drone"}, {"did1", "drone"}, {"lte1", ""}, {"gone1", "drone"},
		{"wifi2", "drone"}, {"wifi3", "drone"}, {"rcph", "unauthorised_uplink"}, {"off1", "sensor_offline"},
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

// TestCloseOldDropAcksByRuleKind: closing a drone drop incident stored
// before fusion listed its drone alerts (no drone_alerts) judged its
// alerts by their class, and left a drone rule's Wi-Fi video link alert
// unacknowledged. An alert that says its rule's kind is judged by it: the
// drone rule's is acknowledged, a phone rule's (even of a drone class)
// is not; one that says none still goes by its class.
func TestCloseOldDropAcksByRuleKind(t *testing.T) {
	ev := newEnv(t)
	at := testNow.Add(-time.Minute).UnixNano()
	for _, a := range []struct{ id, class, kind string }{
		{"al-wifi-drone", event.ClassWiFi, "drone"},
		{"al-phone-rc", event.ClassRCFHSS, "unauthorised_uplink"},
		{"al-old-drone", event.ClassDroneID, ""},
		{"al-old-phone", event.ClassLTE, ""},
	} {
		ev.al.alerts[a.id] = event.Alert{Schema: 1, ID: a.id, Site: "hmp1", Rule: "r", RuleKind: a.kind, Severity: event.SeverityCritical,
			State: event.AlertFiring, Summary: a.id, Room: "a-102", Class: a.class, ActiveNS: at, UpdatedNS: at}
	}
	ev.al.incidents["inc-drop"] = store.Incident{ID: "inc-drop", Site: "hmp1", Kind: "drone_drop", Summary: "drone", State: "open",
		OpenedNS: at, UpdatedNS: at, Alerts: []string{"al-wifi-drone", "al-phone-rc", "al-old-drone", "al-old-phone"}}
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	c := login(t, e, RoleAnalyst, "analyst-password")
	if rec := do(e, http.MethodPost, "/api/v1/incidents/inc-drop/close", `{"outcome":"not_found","note":"yard searched"}`, "application/json", &c, true); rec.Code != http.StatusOK {
		t.Fatalf("close: %d %s", rec.Code, rec.Body)
	}
	for id, wantAck := range map[string]bool{"al-wifi-drone": true, "al-phone-rc": false, "al-old-drone": true, "al-old-phone": false} {
		a, _ := ev.al.Alert(context.Background(), id)
		if got := a.AckNS != 0; got != wantAck {
			t.Errorf("%s acknowledged %v (%q), want %v", id, got, a.AckNote, wantAck)
		}
	}
}
