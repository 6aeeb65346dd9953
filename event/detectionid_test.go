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
