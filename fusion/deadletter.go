package fusion

import (
	"errors"
	"log/slog"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/internal/retrylog"
)

// deadLetterLog logs dead letters at warn, few enough for the default
// log level: each reason from each sensor of the site model, from each
// of the first maxUnknownSensors sensors it does not list (or from
// anywhere, for a topic that names none of those) when it first comes,
// then at most once a minute with how many were not (retrylog). Every
// dead letter is still logged at debug, and counted
// (rfw_fusion_dead_letter_total). Until 2026-12-07 they were logged only
// with -v: a sensor whose clock was wrong, or one missing from the site
// file, lost every detection, and only a metric said so
// (TestDeadLettersWarnOncePerMinute). Until 2026-12-07 the sensors the
// site model does not list shared one run, and of four taken out of the
// site file only the first was ever named
// (TestDeadLettersNameEachUnknownSensor).
// Not safe for concurrent use: the MQTT run loop owns it.
type deadLetterLog struct {
	site *site.Site
	log  *slog.Logger
	runs retrylog.Keyed // by reason and sensor: bounded by the site model and maxUnknownSensors
	// unknown holds the sensors outside the site model logged apart, at
	// most maxUnknownSensors (of at most 64 bytes each, as a topic's
	// sensor ID): any client may name millions.
	unknown map[string]bool
}

// maxUnknownSensors bounds the sensors outside the site model whose dead
// letters are logged apart; those of the others share one run per
// reason, as every unknown sensor's did before.
const maxUnknownSensors = 64

// maxLoggedTopic bounds a topic quoted in the log, in bytes: a topic is
// the sender's, and one of 5000 characters made a 10 KB line.
const maxLoggedTopic = 128

// note records the dead letter err (a rejection) of a message on topic
// at now and logs it when its run says to.
func (d *deadLetterLog) note(topic string, err error, now time.Time) {
	var rj *rejection
	if !errors.As(err, &rj) {
		return
	}
	key := rj.reason
	if _, sensor, _, perr := event.ParseSensorTopic(topic); perr == nil && d.site != nil {
		if _, ok := d.site.Sensor(sensor); ok {
			key += "/" + sensor
		} else if d.unknownSensor(sensor) {
			key += "?" + sensor // "?": apart from the site's own
		}
	}
	if log, skipped := d.runs.FailedAs(key, now); log {
		d.log.Warn("dead letter: message refused", "reason", rj.reason, "topic", shortTopic(topic), "err", rj.err, "refused_not_logged", skipped)
	}
}

// unknownSensor reports whether sensor, one the site model does not
// list, is logged apart: it is in d.unknown, or is added while d.unknown
// holds fewer than maxUnknownSensors.
func (d *deadLetterLog) unknownSensor(sensor string) bool {
	if d.unknown[sensor] {
		return true
	}
	if len(d.unknown) >= maxUnknownSensors {
		return false
	}
	if d.unknown == nil {
		d.unknown = map[string]bool{}
	}
	d.unknown[sensor] = true
	return true
}

// shortTopic is topic as the log quotes it: at most maxLoggedTopic bytes
// and "…".
func shortTopic(topic string) string {
	if len(topic) > maxLoggedTopic {
		return topic[:maxLoggedTopic] + "…"
	}
	return topic
}
