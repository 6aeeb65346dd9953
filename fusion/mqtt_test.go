package fusion

import "testing"

func TestTopicMatches(t *testing.T) {
	for _, tc := range []struct {
		filter, topic string
		want          bool
	}{
		{SharedTopic, "rfw/v1/hmp-test/sensor/s1/detection", true},
		{"rfw/v1/+/sensor/+/+", "rfw/v1/hmp-test/sensor/s1/detection", true},
		{"rfw/v1/+/sensor/+/+", "rfw/v1/hmp-test/sensor/s1", false},
		{"rfw/v1/+/sensor/+/+", "rfw/v1/hmp-test/sensor/s1/detection/x", false},
		{"rfw/#", "rfw/v1/a", true},
		{"rfw/v1/x/alert", "rfw/v1/y/alert", false},
		{"$share/g/a/b", "a/b", true},
	} {
		if got := TopicMatches(tc.filter, tc.topic); got != tc.want {
			t.Errorf("TopicMatches(%q, %q) = %v, want %v", tc.filter, tc.topic, got, tc.want)
		}
	}
}
