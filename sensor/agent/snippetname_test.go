package agent

import (
	"testing"

	"github.com/rfwarden/rfwarden/event"
)

// TestDetectionIDsAreOwn: the IDs DetectionID makes are the sensor's by
// event.DetectionOf, the rule the dashboard takes a sensor's evidence
// under, so its snippets are its own (own) and no other sensor's.
func TestDetectionIDsAreOwn(t *testing.T) {
	const boot = "0a1b2c3d4e5f"
	sensors := []string{"s1", "wing", "wing-a", "wing-a-1"}
	for _, s := range sensors {
		for _, id := range []string{DetectionID(s, boot, 1830000, 42), DetectionID(s, boot, 0, 1)} {
			for _, other := range sensors {
				own := (&snippets{sensor: other}).own("snippet-" + id)
				if own != (other == s) || event.DetectionOf(other, id) != (other == s) {
					t.Errorf("%q: sensor %q owns it %v, DetectionOf %v", id, other, own, event.DetectionOf(other, id))
				}
			}
		}
	}
}
