package fusion

import (
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/site"
)

// TestUnlocatedGroupPlainGap: a phone track is held unheard for its
// rules' resolve_after (hold, 10 minutes here) only by a located group
// near it; an unlocated group (too few sensors to locate), which says
// nothing of where it was heard, continues a track within the plain gap
// (TrackGap) only. Until 2026-12-05 it continued any held track of its
// class and channel site-wide, and one every few minutes kept a track
// (and the alert it kept open) alive indefinitely.
func TestUnlocatedGroupPlainGap(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		name    string
		after   time.Duration
		located bool // the group
		pos     site.Point
		unseen  bool // the track never located
		want    bool
	}{
		{"unlocated within the gap", time.Minute, false, site.Point{}, false, true},
		{"unlocated after the gap, within the hold", 3 * time.Minute, false, site.Point{}, false, false},
		{"located near after the gap, within the hold", 3 * time.Minute, true, site.Point{X: 1, Y: 1}, false, true},
		{"located far after the gap", 3 * time.Minute, true, site.Point{X: 60, Y: 0}, false, false},
		{"located near after the hold", 11 * time.Minute, true, site.Point{X: 1, Y: 1}, false, false},
		{"located, track never located, after the gap", 3 * time.Minute, true, site.Point{X: 1, Y: 1}, true, false},
		{"located, track never located, within the gap", time.Minute, true, site.Point{X: 1, Y: 1}, true, true},
	} {
		tr := tracker{gap: 2 * time.Minute, radiusM: 12, tolHz: 200e3,
			hold: func(class, link string) time.Duration { return 10 * time.Minute }}
		a := tr.newTrack(&group{class: "lte", link: "uplink", centerHz: 1.75e9, bwHz: 5e6, start: t0})
		a.floor, a.pos, a.located, a.lastSeen = "g", site.Point{}, !tc.unseen, t0
		g := &group{class: "lte", link: "uplink", centerHz: 1.75e9, bwHz: 5e6, start: t0.Add(tc.after)}
		got := tr.match(g, "g", tc.pos, tc.located, 0)
		if (got == a) != tc.want || got != nil && got != a {
			t.Errorf("%s: match = %v, want continued %v", tc.name, got, tc.want)
		}
	}
}
