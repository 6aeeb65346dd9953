package event

import (
	"fmt"
	"strings"
)

// TopicPrefix is the root of every topic of schema version 1.
const TopicPrefix = "rfw/v1"

// Kinds of per-sensor topic.
const (
	KindDetection = "detection"
	KindStatus    = "status"
	KindHealth    = "health"
	KindSpectrum  = "spectrum"
	KindCmd       = "cmd"
)

// SensorTopic returns rfw/v1/{site}/sensor/{sensor}/{kind}.
func SensorTopic(site, sensor, kind string) string {
	return TopicPrefix + "/" + site + "/sensor/" + sensor + "/" + kind
}

// AlertTopic returns rfw/v1/{site}/alert.
func AlertTopic(site string) string { return TopicPrefix + "/" + site + "/alert" }

// AckTopic returns rfw/v1/{site}/ack: acknowledgements taken by a
// dashboard, for fusion to publish with the alert.
func AckTopic(site string) string { return TopicPrefix + "/" + site + "/ack" }

// LocationTopic returns rfw/v1/{site}/location: fusion's located emitters.
func LocationTopic(site string) string { return TopicPrefix + "/" + site + "/location" }

// FusionStatusTopic returns rfw/v1/{site}/fusion/status: fusion's
// liveness (FusionStatus), retained, its offline the MQTT last will.
func FusionStatusTopic(site string) string { return TopicPrefix + "/" + site + "/fusion/status" }

// EvidenceTopic returns rfw/v1/{site}/evidence/{sensor}: a sensor's kept
// IQ snippets (an alert's evidence), each message one SigMF archive. It is
// outside the sensor/ tree so that fusion, which reads every sensor topic,
// does not receive megabytes of IQ it has no use for.
func EvidenceTopic(site, sensor string) string {
	return TopicPrefix + "/" + site + "/evidence/" + sensor
}

// EvidenceFilter matches EvidenceTopic of every site and sensor.
const EvidenceFilter = TopicPrefix + "/+/evidence/+"

// ParseEvidenceTopic splits rfw/v1/{site}/evidence/{sensor}.
func ParseEvidenceTopic(topic string) (site, sensor string, err error) {
	p := strings.Split(topic, "/")
	if len(p) != 5 || p[0]+"/"+p[1] != TopicPrefix || p[3] != "evidence" || !validID(p[2]) || !validID(p[4]) {
		return "", "", fmt.Errorf("%w: topic %q is not %s/{site}/evidence/{sensor}", ErrSchema, topic, TopicPrefix)
	}
	return p[2], p[4], nil
}

// ParseSensorTopic splits rfw/v1/{site}/sensor/{sensor}/{kind}.
func ParseSensorTopic(topic string) (site, sensor, kind string, err error) {
	p := strings.Split(topic, "/")
	if len(p) != 6 || p[0]+"/"+p[1] != TopicPrefix || p[3] != "sensor" || !validID(p[2]) || !validID(p[4]) {
		return "", "", "", fmt.Errorf("%w: topic %q is not %s/{site}/sensor/{sensor}/{kind}", ErrSchema, topic, TopicPrefix)
	}
	return p[2], p[4], p[5], nil
}
