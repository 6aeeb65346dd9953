package store

import "testing"

// TestPlaces: a fix places its emitter in its most likely room when that
// room reaches the floor and ties with at most MaxPlacedTie rooms (of
// those asked about); a negative floor places every fix.
func TestPlaces(t *testing.T) {
	cells := func(id string) bool { return id[0] == 'B' }
	for _, tc := range []struct {
		name   string
		probs  map[string]float64
		topP   float64
		minP   float64
		ofRoom func(string) bool
		want   bool
	}{
		{"one room", map[string]float64{"B2-14": 0.8, "B2-13": 0.2}, 0.8, 0.1, nil, true},
		{"under the floor", map[string]float64{"B2-14": 0.09, "B2-13": 0.08}, 0.09, 0.1, nil, false},
		{"three tied", map[string]float64{"B2-01": 0.3, "B2-02": 0.3, "B2-03": 0.3, "B2-04": 0.1}, 0.3, 0.1, nil, true},
		{"four tied at 20%", map[string]float64{"B2-01": 0.2, "B2-02": 0.2, "B2-03": 0.2, "B2-04": 0.2, "B2-05": 0.2}, 0.2, 0.1, nil, false},
		{"tied within tolerance", map[string]float64{"B2-01": 0.2, "B2-02": 0.2 - 1e-12, "B2-03": 0.2, "B2-04": 0.2}, 0.2, 0.1, nil, false},
		{"four tied, two of the kinds", map[string]float64{"B2-01": 0.2, "B2-02": 0.2, "L-01": 0.2, "L-02": 0.2}, 0.2, 0.1, cells, true},
		{"negative floor, five tied", map[string]float64{"B2-01": 0.04, "B2-02": 0.04, "B2-03": 0.04, "B2-04": 0.04, "B2-05": 0.04}, 0.04, -1, nil, true},
	} {
		if got := Places(tc.probs, tc.topP, tc.minP, tc.ofRoom); got != tc.want {
			t.Errorf("%s: Places = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestCounts: fusion counts a fix in its most likely room when Places
// holds and, under WeakPlaceProb, that room is at least PlaceMargin times
// the next room not tied with it; a negative floor counts every fix.
func TestCounts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		probs map[string]float64
		minP  float64
		want  bool
	}{
		{"one room", map[string]float64{"B2-14": 0.8, "B2-13": 0.2}, 0.1, true},
		{"under the floor", map[string]float64{"B2-14": 0.09, "B2-13": 0.01}, 0.1, false},
		{"four tied at 20%", map[string]float64{"B2-01": 0.2, "B2-02": 0.2, "B2-03": 0.2, "B2-04": 0.2, "B2-05": 0.2}, 0.1, false},
		{"weak, under twice the next (the demo's B20 phone)", map[string]float64{"L2-N05": 0.11, "L1-S03": 0.09, "L1-S04": 0.08}, 0.1, false},
		{"weak, twice the next", map[string]float64{"B2-14": 0.4, "B2-13": 0.2, "B2-12": 0.2}, 0.1, true},
		{"weak, just under twice the next", map[string]float64{"B2-14": 0.4, "B2-13": 0.21}, 0.1, false},
		{"strong, no margin needed", map[string]float64{"B2-14": 0.5, "B2-13": 0.45}, 0.1, true},
		{"three tied, the next far below", map[string]float64{"B2-01": 0.3, "B2-02": 0.3, "B2-03": 0.3, "B2-04": 0.1}, 0.1, true},
		{"only room", map[string]float64{"B2-14": 0.3}, 0.1, true},
		{"negative floor, weak and no margin", map[string]float64{"B2-14": 0.11, "B2-13": 0.1}, -1, true},
	} {
		top := 0.0
		for _, p := range tc.probs {
			top = max(top, p)
		}
		if got := Counts(tc.probs, top, tc.minP); got != tc.want {
			t.Errorf("%s: Counts = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestDistinct: a room under WeakPlaceProb stands out only at PlaceMargin
// times the next room ofRoom accepts that does not tie with it; rooms
// ofRoom refuses (the alert's: those its summary names beside it, or of
// other kinds) do not count.
func TestDistinct(t *testing.T) {
	notB213 := func(id string) bool { return id != "B2-13" }
	for _, tc := range []struct {
		name   string
		probs  map[string]float64
		topP   float64
		ofRoom func(string) bool
		want   bool
	}{
		{"weak, under twice the next", map[string]float64{"L2-N05": 0.11, "L1-S03": 0.09}, 0.11, nil, false},
		{"weak, the close second left out", map[string]float64{"B2-14": 0.4, "B2-13": 0.3, "B2-12": 0.1}, 0.4, notB213, true},
		{"weak, the close second counted", map[string]float64{"B2-14": 0.4, "B2-13": 0.3, "B2-12": 0.1}, 0.4, nil, false},
		{"weak, tied rooms aside", map[string]float64{"B2-14": 0.3, "B2-13": 0.3, "B2-12": 0.15}, 0.3, nil, true},
		{"strong", map[string]float64{"B2-14": 0.5, "B2-13": 0.45}, 0.5, nil, true},
	} {
		if got := Distinct(tc.probs, tc.topP, tc.ofRoom); got != tc.want {
			t.Errorf("%s: Distinct = %v, want %v", tc.name, got, tc.want)
		}
	}
}
