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

// DetectionSeq reads a detection ID sensor makes (DetectionOf): its BOOT
// as a number and its SEQ, which counts the detections of that boot the
// sensor queued for sending, from 1 and without gaps (a detection the
// sensor drops for not validating takes none; the sensor's outbox counts
// those it drops for its quota, health.outbox_dropped). ok is false for
// any other ID, and for a SEQ below 1 or beyond int64. It does not
// allocate: fusion reads every detection's ID with it.
func DetectionSeq(sensor, id string) (boot uint64, seq int64, ok bool) {
	if sensor == "" || len(id) <= len(sensor)+1 || id[:len(sensor)] != sensor || id[len(sensor)] != '-' {
		return 0, 0, false
	}
	rest := id[len(sensor)+1:]
	if len(rest) < 13 || rest[12] != '-' {
		return 0, 0, false
	}
	for i := range 12 {
		c := rest[i]
		var v byte
		switch {
		case '0' <= c && c <= '9':
			v = c - '0'
		case 'a' <= c && c <= 'f':
			v = c - 'a' + 10
		default:
			return 0, 0, false
		}
		boot = boot<<4 | uint64(v)
	}
	rest = rest[13:]
	dash := strings.IndexByte(rest, '-')
	if dash <= 0 || strings.Trim(rest[:dash], "0123456789") != "" {
		return 0, 0, false
	}
	digits := rest[dash+1:]
	if digits == "" || len(digits) > 18 { // 18 digits fit an int64
		return 0, 0, false
	}
	for i := range len(digits) {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, 0, false
		}
		seq = seq*10 + int64(c-'0')
	}
	if seq < 1 {
		return 0, 0, false
	}
	return boot, seq, true
}
