package classify

import (
	"testing"

	"github.com/rfwarden/rfwarden/dsp"
)

// TestBurstNeighbours: besideS is the length of the shortest burst less
// than the gap before or after one (the piece of a packet beside a burst
// that the burst vote measures alone, which DroneID reads).
func TestBurstNeighbours(t *testing.T) {
	const fs = 1e6 // 1 sample = 1 µs
	b := func(start, n int64) dsp.Burst { return dsp.Burst{StartSample: start, SampleCount: n} }
	bursts := []dsp.Burst{b(0, 100), b(150, 600), b(760, 40), b(2000, 640), b(2700, 640)}
	beside := []struct {
		name string
		b    dsp.Burst
		want float64
	}{
		{"short pieces either side", bursts[1], 40e-6},
		{"one piece before", bursts[2], 600e-6},
		{"alone", b(5000, 500), 0},
		{"DroneID-long neighbour", bursts[3], 640e-6},
		{"gap of exactly the gap", b(10250, 10), 0},
	}
	for _, tt := range beside {
		all := append(append([]dsp.Burst(nil), bursts...), b(10000, 0), tt.b)
		if got := besideS(all, tt.b, 250, fs); got != tt.want {
			t.Errorf("%s: besideS %v, want %v", tt.name, got, tt.want)
		}
	}
}
