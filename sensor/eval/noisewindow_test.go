package eval

import (
	"math"
	"testing"

	"github.com/rfwarden/rfwarden/event"
)

// TestNoiseAlarmAcrossAdjacentWindows: noise time is the union of
// the noise windows (docs/evaluation.md, "False alarms per hour of
// noise"), but an alarm must lie more than half inside ONE window
// (inNoise). A site that annotates its noise in chunks (one annotation
// per second, as a GNU Radio flowgraph or a script writes them) loses
// every false alarm that straddles a chunk boundary: it is inside each
// window by at most half, so it is neither an alarm nor anything else,
// while both windows' time counts as clean noise.
func TestNoiseAlarmAcrossAdjacentWindows(t *testing.T) {
	whole := [2]float64{math.Inf(-1), math.Inf(1)}
	tests := []struct {
		name  string
		truth []Truth
	}{
		{"one window", []Truth{noiseW(0, 2000, whole[0], whole[1])}},
		{"the same time in two chunks", []Truth{noiseW(0, 1000, whole[0], whole[1]), noiseW(1000, 1000, whole[0], whole[1])}},
		{"the same band in two halves", []Truth{noiseW(0, 2000, 0, 10), noiseW(0, 2000, 10, 20)}},
	}
	// a false alarm centred on the boundary of the chunks, 0..20 Hz
	det := d(event.ClassUnknown, 900, 200, 5, 15)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Match(tt.truth, []Detection{det})
			if got := m.Dets[0].Role; got != RoleNoise {
				t.Errorf("a detection wholly inside the noise windows' union is %v, want a false alarm (noise); noise time %d samples",
					got, m.NoiseSample)
			}
		})
	}
}

// TestOtherRecordDoesNotHideNoiseAlarm: a detection mostly inside a noise
// window is "other", not a false alarm, when it overlaps any KindOther
// record at all (matchDet: other is set by any overlap). Labels naming no
// class are KindOther, so one file-wide annotation a site tool writes
// ("site survey, wing B", a recording's description) turns every false
// alarm in that file's noise windows into "other", and the report reads 0
// false alarms per hour; a narrow spur line annotated "spur" does the same
// for a wide alarm that only crosses it.
func TestOtherRecordDoesNotHideNoiseAlarm(t *testing.T) {
	whole := [2]float64{math.Inf(-1), math.Inf(1)}
	note := otherW(0, 100_000, whole[0], whole[1])
	note.Label = "site survey, wing B"
	tests := []struct {
		name  string
		truth []Truth
		det   Detection
	}{
		{"a file-wide note", []Truth{note, noiseW(1000, 10_000, whole[0], whole[1])}, d(event.ClassUnknown, 2000, 500, 0, 20)},
		{"a 1 Hz spur line under a 20 Hz alarm", []Truth{otherW(0, 100_000, 10, 11), noiseW(1000, 10_000, 0, 100)},
			d(event.ClassUnknown, 2000, 500, 0, 20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Match(tt.truth, []Detection{tt.det})
			if got := m.Dets[0].Role; got != RoleNoise {
				t.Errorf("a detection inside a noise window, mostly off the other record, is %v, want a false alarm (noise)", got)
			}
			tl := NewTally()
			tl.Add("f", m, 1e6)
			if got := tl.Report().Noise.Alarms; got != 1 {
				t.Errorf("report counts %d false alarms, want 1", got)
			}
		})
	}
}
