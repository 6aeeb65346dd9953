package dashboard

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
)

// TestSensorZones: a zone is "ok" only while every sensor covering it has
// been heard, is online and its last health report said ok.
func TestSensorZones(t *testing.T) {
	s, err := site.LoadFile("../testdata/sites/wing.yaml")
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
	check("all online, no health report yet", "wing-b", "unknown")
	for _, id := range []string{"s1", "s2", "s3", "s4", "s5"} {
		h.PublishHealth(event.Health{Schema: event.SchemaVersion, Site: s.ID, Sensor: id, TimeNS: time.Now().UnixNano(), State: event.StateOK})
	}
	check("s6's health not heard yet", "wing-b", "unknown")
	h.PublishHealth(event.Health{Schema: event.SchemaVersion, Site: s.ID, Sensor: "s6", TimeNS: time.Now().UnixNano(), State: event.StateOK})
	check("all online and healthy", "wing-b", "ok")
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
// site's sensor heard on a shared broker does not stand in for one of ours,
// and is not listed: the hub keeps the site model's sensors only.
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
	want := []string{"hmp1/s1 online", "hmp1/s2 unheard"}
	if !slices.Equal(rows, want) {
		t.Errorf("sensors %q, want %q", rows, want)
	}
}

// TestSensorMaintenance: an admin takes a sensor out of service for a
// while with a reason; the sensors list shows the window, the sensor's own
// open alerts are acknowledged with the reason (a phone's alert heard by
// it is not), both steps are audited, and the window can be ended early.
func TestSensorMaintenance(t *testing.T) {
	ev := newEnv(t)
	at := testNow.Add(-time.Minute).UnixNano()
	ev.al.alerts["off-s1"] = event.Alert{Schema: 1, ID: "off-s1", Site: "hmp1", Rule: "sensor-offline", Severity: event.SeverityWarning,
		State: event.AlertFiring, Summary: "sensor s1 offline", Sensor: "s1", ActiveNS: at, UpdatedNS: at}
	ev.al.alerts["off-s2"] = event.Alert{Schema: 1, ID: "off-s2", Site: "hmp1", Rule: "sensor-offline", Severity: event.SeverityWarning,
		State: event.AlertFiring, Summary: "sensor s2 offline", Sensor: "s2", ActiveNS: at, UpdatedNS: at}
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	admin, analyst := login(t, e, RoleAdmin, "admin-password"), login(t, e, RoleAnalyst, "analyst-password")
	const js = "application/json"
	for _, tc := range []struct {
		name, body, path string
		c                *creds
		want             int
		wantBody         string
	}{
		{"analyst", `{"minutes":60,"reason":"new antenna"}`, "/api/v1/sensors/s1/maintenance", &analyst, 403, ""},
		{"no reason", `{"minutes":60,"reason":" "}`, "/api/v1/sensors/s1/maintenance", &admin, 400, "reason"},
		{"too long", `{"minutes":10081,"reason":"new antenna"}`, "/api/v1/sensors/s1/maintenance", &admin, 400, "between 1 and 10080"},
		{"unknown sensor", `{"minutes":60,"reason":"new antenna"}`, "/api/v1/sensors/s9/maintenance", &admin, 404, "not in the site model"},
		{"bad field", `{"hours":1,"reason":"new antenna"}`, "/api/v1/sensors/s1/maintenance", &admin, 400, "hours"},
		{"set", `{"minutes":60,"reason":"new antenna"}`, "/api/v1/sensors/s1/maintenance", &admin, 200, `"by":"admin","reason":"new antenna"`},
	} {
		if rec := do(e, http.MethodPost, tc.path, tc.body, js, tc.c, true); rec.Code != tc.want || !strings.Contains(rec.Body.String(), tc.wantBody) {
			t.Errorf("%s: %d %s, want %d with %q", tc.name, rec.Code, rec.Body, tc.want, tc.wantBody)
		}
	}
	rec := do(e, http.MethodGet, "/api/v1/sensors", "", "", &analyst, false)
	var sensors []SensorState
	if err := json.Unmarshal(rec.Body.Bytes(), &sensors); err != nil {
		t.Fatal(err)
	}
	for _, s := range sensors {
		switch {
		case s.Sensor == "s1" && (s.Maintenance == nil || s.Maintenance.UntilNS != testNow.Add(time.Hour).UnixNano() || s.Maintenance.Reason != "new antenna"):
			t.Errorf("s1 listed with maintenance %+v, want an hour's for the new antenna", s.Maintenance)
		case s.Sensor != "s1" && s.Maintenance != nil:
			t.Errorf("%s listed in maintenance: %+v", s.Sensor, s.Maintenance)
		}
	}
	if a := ev.al.alerts["off-s1"]; a.AckBy != "admin" || !strings.HasPrefix(a.AckNote, "maintenance until ") || !strings.HasSuffix(a.AckNote, ": new antenna") {
		t.Errorf("s1's alert acknowledged by %q with %q, want admin's maintenance note", a.AckBy, a.AckNote)
	}
	if a := ev.al.alerts["off-s2"]; a.AckBy != "" {
		t.Errorf("s2's alert acknowledged by %q: only s1 is in maintenance", a.AckBy)
	}
	if a := ev.al.alerts["al1"]; a.AckBy != "" {
		t.Errorf("the phone's alert acknowledged by %q", a.AckBy)
	}
	if rec := do(e, http.MethodDelete, "/api/v1/sensors/s1/maintenance", "", "", &admin, true); rec.Code != http.StatusNoContent {
		t.Errorf("end: %d %s", rec.Code, rec.Body)
	}
	if rec := do(e, http.MethodDelete, "/api/v1/sensors/s1/maintenance", "", "", &admin, true); rec.Code != http.StatusNotFound {
		t.Errorf("end again: %d %s, want 404", rec.Code, rec.Body)
	}
	if !ev.audit.has("sensor.maintenance", "sensor/s1") || !ev.audit.has("sensor.maintenance.end", "sensor/s1") {
		t.Error("the window or its end is not audited")
	}
}
