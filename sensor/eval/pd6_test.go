package eval

import (
	"context"
	"testing"
)

// knownPcMiss lists the classes that are detected at 6 dB but not yet
// named right in at least 80% of their targets there, with why. The test
// fails when a listed class reaches 90%, so the list stays true.
// (none since GSM's presence test reads a TDMA-framed carrier's SNR while
// on: see classifyGSM).
var knownPcMiss = map[string]string{}

// knownPdMiss lists the classes not yet detected in 90% of their targets
// at 6 dB (none since RC hops are 500 kHz LoRa chirps).
var knownPdMiss = map[string]string{}

// TestPdAt6dB checks issue 4's goal on generated data: every class is
// detected (Pd ≥ 0.9) at 6 dB SNR in its own bandwidth, with at most 1e-3
// false alarms per detector frame on noise and none named. It also asks
// that each be named right (Pc) in 80% of its targets, except the known
// misses above: with 4–60 targets per class a Pc of 0.9 is within the
// sampling noise of this small run (RC reads 0.89–1.0 across seeds). docs/detection.md has the full
// numbers from `rfwarden eval`; this is a smaller run with the same code.
func TestPdAt6dB(t *testing.T) {
	if raceEnabled {
		t.Skip("about 40 s of generated captures; too slow under the race detector (the eval code paths are raced in the other tests)")
	}
	cases, noise := 4, 6
	if testing.Short() {
		cases, noise = 2, 3
	}
	c := GenConfig{SNRsDB: []float64{6}, Cases: cases, NoiseCases: noise, NoiseS: 0.05, Seed: 6}
	tl, err := RunGenerated(context.Background(), c, testPipeline(), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := tl.Report()
	seen := map[string]bool{}
	for _, curve := range r.PdVsSNR {
		for _, p := range curve.Points {
			seen[curve.Class] = true
			t.Logf("%-12s 6 dB: %2d targets, Pd %.2f, Pc %.2f", curve.Class, p.Truths, p.Pd, p.Pc)
			check := func(what string, got, want float64, known map[string]string) {
				why, isKnown := known[curve.Class]
				switch {
				case got < want && !isKnown:
					t.Errorf("%s: %s %.2f at 6 dB, want ≥ %.1f", curve.Class, what, got, want)
				case got >= 0.9 && isKnown:
					t.Errorf("%s: %s %.2f at 6 dB now passes; drop it from the known misses (%s)", curve.Class, what, got, why)
				}
			}
			check("Pd", p.Pd, 0.9, knownPdMiss)
			check("Pc", p.Pc, 0.8, knownPcMiss)
		}
	}
	for _, class := range Classes() {
		if !seen[class] {
			t.Errorf("%s: no Pd point at 6 dB", class)
		}
	}
	n := r.Noise
	// with no alarm in 3000 frames the 95% upper bound is 1e-3 per frame
	if n.AlarmsPerFrame == nil || n.Frames < 3000 {
		t.Fatalf("noise: %.0f frames: too little noise looked at to bound 1e-3 per frame", n.Frames)
	}
	t.Logf("noise: %d false alarms in %.0f frames (%.2g per frame), %d named", n.Alarms, n.Frames, *n.AlarmsPerFrame, n.ClassedAlarms)
	if *n.AlarmsPerFrame > 1e-3 {
		t.Errorf("noise: %.2g false alarms per frame, want ≤ 1e-3", *n.AlarmsPerFrame)
	}
	if n.ClassedAlarms > 0 {
		t.Errorf("noise: %d false alarms named with a class, want none", n.ClassedAlarms)
	}
}
