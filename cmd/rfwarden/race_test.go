//go:build race

package main

// raceEnabled: the race detector slows the DSP several times over, so the
// demo test runs its simulated clock slower to give the sensors the same
// CPU per simulated second.
const raceEnabled = true
