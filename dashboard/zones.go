package dashboard

import (
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
)

// SensorZones is the ZoneStatus of a dashboard fed live over MQTT: a zone
// is "unknown" when no sensor of Site covers it, or when one that does has
// not been heard on the feed (sensors' status is retained, so the broker
// replays it to a dashboard that starts), is offline, or reports a health
// state other than ok; "ok" otherwise. Fusion's alert engine judges a
// zone's coverage the same way (alert.Engine.ZoneStatus): a zone watched
// by a broken sensor is never shown as clear.
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
		if st, ok := z.Hub.sensorStatus(z.Site.ID, id); !ok || st != event.StatusOnline {
			return "unknown" // the hub's Status is online only while the sensor is online and healthy
		}
	}
	return "ok"
}

// sensorStatus returns the Status of one sensor as the Hub last heard it,
// and whether it has been heard at all.
func (h *Hub) sensorStatus(siteID, sensor string) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	st, ok := h.sensors[siteID+"/"+sensor]
	if !ok {
		return "", false
	}
	return st.Status, true
}
