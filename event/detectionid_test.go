package event

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestDetectionOf: every ID a sensor makes is its own and no other
// sensor's, for sensors whose IDs are dash-prefixes of each other too, and
// malformed IDs are nobody's.
func TestDetectionOf(t *testing.T) {
	const boot = "0a1b2c3d4e5f"
	sensors := []string{"s1", "wing", "wing-a", "wing-a-1", "0a1b2c3d4e5f"}
	for _, s := range sensors {
		for _, id := range []string{fmt.Sprintf("%s-%s-%d-%d", s, boot, 1830000, 42), s + "-" + boot + "-0-1"} {
			for _, other := range append(sensors, "") {
				if got := DetectionOf(other, id); got != (other == s) {
					t.Errorf("DetectionOf(%q, %q) = %v", other, id, got)
				}
			}
		}
	}
	for _, id := range []string{
		"s1-0a1b2c3d4e5-1-1", "s1-0A1B2C3D4E5F-1-1", "s1-0a1b2c3d4e5g-1-1",
		"s1-0a1b2c3d4e5f-1", "s1-0a1b2c3d4e5f-1-1-1", "s1-0a1b2c3d4e5f--1",
		"s1-0a1b2c3d4e5f-1x-1", "s1-", "-0a1b2c3d4e5f-1-1", "s1", "",
		"s1-0a1b2c3d4e5f-0-0", "s1-0a1b2c3d4e5f-1-07", "s1-0a1b2c3d4e5f-01-7",
	} {
		for _, s := range append(sensors, "") {
			if DetectionOf(s, id) {
				t.Errorf("DetectionOf(%q, %q) = true for a malformed ID", s, id)
			}
		}
	}
}

// TestDetectionSeq: the boot and SEQ of every ID a sensor makes, read
// only for its own sensor (a SEQ up to int64's largest); IDs DetectionOf
// refuses, and SEQs of 0 or beyond int64, are not read.
func TestDetectionSeq(t *testing.T) {
	tests := []struct {
		sensor, id string
		boot       uint64
		seq        int64
		ok         bool
	}{
		{"s1", "s1-0a1b2c3d4e5f-1830000-42", 0x0a1b2c3d4e5f, 42, true},
		{"wing-a", "wing-a-ffffffffffff-0-1", 0xffffffffffff, 1, true},
		{"wing", "wing-a-ffffffffffff-0-1", 0, 0, false},
		{"s1", "s1-0a1b2c3d4e5f-1-999999999999999999", 0x0a1b2c3d4e5f, 999999999999999999, true},
		{"s1", "s1-0a1b2c3d4e5f-1-9223372036854775807", 0x0a1b2c3d4e5f, math.MaxInt64, true},
		{"s1", "s1-0a1b2c3d4e5f-1-9223372036854775808", 0, 0, false}, // beyond int64
		{"s1", "s1-0a1b2c3d4e5f-1-9999999999999999999", 0, 0, false}, // beyond int64
		{"s1", "s1-0a1b2c3d4e5f-1-0", 0, 0, false},
		{"s2", "s1-0a1b2c3d4e5f-1-1", 0, 0, false},
		{"", "s1-0a1b2c3d4e5f-1-1", 0, 0, false},
	}
	for _, id := range []string{
		"s1-0a1b2c3d4e5-1-1", "s1-0A1B2C3D4E5F-1-1", "s1-0a1b2c3d4e5g-1-1",
		"s1-0a1b2c3d4e5f-1", "s1-0a1b2c3d4e5f-1-1-1", "s1-0a1b2c3d4e5f--1",
		"s1-0a1b2c3d4e5f-1x-1", "s1-0a1b2c3d4e5f-1-1x", "s1-0a1b2c3d4e5f-1-", "s1-", "s1", "",
	} {
		tests = append(tests, struct {
			sensor, id string
			boot       uint64
			seq        int64
			ok         bool
		}{"s1", id, 0, 0, false})
	}
	for _, tc := range tests {
		boot, seq, ok := DetectionSeq(tc.sensor, tc.id)
		if ok != tc.ok || ok && (boot != tc.boot || seq != tc.seq) {
			t.Errorf("DetectionSeq(%q, %q) = %x, %d, %v; want %x, %d, %v", tc.sensor, tc.id, boot, seq, ok, tc.boot, tc.seq, tc.ok)
		}
		if ok && !DetectionOf(tc.sensor, tc.id) {
			t.Errorf("DetectionSeq read %q, which DetectionOf says sensor %q did not make", tc.id, tc.sensor)
		}
	}
	if n := testing.AllocsPerRun(100, func() { DetectionSeq("s1", "s1-0a1b2c3d4e5f-1830000-42") }); n != 0 {
		t.Errorf("DetectionSeq allocates %v times, want 0", n)
	}
}

// TestDetectionIDAgree: DetectionOf takes exactly the IDs DetectionSeq
// reads, those agent.DetectionID writes (SEQ from 1, START and SEQ with
// no sign or leading zero, within int64). Until 2026-12-07 DetectionOf
// took a SEQ of 0 and numbers beyond int64 that DetectionSeq refused (a
// snippet the dashboard took as the sensor's whose detection fusion
// could not place in its boot's SEQs), and both took leading zeros
// (s1-…-1-07 read as SEQ 7, another ID's).
func TestDetectionIDAgree(t *testing.T) {
	const b = "s1-0a1b2c3d4e5f-"
	for _, tc := range []struct {
		id  string
		seq int64 // 0: neither takes it
	}{
		{b + "1830000-42", 42},
		{b + "0-1", 1},
		{b + "0-0", 0},                   // SEQ counts from 1
		{b + "1-07", 0},                  // a leading zero: s1-…-1-7's SEQ
		{b + "01-7", 0},                  // a leading zero in START
		{b + "00-7", 0},                  //
		{b + "1-00", 0},                  //
		{b + "+1-7", 0},                  // a sign
		{b + "1-+7", 0},                  //
		{b + "-5-7", 0},                  // a negative START
		{b + "1--7", 0},                  //
		{b + "9223372036854775807-7", 7}, // START int64's largest
		{b + "9223372036854775808-7", 0}, // beyond int64
		{b + "99999999999999999999-7", 0},
		{b + "1-9223372036854775807", math.MaxInt64},
		{b + "1-9223372036854775808", 0},
		{b + "1-18446744073709551617", 0}, // beyond uint64, wrapping to 1
		{b + "1-1-", 0},
		{b + "1-1 ", 0},
		{b + "1-", 0},
		{b + "-1", 0},
		{"s1-0a1b2c3d4e5f", 0},
	} {
		_, seq, ok := DetectionSeq("s1", tc.id)
		of := DetectionOf("s1", tc.id)
		if of != ok || ok != (tc.seq != 0) || seq != tc.seq {
			t.Errorf("%q: DetectionOf %v, DetectionSeq %d %v; want both %v (SEQ %d)", tc.id, of, seq, ok, tc.seq != 0, tc.seq)
		}
	}
}

// FuzzDetectionIDAgree: on any sensor and ID, DetectionOf and
// DetectionSeq agree, and an ID they take is the one agent.DetectionID
// writes of its sensor, BOOT and SEQ (read back, it is that text).
func FuzzDetectionIDAgree(f *testing.F) {
	for _, seed := range [][2]string{
		{"s1", "s1-0a1b2c3d4e5f-1830000-42"},
		{"s1", "s1-0a1b2c3d4e5f-0-0"},
		{"s1", "s1-0a1b2c3d4e5f-1-07"},
		{"s1", "s1-0a1b2c3d4e5f-1-9223372036854775808"},
		{"wing", "wing-a-ffffffffffff-0-1"},
		{"wing-a", "wing-a-ffffffffffff-0-1"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, sensor, id string) {
		boot, seq, ok := DetectionSeq(sensor, id)
		if of := DetectionOf(sensor, id); of != ok {
			t.Fatalf("DetectionOf(%q, %q) = %v, DetectionSeq ok %v", sensor, id, of, ok)
		}
		if !ok {
			return
		}
		head := fmt.Sprintf("%s-%012x-", sensor, boot)
		tail := fmt.Sprintf("-%d", seq)
		start, cut := strings.CutPrefix(id, head)
		start, cut2 := strings.CutSuffix(start, tail)
		if !cut || !cut2 || seq < 1 {
			t.Fatalf("%q read as BOOT %012x SEQ %d: not %sSTART%s", id, boot, seq, head, tail)
		}
		var n int64
		if _, err := fmt.Sscan(start, &n); err != nil || fmt.Sprint(n) != start || n < 0 {
			t.Fatalf("%q: START %q is not as %%d writes a sample index (%v)", id, start, err)
		}
	})
}
