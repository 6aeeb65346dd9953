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
