package event

import (
	"fmt"
	"testing"
)

// TestDetectionOf: every ID a sensor makes is its own and no other
// sensor's, for sensors whose IDs are dash-prefixes of each other too, and
// malformed IDs are nobody's.
func TestDetectionOf(t *testing.T) {
	const boot = "0a1b2c3d4e5f"
	sensors := []string{"s1", "wing", "wing-a", "wing-a-1", "0a1b2c3d4e5f"}
	for _, s := range sensors {
		for _, id := range []string{fmt.Sprintf("%s-%s-%d-%d", s, boot, 1830000, 42), s + "-" + boot + "-0-0"} {
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
	} {
		for _, s := range append(sensors, "") {
			if DetectionOf(s, id) {
				t.Errorf("DetectionOf(%q, %q) = true for a malformed ID", s, id)
			}
		}
	}
}

// TestDetectionSeq: the boot and SEQ of every ID a sensor makes, read
// only for its own sensor; IDs DetectionOf refuses, and SEQs of 0 or
// beyond int64, are not read.
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
