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
// log level: each reason from each sensor of the site model (or from
// anywhere, for a topic that names none of them) when it first comes,
// then at most once a minute with how many were not (retrylog). Every
// dead letter is still logged at debug, and counted
// (rfw_fusion_dead_letter_total). Until 2026-12-07 they were logged only
// with -v: a sensor whose clock was wrong, or one missing from the site
// file, lost every detection, and only a metric said so
// (TestDeadLettersWarnOncePerMinute). Not safe for concurrent use: the
// MQTT run loop owns it.
type deadLetterLog struct {
	site *site.Site
	log  *slog.Logger
	runs retrylog.Keyed // by reason and sensor: bounded by the site model
}

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
		}
	}
	if log, skipped := d.runs.FailedAs(key, now); log {
		d.log.Warn("dead letter: message refused", "reason", rj.reason, "topic", shortTopic(topic), "err", rj.err, "refused_not_logged", skipped)
	}
}

// shortTopic is topic as the log quotes it: at most maxLoggedTopic bytes
// and "…".
func shortTopic(topic string) string {
	if len(topic) > maxLoggedTopic {
		return topic[:maxLoggedTopic] + "…"
	}
	return topic
}
