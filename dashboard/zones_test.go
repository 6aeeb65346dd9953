package dashboard

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
)

// TestSensorZones: a zone is "ok" only while every sensor covering it has
// been heard, is online and healthy.
func TestSensorZones(t *testing.T) {
	s, err := site.LoadFile("../fusion/site/testdata/wing.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	h := NewHub(0)
	z := SensorZones{Site: s, Hub: h}
	check := func(step, zone, want string) {
		t.Helper()
		if got := z.ZoneStatus(zone); got != want {
			t.Errorf("%s: zone %s is %q, want %q", step, zone, got, want)
		}
	}
	check("nothing heard", "wing-b", "unknown")
	for _, id := range []string{"s1", "s2", "s3", "s4", "s5"} {
		h.PublishStatus(s.ID, id, event.StatusOnline)
	}
	check("s6 not heard yet", "wing-b", "unknown")
	h.PublishStatus("another-site", "s6", event.StatusOnline)
	check("s6 online at another site", "wing-b", "unknown")
	h.PublishStatus(s.ID, "s6", event.StatusOnline)
	check("all online", "wing-b", "ok")
	check("yard's s7 not heard", "yard", "unknown")
	check("no sensor covers it", "kitchens", "unknown")

	h.PublishHealth(event.Health{Schema: event.SchemaVersion, Site: s.ID, Sensor: "s3", TimeNS: time.Now().UnixNano(), State: event.StateJammed})
	check("s3 jammed", "wing-b", "unknown")
	h.PublishStatus(s.ID, "s3", event.StatusOnline) // a reconnect does not clear the health it last reported
	check("s3 reconnected, still jammed", "wing-b", "unknown")
	h.PublishHealth(event.Health{Schema: event.SchemaVersion, Site: s.ID, Sensor: "s3", TimeNS: time.Now().UnixNano(), State: event.StateOK})
	check("s3 healthy again", "wing-b", "ok")
	h.PublishStatus(s.ID, "s5", event.StatusOffline)
	check("s5 offline", "wing-b", "unknown")
	h.PublishStatus(s.ID, "s5", event.StatusOnline)
	check("s5 back", "wing-b", "ok")
	z.Site = nil
	check("no site model", "wing-b", "unknown")
}

// TestSensorsListsUnheard: the sensors list has the site model's sensors
// the feed has not heard, as "unheard", beside the ones it has; another
// site's sensor heard on a shared broker does not stand in for one of ours.
func TestSensorsListsUnheard(t *testing.T) {
	ev := newEnv(t)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	ev.deps.Hub.PublishHealth(event.Health{Schema: 1, Site: "hmp1", Sensor: "s1", TimeNS: 1, State: event.StateOK})
	ev.deps.Hub.PublishStatus("elsewhere", "s2", event.StatusOnline)
	c := login(t, e, RoleViewer, "viewer-password")
	rec := do(e, http.MethodGet, "/api/v1/sensors", "", "", &c, false)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET sensors: %d %s", rec.Code, rec.Body)
	}
	var got []SensorState
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, s := range got {
		rows = append(rows, s.Site+"/"+s.Sensor+" "+s.Status)
	}
	want := []string{"elsewhere/s2 online", "hmp1/s1 online", "hmp1/s2 unheard"}
	if !slices.Equal(rows, want) {
		t.Errorf("sensors %q, want %q", rows, want)
	}
}
