package eval

import (
	"testing"
)

// TestDuplicateTargetsWarned: the same emission annotated twice
// with the same class (a site's annotations merged from two tools,
// "LTE UL" from Inspectrum and "4G uplink" from IQEngine) counts as two
// targets: one miss is two misses, one hit two, and nothing says so.
// CheckTruth warns of overlapping targets only when their classes differ.
func TestDuplicateTargetsWarned(t *testing.T) {
	band := [][2]float64{{845e6, 849e6}}
	a := tgt("lte", 1000, 5000, 846e6, 848e6)
	a.Label = "LTE UL"
	b := a
	b.Label = "4G uplink"
	if got := CheckTruth([]Truth{a, b}, band); len(got) == 0 {
		t.Errorf("no warning for one emission annotated twice (%q and %q): it is scored as two targets", a.Label, b.Label)
	}
}
