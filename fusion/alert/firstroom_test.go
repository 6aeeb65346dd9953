package alert

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestWeakFixNamesNoFirstRoom: the first room a phone alert announces
// (a new alert's, one's still settling, one's in no room) needs a fix
// whose most likely cell is under store.WeakPlaceProb to give it
// store.PlaceMargin times the cells its summary does not name beside it,
// the margin by which fusion counts a fix in its room. Like the demo's
// one-sensor fixes of the B20 phone in L1-S03 (L2-N05 11%, L1-S03 9%:
// two alerts opened in L2-N05, the wrong floor), weak fixes announce the
// alert in no room ("position unknown"), and the first clear fix, from
// more sensors, names its room; a settling alert does not follow a weak
// fix out of the room a clear one named. A close second that the summary
// names is searched too, and needs no margin.
func TestWeakFixNamesNoFirstRoom(t *testing.T) {
	weak := map[string]float64{"B2-03": 0.11, "B2-14": 0.09, "B2-13": 0.09, "B2-12": 0.09, "B2-04": 0.09}
	clear := map[string]float64{"B2-14": 0.6, "B2-13": 0.2, "B2-03": 0.05}
	close := map[string]float64{"B2-03": 0.4, "B2-14": 0.3, "B2-landing": 0.3}
	every := everySecond
	type fix = timedFix
	// A weak fix is heard by one sensor, a clear one by three.
	sensors := func(probs map[string]float64) []string {
		if _, p := mostLikely(probs); p < 0.3 {
			return []string{"s3"}
		}
		return []string{"s1", "s3", "s6"}
	}
	for _, tc := range []struct {
		name   string
		settle time.Duration
		fixes  []fix
		// want: the in-cell rule's publications, "state room @ seconds
		// after the first fix", in order (a move is announced as it
		// fires, within MoveAnnounceEvery).
		want []string
		// first: what the first announcement's summary says
		first string
	}{
		{"weak fixes, then clear, not settled", 0,
			slices.Concat(every(0, 2*time.Second, weak), every(3*time.Second, 12*time.Second, clear)),
			[]string{"pending  @0", "firing B2-14 @10"}, "position unknown: heard by s3 only"},
		{"weak fixes, then clear, settled", 3 * time.Second,
			slices.Concat(every(0, 4*time.Second, weak), every(5*time.Second, 12*time.Second, clear)),
			[]string{"pending  @3", "firing B2-14 @10"}, "position unknown: heard by s3 only"},
		{"clear, then weak while settling", 3 * time.Second,
			slices.Concat([]fix{{0, clear}}, every(time.Second, 12*time.Second, weak)),
			[]string{"pending B2-14 @3", "firing B2-14 @10"}, "in cell B2-14, 60%"},
		{"close second named", 3 * time.Second,
			every(0, 12*time.Second, close),
			[]string{"pending B2-03 @3", "firing B2-03 @10"}, "in cell B2-03, 40%, or cell B2-14, 30%"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, rec, t0 := onlineEngine(t)
			e.SetSettle(tc.settle)
			got, summaries := playTimed(t, e, rec, t0, tc.fixes, sensors)
			if !slices.Equal(got, tc.want) {
				t.Errorf("published %q, want %q (summaries %q)", got, tc.want, summaries)
			}
			if len(summaries) == 0 || !strings.Contains(summaries[0], tc.first) {
				t.Errorf("first summary %q, want it to say %q", summaries, tc.first)
			}
		})
	}
}
