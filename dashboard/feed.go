package dashboard

import (
	"fmt"
	"strings"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// FeedTopics are the MQTT topic filters, of every site, whose messages
// HandleMQTT understands.
var FeedTopics = FeedTopicsFor("")

// FeedTopicsFor returns the FeedTopics of one site ("" for every site): a
// dashboard shows one site, and another site's tracks on a broker they
// share would be drawn on its floors.
func FeedTopicsFor(site string) []string {
	if site == "" {
		site = "+"
	}
	p := event.TopicPrefix + "/" + site
	return []string{p + "/alert", p + "/location", p + "/sensor/+/" + event.KindHealth,
		p + "/sensor/+/" + event.KindStatus, p + "/sensor/+/" + event.KindSpectrum}
}

// HandleMQTT decodes one MQTT message (alert, location, health, status or spectrum)
// and publishes it on the Hub. It never blocks; bad topics or payloads give
// an error naming the problem and publish nothing. Detections are ignored
// (the dashboard shows what fusion made of them).
func (h *Hub) HandleMQTT(topic string, payload []byte) error {
	if rest, ok := strings.CutPrefix(topic, event.TopicPrefix+"/"); ok {
		if site, ok := strings.CutSuffix(rest, "/alert"); ok && event.ValidID(site) {
			a, err := event.DecodeAlert(payload)
			if err != nil {
				return fmt.Errorf("alert on %q: %w", topic, err)
			}
			if a.Site != site {
				return fmt.Errorf("alert on %q: site %q does not match the topic", topic, a.Site)
			}
			h.PublishAlert(a)
			return nil
		}
		if site, ok := strings.CutSuffix(rest, "/location"); ok && event.ValidID(site) {
			l, err := event.DecodeLocation(payload)
			if err != nil {
				return fmt.Errorf("location on %q: %w", topic, err)
			}
			if l.Site != site {
				return fmt.Errorf("location on %q: site %q does not match the topic", topic, l.Site)
			}
			h.PublishLocation(store.LocationRecord{Site: l.Site, Track: l.Track, Class: l.Class, Link: l.Link, TimeNS: l.TimeNS,
				Floor: l.Floor, Room: l.Room, RoomProb: l.RoomProb, XM: l.XM, YM: l.YM, SemiMajorM: l.SemiMajorM,
				SemiMinorM: l.SemiMinorM, AngleRad: l.AngleRad, Authorised: l.Authorised})
			return nil
		}
	}
	site, sensor, kind, err := event.ParseSensorTopic(topic)
	if err != nil {
		return err
	}
	switch kind {
	case event.KindStatus:
		s := strings.TrimSpace(string(payload))
		if s != event.StatusOnline && s != event.StatusOffline {
			return fmt.Errorf("status on %q: %q is neither online nor offline", topic, trimForErr(s))
		}
		h.PublishStatus(site, sensor, s)
	case event.KindHealth:
		hl, err := event.DecodeHealth(payload)
		if err != nil {
			return fmt.Errorf("health on %q: %w", topic, err)
		}
		if hl.Site != site || hl.Sensor != sensor {
			return fmt.Errorf("health on %q: site/sensor %s/%s do not match the topic", topic, hl.Site, hl.Sensor)
		}
		h.PublishHealth(hl)
	case event.KindSpectrum:
		sp, err := event.DecodeSpectrum(payload)
		if err != nil {
			return fmt.Errorf("spectrum on %q: %w", topic, err)
		}
		if sp.Site != site || sp.Sensor != sensor {
			return fmt.Errorf("spectrum on %q: site/sensor %s/%s do not match the topic", topic, sp.Site, sp.Sensor)
		}
		h.PublishSpectrum(sp)
	case event.KindDetection, event.KindCmd:
		return nil
	default:
		return fmt.Errorf("topic %q: unknown kind %q", topic, kind)
	}
	return nil
}

func trimForErr(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}
