//go:build race

package eval

// raceEnabled: the race detector slows the DSP several times over, so the
// long generated-data tests skip under it.
const raceEnabled = true
