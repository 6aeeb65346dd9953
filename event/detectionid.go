package event

import (
	"math"
	"strings"
)

// DetectionOf reports whether id is a detection ID sensor makes:
// SENSOR-BOOT-START-SEQ, BOOT 12 lower-case hex digits (random per run),
// START (the emission's first sample) and SEQ decimal as the sensor
// writes them (agent.DetectionID: no sign, no leading zero, within
// int64; SEQ from 1). The ID alone tells the sensor: sensor wing makes
// no ID of sensor wing-a. A sensor's snippet of a detection is named
// "snippet-" + its ID; the dashboard takes a sensor's evidence only
// under the names it makes, and the sensor rotates only its own. It
// takes exactly the IDs DetectionSeq reads (parseDetectionID serves
// both); until 2026-12-07 it also took a SEQ of 0, leading zeros and
// numbers beyond int64, which DetectionSeq refused.
func DetectionOf(sensor, id string) bool {
	_, _, ok := parseDetectionID(sensor, id)
	return ok
}

// DetectionSeq reads a detection ID sensor makes (DetectionOf): its BOOT
// as a number and its SEQ, which counts the detections of that boot the
// sensor queued for sending, from 1 and without gaps (a detection the
// sensor drops for not validating takes none; the sensor's outbox counts
// those it drops for its quota, health.outbox_dropped). ok is false for
// any other ID: one DetectionOf refuses, a SEQ below 1, beyond int64 or
// written with a leading zero (which would read as another ID's SEQ). It
// does not allocate: fusion reads every detection's ID with it.
func DetectionSeq(sensor, id string) (boot uint64, seq int64, ok bool) {
	return parseDetectionID(sensor, id)
}

// parseDetectionID is DetectionOf's and DetectionSeq's one rule: id is
// sensor's SENSOR-BOOT-START-SEQ as agent.DetectionID writes it, and its
// BOOT and SEQ. It does not allocate.
func parseDetectionID(sensor, id string) (boot uint64, seq int64, ok bool) {
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
	if dash < 0 {
		return 0, 0, false
	}
	if _, ok := canonicalDecimal(rest[:dash]); !ok {
		return 0, 0, false
	}
	seq, ok = canonicalDecimal(rest[dash+1:])
	if !ok || seq < 1 {
		return 0, 0, false
	}
	return boot, seq, true
}

// canonicalDecimal reads s as the non-negative int64 fmt's %d writes: one
// or more digits, no sign, no leading zero but "0" itself, at most
// math.MaxInt64. ok is false for any other s.
func canonicalDecimal(s string) (n int64, ok bool) {
	if s == "" || len(s) > 1 && s[0] == '0' {
		return 0, false
	}
	for i := range len(s) {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (math.MaxInt64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}
