package dashboard

import (
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
)

// SensorZones is the ZoneStatus of a dashboard fed live over MQTT: a zone
// is "unknown" when no sensor of Site covers it, or when one that does has
// not been heard on the feed, is offline, has sent no health report yet,
// or reports a health state other than ok; "ok" otherwise. Fusion's alert
// engine judges a zone's coverage the same way (alert.Engine.ZoneStatus):
// a zone watched by a broken sensor is never shown as clear. Sensors'
// status is retained, so the broker replays an "online" to a dashboard
// that starts: until 2026-12-07 that alone made its zones "ok" until the
// sensor's next health report, while it was degraded (TestSensorZones).
type SensorZones struct {
	Site *site.Site
	Hub  *Hub
}

// ZoneStatus implements ZoneStatus.
func (z SensorZones) ZoneStatus(zone string) string {
	if z.Site == nil || z.Hub == nil {
		return "unknown"
	}
	ids := z.Site.SensorsInZone(zone)
	if len(ids) == 0 {
		return "unknown"
	}
	for _, id := range ids {
		if !z.Hub.sensorHealthy(z.Site.ID, id) {
			return "unknown"
		}
	}
	return "ok"
}

// sensorHealthy reports whether one sensor, as the Hub last heard it, is
// online and its last health report said ok: the hub's Status is online
// only while the sensor is online and its health, if it sent one, ok.
func (h *Hub) sensorHealthy(siteID, sensor string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	st, ok := h.sensors[siteID+"/"+sensor]
	return ok && st.Status == event.StatusOnline && st.Health != nil && st.Health.State == event.StateOK
}
