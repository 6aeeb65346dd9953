package pipeline

import (
	"testing"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

func TestReplacesAnnotation(t *testing.T) {
	for _, tc := range []struct {
		generator string
		want      bool
	}{
		{Generator, true},          // an earlier rfwarden scan or replay: replaced
		{"rfwarden sensor", false}, // the sensor's own detection in an evidence snippet
		{"", false},                // ground truth
		{"inspectrum", false},      // another tool's
		{"rfwarden scan x", false}, // only the exact generator
	} {
		if got := ReplacesAnnotation(sigmf.Annotation{Generator: tc.generator}); got != tc.want {
			t.Errorf("ReplacesAnnotation(generator %q) = %v, want %v", tc.generator, got, tc.want)
		}
	}
}
