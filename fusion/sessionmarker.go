package fusion

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/rfwarden/rfwarden/event"
)

// SessionMarker publishes fusion's session marker: an event.CmdSession
// command, retained, QoS 1, on the cmd topic of each sensor whose
// detections a subscription of fusion's persistent session covers, once
// the broker has acknowledged that subscription. A sensor publishes no
// detection on a connection until the marker has arrived on it: before
// fusion's first subscription on a broker (a new installation, a broker
// that lost its state in a restart without persistence) the broker
// would accept the sensor's detections and drop them. The retained marker
// lives exactly as long as the broker state that holds fusion's session,
// except when the broker expires the session (mosquitto's
// persistent_client_expiration) and keeps the marker: docs/deploy.md.
//
// It goes on each sensor's cmd topic, which a sensor reads already (and
// fusion writes, for event.CmdKeep), so no ACL changes: Mosquitto 2.0
// grants a subscription its ACL denies and withholds the messages, so a
// marker on a new topic would have held every sensor upgraded before its
// ACL for ever. Sensors not in the site model get none: fusion would drop
// their detections anyway, and they keep them until the model lists them;
// the marker one got before it was taken out of the model is cleared
// (ClearStale).
type SessionMarker struct {
	Site     string
	Sensors  []string // the site's sensor IDs
	ClientID string   // fusion's MQTT client ID, named in the marker
	Timeout  time.Duration
	Now      func() time.Time // nil: time.Now
	Log      *slog.Logger     // nil: slog.Default()
}

// Subscribed is a Resubscriber.Subscribed: it publishes the marker of each
// sensor of Site whose detection topic filter matches, and waits for the
// broker's acknowledgements (at most Timeout, default 10 s), logging the
// markers it could not publish.
func (m SessionMarker) Subscribed(c mqtt.Client, filter string) {
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	log := m.Log
	if log == nil {
		log = slog.Default()
	}
	var errs []error
	type sent struct {
		sensor string
		tok    mqtt.Token
	}
	var toks []sent
	for _, s := range m.Sensors {
		if !TopicMatches(filter, event.SensorTopic(m.Site, s, event.KindDetection)) {
			continue
		}
		b, err := event.Encode(event.Command{Schema: event.SchemaVersion, Site: m.Site, Sensor: s, TimeNS: now().UnixNano(),
			Cmd: event.CmdSession, Fusion: m.ClientID})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		toks = append(toks, sent{s, c.Publish(event.SensorTopic(m.Site, s, event.KindCmd), 1, true, b)})
	}
	for _, t := range toks { // published all at once, then waited for
		errs = append(errs, waitToken(context.Background(), t.tok, m.Timeout, "session marker for sensor "+t.sensor))
	}
	if err := errors.Join(errs...); err != nil {
		log.Warn("mqtt: session marker not published: the sensors concerned hold their detections until fusion's next connection",
			"filter", filter, "err", err)
		return
	}
	if len(toks) > 0 {
		log.Debug("mqtt: session marker published", "filter", filter, "sensors", len(toks))
	}
}

// ClearStale clears, with an empty retained message, the retained session
// marker msg when it is on the cmd topic of a sensor of Site that Sensors
// does not list: one taken out of the site file. The broker sends it to
// fusion at every start, and it would let that sensor, should it still
// run, send detections fusion refuses rather than hold them until the
// site file lists it again. Other messages are left alone, a keep (not
// retained) or a cleared marker (empty) among them. It logs what it
// cleared at info, and does not block: paho calls it on its own
// goroutine (PahoSubscriber.Retained).
func (m SessionMarker) ClearStale(c mqtt.Client, msg mqtt.Message) {
	if !msg.Retained() || len(msg.Payload()) == 0 {
		return
	}
	site, sensor, kind, err := event.ParseSensorTopic(msg.Topic())
	if err != nil || site != m.Site || kind != event.KindCmd || slices.Contains(m.Sensors, sensor) {
		return
	}
	if cmd, err := event.DecodeCommand(msg.Payload()); err != nil || cmd.Cmd != event.CmdSession {
		return
	}
	log := m.Log
	if log == nil {
		log = slog.Default()
	}
	tok := c.Publish(msg.Topic(), 1, true, []byte{})
	go func() {
		if err := waitToken(context.Background(), tok, m.Timeout, "clearing the session marker of sensor "+sensor); err != nil {
			log.Warn("mqtt: the session marker of a sensor not in the site model not cleared; clear it with mosquitto_pub -r -n as user fusion",
				"sensor", sensor, "topic", msg.Topic(), "err", err)
			return
		}
		log.Info("mqtt: cleared the session marker of a sensor not in the site model", "sensor", sensor, "topic", msg.Topic())
	}()
}
