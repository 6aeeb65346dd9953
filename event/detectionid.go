package event

import "strings"

// DetectionOf reports whether id is a detection ID sensor makes:
// SENSOR-BOOT-START-SEQ, BOOT 12 lower-case hex digits (random per run),
// START (the emission's first sample) and SEQ decimal. The ID alone tells
// the sensor: sensor wing makes no ID of sensor wing-a. A sensor's
// snippet of a detection is named "snippet-" + its ID; the dashboard takes
// a sensor's evidence only under the names it makes, and the sensor
// rotates only its own.
func DetectionOf(sensor, id string) bool {
	rest, ok := strings.CutPrefix(id, sensor+"-")
	if !ok || sensor == "" {
		return false
	}
	p := strings.Split(rest, "-")
	if len(p) != 3 || len(p[0]) != 12 || strings.Trim(p[0], "0123456789abcdef") != "" {
		return false
	}
	for _, d := range p[1:] {
		if d == "" || strings.Trim(d, "0123456789") != "" {
			return false
		}
	}
	return true
}
