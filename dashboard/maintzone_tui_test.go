package dashboard

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
)

// TestTUIMaintenanceNoteNamesZone: an admin puts sensor s1 in maintenance
// for an hour at 01:30 BST on the night the clocks go back (25 October
// 2026). The note written on its acknowledged alerts and in the audit log
// ("maintenance until ...") is read later, in exports and the audit view,
// as text: its time must say which 01:30 it is. Unlabelled, "until
// 2026-10-25 01:30" written at 01:30 reads as a maintenance of no length.
func TestTUIMaintenanceNoteNamesZone(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skipf("no zone data: %v", err)
	}
	now := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC) // 01:30 BST; an hour on is 01:30 GMT
	ev := newEnv(t)
	ev.deps.Location = london
	ev.deps.Now = func() time.Time { return now }
	at := now.Add(-10 * time.Minute).UnixNano()
	ev.al.alerts["off-s1"] = event.Alert{Schema: 1, ID: "off-s1", Site: "hmp1", Rule: "sensor-offline", Severity: event.SeverityWarning,
		State: event.AlertFiring, Summary: "sensor s1 offline", Sensor: "s1", ActiveNS: at, UpdatedNS: at}
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	admin := login(t, e, RoleAdmin, "admin-password")
	if rec := do(e, http.MethodPost, "/api/v1/sensors/s1/maintenance", `{"minutes":60,"reason":"new antenna"}`, "application/json", &admin, true); rec.Code != http.StatusOK {
		t.Fatalf("set maintenance: %d %s", rec.Code, rec.Body)
	}
	note := ev.al.alerts["off-s1"].AckNote
	if !strings.HasPrefix(note, "maintenance until ") {
		t.Fatalf("s1's alert acknowledged with %q, want the maintenance note", note)
	}
	for _, label := range []string{"GMT", "+00:00", "Z", "UTC"} {
		if strings.Contains(strings.TrimPrefix(note, "maintenance until "), label) {
			return
		}
	}
	t.Errorf("maintenance set at 01:30 BST for an hour is noted %q: the end, 01:30 GMT, carries no zone and reads as the start", note)
}
