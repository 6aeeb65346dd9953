package agent

import (
	"testing"

	"github.com/rfwarden/rfwarden/dashboard"
)

// TestSnippetNamesAgreeWithDashboard: the dashboard takes a sensor's
// evidence only under the names the sensor itself owns (dashboard.SnippetOf
// mirrors snippets.own); both read every name alike, for sensors whose IDs
// are dash-prefixes of each other too.
func TestSnippetNamesAgreeWithDashboard(t *testing.T) {
	const boot = "0a1b2c3d4e5f"
	sensors := []string{"s1", "wing", "wing-a", "wing-a-1", "0a1b2c3d4e5f"}
	var names []string
	for _, s := range sensors {
		names = append(names, "snippet-"+DetectionID(s, boot, 1830000, 42), "snippet-"+DetectionID(s, boot, 0, 0))
	}
	names = append(names,
		"snippet-s1-0a1b2c3d4e5-1-1", "snippet-s1-0A1B2C3D4E5F-1-1", "snippet-s1-0a1b2c3d4e5g-1-1",
		"snippet-s1-0a1b2c3d4e5f-1", "snippet-s1-0a1b2c3d4e5f-1-1-1", "snippet-s1-0a1b2c3d4e5f--1",
		"snippet-s1-0a1b2c3d4e5f-1x-1", "snippet-s1-", "snippet--0a1b2c3d4e5f-1-1", "s1-0a1b2c3d4e5f-1-1", "")
	for _, sensor := range append(sensors, "") {
		own := &snippets{sensor: sensor}
		for _, name := range names {
			if got, want := dashboard.SnippetOf(sensor, name), own.own(name); got != want {
				t.Errorf("%q of sensor %q: dashboard.SnippetOf %v, the sensor's own %v", name, sensor, got, want)
			}
		}
	}
	// each name the sensor makes is its own and no other's
	for _, s := range sensors {
		name := "snippet-" + DetectionID(s, boot, 1830000, 42)
		for _, other := range sensors {
			if got := dashboard.SnippetOf(other, name); got != (other == s) {
				t.Errorf("%q: SnippetOf(%q) = %v", name, other, got)
			}
		}
	}
}
